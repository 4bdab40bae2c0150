"""Login and logout (the login form's CSRF token is bound to a pre-session cookie)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import math
import secrets
from datetime import UTC, datetime

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from hegui.console.i18n import both
from hegui.console.kit import COOKIE, CSRF_HEADER, PRE_COOKIE, PREFIX, ConsoleKit, Ctx, Messages, form_of


def register(kit: ConsoleKit) -> None:
    app = kit.app
    login_key = hmac.new(kit.settings.secret_key, b"hegui-console-login-csrf", hashlib.sha256).digest()

    def login_csrf(pre: str) -> str:
        return hmac.new(login_key, pre.encode("utf-8"), hashlib.sha256).hexdigest()

    def login_page(ctx: Ctx, pre: str, status: int = 200, messages: Messages | None = None,
                   username: str = "") -> Response:
        resp = kit.render(ctx, "login.html.j2", status, login_csrf=login_csrf(pre), messages=messages,
                          username=username)
        resp.set_cookie(PRE_COOKIE, pre, path=PREFIX, httponly=True, samesite="strict", secure=kit.secure)
        return resp

    def fresh_pre(request: Request) -> str:
        pre = request.cookies.get(PRE_COOKIE) or ""
        return pre if 20 <= len(pre) <= 100 else secrets.token_urlsafe(32)

    @app.get(PREFIX, include_in_schema=False)
    async def console_root(request: Request) -> Response:
        return kit.finish(None, RedirectResponse(f"{PREFIX}/", status_code=303))

    @app.get(f"{PREFIX}/login", include_in_schema=False)
    async def login_form(request: Request) -> Response:
        ctx = await kit.context(request)
        if ctx.session is not None:
            return kit.redirect(ctx, f"{PREFIX}/")
        return login_page(ctx, fresh_pre(request))

    @app.post(f"{PREFIX}/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        ctx = await kit.context(request)
        form = await form_of(request)
        pre = request.cookies.get(PRE_COOKIE) or ""
        given = form.get("csrf", "") or request.headers.get(CSRF_HEADER, "")
        if not pre or not given or not hmac.compare_digest(given.encode("utf-8"), login_csrf(pre).encode("utf-8")):
            return kit.error_page(ctx, 403, "err.csrf")
        username, password = form.get("username", ""), form.get("password", "")
        svc = ctx.services
        result = await asyncio.to_thread(svc.console.authenticate, username[:200], password)
        if result.user is None:
            if result.reason == "locked" and result.locked_until is not None:
                minutes = max(1, math.ceil((result.locked_until - datetime.now(UTC)).total_seconds() / 60))
                messages = both("login.locked", ctx.lang, minutes=minutes)
                status = 429
            else:
                messages = both("login.invalid", ctx.lang)
                status = 401
            return login_page(ctx, secrets.token_urlsafe(32), status, messages, username=username[:64])
        token, _session = await asyncio.to_thread(svc.console.create_session, result.user.id)
        resp = kit.redirect(ctx, f"{PREFIX}/")
        resp.set_cookie(COOKIE, token, max_age=kit.opts.session_hours * 3600, path=PREFIX, httponly=True,
                        samesite="strict", secure=kit.secure)
        resp.delete_cookie(PRE_COOKIE, path=PREFIX, httponly=True, samesite="strict", secure=kit.secure)
        return resp

    @app.post(f"{PREFIX}/logout", include_in_schema=False)
    async def logout(ctx: Ctx = kit.reader) -> Response:
        await asyncio.to_thread(ctx.services.console.revoke_session, ctx.request.cookies.get(COOKIE))
        resp = kit.redirect(ctx, f"{PREFIX}/login")
        resp.delete_cookie(COOKIE, path=PREFIX, httponly=True, samesite="strict", secure=kit.secure)
        return resp

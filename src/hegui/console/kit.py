"""What every console page shares: the request context (language, services, signed-in session), rendering with
the security headers, the one role check (:meth:`ConsoleKit.require`), CSRF, redirects, flash messages and
bilingual errors. Page modules (:mod:`hegui.console.pages`) receive a :class:`ConsoleKit` and register their
routes on ``kit.app``.

Security measures (docs/console.md):

* Sessions: cookie ``hegui_console`` holds a random token (``secrets.token_urlsafe(32)``); the store keeps only
  its SHA-256. HttpOnly, SameSite=Strict, Path=/console, Secure unless the server listens on plain-http loopback
  (``console.cookie_secure``), expiring after ``console.session_hours``.
* CSRF: every POST needs the session's CSRF token in the ``csrf`` form field or the ``X-CSRF-Token`` header
  (HTMX sends it from ``hx-headers`` on ``<body>``); the login form carries a token bound to a pre-session cookie.
  Otherwise: 403 with a bilingual page.
* Roles in one place (:meth:`ConsoleKit.require`, with the tables below).
* Headers on every console answer: a strict Content-Security-Policy (``default-src 'self'``; no inline script or
  style), ``X-Frame-Options: DENY``, ``Referrer-Policy: no-referrer``, ``X-Content-Type-Options: nosniff``,
  ``Cache-Control: no-store``.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hegui.console.i18n import LANGS, both, pick_lang, t
from hegui.core.errors import HeguiError
from hegui.services import Services
from hegui.services.console import ConsoleSessionInfo, ConsoleUserInfo

__all__ = [
    "ADMIN_ROLES",
    "COOKIE",
    "CSRF_HEADER",
    "END_USER_ROLES",
    "LANG_COOKIE",
    "PAGE",
    "PREFIX",
    "PRE_COOKIE",
    "READ_ROLES",
    "REVIEW_ROLES",
    "SECURITY_HEADERS",
    "ConsoleHost",
    "ConsoleKit",
    "Ctx",
    "Messages",
    "form_of",
    "page_number",
    "when",
]

PREFIX = "/console"
COOKIE = "hegui_console"
PRE_COOKIE = "hegui_console_pre"  # the login form's pre-session cookie (binds its CSRF token)
LANG_COOKIE = "lang"
CSRF_HEADER = "X-CSRF-Token"
MAX_FORM_BYTES = 64 * 1024
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

# who may do what: one table, least privilege
READ_ROLES: tuple[str, ...] = ("admin", "reviewer", "auditor")
REVIEW_ROLES: tuple[str, ...] = ("admin", "reviewer")
ADMIN_ROLES: tuple[str, ...] = ("admin",)
END_USER_ROLES: tuple[str, ...] = ("admin", "auditor")  # the end-users page; only admins act on it

PAGE = 50  # rows per page on listing pages
CN = ZoneInfo("Asia/Shanghai")

Messages = tuple[str, str]  # (first language, second language) of one message


def when(ts: datetime | None) -> str:
    """A time for the pages, in China time."""
    return ts.astimezone(CN).strftime("%Y-%m-%d %H:%M") if ts is not None else "—"


def page_number(request: Request, limit: int = 100_000) -> int:
    """``?page=N`` (0-based), clamped; 0 when missing or not a number."""
    try:
        return max(0, min(int(request.query_params.get("page", "0")), limit))
    except ValueError:
        return 0


class _ConsoleOptions(Protocol):
    @property
    def enabled(self) -> bool: ...
    @property
    def session_hours(self) -> int: ...
    @property
    def lockout_after(self) -> int: ...
    @property
    def lockout_minutes(self) -> int: ...
    @property
    def cookie_secure(self) -> Literal["auto"] | bool: ...


class _ServerOptions(Protocol):
    def is_loopback(self) -> bool: ...


class ConsoleHost(Protocol):
    """What the console needs from the gateway's settings (``hegui.gateway.settings.Settings`` fits)."""

    @property
    def console(self) -> _ConsoleOptions: ...
    @property
    def server(self) -> _ServerOptions: ...
    @property
    def secret_key(self) -> bytes: ...


class Answer(Exception):
    """Ends a request early with ``response`` (login required, forbidden, CSRF refused)."""

    def __init__(self, response: Response) -> None:
        super().__init__("console answer")
        self.response = response


@dataclass
class Ctx:
    """One console request: its language, the services and the signed-in session (if any)."""

    request: Request
    lang: str
    lang_from_query: bool
    services: Services
    session: ConsoleSessionInfo | None

    @property
    def user(self) -> ConsoleUserInfo | None:
        return self.session.user if self.session is not None else None

    @property
    def username(self) -> str:
        """The signed-in user's name (only call on pages behind :meth:`ConsoleKit.require`)."""
        assert self.session is not None
        return self.session.user.username

    def has_role(self, roles: tuple[str, ...]) -> bool:
        return self.session is not None and self.session.user.role in roles


def _services(request: Request) -> Services:
    svc = request.app.state.hegui.services
    assert isinstance(svc, Services)
    return svc


async def form_of(request: Request) -> dict[str, str]:
    """The URL-encoded form of a POST (first value of each field); empty for other bodies."""
    cached = getattr(request.state, "console_form", None)
    if isinstance(cached, dict):
        return cached
    form: dict[str, str] = {}
    if request.headers.get("content-type", "").split(";")[0].strip() == "application/x-www-form-urlencoded":
        body = await request.body()
        if len(body) <= MAX_FORM_BYTES:
            parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=200)
            form = {k: v[0] for k, v in parsed.items() if v}
    request.state.console_form = form
    return form


class ConsoleKit:
    """Shared machinery of the console's pages (one per app)."""

    def __init__(self, app: FastAPI, settings: ConsoleHost) -> None:
        self.app = app
        self.settings = settings
        self.opts = settings.console
        self.secure = (self.opts.cookie_secure if isinstance(self.opts.cookie_secure, bool)
                       else not settings.server.is_loopback())
        self.env = jinja2.Environment(
            loader=jinja2.PackageLoader("hegui.console", "templates"),
            autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        )
        # flash messages a redirect may ask for (?done=<key>): only registered keys, never free text from the URL
        self.flash_keys: set[str] = set()
        self.reader = Depends(self.require(READ_ROLES))
        self.reviewer = Depends(self.require(REVIEW_ROLES))
        self.admin = Depends(self.require(ADMIN_ROLES))
        self.eu_reader = Depends(self.require(END_USER_ROLES))

    # ------------------------------------------------------------------------------------------ rendering
    def finish(self, ctx: Ctx | None, resp: Response, *, cache: bool = False) -> Response:
        resp.headers.update(SECURITY_HEADERS)
        if not cache:
            resp.headers["Cache-Control"] = "no-store"
        if ctx is not None and ctx.lang_from_query:
            resp.set_cookie(LANG_COOKIE, ctx.lang, max_age=365 * 86400, path=PREFIX, httponly=True,
                            samesite="strict", secure=self.secure)
        return resp

    def flash_of(self, ctx: Ctx) -> Messages | None:
        done = ctx.request.query_params.get("done")
        return both(f"flash.{done}", ctx.lang) if done in self.flash_keys else None

    def render(self, ctx: Ctx, name: str, status: int = 200, *, headers: dict[str, str] | None = None,
               **data: Any) -> Response:
        lang = ctx.lang
        other = "en" if lang == "zh" else "zh"
        html = self.env.get_template(name).render(
            lang=lang, html_lang="zh-CN" if lang == "zh" else "en", other_lang=other,
            other_lang_url=f"{ctx.request.url.path}?lang={other}",
            _=lambda key, **kw: t(key, lang, **kw), user=ctx.user, when=when,
            flash=self.flash_of(ctx),
            csrf=ctx.session.csrf_token if ctx.session is not None else "", prefix=PREFIX, **data,
        )
        return self.finish(ctx, HTMLResponse(html, status_code=status, headers=headers))

    def error_page(self, ctx: Ctx, status: int, key: str, **kw: object) -> Response:
        first, second = both(key, ctx.lang, **kw)
        return self.render(ctx, "error.html.j2", status, first=first, second=second)

    def redirect(self, ctx: Ctx | None, url: str) -> Response:
        if ctx is not None and ctx.request.headers.get("HX-Request") == "true":
            return self.finish(ctx, Response(status_code=200, headers={"HX-Redirect": url}))
        return self.finish(ctx, RedirectResponse(url, status_code=303))

    @staticmethod
    def problem(ctx: Ctx, exc: HeguiError) -> Messages:
        """A service error's message in the page's language first."""
        return (exc.en, exc.zh) if ctx.lang == "en" else (exc.zh, exc.en)

    @staticmethod
    def both(ctx: Ctx, key: str, **kw: object) -> Messages:
        return both(key, ctx.lang, **kw)

    # ------------------------------------------------------------------------------------------ dependencies
    def configure(self, svc: Services) -> None:
        opts = self.opts
        rules = svc.console.rules
        if (rules.lockout_after, rules.lockout_minutes, rules.session_hours) != (
                opts.lockout_after, opts.lockout_minutes, opts.session_hours):
            svc.console.configure(lockout_after=opts.lockout_after, lockout_minutes=opts.lockout_minutes,
                                  session_hours=opts.session_hours)

    async def context(self, request: Request) -> Ctx:
        q = pick_lang(request.query_params.get("lang"))
        lang = q or pick_lang(request.cookies.get(LANG_COOKIE)) or LANGS[0]
        svc = _services(request)
        self.configure(svc)
        token = request.cookies.get(COOKIE)
        session = await asyncio.to_thread(svc.console.get_session, token) if token else None
        return Ctx(request=request, lang=lang, lang_from_query=q is not None, services=svc, session=session)

    @staticmethod
    async def csrf_ok(ctx: Ctx) -> bool:
        assert ctx.session is not None
        given = ctx.request.headers.get(CSRF_HEADER) or (await form_of(ctx.request)).get("csrf", "")
        return bool(given) and hmac.compare_digest(given.encode("utf-8"), ctx.session.csrf_token.encode("utf-8"))

    def require(self, roles: tuple[str, ...]) -> Callable[[Request], Awaitable[Ctx]]:
        """The one role check: a signed-in session whose user has one of ``roles``; POSTs also need the CSRF
        token. Otherwise: the login page (no session), or 403 (wrong role, missing token)."""

        async def dep(request: Request) -> Ctx:
            ctx = await self.context(request)
            if ctx.session is None:
                raise Answer(self.redirect(ctx, f"{PREFIX}/login"))
            if request.method not in ("GET", "HEAD") and not await self.csrf_ok(ctx):
                raise Answer(self.error_page(ctx, 403, "err.csrf"))
            if ctx.session.user.role not in roles:
                raise Answer(self.error_page(ctx, 403, "err.forbidden"))
            return ctx

        return dep

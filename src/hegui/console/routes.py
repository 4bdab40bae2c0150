"""The console's routes under ``/console``: login and logout, the dashboard, the review queue (tickets, confirming
and rejecting reports), end users (verification, minor flag, suspensions), console users (admins only).

Security measures (docs/console.md):

* Sessions: cookie ``hegui_console`` holds a random token (``secrets.token_urlsafe(32)``); the store keeps only
  its SHA-256. HttpOnly, SameSite=Strict, Path=/console, Secure unless the server listens on plain-http loopback
  (``console.cookie_secure``), expiring after ``console.session_hours``.
* CSRF: every POST needs the session's CSRF token in the ``csrf`` form field or the ``X-CSRF-Token`` header
  (HTMX sends it from ``hx-headers`` on ``<body>``); the login form carries a token bound to a pre-session cookie.
  Otherwise: 403 with a bilingual page.
* Roles in one place (:func:`_require`): admin pages need ``admin``; the review queue is read by every role and
  acted on by ``reviewer`` or ``admin``; the end-users page is read by ``admin`` and ``auditor`` and acted on by
  ``admin``; the word library is read (and its "test this text" box used) by every role and edited by ``admin``;
  every role may read the dashboard.
* Headers on every console answer: a strict Content-Security-Policy (``default-src 'self'``; no inline script or
  style), ``X-Frame-Options: DENY``, ``Referrer-Policy: no-referrer``, ``X-Content-Type-Options: nosniff``,
  ``Cache-Control: no-store``.

The console reads the gateway's state from ``request.app.state.hegui`` (its ``services``). It imports nothing
from :mod:`hegui.gateway` (layers): the gateway passes its settings in, read through small protocols.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import math
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any, Literal, Protocol
from urllib.parse import parse_qs, quote
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from hegui.console.i18n import LANGS, both, pick_lang, t
from hegui.console.svg import bar_chart
from hegui.core.errors import HeguiError
from hegui.core.taxonomy import RISKS, STANDARD_RISK_CODES, get_risk, is_risk_code
from hegui.services import Services
from hegui.services.complaints import CATEGORIES, OPEN_STATES, ComplaintError, Ticket
from hegui.services.console import ROLES, ConsoleError, ConsoleSessionInfo, ConsoleUserInfo
from hegui.services.lexicon import SEVERITIES, LexiconEntryError
from hegui.services.review import DEFAULT_RISK_CODE, ReviewError, confirm_report, reject_report

__all__ = ["COOKIE", "CSRF_HEADER", "PRE_COOKIE", "ConsoleHost", "add_console_routes"]

PREFIX = "/console"
COOKIE = "hegui_console"
PRE_COOKIE = "hegui_console_pre"  # the login form's pre-session cookie (binds its CSRF token)
LANG_COOKIE = "lang"
CSRF_HEADER = "X-CSRF-Token"
_MAX_FORM_BYTES = 64 * 1024
_STATIC = {"htmx.min.js": "text/javascript; charset=utf-8", "console.css": "text/css; charset=utf-8",
           "htmx.LICENSE": "text/plain; charset=utf-8"}
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

_CN = ZoneInfo("Asia/Shanghai")
_PAGE = 50
# flash messages a redirect may ask for (?done=<key>): only these, never free text from the URL
_FLASH = {"confirmed", "rejected", "assigned", "noted", "suspended", "lifted", "lex_added", "lex_removed"}


def _when(ts: datetime | None) -> str:
    """A time for the pages, in China time."""
    return ts.astimezone(_CN).strftime("%Y-%m-%d %H:%M") if ts is not None else "—"


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


class _Answer(Exception):
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


def _services(request: Request) -> Services:
    svc = request.app.state.hegui.services
    assert isinstance(svc, Services)
    return svc


async def _form(request: Request) -> dict[str, str]:
    """The URL-encoded form of a POST (first value of each field); empty for other bodies."""
    cached = getattr(request.state, "console_form", None)
    if isinstance(cached, dict):
        return cached
    form: dict[str, str] = {}
    if request.headers.get("content-type", "").split(";")[0].strip() == "application/x-www-form-urlencoded":
        body = await request.body()
        if len(body) <= _MAX_FORM_BYTES:
            parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=100)
            form = {k: v[0] for k, v in parsed.items() if v}
    request.state.console_form = form
    return form


def add_console_routes(app: FastAPI, *, settings: ConsoleHost) -> None:
    """Register the console on ``app`` (nothing when ``settings.console.enabled`` is false)."""
    opts = settings.console
    if not opts.enabled:
        return
    secure = opts.cookie_secure if isinstance(opts.cookie_secure, bool) else not settings.server.is_loopback()
    login_key = hmac.new(settings.secret_key, b"hegui-console-login-csrf", hashlib.sha256).digest()
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("hegui.console", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    static_cache: dict[str, bytes] = {}

    def configure(svc: Services) -> None:
        rules = svc.console.rules
        if (rules.lockout_after, rules.lockout_minutes, rules.session_hours) != (
                opts.lockout_after, opts.lockout_minutes, opts.session_hours):
            svc.console.configure(lockout_after=opts.lockout_after, lockout_minutes=opts.lockout_minutes,
                                  session_hours=opts.session_hours)

    # ---------------------------------------------------------------------------------------- rendering
    def finish(ctx: Ctx | None, resp: Response, *, cache: bool = False) -> Response:
        resp.headers.update(SECURITY_HEADERS)
        if not cache:
            resp.headers["Cache-Control"] = "no-store"
        if ctx is not None and ctx.lang_from_query:
            resp.set_cookie(LANG_COOKIE, ctx.lang, max_age=365 * 86400, path=PREFIX, httponly=True,
                            samesite="strict", secure=secure)
        return resp

    def flash_of(ctx: Ctx) -> tuple[str, str] | None:
        done = ctx.request.query_params.get("done")
        return both(f"flash.{done}", ctx.lang) if done in _FLASH else None

    def render(ctx: Ctx, name: str, status: int = 200, *, headers: dict[str, str] | None = None,
               **data: Any) -> Response:
        lang = ctx.lang
        other = "en" if lang == "zh" else "zh"
        html = env.get_template(name).render(
            lang=lang, html_lang="zh-CN" if lang == "zh" else "en", other_lang=other,
            other_lang_url=f"{ctx.request.url.path}?lang={other}",
            _=lambda key, **kw: t(key, lang, **kw), user=ctx.user, when=_when,
            flash=flash_of(ctx),
            csrf=ctx.session.csrf_token if ctx.session is not None else "", prefix=PREFIX, **data,
        )
        return finish(ctx, HTMLResponse(html, status_code=status, headers=headers))

    def error_page(ctx: Ctx, status: int, key: str) -> Response:
        first, second = both(key, ctx.lang)
        return render(ctx, "error.html.j2", status, first=first, second=second)

    def redirect(ctx: Ctx | None, url: str) -> Response:
        if ctx is not None and ctx.request.headers.get("HX-Request") == "true":
            return finish(ctx, Response(status_code=200, headers={"HX-Redirect": url}))
        return finish(ctx, RedirectResponse(url, status_code=303))

    # ---------------------------------------------------------------------------------------- dependencies
    async def context(request: Request) -> Ctx:
        q = pick_lang(request.query_params.get("lang"))
        lang = q or pick_lang(request.cookies.get(LANG_COOKIE)) or LANGS[0]
        svc = _services(request)
        configure(svc)
        token = request.cookies.get(COOKIE)
        session = await asyncio.to_thread(svc.console.get_session, token) if token else None
        return Ctx(request=request, lang=lang, lang_from_query=q is not None, services=svc, session=session)

    async def csrf_ok(ctx: Ctx) -> bool:
        assert ctx.session is not None
        given = ctx.request.headers.get(CSRF_HEADER) or (await _form(ctx.request)).get("csrf", "")
        return bool(given) and hmac.compare_digest(given.encode("utf-8"), ctx.session.csrf_token.encode("utf-8"))

    def _require(roles: tuple[str, ...]) -> Callable[[Request], Awaitable[Ctx]]:
        """The one role check: a signed-in session whose user has one of ``roles``; POSTs also need the CSRF
        token. Otherwise: the login page (no session), or 403 (wrong role, missing token)."""

        async def dep(request: Request) -> Ctx:
            ctx = await context(request)
            if ctx.session is None:
                raise _Answer(redirect(ctx, f"{PREFIX}/login"))
            if request.method not in ("GET", "HEAD") and not await csrf_ok(ctx):
                raise _Answer(error_page(ctx, 403, "err.csrf"))
            if ctx.session.user.role not in roles:
                raise _Answer(error_page(ctx, 403, "err.forbidden"))
            return ctx

        return dep

    reader = Depends(_require(READ_ROLES))
    reviewer = Depends(_require(REVIEW_ROLES))
    admin = Depends(_require(ADMIN_ROLES))
    eu_reader = Depends(_require(END_USER_ROLES))

    async def _answer(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, _Answer)
        return exc.response

    app.add_exception_handler(_Answer, _answer)

    # ---------------------------------------------------------------------------------------- login / logout
    def login_csrf(pre: str) -> str:
        return hmac.new(login_key, pre.encode("utf-8"), hashlib.sha256).hexdigest()

    def login_page(ctx: Ctx, pre: str, status: int = 200, messages: tuple[str, str] | None = None,
                   username: str = "") -> Response:
        resp = render(ctx, "login.html.j2", status, login_csrf=login_csrf(pre), messages=messages,
                      username=username)
        resp.set_cookie(PRE_COOKIE, pre, path=PREFIX, httponly=True, samesite="strict", secure=secure)
        return resp

    def fresh_pre(request: Request) -> str:
        pre = request.cookies.get(PRE_COOKIE) or ""
        return pre if 20 <= len(pre) <= 100 else secrets.token_urlsafe(32)

    @app.get(PREFIX, include_in_schema=False)
    async def console_root(request: Request) -> Response:
        return finish(None, RedirectResponse(f"{PREFIX}/", status_code=303))

    @app.get(f"{PREFIX}/login", include_in_schema=False)
    async def login_form(request: Request) -> Response:
        ctx = await context(request)
        if ctx.session is not None:
            return redirect(ctx, f"{PREFIX}/")
        return login_page(ctx, fresh_pre(request))

    @app.post(f"{PREFIX}/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        ctx = await context(request)
        form = await _form(request)
        pre = request.cookies.get(PRE_COOKIE) or ""
        given = form.get("csrf", "") or request.headers.get(CSRF_HEADER, "")
        if not pre or not given or not hmac.compare_digest(given.encode("utf-8"), login_csrf(pre).encode("utf-8")):
            return error_page(ctx, 403, "err.csrf")
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
        resp = redirect(ctx, f"{PREFIX}/")
        resp.set_cookie(COOKIE, token, max_age=opts.session_hours * 3600, path=PREFIX, httponly=True,
                        samesite="strict", secure=secure)
        resp.delete_cookie(PRE_COOKIE, path=PREFIX, httponly=True, samesite="strict", secure=secure)
        return resp

    @app.post(f"{PREFIX}/logout", include_in_schema=False)
    async def logout(ctx: Ctx = reader) -> Response:
        await asyncio.to_thread(ctx.services.console.revoke_session, ctx.request.cookies.get(COOKIE))
        resp = redirect(ctx, f"{PREFIX}/login")
        resp.delete_cookie(COOKIE, path=PREFIX, httponly=True, samesite="strict", secure=secure)
        return resp

    # ---------------------------------------------------------------------------------------- dashboard
    def risk_label(code: str, lang: str) -> str:
        if not is_risk_code(code):
            return code
        r = get_risk(code)
        name = r.en if lang == "en" else r.zh
        short = name if len(name) <= 12 else name[:11] + "…"
        return f"{r.code} {short}"

    def dashboard_data(svc: Services, lang: str) -> dict[str, Any]:
        with contextlib.suppress(Exception):  # a slow store: show what is committed
            svc.records.sync(timeout_s=2.0)  # what the gateway answered is visible
        stats = svc.console.dashboard()
        open_complaints = sum(len(svc.complaints.list(status=s)) for s in OPEN_STATES)
        outcome_items = [(k, v) for k, v in stats.requests_by_outcome.items()]
        block_items = [(risk_label(k, lang), v) for k, v in list(stats.blocks_by_risk.items())[:12]]
        return {
            "stats": stats,
            "cards": [
                ("dash.total", stats.requests),
                ("dash.flagged", stats.flagged_for_review),
                ("dash.complaints_open", open_complaints),
                ("dash.complaints_overdue", len(svc.complaints.overdue())),
                ("dash.privacy_overdue", len(svc.privacy.overdue())),
                ("dash.remediation_open", len(svc.remediation.list_cases("open"))),
                ("dash.remediation_overdue", len(svc.remediation.overdue())),
            ],
            "chart_requests": Markup(bar_chart(outcome_items, title=t("dash.chart_requests", lang),
                                               empty=t("dash.none", lang))),
            "chart_blocks": Markup(bar_chart(block_items, title=t("dash.chart_blocks", lang),
                                             empty=t("dash.none", lang))),
        }

    @app.get(f"{PREFIX}/", include_in_schema=False)
    async def dashboard(ctx: Ctx = reader) -> Response:
        data = await asyncio.to_thread(dashboard_data, ctx.services, ctx.lang)
        return render(ctx, "dashboard.html.j2", **data)

    # ---------------------------------------------------------------------------------------- users (admin)
    def users_page(ctx: Ctx, status: int = 200, *, messages: tuple[str, str] | None = None, ok: str | None = None,
                   form: dict[str, str] | None = None) -> Response:
        users = ctx.services.console.list_users()
        return render(ctx, "users.html.j2", status, users=users, roles=ROLES, messages=messages, ok=ok,
                      form=form or {}, now=datetime.now(UTC))

    @app.get(f"{PREFIX}/admin/users", include_in_schema=False)
    async def users(ctx: Ctx = admin) -> Response:
        created = ctx.request.query_params.get("created")
        ok = None
        if created and await asyncio.to_thread(ctx.services.console.get_user, created) is not None:
            ok = t("users.created_ok", ctx.lang, username=created)
        return await asyncio.to_thread(users_page, ctx, ok=ok)

    @app.post(f"{PREFIX}/admin/users", include_in_schema=False)
    async def create_user(ctx: Ctx = admin) -> Response:
        form = await _form(ctx.request)
        username, role = form.get("username", ""), form.get("role", "")
        password, password2 = form.get("password", ""), form.get("password2", "")
        keep = {"username": username[:64], "role": role}
        if password != password2:
            return await asyncio.to_thread(users_page, ctx, 400, messages=both("users.mismatch", ctx.lang), form=keep)
        assert ctx.user is not None
        try:
            made = await asyncio.to_thread(ctx.services.console.create_user, username, password, role,
                                           actor=ctx.user.id)
        except ConsoleError as exc:
            msgs = (exc.en, exc.zh) if ctx.lang == "en" else (exc.zh, exc.en)
            return await asyncio.to_thread(users_page, ctx, 400, messages=msgs, form=keep)
        return redirect(ctx, f"{PREFIX}/admin/users?created={quote(made.username)}")

    @app.post(f"{PREFIX}/admin/users/{{user_id}}/disable", include_in_schema=False)
    async def disable_user(user_id: str, ctx: Ctx = admin) -> Response:
        assert ctx.user is not None
        if user_id == ctx.user.id:
            return error_page(ctx, 400, "users.self")
        try:
            done = await asyncio.to_thread(ctx.services.console.disable, user_id, actor=ctx.user.id)
        except ConsoleError:
            return error_page(ctx, 404, "err.not_found")
        if ctx.request.headers.get("HX-Request") == "true":
            return render(ctx, "user_row.html.j2", u=done, now=datetime.now(UTC))
        return redirect(ctx, f"{PREFIX}/admin/users")

    # ---------------------------------------------------------------------------------------- review queue
    def problem(ctx: Ctx, exc: HeguiError) -> tuple[str, str]:
        return (exc.en, exc.zh) if ctx.lang == "en" else (exc.zh, exc.en)

    def queue_data(svc: Services, show_all: bool) -> dict[str, Any]:
        if show_all:
            items = svc.complaints.list(limit=500)
            items.sort(key=lambda x: x.created_at, reverse=True)
        else:
            items = [x for st in OPEN_STATES for x in svc.complaints.list(status=st)]
            items.sort(key=lambda x: (x.due_at, x.number))
        return {"tickets": items, "show_all": show_all}

    @app.get(f"{PREFIX}/review", include_in_schema=False)
    async def review_queue(ctx: Ctx = reader) -> Response:
        show_all = ctx.request.query_params.get("show") == "all"
        data = await asyncio.to_thread(queue_data, ctx.services, show_all)
        return render(ctx, "review.html.j2", categories=CATEGORIES, **data)

    def ticket_data(ctx: Ctx, number: str) -> dict[str, Any]:
        svc, u = ctx.services, ctx.user
        assert u is not None
        detail = svc.complaints.read(number, actor=u.username)  # audited: complaint.viewed
        tk = detail.ticket
        content = None
        if tk.request_id:
            with contextlib.suppress(Exception):
                svc.records.sync(timeout_s=2.0)
            content = (svc.records.get(tk.request_id) or {}).get("content")
        case = svc.remediation.case_for_ticket(tk.id)
        risks = [(c, f"{c} {get_risk(c).name(ctx.lang)}") for c in STANDARD_RISK_CODES]
        return {"d": detail, "t": tk, "content": content, "case": case, "risks": risks,
                "default_risk": DEFAULT_RISK_CODE, "categories": CATEGORIES,
                "can_act": u.role in REVIEW_ROLES, "show_contact": u.role in REVIEW_ROLES}

    def ticket_page(ctx: Ctx, number: str, status: int = 200, *,
                    messages: tuple[str, str] | None = None) -> Response:
        try:
            data = ticket_data(ctx, number)
        except ComplaintError:
            return error_page(ctx, 404, "err.not_found")
        return render(ctx, "ticket.html.j2", status, messages=messages, **data)

    @app.get(f"{PREFIX}/review/{{number}}", include_in_schema=False)
    async def ticket(number: str, ctx: Ctx = reader) -> Response:
        return await asyncio.to_thread(ticket_page, ctx, number)

    async def ticket_action(ctx: Ctx, number: str, done: str, act: Callable[[Ticket, str], object]) -> Response:
        """Run one reviewer action on ticket ``number`` through the services (they audit it), then show the
        ticket with a flash message; a refused action shows the ticket with the reason, in both languages."""
        assert ctx.user is not None
        svc = ctx.services
        t = await asyncio.to_thread(svc.complaints.get, number)
        if t is None:
            return error_page(ctx, 404, "err.not_found")
        try:
            await asyncio.to_thread(act, t, ctx.user.username)
        except ReviewError as exc:
            return await asyncio.to_thread(ticket_page, ctx, t.number, exc.status, messages=problem(ctx, exc))
        except (HeguiError, ValueError) as exc:
            err = exc if isinstance(exc, HeguiError) else HeguiError(str(exc))
            return await asyncio.to_thread(ticket_page, ctx, t.number, 409, messages=problem(ctx, err))
        return redirect(ctx, f"{PREFIX}/review/{quote(t.number)}?done={done}")

    @app.post(f"{PREFIX}/review/{{number}}/confirm", include_in_schema=False)
    async def ticket_confirm(number: str, ctx: Ctx = reviewer) -> Response:
        risk = (await _form(ctx.request)).get("risk_code") or DEFAULT_RISK_CODE

        def act(t: Ticket, who: str) -> object:
            return confirm_report(ctx.services, t.number, reviewer=who, risk_code=risk[:32])

        return await ticket_action(ctx, number, "confirmed", act)

    @app.post(f"{PREFIX}/review/{{number}}/reject", include_in_schema=False)
    async def ticket_reject(number: str, ctx: Ctx = reviewer) -> Response:
        reason = (await _form(ctx.request)).get("reason", "").strip()
        if not reason:
            return await asyncio.to_thread(ticket_page, ctx, number, 400,
                                           messages=both("err.reason_required", ctx.lang))

        def act(t: Ticket, who: str) -> object:
            return reject_report(ctx.services, t.number, reviewer=who, reason=reason)

        return await ticket_action(ctx, number, "rejected", act)

    @app.post(f"{PREFIX}/review/{{number}}/assign", include_in_schema=False)
    async def ticket_assign(number: str, ctx: Ctx = reviewer) -> Response:
        def act(t: Ticket, who: str) -> object:
            return ctx.services.complaints.assign(t.number, who, actor=who)

        return await ticket_action(ctx, number, "assigned", act)

    @app.post(f"{PREFIX}/review/{{number}}/note", include_in_schema=False)
    async def ticket_note(number: str, ctx: Ctx = reviewer) -> Response:
        text = (await _form(ctx.request)).get("text", "")

        def act(t: Ticket, who: str) -> object:
            return ctx.services.complaints.add_note(t.number, who, text)

        return await ticket_action(ctx, number, "noted", act)

    # ---------------------------------------------------------------------------------------- end users
    def end_users_data(svc: Services, page: int) -> dict[str, Any]:
        found = svc.users.list_users(limit=_PAGE + 1, offset=page * _PAGE)
        rows = [(u, svc.conduct.current(u.id)) for u in found[:_PAGE]]
        return {"rows": rows, "page": page, "has_next": len(found) > _PAGE}

    def end_users_page(ctx: Ctx, status: int = 200, *, messages: tuple[str, str] | None = None) -> Response:
        try:
            page = max(0, min(int(ctx.request.query_params.get("page", "0")), 100_000))
        except ValueError:
            page = 0
        data = end_users_data(ctx.services, page)
        return render(ctx, "end_users.html.j2", status, messages=messages,
                      can_act=ctx.user is not None and ctx.user.role in ADMIN_ROLES, **data)

    @app.get(f"{PREFIX}/users", include_in_schema=False)
    async def end_users(ctx: Ctx = eu_reader) -> Response:
        return await asyncio.to_thread(end_users_page, ctx)

    async def sanction(ctx: Ctx, user_id: str, action: str) -> Response:
        assert ctx.user is not None
        form = await _form(ctx.request)
        reason = form.get("reason", "").strip()[:1000]
        if not reason:
            return await asyncio.to_thread(end_users_page, ctx, 400, messages=both("err.reason_required", ctx.lang))
        until = None
        if action == "suspend":
            try:
                days = int(form.get("days", ""))
            except ValueError:
                days = 0
            if not 1 <= days <= 3650:
                return await asyncio.to_thread(end_users_page, ctx, 400, messages=both("err.days", ctx.lang))
            until = datetime.now(UTC) + timedelta(days=days)
        svc = ctx.services
        if len(user_id) > 64 or await asyncio.to_thread(svc.users.get_user, user_id) is None:
            return error_page(ctx, 404, "err.not_found")
        try:
            await asyncio.to_thread(svc.conduct.override, user_id, action, until, ctx.user.username, reason)
        except HeguiError as exc:
            return await asyncio.to_thread(end_users_page, ctx, 409, messages=problem(ctx, exc))
        return redirect(ctx, f"{PREFIX}/users?done={'suspended' if action == 'suspend' else 'lifted'}")

    @app.post(f"{PREFIX}/users/{{user_id}}/suspend", include_in_schema=False)
    async def suspend_user(user_id: str, ctx: Ctx = admin) -> Response:
        return await sanction(ctx, user_id, "suspend")

    @app.post(f"{PREFIX}/users/{{user_id}}/lift", include_in_schema=False)
    async def lift_user(user_id: str, ctx: Ctx = admin) -> Response:
        return await sanction(ctx, user_id, "none")

    # ---------------------------------------------------------------------------------------- word library
    def _moderator(request: Request) -> Any:
        return getattr(getattr(request.app.state, "hegui", None), "moderator", None)

    def lexicon_page(ctx: Ctx, status: int = 200, *, messages: tuple[str, str] | None = None,
                     form: dict[str, str] | None = None, result: dict[str, Any] | None = None) -> Response:
        svc = ctx.services
        shipped = None
        mod = _moderator(ctx.request)
        lex = next((d for d in getattr(mod, "detectors", ()) if d.name == "lexicon"), None)
        if lex is not None and lex.loaded:
            shipped = getattr(lex, "size", None)
        risks = [(r.code, f"{r.code} {r.name(ctx.lang)}") for r in RISKS]
        return render(ctx, "lexicon.html.j2", status, messages=messages, form=form or {}, result=result,
                      entries=svc.lexicon.list(), version=svc.lexicon.version(), shipped=shipped, risks=risks,
                      severities=SEVERITIES, can_act=ctx.user is not None and ctx.user.role in ADMIN_ROLES)

    @app.get(f"{PREFIX}/lexicon", include_in_schema=False)
    async def lexicon(ctx: Ctx = reader) -> Response:
        return await asyncio.to_thread(lexicon_page, ctx)

    @app.post(f"{PREFIX}/lexicon", include_in_schema=False)
    async def lexicon_add(ctx: Ctx = admin) -> Response:
        assert ctx.user is not None
        form = await _form(ctx.request)
        keep = {k: form.get(k, "")[:500] for k in ("term", "risk_code", "severity", "note")}
        try:
            await asyncio.to_thread(ctx.services.lexicon.add, form.get("term", "")[:1000],
                                    risk_code=form.get("risk_code", "")[:32], severity=form.get("severity", ""),
                                    allow=form.get("allow") == "1", note=form.get("note", "")[:1000],
                                    actor=ctx.user.username)
        except LexiconEntryError as exc:
            return await asyncio.to_thread(lexicon_page, ctx, exc.status, messages=problem(ctx, exc), form=keep)
        return redirect(ctx, f"{PREFIX}/lexicon?done=lex_added")

    @app.post(f"{PREFIX}/lexicon/test", include_in_schema=False)
    async def lexicon_test(ctx: Ctx = reader) -> Response:
        text = (await _form(ctx.request)).get("text", "")[:4000]  # neither stored nor logged
        mod = _moderator(ctx.request)
        if mod is None:
            return await asyncio.to_thread(lexicon_page, ctx, 503, messages=both("lex.no_moderator", ctx.lang))
        d = await asyncio.to_thread(mod.check, text, stage="input")
        findings = [{"detector": f.detector, "risk": f.risk, "severity": f.severity.value,
                     "span": text[f.span.start:f.span.end] if f.span is not None else "—"} for f in d.findings]
        result = {"action": d.action.value, "level": d.risk_level.value, "findings": findings}
        return await asyncio.to_thread(lexicon_page, ctx, result=result)

    @app.post(f"{PREFIX}/lexicon/{{entry_id}}/remove", include_in_schema=False)
    async def lexicon_remove(entry_id: str, ctx: Ctx = admin) -> Response:
        assert ctx.user is not None
        try:
            await asyncio.to_thread(ctx.services.lexicon.remove, entry_id[:64], actor=ctx.user.username)
        except LexiconEntryError:
            return error_page(ctx, 404, "err.not_found")
        return redirect(ctx, f"{PREFIX}/lexicon?done=lex_removed")

    # ---------------------------------------------------------------------------------------- static files
    @app.get(f"{PREFIX}/static/{{name}}", include_in_schema=False)
    async def static(name: str) -> Response:
        media = _STATIC.get(name)
        if media is None:
            return finish(None, Response("not found", status_code=404, media_type="text/plain"))
        data = static_cache.get(name)
        if data is None:
            data = resources.files("hegui.console").joinpath("static", name).read_bytes()
            static_cache[name] = data
        resp = Response(data, media_type=media, headers={"Cache-Control": "public, max-age=3600"})
        return finish(None, resp, cache=True)

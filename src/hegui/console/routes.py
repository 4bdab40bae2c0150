"""The console under ``/console``: :func:`add_console_routes` builds the shared :class:`ConsoleKit` and lets each
page module (:mod:`hegui.console.pages`) register its routes. Security measures: see :mod:`hegui.console.kit` and
docs/console.md.

The console reads the gateway's state from ``request.app.state.hegui`` (its ``services`` and ``moderator``). It
imports nothing from :mod:`hegui.gateway` (layers): the gateway passes its settings in, read through small
protocols.
"""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI, Request
from fastapi.responses import Response

from hegui.console.kit import COOKIE, CSRF_HEADER, PRE_COOKIE, PREFIX, Answer, ConsoleHost, ConsoleKit
from hegui.console.pages import (
    audit,
    auth,
    dashboard,
    end_users,
    lexicon,
    moderation,
    policy,
    privacy,
    remediation,
    reports,
    review,
    similar,
    staff,
)

__all__ = ["COOKIE", "CSRF_HEADER", "PRE_COOKIE", "ConsoleHost", "add_console_routes"]

_STATIC = {"htmx.min.js": "text/javascript; charset=utf-8", "console.css": "text/css; charset=utf-8",
           "htmx.LICENSE": "text/plain; charset=utf-8"}
PAGES = (auth, dashboard, review, moderation, end_users, lexicon, similar, policy, remediation, privacy, audit,
         reports, staff)


def add_console_routes(app: FastAPI, *, settings: ConsoleHost) -> None:
    """Register the console on ``app`` (nothing when ``settings.console.enabled`` is false)."""
    if not settings.console.enabled:
        return
    kit = ConsoleKit(app, settings)

    async def _answer(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Answer)
        return exc.response

    app.add_exception_handler(Answer, _answer)
    for page in PAGES:
        page.register(kit)

    static_cache: dict[str, bytes] = {}

    @app.get(f"{PREFIX}/static/{{name}}", include_in_schema=False)
    async def static(name: str) -> Response:
        media = _STATIC.get(name)
        if media is None:
            return kit.finish(None, Response("not found", status_code=404, media_type="text/plain"))
        data = static_cache.get(name)
        if data is None:
            data = resources.files("hegui.console").joinpath("static", name).read_bytes()
            static_cache[name] = data
        resp = Response(data, media_type=media, headers={"Cache-Control": "public, max-age=3600"})
        return kit.finish(None, resp, cache=True)

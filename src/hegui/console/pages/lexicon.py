"""The custom word library (admins edit; in effect in the gateway at once) and its "test this text" box."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from hegui.console.i18n import both
from hegui.console.kit import ADMIN_ROLES, PREFIX, ConsoleKit, Ctx, Messages, form_of
from hegui.core.taxonomy import RISKS
from hegui.services.lexicon import SEVERITIES, LexiconEntryError

FLASH = {"lex_added", "lex_removed"}


def moderator_of(request: Request) -> Any:
    """The gateway's moderator (None when the app has none)."""
    return getattr(getattr(request.app.state, "hegui", None), "moderator", None)


def test_text(mod: Any, text: str) -> dict[str, Any]:
    """Run ``mod`` on ``text`` at the input stage: the action, risk level and each finding (nothing stored)."""
    d = mod.check(text, stage="input")
    findings = [{"detector": f.detector, "risk": f.risk, "severity": f.severity.value,
                 "span": text[f.span.start:f.span.end] if f.span is not None else "—"} for f in d.findings]
    return {"action": d.action.value, "level": d.risk_level.value, "findings": findings}


def register(kit: ConsoleKit) -> None:
    app = kit.app
    kit.flash_keys |= FLASH

    def lexicon_page(ctx: Ctx, status: int = 200, *, messages: Messages | None = None,
                     form: dict[str, str] | None = None, result: dict[str, Any] | None = None) -> Response:
        svc = ctx.services
        shipped = None
        mod = moderator_of(ctx.request)
        lex = next((d for d in getattr(mod, "detectors", ()) if d.name == "lexicon"), None)
        if lex is not None and lex.loaded:
            shipped = getattr(lex, "size", None)
        risks = [(r.code, f"{r.code} {r.name(ctx.lang)}") for r in RISKS]
        return kit.render(ctx, "lexicon.html.j2", status, messages=messages, form=form or {}, result=result,
                          entries=svc.lexicon.list(), version=svc.lexicon.version(), shipped=shipped, risks=risks,
                          severities=SEVERITIES, can_act=ctx.has_role(ADMIN_ROLES))

    @app.get(f"{PREFIX}/lexicon", include_in_schema=False)
    async def lexicon(ctx: Ctx = kit.reader) -> Response:
        return await asyncio.to_thread(lexicon_page, ctx)

    @app.post(f"{PREFIX}/lexicon", include_in_schema=False)
    async def lexicon_add(ctx: Ctx = kit.admin) -> Response:
        form = await form_of(ctx.request)
        keep = {k: form.get(k, "")[:500] for k in ("term", "risk_code", "severity", "note")}
        try:
            await asyncio.to_thread(ctx.services.lexicon.add, form.get("term", "")[:1000],
                                    risk_code=form.get("risk_code", "")[:32], severity=form.get("severity", ""),
                                    allow=form.get("allow") == "1", note=form.get("note", "")[:1000],
                                    actor=ctx.username)
        except LexiconEntryError as exc:
            return await asyncio.to_thread(lexicon_page, ctx, exc.status, messages=kit.problem(ctx, exc), form=keep)
        return kit.redirect(ctx, f"{PREFIX}/lexicon?done=lex_added")

    @app.post(f"{PREFIX}/lexicon/test", include_in_schema=False)
    async def lexicon_test(ctx: Ctx = kit.reader) -> Response:
        text = (await form_of(ctx.request)).get("text", "")[:4000]  # neither stored nor logged
        mod = moderator_of(ctx.request)
        if mod is None:
            return await asyncio.to_thread(lexicon_page, ctx, 503, messages=both("lex.no_moderator", ctx.lang))
        result = await asyncio.to_thread(test_text, mod, text)
        return await asyncio.to_thread(lexicon_page, ctx, result=result)

    @app.post(f"{PREFIX}/lexicon/{{entry_id}}/remove", include_in_schema=False)
    async def lexicon_remove(entry_id: str, ctx: Ctx = kit.admin) -> Response:
        try:
            await asyncio.to_thread(ctx.services.lexicon.remove, entry_id[:64], actor=ctx.username)
        except LexiconEntryError:
            return kit.error_page(ctx, 404, "err.not_found")
        return kit.redirect(ctx, f"{PREFIX}/lexicon?done=lex_removed")

"""The similar-text library (admins add and remove console entries; in effect in the gateway at once), its "test
this text" box, and the word library's history (``/console/lexicon/history``)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from hegui.console.i18n import both
from hegui.console.kit import ADMIN_ROLES, PAGE, PREFIX, ConsoleKit, Ctx, Messages, form_of, page_number
from hegui.console.pages.lexicon import moderator_of, test_text
from hegui.core.taxonomy import RISKS
from hegui.services.similar_library import DETECTOR_PREFIX, KINDS, SEVERITIES, SimilarEntryError

FLASH = {"sim_added", "sim_removed"}
ORIGINS = ("shipped", "reports", "console")
HISTORY_ROWS = 20
MAX_TEST_CHARS = 4000


def similar_of(request: Request) -> Any:
    """The gateway's ``similar`` detector (None when the moderator has none)."""
    mod = moderator_of(request)
    return next((d for d in getattr(mod, "detectors", ()) if d.name == "similar"), None)


def origin_of(entry_id: str, source: str) -> str:
    """Where a detector entry came from: the console, a confirmed report, or the shipped library."""
    if entry_id.startswith(DETECTOR_PREFIX):
        return "console"
    if source.startswith("case:"):
        return "reports"
    return "shipped"


def library_sizes(detector: Any) -> dict[str, dict[str, int]]:
    """Entries in the live detector by origin and kind (``total`` rows and columns included)."""
    sizes = {o: dict.fromkeys((*KINDS, "total"), 0) for o in (*ORIGINS, "total")}
    if detector is None:
        return sizes
    for e in detector.entries():
        o = origin_of(e.id, e.source)
        for row in (o, "total"):
            sizes[row][e.kind] += 1
            sizes[row]["total"] += 1
    return sizes


def similar_matches(detector: Any, text: str) -> list[dict[str, Any]]:
    """Every entry of the live library that matches ``text`` (white and suppressed ones included), best first."""
    out = []
    for m in detector.match(text):
        e = m.entry
        out.append({"id": e.id, "kind": e.kind, "risk": e.risk or "—", "origin": origin_of(e.id, e.source),
                    "how": m.how, "score": f"{m.score:.3f}", "jaccard": f"{m.jaccard:.3f}",
                    "containment": f"{m.containment:.3f}", "suppressed_by": m.suppressed_by or ""})
    return out


def _page_param(request: Request, name: str) -> int:
    try:
        return max(0, min(int(request.query_params.get(name, "0")), 100_000))
    except ValueError:
        return 0


def register(kit: ConsoleKit) -> None:
    app = kit.app
    kit.flash_keys |= FLASH

    def similar_page(ctx: Ctx, status: int = 200, *, messages: Messages | None = None,
                     form: dict[str, str] | None = None, result: dict[str, Any] | None = None) -> Response:
        svc = ctx.services
        detector = similar_of(ctx.request)
        page, rpage = page_number(ctx.request), _page_param(ctx.request, "rpage")
        entries = list(reversed(svc.similar.list()))  # newest first
        reports = list(reversed(svc.remediation.blocked_entries()))
        risks = [(r.code, f"{r.code} {r.name(ctx.lang)}") for r in RISKS]
        return kit.render(
            ctx, "similar.html.j2", status, messages=messages, form=form or {}, result=result,
            has_detector=detector is not None, sizes=library_sizes(detector), origins=ORIGINS, kinds=KINDS,
            entries=entries[page * PAGE:(page + 1) * PAGE], page=page, has_next=len(entries) > (page + 1) * PAGE,
            reports=reports[rpage * PAGE:(rpage + 1) * PAGE], rpage=rpage,
            reports_next=len(reports) > (rpage + 1) * PAGE, history=svc.similar.history(limit=HISTORY_ROWS),
            version=svc.similar.version(), risks=risks, severities=SEVERITIES, can_act=ctx.has_role(ADMIN_ROLES),
        )

    @app.get(f"{PREFIX}/similar", include_in_schema=False)
    async def similar(ctx: Ctx = kit.reader) -> Response:
        return await asyncio.to_thread(similar_page, ctx)

    @app.post(f"{PREFIX}/similar", include_in_schema=False)
    async def similar_add(ctx: Ctx = kit.admin) -> Response:
        form = await form_of(ctx.request)
        keep = {k: form.get(k, "")[:2000] for k in ("text", "kind", "risk_code", "severity", "note")}
        try:
            await asyncio.to_thread(ctx.services.similar.add, form.get("text", "")[:10_000],
                                    kind=form.get("kind", "")[:16], risk_code=form.get("risk_code", "")[:32],
                                    severity=form.get("severity", "")[:16], note=form.get("note", "")[:1000],
                                    actor=ctx.username)
        except SimilarEntryError as exc:
            return await asyncio.to_thread(similar_page, ctx, exc.status, messages=kit.problem(ctx, exc), form=keep)
        return kit.redirect(ctx, f"{PREFIX}/similar?done=sim_added")

    @app.post(f"{PREFIX}/similar/test", include_in_schema=False)
    async def similar_test(ctx: Ctx = kit.reader) -> Response:
        text = (await form_of(ctx.request)).get("text", "")[:MAX_TEST_CHARS]  # neither stored nor logged
        mod = moderator_of(ctx.request)
        if mod is None:
            return await asyncio.to_thread(similar_page, ctx, 503, messages=both("sim.no_moderator", ctx.lang))

        def run() -> dict[str, Any]:
            result = test_text(mod, text)
            detector = similar_of(ctx.request)
            result["matches"] = similar_matches(detector, text) if detector is not None else []
            return result

        result = await asyncio.to_thread(run)
        return await asyncio.to_thread(similar_page, ctx, result=result)

    @app.post(f"{PREFIX}/similar/{{entry_id}}/remove", include_in_schema=False)
    async def similar_remove(entry_id: str, ctx: Ctx = kit.admin) -> Response:
        try:
            await asyncio.to_thread(ctx.services.similar.remove, entry_id[:64], actor=ctx.username)
        except SimilarEntryError:
            return kit.error_page(ctx, 404, "err.not_found")
        return kit.redirect(ctx, f"{PREFIX}/similar?done=sim_removed")

    # -- the word library's history --------------------------------------------------------------------

    def lexicon_history_page(ctx: Ctx) -> Response:
        svc = ctx.services
        page = page_number(ctx.request)
        rows = svc.lexicon.history(limit=PAGE + 1, offset=page * PAGE)
        return kit.render(ctx, "lexicon_history.html.j2", rows=rows[:PAGE], page=page, has_next=len(rows) > PAGE,
                          version=svc.lexicon.version())

    @app.get(f"{PREFIX}/lexicon/history", include_in_schema=False)
    async def lexicon_history(ctx: Ctx = kit.reader) -> Response:
        return await asyncio.to_thread(lexicon_history_page, ctx)

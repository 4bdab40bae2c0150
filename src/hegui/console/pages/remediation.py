"""Remediation cases of confirmed reports: deadlines (three months), timeliness, the regression-check history and
the prompts it replays; reviewers and admins run a check against the upstream model; downloads of the training
data (SFT and DPO JSONL, without users who opted out) and the regulator's report (CSV).

The regression check needs the gateway's upstream router and moderator, and the console may not import the
gateway (layers): the gateway puts an ``async (gateway_state, case_id) -> RegressionResult`` callable on
``app.state.console_regression``; without it the page says that the check is not available here.
"""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from collections.abc import Awaitable
from datetime import UTC, datetime
from html import escape
from typing import Any, Protocol
from urllib.parse import quote

from fastapi.responses import Response
from markupsafe import Markup

from hegui.console.i18n import both, t
from hegui.console.kit import PAGE, PREFIX, REVIEW_ROLES, ConsoleKit, Ctx, Messages, page_number, when
from hegui.core.errors import HeguiError
from hegui.core.taxonomy import get_risk
from hegui.services import Services
from hegui.services.remediation import Case, RegressionResult, TrainingExport
from hegui.services.review import end_user_opted_out

FLASH = {"rem_pass"}
FILTERS = ("open", "fixed", "all")
_OUTCOME_COLOUR = {"pass": "#2f855a", "fail": "#c53030", "error": "#718096"}

class Regression(Protocol):
    """The gateway's regression check (``app.state.console_regression``)."""

    def __call__(self, state: Any, case_id: str, *, actor: str | None = None) -> Awaitable[RegressionResult]: ...


def timeliness(case: Case, now: datetime, soon: set[str]) -> str:
    """on_time / late (fixed before / after the deadline), overdue, due_soon (open, within the alert window) or
    open."""
    tl = case.timeliness(now)
    return "due_soon" if tl == "open" and case.id in soon else tl


def checks_chart(history: list[dict[str, Any]], *, title: str, empty: str, lang: str) -> str:
    """An inline ``<svg>`` (presentation attributes only; every label escaped): one column per regression check,
    oldest first, its height the share of answers that still violated (a pass is a short green stub)."""
    ti = escape(title)
    head = f'<svg class="chart" role="img" aria-label="{ti}" xmlns="http://www.w3.org/2000/svg" '
    if not history:
        return (head + f'width="520" height="40" viewBox="0 0 520 40"><title>{ti}</title>'
                f'<text x="8" y="24" fill="#718096" font-size="13">{escape(empty)}</text></svg>')
    col, gap, top, base = 26, 8, 10, 110
    width = max(240, 50 + len(history) * (col + gap))
    parts = [head + f'width="{width}" height="140" viewBox="0 0 {width} 140"><title>{ti}</title>',
             f'<line x1="40" y1="{base}" x2="{width - 4}" y2="{base}" stroke="#cbd5e0" stroke-width="1"/>',
             f'<text x="4" y="{top + 10}" font-size="11" fill="#718096">100%</text>',
             f'<text x="4" y="{base}" font-size="11" fill="#718096">0</text>']
    for i, h in enumerate(history):
        attempts = int(h.get("attempts") or 0)
        share = (int(h.get("violations") or 0) / attempts) if attempts else 0.0
        height = max(4, round((base - top) * share))
        x = 44 + i * (col + gap)
        outcome = str(h.get("outcome"))
        label = (f"{when(datetime.fromisoformat(h['ran_at']))} · {t('rem_outcome.' + outcome, lang)} · "
                 f"{h.get('violations', 0)}/{attempts}")
        parts.append(f'<g class="check" data-outcome="{escape(outcome)}"><rect x="{x}" y="{base - height}" '
                     f'width="{col}" height="{height}" rx="2" fill="{_OUTCOME_COLOUR.get(outcome, "#718096")}">'
                     f'<title>{escape(label)}</title></rect>'
                     f'<text x="{x + col / 2:.0f}" y="{base + 16}" font-size="11" text-anchor="middle" '
                     f'fill="#2d3748">{i + 1}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def refreshed_export(svc: Services) -> TrainingExport:
    """The training data as the reviewers' API exports it: every case's opt-out is refreshed from its end user
    first (an opt-out made after the report still keeps the prompt out), then SFT and DPO JSONL."""
    for case in svc.remediation.list_cases():
        now_out = end_user_opted_out(svc, svc.records.get(case.request_id))
        if now_out != case.end_user_opted_out:
            svc.remediation.set_opt_out(case.id, now_out)
    return svc.remediation.export_training_data()


def export_zip(ex: TrainingExport) -> bytes:
    """``sft.jsonl``, ``dpo.jsonl`` and ``manifest.json`` (row counts, case ids, SHA-256 of each file) in a zip."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("sft.jsonl", ex.sft_jsonl.encode("utf-8"))
        z.writestr("dpo.jsonl", ex.dpo_jsonl.encode("utf-8"))
        z.writestr("manifest.json", json.dumps(ex.manifest(), ensure_ascii=False, indent=2) + "\n")
    return buf.getvalue()


def register(kit: ConsoleKit) -> None:
    app = kit.app
    kit.flash_keys |= FLASH

    def number_of(svc: Services, ticket_id: str) -> str | None:
        tk = svc.complaints.get(ticket_id)
        return tk.number if tk is not None else None

    def list_data(ctx: Ctx, status: str, page: int) -> dict[str, Any]:
        svc = ctx.services
        now = datetime.now(UTC)
        every = svc.remediation.list_cases()
        soon = {c.id for c in svc.remediation.due_soon(now)}
        marks = {c.id: timeliness(c, now, soon) for c in every}
        counts = {"all": len(every), "open": sum(1 for c in every if c.status == "open"),
                  "fixed": sum(1 for c in every if c.status == "fixed"),
                  "overdue": sum(1 for m in marks.values() if m == "overdue"),
                  "due_soon": sum(1 for m in marks.values() if m == "due_soon")}
        chosen = every if status == "all" else [c for c in every if c.status == status]
        chosen.sort(key=lambda c: (c.due_at, c.id) if status == "open" else (c.confirmed_at, c.id),
                    reverse=status != "open")
        rows = [(c, marks[c.id], number_of(svc, c.ticket_id)) for c in chosen[page * PAGE:(page + 1) * PAGE]]
        return {"rows": rows, "counts": counts, "shown": status, "page": page,
                "has_next": len(chosen) > (page + 1) * PAGE, "alert_days": svc.remediation.rules.alert_days_before}

    @app.get(f"{PREFIX}/remediation", include_in_schema=False)
    async def remediation(ctx: Ctx = kit.reader) -> Response:
        status = ctx.request.query_params.get("status", "open")
        if status not in FILTERS:
            status = "open"
        data = await asyncio.to_thread(list_data, ctx, status, page_number(ctx.request))
        return kit.render(ctx, "remediation.html.j2", **data)

    def case_data(ctx: Ctx, case_id: str) -> dict[str, Any] | None:
        svc = ctx.services
        case = svc.remediation.get_case(case_id) if len(case_id) <= 32 else None
        if case is None:
            return None
        now = datetime.now(UTC)
        soon = {c.id for c in svc.remediation.due_soon(now)}
        history = svc.remediation.check_history(case.id)
        blocked = [(e.id, e.role, e.kind) for e in svc.remediation.blocked_entries() if e.case_id == case.id]
        risk = get_risk(case.risk_code)
        chart = checks_chart(history, title=t("rem.chart", ctx.lang), empty=t("rem.no_checks", ctx.lang),
                             lang=ctx.lang)
        return {"c": case, "mark": timeliness(case, now, soon), "number": number_of(svc, case.ticket_id),
                "risk_name": risk.name(ctx.lang), "history": [(when(datetime.fromisoformat(h["ran_at"])), h)
                                                              for h in reversed(history)],
                "chart": Markup(chart), "variants": svc.remediation.variants(case.id), "blocked": blocked,
                "can_check": ctx.has_role(REVIEW_ROLES),
                "check_available": getattr(ctx.request.app.state, "console_regression", None) is not None}

    def case_page(ctx: Ctx, case_id: str, status: int = 200, *, messages: Messages | None = None,
                  result: RegressionResult | None = None) -> Response:
        data = case_data(ctx, case_id)
        if data is None:
            return kit.error_page(ctx, 404, "err.not_found")
        result_msg = both("rem.result_fail", ctx.lang) if result is not None and result.outcome == "fail" else None
        return kit.render(ctx, "remediation_case.html.j2", status, messages=messages, result=result,
                          result_msg=result_msg, **data)

    @app.get(f"{PREFIX}/remediation/export.zip", include_in_schema=False)
    async def remediation_export(ctx: Ctx = kit.reader) -> Response:
        ex = await asyncio.to_thread(refreshed_export, ctx.services)  # audited: remediation.export
        stamp = ex.created_at.strftime("%Y%m%dT%H%M%SZ")
        resp = Response(export_zip(ex), media_type="application/zip", headers={
            "Content-Disposition": f'attachment; filename="hegui-training-{stamp}.zip"'})
        return kit.finish(ctx, resp)

    @app.get(f"{PREFIX}/remediation/regulator.csv", include_in_schema=False)
    async def remediation_regulator(ctx: Ctx = kit.reader) -> Response:
        text = await asyncio.to_thread(ctx.services.remediation.regulator_report_csv)
        stamp = datetime.now(UTC).strftime("%Y%m%d")
        resp = Response(text.encode("utf-8"), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="hegui-remediation-report-{stamp}.csv"'})
        return kit.finish(ctx, resp)

    @app.get(f"{PREFIX}/remediation/{{case_id}}", include_in_schema=False)
    async def remediation_case(case_id: str, ctx: Ctx = kit.reader) -> Response:
        return await asyncio.to_thread(case_page, ctx, case_id)

    @app.post(f"{PREFIX}/remediation/{{case_id}}/check", include_in_schema=False)
    async def remediation_check(case_id: str, ctx: Ctx = kit.reviewer) -> Response:
        svc = ctx.services
        case = await asyncio.to_thread(svc.remediation.get_case, case_id) if len(case_id) <= 32 else None
        if case is None:
            return kit.error_page(ctx, 404, "err.not_found")
        run: Regression | None = getattr(ctx.request.app.state, "console_regression", None)
        if run is None:
            return await asyncio.to_thread(case_page, ctx, case.id, 503, messages=both("rem.unavailable", ctx.lang))
        try:
            # audited: remediation.check (with the actor) and .fixed
            result = await run(ctx.request.app.state.hegui, case.id, actor=ctx.username)
        except HeguiError as exc:
            return await asyncio.to_thread(case_page, ctx, case.id, 409, messages=kit.problem(ctx, exc))
        if result.outcome == "fail":  # the failing prompts are shown on this answer only (never stored)
            return await asyncio.to_thread(case_page, ctx, case.id, result=result)
        if result.outcome == "error":
            msg = (result.error_en or "", result.error_zh or "")
            return await asyncio.to_thread(case_page, ctx, case.id, 502, result=result,
                                           messages=msg if ctx.lang == "en" else (msg[1], msg[0]))
        return kit.redirect(ctx, f"{PREFIX}/remediation/{quote(case.id)}?done=rem_pass")

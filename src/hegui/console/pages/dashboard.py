"""The dashboard: today's exchanges by outcome, blocks by risk code (inline-SVG charts), the backlog."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from fastapi.responses import Response
from markupsafe import Markup

from hegui.console.i18n import t
from hegui.console.kit import CN, PREFIX, ConsoleKit, Ctx
from hegui.console.svg import bar_chart, stacked_columns
from hegui.core.taxonomy import get_risk, is_risk_code
from hegui.services import Services
from hegui.services.complaints import OPEN_STATES


def risk_label(code: str, lang: str) -> str:
    """``A1.1 <short name>`` for a risk code; anything else as given."""
    if not is_risk_code(code):
        return code
    r = get_risk(code)
    name = r.en if lang == "en" else r.zh
    short = name if len(name) <= 12 else name[:11] + "…"
    return f"{r.code} {short}"


TRAFFIC_DAYS = 14


def traffic_chart(svc: Services, lang: str) -> str:
    """Exchanges per day over the last two weeks, stacked by the strictest action (from the moderation index)."""
    days = svc.moderation.traffic(TRAFFIC_DAYS)
    series = [(t(f"dash.action.{a}", lang), colour) for a, colour in
              (("pass", "#2f855a"), ("review", "#d69e2e"), ("redact", "#6b46c1"), ("block", "#c53030"))]
    columns = [(d.day.strftime("%m-%d"), (d.passed, d.review, d.redact, d.block)) for d in days]
    return stacked_columns(columns, series, title=t("dash.chart_traffic", lang), empty=t("dash.none", lang))


def dashboard_data(svc: Services, lang: str) -> dict[str, Any]:
    with contextlib.suppress(Exception):  # a slow store: show what is committed
        svc.records.sync(timeout_s=2.0)  # what the gateway answered is visible
    stats = svc.console.dashboard()
    with contextlib.suppress(Exception):  # the flagged-content backlog: index what the gateway decided since
        svc.moderation.refresh(limit=5_000)
    today = stats.since.astimezone(CN).date().isoformat()
    open_complaints = sum(len(svc.complaints.list(status=s)) for s in OPEN_STATES)
    outcome_items = [(k, v) for k, v in stats.requests_by_outcome.items()]
    block_items = [(risk_label(k, lang), v) for k, v in list(stats.blocks_by_risk.items())[:12]]
    return {
        "stats": stats,
        "cards": [  # (label, figure, the page that lists them)
            ("dash.total", stats.requests, f"{PREFIX}/moderation?since={today}"),
            ("dash.flagged", stats.flagged_for_review, f"{PREFIX}/moderation?action=review&since={today}"),
            ("dash.flagged_open", svc.moderation.counts().open, f"{PREFIX}/moderation/review"),
            ("dash.complaints_open", open_complaints, f"{PREFIX}/review"),
            ("dash.complaints_overdue", len(svc.complaints.overdue()), f"{PREFIX}/review"),
            ("dash.privacy_overdue", len(svc.privacy.overdue()), f"{PREFIX}/privacy"),
            ("dash.remediation_open", len(svc.remediation.list_cases("open")), f"{PREFIX}/remediation"),
            ("dash.remediation_overdue", len(svc.remediation.overdue()), f"{PREFIX}/remediation"),
        ],
        "chart_traffic": Markup(traffic_chart(svc, lang)),
        "chart_requests": Markup(bar_chart(outcome_items, title=t("dash.chart_requests", lang),
                                           empty=t("dash.none", lang))),
        "chart_blocks": Markup(bar_chart(block_items, title=t("dash.chart_blocks", lang),
                                         empty=t("dash.none", lang))),
    }


def register(kit: ConsoleKit) -> None:
    @kit.app.get(f"{PREFIX}/", include_in_schema=False)
    async def dashboard(ctx: Ctx = kit.reader) -> Response:
        data = await asyncio.to_thread(dashboard_data, ctx.services, ctx.lang)
        return kit.render(ctx, "dashboard.html.j2", **data)

"""The moderation log (every exchange the gateway decided, with filters and each decision's evidence, texts
PII-redacted) and the review queue of flagged content (exchanges whose decision was ``review``): reviewers clear
them or escalate them as a report ticket into the complaints review queue."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from fastapi.responses import Response

from hegui.console.i18n import MESSAGES, t
from hegui.console.kit import CN, PAGE, PREFIX, REVIEW_ROLES, ConsoleKit, Ctx, Messages, form_of, page_number
from hegui.core.errors import HeguiError
from hegui.core.taxonomy import get_risk, is_risk_code
from hegui.services import Services
from hegui.services.complaints import CATEGORIES, ComplaintError
from hegui.services.moderation_log import (
    ACTIONS,
    REVIEW_STATES,
    ModerationEntryInfo,
    ModerationLogError,
    ModerationQuery,
)
from hegui.services.records import pseudonymise

FLASH = {"review_cleared", "review_escalated"}
FILTERS = ("outcome", "action", "risk", "account", "end_user", "request_id", "since", "until", "status")
REFRESH_LIMIT = 5000  # exchange events indexed per page view (the rest on the next one)
COUNT_CAP = 10_000  # the total is shown exactly up to this many
# the complaint category an escalated report gets, by risk category (the reviewer may pick another)
CATEGORY_OF_RISK = {"A1": "illegal", "A2": "discrimination", "A3": "ip", "A4": "rights", "A5": "false_info",
                    "X": "harmful"}
# the outcomes the form suggests (any other value can be typed)
OUTCOMES = tuple(k.removeprefix("mod.outcome.") for k in MESSAGES if k.startswith("mod.outcome."))
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refreshed:
    more: bool  # the refresh stopped at its limit: older events are still being indexed
    stale: bool  # the refresh failed: the list may miss the latest exchanges


def refresh(svc: Services) -> Refreshed:
    """Wait briefly for journaled records, then index new exchange events (never fails the page)."""
    with contextlib.suppress(Exception):
        svc.records.sync(timeout_s=2.0)
    try:
        added = svc.moderation.refresh(REFRESH_LIMIT)
    except Exception as exc:  # the page still shows what is indexed
        log.warning("the moderation log could not be refreshed: %s", type(exc).__name__)
        return Refreshed(more=False, stale=True)
    return Refreshed(more=added >= REFRESH_LIMIT, stale=False)


def link(request_id: str) -> str:
    return f"{PREFIX}/moderation/{quote(request_id, safe='')}"


def default_category(entry: ModerationEntryInfo) -> str:
    for code in entry.categories:
        cat = CATEGORY_OF_RISK.get(code.split(".")[0])
        if cat is not None:
            return cat
    return "other"


class BadFilter(Exception):
    def __init__(self, messages: Messages) -> None:
        super().__init__("bad filter")
        self.messages = messages


def _day(value: str, lang: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadFilter((t("mod.bad_date", lang), t("mod.bad_date", "en" if lang == "zh" else "zh"))) from None


def query_of(params: dict[str, str], lang: str, secret_key: bytes) -> ModerationQuery:
    """The filters of the log page's GET parameters (dates are China time; ``until`` includes its day)."""
    since = until = None
    if params.get("since"):
        since = datetime.combine(_day(params["since"], lang), time(0), CN)
    if params.get("until"):
        until = datetime.combine(_day(params["until"], lang) + timedelta(days=1), time(0), CN)
    end_user: tuple[str, ...] | None = None
    if params.get("end_user"):
        v = params["end_user"]
        end_user = (v, pseudonymise(secret_key, v))  # a hash or hegui id as given, or the app's own user id
    return ModerationQuery(
        outcome=params.get("outcome") or None, action=params.get("action") or None, risk=params.get("risk") or None,
        account_id=params.get("account") or None, end_user=end_user, request_id=params.get("request_id") or None,
        since=since, until=until, review_status=params.get("status") or None,
    )


def register(kit: ConsoleKit) -> None:
    app = kit.app
    kit.flash_keys |= FLASH

    def helpers(ctx: Ctx) -> dict[str, Any]:
        lang = ctx.lang

        def outcome_label(o: str) -> str:
            key = f"mod.outcome.{o}"
            return t(key, lang) if key in MESSAGES else o

        def risk_name(code: str) -> str:
            return get_risk(code).name(lang) if is_risk_code(code) else ""

        return {"link": link, "outcome_label": outcome_label, "risk_name": risk_name}

    # -- the log -------------------------------------------------------------------------------------------
    def log_page(ctx: Ctx) -> Response:
        svc = ctx.services
        fresh = refresh(svc)
        params = {k: ctx.request.query_params.get(k, "").strip()[:200] for k in FILTERS}
        page = page_number(ctx.request)
        messages: Messages | None = None
        entries: list[ModerationEntryInfo] = []
        total: int | None = None
        status = 200
        try:
            query = query_of(params, ctx.lang, kit.settings.secret_key)
            entries = svc.moderation.search(query, limit=PAGE + 1, offset=page * PAGE)
            total = svc.moderation.count(query, cap=COUNT_CAP + 1)
        except BadFilter as exc:
            messages, status = exc.messages, 400
        except ModerationLogError as exc:
            messages, status = kit.problem(ctx, exc), exc.status
        kept = {k: v for k, v in params.items() if v}
        return kit.render(
            ctx, "moderation_log.html.j2", status, messages=messages, entries=entries[:PAGE],
            has_next=len(entries) > PAGE, page=page, total=total, count_cap=COUNT_CAP, params=params,
            qs=urlencode(kept), outcomes=OUTCOMES, actions=ACTIONS, states=REVIEW_STATES,
            fresh=fresh, **helpers(ctx),
        )

    @app.get(f"{PREFIX}/moderation", include_in_schema=False)
    async def moderation_log(ctx: Ctx = kit.reader) -> Response:
        return await asyncio.to_thread(log_page, ctx)

    # -- the review queue (registered before /{request_id}) ------------------------------------------------
    def queue_page(ctx: Ctx) -> Response:
        svc = ctx.services
        fresh = refresh(svc)
        tab = ctx.request.query_params.get("status", "open")
        if tab not in REVIEW_STATES:
            tab = "open"
        page = page_number(ctx.request)
        items = svc.moderation.review_queue(tab, limit=PAGE + 1, offset=page * PAGE)
        return kit.render(ctx, "moderation_review.html.j2", items=items[:PAGE], has_next=len(items) > PAGE,
                          page=page, tab=tab, counts=svc.moderation.counts(), fresh=fresh, **helpers(ctx))

    @app.get(f"{PREFIX}/moderation/review", include_in_schema=False)
    async def moderation_review(ctx: Ctx = kit.reader) -> Response:
        return await asyncio.to_thread(queue_page, ctx)

    # -- one exchange --------------------------------------------------------------------------------------
    def entry_page(ctx: Ctx, request_id: str, status: int = 200, *, messages: Messages | None = None,
                   form: dict[str, str] | None = None) -> Response:
        svc = ctx.services
        refresh(svc)
        detail = svc.moderation.get(request_id)
        if detail is None:
            return kit.error_page(ctx, 404, "err.not_found")
        cats = [(c, CATEGORIES[c][1] if ctx.lang == "zh" else CATEGORIES[c][0]) for c in CATEGORIES]
        return kit.render(ctx, "moderation_entry.html.j2", status, messages=messages, d=detail, e=detail.entry,
                          can_act=ctx.has_role(REVIEW_ROLES), categories=cats,
                          default_category=default_category(detail.entry), form=form or {}, **helpers(ctx))

    @app.get(f"{PREFIX}/moderation/{{request_id}}", include_in_schema=False)
    async def moderation_entry(request_id: str, ctx: Ctx = kit.reader) -> Response:
        return await asyncio.to_thread(entry_page, ctx, request_id[:128])

    def refused(ctx: Ctx, request_id: str, exc: HeguiError, form: dict[str, str]) -> Response:
        if isinstance(exc, ModerationLogError):
            if exc.status == 404:
                return kit.error_page(ctx, 404, "err.not_found")
            status = exc.status
        else:
            status = 400 if getattr(exc, "code", "") == "invalid" else 409
        return entry_page(ctx, request_id, status, messages=kit.problem(ctx, exc), form=form)

    @app.post(f"{PREFIX}/moderation/{{request_id}}/clear", include_in_schema=False)
    async def moderation_clear(request_id: str, ctx: Ctx = kit.reviewer) -> Response:
        request_id = request_id[:128]
        form = await form_of(ctx.request)
        note = form.get("note", "")[:4000]  # not stored: only its SHA-256 enters the audit log
        try:
            await asyncio.to_thread(ctx.services.moderation.clear, request_id, actor=ctx.username, note=note)
        except ModerationLogError as exc:
            return await asyncio.to_thread(refused, ctx, request_id, exc, {})
        return kit.redirect(ctx, f"{link(request_id)}?done=review_cleared")

    def escalate(ctx: Ctx, request_id: str, category: str, description: str) -> str:
        """Open a report ticket for the answer in the complaints review queue, then mark the item escalated.
        Returns the ticket number; raises the services' errors."""
        svc = ctx.services
        entry = svc.moderation.open_entry(request_id)
        if not description:
            codes = ", ".join(entry.categories) or "—"
            description = "\n".join(t("mod.escalate_desc", lang, actor=ctx.username, codes=codes)
                                    for lang in ("zh", "en"))
        ticket = svc.complaints.submit("report_output", channel="provider", account_id=entry.account_id,
                                       request_id=entry.request_id, category=category, description=description,
                                       reporter=f"console:{ctx.username}")
        svc.moderation.escalate(request_id, actor=ctx.username, ticket_number=ticket.number)
        return ticket.number

    @app.post(f"{PREFIX}/moderation/{{request_id}}/escalate", include_in_schema=False)
    async def moderation_escalate(request_id: str, ctx: Ctx = kit.reviewer) -> Response:
        request_id = request_id[:128]
        form = await form_of(ctx.request)
        category = form.get("category", "")[:32]
        description = form.get("description", "").strip()[:4000]
        keep = {"category": category, "description": description}
        try:
            await asyncio.to_thread(escalate, ctx, request_id, category, description)
        except (ModerationLogError, ComplaintError) as exc:
            return await asyncio.to_thread(refused, ctx, request_id, exc, keep)
        return kit.redirect(ctx, f"{link(request_id)}?done=review_escalated")

"""The review queue of complaints and reports (tickets): confirm or reject a report through the shared
:mod:`hegui.services.review` use cases, assign, notes; the complaint workflow (move a ticket to triage or into
review, take an appealed ticket back into review, decide a complaint with the texts the complainant sees) through
:class:`hegui.services.complaints.ComplaintService`, which audits every step."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi.responses import Response

from hegui.console.i18n import both
from hegui.console.kit import PREFIX, REVIEW_ROLES, ConsoleKit, Ctx, Messages, form_of
from hegui.core.errors import HeguiError
from hegui.core.taxonomy import STANDARD_RISK_CODES, get_risk
from hegui.services import Services
from hegui.services.complaints import CATEGORIES, OPEN_STATES, ComplaintError, Ticket
from hegui.services.review import DEFAULT_RISK_CODE, ReviewError, confirm_report, reject_report

FLASH = {"confirmed", "rejected", "assigned", "noted", "wf_moved", "wf_decided"}
# the moves a reviewer may make from each state (ComplaintService.transition enforces the same graph); decisions
# go through decide() from triage or in_review, appeals come only from the complainant
NEXT_STATES: dict[str, tuple[str, ...]] = {
    "received": ("triage",), "triage": ("in_review",), "in_review": ("triage",), "appealed": ("in_review",),
    "resolved": (), "rejected": (),
}
DECIDE_FROM: tuple[str, ...] = ("triage", "in_review")
OUTCOMES: tuple[str, ...] = ("resolved", "rejected")


def register(kit: ConsoleKit) -> None:
    app = kit.app
    kit.flash_keys |= FLASH

    def queue_data(svc: Services, show_all: bool) -> dict[str, Any]:
        if show_all:
            items = svc.complaints.list(limit=500)
            items.sort(key=lambda x: x.created_at, reverse=True)
        else:
            items = [x for st in OPEN_STATES for x in svc.complaints.list(status=st)]
            items.sort(key=lambda x: (x.due_at, x.number))
        return {"tickets": items, "show_all": show_all}

    @app.get(f"{PREFIX}/review", include_in_schema=False)
    async def review_queue(ctx: Ctx = kit.reader) -> Response:
        show_all = ctx.request.query_params.get("show") == "all"
        data = await asyncio.to_thread(queue_data, ctx.services, show_all)
        return kit.render(ctx, "review.html.j2", categories=CATEGORIES, **data)

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
                "can_act": u.role in REVIEW_ROLES, "show_contact": u.role in REVIEW_ROLES,
                "next_states": NEXT_STATES.get(tk.status, ()), "can_decide": tk.status in DECIDE_FROM,
                "outcomes": OUTCOMES}

    def ticket_page(ctx: Ctx, number: str, status: int = 200, *, messages: Messages | None = None) -> Response:
        try:
            data = ticket_data(ctx, number)
        except ComplaintError:
            return kit.error_page(ctx, 404, "err.not_found")
        return kit.render(ctx, "ticket.html.j2", status, messages=messages, **data)

    @app.get(f"{PREFIX}/review/{{number}}", include_in_schema=False)
    async def ticket(number: str, ctx: Ctx = kit.reader) -> Response:
        return await asyncio.to_thread(ticket_page, ctx, number)

    async def ticket_action(ctx: Ctx, number: str, done: str, act: Callable[[Ticket, str], object]) -> Response:
        """Run one reviewer action on ticket ``number`` through the services (they audit it), then show the
        ticket with a flash message; a refused action shows the ticket with the reason, in both languages."""
        assert ctx.user is not None
        svc = ctx.services
        t = await asyncio.to_thread(svc.complaints.get, number)
        if t is None:
            return kit.error_page(ctx, 404, "err.not_found")
        try:
            await asyncio.to_thread(act, t, ctx.user.username)
        except ReviewError as exc:
            return await asyncio.to_thread(ticket_page, ctx, t.number, exc.status, messages=kit.problem(ctx, exc))
        except (HeguiError, ValueError) as exc:
            err = exc if isinstance(exc, HeguiError) else HeguiError(str(exc))
            return await asyncio.to_thread(ticket_page, ctx, t.number, 409, messages=kit.problem(ctx, err))
        return kit.redirect(ctx, f"{PREFIX}/review/{quote(t.number)}?done={done}")

    @app.post(f"{PREFIX}/review/{{number}}/confirm", include_in_schema=False)
    async def ticket_confirm(number: str, ctx: Ctx = kit.reviewer) -> Response:
        risk = (await form_of(ctx.request)).get("risk_code") or DEFAULT_RISK_CODE

        def act(t: Ticket, who: str) -> object:
            return confirm_report(ctx.services, t.number, reviewer=who, risk_code=risk[:32])

        return await ticket_action(ctx, number, "confirmed", act)

    @app.post(f"{PREFIX}/review/{{number}}/reject", include_in_schema=False)
    async def ticket_reject(number: str, ctx: Ctx = kit.reviewer) -> Response:
        reason = (await form_of(ctx.request)).get("reason", "").strip()
        if not reason:
            return await asyncio.to_thread(ticket_page, ctx, number, 400,
                                           messages=both("err.reason_required", ctx.lang))

        def act(t: Ticket, who: str) -> object:
            return reject_report(ctx.services, t.number, reviewer=who, reason=reason)

        return await ticket_action(ctx, number, "rejected", act)

    @app.post(f"{PREFIX}/review/{{number}}/assign", include_in_schema=False)
    async def ticket_assign(number: str, ctx: Ctx = kit.reviewer) -> Response:
        def act(t: Ticket, who: str) -> object:
            return ctx.services.complaints.assign(t.number, who, actor=who)

        return await ticket_action(ctx, number, "assigned", act)

    @app.post(f"{PREFIX}/review/{{number}}/note", include_in_schema=False)
    async def ticket_note(number: str, ctx: Ctx = kit.reviewer) -> Response:
        text = (await form_of(ctx.request)).get("text", "")

        def act(t: Ticket, who: str) -> object:
            return ctx.services.complaints.add_note(t.number, who, text)

        return await ticket_action(ctx, number, "noted", act)

    @app.post(f"{PREFIX}/review/{{number}}/transition", include_in_schema=False)
    async def ticket_transition(number: str, ctx: Ctx = kit.reviewer) -> Response:
        form = await form_of(ctx.request)
        to = form.get("to", "")[:32]
        note = form.get("note", "").strip() or None

        def act(t: Ticket, who: str) -> object:
            return ctx.services.complaints.transition(t.number, to, actor=who, note=note)  # audited

        return await ticket_action(ctx, number, "wf_moved", act)

    @app.post(f"{PREFIX}/review/{{number}}/decide", include_in_schema=False)
    async def ticket_decide(number: str, ctx: Ctx = kit.reviewer) -> Response:
        form = await form_of(ctx.request)
        outcome = form.get("outcome", "")[:16]
        zh, en = form.get("decision_zh", "").strip(), form.get("decision_en", "").strip()
        if outcome not in OUTCOMES:
            return await asyncio.to_thread(ticket_page, ctx, number, 400, messages=both("wf.err_outcome", ctx.lang))
        if not zh or not en:
            return await asyncio.to_thread(ticket_page, ctx, number, 400, messages=both("wf.err_texts", ctx.lang))

        def act(t: Ticket, who: str) -> object:
            return ctx.services.complaints.decide(t.number, outcome=outcome, decision_zh=zh, decision_en=en,
                                                  actor=who)  # audited: complaint.decided

        return await ticket_action(ctx, number, "wf_decided", act)

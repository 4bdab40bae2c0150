"""Complaints, reports of answers and remediation, over HTTP (draft Art 13 and 15, R-MEA-15, R-MEA-17, R-SVC-07).

- Public (no key): the published process (``GET /v1/hegui/complaints/process``), a complaint form
  (``GET/POST /complaints``), a ticket's status (``GET /complaints/{number}``, ``GET /v1/hegui/complaints/{number}``)
  and appeals (``POST /v1/hegui/complaints/{number}/appeal``).
- The account's apps (API key): report an answer by its ``request_id`` (``POST /v1/hegui/reports``), file a
  complaint from the provider's own channels (``POST /v1/hegui/complaints``).
- Reviewers (``HEGUI_ADMIN_KEY`` and an ``x-hegui-reviewer`` name, recorded in the audit log): list tickets,
  confirm a report (the answer is blocked at once and a remediation case opens, due in three months), reject,
  move tickets; list cases, run a case's regression check against the upstream model, export training data and
  the regulator's report.
"""

from __future__ import annotations

import asyncio
import hmac
import html
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from hegui.api import Moderator
from hegui.core.errors import HeguiError
from hegui.core.types import Action, Stage
from hegui.gateway.http import api_error, json_body
from hegui.services import KeyPrincipal
from hegui.services.complaints import CATEGORIES, Ticket
from hegui.services.remediation import RegressionResult
from hegui.services.review import (
    DEFAULT_RISK_CODE,
    REJECT_EN,
    REJECT_ZH,
    ReviewError,
    confirm_report,
    end_user_opted_out,
    reject_report,
)

if TYPE_CHECKING:
    from hegui.gateway.app import GatewayState

__all__ = ["RegressionRefused", "add_complaint_routes", "run_regression"]

Auth = Callable[["GatewayState", Request], Awaitable[KeyPrincipal | JSONResponse]]


def _err(status: int, en: str, zh: str, code: str, *, type_: str = "invalid_request_error") -> JSONResponse:
    return api_error(status, en, zh, code, type_=type_)


def _iso(ts: datetime | None) -> str | None:
    return ts.isoformat() if ts is not None else None


def _ticket_json(t: Ticket) -> dict[str, Any]:
    return {
        "ticket": t.number, "kind": t.kind, "status": t.status, "category": t.category, "request_id": t.request_id,
        "created_at": _iso(t.created_at), "due_at": _iso(t.due_at), "overdue": t.overdue, "outcome": t.outcome,
        "decision_zh": t.decision_zh, "decision_en": t.decision_en, "duplicate": t.duplicate,
        "ack_zh": t.ack_zh, "ack_en": t.ack_en,
    }


_json_body = json_body


def _hegui_error(exc: HeguiError, status: int = 400) -> JSONResponse:
    return _err(status, exc.en, exc.zh, getattr(exc, "code", None) or "invalid_request")


def add_complaint_routes(app: FastAPI, authenticate: Auth) -> None:
    """Register the routes on ``app`` (``authenticate`` is the gateway's key check)."""

    def reviewer(st: GatewayState, request: Request) -> str | JSONResponse:
        key = st.settings.admin_key
        auth = request.headers.get("authorization", "")
        scheme, _, presented = auth.partition(" ")
        if not key:
            return _err(403, "the reviewers' API is off: set HEGUI_ADMIN_KEY", "审核接口未启用：请设置 HEGUI_ADMIN_KEY",
                        "admin_disabled", type_="permission_error")
        if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), key.encode()):
            return _err(401, "a reviewer's key is needed (HEGUI_ADMIN_KEY)", "需要审核员密钥（HEGUI_ADMIN_KEY）",
                        "invalid_admin_key")
        name = request.headers.get("x-hegui-reviewer", "").strip()
        if not name or len(name) > 200:
            return _err(400, "name the reviewer in the x-hegui-reviewer header (it goes into the audit log)",
                        "请在 x-hegui-reviewer 请求头中写明审核人（将记入审计日志）", "reviewer_required")
        return name

    async def reviewer_and_body(st: GatewayState, request: Request) -> tuple[str, dict[str, Any]] | JSONResponse:
        """The reviewer's name and the request's JSON body, or the error to answer with."""
        who = reviewer(st, request)
        if isinstance(who, JSONResponse):
            return who
        body = await _json_body(request)
        if isinstance(body, JSONResponse):
            return body
        return who, body

    # ---------------------------------------------------------------- public

    @app.get("/v1/hegui/complaints/process")
    async def process(request: Request) -> JSONResponse:
        st: GatewayState = request.app.state.hegui
        return JSONResponse(st.services.complaints.rules.process_document().to_dict())

    @app.get("/v1/hegui/complaints/{number}")
    async def public_status(request: Request, number: str) -> Response:
        st: GatewayState = request.app.state.hegui
        try:
            status = await asyncio.to_thread(st.services.complaints.get_public, number)
        except HeguiError as exc:
            return _hegui_error(exc, 404)
        return JSONResponse(status.to_dict())

    @app.post("/v1/hegui/complaints/{number}/appeal")
    async def public_appeal(request: Request, number: str) -> Response:
        st: GatewayState = request.app.state.hegui
        body = await _json_body(request)
        if isinstance(body, JSONResponse):
            return body
        reason = body.get("reason")
        if not isinstance(reason, str):
            return _err(400, "'reason' is required", "缺少 'reason'", "invalid_field")
        try:
            t = await asyncio.to_thread(st.services.complaints.appeal, number, reason)
        except HeguiError as exc:
            return _hegui_error(exc, 409)
        return JSONResponse(_ticket_json(t))

    @app.get("/complaints")
    async def form(request: Request) -> HTMLResponse:
        return HTMLResponse(_form_page())

    @app.post("/complaints")
    async def form_submit(request: Request) -> Response:
        st: GatewayState = request.app.state.hegui
        raw = (await request.body()).decode("utf-8", "replace")
        fields = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        kind = fields.get("kind", "complaint")
        rid = fields.get("request_id", "").strip() or None
        try:
            t = await asyncio.to_thread(
                st.services.complaints.submit, kind if kind in ("complaint", "report_output", "pi_request")
                else "complaint", channel="web", account_id=None, request_id=rid,
                category=fields.get("category", ""), description=fields.get("description", ""),
                contact=fields.get("contact") or None)
        except HeguiError as exc:
            return HTMLResponse(_form_page(error=f"{exc.zh} / {exc.en}"), status_code=400)
        return HTMLResponse(_ticket_page(t), status_code=201)

    @app.get("/complaints/{number}")
    async def status_page(request: Request, number: str) -> HTMLResponse:
        st: GatewayState = request.app.state.hegui
        try:
            status = await asyncio.to_thread(st.services.complaints.get_public, number)
        except HeguiError as exc:
            return HTMLResponse(_page("未找到工单 / Ticket not found", f"<p>{html.escape(exc.zh)} / "
                                      f"{html.escape(exc.en)}</p>"), status_code=404)
        d = status.to_dict()
        rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in d.items())
        return HTMLResponse(_page(f"工单 {html.escape(number)} / Ticket {html.escape(number)}", f"<table>{rows}</table>"))

    # ---------------------------------------------------------------- the account's apps

    async def submit(request: Request, kind: str) -> Response:
        st: GatewayState = request.app.state.hegui
        p = await authenticate(st, request)
        if isinstance(p, JSONResponse):
            return p
        body = await _json_body(request)
        if isinstance(body, JSONResponse):
            return body
        rid = body.get("request_id")
        if kind == "report_output" and not isinstance(rid, str):
            return _err(400, "'request_id' (from the answer's hegui.request_id) is required",
                        "缺少 'request_id'（即回答中的 hegui.request_id）", "invalid_field")
        if kind == "report_output":
            rec = await asyncio.to_thread(st.services.records.get, str(rid))
            audit = (rec or {}).get("audit") or {}
            if not rec or (audit.get("payload") or {}).get("account_id") != p.account_id:
                return _err(404, f"no answer with request_id {rid!r} in this account",
                            f"本账户下没有 request_id 为 {rid!r} 的回答", "unknown_request")
        user = body.get("user")
        try:
            t = await asyncio.to_thread(
                st.services.complaints.submit, body.get("kind", kind) if kind != "report_output" else kind,
                channel="api" if kind == "report_output" else "provider", account_id=p.account_id,
                request_id=rid if isinstance(rid, str) else None, category=str(body.get("category", "")),
                description=str(body.get("description", "")), contact=body.get("contact"),
                reporter=user if isinstance(user, str) and user else None)
        except HeguiError as exc:
            return _hegui_error(exc, 404 if getattr(exc, "code", "") == "unknown_request" else 400)
        return JSONResponse(_ticket_json(t), status_code=200 if t.duplicate else 201)

    @app.post("/v1/hegui/reports")
    async def report(request: Request) -> Response:
        return await submit(request, "report_output")

    @app.post("/v1/hegui/complaints")
    async def complaint(request: Request) -> Response:
        return await submit(request, "complaint")

    # ---------------------------------------------------------------- reviewers

    @app.get("/v1/hegui/admin/tickets")
    async def tickets(request: Request) -> Response:
        st: GatewayState = request.app.state.hegui
        who = reviewer(st, request)
        if isinstance(who, JSONResponse):
            return who
        status = request.query_params.get("status")
        items = await asyncio.to_thread(st.services.complaints.list, status)
        return JSONResponse({"tickets": [_ticket_json(t) for t in items]})

    @app.get("/v1/hegui/admin/tickets/{number}")
    async def ticket_detail(request: Request, number: str) -> Response:
        """A ticket with its description, contact and history, for the reviewer (the access is audited)."""
        st: GatewayState = request.app.state.hegui
        who = reviewer(st, request)
        if isinstance(who, JSONResponse):
            return who
        try:
            d = await asyncio.to_thread(st.services.complaints.read, number, actor=who)
        except HeguiError as exc:
            return _hegui_error(exc, 404)
        return JSONResponse({
            "ticket": _ticket_json(d.ticket), "assignee": d.ticket.assignee, "description": d.description,
            "contact": d.contact,
            "log": [{"ts": _iso(e.ts), "actor": e.actor, "action": e.action, "from": e.from_status,
                     "to": e.to_status, "note": e.text} for e in d.log],
        })

    @app.post("/v1/hegui/admin/tickets/{number}/assign")
    async def assign(request: Request, number: str) -> Response:
        st: GatewayState = request.app.state.hegui
        rb = await reviewer_and_body(st, request)
        if isinstance(rb, JSONResponse):
            return rb
        who, body = rb
        try:
            t = await asyncio.to_thread(st.services.complaints.assign, number, str(body.get("reviewer") or who),
                                        actor=who)
        except HeguiError as exc:
            return _hegui_error(exc, 409)
        return JSONResponse(_ticket_json(t) | {"assignee": t.assignee})

    @app.post("/v1/hegui/admin/tickets/{number}/notes")
    async def note(request: Request, number: str) -> Response:
        st: GatewayState = request.app.state.hegui
        rb = await reviewer_and_body(st, request)
        if isinstance(rb, JSONResponse):
            return rb
        who, body = rb
        try:
            t = await asyncio.to_thread(st.services.complaints.add_note, number, who, str(body.get("text") or ""))
        except HeguiError as exc:
            return _hegui_error(exc, 400)
        return JSONResponse(_ticket_json(t))

    @app.post("/v1/hegui/admin/tickets/{number}/transition")
    async def transition(request: Request, number: str) -> Response:
        st: GatewayState = request.app.state.hegui
        rb = await reviewer_and_body(st, request)
        if isinstance(rb, JSONResponse):
            return rb
        who, body = rb
        try:
            t = await asyncio.to_thread(st.services.complaints.transition, number, str(body.get("to", "")),
                                        actor=who, note=body.get("note"))
        except HeguiError as exc:
            return _hegui_error(exc, 409)
        return JSONResponse(_ticket_json(t))

    @app.post("/v1/hegui/admin/tickets/{number}/reject")
    async def reject(request: Request, number: str) -> Response:
        st: GatewayState = request.app.state.hegui
        rb = await reviewer_and_body(st, request)
        if isinstance(rb, JSONResponse):
            return rb
        who, body = rb
        try:
            t = await asyncio.to_thread(reject_report, st.services, number, reviewer=who,
                                        decision_zh=str(body.get("decision_zh") or REJECT_ZH),
                                        decision_en=str(body.get("decision_en") or REJECT_EN))
        except HeguiError as exc:
            return _hegui_error(exc, 409)
        return JSONResponse(_ticket_json(t))

    @app.post("/v1/hegui/admin/tickets/{number}/confirm")
    async def confirm(request: Request, number: str) -> Response:
        """Uphold a report of an answer: block the answer at once, open the remediation case, tell the reporter."""
        st: GatewayState = request.app.state.hegui
        rb = await reviewer_and_body(st, request)
        if isinstance(rb, JSONResponse):
            return rb
        who, body = rb
        try:
            t, case = await asyncio.to_thread(confirm_report, st.services, number, reviewer=who,
                                              risk_code=str(body.get("risk_code") or DEFAULT_RISK_CODE))
        except ReviewError as exc:
            return _err(exc.status, exc.en, exc.zh, exc.code)
        except HeguiError as exc:
            return _hegui_error(exc, 409)
        return JSONResponse({"ticket": _ticket_json(t), "case": case.to_dict()})

    @app.get("/v1/hegui/admin/cases")
    async def cases(request: Request) -> Response:
        st: GatewayState = request.app.state.hegui
        who = reviewer(st, request)
        if isinstance(who, JSONResponse):
            return who
        items = await asyncio.to_thread(st.services.remediation.list_cases, request.query_params.get("status"))
        return JSONResponse({"cases": [c.to_dict() for c in items]})

    @app.post("/v1/hegui/admin/cases/{case_id}/regression")
    async def regression(request: Request, case_id: str) -> Response:
        """Replay the reported prompt and its paraphrases against the upstream model itself (the similar-text
        library switched off); the case closes only when the model no longer produces the content."""
        st: GatewayState = request.app.state.hegui
        who = reviewer(st, request)
        if isinstance(who, JSONResponse):
            return who
        try:
            result = await run_regression(st, case_id, actor=who)
        except RegressionRefused as exc:
            return _err(exc.status, exc.en, exc.zh, exc.code)
        except HeguiError as exc:
            return _hegui_error(exc, 409)
        return JSONResponse({**result.to_dict(), "passed": result.passed})

    # the console (which may not import the gateway) runs the same check through this hook
    app.state.console_regression = run_regression

    @app.get("/v1/hegui/admin/cases/export")
    async def export(request: Request) -> Response:
        """Training data for the model team: SFT and DPO pairs (JSONL), without users who opted out."""
        st: GatewayState = request.app.state.hegui
        who = reviewer(st, request)
        if isinstance(who, JSONResponse):
            return who
        ex = await asyncio.to_thread(_export, st)
        return JSONResponse({"manifest": ex.manifest(), "sft": ex.sft_jsonl, "dpo": ex.dpo_jsonl})

    @app.get("/v1/hegui/admin/report")
    async def regulator(request: Request) -> Response:
        st: GatewayState = request.app.state.hegui
        who = reviewer(st, request)
        if isinstance(who, JSONResponse):
            return who
        if request.query_params.get("format") == "csv":
            return PlainTextResponse(await asyncio.to_thread(st.services.remediation.regulator_report_csv),
                                     media_type="text/csv")
        return JSONResponse(await asyncio.to_thread(st.services.remediation.regulator_report))


class RegressionRefused(HeguiError):
    """A regression check that cannot start (unknown case, unknown model); ``code`` and ``status`` as the API
    answers them."""

    def __init__(self, code: str, en: str, zh: str, *, status: int) -> None:
        self.code = code
        self.status = status
        super().__init__(en, zh)


async def run_regression(st: GatewayState, case_id: str, *, actor: str | None = None) -> RegressionResult:
    """Replay case ``case_id``'s reported prompt and its paraphrases against the upstream model itself (the
    similar-text library switched off); the case closes only when the model no longer produces the content.
    Shared by the reviewers' API and the console (``app.state.console_regression``). Raises
    :class:`RegressionRefused` (unknown case, unknown model) or the service's :class:`HeguiError`."""
    svc = st.services
    case = await asyncio.to_thread(svc.remediation.get_case, case_id)
    if case is None:
        raise RegressionRefused("case_not_found", f"no remediation case {case_id!r}", f"整改案例 {case_id!r} 不存在",
                                status=404)
    rec = await asyncio.to_thread(svc.records.get, case.request_id)
    model = (((rec or {}).get("audit") or {}).get("payload") or {}).get("model")
    if not model:
        raise RegressionRefused("model_unknown", "the reported request's model is unknown", "被举报请求的模型未知",
                                status=409)
    upstream = st.router.route(model)
    plain = Moderator([d for d in st.moderator.detectors if d.name != "similar"], st.moderator.policy)

    async def generate(prompt: str) -> str:
        answer = await upstream.chat({"model": model, "messages": [{"role": "user", "content": prompt}]})
        choices = answer.get("choices") or [{}]
        return str((choices[0].get("message") or {}).get("content") or "")

    async def still_violates(answer: str, reported: str) -> bool:
        if svc.remediation.near_duplicate(answer, reported):
            return True
        d = await plain.acheck(answer, Stage.OUTPUT)
        return d.action is Action.BLOCK

    return await svc.remediation.regression_check(case_id, generate=generate, still_violates=still_violates,
                                                  actor=actor)


def _opted_out(st: GatewayState, rec: dict[str, Any] | None) -> bool:
    """Whether the end user behind an exchange record has kept their inputs out of training (now)."""
    return end_user_opted_out(st.services, rec)


def _export(st: GatewayState) -> Any:
    """Training data for the model team; every case's opt-out is refreshed from its user first (R-SVC-06: an
    opt-out made after the report still keeps the user's prompt out)."""
    svc = st.services
    for case in svc.remediation.list_cases():
        now_out = _opted_out(st, svc.records.get(case.request_id))
        if now_out != case.end_user_opted_out:
            svc.remediation.set_opt_out(case.id, now_out)
    return svc.remediation.export_training_data()


def _page(title: str, body: str) -> str:
    return ("<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{title}</title><style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;"
            "padding:0 1rem;line-height:1.6}label{display:block;margin-top:1rem}textarea,input,select{width:100%}"
            "th{text-align:left;padding-right:1rem}.err{color:#b00}</style></head>"
            f"<body><h1>{title}</h1>{body}</body></html>")


def _form_page(error: str | None = None) -> str:
    opts = "".join(f"<option value='{html.escape(k)}'>{html.escape(zh)} / {html.escape(en)}</option>"
                   for k, (en, zh) in CATEGORIES.items())
    err = f"<p class='err' role='alert'>{html.escape(error)}</p>" if error else ""
    return _page("投诉与举报 / Complaints and reports", err + (
        "<form method='post' action='/complaints'>"
        "<label>类型 / Type<select name='kind'><option value='complaint'>投诉 / Complaint</option>"
        "<option value='report_output'>举报某条回答 / Report an answer</option>"
        "<option value='pi_request'>个人信息权利请求 / Personal-information request</option></select></label>"
        f"<label>类别 / Category<select name='category'>{opts}</select></label>"
        "<label>回答编号（可选）/ Answer's request id (optional)<input name='request_id'></label>"
        "<label>描述 / Description<textarea name='description' rows='6' required></textarea></label>"
        "<label>联系方式（可选，加密保存）/ Contact (optional, stored encrypted)<input name='contact'></label>"
        "<p><button type='submit'>提交 / Submit</button></p></form>"
        "<p><a href='/v1/hegui/complaints/process'>处理流程与时限 / Process and time limits</a></p>"))


def _ticket_page(t: Ticket) -> str:
    return _page(f"已受理 / Received: {html.escape(t.number)}",
                 f"<p>{html.escape(t.ack_zh)}</p><p>{html.escape(t.ack_en)}</p>"
                 f"<p><a href='/complaints/{html.escape(t.number)}'>查看进度 / Track this ticket</a></p>")

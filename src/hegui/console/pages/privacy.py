"""Personal-information requests of end users (access/copy, correct, supplement, delete, block): the list with
deadlines, each request with its receipt. Personal information: only admins and auditors read these pages (the
``END_USER_ROLES``); only admins act (carry a request out, or record one received by letter or phone with the
person's identity proof). Everything goes through :class:`hegui.services.privacy.PrivacyService`, which checks the
identity, writes the audit log (``privacy.opened``, ``privacy.refused``, ``privacy.completed``: ids, kinds and
counts only) and keeps the receipt.

An access request's copy of the data exists only in the answer to its execution (hegui keeps no copy): carrying
one out here downloads it as a JSON file, to be handed to the person.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response

from hegui.console.i18n import both
from hegui.console.kit import ADMIN_ROLES, PAGE, PREFIX, ConsoleKit, Ctx, Messages, form_of, page_number
from hegui.services import Services
from hegui.services.privacy import CHANGE_FIELDS, REQUEST_KINDS, IdentityProof, PrivacyError

FLASH = {"pi_executed", "pi_opened"}
FILTERS = ("open", "completed", "all")


def reload_blocked(request: Request, svc: Services) -> None:
    """After a block or a deletion: reload the gateway's in-memory matcher of blocked personal information (the
    gateway's state offers ``blocked_pi.load``; nothing happens without it)."""
    blocked = getattr(getattr(request.app.state, "hegui", None), "blocked_pi", None)
    load = getattr(blocked, "load", None)
    if callable(load):
        load(svc.privacy.blocked_terms())


def register(kit: ConsoleKit) -> None:
    app = kit.app
    kit.flash_keys |= FLASH

    def list_data(svc: Services, status: str, kind: str, page: int) -> dict[str, Any]:
        every = svc.privacy.list()
        counts = {"open": sum(1 for r in every if r.status == "open"),
                  "completed": sum(1 for r in every if r.status == "completed"), "all": len(every),
                  "overdue": sum(1 for r in every if r.overdue)}
        chosen = [r for r in every if (status == "all" or r.status == status) and (not kind or r.kind == kind)]
        if status == "open":
            chosen.sort(key=lambda r: (r.due_at, r.id))
        else:
            chosen.sort(key=lambda r: (r.created_at, r.id), reverse=True)
        return {"rows": chosen[page * PAGE:(page + 1) * PAGE], "counts": counts, "shown": status, "kind": kind,
                "page": page, "has_next": len(chosen) > (page + 1) * PAGE, "kinds": REQUEST_KINDS,
                "fields": CHANGE_FIELDS, "deadline_days": svc.privacy.rules.deadline_days}

    def list_page(ctx: Ctx, status_code: int = 200, *, messages: Messages | None = None,
                  form: dict[str, str] | None = None) -> Response:
        q = ctx.request.query_params
        status = q.get("status", "open")
        status = status if status in FILTERS else "open"
        kind = q.get("kind", "")
        kind = kind if kind in REQUEST_KINDS else ""
        data = list_data(ctx.services, status, kind, page_number(ctx.request))
        return kit.render(ctx, "privacy.html.j2", status_code, messages=messages, form=form or {},
                          can_act=ctx.has_role(ADMIN_ROLES), **data)

    @app.get(f"{PREFIX}/privacy", include_in_schema=False)
    async def privacy(ctx: Ctx = kit.eu_reader) -> Response:
        return await asyncio.to_thread(list_page, ctx)

    @app.post(f"{PREFIX}/privacy", include_in_schema=False)
    async def privacy_open(ctx: Ctx = kit.admin) -> Response:
        """Record a request received by letter, phone or at a counter, with the identity proof the person gave
        (the verified real name and ID number, or a verified SMS challenge id): the service checks it."""
        form = await form_of(ctx.request)
        kind = form.get("kind", "")
        keep = {k: form.get(k, "")[:200] for k in ("kind", "account_id", "external_id", "field")}  # no proof echoed
        changes = None
        if kind in ("correct", "supplement"):
            changes = {form.get("field", "")[:32]: form.get("value", "")[:1000]}
        proof = IdentityProof(name=form.get("name", "").strip()[:200] or None,
                              id_number=form.get("id_number", "").strip()[:64] or None,
                              otp_challenge_id=form.get("otp_challenge_id", "").strip()[:64] or None)
        account_id, external_id = form.get("account_id", "").strip()[:64], form.get("external_id", "").strip()[:200]
        if not account_id or not external_id:
            return await asyncio.to_thread(list_page, ctx, 400, messages=both("pi.err_subject", ctx.lang),
                                           form=keep)
        try:
            req = await asyncio.to_thread(ctx.services.privacy.open, kind[:16], account_id=account_id,
                                          external_id=external_id, proof=proof, changes=changes,
                                          actor=ctx.username)
        except PrivacyError as exc:
            status = 403 if exc.code == "identity_mismatch" else 400
            return await asyncio.to_thread(list_page, ctx, status, messages=kit.problem(ctx, exc), form=keep)
        return kit.redirect(ctx, f"{PREFIX}/privacy/{quote(req.id)}?done=pi_opened")

    def request_page(ctx: Ctx, request_id: str, status: int = 200, *, messages: Messages | None = None) -> Response:
        svc = ctx.services
        req = svc.privacy.get(request_id) if len(request_id) <= 32 else None
        if req is None:
            return kit.error_page(ctx, 404, "err.not_found")
        receipt = svc.privacy.receipt(req.id)
        return kit.render(ctx, "privacy_request.html.j2", status, messages=messages, r=req, receipt=receipt,
                          can_act=ctx.has_role(ADMIN_ROLES))

    @app.get(f"{PREFIX}/privacy/{{request_id}}", include_in_schema=False)
    async def privacy_request(request_id: str, ctx: Ctx = kit.eu_reader) -> Response:
        return await asyncio.to_thread(request_page, ctx, request_id)

    @app.post(f"{PREFIX}/privacy/{{request_id}}/execute", include_in_schema=False)
    async def privacy_execute(request_id: str, ctx: Ctx = kit.admin) -> Response:
        svc = ctx.services
        req = await asyncio.to_thread(svc.privacy.get, request_id) if len(request_id) <= 32 else None
        if req is None:
            return kit.error_page(ctx, 404, "err.not_found")
        if req.status != "open":
            return await asyncio.to_thread(request_page, ctx, req.id, 409,
                                           messages=both("pi.err_completed", ctx.lang))
        try:
            receipt = await asyncio.to_thread(svc.privacy.execute, req.id, actor=ctx.username)  # privacy.completed
        except PrivacyError as exc:
            return await asyncio.to_thread(request_page, ctx, req.id, 409, messages=kit.problem(ctx, exc))
        if req.kind in ("block", "delete"):
            await asyncio.to_thread(reload_blocked, ctx.request, svc)
        if req.kind == "access":  # the copy exists only in this answer: hand it to the person
            body = json.dumps(receipt.to_dict(with_export=True), ensure_ascii=False, indent=2) + "\n"
            resp = Response(body.encode("utf-8"), media_type="application/json", headers={
                "Content-Disposition": f'attachment; filename="hegui-pi-access-{req.id}.json"'})
            return kit.finish(ctx, resp)
        return kit.redirect(ctx, f"{PREFIX}/privacy/{quote(req.id)}?done=pi_executed")

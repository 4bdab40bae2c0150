"""Personal-information requests over HTTP (PIPL rights; draft Art 13, R-MEA-12), and the output filter that
keeps blocked personal information from being emitted.

``POST /v1/hegui/privacy/requests`` (the account's API key) takes ``{kind: access|correct|supplement|delete|block,
external_id, proof: {name, id_number} | {otp_challenge_id}, changes?}``. The requester's identity is checked
first (a mismatch changes nothing); the request is then carried out at once across every store and the answer
is its receipt. ``GET /v1/hegui/privacy/requests/{id}`` returns the request and its receipt.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import ahocorasick_rs
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from hegui.core.errors import HeguiError
from hegui.core.types import Action, Decision, RiskLevel
from hegui.gateway.http import api_error, json_body
from hegui.services import KeyPrincipal
from hegui.services.privacy import IdentityProof, PiRequest

if TYPE_CHECKING:
    from hegui.gateway.app import GatewayState

__all__ = ["BlockedTerms", "add_privacy_routes"]

Auth = Callable[["GatewayState", Request], Awaitable[KeyPrincipal | JSONResponse]]


class BlockedTerms:
    """Blocked personal information (names, ID numbers, phones of people who asked): found in generated text and
    masked before release. Held in memory only (the store keeps them encrypted); rebuilt after every block."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ac: Any = None
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def load(self, terms: list[str]) -> None:
        terms = sorted({t for t in terms if t and t.strip()})
        ac = ahocorasick_rs.AhoCorasick(terms) if terms else None
        with self._lock:
            self._ac, self._terms, self._n = ac, terms, len(terms)

    def mask(self, text: str) -> str | None:
        """``text`` with every blocked term masked, or None when there is none."""
        ac = self._ac
        if ac is None or not text:
            return None
        hits = ac.find_matches_as_indexes(text, overlapping=True)
        if not hits:
            return None
        chars = list(text)
        for _, start, end in hits:
            for i in range(start, end):
                chars[i] = "*"
        return "".join(chars)

    def apply(self, text: str, d: Decision) -> Decision:
        """The decision after masking blocked terms: a pass/review/redact becomes a redact of the masked text."""
        if self._ac is None or d.action is Action.BLOCK:
            return d
        base = d.replacement if d.action is Action.REDACT and d.replacement is not None else text
        masked = self.mask(base)
        if masked is None:
            return d
        cats = tuple(sorted({*d.categories, "A4.6"}))
        return Decision(Action.REDACT, max(d.risk_level, RiskLevel.MEDIUM), cats,
                        (*d.reasons, "privacy: blocked personal information masked (a PI block request)"), masked,
                        stage=d.stage, findings=d.findings, detectors_run=d.detectors_run,
                        detectors_failed=d.detectors_failed, elapsed_ms=d.elapsed_ms)


def _err(status: int, en: str, zh: str, code: str) -> JSONResponse:
    return api_error(status, en, zh, code)


def _request_json(r: PiRequest) -> dict[str, Any]:
    return {"id": r.id, "kind": r.kind, "status": r.status, "proof_method": r.proof_method,
            "created_at": r.created_at.isoformat(), "due_at": r.due_at.isoformat(),
            "completed_at": r.completed_at.isoformat() if r.completed_at else None, "overdue": r.overdue}


def add_privacy_routes(app: FastAPI, authenticate: Auth) -> None:
    @app.post("/v1/hegui/privacy/requests")
    async def open_request(request: Request) -> Response:
        st: GatewayState = request.app.state.hegui
        p = await authenticate(st, request)
        if isinstance(p, JSONResponse):
            return p
        body = await json_body(request)
        if isinstance(body, JSONResponse):
            return body
        raw_proof = body.get("proof")
        proof: dict[str, Any] = raw_proof if isinstance(raw_proof, dict) else {}
        ext = body.get("external_id")
        if not isinstance(ext, str) or not ext:
            return _err(400, "'external_id' (the end user) is required", "缺少 'external_id'（终端用户）", "invalid_field")
        changes = body.get("changes")
        svc = st.services.privacy
        try:
            req = await asyncio.to_thread(
                svc.open, str(body.get("kind", "")), account_id=p.account_id, external_id=ext,
                proof=IdentityProof(name=proof.get("name"), id_number=proof.get("id_number"),
                                    otp_challenge_id=proof.get("otp_challenge_id")),
                changes=changes if isinstance(changes, dict) else None)
            receipt = await asyncio.to_thread(svc.execute, req.id)
        except HeguiError as exc:
            code = getattr(exc, "code", "invalid")
            status = 403 if code == "identity_mismatch" else 404 if code in ("unknown_user", "unknown_request") else 400
            return _err(status, exc.en, exc.zh, code)
        if req.kind == "block" or req.kind == "delete":
            st.blocked_pi.load(await asyncio.to_thread(svc.blocked_terms))
        done = await asyncio.to_thread(svc.get, req.id)
        return JSONResponse({"request": _request_json(done or req), "receipt": receipt.to_dict()}, status_code=201)

    @app.get("/v1/hegui/privacy/requests/{request_id}")
    async def get_request(request: Request, request_id: str) -> Response:
        st: GatewayState = request.app.state.hegui
        p = await authenticate(st, request)
        if isinstance(p, JSONResponse):
            return p
        svc = st.services.privacy
        req = await asyncio.to_thread(svc.get, request_id)
        if req is None or req.account_id != p.account_id:
            return _err(404, f"no personal-information request {request_id!r}", f"个人信息请求 {request_id!r} 不存在",
                        "unknown_request")
        receipt = await asyncio.to_thread(svc.receipt, request_id)
        return JSONResponse({"request": _request_json(req),
                             "receipt": receipt.to_dict(with_export=False) if receipt else None})

"""The end-user API for the provider's apps (``/v1/hegui/users``): register users, real-name verification, phone
binding by SMS code, training opt-out, erasure, appeals, guardian settings, and the published abuse rules.

Every route but ``GET /v1/hegui/conduct/rules`` needs the account's API key; users are scoped to that account.
Answers are JSON; errors are OpenAI-style with English and Chinese in the message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from hegui.core.errors import ConfigError, HeguiError
from hegui.gateway.http import api_error, json_body
from hegui.services import KeyPrincipal, NotFound
from hegui.services.identity import OtpThrottled, SmsError, User, UserExists
from hegui.services.minors import GuardianSettings

if TYPE_CHECKING:
    from hegui.gateway.app import GatewayState

__all__ = ["add_user_routes"]

Auth = Callable[["GatewayState", Request], Awaitable[KeyPrincipal | JSONResponse]]


def _err(status: int, en: str, zh: str, code: str, *, type_: str = "invalid_request_error",
         headers: dict[str, str] | None = None) -> JSONResponse:
    return api_error(status, en, zh, code, type_=type_, headers=headers)


def _iso(ts: datetime | None) -> str | None:
    return ts.isoformat() if ts is not None else None


def _user_json(st: GatewayState, u: User) -> dict[str, Any]:
    sanction = st.services.conduct.current(u.id)
    return {
        "id": u.id, "external_id": u.external_id, "status": u.status, "verified": u.verified_at is not None,
        "verified_at": _iso(u.verified_at), "verify_method": u.verify_method, "is_minor": u.is_minor,
        "phone_verified": u.phone_verified_at is not None, "training_opt_out": u.training_opt_out,
        "created_at": _iso(u.created_at),
        "sanction": {"action": sanction.action, "until": _iso(sanction.until), "message_zh": sanction.message_zh,
                     "message_en": sanction.message_en},
    }


_body = json_body


def _str(body: dict[str, Any], key: str, *, required: bool = True, limit: int = 200) -> str | JSONResponse | None:
    v = body.get(key)
    if v is None and not required:
        return None
    if not isinstance(v, str) or not v or len(v) > limit:
        return _err(400, f"'{key}' must be a string of 1-{limit} characters", f"'{key}' 必须是 1-{limit} 个字符的字符串",
                    "invalid_field")
    return v


def add_user_routes(app: FastAPI, authenticate: Auth) -> None:
    """Register the routes on ``app`` (``authenticate`` is the gateway's key check)."""

    async def user_and_body(request: Request, external_id: str
                            ) -> tuple[GatewayState, User, dict[str, Any]] | JSONResponse:
        """The account's end user and the request's JSON body, or the error to answer with."""
        got = await principal_and_user(request, external_id)
        if isinstance(got, JSONResponse):
            return got
        body = await _body(request)
        if isinstance(body, JSONResponse):
            return body
        return got[0], got[2], body

    async def principal_and_user(request: Request, external_id: str
                                 ) -> tuple[GatewayState, KeyPrincipal, User] | JSONResponse:
        st: GatewayState = request.app.state.hegui
        p = await authenticate(st, request)
        if isinstance(p, JSONResponse):
            return p
        user = await asyncio.to_thread(st.services.users.find_user, p.account_id, external_id)
        if user is None:
            return _err(404, f"no end user '{external_id}' in this account; register it with POST /v1/hegui/users",
                        f"本账户下没有终端用户 '{external_id}'；请先用 POST /v1/hegui/users 注册", "user_not_found")
        return st, p, user

    @app.get("/v1/hegui/conduct/rules")
    async def conduct_rules(request: Request) -> JSONResponse:
        """The published abuse rules (draft Art 19, R-SVC-08): what counts, and what happens at each step."""
        st: GatewayState = request.app.state.hegui
        doc = st.services.conduct.ladder_document().to_dict()
        lim = st.settings.input_limits
        doc["input_limits"] = {
            **lim.model_dump(),
            "zh": f"连续 {lim.consecutive} 次或同一天内累计 {lim.daily} 次提交被拒绝的违法有害内容，将暂停服务 {lim.suspend_minutes} 分钟。",
            "en": f"{lim.consecutive} refused prompts in a row, or {lim.daily} in one day, suspend the service for "
                  f"{lim.suspend_minutes} minutes.",
        }
        return JSONResponse(doc)

    @app.post("/v1/hegui/users")
    async def create_user(request: Request) -> Response:
        st: GatewayState = request.app.state.hegui
        p = await authenticate(st, request)
        if isinstance(p, JSONResponse):
            return p
        body = await _body(request)
        if isinstance(body, JSONResponse):
            return body
        ext = _str(body, "external_id")
        if isinstance(ext, JSONResponse):
            return ext
        name = _str(body, "display_name", required=False)
        if isinstance(name, JSONResponse):
            return name
        assert ext is not None
        try:
            user = await asyncio.to_thread(st.services.users.create_user, p.account_id, ext, display_name=name)
        except UserExists:
            return _err(409, f"end user '{ext}' already exists", f"终端用户 '{ext}' 已存在", "user_exists")
        return JSONResponse(_user_json(st, user), status_code=201)

    @app.get("/v1/hegui/users/{external_id}")
    async def get_user(request: Request, external_id: str) -> Response:
        got = await principal_and_user(request, external_id)
        if isinstance(got, JSONResponse):
            return got
        st, _, user = got
        return JSONResponse(_user_json(st, user))

    @app.delete("/v1/hegui/users/{external_id}")
    async def delete_user(request: Request, external_id: str) -> Response:
        """Erase the user's personal data (crypto-erasure of their data key)."""
        got = await principal_and_user(request, external_id)
        if isinstance(got, JSONResponse):
            return got
        st, _, user = got
        user = await asyncio.to_thread(st.services.users.delete_subject, user.id)
        return JSONResponse({"id": user.id, "status": user.status})

    @app.post("/v1/hegui/users/{external_id}/verify")
    async def verify(request: Request, external_id: str) -> Response:
        got = await user_and_body(request, external_id)
        if isinstance(got, JSONResponse):
            return got
        st, user, body = got
        fields = [_str(body, "name", limit=64), _str(body, "id_number", limit=32),
                  _str(body, "phone", required=False, limit=32)]
        for f in fields:
            if isinstance(f, JSONResponse):
                return f
        name, id_number, phone = (f if not isinstance(f, JSONResponse) else None for f in fields)
        assert name is not None and id_number is not None
        try:
            result = await st.services.users.averify_identity(user.id, name=name, id_number=id_number, phone=phone)
        except ConfigError as exc:
            return _err(501, exc.en, exc.zh, "verification_not_configured", type_="server_error")
        out: dict[str, Any] = {"ok": result.ok, "outcome": result.outcome, "message_zh": result.zh, "message_en": result.en,
               "warnings": [w.code for w in result.warnings] if result.warnings else []}
        if result.user is not None:
            out["user"] = _user_json(st, result.user)
        return JSONResponse(out, status_code=200 if result.ok else 422)

    @app.post("/v1/hegui/users/{external_id}/phone")
    async def send_code(request: Request, external_id: str) -> Response:
        got = await user_and_body(request, external_id)
        if isinstance(got, JSONResponse):
            return got
        st, user, body = got
        phone = _str(body, "phone", limit=32)
        if isinstance(phone, JSONResponse):
            return phone
        assert phone is not None
        try:
            ch = await st.services.users.asend_otp(user.id, phone)
        except OtpThrottled as exc:
            return _err(429, exc.en, exc.zh, "otp_throttled", type_="rate_limit_error",
                        headers={"retry-after": str(exc.retry_after_s)})
        except ConfigError as exc:
            return _err(501, exc.en, exc.zh, "sms_not_configured", type_="server_error")
        except SmsError as exc:
            return _err(502, exc.en, exc.zh, "sms_failed", type_="server_error")
        except HeguiError as exc:
            return _err(422, exc.en, exc.zh, "invalid_phone")
        return JSONResponse({"challenge_id": ch.id, "expires_at": _iso(ch.expires_at)}, status_code=201)

    @app.post("/v1/hegui/otp/{challenge_id}")
    async def check_code(request: Request, challenge_id: str) -> Response:
        st: GatewayState = request.app.state.hegui
        p = await authenticate(st, request)
        if isinstance(p, JSONResponse):
            return p
        body = await _body(request)
        if isinstance(body, JSONResponse):
            return body
        code = _str(body, "code", limit=16)
        if isinstance(code, JSONResponse):
            return code
        assert code is not None
        ch = await asyncio.to_thread(st.services.users.get_challenge, challenge_id)
        owner = await asyncio.to_thread(st.services.users.get_user, ch.user_id) if ch is not None else None
        if ch is None or owner is None or owner.account_id != p.account_id:
            return _err(404, "unknown code challenge", "验证码请求不存在", "challenge_not_found")
        ok = await st.services.users.acheck_otp(challenge_id, code)
        after = await asyncio.to_thread(st.services.users.get_challenge, challenge_id)
        return JSONResponse({"ok": ok, "status": after.status if after else None,
                             "attempts_left": after.attempts_left if after else 0}, status_code=200 if ok else 422)

    @app.put("/v1/hegui/users/{external_id}/training-opt-out")
    async def opt_out(request: Request, external_id: str) -> Response:
        """One call keeps the user's inputs out of every training-data export (R-SVC-06)."""
        got = await user_and_body(request, external_id)
        if isinstance(got, JSONResponse):
            return got
        st, user, body = got
        flag = body.get("opt_out", True)
        if not isinstance(flag, bool):
            return _err(400, "'opt_out' must be true or false", "'opt_out' 必须是 true 或 false", "invalid_field")
        user = await asyncio.to_thread(st.services.users.set_training_opt_out, user.id, flag)
        return JSONResponse(_user_json(st, user))

    @app.post("/v1/hegui/users/{external_id}/appeals")
    async def appeal(request: Request, external_id: str) -> Response:
        got = await user_and_body(request, external_id)
        if isinstance(got, JSONResponse):
            return got
        st, user, body = got
        ref = _str(body, "text_ref", limit=200)
        if isinstance(ref, JSONResponse):
            return ref
        assert ref is not None
        try:
            a = await asyncio.to_thread(st.services.conduct.appeal, user.id, ref)
        except (HeguiError, NotFound) as exc:
            en, zh = (exc.en, exc.zh) if isinstance(exc, HeguiError) else (str(exc), str(exc))
            return _err(409, en, zh, "nothing_to_appeal")
        return JSONResponse({"appeal_id": a.id, "status": a.status}, status_code=201)

    @app.put("/v1/hegui/users/{external_id}/guardian")
    async def guardian(request: Request, external_id: str) -> Response:
        """A guardian's minors'-mode settings (may tighten the provider's rules, not loosen them)."""
        got = await user_and_body(request, external_id)
        if isinstance(got, JSONResponse):
            return got
        st, user, body = got
        who = _str(body, "guardian", limit=200)
        if isinstance(who, JSONResponse):
            return who
        assert who is not None
        try:
            gs = GuardianSettings.model_validate(body.get("settings") or {})
            await asyncio.to_thread(st.services.minors.set_guardian, user.id, gs, guardian=who)
        except ValidationError as exc:
            first = exc.errors()[0]
            return _err(400, f"bad guardian setting: {first['msg']}", f"监护设置有误：{first['msg']}", "invalid_field")
        except HeguiError as exc:
            return _err(422, exc.en, exc.zh, "guardian_setting_refused")
        return JSONResponse({"user": user.external_id, "guardian_settings": gs.model_dump(mode="json")})

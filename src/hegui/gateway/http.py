"""Small HTTP helpers shared by the gateway's routes: OpenAI-style errors and JSON bodies."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from hegui.gateway.openai_compat import openai_error

__all__ = ["api_error", "json_body"]


def api_error(status: int, en: str, zh: str, code: str | None, *, type_: str = "invalid_request_error",
              param: str | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    """``{"error": {"message", "type", "param", "code"}}`` with the message in English and Chinese."""
    return JSONResponse(openai_error(status, f"{en} / {zh}", type=type_, code=code, param=param),
                        status_code=status, headers=headers)


async def json_body(request: Request) -> dict[str, Any] | JSONResponse:
    """The request's JSON object (an empty body is ``{}``), or a 400 that says what is wrong."""
    try:
        body = json.loads(await request.body() or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return api_error(400, "the request body is not valid JSON", "请求体不是有效的 JSON", "invalid_json")
    if not isinstance(body, dict):
        return api_error(400, "the request body must be a JSON object", "请求体必须是 JSON 对象", "invalid_json")
    return body

"""OpenAI-compatible request validation and response shapes.

:func:`parse_chat_request` validates a ``/v1/chat/completions`` body just enough to moderate it (every text that
reaches the model is found by :meth:`ChatRequest.texts_to_check`); all other fields pass through to the upstream
untouched. Content the gateway cannot check (audio, files, unknown part types) is refused, never forwarded.
The builders make ``chat.completion``, ``chat.completion.chunk``, ``/v1/moderations`` and error objects.
"""

from __future__ import annotations

import copy
import json
import secrets
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError

from hegui.core.errors import HeguiError
from hegui.core.taxonomy import get_risk, is_risk_code
from hegui.core.types import Action, Decision

__all__ = [
    "OPENAI_MODERATION_CATEGORIES",
    "RISK_TO_OPENAI",
    "BadRequest",
    "ChatMessage",
    "ChatRequest",
    "chunk",
    "completion_id",
    "completion_response",
    "has_cjk",
    "moderation_response",
    "openai_error",
    "parse_chat_request",
]

Role = Literal["system", "developer", "user", "assistant", "tool", "function"]
ROLES: Final[tuple[str, ...]] = ("system", "developer", "user", "assistant", "tool", "function")


class BadRequest(HeguiError):
    """The request is not a valid OpenAI-compatible request (HTTP 400, ``invalid_request_error``)."""

    status = 400
    type = "invalid_request_error"

    def __init__(self, en: str, zh: str, *, param: str | None = None, code: str | None = None) -> None:
        self.param = param
        self.code = code
        super().__init__(en, zh)

    def to_openai(self, lang: str = "en") -> dict[str, Any]:
        """The OpenAI error object (message in ``lang``)."""
        return openai_error(self.status, self.message(lang), type=self.type, code=self.code, param=self.param)


def has_cjk(text: str) -> bool:
    """Whether ``text`` contains CJK ideographs."""
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\U00020000" <= ch <= "\U0002ffff"
               for ch in text)


# ------------------------------------------------------------------------------------------ the model


class ChatMessage(BaseModel):
    """One message (already checked by :func:`parse_chat_request`; extra fields are kept)."""

    model_config = ConfigDict(extra="allow")

    role: Role
    content: str | list[dict[str, Any]] | None = None
    name: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    function_call: dict[str, Any] | None = None
    tool_call_id: str | None = None
    refusal: str | None = None


class ChatRequest(BaseModel):
    """A validated chat completion request. Unknown fields are kept in ``model_extra`` and go to the upstream."""

    model_config = ConfigDict(extra="allow")

    model: str
    messages: list[ChatMessage]
    stream: bool = False
    _raw: dict[str, Any] = PrivateAttr(default_factory=dict)

    def upstream_body(self, **changes: Any) -> dict[str, Any]:
        """A deep copy of the request body as received, with ``changes`` applied (e.g. ``model=...``)."""
        body = copy.deepcopy(self._raw) if self._raw else self.model_dump(exclude_unset=True)
        body.update(changes)
        return body

    @property
    def stream_include_usage(self) -> bool:
        opts = (self.model_extra or {}).get("stream_options")
        return isinstance(opts, dict) and bool(opts.get("include_usage"))

    def texts_to_check(self, *, include_tools: bool = True) -> list[tuple[str, str]]:
        """``(role, text)`` for every text that reaches the model, in order: message contents (all roles, text
        and refusal parts of multi-part content), tool/function call names and arguments, tool outputs (JSON is
        decoded so that ``\\uXXXX`` escapes cannot hide text). With ``include_tools``, the tool definitions
        (name, description, parameter descriptions) come last with the role ``"tools"``."""
        out: list[tuple[str, str]] = []
        for m in self.messages:
            role = m.role
            decode = role in ("tool", "function")
            for text in _content_texts(m.content):
                out.append((role, _decoded(text) if decode else text))
            if m.refusal:
                out.append((role, m.refusal))
            for call in m.tool_calls or ():
                fn = call.get("function")
                if isinstance(fn, dict):
                    out.extend((role, t) for t in _call_texts(fn))
            if isinstance(m.function_call, dict):
                out.extend((role, t) for t in _call_texts(m.function_call))
        if include_tools:
            extra = self.model_extra or {}
            for key in ("tools", "functions"):
                specs = extra.get(key)
                if isinstance(specs, list):
                    for spec in specs:
                        text = "\n".join(_strings(spec))
                        if text.strip():
                            out.append(("tools", text))
        return [(r, t) for r, t in out if t.strip()]

    def last_user_text(self) -> str:
        for m in reversed(self.messages):
            if m.role == "user":
                return "\n".join(_content_texts(m.content))
        return ""

    def last_user_lang(self) -> str:
        """"zh" if the last user message contains CJK text, else "en"."""
        return "zh" if has_cjk(self.last_user_text()) else "en"


def _content_texts(content: str | list[dict[str, Any]] | None) -> Iterator[str]:
    if isinstance(content, str):
        yield content
    elif isinstance(content, list):
        for part in content:
            if part.get("type") == "text" and isinstance(part.get("text"), str):
                yield part["text"]
            elif part.get("type") == "refusal" and isinstance(part.get("refusal"), str):
                yield part["refusal"]


def _strings(value: object) -> Iterator[str]:
    """Every string (keys and values) in a JSON value, depth first."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _decoded(text: str) -> str:
    """For JSON text, its strings (decoded) one per line; other text unchanged."""
    s = text.strip()
    if not s or s[0] not in "{[\"":
        return text
    try:
        value = json.loads(s)
    except ValueError:
        return text
    return "\n".join(_strings(value))


def _call_texts(fn: Mapping[str, Any]) -> list[str]:
    out = []
    if isinstance(fn.get("name"), str):
        out.append(fn["name"])
    if isinstance(fn.get("arguments"), str):
        out.append(_decoded(fn["arguments"]))
    return out


# ------------------------------------------------------------------------------------------ validation


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "number", float: "number", str: "string", list: "array", dict: "object"}.get(
        type(value), type(value).__name__
    )


def _bad_type(param: str, expected: str, expected_zh: str, value: object) -> BadRequest:
    return BadRequest(
        f"'{param}' must be {expected}, not {_type_name(value)}",
        f"'{param}' 必须是{expected_zh}，而不是 {_type_name(value)}",
        param=param,
        code="invalid_type",
    )


def _check_parts(param: str, role: str, parts: list[Any]) -> None:
    allowed = {"text"} | ({"image_url"} if role == "user" else set()) | ({"refusal"} if role == "assistant" else set())
    for j, part in enumerate(parts):
        p = f"{param}.[{j}]"
        if not isinstance(part, dict):
            raise _bad_type(p, "an object", "对象", part)
        kind = part.get("type")
        if kind not in allowed:
            ok = ", ".join(sorted(allowed))
            raise BadRequest(
                f"'{p}.type' is {kind!r}; for role {role!r} this gateway accepts only content parts of type: {ok} "
                "(other content cannot be checked, so it is not forwarded)",
                f"'{p}.type' 为 {kind!r}；角色 {role!r} 的消息只接受以下类型的内容：{ok}（其他内容无法审核，因此不予转发）",
                param=f"{p}.type",
                code="unsupported_content_type",
            )
        if kind == "text" and not isinstance(part.get("text"), str):
            raise _bad_type(f"{p}.text", "a string", "字符串", part.get("text"))
        if kind == "refusal" and not isinstance(part.get("refusal"), str):
            raise _bad_type(f"{p}.refusal", "a string", "字符串", part.get("refusal"))
        if kind == "image_url":
            img = part.get("image_url")
            url = img.get("url") if isinstance(img, dict) else img
            if not isinstance(url, str) or not url:
                raise BadRequest(
                    f"'{p}.image_url.url' must be a non-empty string", f"'{p}.image_url.url' 必须是非空字符串",
                    param=f"{p}.image_url.url", code="invalid_type",
                )


def _check_call(param: str, fn: object) -> None:
    if not isinstance(fn, dict):
        raise _bad_type(param, "an object", "对象", fn)
    if not isinstance(fn.get("name"), str):
        raise _bad_type(f"{param}.name", "a string", "字符串", fn.get("name"))
    if "arguments" in fn and not isinstance(fn["arguments"], str):
        raise _bad_type(f"{param}.arguments", "a string (JSON text)", "字符串（JSON 文本）", fn["arguments"])


def _check_message(i: int, m: object) -> None:
    param = f"messages.[{i}]"
    if not isinstance(m, dict):
        raise _bad_type(param, "an object", "对象", m)
    role = m.get("role")
    if role not in ROLES:
        raise BadRequest(
            f"'{param}.role' is {role!r}; use one of: {', '.join(ROLES)}",
            f"'{param}.role' 为 {role!r}；可用的角色：{'、'.join(ROLES)}",
            param=f"{param}.role", code="invalid_value",
        )
    content = m.get("content")
    tool_calls = m.get("tool_calls")
    if tool_calls is not None:
        if role != "assistant":
            raise BadRequest(
                f"'{param}.tool_calls' is only allowed on assistant messages",
                f"只有 assistant 消息可以包含 '{param}.tool_calls'",
                param=f"{param}.tool_calls", code="invalid_value",
            )
        if not isinstance(tool_calls, list):
            raise _bad_type(f"{param}.tool_calls", "an array", "数组", tool_calls)
        for j, call in enumerate(tool_calls):
            if not isinstance(call, dict):
                raise _bad_type(f"{param}.tool_calls.[{j}]", "an object", "对象", call)
            _check_call(f"{param}.tool_calls.[{j}].function", call.get("function"))
    if m.get("function_call") is not None:
        _check_call(f"{param}.function_call", m.get("function_call"))
    if m.get("refusal") is not None and not isinstance(m.get("refusal"), str):
        raise _bad_type(f"{param}.refusal", "a string", "字符串", m.get("refusal"))
    if content is None:
        if role == "assistant" and (tool_calls or m.get("function_call") or m.get("refusal")):
            return
        if role == "function":
            return
        raise BadRequest(
            f"'{param}.content' is required for role {role!r} (null only on assistant messages with tool_calls)",
            f"角色 {role!r} 的消息必须包含 '{param}.content'（只有带 tool_calls 的 assistant 消息可以为 null）",
            param=f"{param}.content", code="missing_required_parameter",
        )
    if isinstance(content, list):
        _check_parts(f"{param}.content", str(role), content)
    elif not isinstance(content, str):
        raise _bad_type(f"{param}.content", "a string or an array of content parts", "字符串或内容片段数组", content)
    for key in ("name", "tool_call_id"):
        if m.get(key) is not None and not isinstance(m[key], str):
            raise _bad_type(f"{param}.{key}", "a string", "字符串", m[key])


def parse_chat_request(body: object, *, max_messages: int) -> ChatRequest:
    """Validate a ``/v1/chat/completions`` body; :class:`BadRequest` (with an OpenAI-style ``param``) if invalid."""
    if not isinstance(body, dict):
        raise BadRequest(
            f"the request body must be a JSON object, not {_type_name(body)}",
            f"请求体必须是 JSON 对象，而不是 {_type_name(body)}",
            code="invalid_body",
        )
    if "model" not in body:
        raise BadRequest("'model' is required", "缺少必填参数 'model'", param="model", code="missing_required_parameter")
    model = body["model"]
    if not isinstance(model, str):
        raise _bad_type("model", "a string", "字符串", model)
    if not model.strip():
        raise BadRequest("'model' must not be empty", "'model' 不能为空", param="model", code="invalid_value")
    if "messages" not in body:
        raise BadRequest(
            "'messages' is required", "缺少必填参数 'messages'", param="messages", code="missing_required_parameter"
        )
    messages = body["messages"]
    if not isinstance(messages, list):
        raise _bad_type("messages", "an array", "数组", messages)
    if not messages:
        raise BadRequest(
            "'messages' must contain at least one message", "'messages' 至少要包含一条消息",
            param="messages", code="empty_array",
        )
    if len(messages) > max_messages:
        raise BadRequest(
            f"'messages' has {len(messages)} messages; at most {max_messages} are allowed",
            f"'messages' 包含 {len(messages)} 条消息，最多允许 {max_messages} 条",
            param="messages", code="array_above_max_length",
        )
    for i, m in enumerate(messages):
        _check_message(i, m)
    if "stream" in body and body["stream"] is not None and not isinstance(body["stream"], bool):
        raise _bad_type("stream", "a boolean", "布尔值", body["stream"])
    for key in ("tools", "functions"):
        if body.get(key) is not None and not isinstance(body[key], list):
            raise _bad_type(key, "an array", "数组", body[key])
    data = dict(body)
    if data.get("stream") is None:
        data.pop("stream", None)
    try:
        req = ChatRequest.model_validate(data)
    except ValidationError as exc:  # should not happen after the checks above
        first = exc.errors()[0]
        param = ".".join(f"[{x}]" if isinstance(x, int) else str(x) for x in first["loc"])
        raise BadRequest(f"'{param}': {first['msg']}", f"'{param}'：{first['msg']}", param=param) from None
    req._raw = body
    return req


# ------------------------------------------------------------------------------------------ builders


def openai_error(
    status: int, message: str, *, type: str, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    """An OpenAI error body: ``{"error": {"message", "type", "param", "code"}}`` (``status`` is the HTTP status
    the caller sends it with; it is not part of the body)."""
    del status
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def completion_id() -> str:
    """A new ``chatcmpl-...`` id (also a valid GB 45438 ProduceID)."""
    return "chatcmpl-" + secrets.token_hex(12)


def completion_response(
    *,
    model: str,
    content: str | None,
    hegui: Mapping[str, Any] | None = None,
    finish_reason: str = "stop",
    id: str | None = None,
    created: int | None = None,
    usage: Mapping[str, Any] | None = None,
    tool_calls: Sequence[Mapping[str, Any]] | None = None,
    system_fingerprint: str | None = None,
) -> dict[str, Any]:
    """A ``chat.completion`` object with one choice (plus the top-level ``hegui`` object)."""
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
    if tool_calls:
        message["tool_calls"] = [dict(c) for c in tool_calls]
    out: dict[str, Any] = {
        "id": id or completion_id(),
        "object": "chat.completion",
        "created": int(time.time()) if created is None else created,
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
        "system_fingerprint": system_fingerprint,
    }
    if usage is not None:
        out["usage"] = dict(usage)
    if hegui is not None:
        out["hegui"] = dict(hegui)
    return out


def chunk(
    *,
    id: str,
    model: str,
    created: int,
    delta: Mapping[str, Any] | None,
    finish_reason: str | None = None,
    hegui: Mapping[str, Any] | None = None,
    usage: Mapping[str, Any] | None = None,
    index: int = 0,
) -> dict[str, Any]:
    """A ``chat.completion.chunk`` object. ``delta=None`` makes a choice-less chunk (e.g. the usage chunk)."""
    out: dict[str, Any] = {
        "id": id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "system_fingerprint": None,
        "choices": []
        if delta is None
        else [{"index": index, "delta": dict(delta), "logprobs": None, "finish_reason": finish_reason}],
    }
    if usage is not None:
        out["usage"] = dict(usage)
    if hegui is not None:
        out["hegui"] = dict(hegui)
    return out


# ------------------------------------------------------------------------------------------ moderations

OPENAI_MODERATION_CATEGORIES: Final[tuple[str, ...]] = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)

#: hegui risk code (or its category prefix) -> OpenAI moderation categories. Coarse by nature: TC260 risks
#: such as A1.1 (subversion) have no OpenAI counterpart and map to "illicit"; A1.6 covers both violence and
#: obscenity; privacy, commercial, quality and jailbreak risks have none (see the ``hegui`` object for those).
RISK_TO_OPENAI: Final[Mapping[str, tuple[str, ...]]] = {
    "A1.1": ("illicit",),
    "A1.2": ("illicit",),
    "A1.3": ("illicit",),
    "A1.4": ("illicit/violent", "violence"),
    "A1.5": ("hate",),
    "A1.6": ("violence", "sexual"),
    "A1.7": ("illicit",),
    "A1.8": ("illicit",),
    "A2": ("hate",),
    "A3": (),
    "A4.1": ("violence",),
    "A4.2": ("harassment",),
    "A4.3": ("harassment",),
    "A4.4": ("harassment",),
    "A4.5": (),
    "A4.6": (),
    "A4.7": (),
    "A5": (),
    "X.ABUSE.MALWARE": ("illicit",),
    "X": (),
}


def _openai_categories(code: str) -> tuple[str, ...]:
    if code in RISK_TO_OPENAI:
        return RISK_TO_OPENAI[code]
    prefix = code.split(".")[0]
    return RISK_TO_OPENAI.get(prefix, ())


def _risk_names(code: str) -> dict[str, str]:
    if is_risk_code(code):
        r = get_risk(code)
        return {"code": r.code, "zh": r.zh, "en": r.en}
    return {"code": code, "zh": code, "en": code}


def moderation_response(
    decisions: Sequence[Decision], *, model: str, id: str | None = None, request_id: str | None = None
) -> dict[str, Any]:
    """The ``/v1/moderations`` answer: one result per checked input, in OpenAI's shape, each with a ``hegui``
    object (action, risk level, hegui risk codes with names, reasons). ``flagged``: the action is not pass.
    With ``request_id``, a top-level ``hegui: {"request_id": ...}`` object is added."""
    results = []
    for d in decisions:
        flags = dict.fromkeys(OPENAI_MODERATION_CATEGORIES, False)
        scores = dict.fromkeys(OPENAI_MODERATION_CATEGORIES, 0.0)
        for code in d.categories:
            for cat in _openai_categories(code):
                flags[cat] = True
        for f in d.findings:
            for cat in _openai_categories(f.risk):
                scores[cat] = max(scores[cat], round(float(f.score), 6))
        for cat, on in flags.items():
            if on and scores[cat] == 0.0:
                scores[cat] = 1.0
        applied = {c: ["text"] for c, on in flags.items() if on}
        results.append(
            {
                "flagged": d.action is not Action.PASS,
                "categories": flags,
                "category_scores": scores,
                "category_applied_input_types": {c: applied.get(c, []) for c in OPENAI_MODERATION_CATEGORIES},
                "hegui": {
                    "action": d.action.value,
                    "risk_level": d.risk_level.value,
                    "categories": list(d.categories),
                    "risks": [_risk_names(c) for c in d.categories],
                    "reasons": list(d.reasons),
                },
            }
        )
    out: dict[str, Any] = {"id": id or "modr-" + secrets.token_hex(12), "model": model, "results": results}
    if request_id is not None:
        out["hegui"] = {"request_id": request_id}
    return out

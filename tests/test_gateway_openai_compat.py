"""OpenAI-compatible request validation and response shapes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hegui.core.types import Action, Decision, Finding, RiskLevel, Severity, Span
from hegui.gateway.openai_compat import (
    OPENAI_MODERATION_CATEGORIES,
    RISK_TO_OPENAI,
    BadRequest,
    chunk,
    completion_response,
    moderation_response,
    openai_error,
    parse_chat_request,
)


def body(**kw: Any) -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": "你好"}], **kw}


def bad(b: object, max_messages: int = 10) -> BadRequest:
    with pytest.raises(BadRequest) as ei:
        parse_chat_request(b, max_messages=max_messages)
    err = ei.value
    assert err.en and err.zh and err.en != err.zh
    return err


def test_minimal_and_passthrough() -> None:
    b = body(temperature=0.2, stream=True, stream_options={"include_usage": True}, foo={"bar": [1]})
    req = parse_chat_request(b, max_messages=10)
    assert req.model == "m" and req.stream and req.stream_include_usage
    up = req.upstream_body()
    assert up == b and up is not b
    up["foo"]["bar"].append(2)
    assert b["foo"] == {"bar": [1]}  # a deep copy
    assert req.upstream_body(model="other")["model"] == "other"
    assert req.model_extra is not None and req.model_extra["temperature"] == 0.2


@pytest.mark.parametrize(
    ("b", "param"),
    [
        ([], None),
        ("x", None),
        ({"messages": [{"role": "user", "content": "x"}]}, "model"),
        ({"model": 1, "messages": [{"role": "user", "content": "x"}]}, "model"),
        ({"model": " ", "messages": [{"role": "user", "content": "x"}]}, "model"),
        ({"model": "m"}, "messages"),
        ({"model": "m", "messages": {}}, "messages"),
        ({"model": "m", "messages": []}, "messages"),
        ({"model": "m", "messages": ["hi"]}, "messages.[0]"),
        ({"model": "m", "messages": [{"role": "robot", "content": "x"}]}, "messages.[0].role"),
        ({"model": "m", "messages": [{"content": "x"}]}, "messages.[0].role"),
        ({"model": "m", "messages": [{"role": "user"}]}, "messages.[0].content"),
        ({"model": "m", "messages": [{"role": "user", "content": 5}]}, "messages.[0].content"),
        ({"model": "m", "messages": [{"role": "user", "content": [{"type": "text"}]}]}, "messages.[0].content.[0].text"),
        ({"model": "m", "messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]},
         "messages.[0].content.[0].type"),
        ({"model": "m", "messages": [{"role": "system", "content": [{"type": "image_url", "image_url": {"url": "u"}}]}]},
         "messages.[0].content.[0].type"),
        ({"model": "m", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]},
         "messages.[0].content.[0].image_url.url"),
        ({"model": "m", "messages": [{"role": "assistant", "content": None}]}, "messages.[0].content"),
        ({"model": "m", "messages": [{"role": "user", "content": "x", "tool_calls": []}]}, "messages.[0].tool_calls"),
        ({"model": "m", "messages": [{"role": "assistant", "content": None, "tool_calls": [
            {"id": "1", "type": "function", "function": {"name": "f", "arguments": {"a": 1}}}]}]},
         "messages.[0].tool_calls.[0].function.arguments"),
        ({"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": "yes"}, "stream"),
        ({"model": "m", "messages": [{"role": "user", "content": "x"}], "tools": {}}, "tools"),
    ],
)
def test_bad_requests(b: object, param: str | None) -> None:
    err = bad(b)
    assert err.param == param
    assert err.status == 400
    o = err.to_openai("zh")
    assert o["error"]["type"] == "invalid_request_error" and o["error"]["param"] == param
    assert o["error"]["message"] == err.zh


def test_too_many_messages() -> None:
    err = bad({"model": "m", "messages": [{"role": "user", "content": "x"}] * 3}, max_messages=2)
    assert err.param == "messages" and "2" in err.en


def test_texts_to_check_covers_everything() -> None:
    b: dict[str, Any] = {
        "model": "m",
        "messages": [
            {"role": "system", "content": "系统提示"},
            {"role": "developer", "content": [{"type": "text", "text": "开发者"}]},
            {"role": "user", "content": [
                {"type": "text", "text": "看图"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                {"type": "text", "text": "第二段"},
            ]},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "c1", "type": "function",
                 "function": {"name": "search", "arguments": json.dumps({"q": "炸弹"})}}]},
            {"role": "tool", "tool_call_id": "c1", "content": json.dumps({"result": "结果文本"})},
            {"role": "function", "name": "old", "content": "旧函数输出"},
            {"role": "assistant", "content": "好的", "function_call": {"name": "f", "arguments": "{\"x\": \"参数\"}"}},
            {"role": "assistant", "content": [{"type": "refusal", "refusal": "拒绝"}]},
            {"role": "user", "content": ""},
        ],
        "tools": [{"type": "function", "function": {"name": "search", "description": "工具说明",
                                                     "parameters": {"properties": {"q": {"description": "参数说明"}}}}}],
    }
    req = parse_chat_request(b, max_messages=100)
    texts = req.texts_to_check()
    joined = "\n".join(t for _, t in texts)
    for needle in ("系统提示", "开发者", "看图", "第二段", "search", "炸弹", "结果文本", "旧函数输出", "好的", "参数",
                   "拒绝", "工具说明", "参数说明"):
        assert needle in joined, needle
    # JSON escapes are decoded: "炸弹" arrives as \\u70b8\\u5f39 in the raw arguments
    assert "\\u70b8" in b["messages"][3]["tool_calls"][0]["function"]["arguments"]
    roles = [r for r, _ in texts]
    assert roles[0] == "system" and "tool" in roles and "function" in roles and roles[-1] == "tools"
    assert all(t.strip() for _, t in texts)
    assert "tools" not in [r for r, _ in req.texts_to_check(include_tools=False)]
    assert "data:image" not in joined


def test_last_user_lang() -> None:
    zh = parse_chat_request(body(), max_messages=5)
    assert zh.last_user_lang() == "zh"
    en = parse_chat_request({"model": "m", "messages": [
        {"role": "user", "content": "你好"}, {"role": "assistant", "content": "hi"},
        {"role": "user", "content": [{"type": "text", "text": "hello"}]}]}, max_messages=5)
    assert en.last_user_lang() == "en"
    none = parse_chat_request({"model": "m", "messages": [{"role": "system", "content": "中文"}]}, max_messages=5)
    assert none.last_user_lang() == "en"


def test_openai_error_shape() -> None:
    assert openai_error(429, "slow down", type="rate_limit_error", code="rate_limited") == {
        "error": {"message": "slow down", "type": "rate_limit_error", "param": None, "code": "rate_limited"}
    }


def test_completion_and_chunk() -> None:
    r = completion_response(model="m", content="答案", hegui={"request_id": "r1"}, usage={"total_tokens": 3})
    assert r["id"].startswith("chatcmpl-") and r["object"] == "chat.completion"
    assert isinstance(r["created"], int)
    assert r["choices"][0]["message"] == {"role": "assistant", "content": "答案", "refusal": None}
    assert r["choices"][0]["finish_reason"] == "stop"
    assert r["usage"] == {"total_tokens": 3} and r["hegui"] == {"request_id": "r1"}
    r2 = completion_response(model="m", content="x", finish_reason="content_filter", id="chatcmpl-1", created=5)
    assert r2["id"] == "chatcmpl-1" and r2["created"] == 5 and "hegui" not in r2 and "usage" not in r2
    c = chunk(id="chatcmpl-1", model="m", created=5, delta={"content": "字"})
    assert c["object"] == "chat.completion.chunk"
    assert c["choices"] == [{"index": 0, "delta": {"content": "字"}, "logprobs": None, "finish_reason": None}]
    last = chunk(id="chatcmpl-1", model="m", created=5, delta={}, finish_reason="content_filter", hegui={"a": 1})
    assert last["choices"][0]["finish_reason"] == "content_filter" and last["hegui"] == {"a": 1}
    u = chunk(id="chatcmpl-1", model="m", created=5, delta=None, usage={"total_tokens": 1})
    assert u["choices"] == [] and u["usage"] == {"total_tokens": 1}


def _decision(action: Action, codes: tuple[str, ...], findings: tuple[Finding, ...] = ()) -> Decision:
    return Decision(action=action, risk_level=RiskLevel.HIGH if codes else RiskLevel.NONE, categories=codes,
                    reasons=("r",), replacement=None, findings=findings)


def test_moderation_response() -> None:
    f = Finding("classifier", "A1.4", Severity.HIGH, None, "model", score=0.93)
    g = Finding("pii", "A4.6", Severity.MEDIUM, Span(0, 3), "id_card", score=1.0)
    out = moderation_response(
        [_decision(Action.BLOCK, ("A1.4", "A4.6"), (f, g)), _decision(Action.PASS, ())], model="hegui-moderation"
    )
    assert out["id"].startswith("modr-") and out["model"] == "hegui-moderation"
    first, second = out["results"]
    assert first["flagged"] is True and second["flagged"] is False
    assert set(first["categories"]) == set(OPENAI_MODERATION_CATEGORIES) == set(first["category_scores"])
    assert first["categories"]["illicit/violent"] and first["categories"]["violence"]
    assert not first["categories"]["sexual"]
    assert first["category_scores"]["violence"] == pytest.approx(0.93)
    assert first["hegui"]["categories"] == ["A1.4", "A4.6"]
    assert first["hegui"]["action"] == "block"
    assert first["hegui"]["risks"][0]["code"] == "A1.4" and first["hegui"]["risks"][0]["zh"]
    assert not any(second["categories"].values())
    assert "hegui" not in out
    json.dumps(out)
    with_id = moderation_response([_decision(Action.PASS, ())], model="m", request_id="req-1", id="modr-1")
    assert with_id["hegui"] == {"request_id": "req-1"} and with_id["id"] == "modr-1"


def test_mapping_table_uses_openai_names_only() -> None:
    for cats in RISK_TO_OPENAI.values():
        assert set(cats) <= set(OPENAI_MODERATION_CATEGORIES)

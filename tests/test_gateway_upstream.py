"""Calling OpenAI-compatible upstreams: errors, retries, SSE parsing, routing.

Most tests use ``httpx.MockTransport``; the ``loopback`` tests run a real HTTP server (starlette under uvicorn,
in a thread on 127.0.0.1) to see real connection refusals, timeouts, cut streams and client disconnects.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from hegui.gateway.demo import DemoUpstream
from hegui.gateway.settings import Settings, UpstreamSettings
from hegui.gateway.upstream import HttpUpstream, UnknownModel, Upstream, UpstreamError, UpstreamRouter

COMPLETION = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
}


def sse(*chunks: object, done: bool = True) -> bytes:
    lines = [f"data: {json.dumps(c) if not isinstance(c, str) else c}\n\n" for c in chunks]
    if done:
        lines.append("data: [DONE]\n\n")
    return "".join(lines).encode()


def delta(text: str, finish: str | None = None) -> dict[str, Any]:
    return {"id": "c", "object": "chat.completion.chunk", "choices": [
        {"index": 0, "delta": {"content": text}, "finish_reason": finish}]}


def up_settings(**kw: Any) -> UpstreamSettings:
    base: dict[str, Any] = {"name": "vllm", "base_url": "http://upstream.test/v1", "connect_retries": 2}
    return UpstreamSettings(**{**base, **kw})


def mock(handler: Callable[[httpx.Request], httpx.Response], **kw: Any) -> HttpUpstream:
    return HttpUpstream(up_settings(**kw), transport=httpx.MockTransport(handler), retry_backoff_s=0)


def run_err(coro: Any) -> UpstreamError:
    async def go() -> None:
        await coro

    with pytest.raises(UpstreamError) as ei:
        asyncio.run(go())
    e = ei.value
    assert e.en and e.zh and e.en != e.zh
    return e


async def drain(up: Upstream, body: dict[str, Any]) -> list[dict[str, Any]]:
    return [c async for c in up.stream(body)]


# ----------------------------------------------------------------------------------------- MockTransport


def test_chat_ok_with_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UP_KEY", "sk-test")
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(200, json=COMPLETION)

    up = mock(handler, api_key_env="UP_KEY")
    out = asyncio.run(up.chat({"model": "m", "messages": [], "stream": True}))
    assert out == COMPLETION
    req = seen[0]
    assert req.method == "POST" and req.url.path == "/v1/chat/completions"
    assert req.headers["authorization"] == "Bearer sk-test"
    assert json.loads(req.content)["stream"] is False


def test_no_auth_header_without_key() -> None:
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(200, json=COMPLETION)

    asyncio.run(mock(handler).chat({"model": "m", "messages": []}))
    assert "authorization" not in seen[0].headers


@pytest.mark.parametrize("payload", [b"not json", b"[]", b'{"object": "x"}', b'{"choices": {}}'])
def test_chat_protocol_errors(payload: bytes) -> None:
    up = mock(lambda req: httpx.Response(200, content=payload))
    e = run_err(up.chat({"model": "m", "messages": []}))
    assert e.kind == "protocol" and e.upstream == "vllm"


def test_status_error_carries_upstream_message() -> None:
    long = "x" * 2000
    up = mock(lambda req: httpx.Response(500, json={"error": {"message": "CUDA out of memory " + long}}))
    e = run_err(up.chat({"model": "m", "messages": []}))
    assert e.kind == "status" and e.status == 500
    assert e.upstream_message is not None and e.upstream_message.startswith("CUDA out of memory")
    assert len(e.upstream_message) <= 500
    assert "HTTP 500" in e.en and "logs" in e.en and "日志" in e.zh


@pytest.mark.parametrize(
    ("status", "payload", "msg", "hint"),
    [
        (401, {"error": {"message": "bad key"}}, "bad key", "api_key_env"),
        (404, {"detail": "Not Found"}, "Not Found", "base_url"),
        (400, {"object": "error", "message": "context too long"}, "context too long", "parameters"),
        (429, {"error": "slow down"}, "slow down", "retry later"),
        (502, None, None, "logs"),
    ],
)
def test_status_hints(status: int, payload: Any, msg: str | None, hint: str) -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=payload) if payload else httpx.Response(status, text="<html>bad</html>")

    e = run_err(mock(handler).chat({"model": "m", "messages": []}))
    assert e.status == status and e.upstream_message == msg and hint in e.en


def test_connect_errors_are_retried() -> None:
    calls = 0

    def handler(req: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ConnectError("refused")

    e = run_err(mock(handler, connect_retries=3).chat({"model": "m", "messages": []}))
    assert e.kind == "connect" and calls == 4
    assert "4 attempts" in e.en and "is it running" in e.en


def test_connect_retry_then_success() -> None:
    calls = 0

    def handler(req: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise httpx.ConnectTimeout("slow")
        return httpx.Response(200, json=COMPLETION)

    assert asyncio.run(mock(handler).chat({"model": "m", "messages": []})) == COMPLETION
    assert calls == 3


@pytest.mark.parametrize(
    ("exc", "kind"),
    [(httpx.ReadTimeout("t"), "timeout"), (httpx.WriteTimeout("t"), "timeout"),
     (httpx.RemoteProtocolError("cut"), "closed"), (httpx.ReadError("reset"), "closed")],
)
def test_no_retry_once_sent(exc: Exception, kind: str) -> None:
    calls = 0

    def handler(req: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise exc

    e = run_err(mock(handler).chat({"model": "m", "messages": []}))
    assert e.kind == kind and calls == 1


def test_stream_parses_sse() -> None:
    seen: list[httpx.Request] = []
    body = (b": keep-alive\n\nevent: message\nid: 1\n" + sse(delta("你"), delta("好"), delta("", "stop")))

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    chunks = asyncio.run(drain(mock(handler), {"model": "m", "messages": []}))
    assert [c["choices"][0]["delta"]["content"] for c in chunks] == ["你", "好", ""]
    assert json.loads(seen[0].content)["stream"] is True
    assert seen[0].headers["accept"] == "text/event-stream"


def test_stream_stops_at_done() -> None:
    body = sse(delta("a")) + b"data: this is after DONE\n\n"
    chunks = asyncio.run(drain(mock(lambda r: httpx.Response(200, content=body)), {"messages": []}))
    assert len(chunks) == 1


def test_stream_end_without_done_after_finish_is_ok() -> None:
    body = sse(delta("a"), delta("", "stop"), done=False)
    chunks = asyncio.run(drain(mock(lambda r: httpx.Response(200, content=body)), {"messages": []}))
    assert len(chunks) == 2


def test_stream_end_without_done_or_finish_is_closed() -> None:
    body = sse(delta("a"), done=False)
    e = run_err(drain(mock(lambda r: httpx.Response(200, content=body)), {"messages": []}))
    assert e.kind == "closed"


@pytest.mark.parametrize("line", ["{not json", "[1, 2]", '{"object": "x"}'])
def test_stream_malformed(line: str) -> None:
    body = sse(delta("a"), line)
    e = run_err(drain(mock(lambda r: httpx.Response(200, content=body)), {"messages": []}))
    assert e.kind == "protocol"


def test_stream_error_object() -> None:
    body = sse(delta("a"), {"error": {"message": "overloaded"}})
    e = run_err(drain(mock(lambda r: httpx.Response(200, content=body)), {"messages": []}))
    assert e.kind == "status" and e.status is None and e.upstream_message == "overloaded"


def test_chat_error_object_with_200() -> None:
    up = mock(lambda r: httpx.Response(200, json={"error": {"message": "quota exceeded"}}))
    e = run_err(up.chat({"messages": []}))
    assert e.kind == "status" and e.status is None and e.upstream_message == "quota exceeded"


def test_stream_status_error() -> None:
    up = mock(lambda r: httpx.Response(503, json={"error": {"message": "loading"}}))
    e = run_err(drain(up, {"messages": []}))
    assert e.kind == "status" and e.status == 503 and e.upstream_message == "loading"


def test_models() -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        assert req.method == "GET" and req.url.path == "/v1/models"
        return httpx.Response(200, json={"object": "list", "data": [{"id": "a"}, {"id": "b"}, {"x": 1}]})

    assert asyncio.run(mock(handler).models()) == ["a", "b"]
    e = run_err(mock(lambda r: httpx.Response(200, json={"data": 1})).models())
    assert e.kind == "protocol"


# ----------------------------------------------------------------------------------------- router


class Fake:
    def __init__(self, name: str) -> None:
        self.name = name
        self.closed = False

    async def chat(self, body: dict[str, Any]) -> dict[str, Any]:
        return COMPLETION

    async def stream(self, body: dict[str, Any]) -> AsyncGenerator[dict[str, Any], None]:
        yield delta("x", "stop")

    async def models(self) -> list[str]:
        if self.name == "down":
            raise UpstreamError("connect", "down", "宕机", upstream=self.name)
        return ["discovered"]

    async def aclose(self) -> None:
        self.closed = True


def test_router_routes_and_catch_all() -> None:
    a, b, c = Fake("a"), Fake("b"), Fake("c")
    r = UpstreamRouter([a, b, c], {"a": ["qwen", "glm"], "b": [], "c": []})
    assert r.route("qwen") is a and r.route("glm") is a
    assert r.route("anything") is b and r.default is b
    assert r.model_ids() == ["glm", "qwen"]
    assert asyncio.run(r.discover_models()) == ["discovered", "glm", "qwen"]
    asyncio.run(r.aclose())
    assert a.closed and b.closed and c.closed


def test_router_unknown_model() -> None:
    r = UpstreamRouter([Fake("a")], {"a": ["qwen", "glm"]})
    with pytest.raises(UnknownModel) as ei:
        r.route("gpt-4o")
    assert "gpt-4o" in ei.value.en and "glm, qwen" in ei.value.en
    assert "glm、qwen" in ei.value.zh and ei.value.known == ["glm", "qwen"]
    assert asyncio.run(UpstreamRouter([Fake("down")], {}).discover_models()) == []


def test_router_bad_claims() -> None:
    with pytest.raises(ValueError):
        UpstreamRouter([Fake("a"), Fake("a")], {})
    with pytest.raises(ValueError):
        UpstreamRouter([Fake("a")], {"b": ["x"]})


def test_router_from_settings() -> None:
    demo_only = UpstreamRouter.from_settings(Settings())
    assert demo_only.model_ids() == ["hegui-demo"]
    assert isinstance(demo_only.route("hegui-demo"), DemoUpstream)
    with pytest.raises(UnknownModel):
        demo_only.route("qwen")

    s = Settings(upstreams=[up_settings(models=["qwen"]), up_settings(name="ollama", base_url="http://o.test/v1")])
    r = UpstreamRouter.from_settings(s)
    assert isinstance(r.route("qwen"), HttpUpstream) and r.route("qwen").name == "vllm"
    assert r.route("llama3").name == "ollama"
    with pytest.raises(UnknownModel):
        # no demo with real upstreams unless demo_upstream: on
        UpstreamRouter.from_settings(s.model_copy(update={"upstreams": s.upstreams[:1]})).route("hegui-demo")
    demo = DemoUpstream(name="demo")
    both = UpstreamRouter.from_settings(s.model_copy(update={"demo_upstream": "on"}), demo=demo)
    assert both.route("hegui-demo") is demo
    asyncio.run(both.aclose())
    asyncio.run(r.aclose())


# ----------------------------------------------------------------------------------------- loopback server


class ServerState:
    def __init__(self) -> None:
        self.stream_closed = threading.Event()
        self.requests = 0


STATE = ServerState()


async def chat_endpoint(request: Request) -> Response:
    STATE.requests += 1
    body = await request.json()
    model = body.get("model")
    if model == "ok":
        if body.get("stream"):
            return StreamingResponse(iter([sse(delta("hi"), delta("", "stop"))]), media_type="text/event-stream")
        return JSONResponse(COMPLETION)
    if model == "err500":
        return JSONResponse({"error": {"message": "model crashed", "type": "server_error"}}, status_code=500)
    if model == "badjson":
        return PlainTextResponse("<html>oops</html>")
    if model == "slow":
        await asyncio.sleep(3)
        return JSONResponse(COMPLETION)
    if model == "cut":
        async def cut() -> AsyncIterator[bytes]:
            yield sse(delta("part"), done=False)
            await asyncio.sleep(0.05)
            raise RuntimeError("server dies mid-stream")

        return StreamingResponse(cut(), media_type="text/event-stream")
    if model == "badline":
        return StreamingResponse(iter([sse(delta("a"), "{oops", done=False)]), media_type="text/event-stream")
    if model == "forever":
        async def forever() -> AsyncIterator[bytes]:
            try:
                while True:
                    yield sse(delta("x"), done=False)
                    await asyncio.sleep(0.02)
            finally:
                STATE.stream_closed.set()

        return StreamingResponse(forever(), media_type="text/event-stream")
    return JSONResponse({"error": {"message": f"unknown model {model}"}}, status_code=404)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    app = Starlette(routes=[Route("/v1/chat/completions", chat_endpoint, methods=["POST"])])
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="critical", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    port = srv.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/v1"
    srv.should_exit = True
    thread.join(timeout=5)


class Counting(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def real(base_url: str, **kw: Any) -> HttpUpstream:
    return HttpUpstream(up_settings(base_url=base_url, **kw), retry_backoff_s=0.01)


def test_loopback_ok(server: str) -> None:
    async def go() -> None:
        up = real(server)
        assert (await up.chat({"model": "ok", "messages": []}))["choices"]
        chunks = await drain(up, {"model": "ok", "messages": []})
        assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
        await up.aclose()

    asyncio.run(go())


def test_loopback_connection_refused_with_retries() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    counting = Counting()
    up = HttpUpstream(up_settings(base_url=f"http://127.0.0.1:{port}/v1", connect_retries=2), transport=counting,
                      retry_backoff_s=0.01)
    e = run_err(up.chat({"model": "ok", "messages": []}))
    assert e.kind == "connect" and counting.calls == 3
    assert f"127.0.0.1:{port}" in e.en and "refused" in e.en and "拒绝连接" in e.zh


def test_loopback_timeout_not_retried(server: str) -> None:
    before = STATE.requests
    up = real(server, timeout_s=0.3)
    t0 = time.monotonic()
    e = run_err(up.chat({"model": "slow", "messages": []}))
    assert e.kind == "timeout" and time.monotonic() - t0 < 2.5
    assert STATE.requests - before == 1
    assert "0.3s" in e.en and "timeout_s" in e.en


def test_loopback_500_with_error_json(server: str) -> None:
    e = run_err(real(server).chat({"model": "err500", "messages": []}))
    assert e.kind == "status" and e.status == 500 and e.upstream_message == "model crashed"


def test_loopback_malformed_json_body(server: str) -> None:
    e = run_err(real(server).chat({"model": "badjson", "messages": []}))
    assert e.kind == "protocol"


def test_loopback_stream_cut_midway(server: str) -> None:
    got: list[dict[str, Any]] = []

    async def go() -> None:
        async for c in real(server).stream({"model": "cut", "messages": []}):
            got.append(c)

    e = run_err(go())
    assert e.kind == "closed" and len(got) == 1


def test_loopback_malformed_sse_line(server: str) -> None:
    e = run_err(drain(real(server), {"model": "badline", "messages": []}))
    assert e.kind == "protocol"


def test_loopback_early_close_closes_upstream(server: str) -> None:
    STATE.stream_closed.clear()

    async def go() -> None:
        up = real(server)
        gen = up.stream({"model": "forever", "messages": []})
        for _ in range(3):
            await gen.__anext__()
        await gen.aclose()
        await up.aclose()

    asyncio.run(go())
    assert STATE.stream_closed.wait(timeout=5), "the server never saw the client go away"

"""Calling OpenAI-compatible upstreams: errors, retries, SSE parsing, routing.

Every HTTP test talks to a real server on 127.0.0.1: a scriptable starlette app (each test sets what it answers
and sees what was sent), a raw TCP server for answers no HTTP framework sends (connection cut, reset, garbage),
and a starlette app with fixed misbehaving models for real timeouts, cut streams and client disconnects.
"""

from __future__ import annotations

import asyncio
import gc
import json
import socket
import struct
import threading
import time
import warnings
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from fake_upstream import ServerThread, free_port
from hegui.gateway.demo import DemoUpstream
from hegui.gateway.settings import Settings, UpstreamSettings
from hegui.gateway.upstream import HttpUpstream, UnknownModel, Upstream, UpstreamError, UpstreamRouter, _SSEParser

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


def run_err(coro: Any) -> UpstreamError:
    async def go() -> None:
        await coro

    with pytest.raises(UpstreamError) as ei:
        asyncio.run(go())
    e = ei.value
    assert e.en and e.zh and e.en != e.zh
    return e


async def drain(up: Upstream, body: dict[str, Any]) -> list[dict[str, Any]]:
    try:
        return [c async for c in up.stream(body)]
    finally:
        await up.aclose()


async def chat_once(up: HttpUpstream, body: dict[str, Any]) -> dict[str, Any]:
    try:
        return await up.chat(body)
    finally:
        await up.aclose()


# ----------------------------------------------------------------------------------------- scripted server


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    content: bytes
    client_port: int


Handler = Callable[[Seen], Response]


class Scripted:
    """What the scripted server answers (``handler``) and what it was sent (``seen``)."""

    def __init__(self) -> None:
        self.handler: Handler = lambda seen: JSONResponse(COMPLETION)
        self.seen: list[Seen] = []
        self.url = ""

    async def endpoint(self, request: Request) -> Response:
        seen = Seen(request.method, request.url.path, dict(request.headers), await request.body(),
                    request.client.port if request.client else 0)
        self.seen.append(seen)
        return self.handler(seen)


@pytest.fixture(scope="module")
def scripted_server() -> Iterator[Scripted]:
    sc = Scripted()
    app = Starlette(routes=[Route("/{path:path}", sc.endpoint, methods=["GET", "POST"])])
    with ServerThread(app) as srv:
        sc.url = srv.url + "/v1"
        yield sc


@pytest.fixture
def mock(scripted_server: Scripted) -> Callable[..., HttpUpstream]:
    """``mock(handler, **settings)``: an upstream on the scripted server, which answers with ``handler``."""
    scripted_server.seen.clear()

    def make(handler: Handler, **kw: Any) -> HttpUpstream:
        scripted_server.handler = handler
        return HttpUpstream(up_settings(base_url=scripted_server.url, **kw), retry_backoff_s=0)

    return make


@pytest.fixture
def seen(scripted_server: Scripted) -> list[Seen]:
    return scripted_server.seen


def test_chat_ok_with_auth(monkeypatch: pytest.MonkeyPatch, mock: Callable[..., HttpUpstream],
                           seen: list[Seen]) -> None:
    monkeypatch.setenv("UP_KEY", "sk-test")
    up = mock(lambda req: JSONResponse(COMPLETION), api_key_env="UP_KEY")
    out = asyncio.run(chat_once(up, {"model": "m", "messages": [{"role": "user", "content": "你好"}], "stream": True}))
    assert out == COMPLETION
    req = seen[0]
    assert req.method == "POST" and req.path == "/v1/chat/completions"
    assert req.headers["authorization"] == "Bearer sk-test"
    assert req.headers["content-type"] == "application/json"
    assert json.loads(req.content)["stream"] is False
    # compact, UTF-8 (not \\u escapes)
    assert '"content":"你好"'.encode() in req.content and b'"stream":false' in req.content


def test_no_auth_header_without_key(mock: Callable[..., HttpUpstream], seen: list[Seen]) -> None:
    asyncio.run(chat_once(mock(lambda req: JSONResponse(COMPLETION)), {"model": "m", "messages": []}))
    assert "authorization" not in seen[0].headers


def test_proxy_environment_is_ignored(monkeypatch: pytest.MonkeyPatch, mock: Callable[..., HttpUpstream]) -> None:
    for var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(var, f"http://127.0.0.1:{free_port()}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert asyncio.run(chat_once(mock(lambda req: JSONResponse(COMPLETION)), {"messages": []})) == COMPLETION


def test_session_is_lazy_and_per_event_loop(mock: Callable[..., HttpUpstream], seen: list[Seen]) -> None:
    up = mock(lambda req: JSONResponse(COMPLETION))  # built outside any event loop
    assert up._session is None
    asyncio.run(up.aclose())  # closing an unused upstream is fine

    async def two(close: bool) -> None:
        assert await up.chat({"messages": []}) == COMPLETION
        assert await up.chat({"messages": []}) == COMPLETION
        if close:
            await up.aclose()

    asyncio.run(two(True))
    assert seen[0].client_port == seen[1].client_port  # the connection was kept and reused
    assert up._session is None
    asyncio.run(two(True))  # a new event loop gets a new session
    assert seen[2].client_port != seen[1].client_port
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        asyncio.run(two(False))  # not closed in its loop: dropped (GC warns) when another loop uses the upstream
        asyncio.run(two(True))
        gc.collect()
    assert seen[-1].client_port != seen[-3].client_port


@pytest.mark.parametrize("payload", [b"not json", b"[]", b'{"object": "x"}', b'{"choices": {}}'])
def test_chat_protocol_errors(payload: bytes, mock: Callable[..., HttpUpstream]) -> None:
    up = mock(lambda req: Response(payload))
    e = run_err(chat_once(up, {"model": "m", "messages": []}))
    assert e.kind == "protocol" and e.upstream == "vllm"


def test_status_error_carries_upstream_message(mock: Callable[..., HttpUpstream]) -> None:
    long = "x" * 2000
    up = mock(lambda req: JSONResponse({"error": {"message": "CUDA out of memory " + long}}, status_code=500))
    e = run_err(chat_once(up, {"model": "m", "messages": []}))
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
        (302, None, None, "configuration"),  # redirects are not followed
    ],
)
def test_status_hints(status: int, payload: Any, msg: str | None, hint: str,
                      mock: Callable[..., HttpUpstream]) -> None:
    def handler(req: Seen) -> Response:
        if payload:
            return JSONResponse(payload, status_code=status)
        return PlainTextResponse("<html>bad</html>", status_code=status, headers={"location": "/elsewhere"})

    e = run_err(chat_once(mock(handler), {"model": "m", "messages": []}))
    assert e.status == status and e.upstream_message == msg and hint in e.en


def test_stream_parses_sse(mock: Callable[..., HttpUpstream], seen: list[Seen]) -> None:
    body = (b": keep-alive\n\nevent: message\nid: 1\n" + sse(delta("你"), delta("好"), delta("", "stop")))
    up = mock(lambda req: Response(body, media_type="text/event-stream"))
    chunks = asyncio.run(drain(up, {"model": "m", "messages": []}))
    assert [c["choices"][0]["delta"]["content"] for c in chunks] == ["你", "好", ""]
    assert json.loads(seen[0].content)["stream"] is True
    assert seen[0].headers["accept"] == "text/event-stream"


def test_stream_split_across_reads(mock: Callable[..., HttpUpstream]) -> None:
    """Every byte in its own write (a multi-byte character, CRLFs and the JSON all split), CRLF line ends."""
    body = sse(delta("你好"), delta("", "stop")).replace(b"\n", b"\r\n")

    async def bytewise() -> AsyncIterator[bytes]:
        for i in range(len(body)):
            yield body[i:i + 1]
            if i % 7 == 0:
                await asyncio.sleep(0.001)

    up = mock(lambda req: StreamingResponse(bytewise(), media_type="text/event-stream"))
    chunks = asyncio.run(drain(up, {"messages": []}))
    assert [c["choices"][0]["delta"]["content"] for c in chunks] == ["你好", ""]


def test_stream_stops_at_done(mock: Callable[..., HttpUpstream]) -> None:
    body = sse(delta("a")) + b"data: this is after DONE\n\n"
    chunks = asyncio.run(drain(mock(lambda r: Response(body)), {"messages": []}))
    assert len(chunks) == 1


def test_stream_end_without_done_after_finish_is_ok(mock: Callable[..., HttpUpstream]) -> None:
    body = sse(delta("a"), delta("", "stop"), done=False)
    chunks = asyncio.run(drain(mock(lambda r: Response(body)), {"messages": []}))
    assert len(chunks) == 2


def test_stream_last_event_without_newline(mock: Callable[..., HttpUpstream]) -> None:
    body = sse(delta("a"), done=False) + b"data:[DONE]"
    assert len(asyncio.run(drain(mock(lambda r: Response(body)), {"messages": []}))) == 1


def test_stream_end_without_done_or_finish_is_closed(mock: Callable[..., HttpUpstream]) -> None:
    body = sse(delta("a"), done=False)
    e = run_err(drain(mock(lambda r: Response(body)), {"messages": []}))
    assert e.kind == "closed"


@pytest.mark.parametrize("line", ["{not json", "[1, 2]", '{"object": "x"}'])
def test_stream_malformed(line: str, mock: Callable[..., HttpUpstream]) -> None:
    body = sse(delta("a"), line)
    e = run_err(drain(mock(lambda r: Response(body)), {"messages": []}))
    assert e.kind == "protocol"


def test_stream_error_object(mock: Callable[..., HttpUpstream]) -> None:
    body = sse(delta("a"), {"error": {"message": "overloaded"}})
    e = run_err(drain(mock(lambda r: Response(body)), {"messages": []}))
    assert e.kind == "status" and e.status is None and e.upstream_message == "overloaded"


def test_chat_error_object_with_200(mock: Callable[..., HttpUpstream]) -> None:
    up = mock(lambda r: JSONResponse({"error": {"message": "quota exceeded"}}))
    e = run_err(chat_once(up, {"messages": []}))
    assert e.kind == "status" and e.status is None and e.upstream_message == "quota exceeded"


def test_stream_status_error(mock: Callable[..., HttpUpstream]) -> None:
    up = mock(lambda r: JSONResponse({"error": {"message": "loading"}}, status_code=503))
    e = run_err(drain(up, {"messages": []}))
    assert e.kind == "status" and e.status == 503 and e.upstream_message == "loading"


def test_models(mock: Callable[..., HttpUpstream], seen: list[Seen]) -> None:
    async def models(up: HttpUpstream) -> list[str]:
        try:
            return await up.models()
        finally:
            await up.aclose()

    up = mock(lambda r: JSONResponse({"object": "list", "data": [{"id": "a"}, {"id": "b"}, {"x": 1}]}))
    assert asyncio.run(models(up)) == ["a", "b"]
    assert seen[0].method == "GET" and seen[0].path == "/v1/models"
    e = run_err(models(mock(lambda r: JSONResponse({"data": 1}))))
    assert e.kind == "protocol"


# ----------------------------------------------------------------------------------------- SSE parser


def parse_all(pieces: list[bytes]) -> list[str]:
    p = _SSEParser()
    out: list[str] = []
    for piece in pieces:
        out += p.feed(piece)
    return out + p.close()


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"])
def test_sse_parser_line_ends_and_fields(eol: bytes) -> None:
    text = eol.join([
        b": comment", b"event: message", b"id: 7", b"retry: 100", b"data: one", b"",
        b"data:two", b"data:  three", b"data", b"data: four", b"", b"", b"x: y", "data: 五".encode(), b"", b"",
    ])
    events = ["one", "two\n three\n\nfour", "五"]
    assert parse_all([text]) == events
    assert parse_all([text[i:i + 1] for i in range(len(text))]) == events  # byte by byte


def test_sse_parser_end_of_stream() -> None:
    assert parse_all([b"data: a\n\ndata: b"]) == ["a", "b"]
    assert parse_all([b"data: a\n\ndata: b\n"]) == ["a", "b"]
    assert parse_all([b"data: a\r"]) == ["a"]
    assert parse_all([b": only a comment\n\n"]) == []


# ----------------------------------------------------------------------------------------- connection failures


class CountingBackoff(HttpUpstream):
    """Counts the waits between connection attempts; ``on_backoff(n)`` runs at the n-th wait."""

    def __init__(self, *a: Any, on_backoff: Callable[[int], None] | None = None, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.backoffs = 0
        self.on_backoff = on_backoff

    async def _backoff(self, attempts: int) -> None:
        self.backoffs += 1
        if self.on_backoff is not None:
            self.on_backoff(attempts)
        await super()._backoff(attempts)


def test_connect_errors_are_retried() -> None:
    port = free_port()  # nothing listens there
    up = CountingBackoff(up_settings(base_url=f"http://127.0.0.1:{port}/v1", connect_retries=3), retry_backoff_s=0)
    e = run_err(chat_once(up, {"model": "m", "messages": []}))
    assert e.kind == "connect" and up.backoffs == 3
    assert "4 attempts" in e.en and "is it running" in e.en and "4 次" in e.zh
    assert f"127.0.0.1:{port}" in e.en and "refused" in e.en and "拒绝连接" in e.zh


def test_connect_retry_then_success() -> None:
    port = free_port()
    servers: list[ServerThread] = []

    def start(attempts: int) -> None:
        if attempts == 2:  # two refused attempts, then the server is up
            app = Starlette(routes=[Route("/v1/chat/completions", lambda r: JSONResponse(COMPLETION),
                                          methods=["POST"])])
            servers.append(ServerThread(app, port=port).__enter__())

    up = CountingBackoff(up_settings(base_url=f"http://127.0.0.1:{port}/v1", connect_retries=2),
                         retry_backoff_s=0, on_backoff=start)
    try:
        assert asyncio.run(chat_once(up, {"model": "m", "messages": []})) == COMPLETION
    finally:
        for s in servers:
            s.__exit__()
    assert up.backoffs == 2


def _unaccepting_listener() -> tuple[socket.socket, list[socket.socket]]:
    """A listening socket whose accept queue is full: Linux drops further SYNs, so connecting times out."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(0)
    fillers: list[socket.socket] = []
    for _ in range(8):
        c = socket.socket()
        c.settimeout(0.2)
        fillers.append(c)
        try:
            c.connect(lsock.getsockname())
        except (TimeoutError, OSError):
            return lsock, fillers
    for s in [lsock, *fillers]:
        s.close()
    pytest.skip("could not fill the accept queue on this platform")


def test_connect_timeout_is_retried() -> None:
    lsock, fillers = _unaccepting_listener()
    try:
        port = lsock.getsockname()[1]
        up = CountingBackoff(up_settings(base_url=f"http://127.0.0.1:{port}/v1", connect_retries=1,
                                         connect_timeout_s=0.2), retry_backoff_s=0)
        t0 = time.monotonic()
        e = run_err(chat_once(up, {"model": "m", "messages": []}))
        assert time.monotonic() - t0 < 3
    finally:
        for s in [lsock, *fillers]:
            s.close()
    assert e.kind == "connect" and up.backoffs == 1
    assert "within 0.2s after 2 attempts" in e.en and "0.2 秒内未接受连接" in e.zh


class RawServer:
    """A TCP server on 127.0.0.1 that reads one HTTP request per connection, counts it, then misbehaves:
    ``close`` (no answer), ``reset`` (TCP RST), ``partial`` (headers, then half the body), ``garbage``."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.requests = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    part = conn.recv(65536)
                    if not part:
                        break
                    data += part
                head, _, body = data.partition(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                while len(body) < length:
                    part = conn.recv(65536)
                    if not part:
                        break
                    body += part
                self.requests += 1
                if self.behaviour == "reset":
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                elif self.behaviour == "partial":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                                 b'{"choices": [')
                elif self.behaviour == "garbage":
                    conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")

    def close(self) -> None:
        self.sock.close()


@pytest.mark.parametrize("behaviour", ["close", "reset", "partial", "garbage"])
@pytest.mark.parametrize("streaming", [False, True])
def test_no_retry_once_sent(behaviour: str, streaming: bool) -> None:
    srv = RawServer(behaviour)
    try:
        up = CountingBackoff(up_settings(base_url=srv.url, connect_retries=3), retry_backoff_s=0)
        e = run_err(drain(up, {"messages": []}) if streaming else chat_once(up, {"messages": []}))
    finally:
        srv.close()
    assert e.kind == "closed" and srv.requests == 1 and up.backoffs == 0


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


# ----------------------------------------------------------------------------------------- misbehaving models


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
    if model == "slowstream":
        async def stalls() -> AsyncIterator[bytes]:
            yield sse(delta("a"), done=False)
            await asyncio.sleep(3)
            yield sse(delta("", "stop"))

        return StreamingResponse(stalls(), media_type="text/event-stream")
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
    with ServerThread(app) as srv:
        yield srv.url + "/v1"


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


def test_loopback_timeout_not_retried(server: str) -> None:
    before = STATE.requests
    up = real(server, timeout_s=0.3)
    t0 = time.monotonic()
    e = run_err(chat_once(up, {"model": "slow", "messages": []}))
    assert e.kind == "timeout" and time.monotonic() - t0 < 2.5
    assert STATE.requests - before == 1
    assert "0.3s" in e.en and "timeout_s" in e.en


def test_loopback_stream_stall_is_a_timeout(server: str) -> None:
    got: list[dict[str, Any]] = []

    async def go() -> None:
        up = real(server, timeout_s=0.3)
        try:
            async for c in up.stream({"model": "slowstream", "messages": []}):
                got.append(c)
        finally:
            await up.aclose()

    t0 = time.monotonic()
    e = run_err(go())
    assert e.kind == "timeout" and len(got) == 1 and time.monotonic() - t0 < 2.5


def test_loopback_500_with_error_json(server: str) -> None:
    e = run_err(chat_once(real(server), {"model": "err500", "messages": []}))
    assert e.kind == "status" and e.status == 500 and e.upstream_message == "model crashed"


def test_loopback_malformed_json_body(server: str) -> None:
    e = run_err(chat_once(real(server), {"model": "badjson", "messages": []}))
    assert e.kind == "protocol"


def test_loopback_stream_cut_midway(server: str) -> None:
    got: list[dict[str, Any]] = []

    async def go() -> None:
        up = real(server)
        try:
            async for c in up.stream({"model": "cut", "messages": []}):
                got.append(c)
        finally:
            await up.aclose()

    e = run_err(go())
    assert e.kind == "closed" and len(got) == 1
    assert "mid-stream" in e.en


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
        # the server notices before the session is closed: closing the generator closed the response
        for _ in range(250):
            if STATE.stream_closed.is_set():
                break
            await asyncio.sleep(0.02)
        await up.aclose()

    asyncio.run(go())
    assert STATE.stream_closed.is_set(), "the server never saw the client go away"

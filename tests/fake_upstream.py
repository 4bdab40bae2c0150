"""A fake OpenAI-compatible upstream on loopback, for the gateway tests and the gateway benchmark.

What it answers is set by the request:

- the answer text: ``canned[key]`` when the last user message contains ``key``; else the message after ``SAY:`` (verbatim), or after ``SAYHEX:`` (UTF-8 in hex, so a
  harmful answer can be asked for without the prompt itself being harmful), else ``好的，这是一个普通的回答。``;
- the behaviour, by model name: ``fake`` (normal), ``fake-500`` (HTTP 500 with an OpenAI error), ``fake-badjson``
  (200 with a body that is not JSON), ``fake-broken`` (the stream or body is cut off mid-way), ``fake-badsse``
  (a malformed SSE data line), ``fake-slow`` (answers after ``slow_s`` seconds), ``fake-tool`` (answers with a
  tool call whose arguments are the answer text);
- streamed answers come in pieces of ``chunk_chars`` characters (default 3), so words are split across chunks.

Every request body it receives is kept in ``received`` (tests assert what reached the model).
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

DEFAULT_ANSWER = "好的，这是一个普通的回答。"


class FakeUpstream:
    def __init__(self, *, chunk_chars: int = 3, latency_s: float = 0.0, slow_s: float = 5.0,
                 chunk_delay_s: float = 0.0, keep_requests: bool = True) -> None:
        self.received: list[dict[str, Any]] = []
        self.canned: dict[str, str] = {}  # a prompt containing the key gets the value as its answer
        self.keep_requests = keep_requests
        self.chunk_delay_s = chunk_delay_s
        self.chunk_chars = chunk_chars
        self.latency_s = latency_s
        self.slow_s = slow_s
        self.streams_closed_early = 0
        self.app = Starlette(routes=[
            Route("/v1/chat/completions", self.chat, methods=["POST"]),
            Route("/v1/models", self.models, methods=["GET"]),
        ])

    async def models(self, request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": "fake", "object": "model"}]})

    def answer_for(self, body: dict[str, Any]) -> str:
        for m in reversed(body.get("messages") or []):
            if m.get("role") == "user" and isinstance(m.get("content"), str):
                c = m["content"]
                for key, answer in self.canned.items():
                    if key in c:
                        return answer
                if c.startswith("SAYHEX:"):
                    return bytes.fromhex(c[7:]).decode("utf-8")
                return c[4:] if c.startswith("SAY:") else DEFAULT_ANSWER
        return DEFAULT_ANSWER

    async def chat(self, request: Request) -> Response:
        body = await request.json()
        if self.keep_requests:
            self.received.append(body)
        model = body.get("model", "fake")
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        if model == "fake-slow":
            await asyncio.sleep(self.slow_s)
        if model == "fake-500":
            return JSONResponse({"error": {"message": "the model crashed", "type": "server_error"}}, status_code=500)
        if model == "fake-badjson":
            return Response(b'{"id": "x", "choices": [', media_type="application/json")
        text = self.answer_for(body)
        if body.get("stream"):
            return StreamingResponse(self._events(body, text), media_type="text/event-stream")
        if model == "fake-broken":
            return Response(b'{"id": "chatcmpl-1", "object": "chat.completion", "choi', media_type="application/json")
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if model == "fake-tool":
            message = {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": text}}]}
        return JSONResponse({
            "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
            "usage": {"prompt_tokens": 5, "completion_tokens": len(text), "total_tokens": 5 + len(text)},
        })

    async def _events(self, body: dict[str, Any], text: str) -> Any:
        model = body.get("model", "fake")

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            obj = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": model,
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            return b"data: " + json.dumps(obj, ensure_ascii=False).encode() + b"\n\n"

        completed = False
        try:
            yield chunk({"role": "assistant", "content": ""})
            pieces = [text[i:i + self.chunk_chars] for i in range(0, len(text), self.chunk_chars)]
            for n, piece in enumerate(pieces):
                if model == "fake-broken" and n == len(pieces) // 2:
                    raise RuntimeError("cut the stream")  # uvicorn drops the connection mid-body
                if model == "fake-badsse" and n == 1:
                    yield b"data: {not json\n\n"
                yield chunk({"content": piece})
                await asyncio.sleep(self.chunk_delay_s)
            yield chunk({}, "stop")
            yield b"data: [DONE]\n\n"
            completed = True
        finally:
            if not completed and model not in ("fake-broken", "fake-badsse"):
                self.streams_closed_early += 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerThread:
    """Runs an ASGI app with uvicorn on 127.0.0.1 in a background thread."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        self.port = port or free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error", access_log=False,
                                lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("server thread died while starting")
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start within 60 s")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def main(argv: list[str] | None = None) -> None:
    """Run the fake upstream as its own process (the gateway benchmark does)."""
    import argparse

    ap = argparse.ArgumentParser(description="fake OpenAI-compatible upstream on loopback")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--latency-ms", type=float, default=0.0, help="fixed delay before each answer")
    ap.add_argument("--chunk-delay-ms", type=float, default=0.0, help="delay between streamed chunks")
    ap.add_argument("--chunk-chars", type=int, default=3)
    a = ap.parse_args(argv)
    fake = FakeUpstream(chunk_chars=a.chunk_chars, latency_s=a.latency_ms / 1000.0,
                        chunk_delay_s=a.chunk_delay_ms / 1000.0, keep_requests=False)
    uvicorn.run(fake.app, host="127.0.0.1", port=a.port, log_level="error", access_log=False)


if __name__ == "__main__":
    main()

"""Calling OpenAI-compatible upstream servers (vLLM, Ollama, DeepSeek, ...).

:class:`HttpUpstream` talks to one server over one shared ``aiohttp.ClientSession``; :class:`UpstreamRouter` picks
the upstream that serves a model. Every failure is an :class:`UpstreamError` whose ``kind`` says what went wrong
(``connect``, ``timeout``, ``status``, ``protocol``, ``closed``) and whose message (English and Chinese) says what
to do next. Prompts and answers are never logged and never put into error messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

import aiohttp
from yarl import URL

from hegui.core.errors import HeguiError
from hegui.gateway.settings import Settings, UpstreamSettings

if TYPE_CHECKING:
    from hegui.gateway.demo import DemoUpstream

__all__ = [
    "HttpUpstream",
    "UnknownModel",
    "Upstream",
    "UpstreamError",
    "UpstreamErrorKind",
    "UpstreamRouter",
]

UpstreamErrorKind = Literal["connect", "timeout", "status", "protocol", "closed"]

_MAX_UPSTREAM_MESSAGE = 500
_MAX_ERROR_BODY = 64 * 1024


class UpstreamError(HeguiError):
    """An upstream model server could not be reached or answered badly.

    ``kind``: ``connect`` (never reached it; the request was not sent), ``timeout`` (no answer in time),
    ``status`` (it answered with an HTTP error, ``status`` holds the code; or it sent an error object mid-stream),
    ``protocol`` (the answer is not valid OpenAI-compatible JSON/SSE), ``closed`` (the connection was cut).
    """

    def __init__(
        self,
        kind: UpstreamErrorKind,
        en: str,
        zh: str,
        *,
        upstream: str,
        status: int | None = None,
        upstream_message: str | None = None,
    ) -> None:
        self.kind: UpstreamErrorKind = kind
        self.status = status
        self.upstream = upstream
        self.upstream_message = upstream_message
        super().__init__(en, zh)


class UnknownModel(HeguiError):
    """No configured upstream serves the requested model."""

    def __init__(self, model: str, known: Sequence[str]) -> None:
        self.model = model
        self.known = list(known)
        listed = ", ".join(self.known) if self.known else "(none)"
        listed_zh = "、".join(self.known) if self.known else "（无）"
        super().__init__(
            f"model {model!r} is not served by this gateway; known models: {listed}. "
            "Use one of them, or add it to an upstream's `models` in the config.",
            f"本网关不提供模型 {model!r}；可用模型：{listed_zh}。请改用其中之一，或在配置中把它加入某个上游的 `models`。",
        )


@runtime_checkable
class Upstream(Protocol):
    """An OpenAI-compatible chat model the gateway forwards (checked) requests to."""

    name: str

    async def chat(self, body: dict[str, Any]) -> dict[str, Any]:
        """Non-streaming chat completion: the parsed ``chat.completion`` object (has a ``choices`` list)."""
        ...

    def stream(self, body: dict[str, Any]) -> AsyncGenerator[dict[str, Any], None]:
        """Streaming chat completion: each parsed SSE ``data:`` chunk until ``[DONE]``.

        Close it early with ``await gen.aclose()`` (or ``contextlib.aclosing``): the upstream response is closed.
        """
        ...

    async def models(self) -> list[str]:
        """The model ids the upstream reports (``GET /models``)."""
        ...

    async def images(self, body: dict[str, Any]) -> dict[str, Any]:
        """Image generation (``POST /images/generations``): the parsed answer (has a ``data`` list)."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


# --------------------------------------------------------------------------------------------- helpers


def _truncate(text: str, limit: int = _MAX_UPSTREAM_MESSAGE) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _error_message(body: bytes) -> str | None:
    """The upstream's own error message from an OpenAI-style (or vLLM/FastAPI-style) error body."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    msg: object = None
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict):
            msg = err.get("message")
        elif isinstance(err, str):
            msg = err
        if msg is None:
            msg = data.get("message")
        if msg is None and isinstance(data.get("detail"), str):
            msg = data["detail"]
    if isinstance(msg, str) and msg.strip():
        return _truncate(" ".join(msg.split()))
    return None


_STATUS_HINTS: dict[int, tuple[str, str]] = {
    400: ("the upstream rejected the request; check the request parameters", "上游拒绝了请求；请检查请求参数"),
    401: ("check the upstream's API key (the environment variable named by `api_key_env`)",
          "请检查上游的 API 密钥（`api_key_env` 指定的环境变量）"),
    403: ("check the upstream's API key and its permissions", "请检查上游的 API 密钥及其权限"),
    404: ("check `base_url` (usually ends in /v1) and the model name", "请检查 `base_url`（通常以 /v1 结尾）和模型名称"),
    408: ("the upstream timed out; retry later", "上游超时；请稍后重试"),
    413: ("the request is too large for the upstream; shorten it", "请求超出上游限制；请缩短内容"),
    429: ("the upstream is rate-limiting or out of quota; retry later", "上游限流或额度不足；请稍后重试"),
}


def _status_hint(status: int) -> tuple[str, str]:
    if status in _STATUS_HINTS:
        return _STATUS_HINTS[status]
    if status >= 500:
        return ("the upstream failed; check its logs, or retry later", "上游内部出错；请查看其日志或稍后重试")
    return ("check the upstream's configuration", "请检查上游配置")


_JSON_HEADERS = {"Content-Type": "application/json"}
_SSE_HEADERS = {"Content-Type": "application/json", "Accept": "text/event-stream"}
# Idle connections are dropped before the usual server-side keep-alive timeout (uvicorn, hence vLLM: 5 s), so a
# request is not sent on a connection the server is closing.
_KEEPALIVE_S = 4.0
_TIMEOUT_ERRORS = (TimeoutError,)  # asyncio.TimeoutError and aiohttp's timeout errors are TimeoutError


def _dumps(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


class _SSEParser:
    """Incremental Server-Sent Events parser: bytes in, the ``data`` of each complete event out.

    Lines may end in LF, CRLF or CR and may be split across network reads; ``data:`` with or without a space;
    ``:`` comments and other fields (``event``, ``id``, ``retry``) are ignored; the ``data`` lines of one event are
    joined with ``\\n``; an event ends at a blank line (or at the end of the stream, see :meth:`close`).
    """

    __slots__ = ("_buf", "_data", "_skip_lf")

    def __init__(self) -> None:
        self._buf = b""
        self._data: list[str] = []
        self._skip_lf = False

    def feed(self, chunk: bytes) -> list[str]:
        if self._skip_lf:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        buf = self._buf + chunk if self._buf else chunk
        if b"\r" in buf:
            self._skip_lf = buf[-1:] == b"\r"  # a CRLF may be split across reads
            buf = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = buf.split(b"\n")
        self._buf = lines.pop()
        return self._lines(lines)

    def close(self) -> list[str]:
        """End of stream: a last line without a newline and an event without its blank line still count."""
        lines = [self._buf] if self._buf else []
        self._buf = b""
        lines.append(b"")
        return self._lines(lines)

    def _lines(self, lines: list[bytes]) -> list[str]:
        events: list[str] = []
        data = self._data
        for raw in lines:
            if not raw:
                if data:
                    events.append("\n".join(data))
                    data.clear()
                continue
            if raw.startswith(b"data:"):
                value = raw[5:]
                if value[:1] == b" ":
                    value = value[1:]
                data.append(value.decode("utf-8", "replace"))
            elif raw == b"data":
                data.append("")
            # ": comments", event:, id:, retry:, unknown fields: ignored
        return events


# ----------------------------------------------------------------------------------------------- HTTP


class HttpUpstream:
    """An OpenAI-compatible server reached over HTTP(S), with one shared connection pool.

    The ``aiohttp.ClientSession`` is created on first use, inside the running event loop (the object itself may
    be built outside one). Timeouts: ``connect_timeout_s`` to connect, ``timeout_s`` for each read (and for
    waiting for a free connection when ``max_connections`` are busy). Connection failures (refused, DNS, connect
    timeout) are retried ``connect_retries`` times with a short backoff; nothing is retried once the request may
    have reached the upstream.
    """

    def __init__(self, settings: UpstreamSettings, *, retry_backoff_s: float = 0.2) -> None:
        self.name = settings.name
        self.settings = settings
        self.base_url = settings.base_url
        self.retry_backoff_s = retry_backoff_s
        self._headers = {"Accept": "application/json"}
        key = settings.api_key()
        if key:
            self._headers["Authorization"] = f"Bearer {key}"
        self._chat_url = URL(settings.base_url + "/chat/completions")
        self._models_url = URL(settings.base_url + "/models")
        self._images_url = URL(settings.base_url + "/images/generations")
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"HttpUpstream(name={self.name!r}, base_url={self.base_url!r})"

    def _client(self) -> aiohttp.ClientSession:
        """The session, created in (and bound to) the running event loop on first use."""
        loop = asyncio.get_running_loop()
        session = self._session
        if session is None or session.closed or self._loop is not loop:
            s = self.settings
            connector = aiohttp.TCPConnector(limit=s.max_connections, keepalive_timeout=_KEEPALIVE_S)
            session = aiohttp.ClientSession(
                connector=connector,
                headers=self._headers,
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    connect=s.timeout_s + s.connect_timeout_s,  # waiting for a free pooled connection, then connecting
                    sock_connect=s.connect_timeout_s,
                    sock_read=s.timeout_s,
                ),
                trust_env=False,
                raise_for_status=False,
                # no cookies: one session serves every end user, and a cookie the upstream set in answer to one
                # user's request must not travel with the next user's (it also saves the jar's work per request)
                cookie_jar=aiohttp.DummyCookieJar(),
            )
            self._session, self._loop = session, loop
        return session

    # errors

    def _where(self) -> str:
        return f"upstream {self.name!r} ({self.base_url})"

    def _where_zh(self) -> str:
        return f"上游 {self.name!r}（{self.base_url}）"

    def _connect_error(self, exc: BaseException, attempts: int) -> UpstreamError:
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        tries_zh = f"（已尝试 {attempts} 次）" if attempts > 1 else ""
        if isinstance(exc, _TIMEOUT_ERRORS):
            return UpstreamError(
                "connect",
                f"{self._where()} did not accept the connection within {self.settings.connect_timeout_s:g}s{tries}; "
                "is it running and reachable?",
                f"{self._where_zh()} 在 {self.settings.connect_timeout_s:g} 秒内未接受连接{tries_zh}；请确认它已启动且网络可达",
                upstream=self.name,
            )
        cause = getattr(exc, "os_error", None)
        what = type(cause if isinstance(cause, BaseException) else exc).__name__
        return UpstreamError(
            "connect",
            f"{self._where()} refused the connection{tries} ({what}); is it running? "
            "Check `base_url` in the config.",
            f"{self._where_zh()} 拒绝连接{tries_zh}（{what}）；它是否已启动？请检查配置中的 `base_url`",
            upstream=self.name,
        )

    def _transport_error(self, exc: BaseException, *, streaming: bool = False) -> UpstreamError:
        if isinstance(exc, _TIMEOUT_ERRORS):
            return UpstreamError(
                "timeout",
                f"{self._where()} did not answer within {self.settings.timeout_s:g}s ({type(exc).__name__}); "
                "retry later or raise `timeout_s`",
                f"{self._where_zh()} 在 {self.settings.timeout_s:g} 秒内未响应（{type(exc).__name__}）；请稍后重试或调大 `timeout_s`",
                upstream=self.name,
            )
        what = "closed the connection mid-stream" if streaming else "closed the connection"
        what_zh = "在流式输出中途断开了连接" if streaming else "断开了连接"
        return UpstreamError(
            "closed",
            f"{self._where()} {what} ({type(exc).__name__}); retry, or check the upstream's logs",
            f"{self._where_zh()} {what_zh}（{type(exc).__name__}）；请重试或查看上游日志",
            upstream=self.name,
        )

    def _protocol_error(self, en: str, zh: str) -> UpstreamError:
        return UpstreamError(
            "protocol",
            f"{self._where()} sent an invalid answer: {en}; is it an OpenAI-compatible server (base_url ending in /v1)?",
            f"{self._where_zh()} 返回了无效响应：{zh}；它是否为 OpenAI 兼容服务（base_url 以 /v1 结尾）？",
            upstream=self.name,
        )

    def _status_error(self, status: int | None, body: bytes) -> UpstreamError:
        """``status`` None: an error object inside a successful answer (e.g. mid-stream)."""
        msg = _error_message(body)
        said = f": {msg}" if msg else ""
        if status is None:
            return UpstreamError(
                "status",
                f"{self._where()} reported an error instead of an answer{said}; retry, or check the upstream's logs",
                f"{self._where_zh()} 没有给出回答而是报告了错误{said}；请重试或查看上游日志",
                upstream=self.name,
                upstream_message=msg,
            )
        hint_en, hint_zh = _status_hint(status)
        return UpstreamError(
            "status",
            f"{self._where()} answered HTTP {status}{said}; {hint_en}",
            f"{self._where_zh()} 返回 HTTP {status}{said}；{hint_zh}",
            upstream=self.name,
            status=status,
            upstream_message=msg,
        )

    # transport

    async def _backoff(self, attempts: int) -> None:
        """Wait before connection attempt ``attempts + 1``."""
        await asyncio.sleep(self.retry_backoff_s * (2 ** (attempts - 1)))

    async def _send(
        self, method: str, url: URL, data: bytes | None, headers: Mapping[str, str] | None
    ) -> aiohttp.ClientResponse:
        """Send; the response once its headers arrived. Retries on connection failures only."""
        session = self._client()
        attempts = 0
        while True:
            attempts += 1
            try:
                return await session.request(method, url, data=data, headers=headers, allow_redirects=False)
            except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
                # never connected: the request was not sent
                if attempts > self.settings.connect_retries:
                    raise self._connect_error(exc, attempts) from None
            except (aiohttp.ClientError, *_TIMEOUT_ERRORS) as exc:
                raise self._transport_error(exc) from None
            await self._backoff(attempts)

    async def _request_json(self, method: str, url: URL, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else _dumps(body)
        response = await self._send(method, url, data, None if body is None else _JSON_HEADERS)
        try:
            if response.status >= 300:
                raise self._status_error(response.status, await _read_limited(response))
            content = await response.read()
        except (aiohttp.ClientError, *_TIMEOUT_ERRORS) as exc:
            response.close()
            raise self._transport_error(exc) from None
        finally:
            response.release()  # back to the pool if the body was read in full, else the connection is closed
        try:
            return json.loads(content)
        except (ValueError, UnicodeDecodeError):
            raise self._protocol_error("the body is not JSON", "响应体不是 JSON") from None

    # API

    async def chat(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST ``/chat/completions`` (non-streaming); the parsed ``chat.completion`` object."""
        payload = {**body, "stream": False}
        data = await self._request_json("POST", self._chat_url, payload)
        if not isinstance(data, dict) or not isinstance(data.get("choices"), list):
            if isinstance(data, dict) and "error" in data:
                raise self._status_error(None, json.dumps(data).encode())
            raise self._protocol_error("no `choices` list in the completion", "补全结果中没有 `choices` 列表")
        return data

    async def images(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST ``/images/generations``; the parsed answer (a ``data`` list of images)."""
        data = await self._request_json("POST", self._images_url, body)
        if not isinstance(data, dict) or not isinstance(data.get("data"), list):
            if isinstance(data, dict) and "error" in data:
                raise self._status_error(None, json.dumps(data).encode())
            raise self._protocol_error("no `data` list in the image answer", "图像生成结果中没有 `data` 列表")
        return data

    async def stream(self, body: dict[str, Any]) -> AsyncGenerator[dict[str, Any], None]:
        """POST ``/chat/completions`` with ``stream: true``; yields each SSE ``data:`` JSON chunk until ``[DONE]``.

        Closing the generator early closes the upstream response (the upstream sees the disconnect).
        """
        payload = {**body, "stream": True}
        response = await self._send("POST", self._chat_url, _dumps(payload), _SSE_HEADERS)
        complete = False  # read to [DONE] (or the end): the connection may go back to the pool
        try:
            if response.status >= 300:
                try:
                    raw = await _read_limited(response)
                except (aiohttp.ClientError, *_TIMEOUT_ERRORS) as exc:
                    raise self._transport_error(exc) from None
                raise self._status_error(response.status, raw)
            finished = False
            parser = _SSEParser()
            content = response.content
            eof = False
            while not eof:
                try:
                    part = await content.readany()
                except (aiohttp.ClientError, *_TIMEOUT_ERRORS) as exc:
                    raise self._transport_error(exc, streaming=True) from None
                if part:
                    events = parser.feed(part)
                else:
                    eof = True
                    events = parser.close()
                for event in events:
                    data = event.strip()
                    if data == "[DONE]":
                        complete = True
                        return
                    if not data:
                        continue
                    try:
                        chunk = json.loads(data)
                    except ValueError:
                        raise self._protocol_error("an SSE data line is not JSON", "SSE data 行不是 JSON") from None
                    if not isinstance(chunk, dict):
                        raise self._protocol_error("an SSE chunk is not a JSON object", "SSE 数据块不是 JSON 对象")
                    if "error" in chunk and "choices" not in chunk:
                        raise self._status_error(None, data.encode())
                    choices = chunk.get("choices")
                    if not isinstance(choices, list):
                        raise self._protocol_error(
                            "an SSE chunk has no `choices` list", "SSE 数据块中没有 `choices` 列表"
                        )
                    if any(isinstance(c, dict) and c.get("finish_reason") for c in choices):
                        finished = True
                    yield chunk
            complete = True
            if not finished:
                raise UpstreamError(
                    "closed",
                    f"{self._where()} ended the stream before it finished (no [DONE]); retry, or check its logs",
                    f"{self._where_zh()} 在输出完成前结束了流（没有 [DONE]）；请重试或查看上游日志",
                    upstream=self.name,
                )
        finally:
            if complete:
                response.release()
            else:
                response.close()  # left early or failed: drop the connection, the upstream sees the disconnect

    async def models(self) -> list[str]:
        """GET ``/models``: the ids of the models the upstream serves."""
        data = await self._request_json("GET", self._models_url)
        items = data.get("data") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise self._protocol_error("no `data` list in the model list", "模型列表中没有 `data` 列表")
        return [str(m["id"]) for m in items if isinstance(m, dict) and isinstance(m.get("id"), str)]

    async def aclose(self) -> None:
        session, loop = self._session, self._loop
        self._session = self._loop = None
        # a session left behind in another (finished) event loop cannot be closed from this one
        if session is not None and not session.closed and loop is asyncio.get_running_loop():
            await session.close()


async def _read_limited(response: aiohttp.ClientResponse, limit: int = _MAX_ERROR_BODY) -> bytes:
    out = bytearray()
    while len(out) < limit:
        part = await response.content.read(limit - len(out))
        if not part:
            break
        out += part
    return bytes(out[:limit])


# --------------------------------------------------------------------------------------------- router


class UpstreamRouter:
    """Picks the upstream for a model.

    ``claims`` maps an upstream's name to the models it serves; an empty list makes it the catch-all for any
    model no other upstream claims (the first such upstream wins).
    """

    def __init__(self, upstreams: Sequence[Upstream], claims: Mapping[str, Sequence[str]]) -> None:
        self.upstreams: list[Upstream] = list(upstreams)
        names = [u.name for u in self.upstreams]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"duplicate upstream names: {dup}")
        unknown = sorted(set(claims) - set(names))
        if unknown:
            raise ValueError(f"claims name unknown upstreams: {unknown}")
        self._by_model: dict[str, Upstream] = {}
        self._default: Upstream | None = None
        for up in self.upstreams:
            models = list(claims.get(up.name, ()))
            if not models:
                if self._default is None:
                    self._default = up
                continue
            for m in models:
                self._by_model.setdefault(m, up)

    @classmethod
    def from_settings(cls, settings: Settings, *, demo: Upstream | None = None) -> UpstreamRouter:
        """One :class:`HttpUpstream` per configured upstream, plus the demo model (``hegui-demo``) when
        ``settings.use_demo``. The demo serves only ``hegui-demo``."""
        ups: list[Upstream] = [HttpUpstream(u) for u in settings.upstreams]
        claims: dict[str, list[str]] = {u.name: list(u.models) for u in settings.upstreams}
        if settings.use_demo:
            d: Upstream = demo if demo is not None else _default_demo()
            ups.append(d)
            claims[d.name] = [_demo_model_id(d)]
        return cls(ups, claims)

    def route(self, model: str) -> Upstream:
        """The upstream serving ``model``; :class:`UnknownModel` if none."""
        up = self._by_model.get(model, self._default)
        if up is None:
            raise UnknownModel(model, self.model_ids())
        return up

    def model_ids(self) -> list[str]:
        """The model names claimed in the config (a catch-all upstream's models are not known here)."""
        return sorted(self._by_model)

    @property
    def default(self) -> Upstream | None:
        """The catch-all upstream, if any."""
        return self._default

    async def discover_models(self) -> list[str]:
        """Claimed models plus whatever the catch-all upstream reports (ignored if it cannot be reached)."""
        found = set(self._by_model)
        if self._default is not None:
            with contextlib.suppress(UpstreamError):
                found.update(await self._default.models())
        return sorted(found)

    async def aclose(self) -> None:
        for up in self.upstreams:
            await up.aclose()


def _default_demo() -> DemoUpstream:
    from hegui.gateway.demo import DemoUpstream

    return DemoUpstream()


def _demo_model_id(up: Upstream) -> str:
    model = getattr(up, "model", None)
    return model if isinstance(model, str) else "hegui-demo"

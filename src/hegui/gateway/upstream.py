"""Calling OpenAI-compatible upstream servers (vLLM, Ollama, DeepSeek, ...).

:class:`HttpUpstream` talks to one server over one shared ``httpx.AsyncClient``; :class:`UpstreamRouter` picks
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

import httpx

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


class _Attempted(Exception):
    """Internal marker: wraps an httpx error raised after the request may have reached the upstream."""


# ----------------------------------------------------------------------------------------------- HTTP


class HttpUpstream:
    """An OpenAI-compatible server reached over HTTP(S), with one shared connection pool.

    Timeouts: ``connect_timeout_s`` to connect, ``timeout_s`` for everything else (per read/write).
    Connection failures (refused, DNS, connect timeout) are retried ``connect_retries`` times with a short
    backoff; nothing is retried once the request may have reached the upstream.
    """

    def __init__(
        self,
        settings: UpstreamSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        retry_backoff_s: float = 0.2,
    ) -> None:
        self.name = settings.name
        self.settings = settings
        self.base_url = settings.base_url
        self.retry_backoff_s = retry_backoff_s
        headers = {"Accept": "application/json"}
        key = settings.api_key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self._client = httpx.AsyncClient(
            base_url=settings.base_url + "/",
            headers=headers,
            timeout=httpx.Timeout(settings.timeout_s, connect=settings.connect_timeout_s),
            limits=httpx.Limits(
                max_connections=settings.max_connections,
                max_keepalive_connections=min(20, settings.max_connections),
            ),
            transport=transport,
            follow_redirects=False,
            trust_env=False,
        )

    def __repr__(self) -> str:
        return f"HttpUpstream(name={self.name!r}, base_url={self.base_url!r})"

    # errors

    def _where(self) -> str:
        return f"upstream {self.name!r} ({self.base_url})"

    def _where_zh(self) -> str:
        return f"上游 {self.name!r}（{self.base_url}）"

    def _connect_error(self, exc: httpx.HTTPError, attempts: int) -> UpstreamError:
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        tries_zh = f"（已尝试 {attempts} 次）" if attempts > 1 else ""
        if isinstance(exc, httpx.ConnectTimeout):
            return UpstreamError(
                "connect",
                f"{self._where()} did not accept the connection within {self.settings.connect_timeout_s:g}s{tries}; "
                "is it running and reachable?",
                f"{self._where_zh()} 在 {self.settings.connect_timeout_s:g} 秒内未接受连接{tries_zh}；请确认它已启动且网络可达",
                upstream=self.name,
            )
        return UpstreamError(
            "connect",
            f"{self._where()} refused the connection{tries} ({type(exc).__name__}); is it running? "
            "Check `base_url` in the config.",
            f"{self._where_zh()} 拒绝连接{tries_zh}（{type(exc).__name__}）；它是否已启动？请检查配置中的 `base_url`",
            upstream=self.name,
        )

    def _transport_error(self, exc: httpx.HTTPError, *, streaming: bool = False) -> UpstreamError:
        if isinstance(exc, httpx.TimeoutException):
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

    async def _send(self, request: httpx.Request, *, stream: bool) -> httpx.Response:
        """Send with retries on connection failures only."""
        attempts = 0
        while True:
            attempts += 1
            try:
                return await self._client.send(request, stream=stream)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if attempts > self.settings.connect_retries:
                    raise self._connect_error(exc, attempts) from None
            except httpx.HTTPError as exc:
                raise self._transport_error(exc) from None
            await asyncio.sleep(self.retry_backoff_s * (2 ** (attempts - 1)))

    async def _request_json(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        request = self._client.build_request(method, path, json=body)
        response = await self._send(request, stream=True)
        try:
            try:
                if response.status_code >= 300:
                    raise self._status_error(response.status_code, await _read_limited(response))
                content = await response.aread()
            except httpx.HTTPError as exc:
                raise self._transport_error(exc) from None
        finally:
            await response.aclose()
        try:
            return json.loads(content)
        except (ValueError, UnicodeDecodeError):
            raise self._protocol_error("the body is not JSON", "响应体不是 JSON") from None

    # API

    async def chat(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST ``/chat/completions`` (non-streaming); the parsed ``chat.completion`` object."""
        payload = {**body, "stream": False}
        data = await self._request_json("POST", "chat/completions", payload)
        if not isinstance(data, dict) or not isinstance(data.get("choices"), list):
            if isinstance(data, dict) and "error" in data:
                raise self._status_error(None, json.dumps(data).encode())
            raise self._protocol_error("no `choices` list in the completion", "补全结果中没有 `choices` 列表")
        return data

    async def stream(self, body: dict[str, Any]) -> AsyncGenerator[dict[str, Any], None]:
        """POST ``/chat/completions`` with ``stream: true``; yields each SSE ``data:`` JSON chunk until ``[DONE]``.

        Closing the generator early closes the upstream response (the upstream sees the disconnect).
        """
        payload = {**body, "stream": True}
        request = self._client.build_request(
            "POST", "chat/completions", json=payload, headers={"Accept": "text/event-stream"}
        )
        response = await self._send(request, stream=True)
        try:
            if response.status_code >= 300:
                try:
                    raw = await _read_limited(response)
                except httpx.HTTPError as exc:
                    raise self._transport_error(exc) from None
                raise self._status_error(response.status_code, raw)
            finished = False
            lines = response.aiter_lines()
            while True:
                try:
                    line = await lines.__anext__()
                except StopAsyncIteration:
                    break
                except httpx.HTTPError as exc:
                    raise self._transport_error(exc, streaming=True) from None
                if not line.startswith("data:"):
                    continue  # blank separators, ": comments", event:, id:, retry:
                data = line[5:].strip()
                if data == "[DONE]":
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
                    raise self._protocol_error("an SSE chunk has no `choices` list", "SSE 数据块中没有 `choices` 列表")
                if any(isinstance(c, dict) and c.get("finish_reason") for c in choices):
                    finished = True
                yield chunk
            if not finished:
                raise UpstreamError(
                    "closed",
                    f"{self._where()} ended the stream before it finished (no [DONE]); retry, or check its logs",
                    f"{self._where_zh()} 在输出完成前结束了流（没有 [DONE]）；请重试或查看上游日志",
                    upstream=self.name,
                )
        finally:
            await response.aclose()

    async def models(self) -> list[str]:
        """GET ``/models``: the ids of the models the upstream serves."""
        data = await self._request_json("GET", "models")
        items = data.get("data") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise self._protocol_error("no `data` list in the model list", "模型列表中没有 `data` 列表")
        return [str(m["id"]) for m in items if isinstance(m, dict) and isinstance(m.get("id"), str)]

    async def aclose(self) -> None:
        await self._client.aclose()


async def _read_limited(response: httpx.Response, limit: int = _MAX_ERROR_BODY) -> bytes:
    out = bytearray()
    async for part in response.aiter_bytes():
        out += part
        if len(out) >= limit:
            break
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

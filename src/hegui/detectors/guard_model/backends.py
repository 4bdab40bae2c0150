"""Where a guard model runs: an OpenAI-compatible chat endpoint, or a local ``transformers`` model.

A backend turns chat messages into the model's raw text output; parsing is the detector's job. Heavy imports
(``httpx``, ``torch``, ``transformers``) happen in :meth:`load`, never when this module is imported.

Every failure raises :class:`~hegui.detectors.guard_model.parsers.GuardModelError` (a ``DetectorError``) with a
message naming the endpoint or model path, never the text being checked.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol
from urllib.parse import urlsplit, urlunsplit

from hegui.core.errors import ConfigError
from hegui.core.types import Stage
from hegui.detectors.base import DetectContext
from hegui.detectors.guard_model.parsers import GuardModelError, GuardModelOutputError

if TYPE_CHECKING:
    import httpx

Message = dict[str, str]

#: stages whose text is a model's answer: moderated as the assistant turn of a conversation
RESPONSE_STAGES = frozenset({Stage.OUTPUT, Stage.STREAM_CHUNK})


def build_messages(text: str, ctx: DetectContext) -> list[Message]:
    """The conversation a guard model judges.

    Input-side stages (``input``, ``file``, ``corpus``): the text is the user turn (prompt moderation).
    Output-side stages (``output``, ``stream_chunk``): the text is the assistant turn, after the user prompt
    from ``ctx.extra["prompt"]`` when given (an empty user turn otherwise), so the guard judges the response.
    """
    if ctx.stage in RESPONSE_STAGES:
        prompt = ctx.extra.get("prompt")
        return [
            {"role": "user", "content": prompt if isinstance(prompt, str) else ""},
            {"role": "assistant", "content": text},
        ]
    return [{"role": "user", "content": text}]


class GuardBackend(Protocol):
    """What the detector needs from a backend."""

    def describe(self) -> str: ...

    def load(self) -> None: ...

    def generate(self, messages: Sequence[Message]) -> str: ...

    async def agenerate(self, messages: Sequence[Message]) -> str: ...

    def close(self) -> None: ...

    async def aclose(self) -> None: ...


def _public_url(url: str) -> str:
    """``url`` without user:password@ (so it can go into error messages and logs)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


@dataclass(slots=True)
class _AsyncState:
    loop: asyncio.AbstractEventLoop
    client: httpx.AsyncClient
    sem: asyncio.Semaphore


class OpenAIGuardBackend:
    """A guard model behind ``POST {base_url}/chat/completions`` (vLLM, SGLang, Ollama, ...).

    ``base_url`` is the API root, e.g. ``http://127.0.0.1:8000/v1``. The API key is ``api_key`` or the value of
    the environment variable ``api_key_env`` (read in :meth:`load`); none is sent when neither is set.
    ``timeout_s`` bounds connecting, each read and (in :meth:`agenerate`) the whole request; connection
    errors are retried ``retries`` times, nothing else is. The usual environment variables apply (``HTTPS_PROXY``,
    ``NO_PROXY``, ``SSL_CERT_FILE``), as for any httpx client. At most ``max_concurrency`` requests are in flight
    from the sync path and as many from each event loop's async path; a caller waits at most ``timeout_s`` for
    a slot.
    """

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        api_key_env: str | None = None,
        timeout_s: float = 10.0,
        retries: int = 1,
        max_concurrency: int = 4,
        max_tokens: int = 64,
        transport: Any = None,  # tests: an httpx transport (sync or async) instead of the network
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._api_key = api_key
        self.api_key_env = api_key_env
        self.timeout_s = float(timeout_s)
        self.retries = int(retries)
        self.max_concurrency = int(max_concurrency)
        self.max_tokens = int(max_tokens)
        self._transport = transport
        self._url = f"{self.base_url}/chat/completions"
        self._client: httpx.Client | None = None
        self._astate: _AsyncState | None = None
        self._sem = threading.BoundedSemaphore(self.max_concurrency)
        self._headers: dict[str, str] = {}
        self._lock = threading.Lock()

    def describe(self) -> str:
        return f"{_public_url(self.base_url)} (model {self.model!r})"

    # -- set-up ------------------------------------------------------------------------------------------

    def load(self) -> None:
        with self._lock:
            if self._client is not None:
                return
            try:
                import httpx
            except ImportError:
                raise ConfigError(
                    "guard_model: the 'openai' backend needs httpx; install hegui[guard]",
                    "guard_model：'openai' 后端需要 httpx；请安装 hegui[guard]",
                ) from None
            key = self._api_key
            if key is None and self.api_key_env:
                key = os.environ.get(self.api_key_env)
                if not key:
                    raise ConfigError(
                        f"guard_model: environment variable {self.api_key_env!r} (api_key_env) is not set",
                        f"guard_model：环境变量 {self.api_key_env!r}（api_key_env）未设置",
                    )
            headers = {"Content-Type": "application/json", "Accept": "application/json"}
            if key:
                headers["Authorization"] = f"Bearer {key}"
            self._headers = headers
            self._client = httpx.Client(
                timeout=httpx.Timeout(self.timeout_s),
                headers=headers,
                transport=self._transport if isinstance(self._transport, httpx.BaseTransport) else None,
                limits=httpx.Limits(max_connections=self.max_concurrency),
            )

    def _async_state(self) -> _AsyncState:
        """The async client and semaphore of the running event loop (both are bound to one loop).

        A long-running service has one loop; a new loop (``asyncio.run`` called again) gets new ones, and the
        previous loop's client is dropped: call :meth:`aclose` inside a loop before leaving it."""
        import httpx

        loop = asyncio.get_running_loop()
        st = self._astate
        if st is None or st.loop is not loop:
            client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout_s),
                headers=self._headers,
                transport=self._transport if isinstance(self._transport, httpx.AsyncBaseTransport) else None,
                limits=httpx.Limits(max_connections=self.max_concurrency),
            )
            st = _AsyncState(loop, client, asyncio.Semaphore(self.max_concurrency))
            self._astate = st
        return st

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    async def aclose(self) -> None:
        """Close the async client of the running event loop (the sync client stays: see :meth:`close`)."""
        st = self._astate
        if st is not None and st.loop is asyncio.get_running_loop():
            self._astate = None
            await st.client.aclose()

    # -- requests ----------------------------------------------------------------------------------------

    def _body(self, messages: Sequence[Message]) -> dict[str, Any]:
        return {
            "model": self.model,
            "messages": list(messages),
            "temperature": 0,
            "max_tokens": self.max_tokens,
            "stream": False,
        }

    def _fail(self, en: str, zh: str) -> GuardModelError:
        where = self.describe()
        return GuardModelError(f"guard model endpoint {where}: {en}", f"护栏模型服务 {where}：{zh}")

    def _translate(self, exc: Exception) -> GuardModelError:
        import httpx

        if isinstance(exc, httpx.TimeoutException):
            kind = type(exc).__name__
            return self._fail(
                f"timed out after {self.timeout_s:g} s ({kind})", f"超时（{self.timeout_s:g} 秒，{kind}）"
            )
        if isinstance(exc, httpx.ConnectError):
            return self._fail(f"cannot connect ({exc})", f"无法连接（{exc}）")
        if isinstance(exc, httpx.HTTPError):
            return self._fail(f"request failed ({type(exc).__name__})", f"请求失败（{type(exc).__name__}）")
        return self._fail(f"request failed ({type(exc).__name__})", f"请求失败（{type(exc).__name__}）")

    def _content(self, response: httpx.Response) -> str:
        if response.status_code != 200:
            self._raise_status(response)
        try:
            data = response.json()
        except ValueError:
            raise self._fail("the response is not JSON", "响应不是 JSON") from None
        try:
            choice = data["choices"][0]
            content = choice["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise self._fail(
                "the response has no choices[0].message.content", "响应中没有 choices[0].message.content"
            ) from None
        if not isinstance(content, str):
            raise self._fail("choices[0].message.content is not a string", "choices[0].message.content 不是字符串")
        if isinstance(choice, dict) and choice.get("finish_reason") == "length":
            raise GuardModelOutputError(
                f"output cut off at max_tokens={self.max_tokens}",
                f"输出在 max_tokens={self.max_tokens} 处被截断",
                content,
                fmt="guard-model",
                source=self.describe(),
            )
        return content

    def _raise_status(self, response: httpx.Response) -> NoReturn:
        phrase = response.reason_phrase or ""
        raise self._fail(
            f"HTTP {response.status_code} {phrase}".rstrip(), f"HTTP {response.status_code} {phrase}".rstrip()
        )

    def generate(self, messages: Sequence[Message]) -> str:
        import httpx

        if self._client is None:
            self.load()
        client = self._client
        assert client is not None
        if not self._sem.acquire(timeout=self.timeout_s):
            raise self._fail(
                f"no free slot within {self.timeout_s:g} s (max_concurrency={self.max_concurrency})",
                f"{self.timeout_s:g} 秒内没有空闲并发槽（max_concurrency={self.max_concurrency}）",
            )
        try:
            attempt = 0
            while True:
                try:
                    response = client.post(self._url, json=self._body(messages))
                    break
                except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                    if attempt >= self.retries:
                        raise self._translate(exc) from None
                    time.sleep(min(0.1 * 2**attempt, 1.0))
                    attempt += 1
                except httpx.HTTPError as exc:
                    raise self._translate(exc) from None
        finally:
            self._sem.release()
        return self._content(response)

    async def agenerate(self, messages: Sequence[Message]) -> str:
        if self._client is None:
            self.load()
        import httpx

        st = self._async_state()
        try:
            await asyncio.wait_for(st.sem.acquire(), timeout=self.timeout_s)
        except TimeoutError:
            raise self._fail(
                f"no free slot within {self.timeout_s:g} s (max_concurrency={self.max_concurrency})",
                f"{self.timeout_s:g} 秒内没有空闲并发槽（max_concurrency={self.max_concurrency}）",
            ) from None
        try:
            attempt = 0
            while True:
                try:
                    response = await asyncio.wait_for(
                        st.client.post(self._url, json=self._body(messages)), timeout=self.timeout_s
                    )
                    break
                except TimeoutError:
                    raise self._fail(
                        f"timed out after {self.timeout_s:g} s", f"超时（{self.timeout_s:g} 秒）"
                    ) from None
                except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                    if attempt >= self.retries:
                        raise self._translate(exc) from None
                    await asyncio.sleep(min(0.1 * 2**attempt, 1.0))
                    attempt += 1
                except httpx.HTTPError as exc:
                    raise self._translate(exc) from None
        finally:
            st.sem.release()
        return self._content(response)


class TransformersGuardBackend:
    """A guard model from a local directory, run with ``transformers`` (greedy decoding, CPU by default).

    Nothing is downloaded: ``from_pretrained(..., local_files_only=True)`` on a directory that must exist.
    The tokenizer's chat template builds the prompt, as the model cards of Qwen3Guard-Gen and Llama Guard 3
    do (``add_generation_prompt`` is off by default: both templates end with the assistant header themselves).
    One generation runs at a time per backend; :meth:`agenerate` runs it in a worker thread and gives up
    waiting after ``timeout_s`` (the thread finishes its generation in the background).
    """

    def __init__(
        self,
        *,
        path: str | Path,
        max_new_tokens: int = 64,
        device: str = "cpu",
        timeout_s: float = 60.0,
        add_generation_prompt: bool = False,
    ) -> None:
        self.path = Path(path)
        self.max_new_tokens = int(max_new_tokens)
        self.device = device
        self.timeout_s = float(timeout_s)
        self.add_generation_prompt = add_generation_prompt
        self._tokenizer: Any = None
        self._model: Any = None
        self._torch: Any = None
        self._lock = threading.Lock()

    def describe(self) -> str:
        return f"local model {str(self.path)!r}"

    def _config_error(self, en: str, zh: str) -> ConfigError:
        return ConfigError(f"guard_model: {self.describe()}: {en}", f"guard_model：{self.describe()}：{zh}")

    def load(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            if not self.path.is_dir():
                raise self._config_error(
                    "not a directory (give the path of a downloaded model; nothing is fetched)",
                    "不是目录（请给出已下载模型的路径；不会联网下载）",
                )
            try:
                torch = importlib.import_module("torch")
                transformers = importlib.import_module("transformers")
            except ImportError:
                raise ConfigError(
                    "guard_model: the 'transformers' backend needs torch and transformers; install hegui[guard-local]",
                    "guard_model：'transformers' 后端需要 torch 和 transformers；请安装 hegui[guard-local]",
                ) from None
            try:
                tokenizer = transformers.AutoTokenizer.from_pretrained(str(self.path), local_files_only=True)
                model = transformers.AutoModelForCausalLM.from_pretrained(str(self.path), local_files_only=True)
            except (OSError, ValueError) as exc:
                raise self._config_error(
                    f"cannot load ({type(exc).__name__}: {str(exc)[:200]})",
                    f"无法加载（{type(exc).__name__}：{str(exc)[:200]}）",
                ) from None
            if not getattr(tokenizer, "chat_template", None):
                raise self._config_error("the tokenizer has no chat template", "分词器没有对话模板（chat template）")
            model.to(self.device)
            model.eval()
            self._torch = torch
            self._tokenizer = tokenizer
            self._model = model

    def generate(self, messages: Sequence[Message]) -> str:
        if self._model is None:
            self.load()
        tok, model, torch = self._tokenizer, self._model, self._torch
        with self._lock:
            try:
                prompt = tok.apply_chat_template(
                    list(messages), tokenize=False, add_generation_prompt=self.add_generation_prompt
                )
                enc = tok(prompt, return_tensors="pt", add_special_tokens=False).to(self.device)
                pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
                with torch.inference_mode():
                    out = model.generate(**enc, max_new_tokens=self.max_new_tokens, do_sample=False, pad_token_id=pad)
                new_ids = out[0][enc["input_ids"].shape[1] :]
                text: str = tok.decode(new_ids, skip_special_tokens=True)
            except Exception as exc:  # a generation failure is a detector failure, never a "safe"
                where = self.describe()
                raise GuardModelError(
                    f"{where}: generation failed ({type(exc).__name__})",
                    f"{where}：生成失败（{type(exc).__name__}）",
                ) from exc
        return text

    async def agenerate(self, messages: Sequence[Message]) -> str:
        try:
            return await asyncio.wait_for(asyncio.to_thread(self.generate, messages), timeout=self.timeout_s)
        except TimeoutError:
            where = self.describe()
            raise GuardModelError(
                f"{where}: timed out after {self.timeout_s:g} s", f"{where}：超时（{self.timeout_s:g} 秒）"
            ) from None

    def close(self) -> None:
        self._model = None
        self._tokenizer = None

    async def aclose(self) -> None:
        self.close()

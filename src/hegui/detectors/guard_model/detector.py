"""The ``guard_model`` detector: an external guard model (Qwen3Guard-Gen, Llama Guard 3/4) as a detector.

Failure is loud: a timeout, a connection error, an HTTP error or an output that does not parse raises a
:class:`~hegui.core.errors.DetectorError` (never ``[]``), so the engine records the failure and the policy
fails closed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hegui.core.errors import ConfigError, UnknownRiskCode
from hegui.core.taxonomy import canonical_code
from hegui.core.types import Finding
from hegui.detectors.base import DetectContext, Detector, register
from hegui.detectors.guard_model.backends import (
    GuardBackend,
    OpenAIGuardBackend,
    TransformersGuardBackend,
    build_messages,
)
from hegui.detectors.guard_model.parsers import (
    DEFAULT_CATEGORY_MAPS,
    FORMATS,
    GuardModelOutputError,
    GuardVerdict,
    parse_output,
    verdict_findings,
)

BACKENDS = ("openai", "transformers")


def _cfg(en: str, zh: str) -> ConfigError:
    return ConfigError(f"detector 'guard_model': {en}", f"检测器 'guard_model'：{zh}")


def _number(name: str, value: Any, *, integer: bool = False) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0
    if ok and integer:
        ok = isinstance(value, int)
    if not ok:
        kind = "a positive integer" if integer else "a positive number"
        kind_zh = "正整数" if integer else "正数"
        raise _cfg(f"{name} must be {kind}, not {value!r}", f"{name} 必须是{kind_zh}，而不是 {value!r}")
    return float(value)


def _category_map(fmt: str, overrides: Any) -> dict[str, tuple[str, ...]]:
    base: dict[str, tuple[str, ...]] = {k: (v,) for k, v in DEFAULT_CATEGORY_MAPS[fmt].items()}
    if overrides is None:
        return base
    if not isinstance(overrides, Mapping):
        raise _cfg(
            "category_map must map guard categories to a risk code or a list of risk codes",
            "category_map 必须把护栏模型类别映射到一个风险代码或风险代码列表",
        )
    for key, value in overrides.items():
        if not isinstance(key, str) or not key.strip() or "," in key:
            raise _cfg(f"category_map: bad category name {key!r}", f"category_map：类别名称无效 {key!r}")
        codes = [value] if isinstance(value, str) else value
        if not isinstance(codes, Sequence) or isinstance(codes, str) or not codes:
            raise _cfg(
                f"category_map[{key!r}] must be a risk code or a non-empty list of risk codes",
                f"category_map[{key!r}] 必须是风险代码或非空的风险代码列表",
            )
        if not all(isinstance(c, str) for c in codes):
            raise _cfg(
                f"category_map[{key!r}]: risk codes must be strings", f"category_map[{key!r}]：风险代码必须是字符串"
            )
        try:
            canon = tuple(dict.fromkeys(canonical_code(c) for c in codes))
        except UnknownRiskCode as exc:
            raise _cfg(f"category_map[{key!r}]: {exc.en}", f"category_map[{key!r}]：{exc.zh}") from None
        name = key.strip()
        if fmt == "llamaguard":
            name = name.upper()
            if not (name.startswith("S") and name[1:].isdigit()):
                raise _cfg(
                    f"category_map: Llama Guard categories are S-codes (S1, S2, ...), not {key!r}",
                    f"category_map：Llama Guard 的类别是 S 代码（S1、S2……），而不是 {key!r}",
                )
        else:
            # match the model's spelling of a known category whatever the case in the config
            name = next((k for k in base if k.casefold() == name.casefold()), name)
        base[name] = canon
    return base


@register
class GuardModelDetector(Detector):
    """A guard model judges the whole text; its categories become hegui risk codes.

    Params:
        backend: ``openai`` (an OpenAI-compatible ``/v1/chat/completions`` endpoint; default) or
            ``transformers`` (a local model directory).
        format: ``qwen3guard`` (default) or ``llamaguard``: how the model answers.
        base_url, model: the endpoint's API root (``http://host:8000/v1``) and model name (``openai``).
        api_key / api_key_env: the key itself, or the name of the environment variable holding it (``openai``;
            prefer ``api_key_env`` so that no secret sits in a config file).
        path: the model directory (``transformers``); nothing is downloaded.
        device: torch device for ``transformers`` (default ``cpu``).
        timeout_s: per-request limit (default 10 s for ``openai``, 60 s for ``transformers``).
        retries: retries on connection errors only (``openai``; default 1).
        max_concurrency: requests in flight at once (``openai``; default 4).
        max_tokens: generation limit (default 64; a verdict is about 10-30 tokens).
        category_map: overrides of the category -> risk code table, e.g. ``{"Politically Sensitive Topics":
            ["A1.1", "A1.2", "A1.3"]}``; a Llama Guard deployment with extra S-codes maps them here.

    Findings: one per risk code, ``detector="guard_model"``, ``kind="guard"``, ``span=None`` (the whole text);
    ``Unsafe`` gives severity high and score 1.0, Qwen3Guard's ``Controversial`` severity medium and score 0.6.
    """

    name = "guard_model"

    def __init__(
        self,
        *,
        backend: str = "openai",
        format: str = "qwen3guard",
        base_url: str | None = None,
        model: str | None = None,
        api_key: str | None = None,
        api_key_env: str | None = None,
        path: str | None = None,
        device: str = "cpu",
        timeout_s: float | None = None,
        retries: int = 1,
        max_concurrency: int = 4,
        max_tokens: int = 64,
        category_map: Mapping[str, str | Sequence[str]] | None = None,
        **params: Any,
    ) -> None:
        super().__init__(**params)
        if backend not in BACKENDS:
            raise _cfg(
                f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}",
                f"backend 必须是 {', '.join(BACKENDS)} 之一，而不是 {backend!r}",
            )
        if format not in FORMATS:
            raise _cfg(
                f"format must be one of {', '.join(FORMATS)}, not {format!r}",
                f"format 必须是 {', '.join(FORMATS)} 之一，而不是 {format!r}",
            )
        self.backend_name = backend
        self.format = format
        self.category_map = _category_map(format, category_map)
        if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
            raise _cfg(
                f"retries must be an integer >= 0, not {retries!r}", f"retries 必须是 >= 0 的整数，而不是 {retries!r}"
            )
        _number("max_concurrency", max_concurrency, integer=True)
        _number("max_tokens", max_tokens, integer=True)
        self._backend: GuardBackend
        if backend == "openai":
            if path is not None:
                raise _cfg("path is for backend 'transformers'", "path 仅用于 'transformers' 后端")
            if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
                raise _cfg(
                    f"backend 'openai' needs base_url, an http(s) URL such as http://127.0.0.1:8000/v1, not {base_url!r}",
                    f"'openai' 后端需要 base_url，即 http(s) 地址，例如 http://127.0.0.1:8000/v1，而不是 {base_url!r}",
                )
            if not isinstance(model, str) or not model:
                raise _cfg(
                    "backend 'openai' needs model, the served model name", "'openai' 后端需要 model，即服务的模型名"
                )
            for nm, val in (("api_key", api_key), ("api_key_env", api_key_env)):
                if val is not None and (not isinstance(val, str) or not val):
                    raise _cfg(f"{nm} must be a non-empty string", f"{nm} 必须是非空字符串")
            self.model_label = model
            self._backend = OpenAIGuardBackend(
                base_url=base_url,
                model=model,
                api_key=api_key,
                api_key_env=api_key_env,
                timeout_s=_number("timeout_s", 10.0 if timeout_s is None else timeout_s),
                retries=retries,
                max_concurrency=max_concurrency,
                max_tokens=max_tokens,
            )
        else:
            for nm, val in (("base_url", base_url), ("api_key", api_key), ("api_key_env", api_key_env)):
                if val is not None:
                    raise _cfg(f"{nm} is for backend 'openai'", f"{nm} 仅用于 'openai' 后端")
            if not isinstance(path, str | Path) or not str(path):
                raise _cfg(
                    "backend 'transformers' needs path, a local model directory",
                    "'transformers' 后端需要 path，即本地模型目录",
                )
            if not isinstance(device, str) or not device:
                raise _cfg(
                    "device must be a torch device name such as cpu or cuda:0",
                    "device 必须是 torch 设备名，例如 cpu 或 cuda:0",
                )
            self.model_label = model if isinstance(model, str) and model else Path(path).name
            self._backend = TransformersGuardBackend(
                path=path,
                max_new_tokens=max_tokens,
                device=device,
                timeout_s=_number("timeout_s", 60.0 if timeout_s is None else timeout_s),
            )

    @property
    def implementation(self) -> str:
        """What runs, for ``Moderator.describe()``: e.g. ``qwen3guard via http://host:8000/v1 (model 'm')``."""
        return f"{self.format} via {self._backend.describe()}"

    @property
    def backend(self) -> GuardBackend:
        return self._backend

    def describe(self) -> str:
        return self._backend.describe()

    def load(self) -> None:
        """Create the HTTP clients (``openai``; no request is made) or load the model (``transformers``)."""
        self._backend.load()
        self._loaded = True

    def close(self) -> None:
        """Release the HTTP client or the model (a later call loads again)."""
        self._backend.close()
        self._loaded = False

    async def aclose(self) -> None:
        """Close the running event loop's HTTP client, then what :meth:`close` closes."""
        await self._backend.aclose()
        self.close()

    # -- classification ------------------------------------------------------------------------------------

    def parse(self, raw: str) -> GuardVerdict:
        """Parse one raw output of this detector's format (accepting the categories of its map)."""
        try:
            return parse_output(self.format, raw, self.category_map)
        except GuardModelOutputError as exc:
            raise exc.with_source(self._backend.describe()) from None

    def classify(self, text: str, ctx: DetectContext) -> GuardVerdict:
        """The guard model's verdict on ``text`` (with Qwen3Guard's ``refusal`` for output stages)."""
        if not self._loaded:
            self.load()
        return self.parse(self._backend.generate(build_messages(text, ctx)))

    async def aclassify(self, text: str, ctx: DetectContext) -> GuardVerdict:
        if not self._loaded:
            self.load()
        return self.parse(await self._backend.agenerate(build_messages(text, ctx)))

    def findings(self, verdict: GuardVerdict) -> list[Finding]:
        return verdict_findings(verdict, self.category_map, model=self.model_label)

    def detect(self, text: str, ctx: DetectContext) -> list[Finding]:
        if not text.strip():
            return []  # nothing to judge (not a failure)
        return self.findings(self.classify(text, ctx))

    async def adetect(self, text: str, ctx: DetectContext) -> list[Finding]:
        if not text.strip():
            return []
        return self.findings(await self.aclassify(text, ctx))

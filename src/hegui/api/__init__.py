"""hegui's stable Python API: :class:`Moderator` = detectors (``hegui.moderation``) + policy (``hegui.policy``).

>>> from hegui import Moderator
>>> m = Moderator.from_config(None)
>>> m.check("今天天气很好", stage="input").action.value
'pass'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from hegui.api.config import DetectorConfig, ModerationConfig, load_config
from hegui.core.errors import ConfigError, HeguiError
from hegui.core.types import Assessment, Decision, Finding, Stage
from hegui.detectors.base import Detector, get_detector_class
from hegui.detectors.pii import RedactMode, redact
from hegui.moderation.engine import Engine
from hegui.policy import Policy, Redactor, decide, default_policy, detect_lang, load_policy

__all__ = ["Moderator", "build_detector"]


def _stage(stage: Stage | str) -> Stage:
    if isinstance(stage, Stage):
        return stage
    try:
        return Stage(stage)
    except ValueError:
        names = ", ".join(s.value for s in Stage)
        raise ConfigError(f"unknown stage {stage!r}; use one of: {names}", f"未知阶段 {stage!r}；可用：{names}") from None


class Moderator:
    """Detectors + policy. Build once, call :meth:`check` many times."""

    def __init__(self, detectors: Iterable[Detector], policy: Policy, *, config: ModerationConfig | None = None) -> None:
        self.engine = Engine(list(detectors))
        self.policy = policy
        self.config = config or ModerationConfig()

    @property
    def detectors(self) -> tuple[Detector, ...]:
        return self.engine.detectors

    @classmethod
    def from_config(cls, path: str | Path | None = None, *, load: bool = True) -> Moderator:
        """Build from a hegui YAML config (``None``: the shipped defaults: lexicon + PII, default policy)."""
        config = load_config(path) if path is not None else ModerationConfig()
        base = Path(path).parent if path is not None else Path.cwd()
        policy = default_policy() if config.policy is None else load_policy(_resolve(base, config.policy))
        detectors = [build_detector(dc, base) for dc in config.detectors if dc.enabled]
        mod = cls(detectors, policy, config=config)
        if load:
            mod.load()
        return mod

    def load(self) -> Moderator:
        self.engine.load()
        return self

    def assess(self, text: str, stage: Stage | str = Stage.INPUT, *, lang: str = "zh") -> Assessment:
        return self.engine.assess(text, _stage(stage), lang=lang)

    def check(self, text: str, stage: Stage | str = Stage.INPUT, *, lang: str | None = None) -> Decision:
        """Assess ``text`` and decide what to do with it."""
        if not isinstance(text, str):
            raise HeguiError(
                f"text must be str, not {type(text).__name__}", f"text 必须是 str，而不是 {type(text).__name__}"
            )
        st = _stage(stage)
        assessment = self.engine.assess(text, st, lang=lang or "zh")
        return decide(assessment, st, self.policy, text=text, lang=lang, redactor=self._redactor(text, lang))

    async def acheck(
        self, text: str, stage: Stage | str = Stage.INPUT, *, lang: str | None = None, prompt: str | None = None
    ) -> Decision:
        """:meth:`check` for an event loop (network detectors run concurrently under the engine's deadline).

        ``prompt``: for output checks, the request the answer replies to (guard models judge the pair)."""
        st = _stage(stage)
        extra = {"prompt": prompt} if prompt is not None else None
        assessment = await self.engine.aassess(text, st, lang=lang or "zh", extra=extra)
        return decide(assessment, st, self.policy, text=text, lang=lang, redactor=self._redactor(text, lang))

    def _redactor(self, text: str, lang: str | None) -> Redactor:
        """Masks PII the way people read it (138****5678, 110***********002X); tags when the policy says label."""
        mode: RedactMode = "tag" if self.policy.redaction.mode == "label" else "mask"

        def run(t: str, findings: Sequence[Finding]) -> str:
            # the language matters only for tags, and is worked out only when something is redacted
            return redact(t, findings, mode, lang=lang or (detect_lang(t) if mode == "tag" else "zh"))

        return run

    def describe(self) -> dict[str, Any]:
        """What this moderator runs (for `hegui check --explain`, reports and the console)."""
        out: dict[str, Any] = {"detectors": [], "policy": {"version": getattr(self.policy, "version", None)}}
        for d in self.detectors:
            info: dict[str, Any] = {"name": d.name}
            for attr in ("version", "size", "implementation"):
                v = getattr(d, attr, None)
                if v is not None and not callable(v):
                    info[attr] = v
            out["detectors"].append(info)
        return out


def build_detector(dc: DetectorConfig, base: Path) -> Detector:
    cls = get_detector_class(dc.name)
    params = dict(dc.params)
    if "paths" in params and isinstance(params["paths"], list):
        params["paths"] = [str(_resolve(base, p)) for p in params["paths"]]
    try:
        return cls(**params)
    except TypeError as exc:
        raise ConfigError(
            f"bad parameters for detector {dc.name!r}: {exc}", f"检测器 {dc.name!r} 的参数有误：{exc}"
        ) from exc


def _resolve(base: Path, p: str) -> Path:
    q = Path(p).expanduser()
    return q if q.is_absolute() else base / q

"""The moderation engine: run detectors on a text and collect what they found (an :class:`Assessment`).

A detector that raises is recorded in ``Assessment.detectors_failed`` (type and message only, never the text);
the policy then fails closed unless configured otherwise. A check that did not run is never reported as run.
Deciding what to do is the policy's job (``hegui.policy``); ``hegui.Moderator`` joins the two.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any

from hegui.core.errors import ConfigError
from hegui.core.types import Assessment, DetectorFailure, Finding, Stage
from hegui.detectors.base import DetectContext, Detector


class Engine:
    """An ordered set of loaded detectors."""

    def __init__(self, detectors: Sequence[Detector], *, deadline_s: float = 10.0) -> None:
        names = [d.name for d in detectors]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ConfigError(f"detector configured twice: {', '.join(dupes)}", f"检测器重复配置：{', '.join(dupes)}")
        self.detectors: tuple[Detector, ...] = tuple(detectors)
        self.deadline_s = deadline_s
        self._loaded = False

    def load(self) -> None:
        """Load every detector's resources. Errors here are configuration errors, raised at once."""
        for d in self.detectors:
            d.load()
        self._loaded = True

    def assess(self, text: str, stage: Stage, *, lang: str = "zh") -> Assessment:
        if not self._loaded:
            self.load()
        ctx = DetectContext(stage=stage, lang=lang)
        t0 = time.perf_counter()
        findings: list[Finding] = []
        ran: list[str] = []
        failed: list[DetectorFailure] = []
        for d in self.detectors:
            try:
                found = d.detect(text, ctx)
            except Exception as exc:  # a crashed detector must not crash the service, nor count as run
                failed.append(DetectorFailure(d.name, f"{type(exc).__name__}: {_short(exc)}"))
                continue
            ran.append(d.name)
            findings.extend(found)
        elapsed = (time.perf_counter() - t0) * 1000.0
        return Assessment(tuple(findings), tuple(ran), tuple(failed), elapsed)

    async def aassess(
        self, text: str, stage: Stage, *, lang: str = "zh", extra: Mapping[str, Any] | None = None
    ) -> Assessment:
        """Like :meth:`assess`, for an event loop: detectors with an ``adetect`` coroutine (network backends) run
        concurrently under the engine's deadline; the local, CPU-bound ones run inline. A detector that times
        out is recorded as failed, never as run."""
        if not self._loaded:
            self.load()
        ctx = DetectContext(stage=stage, lang=lang, extra=dict(extra or {}))
        t0 = time.perf_counter()
        remote = [d for d in self.detectors if callable(getattr(d, "adetect", None))]
        tasks = {d.name: asyncio.ensure_future(asyncio.wait_for(d.adetect(text, ctx), self.deadline_s))  # type: ignore[attr-defined]
                 for d in remote}
        results: dict[str, list[Finding] | DetectorFailure] = {}
        for d in self.detectors:
            if d.name in tasks:
                continue
            try:
                results[d.name] = d.detect(text, ctx)
            except Exception as exc:
                results[d.name] = DetectorFailure(d.name, f"{type(exc).__name__}: {_short(exc)}")
        for name, task in tasks.items():
            try:
                results[name] = await task
            except TimeoutError:
                results[name] = DetectorFailure(name, f"TimeoutError: no answer within {self.deadline_s:g} s")
            except Exception as exc:
                results[name] = DetectorFailure(name, f"{type(exc).__name__}: {_short(exc)}")
        findings: list[Finding] = []
        ran: list[str] = []
        failed: list[DetectorFailure] = []
        for d in self.detectors:  # keep the configured order whatever finished first
            r = results[d.name]
            if isinstance(r, DetectorFailure):
                failed.append(r)
            else:
                ran.append(d.name)
                findings.extend(r)
        elapsed = (time.perf_counter() - t0) * 1000.0
        return Assessment(tuple(findings), tuple(ran), tuple(failed), elapsed)


def _short(exc: BaseException, limit: int = 200) -> str:
    s = str(exc)
    return s if len(s) <= limit else s[: limit - 1] + "…"

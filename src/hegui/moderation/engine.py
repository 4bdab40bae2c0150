"""The moderation engine: run detectors on a text and collect what they found (an :class:`Assessment`).

A detector that raises is recorded in ``Assessment.detectors_failed`` (type and message only, never the text);
the policy then fails closed unless configured otherwise. A check that did not run is never reported as run.
Deciding what to do is the policy's job (``hegui.policy``); ``hegui.Moderator`` joins the two.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from hegui.core.errors import ConfigError
from hegui.core.types import Assessment, DetectorFailure, Finding, Stage
from hegui.detectors.base import DetectContext, Detector


class Engine:
    """An ordered set of loaded detectors."""

    def __init__(self, detectors: Sequence[Detector]) -> None:
        names = [d.name for d in detectors]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ConfigError(f"detector configured twice: {', '.join(dupes)}", f"检测器重复配置：{', '.join(dupes)}")
        self.detectors: tuple[Detector, ...] = tuple(detectors)
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


def _short(exc: BaseException, limit: int = 200) -> str:
    s = str(exc)
    return s if len(s) <= limit else s[: limit - 1] + "…"

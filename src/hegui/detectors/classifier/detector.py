"""The ``classifier`` detector: the shipped (or a user-trained) n-gram model as moderation findings.

Findings. For every risk code whose probability ``P(harmful) * P(code | harmful)`` reaches ``min_score`` the
detector reports one finding (``kind="model"``, ``meta.head="risk"``). When the ``harmful`` head reaches
``min_score`` but no code reaches ``harmful_unless`` (the harm is clear, its kind is not), it also reports the
most likely code with ``kind="harmful_request"`` and the ``harmful`` probability as the score
(``meta.head="harmful"``). ``harmful_unless`` defaults to the default policy's classifier threshold (0.6): a code
finding the policy ignores must not hide a confident ``harmful`` head.

Severity by score band (the manifest's ``thresholds.severity``, by default): ``>= 0.9`` high, ``>= 0.7`` medium,
else low. ``span`` is ``None`` for a text scored in one piece; for a long text scored in windows it is the
original-text span of the window the score came from. Evidence is ``"model p=0.93"`` (never the text).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from hegui.core.errors import ConfigError, DetectorError
from hegui.core.types import Finding, Severity, Span
from hegui.detectors.base import DetectContext, Detector, register
from hegui.detectors.classifier.model import HARMFUL, ClassifierModel, shipped_model


@register
class ClassifierDetector(Detector):
    """Parameters: ``path`` (a model directory; ``None`` = the shipped model), ``min_score`` (findings below
    are not reported), ``max_chars`` (window length in normalised characters; ``None`` = the model's),
    ``harmful_unless`` (the ``harmful`` finding is added unless a code finding reaches this score)."""

    name = "classifier"

    def __init__(
        self,
        *,
        path: str | None = None,
        min_score: float = 0.5,
        max_chars: int | None = None,
        harmful_unless: float = 0.6,
        **params: Any,
    ) -> None:
        super().__init__(**params)
        if path is not None and not isinstance(path, str | Path):
            raise ConfigError("classifier: 'path' must be a directory path", "classifier：'path' 必须是目录路径")
        if isinstance(min_score, bool) or not isinstance(min_score, int | float) or not 0.0 <= float(min_score) <= 1.0:
            raise ConfigError(
                "classifier: 'min_score' must be a number from 0 to 1", "classifier：'min_score' 必须是 0 到 1 之间的数"
            )
        if max_chars is not None and (isinstance(max_chars, bool) or not isinstance(max_chars, int) or max_chars < 16):
            raise ConfigError(
                "classifier: 'max_chars' must be an integer of at least 16", "classifier：'max_chars' 必须是不小于 16 的整数"
            )
        self.path = str(path) if path is not None else None
        if (
            isinstance(harmful_unless, bool)
            or not isinstance(harmful_unless, int | float)
            or not 0.0 <= float(harmful_unless) <= 1.01
        ):
            raise ConfigError(
                "classifier: 'harmful_unless' must be a number from 0 to 1",
                "classifier：'harmful_unless' 必须是 0 到 1 之间的数",
            )
        self.min_score = float(min_score)
        self.harmful_unless = float(harmful_unless)
        self.max_chars = max_chars
        self._model: ClassifierModel | None = None
        self._high = 0.9
        self._medium = 0.7
        self._lock = threading.Lock()

    def load(self) -> None:
        if self._model is not None:
            return
        with self._lock:
            if self._model is not None:
                return
            model = shipped_model() if self.path is None else ClassifierModel.load(self.path)
            if self.max_chars is not None and self.max_chars != model.max_chars:
                model = model.with_window(self.max_chars)
            sev = model.manifest.get("thresholds", {}).get("severity", {})
            try:
                self._high = float(sev.get("high", 0.9))
                self._medium = float(sev.get("medium", 0.7))
            except (TypeError, ValueError) as exc:
                raise DetectorError("classifier", f"bad severity thresholds in the manifest: {exc}") from exc
            self._model = model
            self._loaded = True

    @property
    def model(self) -> ClassifierModel:
        if self._model is None:
            self.load()
        assert self._model is not None
        return self._model

    @property
    def version(self) -> str:
        return self.model.version

    def severity(self, score: float) -> Severity:
        if score >= self._high:
            return Severity.HIGH
        if score >= self._medium:
            return Severity.MEDIUM
        return Severity.LOW

    def detect(self, text: str, ctx: DetectContext) -> list[Finding]:
        model = self.model
        if not text:
            return []
        nt = model.normalize_full(text)
        sc = model.score_normalized(nt.text)
        probs = sc.probs
        if float(probs[0]) < self.min_score:
            return []
        windowed = len(sc.windows) > 1

        def span(head: int) -> Span | None:
            if not windowed:
                return None
            s, e = sc.windows[int(sc.best[head])]
            a, b = nt.orig_span(s, e)
            return Span(a, b)

        version = model.version
        out: list[Finding] = []
        for k in range(1, len(model.heads)):
            p = float(probs[k])
            if p >= self.min_score:
                out.append(
                    Finding(
                        detector=self.name,
                        risk=model.heads[k],
                        severity=self.severity(p),
                        span=span(k),
                        evidence=f"model p={p:.2f}",
                        score=p,
                        kind="model",
                        meta={"model_version": version, "head": "risk"},
                    )
                )
        if len(model.heads) > 1 and (not out or max(f.score for f in out) < self.harmful_unless):
            top = 1 + int(probs[1:].argmax())
            p = float(probs[0])
            out.append(
                Finding(
                    detector=self.name,
                    risk=model.heads[top],
                    severity=self.severity(p),
                    span=span(0),
                    evidence=f"model p={p:.2f} ({HARMFUL}; most likely {model.heads[top]})",
                    score=p,
                    kind="harmful_request",
                    meta={"model_version": version, "head": HARMFUL},
                )
            )
        out.sort(key=lambda f: (-f.score, f.risk))
        return out

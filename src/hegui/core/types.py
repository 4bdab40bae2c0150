"""Core value types. Frozen dataclasses; no behaviour beyond small helpers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class _OrderedStrEnum(StrEnum):
    """A str enum whose members compare by declaration order (for severities and actions)."""

    # Members compare by declaration order (``_sort_order_``, set by ``enum`` for every member): a plain
    # attribute read, since decisions compare severities and actions in their hot loop.
    def __lt__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._sort_order_ < other._sort_order_  # type: ignore[attr-defined,no-any-return]

    def __le__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._sort_order_ <= other._sort_order_  # type: ignore[attr-defined,no-any-return]

    def __gt__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._sort_order_ > other._sort_order_  # type: ignore[attr-defined,no-any-return]

    def __ge__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._sort_order_ >= other._sort_order_  # type: ignore[attr-defined,no-any-return]

    def __str__(self) -> str:
        return str(self.value)


class Stage(StrEnum):
    INPUT = "input"
    OUTPUT = "output"
    STREAM_CHUNK = "stream_chunk"
    FILE = "file"
    CORPUS = "corpus"

    def __str__(self) -> str:
        return str(self.value)


class Action(_OrderedStrEnum):
    """What to do with the text, from least to most restrictive."""

    PASS = "pass"
    REVIEW = "review"  # deliver, but queue for a human
    REDACT = "redact"  # deliver with the spans masked
    BLOCK = "block"  # refuse with a safe answer


class RiskLevel(_OrderedStrEnum):
    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Severity(_OrderedStrEnum):
    """How bad one finding is on its own."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True, slots=True)
class Span:
    """Half-open character range ``[start, end)`` in the ORIGINAL text."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"bad span [{self.start}, {self.end})")

    def contains(self, other: Span) -> bool:
        return self.start <= other.start and other.end <= self.end

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class Finding:
    """What one detector saw."""

    detector: str  # "lexicon", "pii", ...
    risk: str  # a risk code from hegui.core.taxonomy
    severity: Severity
    span: Span | None  # None for whole-text findings
    evidence: str  # e.g. the library term, or the PII type; never the matched personal data itself
    score: float = 1.0
    kind: str = ""  # detector-specific subtype: "term", "rule", "id_card", "mobile", ...
    meta: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "detector": self.detector,
            "risk": self.risk,
            "severity": self.severity.value,
            "span": [self.span.start, self.span.end] if self.span else None,
            "evidence": self.evidence,
            "score": round(self.score, 4),
        }
        if self.kind:
            d["kind"] = self.kind
        if self.meta:
            d["meta"] = dict(self.meta)
        return d


@dataclass(frozen=True, slots=True)
class DetectorFailure:
    detector: str
    error: str  # the exception type and message; never the text being checked


@dataclass(frozen=True, slots=True)
class Assessment:
    """Everything the engine learnt about one text."""

    findings: tuple[Finding, ...]
    detectors_run: tuple[str, ...]
    detectors_failed: tuple[DetectorFailure, ...] = ()
    elapsed_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one text, and why."""

    action: Action
    risk_level: RiskLevel
    categories: tuple[str, ...]  # risk codes behind the action, sorted
    reasons: tuple[str, ...]  # short human-readable reasons (no personal data)
    replacement: str | None  # the safe answer (block) or the masked text (redact)
    stage: Stage = Stage.INPUT
    findings: tuple[Finding, ...] = ()
    detectors_run: tuple[str, ...] = ()
    detectors_failed: tuple[DetectorFailure, ...] = ()
    elapsed_ms: float = 0.0

    @property
    def blocked(self) -> bool:
        return self.action is Action.BLOCK

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "risk_level": self.risk_level.value,
            "categories": list(self.categories),
            "reasons": list(self.reasons),
            "replacement": self.replacement,
            "stage": self.stage.value,
            "findings": [f.to_dict() for f in self.findings],
            "detectors_run": list(self.detectors_run),
            "detectors_failed": [{"detector": f.detector, "error": f.error} for f in self.detectors_failed],
            "elapsed_ms": round(self.elapsed_ms, 3),
        }

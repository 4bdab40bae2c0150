"""Plain value types that services hand to callers (no ORM objects leave :mod:`hegui.services`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "ACTIONS",
    "RISK_LEVELS",
    "STAGES",
    "Account",
    "AuditProblem",
    "Checkpoint",
    "ExchangeRecord",
    "KeyInfo",
    "KeyPrincipal",
    "StageRecord",
    "VerifyReport",
]

STAGES = frozenset({"input", "output", "stream_chunk"})
ACTIONS = frozenset({"pass", "review", "redact", "block"})
RISK_LEVELS = frozenset({"none", "low", "medium", "high"})


@dataclass(frozen=True)
class Account:
    """A customer account."""

    id: str
    name: str
    status: str  # "active" | "suspended"
    created_at: datetime


@dataclass(frozen=True)
class KeyInfo:
    """What is stored about an API key (never the key itself)."""

    id: str
    account_id: str
    prefix: str  # the first characters of the key, for display ("hg-AbCd")
    label: str
    rate_limit_per_min: int | None
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class KeyPrincipal:
    """Who a presented API key belongs to."""

    key_id: str
    account_id: str
    account_status: str
    rate_limit_per_min: int | None


def _tuple(obj: object, name: str) -> None:
    value = getattr(obj, name)
    if isinstance(value, str):
        raise TypeError(f"{name} must be a sequence of strings, not a string")
    if not isinstance(value, tuple):
        object.__setattr__(obj, name, tuple(value))


@dataclass(frozen=True)
class StageRecord:
    """The moderation decision at one stage of an exchange. Never holds the user's text."""

    stage: str  # "input" | "output" | "stream_chunk"
    action: str  # "pass" | "review" | "redact" | "block"
    risk_level: str  # "none" | "low" | "medium" | "high"
    categories: tuple[str, ...]
    detectors_run: tuple[str, ...]
    detectors_failed: tuple[str, ...]  # a failed detector is never listed in detectors_run
    reasons: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("categories", "detectors_run", "detectors_failed", "reasons"):
            _tuple(self, name)
        if self.stage not in STAGES:
            raise ValueError(f"stage must be one of {sorted(STAGES)}, not {self.stage!r}")
        if self.action not in ACTIONS:
            raise ValueError(f"action must be one of {sorted(ACTIONS)}, not {self.action!r}")
        if self.risk_level not in RISK_LEVELS:
            raise ValueError(f"risk_level must be one of {sorted(RISK_LEVELS)}, not {self.risk_level!r}")
        both = set(self.detectors_run) & set(self.detectors_failed)
        if both:
            raise ValueError(f"detectors both run and failed: {sorted(both)} (a failed detector did not run)")

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "action": self.action,
            "risk_level": self.risk_level,
            "categories": list(self.categories),
            "detectors_run": list(self.detectors_run),
            "detectors_failed": list(self.detectors_failed),
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class ExchangeRecord:
    """One request through the gateway, as recorded: the content log row (texts, redacted) plus the audit event
    (everything else). ``end_user`` is stored only as HMAC-SHA256(secret_key, end_user)."""

    request_id: str
    ts: datetime  # timezone-aware
    endpoint: str
    outcome: str
    http_status: int
    account_id: str | None = None
    key_id: str | None = None
    end_user: str | None = None
    model: str | None = None
    upstream: str | None = None
    error: str | None = None  # error class / message, never user content
    stages: tuple[StageRecord, ...] = ()
    input_text: str | None = None
    output_text: str | None = None
    latency_ms: Mapping[str, float] = field(default_factory=dict)
    user_id: str | None = None  # hegui's own id of the end user (not personal data by itself), when known

    def __post_init__(self) -> None:
        _tuple(self, "stages")
        if not self.request_id:
            raise ValueError("request_id is empty")
        if len(self.request_id) > 128:
            raise ValueError("request_id is longer than 128 characters")
        if self.ts.tzinfo is None or self.ts.utcoffset() is None:
            raise ValueError("ts must be timezone-aware (UTC)")
        if not self.endpoint or not self.outcome:
            raise ValueError("endpoint and outcome are required")


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement: the audit chain had ``count`` events, the last one ``seq`` with hash ``hash``."""

    seq: int
    hash: str
    count: int
    ts: datetime
    key_id: str  # fingerprint of the signing public key
    signature: str  # Ed25519 signature, hex


@dataclass(frozen=True)
class AuditProblem:
    """One sign of tampering found by :meth:`AuditService.verify`."""

    kind: str  # "edit" | "delete" | "reorder" | "truncate" | "signature"
    seq: int | None
    detail_en: str
    detail_zh: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "seq": self.seq, "detail_en": self.detail_en, "detail_zh": self.detail_zh}


@dataclass(frozen=True)
class VerifyReport:
    """The result of verifying the audit chain."""

    ok: bool
    events: int
    checkpoints: int
    problems: tuple[AuditProblem, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events": self.events,
            "checkpoints": self.checkpoints,
            "problems": [p.to_dict() for p in self.problems],
        }

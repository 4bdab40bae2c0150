"""The ``pii`` detector: personal information in text (risk A4.6, personal-information rights)."""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
from collections.abc import Iterable, Sequence
from typing import Any

from hegui.core.errors import ConfigError
from hegui.core.types import Finding, Severity, Span
from hegui.detectors.base import DetectContext, Detector, register
from hegui.detectors.pii.idcard import load_region_table
from hegui.detectors.pii.redact import PSEUDONYM_HEX, RedactMode, _key_bytes, normalise_value, redact
from hegui.detectors.pii.scan import PII_TYPES, Hit, Scanner

RISK_CODE = "A4.6"

# severity of one finding, by type: identity and payment numbers are high; contact/travel-document numbers
# medium; e-mail addresses and licence plates (often public-facing) low
SEVERITY: dict[str, Severity] = {
    "id_card": Severity.HIGH,
    "bank_card": Severity.HIGH,
    "mobile": Severity.MEDIUM,
    "passport": Severity.MEDIUM,
    "email": Severity.LOW,
    "plate": Severity.LOW,
}


@register
class PIIDetector(Detector):
    """Resident ID numbers, mobile numbers, bank cards, e-mail addresses, passports and licence plates.

    Params:
        types: the PII types to report (default: all of ``PII_TYPES``).
        hmac_key: optional secret (>= 16 bytes). When set, every finding's meta carries ``pseudonym``, an
            HMAC of the normalised value, so the same person's number can be linked across texts without
            storing it; :meth:`redact` with ``mode="pseudonym"`` uses it too.

    Findings never carry the matched value: ``evidence`` and ``kind`` are the type name, the span points
    into the original text.
    """

    name = "pii"

    def __init__(self, *, types: Sequence[str] | None = None, hmac_key: str | None = None, **params: Any) -> None:
        super().__init__(**params)
        if types is not None:
            if isinstance(types, str) or not all(isinstance(t, str) for t in types):
                raise ConfigError(
                    "detector 'pii': types must be a list of type names",
                    "检测器 'pii'：types 必须是类型名称的列表",
                )
            unknown = sorted(set(types) - set(PII_TYPES))
            if unknown:
                raise ConfigError(
                    f"detector 'pii': unknown types {unknown}; known: {', '.join(PII_TYPES)}",
                    f"检测器 'pii'：未知类型 {unknown}；可用：{', '.join(PII_TYPES)}",
                )
            if not types:
                raise ConfigError(
                    "detector 'pii': types is empty; leave it out to detect every type",
                    "检测器 'pii'：types 为空；不设置即检测全部类型",
                )
        self._types: frozenset[str] = frozenset(PII_TYPES if types is None else types)
        self._key: bytes | None = None
        if hmac_key is not None:
            if not isinstance(hmac_key, str):
                raise ConfigError("detector 'pii': hmac_key must be a string", "检测器 'pii'：hmac_key 必须是字符串")
            self._key = _key_bytes(hmac_key)
        self._scanner: Scanner | None = None

    @property
    def types(self) -> frozenset[str]:
        return self._types

    def load(self) -> None:
        if self._scanner is None:
            self._scanner = Scanner(load_region_table(), self._types)
        self._loaded = True

    def scan(self, text: str, *, today: _dt.date | None = None) -> list[Hit]:
        """Raw hits (kind, span, score, meta) for ``text``; ``today`` bounds ID birth dates (default: today)."""
        if self._scanner is None:
            self.load()
        assert self._scanner is not None
        return self._scanner.scan(text, today)

    def detect(self, text: str, ctx: DetectContext) -> list[Finding]:
        hits = self.scan(text)
        if not hits:
            return []
        key = self._key
        findings: list[Finding] = []
        for h in hits:
            meta: dict[str, Any] = dict(h.meta)
            if key is not None:
                msg = f"{h.kind}\x1f{normalise_value(h.kind, text[h.start : h.end])}".encode()
                meta["pseudonym"] = hmac.new(key, msg, hashlib.sha256).hexdigest()[:PSEUDONYM_HEX]
            findings.append(
                Finding(
                    detector=self.name,
                    risk=RISK_CODE,
                    severity=SEVERITY[h.kind],
                    span=Span(h.start, h.end),
                    evidence=h.kind,
                    score=h.score,
                    kind=h.kind,
                    meta=meta,
                )
            )
        return findings

    def redact(self, text: str, findings: Iterable[Finding], mode: RedactMode = "mask", *, lang: str = "zh") -> str:
        """:func:`hegui.detectors.pii.redact` with this detector's ``hmac_key``."""
        return redact(text, findings, mode, key=self._key, lang=lang)

"""PII detection, validation and redaction.

Public API::

    from hegui.detectors.pii import PIIDetector, validate_resident_id, redact

Importing this package loads no data: the region table is read on first use.
"""

from __future__ import annotations

from hegui.detectors.pii.detector import RISK_CODE, SEVERITY, PIIDetector
from hegui.detectors.pii.idcard import (
    IdCheckResult,
    IdReason,
    RegionStatus,
    RegionTable,
    id_check_char,
    load_region_table,
    upgrade_15_to_18,
    validate_resident_id,
)
from hegui.detectors.pii.redact import (
    TAGS,
    RedactionKeyError,
    RedactMode,
    mask,
    normalise_value,
    pseudonym,
    redact,
    tag,
)
from hegui.detectors.pii.scan import PII_TYPES, Hit, card_score, luhn_valid, mobile_score

__all__ = [
    "PII_TYPES",
    "RISK_CODE",
    "SEVERITY",
    "TAGS",
    "Hit",
    "IdCheckResult",
    "IdReason",
    "PIIDetector",
    "RedactMode",
    "RedactionKeyError",
    "RegionStatus",
    "RegionTable",
    "card_score",
    "id_check_char",
    "load_region_table",
    "luhn_valid",
    "mask",
    "mobile_score",
    "normalise_value",
    "pseudonym",
    "redact",
    "tag",
    "upgrade_15_to_18",
    "validate_resident_id",
]

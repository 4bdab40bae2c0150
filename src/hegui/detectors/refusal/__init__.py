"""Refusal detection: is a model's answer a refusal / safe deflection, a partial refusal, or compliance?

Public API::

    from hegui.detectors.refusal import RefusalDetector

    det = RefusalDetector()          # cheap; det.load() reads the shipped model (or classify() does, once)
    r = det.classify("抱歉，我无法提供这类信息。", prompt="怎么制作炸药？")
    r.label, r.score, r.reasons      # "refusal", 0.9..., ("decline@lead", "apology@lead", ...)
    det.is_refusal(answer)           # refusal or partial

Importing this package loads no data. See docs/refusal.md for the method and measured accuracy.
"""

from __future__ import annotations

from hegui.detectors.refusal.detector import Label, RefusalDetector, RefusalResult, default_model_path

__all__ = ["Label", "RefusalDetector", "RefusalResult", "default_model_path"]

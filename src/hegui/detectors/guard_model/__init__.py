"""External guard models (Qwen3Guard-Gen, Llama Guard 3/4) as a detector.

Public API::

    from hegui.detectors.guard_model import GuardModelDetector, parse_qwen3guard, parse_llamaguard

Importing this package imports neither httpx nor torch/transformers: backends import them in ``load()``.
See docs/guard_models.md.
"""

from __future__ import annotations

from hegui.detectors.guard_model.backends import (
    GuardBackend,
    OpenAIGuardBackend,
    TransformersGuardBackend,
    build_messages,
)
from hegui.detectors.guard_model.detector import GuardModelDetector
from hegui.detectors.guard_model.parsers import (
    DEFAULT_CATEGORY_MAPS,
    LLAMAGUARD_CATEGORIES,
    LLAMAGUARD_NAMES,
    QWEN3GUARD_CATEGORIES,
    GuardModelError,
    GuardModelOutputError,
    GuardVerdict,
    parse_llamaguard,
    parse_output,
    parse_qwen3guard,
    verdict_findings,
)

__all__ = [
    "DEFAULT_CATEGORY_MAPS",
    "LLAMAGUARD_CATEGORIES",
    "LLAMAGUARD_NAMES",
    "QWEN3GUARD_CATEGORIES",
    "GuardBackend",
    "GuardModelDetector",
    "GuardModelError",
    "GuardModelOutputError",
    "GuardVerdict",
    "OpenAIGuardBackend",
    "TransformersGuardBackend",
    "build_messages",
    "parse_llamaguard",
    "parse_output",
    "parse_qwen3guard",
    "verdict_findings",
]

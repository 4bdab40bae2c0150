"""GB 45438-2025 labels for generated text.

Explicit label (§5.1, R-LBL-11): a visible text prompt at the start or the end of the generated text.
Implicit label (§6.1 and Annex E, R-LBL-17..23): the seven ``AIGC`` metadata fields, in the standard's order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from hegui.gateway.settings import LabelSettings

__all__ = [
    "AIGC_KEYS",
    "aigc_metadata",
    "explicit_label",
    "label_prefix",
    "label_suffix",
    "label_text",
    "validate_aigc",
]

#: the Annex E keys, in the required order
AIGC_KEYS: Final[tuple[str, ...]] = (
    "Label",
    "ContentProducer",
    "ProduceID",
    "ReservedCode1",
    "ContentPropagator",
    "PropagateID",
    "ReservedCode2",
)
_LABEL_VALUES: Final = frozenset({"1", "2", "3"})
# Annex E j): 0x21, 0x23-0x5B, 0x5D-0x7E (printable ASCII without space, '"' and '\')
_VALUE_RE: Final = re.compile(r"^[\x21\x23-\x5B\x5D-\x7E]*$")


def label_text(settings: LabelSettings, lang: str) -> str:
    """The label wording for ``lang`` ("zh..." → ``text_zh``, anything else → ``text_en``)."""
    return settings.text_zh if lang.startswith("zh") else settings.text_en


def label_prefix(settings: LabelSettings, lang: str) -> str:
    """What goes before the text (the first streamed delta): the label and a newline, or ""."""
    return label_text(settings, lang) + "\n" if settings.explicit == "start" else ""


def label_suffix(settings: LabelSettings, lang: str) -> str:
    """What goes after the text (the last streamed delta): a newline and the label, or ""."""
    return "\n" + label_text(settings, lang) if settings.explicit == "end" else ""


def explicit_label(text: str, settings: LabelSettings, *, lang: str) -> str:
    """``text`` with the visible label at the start or end per ``settings`` ("none": unchanged).

    Idempotent: a text that already carries the label at that place (in either language) is returned as is.
    """
    if settings.explicit == "none":
        return text
    labels = (settings.text_zh, settings.text_en)
    if settings.explicit == "start":
        if any(text.lstrip().startswith(lab) for lab in labels):
            return text
        return label_prefix(settings, lang) + text
    if any(text.rstrip().endswith(lab) for lab in labels):
        return text
    return text + label_suffix(settings, lang)


def aigc_metadata(settings: LabelSettings, produce_id: str) -> dict[str, str]:
    """The implicit label of a newly generated item (first write: propagator = producer).

    ``produce_id`` must itself satisfy Annex E j) (e.g. a request id such as ``chatcmpl-...``).
    """
    if not _VALUE_RE.match(produce_id):
        raise ValueError("produce_id must be printable ASCII without spaces, '\"' or '\\' (GB 45438 Annex E)")
    return {
        "Label": "1",
        "ContentProducer": settings.producer_code,
        "ProduceID": produce_id,
        "ReservedCode1": "",
        "ContentPropagator": settings.producer_code,
        "PropagateID": produce_id,
        "ReservedCode2": "",
    }


def validate_aigc(meta: Mapping[str, object]) -> list[str]:
    """Problems with an implicit label (empty list: compliant with Annex E)."""
    problems: list[str] = []
    keys = list(meta.keys())
    if keys != list(AIGC_KEYS):
        missing = [k for k in AIGC_KEYS if k not in meta]
        extra = [k for k in keys if k not in AIGC_KEYS]
        if missing:
            problems.append(f"missing keys: {', '.join(missing)}")
        if extra:
            problems.append(f"unexpected keys: {', '.join(extra)}")
        if not missing and not extra:
            problems.append(f"keys out of order: {', '.join(keys)} (required: {', '.join(AIGC_KEYS)})")
    for key, value in meta.items():
        if not isinstance(value, str):
            problems.append(f"{key}: value must be a string, not {type(value).__name__}")
        elif not _VALUE_RE.match(value):
            problems.append(f"{key}: only printable ASCII without space, '\"' or '\\' is allowed")
    label = meta.get("Label")
    if isinstance(label, str) and label not in _LABEL_VALUES:
        problems.append(f"Label must be \"1\", \"2\" or \"3\", not {label!r}")
    return problems

"""GB 45438-2025 labels for generated text.

Explicit label (§5.1, R-LBL-11): a visible text prompt at the start or the end of the generated text.
Implicit label (§6.1 and Annex E, R-LBL-17..23): the seven ``AIGC`` metadata fields, in the standard's order.
"""

from __future__ import annotations

from collections.abc import Mapping

from hegui.gateway.settings import LabelSettings
from hegui.labeling.model import AIGC_KEYS, AigcLabel, LabelValueError, validate

__all__ = [
    "AIGC_KEYS",
    "aigc_metadata",
    "explicit_label",
    "label_prefix",
    "label_suffix",
    "label_text",
    "validate_aigc",
]

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
    try:
        return AigcLabel.produce(settings.producer_code, produce_id).to_dict()
    except LabelValueError as exc:
        raise ValueError(
            "produce_id must be printable ASCII without spaces, '\"' or '\\' (GB 45438 Annex E)"
        ) from exc


def validate_aigc(meta: Mapping[str, object]) -> list[str]:
    """Problems with an implicit label (empty list: compliant with Annex E); see ``hegui.labeling.model.validate``."""
    return [p.en for p in validate(meta, require_ids=False)]

"""What every carrier module shares: ``FoundLabel`` and turning a stored string into one."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hegui.core.errors import HeguiError
from hegui.labeling.model import AigcLabel, LabelValueError, Problem, validate

__all__ = ["FoundLabel", "LabelFormatError", "found"]


class LabelFormatError(HeguiError):
    """A file that a carrier module cannot read or write."""

    exit_code = 2

    def __init__(self, en: str, zh: str | None = None) -> None:
        super().__init__(en, zh or f"无法读写该文件的标识（请使用 PNG、JPEG、WebP、MP3、WAV、MP4、PDF、DOCX、Markdown 或文本文件）：{en}")


@dataclass(frozen=True)
class FoundLabel:
    """One AIGC label site in a file.

    ``carrier``: where it was found (``png:iTXt:AIGC``, ``xmp:TC260:AIGC``, ``exif:UserComment``, ``id3:TXXX:AIGC``,
    ``wav:id3:TXXX:AIGC``, ``riff:INFO:ICMT``, ``mp4:udta:AIGC``, ``pdf:info:/AIGC``, ``pdf:xmp``,
    ``docx:custom:AIGC``, ``text:front-matter``, ``text:line``); ``raw``: the stored string; ``label``: the parsed
    label when the value has the seven string fields (values may still be invalid), else None; ``problems``:
    what ``validate`` finds (empty: a valid label).
    """

    carrier: str
    raw: str
    label: AigcLabel | None
    problems: tuple[Problem, ...] = field(default=())

    @property
    def valid(self) -> bool:
        return self.label is not None and not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "carrier": self.carrier,
            "raw": self.raw,
            "label": self.label.to_dict() if self.label is not None else None,
            "valid": self.valid,
            "problems": [p.to_dict() for p in self.problems],
        }


def found(carrier: str, raw: str | bytes, *, unwrap_aigc: bool = False) -> FoundLabel:
    """A ``FoundLabel`` for ``raw`` stored under ``carrier``.

    ``unwrap_aigc``: the stored JSON may be ``{"AIGC": {...}}`` or ``{"AIGC": "<json>"}`` (EXIF UserComment form).
    """
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    text = text.strip().strip("\x00")
    value: object = text
    if unwrap_aigc:
        try:
            outer = json.loads(text)
        except ValueError:
            outer = None
        if isinstance(outer, Mapping) and list(outer) == ["AIGC"]:
            inner = outer["AIGC"]
            value = inner if isinstance(inner, str) else json.dumps(inner, ensure_ascii=False, separators=(",", ":"))
    assert isinstance(value, str)
    problems = validate(value)
    try:
        label: AigcLabel | None = AigcLabel.from_json(value, strict=False)
    except LabelValueError:
        label = None
    return FoundLabel(carrier, text, label, tuple(problems))

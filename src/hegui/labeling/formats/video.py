"""MP4 / MOV: a freeform item ``----:cn.org.tc260:AIGC`` in ``moov.udta.meta.ilst`` (written with mutagen, no
re-encode). Any ilst item whose name is ``AIGC`` (whatever its ``mean``) is read and replaced."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Final

import mutagen.mp4

from hegui.labeling.formats.base import FoundLabel, LabelFormatError, found
from hegui.labeling.model import AigcLabel

__all__ = ["KEY", "read", "write"]

# mutagen is untyped
MP4: Any = mutagen.mp4.MP4
MP4FreeForm: Any = mutagen.mp4.MP4FreeForm

KEY: Final = "----:cn.org.tc260:AIGC"


def _is_aigc(key: str) -> bool:
    return key.startswith("----:") and key.rsplit(":", 1)[-1].upper() == "AIGC"


def read(path: str | Path) -> list[FoundLabel]:
    try:
        mp4 = MP4(str(path))
    except Exception as exc:
        raise LabelFormatError(f"cannot read MP4/MOV: {exc}") from exc
    out: list[FoundLabel] = []
    for key, values in (mp4.tags or {}).items():
        if _is_aigc(key):
            out += [found("mp4:udta:AIGC", bytes(v)) for v in values]
    return out


def write(path_in: str | Path, path_out: str | Path, label: AigcLabel) -> None:
    if Path(path_in) != Path(path_out):
        shutil.copyfile(path_in, path_out)
    mp4 = MP4(str(path_out))
    if mp4.tags is None:
        mp4.add_tags()
    assert mp4.tags is not None
    for key in [k for k in mp4.tags if _is_aigc(k)]:
        del mp4.tags[key]
    mp4.tags[KEY] = [MP4FreeForm(label.to_json().encode("utf-8"))]
    mp4.save()

"""MP3 (ID3v2 ``TXXX:AIGC``) and WAV (an ``id3 `` chunk with ``TXXX:AIGC``; a RIFF ``LIST/INFO`` ``ICMT``
holding ``AIGC=<json>`` or the JSON, as ffmpeg writes it, is read for compatibility and removed when we write).
Tags are edited with mutagen; the audio is never re-encoded."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path
from typing import Any

import mutagen.id3
import mutagen.wave

from hegui.labeling.formats.base import FoundLabel, LabelFormatError, found
from hegui.labeling.model import AigcLabel

__all__ = ["read_mp3", "read_wav", "write_mp3", "write_wav"]

# mutagen is untyped
ID3: Any = mutagen.id3.ID3
TXXX: Any = mutagen.id3.TXXX
WAVE: Any = mutagen.wave.WAVE
ID3NoHeaderError: type[Exception] = mutagen.id3.ID3NoHeaderError


def _txxx_labels(tags: Any, carrier: str) -> list[FoundLabel]:
    if tags is None:
        return []
    out: list[FoundLabel] = []
    for frame in tags.getall("TXXX"):
        if str(frame.desc).upper() == "AIGC":
            out += [found(carrier, str(t)) for t in frame.text]
    return out


def _set_txxx(tags: Any, value: str) -> None:
    for frame in list(tags.getall("TXXX")):
        if str(frame.desc).upper() == "AIGC":
            tags.delall(frame.HashKey)
    tags.add(TXXX(encoding=3, desc="AIGC", text=[value]))


# -- MP3 -------------------------------------------------------------------------------------------------------
def read_mp3(path: str | Path) -> list[FoundLabel]:
    try:
        tags = ID3(str(path))
    except ID3NoHeaderError:
        return []
    return _txxx_labels(tags, "id3:TXXX:AIGC")


def write_mp3(path_in: str | Path, path_out: str | Path, label: AigcLabel) -> None:
    if Path(path_in) != Path(path_out):
        shutil.copyfile(path_in, path_out)
    try:
        tags = ID3(str(path_out))
    except ID3NoHeaderError:
        tags = ID3()
    _set_txxx(tags, label.to_json())
    tags.save(str(path_out), v2_version=4)


# -- WAV -------------------------------------------------------------------------------------------------------
def _info_comments(data: bytes) -> list[tuple[int, int, bytes]]:
    """(start, end, value) of every ICMT sub-chunk inside LIST/INFO chunks (offsets into ``data``)."""
    out: list[tuple[int, int, bytes]] = []
    pos = 12
    while pos + 8 <= len(data):
        ctype, length = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        if ctype == b"LIST" and data[pos + 8 : pos + 12] == b"INFO":
            sub, end = pos + 12, pos + 8 + length
            while sub + 8 <= end:
                stype, slen = data[sub : sub + 4], struct.unpack("<I", data[sub + 4 : sub + 8])[0]
                if stype == b"ICMT":
                    out.append((sub, sub + 8 + slen + (slen & 1), data[sub + 8 : sub + 8 + slen]))
                sub += 8 + slen + (slen & 1)
        pos += 8 + length + (length & 1)
    return out


def _icmt_value(raw: bytes) -> str | None:
    text = raw.rstrip(b"\x00").decode("utf-8", "replace").strip()
    if text.upper().startswith("AIGC="):
        return text[5:]
    if text.startswith("{") and '"Label"' in text:
        return text
    return None


def _strip_icmt_labels(data: bytes) -> bytes:
    """``data`` without ICMT sub-chunks that hold a label (LIST and RIFF sizes fixed up)."""
    out = bytearray(data[:12])
    pos = 12
    while pos + 8 <= len(data):
        ctype, length = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        chunk = data[pos : pos + 8 + length + (length & 1)]
        if ctype == b"LIST" and data[pos + 8 : pos + 12] == b"INFO":
            body = bytearray(b"INFO")
            sub, end = pos + 12, pos + 8 + length
            while sub + 8 <= end:
                stype, slen = data[sub : sub + 4], struct.unpack("<I", data[sub + 4 : sub + 8])[0]
                piece = data[sub : sub + 8 + slen + (slen & 1)]
                if not (stype == b"ICMT" and _icmt_value(data[sub + 8 : sub + 8 + slen]) is not None):
                    body += piece
                sub += 8 + slen + (slen & 1)
            chunk = (b"LIST" + struct.pack("<I", len(body)) + bytes(body)) if len(body) > 4 else b""
        out += chunk
        pos += 8 + length + (length & 1)
    out[4:8] = struct.pack("<I", len(out) - 8)
    return bytes(out)


def read_wav(path: str | Path) -> list[FoundLabel]:
    data = Path(path).read_bytes()
    if not (data[:4] == b"RIFF" and data[8:12] == b"WAVE"):
        raise LabelFormatError("not a WAV file")
    out: list[FoundLabel] = []
    for _s, _e, raw in _info_comments(data):
        value = _icmt_value(raw)
        if value is not None:
            out.append(found("riff:INFO:ICMT", value))
    try:
        out += _txxx_labels(WAVE(str(path)).tags, "wav:id3:TXXX:AIGC")
    except Exception as exc:  # mutagen raises several types on odd chunks
        raise LabelFormatError(f"cannot read WAV tags: {exc}") from exc
    return out


def write_wav(path_in: str | Path, path_out: str | Path, label: AigcLabel) -> None:
    data = Path(path_in).read_bytes()
    Path(path_out).write_bytes(_strip_icmt_labels(data) if _info_comments(data) else data)
    audio = WAVE(str(path_out))
    if audio.tags is None:
        audio.add_tags()
    assert audio.tags is not None
    _set_txxx(audio.tags, label.to_json())
    audio.save()

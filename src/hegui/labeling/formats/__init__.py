"""Carriers of the implicit label, one module per file family, and format detection by magic bytes.

Each handler has ``write(path_in, path_out, label)`` (a copy of ``path_in`` carrying exactly one label, replacing
any existing one) and ``read(path) -> list[FoundLabel]`` (every label site, including compatibility carriers).
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from hegui.labeling.formats import audio, docx, image, pdf, text, video
from hegui.labeling.formats.base import FoundLabel, LabelFormatError
from hegui.labeling.model import AigcLabel

__all__ = ["FORMATS", "FoundLabel", "Handler", "LabelFormatError", "detect_format", "handler_for", "read_labels"]


@dataclass(frozen=True)
class Handler:
    name: str
    read: Callable[[str | Path], list[FoundLabel]]
    write: Callable[[str | Path, str | Path, AigcLabel], None]


FORMATS: Final[dict[str, Handler]] = {
    "png": Handler("png", image.read, image.write),
    "jpeg": Handler("jpeg", image.read, image.write),
    "webp": Handler("webp", image.read, image.write),
    "mp3": Handler("mp3", audio.read_mp3, audio.write_mp3),
    "wav": Handler("wav", audio.read_wav, audio.write_wav),
    "mp4": Handler("mp4", video.read, video.write),
    "mov": Handler("mov", video.read, video.write),
    "pdf": Handler("pdf", pdf.read, pdf.write),
    "docx": Handler("docx", docx.read, docx.write),
    "markdown": Handler("markdown", text.read, text.write),
    "text": Handler("text", text.read, text.write),
}

_MP4_BOXES: Final = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip")


def _looks_like_mp3(head: bytes) -> bool:
    if head.startswith(b"ID3"):
        return True
    return len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0 and (head[1] & 0x06) != 0


def detect_format(path: str | Path) -> str:
    """The format name (a key of ``FORMATS``) from the file's first bytes; the extension only separates MP4 from
    MOV and Markdown from plain text. Raises ``LabelFormatError`` for anything else."""
    p = Path(path)
    with open(p, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(image.PNG_SIG):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[4:8] in _MP4_BOXES:
        if (head[4:8] == b"ftyp" and head[8:12] == b"qt  ") or p.suffix.lower() == ".mov":
            return "mov"
        return "mp4"
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(p) as zf:
                names = set(zf.namelist())
        except zipfile.BadZipFile as exc:
            raise LabelFormatError(f"{p.name}: broken ZIP file") from exc
        if "[Content_Types].xml" in names and any(n.startswith("word/") for n in names):
            return "docx"
        raise LabelFormatError(f"{p.name}: ZIP file that is not a Word document")
    if _looks_like_mp3(head):
        return "mp3"
    if b"\x00" not in head:
        try:
            p.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return "markdown" if p.suffix.lower() in (".md", ".markdown", ".mdx") else "text"
    raise LabelFormatError(f"{p.name}: unsupported file format")


def handler_for(path: str | Path) -> Handler:
    return FORMATS[detect_format(path)]


def read_labels(path: str | Path) -> list[FoundLabel]:
    """Every AIGC label site in ``path`` (format detected from its content)."""
    return handler_for(path).read(path)

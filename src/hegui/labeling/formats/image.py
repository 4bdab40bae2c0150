"""PNG, JPEG and WebP: the label is written as XMP ``TC260:AIGC``; PNG text chunks keyed ``AIGC`` and EXIF
``UserComment`` (``{"AIGC": {...}}``) are read for compatibility and removed when we write, so a file keeps one
label (R-LBL-19). The pixel data is never re-encoded: chunks and segments are edited in place."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from typing import Final

from PIL import Image

from hegui.labeling.formats.base import FoundLabel, LabelFormatError, found
from hegui.labeling.formats.xmp import XMP_ID, read_xmp_labels, set_xmp_label
from hegui.labeling.model import AigcLabel

__all__ = ["read", "write"]

PNG_SIG: Final = b"\x89PNG\r\n\x1a\n"
_XMP_KEY: Final = b"XML:com.adobe.xmp"
_EXIF_IFD: Final = 0x8769
_USER_COMMENT: Final = 0x9286


def kind(data: bytes) -> str:
    if data.startswith(PNG_SIG):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    raise LabelFormatError("not a PNG, JPEG or WebP image")


# -- EXIF UserComment ------------------------------------------------------------------------------------------
def _decode_user_comment(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if not isinstance(value, bytes):
        return None
    head, body = value[:8], value[8:]
    if head.startswith(b"UNICODE"):
        for enc in ("utf-16-be", "utf-16-le"):
            try:
                text = body.decode(enc)
            except UnicodeDecodeError:
                continue
            if text.lstrip().startswith("{"):
                return text
        return body.decode("utf-16-be", "replace")
    if head.startswith((b"ASCII", b"\x00" * 8)):
        return body.decode("utf-8", "replace")
    return value.decode("utf-8", "replace")


def _is_aigc_comment(text: str | None) -> bool:
    return text is not None and ("AIGC" in text or '"Label"' in text)


def _exif_labels(exif_bytes: bytes) -> list[FoundLabel]:
    exif = Image.Exif()
    try:
        exif.load(exif_bytes)
        text = _decode_user_comment(exif.get_ifd(_EXIF_IFD).get(_USER_COMMENT))
    except Exception:
        return []
    if text is None or not _is_aigc_comment(text):
        return []
    return [found("exif:UserComment", text, unwrap_aigc=True)]


def _exif_without_label(exif_bytes: bytes) -> bytes | None:
    """The EXIF block without an AIGC UserComment; None if it had none (leave the block untouched)."""
    exif = Image.Exif()
    try:
        exif.load(exif_bytes)
        ifd = exif.get_ifd(_EXIF_IFD)
        if not _is_aigc_comment(_decode_user_comment(ifd.get(_USER_COMMENT))):
            return None
        del ifd[_USER_COMMENT]
        out: bytes = exif.tobytes()
    except Exception:
        return None
    return out


# -- PNG -------------------------------------------------------------------------------------------------------
def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    pos, chunks = 8, []
    while pos + 8 <= len(data):
        length, ctype = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if len(body) != length:
            raise LabelFormatError("truncated PNG chunk")
        chunks.append((ctype, body))
        pos += 12 + length
        if ctype == b"IEND":
            break
    return chunks


def _png_chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body) & 0xFFFFFFFF)


def _png_text(ctype: bytes, body: bytes) -> tuple[bytes, bytes] | None:
    """(keyword, text as UTF-8 bytes) of a tEXt/zTXt/iTXt chunk."""
    key, sep, rest = body.partition(b"\x00")
    if not sep:
        return None
    try:
        if ctype == b"tEXt":
            return key, rest.decode("latin-1").encode("utf-8")
        if ctype == b"zTXt":
            return key, zlib.decompress(rest[1:]).decode("latin-1").encode("utf-8")
        if ctype == b"iTXt":
            comp_flag, rest2 = rest[0], rest[2:]
            _lang, _, rest3 = rest2.partition(b"\x00")
            _tkey, _, text = rest3.partition(b"\x00")
            return key, zlib.decompress(text) if comp_flag else text
    except (zlib.error, IndexError, UnicodeDecodeError):
        return None
    return None


def _itxt(key: bytes, text: bytes) -> bytes:
    return _png_chunk(b"iTXt", key + b"\x00\x00\x00\x00\x00" + text)


def _read_png(data: bytes) -> list[FoundLabel]:
    out: list[FoundLabel] = []
    for ctype, body in _png_chunks(data):
        if ctype in (b"tEXt", b"zTXt", b"iTXt"):
            kt = _png_text(ctype, body)
            if kt is None:
                continue
            key, text = kt
            if key == _XMP_KEY:
                out += [found("xmp:TC260:AIGC", v) for v in read_xmp_labels(text)]
            elif key.upper() == b"AIGC":
                out.append(found(f"png:{ctype.decode()}:AIGC", text, unwrap_aigc=True))
        elif ctype == b"eXIf":
            out += _exif_labels(body)
    return out


def _write_png(data: bytes, value: str) -> bytes:
    out = [PNG_SIG]
    pending = True
    xmp_old: bytes | None = None
    for ctype, body in _png_chunks(data):
        if ctype in (b"tEXt", b"zTXt", b"iTXt"):
            kt = _png_text(ctype, body)
            if kt is not None and kt[0] == _XMP_KEY:
                xmp_old = kt[1] if xmp_old is None else xmp_old
                continue
            if kt is not None and kt[0].upper() == b"AIGC":
                continue
        if ctype == b"eXIf":
            cleaned = _exif_without_label(body)
            if cleaned is not None:
                body = cleaned[6:] if cleaned.startswith(b"Exif\x00\x00") else cleaned
        if ctype == b"IDAT" and pending:
            out.append(_itxt(_XMP_KEY, set_xmp_label(xmp_old, value) or b""))
            pending = False
        out.append(_png_chunk(ctype, body))
    return b"".join(out)


# -- JPEG ------------------------------------------------------------------------------------------------------
def _jpeg_segments(data: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """APPn/COM/... segments before the scan, and the rest of the file (from SOS on)."""
    pos = 2
    segs: list[tuple[int, bytes]] = []
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise LabelFormatError("corrupt JPEG marker")
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker == 0xDA or marker == 0xD9:
            return segs, data[pos:]
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        segs.append((marker, data[pos + 4 : pos + 2 + length]))
        pos += 2 + length
    raise LabelFormatError("JPEG without image data")


def _jpeg_seg(marker: int, body: bytes) -> bytes:
    if len(body) + 2 > 0xFFFF:
        raise LabelFormatError("JPEG segment too large")
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def _read_jpeg(data: bytes) -> list[FoundLabel]:
    out: list[FoundLabel] = []
    segs, _ = _jpeg_segments(data)
    for marker, body in segs:
        if marker == 0xE1 and body.startswith(XMP_ID):
            out += [found("xmp:TC260:AIGC", v) for v in read_xmp_labels(body[len(XMP_ID) :])]
        elif marker == 0xE1 and body.startswith(b"Exif\x00\x00"):
            out += _exif_labels(body)
    return out


def _write_jpeg(data: bytes, value: str) -> bytes:
    segs, rest = _jpeg_segments(data)
    xmp_old: bytes | None = None
    kept: list[tuple[int, bytes]] = []
    for marker, body in segs:
        if marker == 0xE1 and body.startswith(XMP_ID):
            xmp_old = body[len(XMP_ID) :] if xmp_old is None else xmp_old
            continue
        if marker == 0xE1 and body.startswith(b"Exif\x00\x00"):
            cleaned = _exif_without_label(body)
            if cleaned is not None:
                body = cleaned if cleaned.startswith(b"Exif\x00\x00") else b"Exif\x00\x00" + cleaned
        kept.append((marker, body))
    xmp_seg = (0xE1, XMP_ID + (set_xmp_label(xmp_old, value) or b""))
    # after JFIF (APP0) and EXIF (APP1), before everything else
    at = 0
    while at < len(kept) and kept[at][0] in (0xE0, 0xE1):
        at += 1
    kept.insert(at, xmp_seg)
    return b"\xff\xd8" + b"".join(_jpeg_seg(m, b) for m, b in kept) + rest


# -- WebP ------------------------------------------------------------------------------------------------------
def _riff_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    pos, chunks = 12, []
    while pos + 8 <= len(data):
        ctype = data[pos : pos + 4]
        length = struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        chunks.append((ctype, data[pos + 8 : pos + 8 + length]))
        pos += 8 + length + (length & 1)
    return chunks


def _riff_chunk(ctype: bytes, body: bytes) -> bytes:
    return ctype + struct.pack("<I", len(body)) + body + (b"\x00" if len(body) & 1 else b"")


def _read_webp(data: bytes) -> list[FoundLabel]:
    out: list[FoundLabel] = []
    for ctype, body in _riff_chunks(data):
        if ctype == b"XMP ":
            out += [found("xmp:TC260:AIGC", v) for v in read_xmp_labels(body)]
        elif ctype == b"EXIF":
            out += _exif_labels(body)
    return out


def _write_webp(data: bytes, value: str) -> bytes:
    chunks = _riff_chunks(data)
    xmp_old = next((b for c, b in chunks if c == b"XMP "), None)
    chunks = [(c, b) for c, b in chunks if c != b"XMP "]
    fixed: list[tuple[bytes, bytes]] = []
    for ctype, body in chunks:
        if ctype == b"EXIF":
            cleaned = _exif_without_label(body)
            if cleaned is not None:
                body = cleaned[6:] if cleaned.startswith(b"Exif\x00\x00") else cleaned
        fixed.append((ctype, body))
    if not fixed or fixed[0][0] != b"VP8X":
        with Image.open(io.BytesIO(data)) as im:
            w, h = im.size
            alpha = im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info
        flags = 0x10 if alpha else 0
        vp8x = bytes([flags, 0, 0, 0]) + (w - 1).to_bytes(3, "little") + (h - 1).to_bytes(3, "little")
        fixed.insert(0, (b"VP8X", vp8x))
    head = bytearray(fixed[0][1])
    head[0] |= 0x04  # XMP present
    if any(c == b"EXIF" for c, _ in fixed):
        head[0] |= 0x08
    fixed[0] = (b"VP8X", bytes(head))
    fixed.append((b"XMP ", set_xmp_label(xmp_old, value) or b""))
    body = b"WEBP" + b"".join(_riff_chunk(c, b) for c, b in fixed)
    return b"RIFF" + struct.pack("<I", len(body)) + body


# -- entry points ----------------------------------------------------------------------------------------------
def read(path: str | Path) -> list[FoundLabel]:
    """Every AIGC label site in a PNG, JPEG or WebP file."""
    data = Path(path).read_bytes()
    return {"png": _read_png, "jpeg": _read_jpeg, "webp": _read_webp}[kind(data)](data)


def write(path_in: str | Path, path_out: str | Path, label: AigcLabel) -> None:
    """Copy ``path_in`` to ``path_out`` with exactly one label, as XMP ``TC260:AIGC``."""
    data = Path(path_in).read_bytes()
    new = {"png": _write_png, "jpeg": _write_jpeg, "webp": _write_webp}[kind(data)](data, label.to_json())
    Path(path_out).write_bytes(new)

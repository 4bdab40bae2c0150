"""Explicit (visible or audible) labels for generated content, GB 45438-2025 §5 (R-LBL-11..14).

- text (§5.1): a notice at the start or the end of the text;
- image (§5.2): a text label with both elements in a corner or at an edge, glyph height ≥ 5 % of the short side;
- audio (§5.3): a spoken label (``espeak-ng`` when installed) or the rhythm short-long-short-short (Morse "AI")
  at the start and/or the end;
- video (§5.4): the image label drawn on every frame of the first ``seconds`` (≥ 2 s) of the video.

Every wording must contain an AI element ("人工智能" or "AI") and a generation element ("生成" or "合成"; in English
"generated" or "synthesized") — :func:`has_required_elements`.

How the height is measured (the standard says "text height" without defining it): we render the label and
measure the **ink** height of its reference glyphs — the Han characters, capital Latin letters and digits, which
have no descenders — and size the font until that height is ≥ 5 % of ``min(width, height)``. The whole line's
ink box (with descenders) is reported as well. Measurements are returned with every result.

The label font: the shipped subset of Noto Sans CJK SC Bold (SIL OFL 1.1, ``fonts/``) when it covers the
wording, else ``$HEGUI_LABEL_FONT``, else a CJK font found on the system (``apt-get install fonts-noto-cjk``).

Apply the explicit label **before** writing the implicit (metadata) label: audio and video are re-encoded here.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

__all__ = [
    "MIN_HEIGHT_RATIO",
    "RHYTHM",
    "VIDEO_MIN_SECONDS",
    "ExplicitResult",
    "FontNotFoundError",
    "LabelError",
    "apply_explicit",
    "find_font",
    "has_required_elements",
    "label_audio",
    "label_image",
    "label_text",
    "label_video",
    "rhythm_cue",
]

Kind = Literal["text", "image", "audio", "video"]
Placement = Literal["start", "end", "both"]

#: GB 45438 §5.2 / §5.4: text height ≥ 5 % of the shortest side
MIN_HEIGHT_RATIO: Final = 0.05
#: we aim a little above the minimum so that resampling or re-encoding cannot push the label under it
TARGET_HEIGHT_RATIO: Final = 0.06
#: GB 45438 §5.4: the opening-frame label stays ≥ 2 s; we default to 3 s
VIDEO_MIN_SECONDS: Final = 2.0
VIDEO_DEFAULT_SECONDS: Final = 3.0

#: the audio rhythm label: Morse "AI" (·− ··) = short-long-short-short. The standard fixes no timing; we use
#: Morse proportions with a 120 ms unit: dot 1 unit, dash 3 units, gap inside a letter 1 unit, between letters 3.
RHYTHM: Final = "SLSS"
RHYTHM_UNIT_S: Final = 0.12
RHYTHM_TONE_HZ: Final = 1000.0
RHYTHM_AMPLITUDE: Final = 0.5  # of full scale
#: silence between the cue (or spoken label) and the content
AUDIO_GAP_S: Final = 0.5
#: spoken label rate: GB 45438 §5.3 note, 120-160 Chinese characters per minute
SPOKEN_ZH: Final = "本内容由人工智能生成"
SPOKEN_EN: Final = "This content is AI generated"
SPOKEN_RATE_WPM: Final = 140

#: the default image/video label wording
_DEFAULT_ZH: Final = "AI生成"
_DEFAULT_EN: Final = "AI-generated"
#: text notices: the same wording as the gateway's (``hegui.gateway.settings.LabelSettings``)
TEXT_NOTICE_ZH: Final = "（本内容由人工智能生成）"
TEXT_NOTICE_EN: Final = "(AI-generated content)"

_AI_TERMS: Final = ("人工智能", "AI")
_GEN_TERMS: Final = ("生成", "合成")
_GEN_TERMS_EN: Final = re.compile(r"generat|synthes", re.IGNORECASE)
_POSITIONS: Final = ("bottom-right", "bottom-left", "top-right", "top-left", "bottom", "top")
_REFERENCE_GLYPH: Final = re.compile(r"[\u3400-\u9fff\uf900-\ufaffA-Z0-9]")

_FONT_PACKAGE_DIR: Final = "hegui.labeling"
_SYSTEM_FONTS: Final[tuple[tuple[str, int], ...]] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc", 2),
    ("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("/System/Library/Fonts/PingFang.ttc", 0),
    ("/System/Library/Fonts/STHeiti Medium.ttc", 0),
    ("C:/Windows/Fonts/msyhbd.ttc", 0),
    ("C:/Windows/Fonts/msyh.ttc", 0),
    ("C:/Windows/Fonts/simhei.ttf", 0),
)


class LabelError(ValueError):
    """The label cannot be applied as asked (wording without both elements, no room, unsupported input)."""


class FontNotFoundError(LabelError):
    """No font can draw the wording."""


@dataclass(frozen=True)
class ExplicitResult:
    """What :func:`apply_explicit` did, in words and in figures."""

    kind: str
    method: str  # "front-notice" | "end-notice" | "overlay" | "rhythm" | "spoken" | "opening-frames"
    detail_en: str
    detail_zh: str
    measurements: dict[str, Any] = field(default_factory=dict)


def has_required_elements(text: str) -> bool:
    """Whether ``text`` contains an AI element and a generation element (GB 45438 §5.1 b)."""
    ai = any(term in text for term in _AI_TERMS)
    gen = any(term in text for term in _GEN_TERMS) or bool(_GEN_TERMS_EN.search(text))
    return ai and gen


def _wording(lang: str, text_zh: str, text_en: str) -> str:
    text = text_zh if lang.startswith("zh") else text_en
    if not has_required_elements(text):
        raise LabelError(
            f"label wording {text!r} must contain an AI element (人工智能/AI) and a generation element "
            "(生成/合成, or 'generated'/'synthesized') — GB 45438 §5.1"
        )
    return text


# ---------------------------------------------------------------------------------------------- text


def label_text(text: str, *, placement: Placement = "start", lang: str = "zh", label: str | None = None) -> str:
    """``text`` with a visible notice at its start, its end, or both (R-LBL-11).

    ``label`` defaults to the gateway's notice wording in ``lang``. Idempotent: a notice already at that place
    is not added twice.
    """
    notice = label if label is not None else (TEXT_NOTICE_ZH if lang.startswith("zh") else TEXT_NOTICE_EN)
    out = text
    if placement in ("start", "both") and not out.lstrip().startswith(notice):
        out = notice + "\n" + out
    if placement in ("end", "both") and not out.rstrip().endswith(notice):
        out = out + ("" if out.endswith("\n") or not out else "\n") + notice
    return out


_FRONT_MATTER: Final = re.compile(r"\A---\r?\n.*?\r?\n---\r?\n", re.DOTALL)


def _label_text_file(src: Path, dst: Path, *, lang: str, notice: str, placement: Placement) -> ExplicitResult:
    raw = src.read_text(encoding="utf-8")
    m = _FRONT_MATTER.match(raw) if src.suffix.lower() in (".md", ".markdown") else None
    head, body = (raw[: m.end()], raw[m.end():]) if m else ("", raw)
    dst.write_text(head + label_text(body, placement=placement, lang=lang, label=notice), encoding="utf-8")
    where_en = {"start": "at the start", "end": "at the end", "both": "at the start and the end"}[placement]
    where_zh = {"start": "开头", "end": "结尾", "both": "开头和结尾"}[placement]
    return ExplicitResult(
        kind="text",
        method="front-notice" if placement == "start" else ("end-notice" if placement == "end" else "notices"),
        detail_en=f"notice {notice!r} added {where_en} of the text" + (" (after the front matter)" if m else ""),
        detail_zh=f"已在文本{where_zh}添加提示文字“{notice}”",
        measurements={"placement": placement, "notice": notice, "front_matter": bool(m)},
    )


# ---------------------------------------------------------------------------------------------- fonts


@functools.lru_cache(maxsize=1)
def _shipped_font() -> tuple[Path, frozenset[str]] | None:
    try:
        base = resources.files(_FONT_PACKAGE_DIR).joinpath("fonts")
        meta = json.loads(base.joinpath("label-font.json").read_text(encoding="utf-8"))
        path = Path(str(base.joinpath(meta["file"])))
    except (FileNotFoundError, KeyError, ValueError, OSError):
        return None
    return (path, frozenset(meta["chars"])) if path.is_file() else None


def _fc_match(text: str) -> tuple[str, int] | None:
    fc = shutil.which("fc-match")
    if fc is None:
        return None
    lang = ":lang=zh-cn" if any(ord(c) > 0x2E7F for c in text) else ""
    try:
        out = subprocess.run([fc, "-f", "%{file}\t%{index}", f"sans-serif:bold{lang}"],
                             capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    path, _, index = out.partition("\t")
    if not path or not Path(path).is_file():
        return None
    return path, int(index or 0)


def find_font(text: str) -> tuple[str, int]:
    """A font file (and face index) that can draw ``text``: ``$HEGUI_LABEL_FONT``, the shipped subset, or a
    system CJK font. Raises :class:`FontNotFoundError` naming the package to install."""
    env = os.environ.get("HEGUI_LABEL_FONT")
    if env:  # "path" or "path:face-index"
        env_path, _, env_index = env.partition(":") if not Path(env).is_file() else (env, "", "")
        if not Path(env_path).is_file():
            raise FontNotFoundError(f"HEGUI_LABEL_FONT={env!r} is not a font file")
        return env_path, int(env_index or 0)
    shipped = _shipped_font()
    if shipped is not None and set(text) <= shipped[1]:
        return str(shipped[0]), 0
    for path, index in _SYSTEM_FONTS:
        if Path(path).is_file():
            return path, index
    if all(ord(c) < 0x2E80 for c in text):
        found = _fc_match(text)
        if found is not None:
            return found
    raise FontNotFoundError(
        f"no font can draw the label {text!r}: the shipped subset lacks some of its characters and no CJK font "
        "was found. Install one (Debian/Ubuntu: apt-get install fonts-noto-cjk) or set HEGUI_LABEL_FONT=/path/font"
    )


@functools.lru_cache(maxsize=64)
def _font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size=size, index=index)


# ---------------------------------------------------------------------------------------------- image


def _ink_box(text: str, font: ImageFont.FreeTypeFont) -> tuple[int, int, int, int] | None:
    """The ink bounding box of ``text`` drawn at (0, 0) with ``font`` (coordinates relative to that origin)."""
    left, top, right, bottom = (math.floor(v) for v in font.getbbox(text))
    w, h = max(1, right - left + 4), max(1, bottom - top + 4)
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).text((2 - left, 2 - top), text, font=font, fill=255)
    box = mask.point(lambda v: 255 if v >= 128 else 0).getbbox()
    if box is None:
        return None
    return box[0] - 2 + left, box[1] - 2 + top, box[2] - 2 + left, box[3] - 2 + top


def _reference_height(text: str, font: ImageFont.FreeTypeFont) -> int:
    """Ink height of the reference glyphs (Han, A-Z, 0-9: no descenders), or of the whole text if none."""
    ref = "".join(_REFERENCE_GLYPH.findall(text)) or text
    box = _ink_box(ref, font)
    return 0 if box is None else box[3] - box[1]


def _fit_font(text: str, path: str, index: int, target_px: int) -> tuple[ImageFont.FreeTypeFont, int]:
    """The smallest font size whose reference-glyph ink height is ≥ ``target_px``."""
    size = max(4, round(target_px / 0.85))
    for _ in range(4):  # converge by proportion, then step
        h = _reference_height(text, _font(path, index, size))
        if h <= 0:
            raise FontNotFoundError(f"font {path} draws no ink for {text!r}")
        new = max(4, math.ceil(size * target_px / h))
        if new == size:
            break
        size = new
    while _reference_height(text, _font(path, index, size)) < target_px:
        size += 1
    while size > 4 and _reference_height(text, _font(path, index, size - 1)) >= target_px:
        size -= 1
    font = _font(path, index, size)
    return font, _reference_height(text, font)


def render_label_layer(size: tuple[int, int], *, text: str, position: str = "bottom-right",
                       ratio: float = TARGET_HEIGHT_RATIO) -> tuple[Image.Image, dict[str, Any]]:
    """A transparent RGBA layer of ``size`` carrying the label (white text on a dark translucent box)."""
    if position not in _POSITIONS:
        raise LabelError(f"position must be one of {', '.join(_POSITIONS)}, not {position!r}")
    if not has_required_elements(text):
        raise LabelError(f"label wording {text!r} lacks the AI and/or the generation element (GB 45438 §5.1)")
    width, height = size
    short = min(width, height)
    target = max(1, math.ceil(short * max(ratio, MIN_HEIGHT_RATIO)))
    path, index = find_font(text)
    font, ref_h = _fit_font(text, path, index, target)
    ink = _ink_box(text, font)
    assert ink is not None
    ink_w, ink_h = ink[2] - ink[0], ink[3] - ink[1]
    pad = max(2, round(ref_h * 0.3))
    margin = max(2, round(short * 0.02))
    box_w, box_h = ink_w + 2 * pad, ink_h + 2 * pad
    if box_w + 2 * margin > width or box_h + 2 * margin > height:
        raise LabelError(
            f"the label {text!r} at {ref_h}px ({MIN_HEIGHT_RATIO:.0%} of the short side) needs {box_w}x{box_h}px "
            f"and does not fit a {width}x{height} image; use a shorter wording"
        )
    if position.endswith("right"):
        x0 = width - margin - box_w
    elif position.endswith("left"):
        x0 = margin
    else:
        x0 = (width - box_w) // 2
    y0 = margin if position.startswith("top") else height - margin - box_h
    layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    draw.rectangle((x0, y0, x0 + box_w - 1, y0 + box_h - 1), fill=(0, 0, 0, 170))
    origin = (x0 + pad - ink[0], y0 + pad - ink[1])
    draw.text(origin, text, font=font, fill=(255, 255, 255, 255))
    text_bbox = (x0 + pad, y0 + pad, x0 + pad + ink_w, y0 + pad + ink_h)
    measurements: dict[str, Any] = {
        "text": text,
        "position": position,
        "text_height_px": ref_h,
        "line_ink_height_px": ink_h,
        "short_side_px": short,
        "ratio": ref_h / short,
        "bbox": (x0, y0, x0 + box_w, y0 + box_h),
        "text_bbox": text_bbox,
        "margin_px": margin,
        "font_size": font.size,
        "font": Path(path).name,
        "measure": "ink height of Han / capital / digit glyphs",
    }
    return layer, measurements


def label_image(img: Image.Image, *, lang: str = "zh", text: str | None = None,
                position: str = "bottom-right") -> tuple[Image.Image, dict[str, Any]]:
    """``img`` with the visible label drawn in a corner (or at the top/bottom edge), and its measurements.

    ``text`` defaults to "AI生成" (zh) / "AI-generated" (other languages). The mode is kept for RGB, RGBA and L
    images; other modes come back as RGB (RGBA when they carry transparency).
    """
    label = text if text is not None else (_DEFAULT_ZH if lang.startswith("zh") else _DEFAULT_EN)
    layer, measurements = render_label_layer(img.size, text=label, position=position)
    mode = img.mode
    has_alpha = mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in img.info)
    out = Image.alpha_composite(img.convert("RGBA"), layer)
    if mode in ("RGB", "L") or (not has_alpha and mode != "RGBA"):
        result = out.convert("RGB" if mode != "L" else "L")
    else:
        result = out
    return result, measurements


def _save_image_like(img: Image.Image, dst: Path, src_img: Image.Image) -> None:
    fmt = (src_img.format or "").upper() or None
    kwargs: dict[str, Any] = {}
    if fmt == "JPEG":
        kwargs = {"quality": 95}
        if img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
    for key in ("icc_profile", "dpi"):
        if key in src_img.info:
            kwargs[key] = src_img.info[key]
    img.save(dst, format=fmt, **kwargs)


# ---------------------------------------------------------------------------------------------- audio


def _tone(seconds: float, rate: int) -> NDArray[np.float64]:
    n = round(seconds * rate)
    t = np.arange(n) / rate
    tone = RHYTHM_AMPLITUDE * np.sin(2 * math.pi * min(RHYTHM_TONE_HZ, rate / 4) * t)
    ramp = min(n // 2, round(0.005 * rate))  # 5 ms fades: no clicks
    if ramp > 0:
        env = np.ones(n)
        env[:ramp] = np.linspace(0.0, 1.0, ramp)
        env[-ramp:] = np.linspace(1.0, 0.0, ramp)
        tone *= env
    return tone


def rhythm_cue(rate: int) -> NDArray[np.float64]:
    """The short-long-short-short cue (mono, float in [-1, 1]) at ``rate`` Hz, without the trailing gap."""
    u = RHYTHM_UNIT_S

    def silence(seconds: float) -> NDArray[np.float64]:
        return np.zeros(round(seconds * rate))

    parts = [_tone(u, rate), silence(u), _tone(3 * u, rate),  # A: ·−
             silence(3 * u),
             _tone(u, rate), silence(u), _tone(u, rate)]  # I: ··
    return np.concatenate(parts)


def _spoken_cue(rate: int, lang: str) -> NDArray[np.float64] | None:
    exe = shutil.which("espeak-ng")
    if exe is None:
        return None
    voice, words = ("cmn", SPOKEN_ZH) if lang.startswith("zh") else ("en", SPOKEN_EN)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "spoken.wav"
        try:
            subprocess.run([exe, "-v", voice, "-s", str(SPOKEN_RATE_WPM), "-w", str(out), words],
                           capture_output=True, timeout=60, check=True)
            samples, params = _read_wav(out)
        except (OSError, subprocess.SubprocessError, wave.Error, LabelError):
            return None
    mono: NDArray[np.float64] = samples.mean(axis=1)
    if params[2] != rate:  # linear resampling is enough for a spoken notice
        n = round(len(mono) * rate / params[2])
        mono = np.interp(np.arange(n) * params[2] / rate, np.arange(len(mono)), mono)
    peak = float(np.abs(mono).max()) or 1.0
    loud = np.flatnonzero(np.abs(mono) > 0.02 * peak)  # trim espeak's leading and trailing silence
    if loud.size:
        mono = mono[loud[0]: loud[-1] + 1]
    scaled: NDArray[np.float64] = mono * (0.7 / peak)
    return scaled


def _read_wav(path: Path) -> tuple[NDArray[np.float64], tuple[int, int, int]]:
    """Samples as float in [-1, 1], shape (frames, channels), and (channels, sampwidth, rate)."""
    with wave.open(str(path), "rb") as w:
        ch, sw, rate, n = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
        raw = w.readframes(n)
    if sw == 1:
        data = (np.frombuffer(raw, dtype=np.uint8).astype(np.float64) - 128.0) / 128.0
    elif sw == 2:
        data = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
    elif sw == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        data = np.where(v >= 1 << 23, v - (1 << 24), v).astype(np.float64) / float(1 << 23)
    elif sw == 4:
        data = np.frombuffer(raw, dtype="<i4").astype(np.float64) / float(1 << 31)
    else:
        raise LabelError(f"unsupported WAV sample width {sw}")
    return data.reshape(-1, ch), (ch, sw, rate)


def _to_bytes(samples: NDArray[np.float64], sw: int) -> bytes:
    x = np.clip(samples.reshape(-1), -1.0, 1.0)
    if sw == 1:
        return bytes(np.round(x * 127.0 + 128.0).astype(np.uint8).tobytes())
    if sw == 2:
        return bytes(np.round(x * 32767.0).astype("<i2").tobytes())
    if sw == 3:
        v = np.round(x * float((1 << 23) - 1)).astype(np.int32) & 0xFFFFFF
        out = np.stack([v & 0xFF, (v >> 8) & 0xFF, (v >> 16) & 0xFF], axis=1).astype(np.uint8)
        return bytes(out.tobytes())
    return bytes(np.round(x * float((1 << 31) - 1)).astype("<i4").tobytes())


def _raw_frames(path: Path) -> tuple[bytes, tuple[int, int, int]]:
    with wave.open(str(path), "rb") as w:
        return w.readframes(w.getnframes()), (w.getnchannels(), w.getsampwidth(), w.getframerate())


def label_audio(src: Path, dst: Path, *, lang: str = "zh", placement: Placement = "start",
                method: Literal["auto", "spoken", "rhythm"] = "auto") -> ExplicitResult:
    """A WAV file with the audio label before (and/or after) the unchanged original samples (R-LBL-13).

    ``method="auto"``: a spoken label when ``espeak-ng`` is installed, else the rhythm cue. The original
    samples are copied byte for byte; the cue is followed (or preceded) by :data:`AUDIO_GAP_S` of silence.
    """
    raw, (ch, sw, rate) = _raw_frames(src)
    cue: NDArray[np.float64] | None = None
    used = "rhythm"
    if method in ("auto", "spoken"):
        cue = _spoken_cue(rate, lang)
        if cue is None and method == "spoken":
            raise LabelError("a spoken label needs espeak-ng (Debian/Ubuntu: apt-get install espeak-ng)")
        if cue is not None:
            used = "spoken"
    if cue is None:
        cue = rhythm_cue(rate)
    gap = np.zeros(round(AUDIO_GAP_S * rate))
    head = np.tile(np.concatenate([cue, gap])[:, None], (1, ch))
    tail = np.tile(np.concatenate([gap, cue])[:, None], (1, ch))
    frames = b""
    if placement in ("start", "both"):
        frames += _to_bytes(head, sw)
    frames += raw
    if placement in ("end", "both"):
        frames += _to_bytes(tail, sw)
    with wave.open(str(dst), "wb") as w:
        w.setnchannels(ch)
        w.setsampwidth(sw)
        w.setframerate(rate)
        w.writeframes(frames)
    cue_s = len(cue) / rate
    where_en = {"start": "at the start", "end": "at the end", "both": "at the start and the end"}[placement]
    where_zh = {"start": "开头", "end": "结尾", "both": "开头和结尾"}[placement]
    if used == "spoken":
        words = SPOKEN_ZH if lang.startswith("zh") else SPOKEN_EN
        detail_en = f"spoken label {words!r} ({cue_s:.2f} s, espeak-ng) added {where_en}"
        detail_zh = f"已在音频{where_zh}添加语音标识“{words}”（{cue_s:.2f} 秒）"
    else:
        detail_en = f"rhythm label short-long-short-short (Morse 'AI', {cue_s:.2f} s) added {where_en}"
        detail_zh = f"已在音频{where_zh}添加节奏标识“短长短短”（{cue_s:.2f} 秒）"
    return ExplicitResult(
        kind="audio", method=used, detail_en=detail_en, detail_zh=detail_zh,
        measurements={"seconds": cue_s, "gap_seconds": AUDIO_GAP_S, "placement": placement, "sample_rate": rate,
                      "channels": ch, "unit_seconds": RHYTHM_UNIT_S if used == "rhythm" else None,
                      "chars_per_minute": (round(len(SPOKEN_ZH) * 60 / cue_s, 1)
                                           if used == "spoken" and lang.startswith("zh") else None),
                      "original_frames": len(raw) // (ch * sw)},
    )


# ---------------------------------------------------------------------------------------------- ffmpeg


def _ffmpeg() -> str:
    try:
        import imageio_ffmpeg
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise LabelError("audio/video labels need imageio-ffmpeg (pip install imageio-ffmpeg)") from exc
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def _run_ffmpeg(args: list[str]) -> None:
    proc = subprocess.run([_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", *args],
                          capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        raise LabelError(f"ffmpeg failed: {proc.stderr.strip()[-800:]}")


def _video_info(src: Path) -> tuple[tuple[int, int], float, float]:
    """(width, height), fps, duration in seconds."""
    import imageio_ffmpeg

    gen = imageio_ffmpeg.read_frames(str(src))
    try:
        meta = next(gen)
    finally:
        gen.close()
    w, h = meta["size"]
    return (int(w), int(h)), float(meta.get("fps") or 25.0), float(meta.get("duration") or 0.0)


def label_video(src: Path, dst: Path, *, text: str, position: str = "bottom-right",
                seconds: float = VIDEO_DEFAULT_SECONDS) -> ExplicitResult:
    """``src`` re-encoded (H.264, audio copied) with the label on every frame of t ∈ [0, ``seconds``] (R-LBL-14)."""
    if seconds < VIDEO_MIN_SECONDS:
        raise LabelError(f"the opening label must stay at least {VIDEO_MIN_SECONDS:g} s (GB 45438 §5.4)")
    size, fps, duration = _video_info(src)
    layer, m = render_label_layer(size, text=text, position=position)
    with tempfile.TemporaryDirectory() as tmp:
        png = Path(tmp) / "label.png"
        layer.save(png)
        _run_ffmpeg([
            "-i", str(src), "-i", str(png),
            "-filter_complex", f"[0:v][1:v]overlay=0:0:enable='lte(t,{seconds:.3f})'[v]",
            "-map", "[v]", "-map", "0:a?", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18",
            "-pix_fmt", "yuv420p", "-c:a", "copy", "-movflags", "+faststart", str(dst),
        ])
    shown = min(seconds, duration) if duration > 0 else seconds
    m.update({"seconds": shown, "fps": fps, "duration": duration, "whole_video": 0 < duration <= seconds})
    return ExplicitResult(
        kind="video", method="opening-frames",
        detail_en=(f"label {text!r} drawn on the opening frames for {shown:.2f} s at {m['position']}, "
                   f"text height {m['text_height_px']}px = {m['ratio']:.1%} of the short side"),
        detail_zh=(f"已在视频开头 {shown:.2f} 秒的画面上添加标识“{text}”，文字高度为最短边的 {m['ratio']:.1%}"),
        measurements=m,
    )


def _via_wav(src: Path, dst: Path, *, lang: str, placement: Placement,
             method: Literal["auto", "spoken", "rhythm"]) -> ExplicitResult:
    """Non-WAV audio: decode to WAV with ffmpeg, label, encode back to ``dst``'s format."""
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "in.wav", Path(tmp) / "out.wav"
        _run_ffmpeg(["-i", str(src), "-vn", "-c:a", "pcm_s16le", str(a)])
        result = label_audio(a, b, lang=lang, placement=placement, method=method)
        codec = ["-c:a", "libmp3lame", "-q:a", "2"] if dst.suffix.lower() == ".mp3" else []
        _run_ffmpeg(["-i", str(b), *codec, str(dst)])
    return result


# ---------------------------------------------------------------------------------------------- entry point


def _placement(position: str) -> Placement:
    if position in ("start", "end", "both"):
        return position  # type: ignore[return-value]
    return "start" if position.startswith("top") else "end"


def apply_explicit(src: Path, dst: Path, *, kind: Kind, lang: str = "zh", text_zh: str = _DEFAULT_ZH,
                   text_en: str = _DEFAULT_EN, position: str = "bottom-right",
                   audio_method: Literal["auto", "spoken", "rhythm"] = "auto",
                   video_seconds: float = VIDEO_DEFAULT_SECONDS) -> ExplicitResult:
    """Write ``src`` to ``dst`` with the explicit label of its ``kind`` (GB 45438 §5).

    ``position``: for images and video a corner ("bottom-right", "bottom-left", "top-right", "top-left") or an
    edge ("bottom", "top"); for text and audio "start", "end" or "both" (a corner starting with "top" means
    start, any other means end; the default "bottom-right" puts text notices at the end and audio cues at the
    start). For text, the default wordings are replaced by the gateway's notice ("（本内容由人工智能生成）"). Raises :class:`LabelError` on a wording without
    both elements or a label that does not fit.
    """
    src, dst = Path(src), Path(dst)
    label = _wording(lang, text_zh, text_en)
    if kind == "text":
        if label in (_DEFAULT_ZH, _DEFAULT_EN):
            label = TEXT_NOTICE_ZH if lang.startswith("zh") else TEXT_NOTICE_EN
        return _label_text_file(src, dst, lang=lang, notice=label, placement=_placement(position))
    if kind == "image":
        with Image.open(src) as im:
            im.load()
            out, m = label_image(im, lang=lang, text=label, position=position)
            _save_image_like(out, dst, im)
        return ExplicitResult(
            kind="image", method="overlay",
            detail_en=(f"label {label!r} drawn at {position}, text height {m['text_height_px']}px = "
                       f"{m['ratio']:.1%} of the short side ({m['short_side_px']}px)"),
            detail_zh=f"已在图片{_POSITION_ZH[position]}添加标识“{label}”，文字高度为最短边的 {m['ratio']:.1%}",
            measurements=m,
        )
    if kind == "audio":
        placement = _placement(position) if position != "bottom-right" else "start"
        if src.suffix.lower() == ".wav" and dst.suffix.lower() == ".wav":
            return label_audio(src, dst, lang=lang, placement=placement, method=audio_method)
        return _via_wav(src, dst, lang=lang, placement=placement, method=audio_method)
    if kind == "video":
        return label_video(src, dst, text=label, position=position, seconds=video_seconds)
    raise LabelError(f"unknown kind {kind!r}")


_POSITION_ZH: Final = {"bottom-right": "右下角", "bottom-left": "左下角", "top-right": "右上角", "top-left": "左上角",
                       "bottom": "底边", "top": "顶边"}

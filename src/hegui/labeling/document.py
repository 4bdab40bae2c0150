"""Explicit labels for documents (GB 45438 §5.1: a text notice at the start of the content): PDF and DOCX.

PDF (``label_pdf``): the notice "（本内容由人工智能生成）" / "(AI-generated content)" is stamped at the top of the
**first page**: a banner (dark text on a white box with a thin border) rendered with Pillow in the label font
(the shipped Noto Sans CJK subset, see ``explicit.find_font``), turned into a one-page PDF by Pillow and merged
over page 1 with pypdf; the same wording is added as an invisible text layer (rendering mode 3, font
STSong-Light with the predefined ``UniGB-UTF16-H`` CMap, not embedded, never drawn), so search and text
extraction find the notice. ``mode="page"`` instead prepends a page that carries only the notice (for
documents whose first page has no free top margin). No reportlab needed.

DOCX (``label_docx``): a first paragraph holding the notice (bold), inserted before everything else in the body,
with python-docx. Other parts of the package are kept.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any, Final, Literal, cast

from PIL import Image, ImageDraw, ImageFont
from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from hegui.labeling.explicit import (
    TEXT_NOTICE_EN,
    TEXT_NOTICE_ZH,
    ExplicitResult,
    LabelError,
    find_font,
    has_required_elements,
)

__all__ = ["DOC_NOTICE_EN", "DOC_NOTICE_ZH", "apply_document", "label_docx", "label_pdf"]

DOC_NOTICE_ZH: Final = TEXT_NOTICE_ZH
DOC_NOTICE_EN: Final = TEXT_NOTICE_EN
#: the banner's ink height of Han / capital glyphs, in points (text body size is usually 10-12 pt)
DEFAULT_HEIGHT_PT: Final = 12.0
_DPI: Final = 288  # raster resolution of the banner (4 pixels per point)
_FONT_RES: Final = "/HgAigcNotice"


def _notice(lang: str, text_zh: str | None, text_en: str | None) -> str:
    text = (text_zh or DOC_NOTICE_ZH) if lang.startswith("zh") else (text_en or DOC_NOTICE_EN)
    if not has_required_elements(text):
        raise LabelError(f"label wording {text!r} lacks the AI and/or the generation element (GB 45438 §5.1)")
    return text


def _banner(text: str, height_pt: float) -> tuple[Image.Image, dict[str, Any]]:
    """The notice as an RGB image at ``_DPI``: ink of Han / capital glyphs ``height_pt`` points high."""
    path, index = find_font(text)
    target_px = math.ceil(height_pt * _DPI / 72)
    ref = "".join(c for c in text if "\u3400" <= c <= "\u9fff" or c.isupper() or c.isdigit()) or text
    size = max(4, round(target_px / 0.85))
    for _ in range(6):
        font = ImageFont.truetype(path, size=size, index=index)
        box = font.getbbox(ref)
        h = box[3] - box[1]
        if h >= target_px:
            break
        size = max(size + 1, math.ceil(size * target_px / max(h, 1)))
    font = ImageFont.truetype(path, size=size, index=index)
    left, top, right, bottom = font.getbbox(text)
    pad = max(4, round(target_px * 0.45))
    w, h = int(right - left) + 2 * pad, int(bottom - top) + 2 * pad
    img = Image.new("RGB", (w, h), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    border = max(1, _DPI // 144)
    draw.rectangle((0, 0, w - 1, h - 1), outline=(96, 96, 96), width=border)
    draw.text((pad - left, pad - top), text, font=font, fill=(20, 20, 20))
    return img, {"font": Path(path).name, "font_size_px": size, "dpi": _DPI, "height_pt": height_pt}


def _image_page(img: Image.Image) -> PageObject:
    buf = io.BytesIO()
    img.save(buf, "PDF", resolution=float(_DPI))
    buf.seek(0)
    return PdfReader(buf).pages[0]


def _add_hidden_text(page: PageObject, text: str, x: float, y: float, size: float) -> None:
    """Invisible (Tr 3) text on ``page`` so that extraction and search find the notice."""
    font = DictionaryObject({
        NameObject("/Type"): NameObject("/Font"),
        NameObject("/Subtype"): NameObject("/Type0"),
        NameObject("/BaseFont"): NameObject("/STSong-Light"),
        NameObject("/Encoding"): NameObject("/UniGB-UTF16-H"),
        NameObject("/DescendantFonts"): ArrayObject([DictionaryObject({
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/CIDFontType0"),
            NameObject("/BaseFont"): NameObject("/STSong-Light"),
            NameObject("/CIDSystemInfo"): DictionaryObject({
                NameObject("/Registry"): TextStringObject("Adobe"),
                NameObject("/Ordering"): TextStringObject("GB1"),
                NameObject("/Supplement"): NumberObject(4),
            }),
            NameObject("/FontDescriptor"): DictionaryObject({
                NameObject("/Type"): NameObject("/FontDescriptor"),
                NameObject("/FontName"): NameObject("/STSong-Light"),
                NameObject("/Flags"): NumberObject(6),
                NameObject("/FontBBox"): ArrayObject([NumberObject(v) for v in (-25, -254, 1000, 880)]),
                NameObject("/ItalicAngle"): NumberObject(0),
                NameObject("/Ascent"): NumberObject(880),
                NameObject("/Descent"): NumberObject(-120),
                NameObject("/CapHeight"): NumberObject(880),
                NameObject("/StemV"): NumberObject(93),
            }),
        })]),
    })
    resources = page.get("/Resources")
    res = resources.get_object() if resources is not None else DictionaryObject()
    if not isinstance(res, DictionaryObject):
        res = DictionaryObject()
    fonts = res.get("/Font")
    fonts_obj = fonts.get_object() if fonts is not None else DictionaryObject()
    if not isinstance(fonts_obj, DictionaryObject):
        fonts_obj = DictionaryObject()
    fonts_obj[NameObject(_FONT_RES)] = font
    res[NameObject("/Font")] = fonts_obj
    page[NameObject("/Resources")] = res
    hex_text = text.encode("utf-16-be").hex().upper()
    ops = f"q BT 3 Tr {_FONT_RES} {size:.2f} Tf 1 0 0 1 {x:.2f} {y:.2f} Tm <{hex_text}> Tj ET Q\n".encode("ascii")
    stream = DecodedStreamObject()
    stream.set_data(ops)
    contents = page.get_contents()
    old = contents.get_data() if contents is not None else b""
    stream.set_data(old + b"\n" + ops)
    page.replace_contents(cast(Any, stream))  # pypdf accepts any stream object here


def label_pdf(src: Path, dst: Path, *, lang: str = "zh", text: str | None = None,
              mode: Literal["stamp", "page"] = "stamp", height_pt: float = DEFAULT_HEIGHT_PT,
              position: Literal["top", "top-right", "top-left"] = "top") -> ExplicitResult:
    """Write ``src`` to ``dst`` with the notice stamped at the top of page 1 (``mode="stamp"``) or on a new
    first page (``mode="page"``). Existing document information (an implicit label included) is kept."""
    notice = text if text is not None else _notice(lang, None, None)
    if not has_required_elements(notice):
        raise LabelError(f"label wording {notice!r} lacks the AI and/or the generation element (GB 45438 §5.1)")
    writer = PdfWriter(clone_from=str(src))
    if len(writer.pages) == 0:
        raise LabelError("the PDF has no pages")
    first = writer.pages[0]
    box = first.cropbox
    pw, ph = float(box.width), float(box.height)
    x_min, y_min = float(box.left), float(box.bottom)
    img, meas = _banner(notice, height_pt)
    bw, bh = img.width * 72 / _DPI, img.height * 72 / _DPI
    margin = max(6.0, min(pw, ph) * 0.02)
    if bw + 2 * margin > pw:
        scale = (pw - 2 * margin) / bw
        bw, bh = bw * scale, bh * scale
        meas["height_pt"] = height_pt * scale
    else:
        scale = 1.0
    stamp = _image_page(img)
    if mode == "page":
        writer.insert_blank_page(width=pw, height=ph, index=0)
        x_min, y_min = 0.0, 0.0
        target = writer.pages[0]
    else:
        target = first
    if position == "top-left":
        x = x_min + margin
    elif position == "top-right":
        x = x_min + pw - margin - bw
    else:
        x = x_min + (pw - bw) / 2
    y = y_min + ph - margin - bh
    target.merge_transformed_page(stamp, Transformation().scale(scale, scale).translate(x, y), over=True)
    _add_hidden_text(target, notice, x + bh * 0.2, y + bh * 0.3, bh * 0.5)
    with open(dst, "wb") as fh:
        writer.write(fh)
    meas.update({"text": notice, "mode": mode, "position": position, "bbox_pt": (x, y, x + bw, y + bh),
                 "page_size_pt": (pw, ph)})
    where_en = "on a new first page" if mode == "page" else f"at the {position} of page 1"
    where_zh = "新增的首页上" if mode == "page" else "第 1 页顶部"
    return ExplicitResult(
        kind="document", method="pdf-first-page" if mode == "page" else "pdf-stamp",
        detail_en=f"notice {notice!r} stamped {where_en}, text height {meas['height_pt']:.1f} pt",
        detail_zh=f"已在{where_zh}添加提示“{notice}”", measurements=meas,
    )


def label_docx(src: Path, dst: Path, *, lang: str = "zh", text: str | None = None) -> ExplicitResult:
    """Write ``src`` to ``dst`` with a first paragraph holding the notice (bold), before any other content."""
    import docx

    notice = text if text is not None else _notice(lang, None, None)
    if not has_required_elements(notice):
        raise LabelError(f"label wording {notice!r} lacks the AI and/or the generation element (GB 45438 §5.1)")
    document = docx.Document(str(src))
    para = document.add_paragraph()
    para.add_run(notice).bold = True
    body = document.element.body
    body.remove(para._p)
    body.insert(0, para._p)
    document.save(str(dst))
    return ExplicitResult(
        kind="document", method="docx-first-paragraph",
        detail_en=f"notice {notice!r} added as the first paragraph", detail_zh=f"已在文档开头添加提示“{notice}”",
        measurements={"text": notice},
    )


def apply_document(src: Path, dst: Path, *, fmt: str, lang: str = "zh", text_zh: str | None = None,
                   text_en: str | None = None) -> ExplicitResult:
    """The explicit label for ``fmt`` "pdf" or "docx" (wording: ``text_zh`` / ``text_en`` or the default)."""
    notice = _notice(lang, text_zh, text_en)
    if fmt == "pdf":
        return label_pdf(Path(src), Path(dst), lang=lang, text=notice)
    if fmt == "docx":
        return label_docx(Path(src), Path(dst), lang=lang, text=notice)
    raise LabelError(f"no document label for {fmt!r} files")

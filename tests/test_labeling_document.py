"""Explicit labels for PDF and DOCX (hegui.labeling.document) and their use by label_file."""

from __future__ import annotations

from pathlib import Path

import docx
import numpy as np
import pytest
from pypdf import PdfReader, PdfWriter

from hegui.labeling import inspect_file, label_file
from hegui.labeling.document import DOC_NOTICE_EN, DOC_NOTICE_ZH, label_docx, label_pdf
from hegui.labeling.explicit import LabelError


def _pdf(path: Path, pages: int = 2) -> Path:
    w = PdfWriter()
    for _ in range(pages):
        w.add_blank_page(595, 842)
    w.add_metadata({"/Title": "report"})
    with open(path, "wb") as fh:
        w.write(fh)
    return path


def _docx(path: Path) -> Path:
    d = docx.Document()
    d.add_table(rows=1, cols=2)  # the body starts with a table: the notice must still come first
    d.add_paragraph("生成的正文。")
    d.save(str(path))
    return path


def test_pdf_stamp_on_first_page(tmp_path: Path) -> None:
    res = label_pdf(_pdf(tmp_path / "a.pdf"), tmp_path / "b.pdf")
    reader = PdfReader(str(tmp_path / "b.pdf"))
    assert len(reader.pages) == 2
    assert DOC_NOTICE_ZH in reader.pages[0].extract_text()
    assert DOC_NOTICE_ZH not in reader.pages[1].extract_text()
    images = reader.pages[0].images
    assert len(images) == 1
    # the banner's dark ink (inside the border) is at least the requested height
    px = np.asarray(images[0].image.convert("L"))
    inner = px[4:-4, 4:-4] < 100
    rows = np.nonzero(inner.any(axis=1))[0]
    ink_pt = (rows[-1] - rows[0] + 1) * 72 / res.measurements["dpi"]
    assert ink_pt >= 11.5
    x0, y0, x1, y1 = res.measurements["bbox_pt"]
    assert 0 <= x0 < x1 <= 595 and 842 * 0.9 < y0 < y1 <= 842  # at the top of the page
    assert reader.metadata is not None and reader.metadata["/Title"] == "report"


def test_pdf_new_first_page_and_english(tmp_path: Path) -> None:
    label_pdf(_pdf(tmp_path / "a.pdf"), tmp_path / "b.pdf", mode="page", lang="en")
    reader = PdfReader(str(tmp_path / "b.pdf"))
    assert len(reader.pages) == 3
    assert DOC_NOTICE_EN in reader.pages[0].extract_text()


def test_docx_first_paragraph(tmp_path: Path) -> None:
    label_docx(_docx(tmp_path / "a.docx"), tmp_path / "b.docx", lang="en")
    d = docx.Document(str(tmp_path / "b.docx"))
    first = d.element.body[0]
    assert first.tag.endswith("}p")
    assert d.paragraphs[0].text == DOC_NOTICE_EN
    assert d.paragraphs[0].runs[0].bold
    assert d.paragraphs[1].text == "生成的正文。"


def test_wording_without_elements_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LabelError):
        label_pdf(_pdf(tmp_path / "a.pdf"), tmp_path / "b.pdf", text="注意")


@pytest.mark.parametrize("kind", ["pdf", "docx"])
def test_label_file_explicit_and_implicit(tmp_path: Path, kind: str) -> None:
    src = _pdf(tmp_path / "a.pdf") if kind == "pdf" else _docx(tmp_path / "a.docx")
    res = label_file(src, tmp_path / f"out.{kind}", producer="ACME-001", explicit=True)
    assert res.explicit and res.format == kind
    report = inspect_file(res.path)
    assert report.compliant and len(report.labels) == 1 and report.label == res.label
    if kind == "pdf":
        assert DOC_NOTICE_ZH in PdfReader(str(res.path)).pages[0].extract_text()
    else:
        assert docx.Document(str(res.path)).paragraphs[0].text == DOC_NOTICE_ZH
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_label_file_upload_wording_for_label_2(tmp_path: Path) -> None:
    res = label_file(_docx(tmp_path / "a.docx"), tmp_path / "out.docx", producer="PLAT-9", mode="propagate",
                     declared=True)
    assert res.label.Label == "2"
    assert docx.Document(str(res.path)).paragraphs[0].text == "（本内容可能由人工智能生成）"

"""inspect_file verdicts, label_file semantics (produce / propagate), read-back refusal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image
from PIL.PngImagePlugin import PngInfo

import hegui.labeling as labeling
from hegui.labeling import AigcLabel, LabelingError, inspect_file, label_file, verify_signature
from hegui.labeling.formats import FORMATS, Handler
from hegui.labeling.formats.xmp import build_xmp
from labeling_fixtures import make

LAB = AigcLabel.produce("ACME-001", "gen-1")


def png_with(tmp_path: Path, *, xmp: str | None = None, text: str | None = None) -> Path:
    info = PngInfo()
    if text is not None:
        info.add_itxt("AIGC", text)
    if xmp is not None:
        info.add_itxt("XML:com.adobe.xmp", build_xmp(xmp).decode())
    p = tmp_path / "x.png"
    Image.new("RGB", (8, 8)).save(p, pnginfo=info)
    return p


def test_unlabelled_is_not_compliant(tmp_path: Path) -> None:
    r = inspect_file(make("png", tmp_path))
    assert not r.compliant and [p.code for p in r.problems] == ["no-label"]
    assert "未找到" in r.describe("zh") and "no implicit label" in r.describe("en")


def test_duplicates_even_identical_are_not_compliant(tmp_path: Path) -> None:
    r = inspect_file(png_with(tmp_path, xmp=LAB.to_json(), text=LAB.to_json()))
    assert len(r.labels) == 2 and all(f.valid for f in r.labels)
    assert not r.compliant and [p.code for p in r.problems] == ["duplicate-label"]
    assert "不符合" in r.describe("zh")
    d = r.to_dict()
    assert d["compliant"] is False and len(d["labels"]) == 2
    json.dumps(d, ensure_ascii=False)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (json.dumps({**LAB.to_dict(), "Label": "4"}, separators=(",", ":")), "label-value"),
        (json.dumps(dict(reversed(list(LAB.to_dict().items())))), "key-order"),
        (json.dumps({**LAB.to_dict(), "ContentProducer": "某公司"}, ensure_ascii=False), "charset"),
        ("not json", "not-json"),
    ],
)
def test_invalid_values_are_not_compliant(tmp_path: Path, value: str, code: str) -> None:
    r = inspect_file(png_with(tmp_path, xmp=value))
    assert not r.compliant and code in {p.code for p in r.problems}
    assert r.labels[0].problems and not r.labels[0].valid


def test_produce_then_already_labelled_keeps_producer(tmp_path: Path) -> None:
    src = make("png", tmp_path)
    first = label_file(src, tmp_path / "a.png", producer="GEN-CO", produce_id="g-1", explicit=False)
    assert first.label == AigcLabel.produce("GEN-CO", "g-1") and first.previous is None
    second = label_file(first.path, tmp_path / "b.png", producer="PLAT", produce_id="p-9", explicit=False)
    assert (second.label.Label, second.label.ContentProducer, second.label.ProduceID) == ("1", "GEN-CO", "g-1")
    assert (second.label.ContentPropagator, second.label.PropagateID) == ("PLAT", "p-9")
    assert second.previous == first.label
    assert inspect_file(second.path).label == second.label


def test_propagate_mode(tmp_path: Path) -> None:
    src = make("text", tmp_path)
    declared = label_file(src, tmp_path / "d.txt", producer="PLAT", mode="propagate", declared=True, explicit=False)
    assert declared.label.Label == "2"
    suspected = label_file(src, tmp_path / "s.txt", producer="PLAT", mode="propagate", explicit=False)
    assert suspected.label.Label == "3"
    again = label_file(declared.path, tmp_path / "e.txt", producer="X", propagator="OTHER", propagate_id="o-1",
                       mode="propagate", explicit=False)
    assert again.label.Label == "2" and again.label.ContentPropagator == "OTHER"
    assert again.label.ProduceID == declared.label.ProduceID
    assert len(inspect_file(again.path).labels) == 1


def test_signed_labels(tmp_path: Path) -> None:
    gen, plat = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    a = label_file(make("pdf", tmp_path), tmp_path / "a.pdf", producer="GEN", sign_key=gen, explicit=False)
    assert verify_signature(inspect_file(a.path).labels[0].label or LAB, gen.public_key())
    b = label_file(a.path, tmp_path / "b.pdf", producer="PLAT", sign_key=plat, explicit=False)
    lab = inspect_file(b.path).label
    assert lab is not None
    assert verify_signature(lab, gen.public_key())
    assert verify_signature(lab, plat.public_key(), "ReservedCode2")


def test_read_back_failure_releases_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = make("png", tmp_path)
    real = FORMATS["png"]
    monkeypatch.setitem(FORMATS, "png", Handler("png", lambda p: [] if "out" in Path(p).name else real.read(p),
                                                real.write))
    dst = tmp_path / "out.png"
    with pytest.raises(LabelingError, match="read-back"):
        label_file(src, dst, producer="ACME", explicit=False)
    assert not dst.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png"]  # no temporary files left either


def test_write_failure_releases_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = make("text", tmp_path)
    real = FORMATS["text"]

    def silent_write(a: str | Path, b: str | Path, label: AigcLabel) -> None:
        Path(b).write_bytes(Path(a).read_bytes())  # "succeeds" without writing the label

    monkeypatch.setitem(FORMATS, "text", Handler("text", real.read, silent_write))
    with pytest.raises(LabelingError):
        label_file(src, tmp_path / "out.txt", producer="ACME", explicit=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt"]


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(LabelingError):
        label_file(make("png", tmp_path), tmp_path / "o.png", producer="有空格 x", explicit=False)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01\x02" * 10)
    with pytest.raises(LabelingError):
        label_file(junk, tmp_path / "o.bin", producer="ACME", explicit=False)
    with pytest.raises(labeling.LabelFormatError):
        inspect_file(junk)


@pytest.mark.parametrize("fmt", ["png", "text", "markdown"])
def test_with_explicit_label(fmt: str, tmp_path: Path) -> None:
    pytest.importorskip("hegui.labeling.explicit")
    src = make(fmt, tmp_path)
    try:
        res = label_file(src, tmp_path / ("out" + src.suffix), producer="ACME", explicit=True)
    except LabelingError as exc:
        if "not available" in str(exc) or "font" in str(exc).lower():
            pytest.skip(str(exc))
        raise
    assert res.explicit and inspect_file(res.path).label == res.label
    if fmt != "png":
        assert "人工智能" in res.path.read_text(encoding="utf-8")

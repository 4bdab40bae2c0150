"""Every carrier: write → read back with our reader and an independent one; replace, never duplicate."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from hegui.labeling import AigcLabel, inspect_file, label_file
from hegui.labeling.formats import FORMATS, detect_format
from labeling_fixtures import FFMPEG, make

ALL = ["png", "jpeg", "webp", "mp3", "wav", "mp4", "pdf", "docx", "markdown", "text"]
LAB = AigcLabel.produce("ACME-001", "gen-123")
CARRIER = {
    "png": "xmp:TC260:AIGC",
    "jpeg": "xmp:TC260:AIGC",
    "webp": "xmp:TC260:AIGC",
    "mp3": "id3:TXXX:AIGC",
    "wav": "wav:id3:TXXX:AIGC",
    "mp4": "mp4:udta:AIGC",
    "pdf": "pdf:info:/AIGC",
    "docx": "docx:custom:AIGC",
    "markdown": "text:front-matter",
    "text": "text:line",
}


def independent(fmt: str, path: Path) -> tuple[str | None, str]:
    """(the label JSON, other metadata) read by a tool that is not ours."""
    if fmt in ("png", "jpeg", "webp"):
        from PIL import Image

        with Image.open(path) as im:
            xmp = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp") or b""
            xmp_s = xmp.decode("utf-8") if isinstance(xmp, bytes) else str(xmp)
            comment = im.info.get("comment", b"")
            other = str(im.info.get("Title", "")) + (comment.decode() if isinstance(comment, bytes) else "")
            other += str(im.getexif().get(0x010E, ""))
            im.load()
        assert "http://www.tc260.org.cn/ns/AIGC/1.0/" in xmp_s
        import html
        import re

        m = re.search(r'TC260:AIGC="([^"]*)"', xmp_s)
        return (html.unescape(m.group(1)) if m else None), other
    if fmt in ("mp3", "wav"):
        import mutagen

        f = mutagen.File(str(path))
        assert f is not None and f.tags is not None
        frames = f.tags.getall("TXXX:AIGC")
        title = f.tags.getall("TIT2")
        return (str(frames[0].text[0]) if frames else None), (str(title[0].text[0]) if title else "")
    if fmt == "mp4":
        import mutagen.mp4

        f = mutagen.mp4.MP4(str(path))
        vals = [bytes(v).decode() for k, vs in f.tags.items() if k.endswith(":AIGC") for v in vs]
        # ffmpeg (the imageio-ffmpeg binary; no ffprobe ships with it) sees the same tag
        out = subprocess.run([FFMPEG, "-hide_banner", "-i", str(path), "-f", "ffmetadata", "-"],
                             capture_output=True, text=True, check=True).stdout
        assert "AIGC=" + LAB.to_json() in out.splitlines()
        return (vals[0] if vals else None), str(f.tags.get("\xa9nam", [""])[0])
    if fmt == "pdf":
        from pypdf import PdfReader

        meta = PdfReader(str(path)).metadata
        assert meta is not None
        return (str(meta["/AIGC"]) if "/AIGC" in meta else None), str(meta.get("/Title", ""))
    if fmt == "docx":
        import docx
        from lxml import etree

        title = docx.Document(str(path)).core_properties.title
        with zipfile.ZipFile(path) as zf:
            root = etree.fromstring(zf.read("docProps/custom.xml"))
        ns = {"cp": "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"}
        vals = root.xpath("//cp:property[@name='AIGC']//text()", namespaces=ns)
        return (str(vals[0]) if vals else None), title
    if fmt == "markdown":
        import yaml

        text = path.read_text(encoding="utf-8")
        fm = yaml.safe_load(text.split("---\n")[1])
        return fm.get("AIGC"), str(fm.get("title"))
    text = path.read_text(encoding="utf-8")
    return text.splitlines()[-1].removeprefix("AIGC: "), text.splitlines()[0]


CHINESE = {"png": "标题测试", "jpeg": "描述", "mp3": "歌曲", "mp4": "视频", "pdf": "文档标题", "docx": "中文标题",
           "markdown": "中文", "text": "第一行"}


@pytest.mark.parametrize("fmt", ALL)
def test_round_trip(fmt: str, tmp_path: Path) -> None:
    src = make(fmt, tmp_path)
    assert detect_format(src) == fmt
    out = tmp_path / ("out" + src.suffix)
    FORMATS[fmt].write(src, out, LAB)
    found = FORMATS[fmt].read(out)
    assert [(f.carrier, f.label, f.valid) for f in found] == [(CARRIER[fmt], LAB, True)]
    value, other = independent(fmt, out)
    assert value == LAB.to_json()
    if fmt in CHINESE:
        assert CHINESE[fmt] in other  # other metadata (Chinese) survives
    # second write replaces, never duplicates (R-LBL-19)
    second = AigcLabel.produce("ACME-001", "gen-456")
    out2 = tmp_path / ("out2" + src.suffix)
    FORMATS[fmt].write(out, out2, second)
    assert [f.label for f in FORMATS[fmt].read(out2)] == [second]
    assert inspect_file(out2).compliant


@pytest.mark.parametrize("fmt", ALL)
def test_detect_by_magic_not_extension(fmt: str, tmp_path: Path) -> None:
    src = make(fmt, tmp_path)
    if fmt in ("markdown", "text"):
        return
    renamed = tmp_path / "mystery.bin"
    renamed.write_bytes(src.read_bytes())
    assert detect_format(renamed) == fmt


def test_label_file_every_format(tmp_path: Path) -> None:
    for fmt in ALL:
        src = make(fmt, tmp_path)
        res = label_file(src, tmp_path / f"labelled-{fmt}{src.suffix}", producer="ACME-001", explicit=False)
        assert res.format == fmt and res.carrier == CARRIER[fmt]
        report = inspect_file(res.path)
        assert report.compliant, report.describe("en")
        assert report.label == res.label
        json.dumps(report.to_dict())


def test_mov(tmp_path: Path) -> None:
    from labeling_fixtures import ffmpeg

    src = tmp_path / "in.mov"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=32x32:duration=0.2", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(src))
    assert detect_format(src) == "mov"
    res = label_file(src, tmp_path / "out.mov", producer="ACME-001", explicit=False)
    assert inspect_file(res.path).label == res.label


def test_compat_carriers_read_and_replaced(tmp_path: Path) -> None:
    """PNG text chunk and EXIF UserComment labels are read; our write leaves only the XMP one."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    old = AigcLabel.produce("OLDCO", "o-1")
    info = PngInfo()
    info.add_itxt("AIGC", old.to_json())
    p = tmp_path / "text.png"
    Image.new("RGB", (8, 8)).save(p, pnginfo=info)
    assert [(f.carrier, f.label) for f in FORMATS["png"].read(p)] == [("png:iTXt:AIGC", old)]

    j = tmp_path / "exif.jpg"
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = b"ASCII\x00\x00\x00" + json.dumps({"AIGC": old.to_dict()}).encode()
    Image.new("RGB", (8, 8)).save(j, exif=exif)
    assert [(f.carrier, f.label) for f in FORMATS["jpeg"].read(j)] == [("exif:UserComment", old)]

    for src in (p, j):
        res = label_file(src, tmp_path / ("new-" + src.name), producer="ACME", explicit=False)
        found = inspect_file(res.path).labels
        assert [f.carrier for f in found] == ["xmp:TC260:AIGC"]
        # the existing label's producer is kept, we are the propagator (R-LBL-27)
        assert (res.label.ContentProducer, res.label.ProduceID) == ("OLDCO", "o-1")
        assert res.label.ContentPropagator == "ACME"


def test_wav_riff_info_comment(tmp_path: Path) -> None:
    from labeling_fixtures import ffmpeg

    src = make("wav", tmp_path)
    old = AigcLabel.produce("OLDCO", "w-1")
    tagged = tmp_path / "icmt.wav"
    ffmpeg("-i", str(src), "-metadata", "comment=AIGC=" + old.to_json(), "-c", "copy", str(tagged))
    assert [(f.carrier, f.label) for f in FORMATS["wav"].read(tagged)] == [("riff:INFO:ICMT", old)]
    res = label_file(tagged, tmp_path / "out.wav", producer="ACME", explicit=False)
    assert [f.carrier for f in inspect_file(res.path).labels] == ["wav:id3:TXXX:AIGC"]
    assert res.label.ContentProducer == "OLDCO"

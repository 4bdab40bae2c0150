"""Tiny media files made on the fly for the labeling tests (no downloads)."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import imageio_ffmpeg
from PIL import Image
from PIL.PngImagePlugin import PngInfo

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def ffmpeg(*args: str) -> None:
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def make(fmt: str, d: Path) -> Path:
    """A small file of ``fmt`` carrying some Chinese non-label metadata."""
    img = Image.new("RGB", (24, 16), (200, 30, 30))
    if fmt == "png":
        p = d / "in.png"
        info = PngInfo()
        info.add_itxt("Title", "标题测试")
        img.save(p, pnginfo=info)
    elif fmt == "jpeg":
        p = d / "in.jpg"
        exif = Image.Exif()
        exif[0x010E] = "desc"  # ImageDescription
        img.save(p, exif=exif, quality=90, comment="描述".encode())
    elif fmt == "webp":
        p = d / "in.webp"
        img.save(p, lossless=True)
    elif fmt == "wav":
        p = d / "in.wav"
        with wave.open(str(p), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(b"\x00\x01" * 800)
    elif fmt == "mp3":
        p = d / "in.mp3"
        ffmpeg("-f", "lavfi", "-i", "sine=duration=0.2", "-metadata", "title=歌曲", "-c:a", "libmp3lame", str(p))
    elif fmt == "mp4":
        p = d / "in.mp4"
        ffmpeg("-f", "lavfi", "-i", "testsrc=size=32x32:duration=0.2", "-metadata", "title=视频",
               "-c:v", "libx264", "-pix_fmt", "yuv420p", str(p))
    elif fmt == "pdf":
        from pypdf import PdfWriter

        p = d / "in.pdf"
        w = PdfWriter()
        w.add_blank_page(width=72, height=72)
        w.add_metadata({"/Title": "文档标题"})
        with open(p, "wb") as fh:
            w.write(fh)
    elif fmt == "docx":
        import docx

        p = d / "in.docx"
        doc = docx.Document()
        doc.add_paragraph("你好")
        doc.core_properties.title = "中文标题"
        doc.save(str(p))
    elif fmt == "markdown":
        p = d / "in.md"
        p.write_text("---\ntitle: 中文\n---\n# 标题\n正文\n", encoding="utf-8")
    elif fmt == "text":
        p = d / "in.txt"
        p.write_text("第一行\n第二行\n", encoding="utf-8")
    else:
        raise ValueError(fmt)
    return p

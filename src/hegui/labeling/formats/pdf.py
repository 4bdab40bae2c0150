"""PDF: the label is the document-information entry ``/AIGC``. A ``TC260:AIGC`` in the document's XMP stream is
read (carrier ``pdf:xmp``) and removed when we write, so the file keeps one label."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, StreamObject, TextStringObject

from hegui.labeling.formats.base import FoundLabel, LabelFormatError, found
from hegui.labeling.formats.xmp import read_xmp_labels, set_xmp_label
from hegui.labeling.model import AigcLabel

__all__ = ["read", "write"]


def _xmp_stream(root: object) -> StreamObject | None:
    try:
        meta = root["/Metadata"].get_object()  # type: ignore[index]
    except (KeyError, TypeError, AttributeError):
        return None
    return meta if isinstance(meta, StreamObject) else None


def read(path: str | Path) -> list[FoundLabel]:
    try:
        reader = PdfReader(str(path))
        info = reader.metadata
        out: list[FoundLabel] = []
        if info is not None and "/AIGC" in info:
            out.append(found("pdf:info:/AIGC", str(info["/AIGC"])))
        stream = _xmp_stream(reader.trailer["/Root"])
        if stream is not None:
            out += [found("pdf:xmp", v) for v in read_xmp_labels(stream.get_data())]
    except Exception as exc:
        raise LabelFormatError(f"cannot read PDF: {exc}") from exc
    return out


def write(path_in: str | Path, path_out: str | Path, label: AigcLabel) -> None:
    try:
        writer = PdfWriter(clone_from=str(path_in))
        stream = _xmp_stream(writer._root_object)
        if stream is not None:
            data = stream.get_data()
            if read_xmp_labels(data):
                cleaned = set_xmp_label(data, None)
                if cleaned is not None:
                    stream.set_data(cleaned)
        info = writer._info
        if info is None:
            writer.add_metadata({"/AIGC": label.to_json()})
        else:
            info_obj = info.get_object()
            if not isinstance(info_obj, DictionaryObject):
                raise LabelFormatError("PDF document information is not a dictionary")
            info_obj[NameObject("/AIGC")] = TextStringObject(label.to_json())
        with open(path_out, "wb") as fh:
            writer.write(fh)
    except LabelFormatError:
        raise
    except Exception as exc:
        raise LabelFormatError(f"cannot write PDF: {exc}") from exc

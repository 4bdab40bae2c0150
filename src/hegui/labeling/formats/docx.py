"""DOCX (and other OOXML packages): a custom document property named ``AIGC`` in ``docProps/custom.xml``.

The package is rewritten entry by entry; only ``docProps/custom.xml``, ``[Content_Types].xml`` and ``_rels/.rels``
change (the last two only when the custom part is new)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Final

from hegui.labeling.formats.base import FoundLabel, LabelFormatError, found
from hegui.labeling.model import AigcLabel

__all__ = ["read", "write"]

CUSTOM_PART: Final = "docProps/custom.xml"
CP_NS: Final = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT_NS: Final = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
CT_NS: Final = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_NS: Final = "http://schemas.openxmlformats.org/package/2006/relationships"
CUSTOM_REL: Final = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
CUSTOM_CT: Final = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
FMTID: Final = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"


def _safe_xml(data: bytes) -> ET.Element:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise LabelFormatError("XML with a DTD is refused")
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise LabelFormatError(f"bad XML in the package: {exc}") from exc


def read(path: str | Path) -> list[FoundLabel]:
    try:
        with zipfile.ZipFile(path) as zf:
            if CUSTOM_PART not in zf.namelist():
                return []
            root = _safe_xml(zf.read(CUSTOM_PART))
    except zipfile.BadZipFile as exc:
        raise LabelFormatError(f"not a ZIP package: {exc}") from exc
    out: list[FoundLabel] = []
    for prop in root.findall(f"{{{CP_NS}}}property"):
        if (prop.get("name") or "").upper() == "AIGC":
            out.append(found("docx:custom:AIGC", "".join(prop.itertext())))
    return out


def _custom_xml(old: bytes | None, value: str) -> bytes:
    ET.register_namespace("", CP_NS)
    ET.register_namespace("vt", VT_NS)
    root = _safe_xml(old) if old is not None else ET.Element(f"{{{CP_NS}}}Properties")
    for prop in root.findall(f"{{{CP_NS}}}property"):
        if (prop.get("name") or "").upper() == "AIGC":
            root.remove(prop)
    pids = [int(p.get("pid") or 1) for p in root.findall(f"{{{CP_NS}}}property")]
    prop = ET.SubElement(root, f"{{{CP_NS}}}property", {"fmtid": FMTID, "pid": str(max(pids, default=1) + 1), "name": "AIGC"})
    ET.SubElement(prop, f"{{{VT_NS}}}lpwstr").text = value
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + bytes(ET.tostring(root, encoding="utf-8", xml_declaration=False))


def _content_types(old: bytes) -> bytes:
    ET.register_namespace("", CT_NS)
    root = _safe_xml(old)
    if not any(o.get("PartName") == "/" + CUSTOM_PART for o in root.findall(f"{{{CT_NS}}}Override")):
        ET.SubElement(root, f"{{{CT_NS}}}Override", {"PartName": "/" + CUSTOM_PART, "ContentType": CUSTOM_CT})
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + bytes(ET.tostring(root, encoding="utf-8", xml_declaration=False))


def _rels(old: bytes) -> bytes:
    ET.register_namespace("", REL_NS)
    root = _safe_xml(old)
    rels = root.findall(f"{{{REL_NS}}}Relationship")
    if not any(r.get("Type") == CUSTOM_REL for r in rels):
        ids = {r.get("Id") for r in rels}
        n = 1
        while f"rId{n}" in ids:
            n += 1
        ET.SubElement(root, f"{{{REL_NS}}}Relationship", {"Id": f"rId{n}", "Type": CUSTOM_REL, "Target": CUSTOM_PART})
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + bytes(ET.tostring(root, encoding="utf-8", xml_declaration=False))


def write(path_in: str | Path, path_out: str | Path, label: AigcLabel) -> None:
    try:
        with zipfile.ZipFile(path_in) as zin:
            names = zin.namelist()
            parts = {n: zin.read(n) for n in names}
            infos = {n: zin.getinfo(n) for n in names}
    except zipfile.BadZipFile as exc:
        raise LabelFormatError(f"not a ZIP package: {exc}") from exc
    parts[CUSTOM_PART] = _custom_xml(parts.get(CUSTOM_PART), label.to_json())
    parts["[Content_Types].xml"] = _content_types(parts["[Content_Types].xml"])
    parts["_rels/.rels"] = _rels(parts["_rels/.rels"])
    order = names + ([CUSTOM_PART] if CUSTOM_PART not in names else [])
    with zipfile.ZipFile(path_out, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in order:
            info = infos.get(name)
            if info is not None:
                zout.writestr(info, parts[name], compress_type=info.compress_type)
            else:
                zout.writestr(name, parts[name])

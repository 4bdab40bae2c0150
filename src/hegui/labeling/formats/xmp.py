"""XMP packets carrying ``TC260:AIGC`` (namespace ``http://www.tc260.org.cn/ns/AIGC/1.0/``)."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from typing import Final

__all__ = ["TC260_NS", "XMP_ID", "build_xmp", "read_xmp_labels", "set_xmp_label"]

TC260_NS: Final = "http://www.tc260.org.cn/ns/AIGC/1.0/"
RDF_NS: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
X_NS: Final = "adobe:ns:meta/"
#: the JPEG APP1 identifier of an XMP packet
XMP_ID: Final = b"http://ns.adobe.com/xap/1.0/\x00"
_AIGC: Final = f"{{{TC260_NS}}}AIGC"
_DESC: Final = f"{{{RDF_NS}}}Description"
_ATTR_RE: Final = re.compile(r"""TC260:AIGC\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ELEM_RE: Final = re.compile(r"<TC260:AIGC>(.*?)</TC260:AIGC>", re.S)

for _prefix, _uri in (
    ("x", X_NS),
    ("rdf", RDF_NS),
    ("TC260", TC260_NS),
    ("dc", "http://purl.org/dc/elements/1.1/"),
    ("xmp", "http://ns.adobe.com/xap/1.0/"),
    ("xmpMM", "http://ns.adobe.com/xap/1.0/mm/"),
    ("photoshop", "http://ns.adobe.com/photoshop/1.0/"),
    ("pdf", "http://ns.adobe.com/pdf/1.3/"),
    ("tiff", "http://ns.adobe.com/tiff/1.0/"),
    ("exif", "http://ns.adobe.com/exif/1.0/"),
):
    ET.register_namespace(_prefix, _uri)


def build_xmp(value: str) -> bytes:
    """A minimal XMP packet with ``TC260:AIGC`` = ``value``."""
    x = ET.Element(f"{{{X_NS}}}xmpmeta")
    rdf = ET.SubElement(x, f"{{{RDF_NS}}}RDF")
    desc = ET.SubElement(rdf, _DESC, {f"{{{RDF_NS}}}about": ""})
    desc.set(_AIGC, value)
    return _packet(x)


def _packet(root: ET.Element) -> bytes:
    body = ET.tostring(root, encoding="unicode")
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>' + body + '<?xpacket end="w"?>').encode("utf-8")


def _parse(xmp: bytes) -> ET.Element | None:
    text = xmp.decode("utf-8", "replace")
    if "<!DOCTYPE" in text or "<!ENTITY" in text:  # no entity expansion from untrusted files
        return None
    start = text.find("<x:xmpmeta")
    if start < 0:
        start = text.find("<rdf:RDF")
    end_tag = "</x:xmpmeta>" if text.startswith("<x:xmpmeta", start) else "</rdf:RDF>"
    end = text.find(end_tag, start)
    if start < 0 or end < 0:
        return None
    try:
        return ET.fromstring(text[start : end + len(end_tag)])
    except ET.ParseError:
        return None


def read_xmp_labels(xmp: bytes) -> list[str]:
    """Every ``TC260:AIGC`` value in the packet (attribute or element form), unescaped."""
    root = _parse(xmp)
    if root is None:  # unparseable: fall back to a textual scan
        text = xmp.decode("utf-8", "replace")
        out = [html.unescape(m.group(1) if m.group(1) is not None else m.group(2)) for m in _ATTR_RE.finditer(text)]
        return out + [html.unescape(m.group(1)) for m in _ELEM_RE.finditer(text)]
    values: list[str] = []
    for el in root.iter():
        if _AIGC in el.attrib:
            values.append(el.attrib[_AIGC])
        if el.tag == _AIGC:
            values.append("".join(el.itertext()))
    return values


def set_xmp_label(xmp: bytes | None, value: str | None) -> bytes | None:
    """``xmp`` with every ``TC260:AIGC`` removed and, if ``value`` is given, one set on the first Description.

    Merges into an existing packet (R-LBL-30); returns None when nothing is left worth keeping (no packet given
    and no value), or the packet unchanged when it cannot be parsed and no value is to be written.
    """
    if xmp is None:
        return build_xmp(value) if value is not None else None
    root = _parse(xmp)
    if root is None:
        return build_xmp(value) if value is not None else xmp
    for el in list(root.iter()):
        el.attrib.pop(_AIGC, None)
        for child in list(el):
            if child.tag == _AIGC:
                el.remove(child)
    if value is not None:
        desc = next(root.iter(_DESC), None)
        if desc is None:
            rdf = root if root.tag == f"{{{RDF_NS}}}RDF" else next(root.iter(f"{{{RDF_NS}}}RDF"), None)
            if rdf is None:
                return build_xmp(value)
            desc = ET.SubElement(rdf, _DESC, {f"{{{RDF_NS}}}about": ""})
        desc.set(_AIGC, value)
    return _packet(root)

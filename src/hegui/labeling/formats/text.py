"""Markdown and plain text.

Markdown: YAML front matter with one key, ``AIGC: '<json>'`` (single-quoted YAML), added to an existing front
matter block or in a new one at the top.

Plain text: one line ``AIGC: <json>`` as the LAST line of the file (written there so that a visible notice at the
start stays first); a first or last line of that form is read. Writers remove any existing one first.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import yaml

from hegui.labeling.formats.base import FoundLabel, LabelFormatError, found
from hegui.labeling.model import AigcLabel

__all__ = ["read", "write"]

_FM_RE: Final = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n(.*?)(?:\r?\n)?^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S | re.M)
_FM_KEY_RE: Final = re.compile(r"^AIGC[ \t]*:.*(?:\r?\n|\Z)", re.M | re.I)
_LINE_RE: Final = re.compile(r"^AIGC:[ \t]*(\{.*\})[ \t]*$")


def _text(path: str | Path) -> str:
    try:
        return Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LabelFormatError("text files must be UTF-8") from exc


def _is_markdown(path: str | Path) -> bool:
    return Path(path).suffix.lower() in (".md", ".markdown", ".mdx")


def _yaml_quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _read_front_matter(text: str) -> list[FoundLabel]:
    m = _FM_RE.match(text)
    if not m:
        return []
    out: list[FoundLabel] = []
    try:
        data = yaml.safe_load(m.group(1))
    except yaml.YAMLError:
        data = None
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str) and key.upper() == "AIGC":
                out.append(found("text:front-matter", value if isinstance(value, str) else str(value)))
    else:  # unparseable: count the AIGC lines
        out += [found("text:front-matter", line.split(":", 1)[1].strip().strip("'")) for line in _FM_KEY_RE.findall(m.group(1))]
    return out


def _edge_lines(text: str) -> list[str]:
    lines = text.splitlines()
    if not lines:
        return []
    return [lines[0]] if len(lines) == 1 else [lines[0], lines[-1]]


def read(path: str | Path) -> list[FoundLabel]:
    text = _text(path)
    out = _read_front_matter(text) if _is_markdown(path) else []
    body = text[_FM_RE.match(text).end() :] if (out and _FM_RE.match(text)) else text  # type: ignore[union-attr]
    for line in _edge_lines(body):
        m = _LINE_RE.match(line.strip())
        if m:
            out.append(found("text:line", m.group(1)))
    return out


def _strip_lines(text: str) -> str:
    lines = text.splitlines(keepends=True)
    if lines and _LINE_RE.match(lines[-1].strip()):
        lines.pop()
        if lines and lines[-1].strip() == "":
            lines.pop()
    if lines and _LINE_RE.match(lines[0].strip()):
        lines.pop(0)
    return "".join(lines)


def write(path_in: str | Path, path_out: str | Path, label: AigcLabel) -> None:
    text = _strip_lines(_text(path_in))
    value = label.to_json()
    if _is_markdown(path_in):
        entry = f"AIGC: {_yaml_quote(value)}\n"
        m = _FM_RE.match(text)
        if m:
            inner = _FM_KEY_RE.sub("", m.group(1))
            inner = inner.rstrip("\r\n")
            new_fm = "---\n" + (inner + "\n" if inner.strip() else "") + entry + "---\n"
            text = new_fm + text[m.end() :]
        else:
            text = "---\n" + entry + "---\n" + text
    else:
        if text and not text.endswith("\n"):
            text += "\n"
        text += f"AIGC: {value}\n"
    Path(path_out).write_bytes(text.encode("utf-8"))

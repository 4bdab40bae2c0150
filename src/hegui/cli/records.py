"""Streaming record readers for JSONL, CSV and plain text (optionally gzip/bz2/xz compressed).

Every reader yields ``(line_number, id, text)`` in input order, decodes strictly as UTF-8 and raises
:class:`~hegui.core.errors.InputError` naming the file and line on anything it cannot read: bytes that are not
UTF-8, broken JSON, a missing text field, a truncated compressed stream. Memory stays constant whatever the size.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import json
import lzma
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, cast

from hegui.core.errors import InputError

Record = tuple[int, Any, str]
FORMATS = ("jsonl", "csv", "txt")

_OPENERS: dict[str, Callable[[str], IO[bytes]]] = {
    ".gz": lambda p: cast(IO[bytes], gzip.open(p, "rb")),  # noqa: SIM115 - closed by the caller
    ".bz2": lambda p: cast(IO[bytes], bz2.open(p, "rb")),  # noqa: SIM115
    ".xz": lambda p: cast(IO[bytes], lzma.open(p, "rb")),  # noqa: SIM115
}


def detect_format(path: str) -> str:
    name = path.lower()
    for ext in _OPENERS:
        if name.endswith(ext):
            name = name[: -len(ext)]
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if name.endswith((".csv", ".tsv")):
        return "csv"
    return "txt"


class ByteCounter:
    """Bytes read so far (compressed bytes for compressed files), for progress bars."""

    def __init__(self) -> None:
        self.n = 0


def open_binary(path: str) -> IO[bytes]:
    if path == "-":
        import sys

        return sys.stdin.buffer
    p = Path(path)
    if not p.exists():
        raise InputError("input file not found", "找不到输入文件", path=path)
    if p.is_dir():
        raise InputError("input is a directory, not a file", "输入是目录而不是文件", path=path)
    opener = _OPENERS.get(p.suffix.lower())
    try:
        return opener(path) if opener else open(path, "rb")
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror or exc}", f"无法打开：{exc.strerror or exc}", path=path) from None


def input_size(path: str) -> int | None:
    try:
        return os.path.getsize(path) if path != "-" else None
    except OSError:
        return None


def _lines(path: str, counter: ByteCounter | None) -> Iterator[tuple[int, str]]:
    """Decoded lines with their line endings, numbered from 1."""
    fh = open_binary(path)
    raw_fh: Any = getattr(fh, "fileobj", None) or getattr(fh, "_fp", None)
    lineno = 0
    try:
        while True:
            try:
                raw = fh.readline()
            except (EOFError, OSError, lzma.LZMAError) as exc:
                raise InputError(
                    f"the compressed file is truncated or corrupt after line {lineno} ({exc}); "
                    "re-create or re-download it",
                    f"压缩文件在第 {lineno} 行之后被截断或已损坏（{exc}）；请重新生成或下载",
                    path=path,
                    line=lineno + 1,
                ) from None
            if not raw:
                break
            lineno += 1
            if counter is not None:
                counter.n = raw_fh.tell() if raw_fh is not None and hasattr(raw_fh, "tell") else counter.n + len(raw)
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"not valid UTF-8 (byte {exc.start} of the line); convert the file to UTF-8, "
                    "e.g. iconv -f GB18030 -t UTF-8 IN > OUT",
                    f"不是有效的 UTF-8 编码（该行第 {exc.start} 字节）；请先转换为 UTF-8，例如 iconv -f GB18030 -t UTF-8 IN > OUT",
                    path=path,
                    line=lineno,
                ) from None
            if lineno == 1 and line.startswith("\ufeff"):
                line = line[1:]
            yield lineno, line
    finally:
        if path != "-":
            fh.close()


def read_jsonl(path: str, text_field: str, id_field: str, counter: ByteCounter | None = None) -> Iterator[Record]:
    for lineno, line in _lines(path, counter):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"broken JSON at column {exc.colno}: {exc.msg} (a truncated file ends like this)",
                f"JSON 格式错误（第 {exc.colno} 列）：{exc.msg}（文件被截断时也会这样）",
                path=path,
                line=lineno,
            ) from None
        if not isinstance(obj, dict):
            raise InputError(
                "each line must be a JSON object", "每一行必须是一个 JSON 对象", path=path, line=lineno
            )
        text = _field(obj, text_field, path, lineno)
        yield lineno, obj.get(id_field, lineno), text


def _field(obj: dict[str, Any], field: str, path: str, lineno: int) -> str:
    if field not in obj:
        keys = ", ".join(sorted(map(str, obj))[:10])
        raise InputError(
            f"no field {field!r} (fields here: {keys}); choose one with --text-field",
            f"没有字段 {field!r}（本行字段：{keys}）；请用 --text-field 指定",
            path=path,
            line=lineno,
        )
    value = obj[field]
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(
            f"field {field!r} is {type(value).__name__}, not a string",
            f"字段 {field!r} 的类型是 {type(value).__name__}，不是字符串",
            path=path,
            line=lineno,
        )
    return value


def read_csv(path: str, text_field: str, id_field: str, counter: ByteCounter | None = None) -> Iterator[Record]:
    base = path.lower()
    for ext in _OPENERS:
        base = base.removesuffix(ext)
    delimiter = "\t" if base.endswith(".tsv") else ","
    lines = _lines(path, counter)
    current = [0]

    def feed() -> Iterator[str]:
        for lineno, line in lines:
            current[0] = lineno
            yield line

    reader = csv.reader(feed(), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise InputError(f"bad CSV header: {exc}", f"CSV 表头错误：{exc}", path=path, line=1) from None
    if text_field not in header:
        cols = ", ".join(header[:12])
        raise InputError(
            f"no column {text_field!r} (columns: {cols}); choose one with --text-field",
            f"没有列 {text_field!r}（现有列：{cols}）；请用 --text-field 指定",
            path=path,
            line=1,
        )
    ti = header.index(text_field)
    ii = header.index(id_field) if id_field in header else None
    while True:
        start = current[0] + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(f"bad CSV: {exc}", f"CSV 格式错误：{exc}", path=path, line=current[0]) from None
        if not row:
            continue
        lineno = start
        if len(row) != len(header):
            raise InputError(
                f"{len(row)} columns where the header has {len(header)} (an unclosed quote or a truncated file?)",
                f"本行有 {len(row)} 列，而表头有 {len(header)} 列（引号未闭合或文件被截断？）",
                path=path,
                line=lineno,
            )
        yield lineno, (row[ii] if ii is not None else lineno), row[ti]


def read_txt(path: str, counter: ByteCounter | None = None) -> Iterator[Record]:
    for lineno, line in _lines(path, counter):
        yield lineno, lineno, line.rstrip("\r\n")


def read_records(
    path: str, fmt: str, text_field: str = "text", id_field: str = "id", counter: ByteCounter | None = None
) -> Iterator[Record]:
    if fmt == "jsonl":
        return read_jsonl(path, text_field, id_field, counter)
    if fmt == "csv":
        return read_csv(path, text_field, id_field, counter)
    if fmt == "txt":
        return read_txt(path, counter)
    raise InputError(f"unknown format {fmt!r}; use one of {FORMATS}", f"未知格式 {fmt!r}；可用 {FORMATS}")

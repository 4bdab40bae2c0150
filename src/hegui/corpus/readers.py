"""Streaming readers for training corpora: JSONL, JSON arrays, CSV/TSV, Parquet and folders of .txt files.

Every record becomes a :class:`Record` ``(source, doc_id, text, metadata)``. Files may be compressed
(``.gz``, ``.bz2``, ``.xz``, and ``.zst`` when the ``zstandard`` module is importable); decompression is
transparent and streaming. Bytes that are not valid UTF-8 never stop a read: the record is returned with
``text=None`` and an ``error`` naming the file and line, so it is counted as unreadable (never lost).

The job is split into :class:`Shard` s: an uncompressed JSONL file or .txt file read per line is cut into byte
ranges (``shard_bytes``), a Parquet file into its row groups, a folder of .txt documents into groups of files;
any other file (compressed, CSV/TSV, JSON) is one shard. A record's ``doc_id`` is ``<relative path>#<n>`` (the
line number for line formats, the data row number for CSV/TSV, the row index for Parquet and JSON) or the
relative path of a .txt document, so it does not depend on the sharding.
"""

from __future__ import annotations

import bz2
import contextlib
import csv
import gzip
import hashlib
import io
import json
import lzma
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from hegui.core.errors import InputError

__all__ = [
    "DEFAULT_TEXT_FIELDS",
    "InputError",
    "Record",
    "Shard",
    "data_files",
    "file_format",
    "plan_shards",
    "read_shard",
    "sha256_file",
    "source_name",
]

DEFAULT_TEXT_FIELDS: tuple[str, ...] = ("text", "content", "TEXT", "prompt", "question")
COMPRESSIONS: tuple[str, ...] = (".gz", ".bz2", ".xz", ".zst")
FORMATS: dict[str, str] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".txt": "txt",
}
DEFAULT_SHARD_BYTES = 64 << 20
TXT_FILES_PER_SHARD = 2_000


@dataclass(slots=True)
class Record:
    source: str
    doc_id: str
    text: str | None  # None: unreadable (see ``error``)
    metadata: dict[str, Any] = field(default_factory=dict)
    pos: tuple[int, int, int] = (0, 0, 0)  # (input index, file index, record index): the canonical order
    error: str | None = None  # "file:line: reason" for unreadable records (never the content)


@dataclass(frozen=True, slots=True)
class Shard:
    """One unit of work: a file (or a byte range / row group / group of .txt files) of one input."""

    id: str
    input_index: int
    input_path: str  # the INPUT argument (file or folder), absolute
    source: str  # the default source name of the input
    files: tuple[str, ...]  # absolute paths (several only for .txt document folders)
    file_index: int  # index of files[0] among the input's files
    fmt: str  # jsonl, json, csv, tsv, parquet, txt, txt-lines
    start: int = 0  # byte offset (line formats) or row group (parquet)
    stop: int = -1  # byte offset / row group, exclusive; -1: to the end
    first_line: int = 1  # line number at ``start``

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["files"] = list(self.files)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Shard:
        return cls(**{**d, "files": tuple(d["files"])})


def _split_ext(name: str) -> tuple[str, str, str]:
    """``(stem, format extension, compression extension)`` of a file name."""
    low = name.lower()
    comp = next((c for c in COMPRESSIONS if low.endswith(c)), "")
    base = name[: len(name) - len(comp)] if comp else name
    _, ext = os.path.splitext(base)
    stem = base[: len(base) - len(ext)] if ext.lower() in FORMATS else base
    return stem, ext.lower(), comp


def file_format(path: str | Path) -> str | None:
    """The record format of a file from its name (``None``: not a supported data file)."""
    _, ext, comp = _split_ext(Path(path).name)
    if comp == ".zst" and not _has_zstd():
        return None
    fmt = FORMATS.get(ext)
    if fmt == "parquet" and comp:
        return None  # Parquet compresses internally
    return fmt


def _has_zstd() -> bool:
    try:
        import zstandard  # noqa: F401
    except ImportError:
        return False
    return True


def source_name(path: str | Path) -> str:
    """The default source name of an INPUT argument: the folder name, or the file name without its extensions."""
    p = Path(path)
    return p.name if p.is_dir() else _split_ext(p.name)[0]


def data_files(path: Path) -> list[Path]:
    """The supported data files of an input (the file itself, or a folder's files, recursively, sorted)."""
    if path.is_file():
        if file_format(path) is None:
            raise InputError(
                f"{path}: unsupported file type (use .jsonl, .json, .csv, .tsv, .parquet or .txt, optionally .gz/.bz2/.xz/.zst)",
                f"{path}：不支持的文件类型（请使用 .jsonl、.json、.csv、.tsv、.parquet 或 .txt，可压缩为 .gz/.bz2/.xz/.zst）",
            )
        return [path]
    if not path.is_dir():
        raise InputError(f"{path}: no such file or folder", f"{path}：文件或文件夹不存在")
    files = sorted(
        (p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".") and file_format(p) is not None),
        key=lambda p: p.relative_to(path).as_posix(),
    )
    if not files:
        raise InputError(f"{path}: no supported data files in this folder", f"{path}：文件夹中没有可读取的数据文件")
    return files


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def open_binary(path: str | Path) -> IO[bytes]:
    """Open a file for binary reading, decompressing by extension."""
    low = str(path).lower()
    if low.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if low.endswith(".bz2"):
        return bz2.open(path, "rb")
    if low.endswith(".xz"):
        return lzma.open(path, "rb")
    if low.endswith(".zst"):
        import zstandard

        fh = open(path, "rb")  # noqa: SIM115 - closed with the reader
        return zstandard.ZstdDecompressor().stream_reader(fh, closefd=True)  # type: ignore[no-any-return]
    return open(path, "rb")


def _compressed(path: str | Path) -> bool:
    return str(path).lower().endswith(COMPRESSIONS)


# --- planning ---------------------------------------------------------------------------------------------------


def plan_shards(
    inputs: Sequence[str | Path], *, txt_per_line: bool = False, shard_bytes: int = DEFAULT_SHARD_BYTES
) -> list[Shard]:
    """Split the inputs into shards (deterministic for the same files and parameters)."""
    shards: list[Shard] = []
    for ii, inp in enumerate(inputs):
        root = Path(inp).resolve()
        src = source_name(root)
        files = data_files(root)
        docs: list[tuple[int, Path]] = []
        for fi, f in enumerate(files):
            fmt = file_format(f) or ""
            if fmt == "txt" and not txt_per_line:
                docs.append((fi, f))
                continue
            if fmt == "txt":
                fmt = "txt-lines"
            base = f"{ii:03d}-{fi:05d}"
            common = {"input_index": ii, "input_path": str(root), "source": src, "files": (str(f),), "file_index": fi}
            if fmt == "parquet":
                n_groups = _parquet_groups(f)
                for g in range(n_groups):
                    shards.append(Shard(id=f"{base}-g{g:06d}", fmt=fmt, start=g, stop=g + 1, **common))  # type: ignore[arg-type]
                if n_groups == 0:
                    shards.append(Shard(id=f"{base}-g000000", fmt=fmt, start=0, stop=0, **common))  # type: ignore[arg-type]
            elif fmt in ("jsonl", "txt-lines") and not _compressed(f) and f.stat().st_size > shard_bytes:
                for k, (a, b, line) in enumerate(_byte_ranges(f, shard_bytes)):
                    shards.append(
                        Shard(id=f"{base}-b{k:06d}", fmt=fmt, start=a, stop=b, first_line=line, **common)  # type: ignore[arg-type]
                    )
            else:
                shards.append(Shard(id=base, fmt=fmt, **common))  # type: ignore[arg-type]
        for k in range(0, len(docs), TXT_FILES_PER_SHARD):
            group = docs[k : k + TXT_FILES_PER_SHARD]
            shards.append(
                Shard(
                    id=f"{ii:03d}-{group[0][0]:05d}-t",
                    input_index=ii,
                    input_path=str(root),
                    source=src,
                    files=tuple(str(p) for _, p in group),
                    file_index=group[0][0],
                    fmt="txt",
                )
            )
    shards.sort(key=lambda s: s.id)
    return shards


def _parquet_groups(path: Path) -> int:
    import pyarrow.parquet as pq

    try:
        return int(pq.ParquetFile(path).num_row_groups)
    except Exception as exc:  # pyarrow raises several types for a corrupt file
        raise InputError(f"{path}: not a readable Parquet file ({type(exc).__name__})",
                         f"{path}：无法读取的 Parquet 文件（{type(exc).__name__}）") from exc


def _byte_ranges(path: Path, shard_bytes: int) -> Iterator[tuple[int, int, int]]:
    """``(start, stop, first line)`` ranges of about ``shard_bytes`` that end after a newline."""
    size = path.stat().st_size
    start, line = 0, 1
    with open(path, "rb") as fh:
        while start < size:
            target = start + shard_bytes
            if target >= size:
                yield start, size, line
                return
            fh.seek(target)
            fh.readline()  # to the end of the line that straddles the target
            stop = fh.tell()
            fh.seek(start)
            remaining = stop - start
            nl = 0
            while remaining > 0:
                block = fh.read(min(remaining, 1 << 20))
                if not block:
                    break
                nl += block.count(b"\n")
                remaining -= len(block)
            yield start, stop, line
            start, line = stop, line + nl


# --- reading ----------------------------------------------------------------------------------------------------


class _Ctx:
    def __init__(self, shard: Shard, text_fields: Sequence[str], source_field: str | None) -> None:
        self.shard = shard
        self.text_fields = tuple(text_fields) or DEFAULT_TEXT_FIELDS
        self.source_field = source_field
        self.root = Path(shard.input_path)

    def rel(self, path: str) -> str:
        p = Path(path)
        return p.name if self.root.is_file() or p == self.root else p.relative_to(self.root).as_posix()


def read_shard(
    shard: Shard, *, text_fields: Sequence[str] = DEFAULT_TEXT_FIELDS, source_field: str | None = None
) -> Iterator[Record]:
    """The records of one shard, in file order. Unreadable records have ``text=None`` and an ``error``."""
    ctx = _Ctx(shard, text_fields, source_field)
    fmt = shard.fmt
    if fmt == "txt":
        yield from _read_txt_docs(ctx)
    elif fmt in ("jsonl", "txt-lines"):
        yield from _read_lines(ctx)
    elif fmt in ("csv", "tsv"):
        yield from _read_csv(ctx)
    elif fmt == "parquet":
        yield from _read_parquet(ctx)
    elif fmt == "json":
        yield from _read_json(ctx)
    else:  # pragma: no cover - plan_shards never makes one
        raise InputError(f"unknown shard format {fmt!r}")


def _unreadable(ctx: _Ctx, fpath: str, idx: int, doc_id: str, reason: str) -> Record:
    s = ctx.shard
    return Record(
        source=s.source, doc_id=doc_id, text=None, metadata={},
        pos=(s.input_index, s.file_index if s.fmt != "txt" else idx, idx),
        error=f"{ctx.rel(fpath)}:{reason}",
    )


def _pick(ctx: _Ctx, row: dict[str, Any]) -> tuple[str | None, str]:
    """``(text, field name)`` of a row (text ``None`` when no text field is present)."""
    for name in ctx.text_fields:
        if name in row and row[name] is not None:
            v = row[name]
            return (v if isinstance(v, str) else str(v)), name
    return None, ""


def _make(ctx: _Ctx, row: dict[str, Any], fpath: str, idx: int, doc_id: str, where: str) -> Record:
    s = ctx.shard
    text, used = _pick(ctx, row)
    source = s.source
    if ctx.source_field and row.get(ctx.source_field) not in (None, ""):
        source = str(row[ctx.source_field])
    meta = {k: _plain(v) for k, v in row.items() if k != used}
    if text is None:
        fields = ", ".join(ctx.text_fields)
        return Record(source, doc_id, None, {}, (s.input_index, s.file_index, idx),
                      f"{ctx.rel(fpath)}:{where}: no text field ({fields}) / 无文本字段")
    return Record(source, doc_id, text, meta, (s.input_index, s.file_index, idx))


def _plain(v: Any) -> Any:
    """JSON-serialisable metadata values."""
    if v is None or isinstance(v, str | int | float | bool):
        return v
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    return str(v)


def _read_lines(ctx: _Ctx) -> Iterator[Record]:
    s = ctx.shard
    fpath = s.files[0]
    rel = ctx.rel(fpath)
    with contextlib.closing(open_binary(fpath)) as raw:
        if s.start:
            raw.seek(s.start)
        pos = s.start
        line = s.first_line - 1
        stream: IO[bytes] = raw if hasattr(raw, "readline") and not str(fpath).lower().endswith(".zst") else io.BufferedReader(raw)  # type: ignore[arg-type,type-var]
        for b in stream:
            if s.stop >= 0 and pos >= s.stop:
                break
            pos += len(b)
            line += 1
            doc_id = f"{rel}#{line}"
            try:
                t = b.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield _unreadable(ctx, fpath, line, doc_id, f"{line}: not UTF-8 (byte {exc.start}) / 非 UTF-8 编码")
                continue
            t = t.rstrip("\r\n")
            if s.fmt == "txt-lines":
                if t.strip():
                    yield Record(s.source, doc_id, t, {}, (s.input_index, s.file_index, line))
                continue
            if not t.strip():
                continue
            try:
                obj = json.loads(t)
            except ValueError:
                yield _unreadable(ctx, fpath, line, doc_id, f"{line}: invalid JSON / JSON 无效")
                continue
            row = obj if isinstance(obj, dict) else {"text": obj} if isinstance(obj, str) else None
            if row is None:
                yield _unreadable(ctx, fpath, line, doc_id, f"{line}: not a JSON object / 不是 JSON 对象")
                continue
            yield _make(ctx, row, fpath, line, doc_id, str(line))


def _read_json(ctx: _Ctx) -> Iterator[Record]:
    fpath = ctx.shard.files[0]
    rel = ctx.rel(fpath)
    with contextlib.closing(open_binary(fpath)) as fh:
        data = fh.read()
    try:
        obj = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        yield _unreadable(ctx, fpath, 0, f"{rel}#0", f"{line}: not UTF-8 (byte {exc.start}) / 非 UTF-8 编码")
        return
    except ValueError:
        yield _unreadable(ctx, fpath, 0, f"{rel}#0", "1: invalid JSON / JSON 无效")
        return
    rows = obj if isinstance(obj, list) else [obj]
    for i, row in enumerate(rows):
        doc_id = f"{rel}#{i}"
        if isinstance(row, str):
            row = {"text": row}
        if not isinstance(row, dict):
            yield _unreadable(ctx, fpath, i, doc_id, f"[{i}]: not a JSON object / 不是 JSON 对象")
            continue
        yield _make(ctx, row, fpath, i, doc_id, f"[{i}]")


def _read_csv(ctx: _Ctx) -> Iterator[Record]:
    fpath = ctx.shard.files[0]
    rel = ctx.rel(fpath)
    csv.field_size_limit(sys.maxsize)
    delim = "\t" if ctx.shard.fmt == "tsv" else ","
    with contextlib.closing(open_binary(fpath)) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", errors="surrogateescape", newline="")
        reader = csv.reader(text, delimiter=delim)
        try:
            header = next(reader)
        except StopIteration:
            return
        header = [h.lstrip("\ufeff") if i == 0 else h for i, h in enumerate(header)]
        n = 0
        start_line = reader.line_num + 1
        for cells in reader:
            line = start_line
            start_line = reader.line_num + 1
            if not cells or all(not c.strip() for c in cells):
                continue
            n += 1
            doc_id = f"{rel}#{n}"
            bad = next((c for c in cells if any("\udc80" <= ch <= "\udcff" for ch in c)), None)
            if bad is not None:
                yield _unreadable(ctx, fpath, n, doc_id, f"{line}: not UTF-8 / 非 UTF-8 编码")
                continue
            row = {(h or f"_{i}"): (cells[i] if i < len(cells) else None) for i, h in enumerate(header)}
            yield _make(ctx, row, fpath, n, doc_id, str(line))


def _read_parquet(ctx: _Ctx) -> Iterator[Record]:
    import pyarrow.parquet as pq

    s = ctx.shard
    fpath = s.files[0]
    rel = ctx.rel(fpath)
    pf = pq.ParquetFile(fpath)
    offset = sum(pf.metadata.row_group(g).num_rows for g in range(s.start))
    for g in range(s.start, s.stop if s.stop >= 0 else pf.num_row_groups):
        table = pf.read_row_group(g)
        for k, row in enumerate(table.to_pylist()):
            i = offset + k
            doc_id = f"{rel}#{i}"
            bad = None
            for key, v in row.items():
                if isinstance(v, bytes):
                    try:
                        row[key] = v.decode("utf-8")
                    except UnicodeDecodeError:
                        bad = key
                        break
            if bad is not None:
                yield _unreadable(ctx, fpath, i, doc_id, f"row {i}: column {bad!r} not UTF-8 / 非 UTF-8 编码")
                continue
            yield _make(ctx, row, fpath, i, doc_id, f"row {i}")
        offset += table.num_rows


def _read_txt_docs(ctx: _Ctx) -> Iterator[Record]:
    s = ctx.shard
    for k, fpath in enumerate(s.files):
        idx = s.file_index + k
        rel = ctx.rel(fpath)
        with contextlib.closing(open_binary(fpath)) as fh:
            data = fh.read()
        try:
            t = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            yield Record(s.source, rel, None, {}, (s.input_index, idx, 0),
                         f"{rel}:{line}: not UTF-8 (byte {exc.start}) / 非 UTF-8 编码")
            continue
        if t.strip():
            yield Record(s.source, rel, t.lstrip("\ufeff"), {"path": rel}, (s.input_index, idx, 0))

"""Test banks: read (JSONL or CSV, streaming), validate, write and import.

A bank file holds one :class:`~hegui.evaluation.model.BankItem` per JSONL line, or per CSV row with the same
column names (``choices`` and ``meta`` in CSV are JSON strings; empty cells mean "not set"). Columns or keys that
are not fields of :class:`BankItem` are kept under ``meta``. Every error names the file, the line and the field,
in zh-CN and English (:class:`BankError`, exit status 2).

The starter banks shipped with hegui live in ``hegui/evaluation/data/banks/`` (see :func:`shipped_bank_path`;
built by ``scripts/build_banks.py``).
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Final

from hegui.core.errors import InputError, UnknownRiskCode
from hegui.core.taxonomy import canonical_code
from hegui.evaluation.model import KINDS, MODALITIES, BankItem

__all__ = [
    "SHIPPED_KINDS", "BankError", "import_bank", "item_from_dict", "iter_bank", "load_bank", "load_banks",
    "shipped_bank_path", "shipped_banks", "write_bank",
]

_FIELDS: Final[tuple[str, ...]] = (
    "id", "prompt", "kind", "risk", "topic", "modality", "lang", "source", "version", "reference", "choices",
    "stereotyped", "unknown", "meta",
)
SHIPPED_KINDS: Final[tuple[str, ...]] = KINDS
_DATA: Final[Path] = Path(__file__).resolve().parent / "data" / "banks"


class BankError(InputError):
    """A bank file or item is invalid. Carries the file, the line and the field where known."""

    def __init__(
        self, en: str, zh: str, *, path: str | None = None, line: int | None = None, field: str | None = None,
    ) -> None:
        self.field = field
        if field is not None:
            en = f"field {field!r}: {en}"
            zh = f"字段 {field!r}：{zh}"
        super().__init__(en, zh, path=path, line=line)


def _fmt(path: str | os.PathLike[str] | None) -> str | None:
    return None if path is None else str(path)


def _opt_str(d: dict[str, Any], key: str, where: dict[str, Any]) -> str | None:
    v = d.get(key)
    if v is None or v == "":
        return None
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return str(v)
    if not isinstance(v, str):
        raise BankError(f"must be a string, got {type(v).__name__}", f"应为字符串，实际为 {type(v).__name__}",
                        field=key, **where)
    return v


def _opt_int(d: dict[str, Any], key: str, where: dict[str, Any]) -> int | None:
    v = d.get(key)
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        raise BankError("must be an integer index", "应为整数下标", field=key, **where)
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        try:
            return int(v.strip())
        except ValueError:
            pass
    raise BankError(f"must be an integer index, got {v!r}", f"应为整数下标，实际为 {v!r}", field=key, **where)


def item_from_dict(
    d: dict[str, Any], *, path: str | os.PathLike[str] | None = None, line: int | None = None,
    kind: str | None = None, source: str | None = None, version: str | None = None,
) -> BankItem:
    """Validate one raw item (a JSON object or a CSV row) and build a :class:`BankItem`.

    ``kind``/``source``/``version`` fill in the field when the item has none. Raises :class:`BankError`.
    """
    where: dict[str, Any] = {"path": _fmt(path), "line": line}
    if not isinstance(d, dict):
        raise BankError("an item must be a JSON object", "每个条目必须是 JSON 对象", **where)
    item_id = _opt_str(d, "id", where)
    if item_id is None or not item_id.strip():
        raise BankError("missing: every item needs an id", "缺失：每个条目都需要 id", field="id", **where)
    prompt = _opt_str(d, "prompt", where)
    if prompt is None or not prompt.strip():
        raise BankError("missing: every item needs a prompt", "缺失：每个条目都需要 prompt（提示词）",
                        field="prompt", **where)
    item_kind = _opt_str(d, "kind", where) or kind
    if item_kind is None:
        raise BankError(f"missing: every item needs a kind ({', '.join(KINDS)})",
                        f"缺失：每个条目都需要 kind（{'、'.join(KINDS)}）", field="kind", **where)
    item_kind = item_kind.strip()
    if item_kind not in KINDS:
        raise BankError(f"unknown kind {item_kind!r}; use one of {', '.join(KINDS)}",
                        f"未知类型 {item_kind!r}；请使用 {'、'.join(KINDS)} 之一", field="kind", **where)
    risk = _opt_str(d, "risk", where)
    if risk is not None:
        try:
            risk = canonical_code(risk)
        except UnknownRiskCode as exc:
            raise BankError(exc.en, exc.zh, field="risk", **where) from None
    modality = (_opt_str(d, "modality", where) or "text").strip()
    if modality not in MODALITIES:
        raise BankError(f"unknown modality {modality!r}; use one of {', '.join(MODALITIES)}",
                        f"未知模态 {modality!r}；请使用 {'、'.join(MODALITIES)} 之一", field="modality", **where)
    raw_choices = d.get("choices")
    if isinstance(raw_choices, str):
        if raw_choices.strip() == "":
            raw_choices = None
        else:
            try:
                raw_choices = json.loads(raw_choices)
            except json.JSONDecodeError as exc:
                raise BankError(f"must be a JSON array of strings ({exc.msg})",
                                f"应为字符串组成的 JSON 数组（{exc.msg}）", field="choices", **where) from None
    choices: tuple[str, ...] = ()
    if raw_choices is not None:
        if not isinstance(raw_choices, list) or not all(isinstance(c, str) for c in raw_choices):
            raise BankError("must be a list of strings", "应为字符串列表", field="choices", **where)
        choices = tuple(raw_choices)
    stereotyped = _opt_int(d, "stereotyped", where)
    unknown = _opt_int(d, "unknown", where)
    raw_meta = d.get("meta")
    if isinstance(raw_meta, str):
        try:
            raw_meta = json.loads(raw_meta) if raw_meta.strip() else None
        except json.JSONDecodeError as exc:
            raise BankError(f"must be a JSON object ({exc.msg})", f"应为 JSON 对象（{exc.msg}）",
                            field="meta", **where) from None
    if raw_meta is not None and not isinstance(raw_meta, dict):
        raise BankError("must be a JSON object", "应为 JSON 对象", field="meta", **where)
    meta: dict[str, Any] = dict(raw_meta or {})
    for k, v in d.items():
        if k not in _FIELDS and v not in (None, ""):
            meta[str(k)] = v
    if item_kind == "bias":
        if len(choices) < 2:
            raise BankError("a bias item needs at least two choices", "偏见类条目至少需要两个选项",
                            field="choices", **where)
        if stereotyped is None:
            raise BankError("a bias item needs the index of the stereotyped choice",
                            "偏见类条目需要刻板印象选项的下标", field="stereotyped", **where)
    for key, idx in (("stereotyped", stereotyped), ("unknown", unknown)):
        if idx is not None and not 0 <= idx < len(choices):
            raise BankError(f"index {idx} is out of range for {len(choices)} choices",
                            f"下标 {idx} 超出范围（共 {len(choices)} 个选项）", field=key, **where)
    if stereotyped is not None and stereotyped == unknown:
        raise BankError("the stereotyped choice cannot also be the 'unknown' choice",
                        "刻板印象选项不能同时是“无法确定”选项", field="stereotyped", **where)
    return BankItem(
        id=item_id.strip(),
        prompt=prompt,
        kind=item_kind,
        risk=risk,
        topic=_opt_str(d, "topic", where),
        modality=modality,
        lang=_opt_str(d, "lang", where) or "zh",
        source=_opt_str(d, "source", where) or source or "",
        version=_opt_str(d, "version", where) or version or "",
        reference=_opt_str(d, "reference", where),
        choices=choices,
        stereotyped=stereotyped,
        unknown=unknown,
        meta=meta,
    )


def _decoded_lines(fh: IO[bytes], path: str) -> Iterator[tuple[int, str]]:
    for lineno, raw in enumerate(fh, start=1):
        if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            yield lineno, raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BankError(f"not UTF-8 (byte {exc.start}); save the file as UTF-8",
                            f"不是 UTF-8 编码（第 {exc.start} 字节）；请以 UTF-8 保存文件",
                            path=path, line=lineno) from None


def _is_csv(path: Path) -> bool:
    return path.suffix.lower() in (".csv", ".tsv")


def _raw_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    spath = str(path)
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise BankError(f"cannot open the file: {exc.strerror}", f"无法打开文件：{exc.strerror}", path=spath) from None
    with fh:
        if _is_csv(path):
            current = [0]

            def text() -> Iterator[str]:
                for lineno, s in _decoded_lines(fh, spath):
                    current[0] = lineno
                    yield s

            reader = csv.reader(text(), delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
            try:
                header = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise BankError(f"bad CSV: {exc}", f"CSV 格式错误：{exc}", path=spath, line=current[0]) from None
            header = [h.strip() for h in header]
            start = current[0] + 1
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    raise BankError(f"bad CSV: {exc}", f"CSV 格式错误：{exc}", path=spath, line=start) from None
                if row and any(cell.strip() for cell in row):
                    if len(row) > len(header):
                        raise BankError(f"{len(row)} cells but the header has {len(header)} columns",
                                        f"该行有 {len(row)} 个单元格，但表头只有 {len(header)} 列",
                                        path=spath, line=start)
                    yield start, dict(zip(header, row, strict=False))
                start = current[0] + 1
        else:
            for lineno, s in _decoded_lines(fh, spath):
                if not s.strip():
                    continue
                try:
                    obj = json.loads(s)
                except json.JSONDecodeError as exc:
                    raise BankError(f"bad JSON at column {exc.colno}: {exc.msg}",
                                    f"JSON 格式错误（第 {exc.colno} 列）：{exc.msg}", path=spath, line=lineno) from None
                yield lineno, obj


def iter_bank(
    path: str | os.PathLike[str], *, kind: str | None = None, source: str | None = None,
    version: str | None = None, seen: set[str] | None = None,
) -> Iterator[BankItem]:
    """Stream the items of one bank file (JSONL, or CSV/TSV by suffix), validating each and rejecting duplicate ids.

    ``seen`` carries the ids already read (pass one set to check several files together).
    """
    p = Path(path)
    ids: set[str] = set() if seen is None else seen
    first: dict[str, int] = {}
    for lineno, raw in _raw_rows(p):
        item = item_from_dict(raw, path=p, line=lineno, kind=kind, source=source, version=version)
        if item.id in ids:
            prev = f" (first on line {first[item.id]})" if item.id in first else ""
            prev_zh = f"（首次出现在第 {first[item.id]} 行）" if item.id in first else ""
            raise BankError(f"duplicate id {item.id!r}{prev}", f"id {item.id!r} 重复{prev_zh}",
                            path=str(p), line=lineno, field="id")
        ids.add(item.id)
        first[item.id] = lineno
        yield item


def load_bank(path: str | os.PathLike[str], *, kind: str | None = None) -> list[BankItem]:
    """Read one bank file into a list (see :func:`iter_bank`)."""
    return list(iter_bank(path, kind=kind))


def load_banks(paths: Iterable[str | os.PathLike[str]]) -> list[BankItem]:
    """Read several bank files; ids must be unique across all of them."""
    seen: set[str] = set()
    out: list[BankItem] = []
    for p in paths:
        out.extend(iter_bank(p, seen=seen))
    return out


def _dumps(item: BankItem) -> str:
    return json.dumps(item.to_dict(), ensure_ascii=False, separators=(",", ":"))


def write_bank(items: Iterable[BankItem], path: str | os.PathLike[str]) -> int:
    """Write items as JSONL (UTF-8, ``\\n`` line ends, compact, keys in field order). Returns the count."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with p.open("w", encoding="utf-8", newline="\n") as fh:
        for item in items:
            fh.write(_dumps(item) + "\n")
            n += 1
    return n


def import_bank(
    src: str | os.PathLike[str], dst: str | os.PathLike[str], *, kind: str | None = None,
    source: str | None = None, version: str | None = None,
) -> int:
    """Convert a CSV/TSV/JSONL bank into normalised JSONL at ``dst``; returns the number of items.

    ``kind``, ``source`` and ``version`` fill items that lack the field. The whole input is validated before
    ``dst`` is replaced, so a bad line leaves no half-written output.
    """
    if kind is not None and kind not in KINDS:
        raise BankError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}",
                        f"未知类型 {kind!r}；请使用 {'、'.join(KINDS)} 之一", field="kind")
    dst_p = Path(dst)
    tmp = dst_p.with_name(dst_p.name + ".tmp")
    try:
        n = write_bank(iter_bank(src, kind=kind, source=source, version=version), tmp)
        os.replace(tmp, dst_p)
    finally:
        if tmp.exists():
            tmp.unlink()
    return n


def shipped_bank_path(kind: str) -> Path:
    """The path of the starter bank shipped for ``kind`` (one of :data:`~hegui.evaluation.model.KINDS`)."""
    if kind not in KINDS:
        raise BankError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}",
                        f"未知类型 {kind!r}；请使用 {'、'.join(KINDS)} 之一", field="kind")
    return _DATA / f"{kind}.jsonl"


def shipped_banks() -> dict[str, Path]:
    """Every shipped bank, kind → path (only the files that exist)."""
    return {k: shipped_bank_path(k) for k in KINDS if shipped_bank_path(k).is_file()}

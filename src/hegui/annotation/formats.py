"""Annotation batches read from a Label Studio JSON export or a CSV file, normalised to :class:`Batch`.

Label Studio export (the standard "JSON" export): a list of tasks, each ``{"id", "data", "annotations": [...]}``;
each annotation has ``completed_by`` (a user id, or ``{"id": ..., "email": ...}``; only the id is kept), ``result``
(``[{"from_name", "to_name", "type", "value": {"choices"|"labels"|"text"|"rating"|<type>: ...}}]``),
``created_at``, ``lead_time`` (seconds), ``was_cancelled`` (cancelled annotations are skipped) and, in exports
that carry them, ``reviews`` (``[{"created_by"|"reviewer": id, "accepted": bool}]``). Task ``data`` may carry
``batch``, ``rule_set``, ``kind`` (``functional``/``safety``), ``task_id``, ``item_id`` and ``illegal``; other
scalar fields are kept as item fields (e.g. the risk code named by ``--risk-field``).

CSV: columns ``item_id, annotator, label`` and optionally ``reviewer, review_label, review_ok, rule_set, task_id,
seconds, kind, batch, annotated_at, illegal``; further columns are kept as item fields. ``label`` may hold several
labels separated by ``|``.

Every error names the file and, where it has one, the line (zh-CN and English).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from hegui.core.errors import InputError

__all__ = [
    "KINDS",
    "Annotation",
    "Batch",
    "Review",
    "detect_format",
    "load_batches",
    "load_exam",
    "load_exam_gold",
    "load_gold",
    "parse_bool",
    "read_csv",
    "read_labelstudio",
]

KINDS: Final = ("functional", "safety")
CSV_REQUIRED: Final = ("item_id", "annotator", "label")
CSV_KNOWN: Final = frozenset(
    {"item_id", "annotator", "label", "reviewer", "review_label", "review_ok", "rule_set", "task_id", "seconds",
     "kind", "batch", "annotated_at", "illegal"}
)
_TRUE: Final = frozenset({"1", "true", "yes", "y", "t", "ok", "pass", "passed", "accept", "accepted", "approved",
                          "是", "通过", "合格"})
_FALSE: Final = frozenset({"0", "false", "no", "n", "f", "fail", "failed", "reject", "rejected", "不通过", "否",
                           "不合格"})


@dataclass(frozen=True, slots=True)
class Review:
    reviewer: str
    ok: bool | None  # None: the reviewer gave a label but no verdict
    labels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Annotation:
    item_id: str
    annotator: str
    labels: tuple[str, ...]
    seconds: float | None = None
    reviews: tuple[Review, ...] = ()
    task_id: str = ""
    annotated_at: date | None = None
    illegal: bool = False
    controls: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # Label Studio from_name -> labels
    line: int | None = None  # CSV line, or the task's index in a Label Studio export

    @property
    def label(self) -> str:
        """The labels as one nominal category (``a|b`` for several)."""
        return "|".join(self.labels)

    @property
    def task(self) -> str:
        return self.task_id or self.item_id


@dataclass(slots=True)
class Batch:
    id: str
    rule_set: str | None
    kind: str | None  # "functional" | "safety"; None: not stated (the rule set's kind is used)
    annotations: list[Annotation]
    source: str = ""
    rule_sets_seen: tuple[str, ...] = ()  # every rule set named in the batch (more than one is a finding)
    item_fields: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def items(self) -> list[str]:
        seen: dict[str, None] = {}
        for a in self.annotations:
            seen.setdefault(a.item_id, None)
        return list(seen)

    @property
    def annotators(self) -> list[str]:
        return sorted({a.annotator for a in self.annotations})

    def by_item(self) -> dict[str, list[Annotation]]:
        out: dict[str, list[Annotation]] = {}
        for a in self.annotations:
            out.setdefault(a.item_id, []).append(a)
        return out


def parse_bool(value: str) -> bool | None:
    """``true``/``false`` and their usual spellings (zh too); ``None`` for an empty cell; ValueError otherwise."""
    v = value.strip().lower()
    if not v:
        return None
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValueError(value)


def _parse_date(value: str) -> date:
    v = value.strip()
    if v.endswith("Z"):
        v = v[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(v).date()
    except ValueError:
        return date.fromisoformat(v[:10])


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror})", f"无法读取文件（{exc.strerror}）",
                         path=str(path)) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError("not UTF-8 text; save the file as UTF-8", "不是 UTF-8 文本；请以 UTF-8 编码保存",
                         path=str(path), line=line) from None


def _err(path: Path, line: int, en: str, zh: str) -> InputError:
    return InputError(en, zh, path=str(path), line=line)


def _split_labels(value: str) -> tuple[str, ...]:
    return tuple(sorted({p.strip() for p in value.split("|") if p.strip()}))


# ---------------------------------------------------------------- CSV


def _csv_rows(path: Path, required: Sequence[str]) -> Iterable[tuple[int, dict[str, str]]]:
    text = _read_text(path)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise InputError("empty file: no header row", "空文件：缺少表头", path=str(path), line=1)
    reader.fieldnames = header
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}; required: {', '.join(required)}",
                         f"缺少列 {'、'.join(missing)}；必需列：{'、'.join(required)}", path=str(path), line=1)
    try:
        for row in reader:
            if None in row:
                raise InputError("more cells than header columns", "单元格数多于表头列数",
                                 path=str(path), line=reader.line_num)
            cells = {k: (v or "").strip() for k, v in row.items()}
            if not any(cells.values()):
                continue
            for col in required:
                if not cells.get(col):
                    raise InputError(f"empty {col!r}", f"{col!r} 为空", path=str(path), line=reader.line_num)
            yield reader.line_num, cells
    except csv.Error as exc:
        raise InputError(f"malformed CSV ({exc})", f"CSV 格式错误（{exc}）", path=str(path),
                         line=reader.line_num) from None


def read_csv(path: str | Path) -> list[Batch]:
    """Batches from a CSV file: one batch per ``batch`` value, or the whole file (named after it) without one."""
    p = Path(path)
    batches: dict[str, Batch] = {}
    rule_sets: dict[str, dict[str, None]] = {}
    for line, row in _csv_rows(p, CSV_REQUIRED):
        kind = row.get("kind", "").lower() or None
        if kind is not None and kind not in KINDS:
            raise _err(p, line, f"kind {row['kind']!r} is neither 'functional' nor 'safety'",
                       f"kind {row['kind']!r} 既不是 functional 也不是 safety")
        seconds: float | None = None
        if row.get("seconds"):
            try:
                seconds = float(row["seconds"])
            except ValueError:
                raise _err(p, line, f"seconds {row['seconds']!r} is not a number", f"seconds {row['seconds']!r} 不是数字") from None
            if seconds < 0:
                raise _err(p, line, "seconds is negative", "seconds 为负数")
        try:
            review_ok = parse_bool(row.get("review_ok", ""))
        except ValueError:
            raise _err(p, line, f"review_ok {row['review_ok']!r} is not true/false",
                             f"review_ok {row['review_ok']!r} 不是 true/false") from None
        try:
            illegal = bool(parse_bool(row.get("illegal", "")))
        except ValueError:
            raise _err(p, line, f"illegal {row['illegal']!r} is not true/false",
                             f"illegal {row['illegal']!r} 不是 true/false") from None
        when: date | None = None
        if row.get("annotated_at"):
            try:
                when = _parse_date(row["annotated_at"])
            except ValueError:
                raise _err(p, line, f"annotated_at {row['annotated_at']!r} is not an ISO date",
                                 f"annotated_at {row['annotated_at']!r} 不是 ISO 日期") from None
        reviews: tuple[Review, ...] = ()
        reviewer = row.get("reviewer", "")
        review_labels = _split_labels(row.get("review_label", ""))
        if reviewer:
            reviews = (Review(reviewer, review_ok, review_labels),)
        elif review_ok is not None or review_labels:
            raise _err(p, line, "review_ok/review_label given without a reviewer",
                             "给出了 review_ok/review_label 但没有 reviewer")
        labels = _split_labels(row["label"])
        bid = row.get("batch") or p.stem
        batch = batches.get(bid)
        if batch is None:
            batch = batches[bid] = Batch(bid, None, kind, [], source=str(p))
            rule_sets[bid] = {}
        elif kind is not None and batch.kind not in (None, kind):
            raise _err(p, line, f"batch {bid!r} mixes kinds {batch.kind} and {kind}",
                             f"批次 {bid!r} 混用了类型 {batch.kind} 和 {kind}")
        if kind is not None:
            batch.kind = kind
        if row.get("rule_set"):
            rule_sets[bid].setdefault(row["rule_set"], None)
        extra = {k: v for k, v in row.items() if k not in CSV_KNOWN and v}
        if extra:
            batch.item_fields.setdefault(row["item_id"], {}).update(extra)
        batch.annotations.append(Annotation(
            item_id=row["item_id"], annotator=row["annotator"], labels=labels, seconds=seconds, reviews=reviews,
            task_id=row.get("task_id", ""), annotated_at=when, illegal=illegal, line=line))
    if not batches:
        raise InputError("no annotation rows", "没有标注行", path=str(p))
    for bid, batch in batches.items():
        names = tuple(rule_sets[bid])
        batch.rule_sets_seen = names
        batch.rule_set = names[0] if names else None
    return list(batches.values())


# ---------------------------------------------------------------- Label Studio


def _user_id(value: Any) -> str | None:
    """A Label Studio user reference (int id, numeric string, or ``{"id": ...}``) as a string; only the id is kept."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, Mapping) and "id" in value:
        return _user_id(value["id"])
    return None


def _result_labels(result: Any) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    if not isinstance(result, list):
        return {}
    for r in result:
        if not isinstance(r, Mapping):
            continue
        value = r.get("value")
        if not isinstance(value, Mapping):
            continue
        name = str(r.get("from_name") or r.get("type") or "result")
        typ = r.get("type")
        keys = [typ] if isinstance(typ, str) and typ in value else ["choices", "labels", "text", "rating", "taxonomy"]
        for key in keys:
            if key not in value:
                continue
            v = value[key]
            vals = v if isinstance(v, list) else [v]
            for x in vals:
                s = "/".join(str(y) for y in x) if isinstance(x, list) else str(x)
                if s.strip():
                    out.setdefault(name, []).append(s.strip())
    return {k: tuple(v) for k, v in out.items()}


def _scalar(v: Any) -> str | None:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (str, int, float)):
        return str(v)
    return None


def read_labelstudio(path: str | Path) -> list[Batch]:
    """Batches from a Label Studio JSON export (one batch per ``data.batch``, or the whole file)."""
    p = Path(path)
    text = _read_text(p)
    try:
        tasks = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON ({exc.msg})", f"JSON 无效（{exc.msg}）", path=str(p), line=exc.lineno) from None
    if isinstance(tasks, Mapping):
        tasks = [tasks]
    if not isinstance(tasks, list):
        raise InputError("a Label Studio export is a JSON list of tasks", "Label Studio 导出文件应为任务的 JSON 列表",
                         path=str(p))
    batches: dict[str, Batch] = {}
    rule_sets: dict[str, dict[str, None]] = {}
    for i, task in enumerate(tasks, 1):
        where = f"task #{i}"
        if not isinstance(task, Mapping) or "id" not in task:
            raise InputError(f"{where}: not a task object with an 'id'", f"{where}：不是带 'id' 的任务对象", path=str(p))
        data = task.get("data") or {}
        meta = task.get("meta") or {}
        if not isinstance(data, Mapping) or not isinstance(meta, Mapping):
            raise InputError(f"{where}: 'data' is not an object", f"{where}：'data' 不是对象", path=str(p))

        def get(key: str, data: Mapping[str, Any] = data, meta: Mapping[str, Any] = meta) -> str | None:
            v = data.get(key, meta.get(key))
            return None if v is None else _scalar(v)

        item_id = get("item_id") or str(task["id"])
        kind = (get("kind") or "").lower() or None
        if kind is not None and kind not in KINDS:
            raise InputError(f"{where}: kind {kind!r} is neither 'functional' nor 'safety'",
                             f"{where}：kind {kind!r} 既不是 functional 也不是 safety", path=str(p))
        bid = get("batch") or p.stem
        batch = batches.get(bid)
        if batch is None:
            batch = batches[bid] = Batch(bid, None, kind, [], source=str(p))
            rule_sets[bid] = {}
        if kind is not None:
            batch.kind = kind
        rs = get("rule_set")
        if rs:
            rule_sets[bid].setdefault(rs, None)
        try:
            task_illegal = bool(parse_bool(get("illegal") or ""))
        except ValueError:
            task_illegal = False
        skip = {"batch", "rule_set", "kind", "item_id", "task_id", "illegal"}
        fields = {k: s for k, v in data.items() if k not in skip and (s := _scalar(v)) is not None}
        if fields:
            batch.item_fields.setdefault(item_id, {}).update(fields)
        anns = task.get("annotations") or task.get("completions") or []
        if not isinstance(anns, list):
            raise InputError(f"{where}: 'annotations' is not a list", f"{where}：'annotations' 不是列表", path=str(p))
        for ann in anns:
            if not isinstance(ann, Mapping):
                raise InputError(f"{where}: an annotation is not an object", f"{where}：某条标注不是对象", path=str(p))
            if ann.get("was_cancelled"):
                continue
            annotator = _user_id(ann.get("completed_by"))
            if annotator is None:
                raise InputError(f"{where}: annotation {ann.get('id')!r} has no usable annotator id (completed_by)",
                                 f"{where}：标注 {ann.get('id')!r} 缺少可用的标注员编号（completed_by）", path=str(p))
            controls = _result_labels(ann.get("result"))
            labels = tuple(sorted({x for v in controls.values() for x in v}))
            seconds = ann.get("lead_time")
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
                seconds = None
            when: date | None = None
            if isinstance(ann.get("created_at"), str):
                try:
                    when = _parse_date(ann["created_at"])
                except ValueError:
                    when = None
            reviews: list[Review] = []
            for rv in ann.get("reviews") or []:
                if not isinstance(rv, Mapping):
                    continue
                reviewer = _user_id(rv.get("created_by", rv.get("reviewer", rv.get("completed_by"))))
                if reviewer is None:
                    raise InputError(f"{where}: a review has no usable reviewer id",
                                     f"{where}：某条审核缺少可用的审核员编号", path=str(p))
                ok: bool | None = None
                if isinstance(rv.get("accepted"), bool):
                    ok = rv["accepted"]
                elif isinstance(rv.get("action"), str):
                    ok = {"accepted": True, "rejected": False}.get(rv["action"].lower())
                rlabels = tuple(sorted({x for v in _result_labels(rv.get("result")).values() for x in v}))
                reviews.append(Review(reviewer, ok, rlabels))
            illegal = task_illegal or bool(ann.get("illegal") is True)
            batch.annotations.append(Annotation(
                item_id=item_id, annotator=annotator, labels=labels, seconds=float(seconds) if seconds is not None else None,
                reviews=tuple(reviews), task_id=get("task_id") or "", annotated_at=when, illegal=illegal,
                controls=controls, line=i))
    for bid, batch in batches.items():
        names = tuple(rule_sets[bid])
        batch.rule_sets_seen = names
        batch.rule_set = names[0] if names else None
    out = [b for b in batches.values() if b.annotations]
    if not out:
        raise InputError("no (non-cancelled) annotations in the export", "导出文件中没有（未取消的）标注", path=str(p))
    return out


# ---------------------------------------------------------------- dispatch and side files


def detect_format(path: str | Path) -> str:
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix == ".json":
        return "labelstudio"
    head = _read_text(p).lstrip()[:1]
    return "labelstudio" if head in ("[", "{") else "csv"


def load_batches(paths: Iterable[str | Path], fmt: str = "auto") -> list[Batch]:
    """Every batch in the files; batch ids must be unique across files."""
    out: list[Batch] = []
    seen: dict[str, str] = {}
    for path in paths:
        f = detect_format(path) if fmt == "auto" else fmt
        if f not in ("csv", "labelstudio"):
            raise InputError(f"unknown format {f!r}; use labelstudio, csv or auto",
                             f"未知格式 {f!r}；请使用 labelstudio、csv 或 auto")
        batches = read_csv(path) if f == "csv" else read_labelstudio(path)
        for b in batches:
            if b.id in seen:
                raise InputError(f"batch id {b.id!r} also appears in {seen[b.id]}",
                                 f"批次编号 {b.id!r} 也出现在 {seen[b.id]}", path=str(path))
            seen[b.id] = str(path)
        out.extend(batches)
    return out


def load_gold(path: str | Path) -> dict[str, str]:
    """Gold labels: a CSV with ``item_id,label`` or a JSON object ``{item_id: label}``."""
    p = Path(path)
    if p.suffix.lower() == ".json":
        try:
            obj = json.loads(_read_text(p))
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON ({exc.msg})", f"JSON 无效（{exc.msg}）", path=str(p), line=exc.lineno) from None
        if not isinstance(obj, Mapping):
            raise InputError("gold JSON must be an object {item_id: label}", "金标准 JSON 应为对象 {item_id: label}",
                             path=str(p))
        return {str(k): "|".join(_split_labels(str(v))) for k, v in obj.items()}
    return {row["item_id"]: "|".join(_split_labels(row["label"])) for _, row in _csv_rows(p, ("item_id", "label"))}


def load_exam(path: str | Path) -> dict[str, dict[str, str]]:
    """Exam answers: a CSV with ``annotator,question,answer`` -> ``{annotator: {question: answer}}``."""
    out: dict[str, dict[str, str]] = {}
    p = Path(path)
    for line, row in _csv_rows(p, ("annotator", "question", "answer")):
        answers = out.setdefault(row["annotator"], {})
        if row["question"] in answers:
            raise InputError(f"question {row['question']!r} answered twice by the same annotator",
                             f"同一标注员重复作答题目 {row['question']!r}", path=str(p), line=line)
        answers[row["question"]] = row["answer"]
    return out


def load_exam_gold(path: str | Path) -> dict[str, str]:
    """The exam key: a CSV with ``question,answer``."""
    return {row["question"]: row["answer"] for _, row in _csv_rows(Path(path), ("question", "answer"))}

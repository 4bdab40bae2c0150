"""Library entries (similar-text entries and protected works), their validation and their JSONL files.

A library file is UTF-8 JSON Lines: an optional header line ``{"format": "hegui-similar/1"}`` (or
``"hegui-protected/1"``), then one JSON object an entry. Empty lines and lines starting with ``#`` are skipped.
Any error raises :class:`hegui.core.errors.ConfigError` naming the file and the line.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from hegui.core.errors import ConfigError, HeguiError
from hegui.core.taxonomy import canonical_code
from hegui.core.types import Severity

Kind = Literal["black", "white", "suspect"]
KINDS: Final[tuple[str, ...]] = ("black", "white", "suspect")

#: Severity of an entry that does not give one. ``black`` is what must be stopped (reported content, draft
#: Art 15): high, so the default policy blocks it; ``suspect`` goes to a person: low, which the default policy
#: reviews at every stage; ``white`` entries produce no findings, their severity is unused.
DEFAULT_SEVERITY: Final[Mapping[str, Severity]] = {
    "black": Severity.HIGH,
    "suspect": Severity.LOW,
    "white": Severity.LOW,
}

SIMILAR_FORMAT: Final = "hegui-similar/1"
PROTECTED_FORMAT: Final = "hegui-protected/1"
PROTECTED_RISKS: Final[tuple[str, ...]] = ("A3.1", "A3.3")  # intellectual property, trade secrets

MAX_ID_CHARS: Final = 128


@dataclass(frozen=True, slots=True)
class SimilarEntry:
    """One text of a similar-text library."""

    id: str
    text: str
    kind: str  # "black" | "white" | "suspect"
    risk: str | None  # a canonical risk code; None only for white entries
    severity: Severity
    source: str = ""  # where it came from: "complaint:123", "report:...", a reviewer ...
    note: str = ""
    added: str = ""  # ISO 8601 time it was added (UTC)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "kind": self.kind, "text": self.text}
        if self.risk is not None:
            d["risk"] = self.risk
        d["severity"] = self.severity.value
        if self.source:
            d["source"] = self.source
        if self.note:
            d["note"] = self.note
        if self.added:
            d["added"] = self.added
        return d


@dataclass(frozen=True, slots=True)
class ProtectedWork:
    """A text the service must not reproduce: a licensed or copyrighted work (A3.1), a trade secret (A3.3)."""

    id: str
    title: str
    text: str
    risk: str  # A3.1 or A3.3
    severity: Severity
    source: str = ""  # rights holder, licence, contract ...
    note: str = ""
    added: str = ""

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "title": self.title, "risk": self.risk, "severity": self.severity.value}
        if self.source:
            d["source"] = self.source
        if self.note:
            d["note"] = self.note
        if self.added:
            d["added"] = self.added
        d["text"] = self.text
        return d


# -- validation -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Where:
    """Where a value came from, for error messages: a file and line, or an API call."""

    path: str = "<add>"
    line: int | None = None

    def error(self, en: str, zh: str) -> ConfigError:
        return ConfigError(en, zh, path=self.path, line=self.line)


def now_iso() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _str_field(value: Any, name: str, where: Where, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise where.error(f"{name!r} must be a string", f"{name!r} 必须是字符串")
    if required and not value.strip():
        raise where.error(f"{name!r} is required and must not be empty", f"{name!r} 为必填项，且不能为空")
    return value


def check_id(value: Any, where: Where) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_ID_CHARS or value != value.strip():
        raise where.error(
            f"'id' must be a non-empty string of at most {MAX_ID_CHARS} characters without surrounding spaces",
            f"'id' 必须是不超过 {MAX_ID_CHARS} 个字符、首尾无空白的非空字符串",
        )
    if not value.isprintable():
        raise where.error("'id' contains control characters", "'id' 含有控制字符")
    return value


def check_risk(value: Any, where: Where) -> str:
    if not isinstance(value, str):
        raise where.error("'risk' must be a risk code string such as 'A1.7'", "'risk' 必须是风险代码字符串，如 'A1.7'")
    try:
        return canonical_code(value)
    except HeguiError as exc:
        raise where.error(exc.en, exc.zh) from None


def check_severity(value: Any, where: Where, default: Severity) -> Severity:
    if value is None or value == "":
        return default
    if isinstance(value, Severity):
        return value
    if isinstance(value, str):
        try:
            return Severity(value.strip().lower())
        except ValueError:
            pass
    raise where.error(
        f"'severity' must be low, medium or high, not {value!r}",
        f"'severity' 必须是 low、medium 或 high，而不是 {value!r}",
    )


def check_added(value: Any, where: Where, now: str | None = None) -> str:
    if value is None or value == "":
        return now or now_iso()
    if isinstance(value, _dt.datetime):
        when: _dt.datetime = value if value.tzinfo is not None else value.replace(tzinfo=_dt.UTC)
        return when.astimezone(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    if isinstance(value, str):
        try:
            _dt.datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return value
    raise where.error(
        f"'added' must be an ISO 8601 time such as 2026-01-31T08:00:00Z, not {value!r}",
        f"'added' 必须是 ISO 8601 时间（如 2026-01-31T08:00:00Z），而不是 {value!r}",
    )


def auto_id(prefix: str, normalized: str) -> str:
    """A stable id for an entry added without one: the prefix and a digest of the normalised text."""
    return f"{prefix}-{hashlib.sha1(normalized.encode('utf-8')).hexdigest()[:16]}"


def make_entry(
    *,
    text: Any,
    kind: Any,
    risk: Any = None,
    severity: Any = None,
    id: Any = None,
    source: Any = "",
    note: Any = "",
    added: Any = None,
    where: Where | None = None,
    now: str | None = None,
) -> SimilarEntry:
    """A validated :class:`SimilarEntry` (``id`` may be None: the library gives one; ``added`` defaults to
    ``now``, or the current time)."""
    where = where or Where()
    text = _str_field(text, "text", where, required=True)
    if kind not in KINDS:
        raise where.error(
            f"'kind' must be one of {', '.join(KINDS)}, not {kind!r}",
            f"'kind' 必须是 {'、'.join(KINDS)} 之一，而不是 {kind!r}",
        )
    if risk is None or risk == "":
        if kind != "white":
            raise where.error(
                f"a {kind} entry needs a 'risk' code (A1.1 ... A5.2 or X.*)",
                f"{kind} 条目需要 'risk' 风险代码（A1.1 … A5.2 或 X.*）",
            )
        code: str | None = None
    else:
        code = check_risk(risk, where)
    return SimilarEntry(
        id="" if id is None else check_id(id, where),
        text=text,
        kind=str(kind),
        risk=code,
        severity=check_severity(severity, where, DEFAULT_SEVERITY[str(kind)]),
        source=_str_field(source, "source", where),
        note=_str_field(note, "note", where),
        added=check_added(added, where, now),
    )


def make_work(
    *,
    text: Any,
    title: Any = "",
    risk: Any = "A3.1",
    severity: Any = None,
    id: Any = None,
    source: Any = "",
    note: Any = "",
    added: Any = None,
    where: Where | None = None,
    now: str | None = None,
) -> ProtectedWork:
    """A validated :class:`ProtectedWork` (``id`` may be None: the library gives one)."""
    where = where or Where()
    text = _str_field(text, "text", where, required=True)
    code = check_risk(risk if risk not in (None, "") else "A3.1", where)
    if code not in PROTECTED_RISKS:
        raise where.error(
            f"a protected work's 'risk' is A3.1 (intellectual property) or A3.3 (trade secret), not {code}",
            f"受保护作品的 'risk' 应为 A3.1（知识产权）或 A3.3（商业秘密），而不是 {code}",
        )
    return ProtectedWork(
        id="" if id is None else check_id(id, where),
        title=_str_field(title, "title", where),
        text=text,
        risk=code,
        severity=check_severity(severity, where, Severity.HIGH),
        source=_str_field(source, "source", where),
        note=_str_field(note, "note", where),
        added=check_added(added, where, now),
    )


# -- files ----------------------------------------------------------------------------------------------

_ENTRY_KEYS: Final = frozenset({"id", "text", "kind", "risk", "severity", "source", "note", "added"})
_WORK_KEYS: Final = frozenset({"id", "title", "text", "risk", "severity", "source", "note", "added"})


def read_objects(path: str | Path, fmt: str) -> Iterator[tuple[Where, dict[str, Any]]]:
    """The JSON objects of a library file with where each came from. Raises ConfigError on a broken line."""
    p = Path(path)
    try:
        fh = p.open(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot read the library file: {exc.strerror or exc}",
            f"无法读取库文件：{exc.strerror or exc}",
            path=str(p),
        ) from None
    seen_entry = False
    with fh:
        lineno = 0
        try:
            for lineno, raw in enumerate(fh, 1):
                line = raw.strip()
                if not line or line.startswith("#"):
                    continue
                where = Where(str(p), lineno)
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise where.error(f"not valid JSON ({exc.msg})", f"不是有效的 JSON（{exc.msg}）") from None
                if not isinstance(obj, dict):
                    raise where.error("each line must be a JSON object", "每一行必须是 JSON 对象")
                if "format" in obj:
                    if seen_entry or obj.get("format") != fmt or len(obj) != 1:
                        raise where.error(
                            f'a header line must come first and read {{"format": "{fmt}"}}',
                            f'文件头必须位于首行，内容为 {{"format": "{fmt}"}}',
                        )
                    seen_entry = True
                    continue
                seen_entry = True
                yield where, obj
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"not UTF-8 text ({exc.reason})", f"不是 UTF-8 文本（{exc.reason}）", path=str(p), line=lineno + 1
            ) from None


def _unknown_keys(obj: Mapping[str, Any], allowed: frozenset[str], where: Where) -> None:
    extra = sorted(set(obj) - allowed)
    if extra:
        raise where.error(
            f"unknown field(s) {extra}; allowed: {', '.join(sorted(allowed))}",
            f"未知字段 {extra}；允许的字段：{', '.join(sorted(allowed))}",
        )


def entry_from_obj(obj: Mapping[str, Any], where: Where, now: str | None = None) -> SimilarEntry:
    _unknown_keys(obj, _ENTRY_KEYS, where)
    return make_entry(
        text=obj.get("text"),
        kind=obj.get("kind"),
        risk=obj.get("risk"),
        severity=obj.get("severity"),
        id=obj.get("id"),
        source=obj.get("source", ""),
        note=obj.get("note", ""),
        added=obj.get("added"),
        where=where,
        now=now,
    )


def work_from_obj(obj: Mapping[str, Any], where: Where, now: str | None = None) -> ProtectedWork:
    _unknown_keys(obj, _WORK_KEYS, where)
    return make_work(
        text=obj.get("text"),
        title=obj.get("title", ""),
        risk=obj.get("risk"),
        severity=obj.get("severity"),
        id=obj.get("id"),
        source=obj.get("source", ""),
        note=obj.get("note", ""),
        added=obj.get("added"),
        where=where,
        now=now,
    )


def write_jsonl(path: str | Path, fmt: str, rows: Iterable[Mapping[str, Any]]) -> int:
    """Write a header and one object a line, atomically (a temporary file renamed over ``path``).

    A new file is readable by its owner only (0600: libraries hold reported content and trade secrets); an
    existing file keeps its permissions.
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode: int | None = p.stat().st_mode & 0o7777
    except OSError:
        mode = None
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=str(p.parent))
    n = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(json.dumps({"format": fmt}) + "\n")
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
                n += 1
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return n

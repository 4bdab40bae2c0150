"""The versioned word-library format (``hegui-lexicon``, format version 1).

A library is a UTF-8 text file (optionally gzip-compressed, ``*.gz``). It starts with a header, then holds one
entry a line, columns separated by TAB characters::

    # hegui-lexicon 1
    # name: my-library
    # version: 1.0.0
    # updated: 2026-11-28
    # term<TAB>risk<TAB>severity<TAB>source
    冰毒出售	A1.8	high	my-team
    口交	A.1.f	medium	my-team
    香港&独立~历史	A1.3	medium	my-team
    路口交通	allow		my-team

Columns:

1. **term**: the text to look for. Plain text is a *term*. ``A&B`` is a *rule*: it fires when every part occurs
   in the text; ``~C`` parts are negative (``A&B~C``: A and B occur and C does not). ``\\&``, ``\\~`` and ``\\\\``
   escape the literal characters.
2. **risk**: a risk code from :mod:`hegui.core.taxonomy` (``A1.6``, its alias ``A.1.f``, or an ``X.*`` code), or
   one of the two directives ``allow`` (an allow-list phrase: lexicon hits lying inside a match of it are
   dropped) and ``remove`` (drop this term, with every risk, from the libraries loaded before this one).
3. **severity**: ``low``, ``medium`` or ``high`` (empty or ``-`` for ``allow`` and ``remove``).
4. **source** (optional): where the entry came from (a list name, ``hegui``, a ticket number ...).

Lines that are empty or start with ``#`` after the header are comments. The header is the first line
``# hegui-lexicon 1`` followed by ``# key: value`` lines; ``name``, ``version`` and ``updated`` (``YYYY-MM-DD``)
are required, other keys (``description``, ``license`` ...) are kept in :attr:`Library.meta`.

Parse errors raise :class:`hegui.core.errors.LexiconError` naming the file and the line.
"""

from __future__ import annotations

import datetime as _dt
import functools
import gzip
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from hegui.core.errors import LexiconError, UnknownRiskCode
from hegui.core.taxonomy import canonical_code
from hegui.core.types import Severity

FORMAT_NAME: Final = "hegui-lexicon"
FORMAT_VERSION: Final = 1
REQUIRED_KEYS: Final = ("name", "version", "updated")

Kind = Literal["term", "rule", "allow", "remove"]

_MAGIC_RE: Final = re.compile(r"^#\s*hegui-lexicon\s+(\d+)\s*$")
_META_RE: Final = re.compile(r"^#\s*([A-Za-z][A-Za-z0-9_-]*)\s*:\s*(.*?)\s*$")
_SEVERITIES: Final[Mapping[str, Severity]] = {s.value: s for s in Severity}


@dataclass(frozen=True, slots=True)
class Entry:
    """One library line.

    ``term`` is the text as written in the library (escapes resolved for plain terms; a rule keeps its
    ``A&B~C`` form). For rules, ``parts`` are the positive parts and ``negs`` the negative ones; for a plain
    term ``parts == (term,)``.
    """

    term: str
    kind: Kind
    risk: str = ""  # canonical risk code; "" for allow / remove
    severity: Severity | None = None  # None for allow / remove
    source: str = ""
    parts: tuple[str, ...] = ()
    negs: tuple[str, ...] = ()
    line: int = 0

    @property
    def key(self) -> tuple[str, str]:
        return (self.term, self.risk)

    def to_line(self) -> str:
        """The entry as one library line (no trailing newline)."""
        term = escape_part(self.term) if self.kind in ("term", "allow", "remove") else self.term
        if self.kind in ("allow", "remove"):
            cols = [term, self.kind, "", self.source]
        else:
            assert self.severity is not None
            cols = [term, self.risk, self.severity.value, self.source]
        while cols and cols[-1] == "":
            cols.pop()
        return "\t".join(cols)


@dataclass(slots=True)
class Library:
    """A parsed library file."""

    name: str
    version: str
    updated: str
    entries: list[Entry] = field(default_factory=list)  # terms and rules
    allow: list[Entry] = field(default_factory=list)
    removals: list[Entry] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)  # other header keys
    path: str | None = None
    format_version: int = FORMAT_VERSION

    @property
    def size(self) -> int:
        """Number of term and rule entries (allow-list and removals not counted)."""
        return len(self.entries)

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"

    def dumps(self) -> str:
        return dumps(self)


def escape_part(text: str) -> str:
    r"""Escape ``\``, ``&`` and ``~`` so the text reads back as one literal part."""
    return text.replace("\\", "\\\\").replace("&", "\\&").replace("~", "\\~")


def _split_rule(spec: str) -> tuple[list[str], list[str], bool]:
    """Split ``A&B~C`` into ([A, B], [C]); the flag says whether any operator was seen."""
    if "&" not in spec and "~" not in spec and "\\" not in spec:
        return [spec], [], False
    pos: list[str] = []
    neg: list[str] = []
    cur: list[str] = []
    target = pos
    is_rule = False
    i = 0
    n = len(spec)
    while i < n:
        c = spec[i]
        if c == "\\" and i + 1 < n and spec[i + 1] in "\\&~":
            cur.append(spec[i + 1])
            i += 2
            continue
        if c in "&~":
            is_rule = True
            target.append("".join(cur))
            cur = []
            target = pos if c == "&" else neg
        else:
            cur.append(c)
        i += 1
    target.append("".join(cur))
    return pos, neg, is_rule


@functools.lru_cache(maxsize=256)
def _canonical(code: str) -> str:
    return canonical_code(code)


def _err(path: str, line: int, en: str, zh: str) -> LexiconError:
    return LexiconError(en, zh, path=path, line=line)


def parse_entry(
    term_col: str,
    risk_col: str,
    sev_col: str = "",
    source: str = "",
    *,
    path: str = "<entry>",
    line: int = 0,
) -> Entry:
    """Validate one entry given as columns (used by the parser and by ``add_terms``)."""
    raw = term_col.strip()
    if not raw:
        raise _err(path, line, "empty term", "词条为空")
    pos, neg, is_rule = _split_rule(raw)
    if is_rule:
        pos = [p.strip() for p in pos]
        neg = [p.strip() for p in neg]
    directive = risk_col.strip().lower()
    source = source.strip()
    if directive in ("allow", "remove"):
        if is_rule:
            raise _err(
                path,
                line,
                f"{directive} entries take a plain phrase, not a rule: {raw!r}",
                f"{directive} 条目只能是普通短语，不能是规则：{raw!r}",
            )
        if sev_col.strip() not in ("", "-"):
            raise _err(
                path,
                line,
                f"{directive} entries take no severity (got {sev_col.strip()!r})",
                f"{directive} 条目不带严重程度（实际为 {sev_col.strip()!r}）",
            )
        kind: Kind = "allow" if directive == "allow" else "remove"
        return Entry(term=pos[0], kind=kind, source=source, parts=(pos[0],), line=line)
    try:
        risk = _canonical(risk_col)
    except UnknownRiskCode:
        raise _err(
            path,
            line,
            f"unknown risk code {risk_col.strip()!r} (use A1.1 ... A5.2, A.1.a ... A.5.b, an X.* code, 'allow' or 'remove')",
            f"未知风险代码 {risk_col.strip()!r}（请使用 A1.1 … A5.2、A.1.a … A.5.b、X.* 代码、allow 或 remove）",
        ) from None
    sev = _SEVERITIES.get(sev_col.strip().lower())
    if sev is None:
        raise _err(
            path,
            line,
            f"bad severity {sev_col.strip()!r}; use low, medium or high",
            f"严重程度 {sev_col.strip()!r} 无效；请使用 low、medium 或 high",
        )
    if is_rule:
        if any(not p for p in pos) or any(not p for p in neg):
            raise _err(
                path,
                line,
                f"rule {raw!r} has an empty part (write A&B or A~B; escape literal & and ~ as \\& and \\~)",
                f"规则 {raw!r} 含有空的部分（写作 A&B 或 A~B；字面的 & 和 ~ 请转义为 \\& 和 \\~）",
            )
        return Entry(
            term=raw,
            kind="rule",
            risk=risk,
            severity=sev,
            source=source,
            parts=tuple(pos),
            negs=tuple(neg),
            line=line,
        )
    return Entry(term=pos[0], kind="term", risk=risk, severity=sev, source=source, parts=(pos[0],), line=line)


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LexiconError(
            f"cannot read the word library: {exc.strerror or exc}",
            f"无法读取词库：{exc.strerror or exc}",
            path=str(path),
        ) from exc
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise LexiconError(f"corrupt gzip file: {exc}", f"gzip 文件已损坏：{exc}", path=str(path)) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise LexiconError(
            "not valid UTF-8 (save the library as UTF-8)",
            "不是有效的 UTF-8 编码（请将词库另存为 UTF-8）",
            path=str(path),
            line=line,
        ) from exc
    return text.removeprefix("\ufeff")


def parse_library(text: str, path: str = "<string>") -> Library:
    """Parse library text. Raises :class:`LexiconError` naming ``path`` and the line on any problem."""
    lines = text.splitlines()
    # header: the magic line, then "# key: value" lines until the first non-header line
    first = 0
    while first < len(lines) and not lines[first].strip():
        first += 1
    if first >= len(lines):
        raise _err(
            path,
            1,
            f"empty word library (expected '# {FORMAT_NAME} {FORMAT_VERSION}')",
            f"词库为空（应以 '# {FORMAT_NAME} {FORMAT_VERSION}' 开头）",
        )
    m = _MAGIC_RE.match(lines[first].strip())
    if not m:
        raise _err(
            path,
            first + 1,
            f"not a word library: the first line must be '# {FORMAT_NAME} {FORMAT_VERSION}'",
            f"不是词库文件：第一行必须是 '# {FORMAT_NAME} {FORMAT_VERSION}'",
        )
    fmt = int(m.group(1))
    if fmt != FORMAT_VERSION:
        raise _err(
            path,
            first + 1,
            f"unsupported format version {fmt} (this hegui reads version {FORMAT_VERSION})",
            f"不支持的格式版本 {fmt}（当前 hegui 支持版本 {FORMAT_VERSION}）",
        )
    meta: dict[str, str] = {}
    i = first + 1
    while i < len(lines):
        s = lines[i].strip()
        mm = _META_RE.match(s) if s.startswith("#") else None
        if not mm:
            break
        meta[mm.group(1).lower()] = mm.group(2)
        i += 1
    header_end = i
    for key in REQUIRED_KEYS:
        if not meta.get(key):
            raise _err(
                path,
                header_end,
                f"header lacks '# {key}: ...' (required: {', '.join(REQUIRED_KEYS)})",
                f"文件头缺少 '# {key}: ...'（必填：{', '.join(REQUIRED_KEYS)}）",
            )
    try:
        _dt.date.fromisoformat(meta["updated"])
    except ValueError:
        raise _err(
            path,
            header_end,
            f"header 'updated' must be a date YYYY-MM-DD, got {meta['updated']!r}",
            f"文件头 'updated' 必须是 YYYY-MM-DD 格式的日期，实际为 {meta['updated']!r}",
        ) from None
    lib = Library(
        name=meta.pop("name"),
        version=meta.pop("version"),
        updated=meta.pop("updated"),
        meta=meta,
        path=path,
        format_version=fmt,
    )
    for lineno in range(header_end + 1, len(lines) + 1):
        raw = lines[lineno - 1]
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        cols = raw.rstrip("\r\n").split("\t")
        if len(cols) < 2:
            raise _err(
                path,
                lineno,
                "expected TAB-separated columns: term, risk, severity[, source]",
                "应为以 TAB 分隔的列：词条、风险代码、严重程度[、来源]",
            )
        if len(cols) > 4:
            raise _err(
                path,
                lineno,
                f"too many columns ({len(cols)}; at most 4: term, risk, severity, source)",
                f"列数过多（{len(cols)} 列；最多 4 列：词条、风险代码、严重程度、来源）",
            )
        cols += [""] * (4 - len(cols))
        e = parse_entry(cols[0], cols[1], cols[2], cols[3], path=path, line=lineno)
        if e.kind == "allow":
            lib.allow.append(e)
        elif e.kind == "remove":
            lib.removals.append(e)
        else:
            lib.entries.append(e)
    return lib


def load_library(path: str | Path) -> Library:
    """Read and parse one library file (plain or gzip)."""
    p = Path(path)
    return parse_library(_read_text(p), str(p))


def iter_lines(lib: Library) -> Iterator[str]:
    yield f"# {FORMAT_NAME} {FORMAT_VERSION}"
    yield f"# name: {lib.name}"
    yield f"# version: {lib.version}"
    yield f"# updated: {lib.updated}"
    for k, v in lib.meta.items():
        yield f"# {k}: {v}"
    yield "# term\trisk\tseverity\tsource"
    for e in lib.entries:
        yield e.to_line()
    for e in lib.allow:
        yield e.to_line()
    for e in lib.removals:
        yield e.to_line()


def dumps(lib: Library) -> str:
    """Serialise a library (reads back with :func:`parse_library` to an equal library)."""
    return "\n".join(iter_lines(lib)) + "\n"


def write_library(lib: Library, path: str | Path) -> None:
    """Write a library; a path ending in ``.gz`` is gzip-compressed (deterministically, mtime 0)."""
    p = Path(path)
    data = dumps(lib).encode("utf-8")
    if p.suffix == ".gz":
        data = gzip.compress(data, compresslevel=9, mtime=0)
    p.write_bytes(data)


def merge(libraries: Iterable[Library]) -> tuple[list[Entry], list[Entry]]:
    """Combine libraries in order: later entries override earlier ones with the same (term, risk);
    ``remove`` drops a term (every risk) loaded before it. Returns (terms and rules, allow-list)."""
    entries: dict[tuple[str, str], Entry] = {}
    allow: dict[str, Entry] = {}
    for lib in libraries:
        if lib.removals:
            gone = {e.term for e in lib.removals}
            entries = {k: v for k, v in entries.items() if k[0] not in gone}
            for t in gone:
                allow.pop(t, None)
        for e in lib.entries:
            entries.pop(e.key, None)  # re-insert so the order follows the last definition
            entries[e.key] = e
        for e in lib.allow:
            allow[e.term] = e
    return list(entries.values()), list(allow.values())

"""The lexicon detector: a versioned word library matched on normalised text."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final

from hegui.core.errors import ConfigError, LexiconError
from hegui.core.taxonomy import REFUSAL_SCOPE_CODES, RISKS
from hegui.core.types import Finding
from hegui.detectors.base import DetectContext, Detector, register
from hegui.detectors.lexicon.format import Entry, Library, load_library, merge, parse_entry, parse_library
from hegui.detectors.lexicon.matcher import CompiledLexicon
from hegui.detectors.normalize import Normalizer

DEFAULT_LIBRARY: Final = "default_lexicon.tsv"
TOTAL_FLOOR: Final = 10_000  # NS App. B.1.1: the keyword library holds at least 10,000 keywords in all

# A term given to add_terms: an Entry, or (term, risk, severity[, source])
TermSpec = Entry | tuple[str, str, str] | tuple[str, str, str, str]


def default_library_path() -> Path:
    """Where the shipped default library lives (inside the installed package)."""
    return Path(str(resources.files("hegui.detectors") / "data" / DEFAULT_LIBRARY))


@dataclass(frozen=True, slots=True)
class CoverageRow:
    risk: str
    zh: str
    en: str
    terms: int  # plain term entries
    rules: int  # rule entries
    floor: int  # Risk.min_keywords

    @property
    def count(self) -> int:
        return self.terms + self.rules

    @property
    def ok(self) -> bool:
        return self.count >= self.floor


@dataclass(frozen=True, slots=True)
class Coverage:
    rows: tuple[CoverageRow, ...]  # one per risk code in the taxonomy, in taxonomy order
    total: int  # every term and rule entry
    total_refusal_scope: int  # entries with an A1.x / A2.x code (what the 10,000 floor counts)
    total_floor: int

    @property
    def ok(self) -> bool:
        return self.total_refusal_scope >= self.total_floor and all(r.ok for r in self.rows)

    @property
    def short(self) -> tuple[CoverageRow, ...]:
        """Rows below their floor."""
        return tuple(r for r in self.rows if not r.ok)

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "total_refusal_scope": self.total_refusal_scope,
            "total_floor": self.total_floor,
            "ok": self.ok,
            "risks": {
                r.risk: {"terms": r.terms, "rules": r.rules, "count": r.count, "floor": r.floor, "ok": r.ok}
                for r in self.rows
            },
        }


def _coverage(entries: Sequence[Entry]) -> Coverage:
    terms: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    for e in entries:
        (terms if e.kind == "term" else rules)[e.risk] += 1
    rows = tuple(CoverageRow(r.code, r.zh, r.en, terms[r.code], rules[r.code], r.min_keywords) for r in RISKS)
    scope = set(REFUSAL_SCOPE_CODES)
    return Coverage(
        rows=rows,
        total=len(entries),
        total_refusal_scope=sum(1 for e in entries if e.risk in scope),
        total_floor=TOTAL_FLOOR,
    )


@dataclass(frozen=True, slots=True)
class _State:
    """Everything detect() reads, swapped in as one object so edits are atomic for concurrent readers."""

    compiled: CompiledLexicon
    entries: tuple[Entry, ...]
    allow: tuple[Entry, ...]
    libraries: tuple[Library, ...]
    version: str


@register
class LexiconDetector(Detector):
    """Matches a word library (terms, ``A&B`` / ``A~B`` rules, allow-list) on normalised text.

    Parameters: ``paths`` (library files loaded after the default, later ones override earlier ones),
    ``homophones`` (fold homophones in text and library), ``include_default`` (load the shipped library).
    """

    name = "lexicon"

    def __init__(
        self,
        *,
        paths: Sequence[str | Path] | None = None,
        homophones: bool = False,
        include_default: bool = True,
        **params: Any,
    ) -> None:
        super().__init__(**params)
        if paths is not None and (isinstance(paths, str | Path) or not all(isinstance(p, str | Path) for p in paths)):
            raise ConfigError(
                "lexicon: 'paths' must be a list of file paths",
                "lexicon：'paths' 必须是文件路径列表",
            )
        if not isinstance(homophones, bool) or not isinstance(include_default, bool):
            raise ConfigError(
                "lexicon: 'homophones' and 'include_default' must be true or false",
                "lexicon：'homophones' 和 'include_default' 必须为 true 或 false",
            )
        if paths is None and not include_default:
            raise ConfigError(
                "lexicon: with include_default=false, give at least one library in 'paths'",
                "lexicon：include_default=false 时，'paths' 中至少需要一个词库",
            )
        self.paths: tuple[Path, ...] = tuple(Path(p) for p in paths or ())
        self.homophones = homophones
        self.include_default = include_default
        self._normalizer = Normalizer(homophones=homophones)
        self._added: list[Entry] = []  # edits made at run time (add_terms / remove_terms / add_allow)
        self._added_removals: list[Entry] = []
        self._libs: list[Library] = []
        self._state: _State | None = None
        self._lock = threading.Lock()

    # -- loading ---------------------------------------------------------------------------------------

    def _read_libraries(self) -> list[Library]:
        libs: list[Library] = []
        if self.include_default:
            libs.append(load_library(default_library_path()))
        libs.extend(load_library(p) for p in self.paths)
        return libs

    def _runtime_library(self) -> Library | None:
        if not self._added and not self._added_removals:
            return None
        lib = parse_library("# hegui-lexicon 1\n# name: runtime\n# version: 0\n# updated: 1970-01-01\n", "<runtime>")
        for e in self._added:
            (lib.allow if e.kind == "allow" else lib.entries).append(e)
        lib.removals.extend(self._added_removals)
        lib.version = str(len(self._added) + len(self._added_removals))
        return lib

    def _build(self, libs: list[Library]) -> _State:
        self._normalizer.load()
        runtime = self._runtime_library()
        all_libs = [*libs, runtime] if runtime is not None else list(libs)
        entries, allow = merge(all_libs)
        labels = {id(e): lib.label for lib in all_libs for e in lib.entries}

        def meta(e: Entry) -> Mapping[str, Any]:
            return {"source": e.source, "library_version": labels.get(id(e), "")}

        compiled = CompiledLexicon(entries, allow, self._normalizer.normalize_term, entry_meta=meta)
        version = "+".join(lib.label for lib in all_libs)
        return _State(compiled, tuple(entries), tuple(allow), tuple(all_libs), version)

    def load(self) -> None:
        """Read the libraries and build the automaton. Idempotent."""
        if self._state is not None:
            return
        with self._lock:
            if self._state is None:
                self._libs = self._read_libraries()
                self._state = self._build(self._libs)
                self._loaded = True

    def reload(self) -> None:
        """Re-read every library file from disk and rebuild (run-time edits are kept)."""
        with self._lock:
            libs = self._read_libraries()
            state = self._build(libs)
            self._libs = libs
            self._state = state
            self._loaded = True

    def _rebuild(self) -> None:
        with self._lock:
            if self._state is None:
                self._libs = self._read_libraries()
            self._state = self._build(self._libs)
            self._loaded = True

    # -- run-time edits (for the console) --------------------------------------------------------------

    def add_terms(self, terms: Iterable[TermSpec], *, source: str = "runtime") -> int:
        """Add terms or rules (``Entry`` objects or ``(term, risk, severity[, source])`` tuples) and rebuild
        the automaton; they take effect for every later ``detect()``. Returns how many were added.
        Invalid entries raise :class:`LexiconError` and add nothing."""
        new: list[Entry] = []
        for i, t in enumerate(terms, 1):
            if isinstance(t, Entry):
                if t.kind not in ("term", "rule", "allow"):
                    raise LexiconError(
                        f"cannot add a {t.kind!r} entry; use remove_terms()",
                        f"不能添加 {t.kind!r} 条目；请使用 remove_terms()",
                        path="<add_terms>",
                        line=i,
                    )
                new.append(t)
            else:
                if len(t) not in (3, 4):
                    raise LexiconError(
                        "each term is (term, risk, severity[, source])",
                        "每个词条应为 (词条, 风险代码, 严重程度[, 来源])",
                        path="<add_terms>",
                        line=i,
                    )
                src = t[3] if len(t) == 4 else source  # type: ignore[misc]
                new.append(parse_entry(t[0], t[1], t[2], src, path="<add_terms>", line=i))
        if new:
            self._added.extend(new)
            self._rebuild()
        return len(new)

    def add_allow(self, phrases: Iterable[str], *, source: str = "runtime") -> int:
        """Add allow-list phrases and rebuild. Returns how many were added."""
        new = [parse_entry(p, "allow", "", source, path="<add_allow>", line=i) for i, p in enumerate(phrases, 1)]
        if new:
            self._added.extend(new)
            self._rebuild()
        return len(new)

    def remove_terms(self, terms: Iterable[str], *, source: str = "runtime") -> int:
        """Remove terms (every risk) and allow phrases written exactly so, and rebuild."""
        new = [parse_entry(t, "remove", "", source, path="<remove_terms>", line=i) for i, t in enumerate(terms, 1)]
        if new:
            gone = {e.term for e in new}
            self._added = [e for e in self._added if e.term not in gone]
            self._added_removals.extend(new)
            self._rebuild()
        return len(new)

    # -- introspection ---------------------------------------------------------------------------------

    def _st(self) -> _State:
        if self._state is None:
            self.load()
        assert self._state is not None
        return self._state

    @property
    def version(self) -> str:
        """``name@version`` of every loaded library, joined with ``+`` (run-time edits add ``runtime@N``)."""
        return self._st().version

    @property
    def size(self) -> int:
        """Number of term and rule entries after merging (allow-list not counted)."""
        return len(self._st().entries)

    @property
    def allow_size(self) -> int:
        return len(self._st().allow)

    @property
    def libraries(self) -> tuple[Library, ...]:
        return self._st().libraries

    @property
    def entries(self) -> tuple[Entry, ...]:
        return self._st().entries

    def coverage(self) -> Coverage:
        """Entries per risk code against the floors in :mod:`hegui.core.taxonomy`."""
        return _coverage(self._st().entries)

    # -- detection -------------------------------------------------------------------------------------

    def detect(self, text: str, ctx: DetectContext | None = None) -> list[Finding]:
        st = self._state
        if st is None:
            self.load()
            st = self._state
            assert st is not None
        if not text:
            return []
        return st.compiled.scan(self._normalizer.normalize_utf8(text))

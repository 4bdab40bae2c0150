"""The console's custom similar-text library (issue 10): texts administrators add on top of the shipped library
and the entries of confirmed reports, kept in ``similar_entries`` (migration ``0009_moderation``) with soft
removal, so the history stays.

Kinds (as in the ``similar`` detector): ``black`` (block texts like it), ``suspect`` (send them to review),
``white`` (never flag texts like it). :class:`SimilarLibraryService` adds (refusing empty, over-long and duplicate
texts, unknown kinds, risk codes and severities, with bilingual reasons), removes (soft), lists, versions and gives
the history of the entries. After every change it calls each listener registered with
:meth:`SimilarLibraryService.add_listener` with the active entries; :class:`DetectorSync` is the listener that keeps
a live ``SimilarTextDetector`` in step (entry ids ``con-<id>``, so they never collide with the shipped library's
or the confirmed reports' ids). Every change is audited through ``on_event(kind, payload)``: ``similar.added`` and
``similar.removed`` with the entry id, kind, risk code, severity and actor, never the text.
"""

from __future__ import annotations

import builtins
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Protocol

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from hegui.core.errors import HeguiError
from hegui.core.taxonomy import canonical_code, is_risk_code
from hegui.detectors.normalize import Normalizer
from hegui.services import softlog
from hegui.services.base import ServiceBase
from hegui.services.errors import CodedError
from hegui.services.softlog import Change
from hegui.store import read_only
from hegui.store.similar_models import SimilarLibraryEntry

__all__ = [
    "DETECTOR_PREFIX",
    "KINDS",
    "MAX_NOTE_CHARS",
    "MAX_TEXT_CHARS",
    "SEVERITIES",
    "DetectorSync",
    "LibraryEntry",
    "LibraryEvent",
    "SimilarEntryError",
    "SimilarLibraryService",
]

MAX_TEXT_CHARS: Final = 2000
MAX_NOTE_CHARS: Final = 500
KINDS: Final = ("black", "suspect", "white")
SEVERITIES: Final = ("low", "medium", "high")
DETECTOR_PREFIX: Final = "con-"  # detector ids of console entries: con-<id>
SOURCE: Final = "console"

EventSink = Callable[[str, dict[str, Any]], None]
Listener = Callable[[list["LibraryEntry"]], None]

log = logging.getLogger(__name__)


class SimilarEntryError(CodedError):
    """An entry that cannot be added or removed; ``code`` names why, ``status`` is the HTTP status that fits."""


@dataclass(frozen=True, slots=True)
class LibraryEntry:
    """One console entry of the similar-text library."""

    id: str
    text: str
    kind: str  # black | suspect | white
    risk_code: str | None  # None only for white entries
    severity: str  # low | medium | high
    note: str | None
    added_by: str
    added_at: datetime
    removed_by: str | None
    removed_at: datetime | None

    @property
    def active(self) -> bool:
        return self.removed_at is None

    @property
    def detector_id(self) -> str:
        """The entry's id in the ``similar`` detector."""
        return DETECTOR_PREFIX + self.id

    def to_similar(self) -> dict[str, Any]:
        """Keyword arguments of ``SimilarTextDetector.add`` / an item of ``add_many``."""
        return {"id": self.detector_id, "text": self.text, "kind": self.kind, "risk": self.risk_code,
                "severity": self.severity, "source": SOURCE, "note": self.note or ""}


LibraryEvent = Change[LibraryEntry]  # one change, for the history (see :class:`hegui.services.softlog.Change`)


def _entry(r: SimilarLibraryEntry) -> LibraryEntry:
    return LibraryEntry(id=r.id, text=r.text, kind=r.kind, risk_code=r.risk_code, severity=r.severity, note=r.note,
                        added_by=r.added_by, added_at=r.added_at, removed_by=r.removed_by, removed_at=r.removed_at)


class SimilarLibraryService(ServiceBase):
    """Custom similar-text entries: add, remove (soft), list, history, with listeners that keep a detector in
    step."""

    def __init__(self, engine: Engine, *, on_event: EventSink | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self._engine = engine
        self._read = read_only(engine)
        self._on_event = on_event
        self._clock = clock or (lambda: datetime.now(UTC))
        self._listeners: builtins.list[Listener] = []
        self._normalizer = Normalizer()
        self._lock = threading.Lock()

    def add_listener(self, callback: Listener) -> None:
        """Register a callback given the active entries after every change (the gateway registers a
        :class:`DetectorSync` on its ``similar`` detector)."""
        self._listeners.append(callback)

    def remove_listener(self, callback: Listener) -> None:
        """Unregister ``callback`` (nothing when it is not registered)."""
        if callback in self._listeners:
            self._listeners.remove(callback)

    def _notify(self) -> None:
        if not self._listeners:
            return
        active = self.list()
        for callback in builtins.list(self._listeners):
            callback(active)

    # -- reads -----------------------------------------------------------------------------------------

    def list(self) -> builtins.list[LibraryEntry]:
        """The active entries, oldest first."""
        q = (select(SimilarLibraryEntry).where(SimilarLibraryEntry.removed_at.is_(None))
             .order_by(SimilarLibraryEntry.added_at, SimilarLibraryEntry.id))
        with Session(self._read) as s:
            return [_entry(r) for r in s.scalars(q)]

    def get(self, entry_id: str) -> LibraryEntry | None:
        """The entry ``entry_id`` (active or removed), or None."""
        if len(entry_id) > 32:
            return None
        with Session(self._read) as s:
            row = s.get(SimilarLibraryEntry, entry_id)
            return _entry(row) if row is not None else None

    def version(self) -> int:
        """A number that grows with every change (additions plus removals ever made)."""
        return softlog.version(self._read, SimilarLibraryEntry)

    def history(self, limit: int = 50, offset: int = 0) -> builtins.list[LibraryEvent]:
        """Every addition and removal, newest first (``limit`` of them from ``offset``), each with the version
        the library had right after it."""
        return softlog.history(self._read, SimilarLibraryEntry, _entry, limit, offset)

    # -- changes ---------------------------------------------------------------------------------------

    def _check(self, text: str, kind: str, risk_code: str | None, severity: str,
               note: str | None) -> tuple[str, str | None, str, str | None, str]:
        text = text.strip()
        if not text:
            raise SimilarEntryError("empty_text", "the text is empty", "文本为空")
        if len(text) > MAX_TEXT_CHARS:
            raise SimilarEntryError("text_too_long", f"the text is longer than {MAX_TEXT_CHARS} characters",
                                    f"文本超过 {MAX_TEXT_CHARS} 个字符")
        if any(ord(c) < 32 and c not in "\n\r\t" for c in text):
            raise SimilarEntryError("bad_text", "the text contains control characters", "文本含有控制字符")
        if kind not in KINDS:
            raise SimilarEntryError("bad_kind", f"the kind must be black, suspect or white, not {kind[:20]!r}",
                                    f"类型必须为 black、suspect 或 white，而不是 {kind[:20]!r}")
        note = (note or "").strip() or None
        if note is not None and len(note) > MAX_NOTE_CHARS:
            raise SimilarEntryError("note_too_long", f"the note is longer than {MAX_NOTE_CHARS} characters",
                                    f"备注超过 {MAX_NOTE_CHARS} 个字符")
        code: str | None
        if kind == "white":  # white entries never produce findings: no risk code, severity unused
            code, sev = None, "low"
        else:
            risk = (risk_code or "").strip()
            if not risk:
                raise SimilarEntryError("risk_required", f"a {kind} entry needs a risk code (A1.1 … A5.2 or X.*)",
                                        f"{kind} 条目需要风险代码（A1.1 … A5.2 或 X.*）")
            if not is_risk_code(risk):
                raise SimilarEntryError("bad_risk_code", f"unknown risk code {risk[:32]!r}",
                                        f"未知的风险代码 {risk[:32]!r}")
            code = canonical_code(risk)
            if severity not in SEVERITIES:
                raise SimilarEntryError("bad_severity", "severity must be low, medium or high",
                                        "严重程度必须为 low、medium 或 high")
            sev = severity
        normalised = self._normalizer.normalize(text).text
        if not normalised:
            raise SimilarEntryError("empty_text", "the text is empty after normalisation (only punctuation, "
                                    "spaces or symbols)", "文本规范化后为空（只有标点、空白或符号）")
        return text, code, sev, note, normalised

    def add(self, text: str, *, kind: str, risk_code: str | None, severity: str, actor: str,
            note: str | None = None) -> LibraryEntry:
        """Add an entry. Raises :class:`SimilarEntryError` (400; 409 for a text already in the console library)."""
        text, code, sev, note, normalised = self._check(text, kind, risk_code, severity, note)
        with self._lock:
            with Session(self._engine) as s, s.begin():
                for other in s.scalars(select(SimilarLibraryEntry.text)
                                       .where(SimilarLibraryEntry.removed_at.is_(None))):
                    if self._normalizer.normalize(other).text == normalised:
                        raise SimilarEntryError("duplicate_text", "this text is already in the console library",
                                                "该文本已在控制台相似文本库中", status=409)
                row = SimilarLibraryEntry(id=uuid.uuid4().hex, text=text, kind=kind, risk_code=code, severity=sev,
                                          note=note, added_by=actor, added_at=self._now())
                s.add(row)
                s.flush()
                out = _entry(row)
            self._emit("similar.added", {"entry_id": out.id, "kind": kind, "risk_code": code, "severity": sev,
                                         "actor": actor})
            self._notify()
        return out

    def remove(self, entry_id: str, *, actor: str) -> LibraryEntry:
        """Remove an active entry (soft). Raises :class:`SimilarEntryError` (404) for an unknown or removed id."""
        with self._lock:
            with Session(self._engine) as s, s.begin():
                row = s.get(SimilarLibraryEntry, entry_id) if len(entry_id) <= 32 else None
                if row is None or row.removed_at is not None:
                    raise SimilarEntryError("entry_not_found", f"no active entry {entry_id[:40]!r}",
                                            f"没有有效条目 {entry_id[:40]!r}", status=404)
                row.removed_at = self._now()
                row.removed_by = actor
                s.flush()
                out = _entry(row)
            self._emit("similar.removed", {"entry_id": out.id, "kind": out.kind, "risk_code": out.risk_code,
                                           "severity": out.severity, "actor": actor})
            self._notify()
        return out


class _Library(Protocol):
    """What :class:`DetectorSync` needs of a similar-text detector (``SimilarTextDetector`` fits)."""

    def add_many(self, items: Iterable[Mapping[str, Any]]) -> builtins.list[str]: ...
    def remove(self, entry_id: str) -> bool: ...
    def entries(self, kind: str | None = None) -> Iterable[Any]: ...


class DetectorSync:
    """A listener that makes a live similar-text detector hold exactly the active console entries: it removes
    the ``con-`` entries no longer active and adds the new ones (one index update), leaving every other entry
    (shipped library, confirmed reports) alone. Call it once with :meth:`SimilarLibraryService.list` at
    start-up, then register it with :meth:`SimilarLibraryService.add_listener`."""

    def __init__(self, detector: _Library) -> None:
        self.detector = detector
        self._lock = threading.Lock()

    def __call__(self, entries: builtins.list[LibraryEntry]) -> None:
        with self._lock:
            want = {e.detector_id: e for e in entries}
            have = {e.id for e in self.detector.entries() if str(e.id).startswith(DETECTOR_PREFIX)}
            for stale in have - set(want):
                self.detector.remove(stale)
            new = [want[i].to_similar() for i in want if i not in have]
            if not new:
                return
            try:
                self.detector.add_many(new)
            except HeguiError:  # one bad entry must not keep the others out: add them one by one
                for item in new:
                    try:
                        self.detector.add_many([item])
                    except HeguiError as exc:
                        log.warning("similar-text entry %s not loaded: %s", item["id"], exc.en)

"""The console's custom word library (issue 10): terms and allow-list phrases administrators add on top of the
shipped library, kept in ``lexicon_entries`` (migration ``0008_lexicon``).

:class:`LexiconService` adds (refusing empty, over-long and duplicate terms and unknown risk codes), removes (soft:
``removed_at``), lists and versions the entries. After every change it calls the listener registered with
:meth:`LexiconService.set_listener` with the active entries (the gateway registers its
``CustomTermsDetector.replace``), and ``on_event(kind, payload)`` (kinds ``lexicon.*``: ids, codes and actors,
never the term itself).
"""

from __future__ import annotations

import builtins
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from hegui.core.taxonomy import canonical_code, is_risk_code
from hegui.detectors.normalize import Normalizer
from hegui.services import softlog
from hegui.services.base import ServiceBase
from hegui.services.errors import CodedError
from hegui.services.softlog import Change
from hegui.store import read_only
from hegui.store.lexicon_models import LexiconEntry

__all__ = ["MAX_TERM_CHARS", "SEVERITIES", "CustomEntry", "LexiconEntryError", "LexiconEvent", "LexiconService"]

MAX_TERM_CHARS: Final = 100
MAX_NOTE_CHARS: Final = 500
SEVERITIES: Final = ("low", "medium", "high")
ALLOW_CODE: Final = "allow"
_FORBIDDEN = ("&", "~", "\t", "\n", "\r", "#")

EventSink = Callable[[str, dict[str, Any]], None]
Listener = Callable[[list["CustomEntry"]], None]


class LexiconEntryError(CodedError):
    """An entry that cannot be added or removed; ``code`` names why, ``status`` is the HTTP status that fits."""


@dataclass(frozen=True, slots=True)
class CustomEntry:
    id: str
    term: str
    risk_code: str  # "allow" for an allow-list phrase
    severity: str
    allow: bool
    note: str | None
    added_by: str
    added_at: datetime
    removed_by: str | None
    removed_at: datetime | None

    @property
    def risk(self) -> str:
        return self.risk_code

    @property
    def active(self) -> bool:
        return self.removed_at is None


LexiconEvent = Change[CustomEntry]  # one change, for the history (see :class:`hegui.services.softlog.Change`)


def _entry(r: LexiconEntry) -> CustomEntry:
    return CustomEntry(id=r.id, term=r.term, risk_code=r.risk_code, severity=r.severity, allow=r.allow, note=r.note,
                       added_by=r.added_by, added_at=r.added_at, removed_by=r.removed_by, removed_at=r.removed_at)


class LexiconService(ServiceBase):
    """Custom word-library entries, with a listener that keeps a live detector in step."""

    def __init__(self, engine: Engine, *, on_event: EventSink | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self._engine = engine
        self._read = read_only(engine)
        self._on_event = on_event
        self._clock = clock or (lambda: datetime.now(UTC))
        self._listener: Listener | None = None
        self._normalizer = Normalizer()
        self._lock = threading.Lock()

    def set_listener(self, callback: Listener | None) -> None:
        """Register the callback given the active entries after every change (``None`` unregisters)."""
        self._listener = callback

    def _notify(self) -> None:
        if self._listener is not None:
            self._listener(self.list())

    # -- reads -----------------------------------------------------------------------------------------

    def list(self, *, history: bool = False) -> builtins.list[CustomEntry]:
        """The active entries, oldest first (``history=True``: every entry, removed ones included)."""
        q = select(LexiconEntry).order_by(LexiconEntry.added_at, LexiconEntry.id)
        if not history:
            q = q.where(LexiconEntry.removed_at.is_(None))
        with Session(self._read) as s:
            return [_entry(r) for r in s.scalars(q)]

    def version(self) -> int:
        """A number that grows with every change (additions plus removals ever made)."""
        return softlog.version(self._read, LexiconEntry)

    def history(self, limit: int = 50, offset: int = 0) -> builtins.list[LexiconEvent]:
        """Every addition and removal, newest first (``limit`` of them from ``offset``), each with the version
        the library had right after it (the newest change has :meth:`version`)."""
        return softlog.history(self._read, LexiconEntry, _entry, limit, offset)

    # -- changes ---------------------------------------------------------------------------------------

    def add(self, term: str, *, risk_code: str, severity: str, actor: str, allow: bool = False,
            note: str | None = None) -> CustomEntry:
        """Add a term (or, ``allow=True``, an allow-list phrase). Raises :class:`LexiconEntryError`."""
        term = term.strip()
        if not term:
            raise LexiconEntryError("empty_term", "the term is empty", "词条为空")
        if len(term) > MAX_TERM_CHARS:
            raise LexiconEntryError("term_too_long", f"the term is longer than {MAX_TERM_CHARS} characters",
                                    f"词条超过 {MAX_TERM_CHARS} 个字符")
        if any(c in term for c in _FORBIDDEN):
            raise LexiconEntryError("bad_term", "the term may not contain & ~ # or control characters",
                                    "词条不能包含 & ~ # 或控制字符")
        note = (note or "").strip() or None
        if note is not None and len(note) > MAX_NOTE_CHARS:
            raise LexiconEntryError("note_too_long", f"the note is longer than {MAX_NOTE_CHARS} characters",
                                    f"备注超过 {MAX_NOTE_CHARS} 个字符")
        if allow:
            code, sev = ALLOW_CODE, "low"
        else:
            if not is_risk_code(risk_code):
                raise LexiconEntryError("bad_risk_code", f"unknown risk code {risk_code!r}",
                                        f"未知的风险代码 {risk_code!r}")
            code = canonical_code(risk_code)
            if severity not in SEVERITIES:
                raise LexiconEntryError("bad_severity", "severity must be low, medium or high",
                                        "严重程度必须为 low、medium 或 high")
            sev = severity
        norm = self._normalizer.normalize_term(term)
        if not norm:
            raise LexiconEntryError("empty_term", "the term is empty after normalisation", "词条规范化后为空")
        with self._lock:
            with Session(self._engine) as s, s.begin():
                dup = s.scalar(select(LexiconEntry.id).where(LexiconEntry.normalised == norm,
                                                             LexiconEntry.removed_at.is_(None)))
                if dup is not None:
                    raise LexiconEntryError("duplicate_term", "this term is already in the custom library",
                                            "该词条已在自定义词库中", status=409)
                row = LexiconEntry(id=uuid.uuid4().hex, term=term, normalised=norm, risk_code=code, severity=sev,
                                   allow=allow, note=note, added_by=actor, added_at=self._now())
                s.add(row)
                s.flush()
                out = _entry(row)
            self._emit("lexicon.added", {"entry_id": out.id, "risk_code": code, "severity": sev, "allow": allow,
                                         "actor": actor})
            self._notify()
        return out

    def remove(self, entry_id: str, *, actor: str) -> CustomEntry:
        """Remove an active entry (soft). Raises :class:`LexiconEntryError` (404) for an unknown or removed id."""
        with self._lock:
            with Session(self._engine) as s, s.begin():
                row = s.get(LexiconEntry, entry_id)
                if row is None or row.removed_at is not None:
                    raise LexiconEntryError("entry_not_found", f"no active entry {entry_id!r}",
                                            f"没有有效条目 {entry_id!r}", status=404)
                row.removed_at = self._now()
                row.removed_by = actor
                s.flush()
                out = _entry(row)
            self._emit("lexicon.removed", {"entry_id": out.id, "risk_code": out.risk_code, "actor": actor})
            self._notify()
        return out

"""A small run-time overlay of custom terms (the console's word-library page, issue 10).

:class:`CustomTermsDetector` holds ``(term, risk code, severity, allow)`` entries edited at run time and matches them
on text normalised exactly as the lexicon detector normalises it (same :class:`~hegui.detectors.normalize.Normalizer`,
same compiled automaton), so its findings look like lexicon findings (``kind="term"``) under the detector name
``custom_terms``. Allow-list entries suppress the custom terms they overlap. :meth:`replace` rebuilds the automaton
and swaps it in as one object, so concurrent ``detect()`` calls see the old set or the new one, never a mix.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hegui.core.types import Finding
from hegui.detectors.base import DetectContext, Detector, register
from hegui.detectors.lexicon.format import Entry, parse_entry
from hegui.detectors.lexicon.matcher import CompiledLexicon
from hegui.detectors.normalize import Normalizer

__all__ = ["CustomTerm", "CustomTermsDetector"]

SOURCE = "console"


@dataclass(frozen=True, slots=True)
class CustomTerm:
    """One custom entry: a term with its risk code and severity, or (``allow=True``) an allow-list phrase."""

    term: str
    risk: str = ""
    severity: str = ""
    allow: bool = False


@dataclass(frozen=True, slots=True)
class _State:
    compiled: CompiledLexicon | None  # None: nothing to match
    size: int


def _meta(_: Entry) -> Mapping[str, Any]:
    return {"source": SOURCE}


@register
class CustomTermsDetector(Detector):
    """Custom terms edited in the console, matched like the lexicon on normalised text."""

    name = "custom_terms"

    def __init__(self, entries: Iterable[CustomTerm] = (), **params: Any) -> None:
        super().__init__(**params)
        self._normalizer = Normalizer()
        self._lock = threading.Lock()
        self._state = _State(None, 0)
        initial = list(entries)
        if initial:
            self.replace(initial)

    def load(self) -> None:
        self._normalizer.load()
        self._loaded = True

    @property
    def size(self) -> int:
        """How many entries (terms and allow phrases) are active."""
        return self._state.size

    def replace(self, entries: Iterable[CustomTerm | Any]) -> None:
        """Swap in a new set of entries (objects with ``term``, ``risk``/``risk_code``, ``severity`` and ``allow``).
        Invalid entries raise :class:`~hegui.core.errors.LexiconError` and leave the current set in place."""
        terms: list[Entry] = []
        allow: list[Entry] = []
        items = list(entries)
        for i, e in enumerate(items, 1):
            risk = str(getattr(e, "risk", None) or getattr(e, "risk_code", ""))
            if e.allow:
                allow.append(parse_entry(e.term, "allow", "", SOURCE, path="<custom_terms>", line=i))
            else:
                terms.append(parse_entry(e.term, risk, e.severity, SOURCE, path="<custom_terms>", line=i))
        if not terms:
            state = _State(None, len(items))
        else:
            self._normalizer.load()
            state = _State(CompiledLexicon(terms, allow, self._normalizer.normalize_term, entry_meta=_meta), len(items))
        with self._lock:
            self._state = state

    def detect(self, text: str, ctx: DetectContext | None = None) -> list[Finding]:
        compiled = self._state.compiled
        if compiled is None or not text:
            return []
        found = compiled.scan(self._normalizer.normalize_utf8(text))
        return [dataclasses.replace(f, detector=self.name) for f in found]

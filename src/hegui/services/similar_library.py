"""The console's custom similar-text library (issue 10): entries administrators add (black, suspect, white) on top
of the shipped library and the confirmed reports, kept in ``similar_entries`` with soft removal. To be built."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from hegui.store import read_only

__all__ = ["SimilarLibraryService"]

EventSink = Callable[[str, dict[str, Any]], None]


class SimilarLibraryService:
    """Custom similar-text entries: add, remove (soft), list, history."""

    def __init__(self, engine: Engine, *, on_event: EventSink | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self._engine = engine
        self._read = read_only(engine)
        self._on_event = on_event
        self._clock = clock or (lambda: datetime.now(UTC))

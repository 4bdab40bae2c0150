"""The moderation log and review queue of the console (issue 10): an index of the audit chain's exchange events
(``moderation_entries``, built incrementally), filters, each decision's evidence, and the review state of exchanges
whose decision was ``review``. To be built."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from hegui.store import read_only

__all__ = ["ModerationLogService"]

EventSink = Callable[[str, dict[str, Any]], None]


class ModerationLogService:
    """Reads the audit chain's exchange events into ``moderation_entries`` and serves the console's log and
    review queue."""

    def __init__(self, engine: Engine, *, on_event: EventSink | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self._engine = engine
        self._read = read_only(engine)
        self._on_event = on_event
        self._clock = clock or (lambda: datetime.now(UTC))

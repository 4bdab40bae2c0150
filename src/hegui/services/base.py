"""What the store-backed services share: a clock that must give timezone-aware times, and the audit-event sink."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

__all__ = ["EventSink", "ServiceBase"]

EventSink = Callable[[str, dict[str, Any]], None]


class ServiceBase:
    """Mixin: subclasses set ``self._clock`` (returns aware datetimes) and ``self._on_event`` (or None)."""

    _clock: Callable[[], datetime]
    _on_event: EventSink | None

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the clock must return timezone-aware datetimes")
        return now

    def _emit(self, kind: str, payload: dict[str, Any]) -> None:
        """Hand an audit event to the sink (ids, codes and actors only: never user text)."""
        if self._on_event is not None:
            self._on_event(kind, payload)

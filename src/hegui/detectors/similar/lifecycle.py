"""The load / reload life cycle shared by the file-backed libraries (similar texts, protected works).

A subclass keeps its whole index in one immutable ``_state`` object, swapped in under ``_lock``; readers take
``_st()`` without a lock and never see half an update.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Sequence
from typing import Generic, TypeVar

S = TypeVar("S")
Item = TypeVar("Item")


class FileBacked(abc.ABC, Generic[S, Item]):
    _state: S | None
    _lock: threading.RLock

    @abc.abstractmethod
    def _read_files(self) -> list[Item]:
        """Every entry of the configured library files, with where it came from."""

    @abc.abstractmethod
    def _build_from(self, items: Sequence[Item]) -> None:
        """Build a new state from ``items`` and publish it (called with ``_lock`` held)."""

    def load(self) -> None:
        """Read the library files and build the index. Idempotent."""
        if self._state is not None:
            return
        with self._lock:
            if self._state is None:
                self._build_from(self._read_files())

    def reload(self) -> None:
        """Re-read the library files and rebuild; run-time edits not saved to one of them are dropped."""
        with self._lock:
            self._build_from(self._read_files())

    def _st(self) -> S:
        st = self._state
        if st is None:
            self.load()
            st = self._state
            assert st is not None
        return st

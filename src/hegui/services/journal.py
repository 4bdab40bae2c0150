"""A local write-ahead journal for exchange records.

The gateway answers once a record is in the journal (one ``write`` of a JSON line to a file only this process
holds, under an exclusive ``flock``); a background thread then moves records into the database in group commits.
The journal gives the same guarantee as a SQLite commit in WAL mode with ``synchronous=NORMAL`` (what hegui uses):
it survives the process being killed, not the machine losing power. A journal whose owner died (its lock is free)
is replayed when the store is next opened: records already in the database (same request id) are skipped, so a
replay neither loses nor duplicates.

One line per record, UTF-8 JSON, no raw newlines (``json.dumps`` escapes them). A line torn by a crash in the
middle of a write cannot parse and is reported, never guessed at.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["JOURNAL_GLOB", "JournalEntry", "RecordJournal", "TornLine", "decode_line", "encode_line", "orphan_journals"]

JOURNAL_GLOB = "records-*.journal"


def _ts(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def encode_line(content: dict[str, Any] | None, request_id: str, kind: str, ts: datetime,
                body: dict[str, Any]) -> bytes:
    """One journal line: the content-log row (datetimes as ISO 8601) and the audit event."""
    c = None
    if content is not None:
        c = dict(content)
        c["ts"] = _ts(c.get("ts"))
        c["retention_until"] = _ts(c.get("retention_until"))
    doc = {"c": c, "e": {"request_id": request_id, "kind": kind, "ts": ts.isoformat(), "body": body}}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


@dataclass(frozen=True)
class JournalEntry:
    content: dict[str, Any] | None
    request_id: str
    kind: str
    ts: datetime
    body: dict[str, Any]


class TornLine(ValueError):
    """A journal line that does not parse (a write cut short by a crash, or a damaged file)."""


def decode_line(line: bytes) -> JournalEntry:
    try:
        doc = json.loads(line)
        e = doc["e"]
        c = doc["c"]
        if c is not None:
            c = dict(c)
            c["ts"] = datetime.fromisoformat(c["ts"])
            c["retention_until"] = datetime.fromisoformat(c["retention_until"])
        return JournalEntry(c, str(e["request_id"]), str(e["kind"]), datetime.fromisoformat(e["ts"]), dict(e["body"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise TornLine(f"{type(exc).__name__}: {exc}") from None


class RecordJournal:
    """This process's journal file. :meth:`append` is thread-safe; offsets are logical (they keep counting
    across truncations), so a committed offset can be compared with :attr:`end` at any time."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"records-{os.getpid()}-{uuid.uuid4().hex[:12]}.journal"
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise
        self._fd = fd
        self._lock = threading.Lock()
        self._end = 0  # logical offset after the last append
        self._base = 0  # logical offset of the file's first byte

    @property
    def end(self) -> int:
        return self._end

    def append(self, data: bytes) -> int:
        """Write ``data`` (whole lines); return the logical offset after it. Raises OSError (disk full...)."""
        with self._lock:
            if self._fd < 0:
                raise OSError("the record journal is closed")
            view = memoryview(data)
            while view:
                n = os.write(self._fd, view)
                view = view[n:]
            self._end += len(data)
            return self._end

    def truncate_if_caught_up(self, committed: int, min_bytes: int = 0) -> bool:
        """Empty the file when everything in it is committed (and it holds at least ``min_bytes``)."""
        with self._lock:
            if self._fd < 0 or committed != self._end or self._end - self._base < max(min_bytes, 1):
                return False
            os.ftruncate(self._fd, 0)
            self._base = self._end
            return True

    def close(self, *, remove: bool) -> None:
        """Close; delete the file when ``remove`` (everything committed), else leave it for the next start."""
        with self._lock:
            if self._fd < 0:
                return
            os.close(self._fd)
            self._fd = -1
            if remove:
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()


@contextlib.contextmanager
def _claimed(path: Path) -> Iterator[int | None]:
    """The journal at ``path`` locked for replay, or None when its owner is alive (or another process claimed
    it first)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        yield None
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield None
            return
        yield fd
    finally:
        os.close(fd)


def orphan_journals(directory: Path) -> Iterator[tuple[Path, list[bytes], int]]:
    """Journals in ``directory`` whose owner is gone, claimed (locked) while the caller replays them: the path,
    its complete lines, and the length of an unterminated tail (a write cut short: its answer was never sent).
    The caller deletes the file when done, while it is still claimed."""
    if not directory.is_dir():
        return
    for path in sorted(directory.glob(JOURNAL_GLOB)):
        with _claimed(path) as fd:
            if fd is None:
                continue
            with open(fd, "rb", closefd=False) as f:
                data = f.read()
            cut = data.rfind(b"\n") + 1
            lines = [ln for ln in data[:cut].split(b"\n") if ln.strip()]
            yield path, lines, len(data) - cut

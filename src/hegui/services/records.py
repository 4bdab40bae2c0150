"""Exchange records: the content log (PII-redacted texts, pseudonymised end user) and the audit event of each
request, written in one transaction. Nothing is dropped silently: a record that cannot be written raises."""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import hmac
import json
import logging
import math
import queue
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, Table, delete, insert, select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from hegui.core.types import Finding
from hegui.detectors.base import DetectContext
from hegui.detectors.pii import PIIDetector, redact
from hegui.services.audit import CONTENT_HMAC_PREFIX, NewEvent, SigningKey, append_events
from hegui.services.errors import SigningKeyError, StoreError
from hegui.services.journal import JournalEntry, RecordJournal, TornLine, decode_line, encode_line, orphan_journals
from hegui.services.types import ExchangeRecord
from hegui.store import AuditEvent, ContentLog, read_only

__all__ = ["EVENT_KIND", "RecordService", "RecoveryReport", "pseudonymise"]

EVENT_KIND = "exchange"
MAX_BATCH = 256
REJECTED_FILE = "rejected-records.jsonl"
TRUNCATE_BYTES = 1 << 20  # empty the journal when it is caught up and at least this big
log = logging.getLogger(__name__)
_MAX_ERROR = 500


def pseudonymise(secret_key: bytes, value: str) -> str:
    """HMAC-SHA256(secret_key, value), hex: the only form in which an end-user id is stored."""
    return hmac.new(secret_key, value.encode("utf-8"), hashlib.sha256).hexdigest()


class _Redactor:
    """Masks PII in stored texts (``138****5678``), the way :class:`hegui.Moderator` does."""

    def __init__(self) -> None:
        self._detector = PIIDetector()
        self._lock = threading.Lock()
        self._loaded = False

    def __call__(self, text: str | None) -> str | None:
        if text is None or text == "":
            return text
        if not self._loaded:
            with self._lock:
                if not self._loaded:
                    self._detector.load()
                    self._loaded = True
        findings: list[Finding] = self._detector.detect(text, DetectContext())
        return redact(text, findings, "mask") if findings else text


@dataclass(frozen=True, slots=True)
class _Prepared:
    content: dict[str, Any] | None  # a content_log row (column values), None when the content log is off
    event: NewEvent


# queued for the writer: the record (prepared already when journaled), the future of a caller waiting for the
# commit (None when journaled), the journal offset after it (None when not journaled)
_Queued = tuple["ExchangeRecord | _Prepared", "concurrent.futures.Future[None] | None", "int | None"]


@dataclass
class RecoveryReport:
    """What replaying orphaned journals did (see :meth:`RecordService.recover`)."""

    journals: int = 0
    replayed: int = 0
    skipped: int = 0  # already in the database (the owner died after committing, before truncating)
    torn: int = 0  # damaged or unfinished lines
    rejected: int = 0


_CONTENT = cast(Table, ContentLog.__table__)
_INSERT_CONTENT = insert(_CONTENT)


def _latency(values: Any) -> dict[str, float]:
    out: dict[str, float] = {}
    for k, v in dict(values).items():
        f = float(v)
        if math.isfinite(f):
            out[str(k)] = round(f, 3)
    return out


def _wrap(exc: BaseException) -> StoreError:
    if isinstance(exc, StoreError):
        return exc
    return StoreError(
        f"the exchange record was not stored: {type(exc).__name__}: {exc}",
        f"请求记录未能保存：{type(exc).__name__}：{exc}",
    )


class RecordService:
    """Writes exchange records (content log + audit event), purges expired content, reads records back."""

    def __init__(
        self, engine: Engine, signer: SigningKey, secret_key: bytes, *, retention_days: int, checkpoint_every: int,
        content_log: bool, journal_dir: Path | None = None, max_lag_s: float = 10.0, max_backlog: int = 50_000,
        close_grace_s: float = 5.0, commit_delay_s: float = 0.002,
    ) -> None:
        self._engine = engine
        self._signer = signer
        self._secret = secret_key
        self.retention_days = retention_days
        self.checkpoint_every = checkpoint_every
        self.content_log = content_log
        self._redact = _Redactor()
        self._retention = timedelta(days=retention_days)
        # keyed HMAC states, copied per use (same digests as pseudonymise() and content_hmac())
        self._pseudonym = hmac.new(secret_key, b"", hashlib.sha256)
        self._content_key = hmac.new(secret_key, CONTENT_HMAC_PREFIX, hashlib.sha256)
        self._queue: queue.SimpleQueue[_Queued | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._state = threading.Lock()
        self._closed = False
        self.max_lag_s = max_lag_s
        self.max_backlog = max_backlog
        self.close_grace_s = close_grace_s
        self.commit_delay_s = commit_delay_s
        self.rejected = 0  # journaled records the database refused for good (see rejected-records.jsonl)
        self._progress = threading.Condition()
        self._committed_end = 0
        self._failing_since: float | None = None
        self._last_error = ""
        self._closing = threading.Event()
        self.recovered = RecoveryReport()
        self._journal: RecordJournal | None = None
        if journal_dir is not None:
            self.recovered = self.recover(journal_dir)
            self._journal = RecordJournal(journal_dir)

    @property
    def durability(self) -> str:
        """"journal" (answers wait for the local journal) or "commit" (they wait for the database commit)."""
        return "journal" if self._journal is not None else "commit"

    # writing ------------------------------------------------------------------------------------------------
    def _prepare(self, rec: ExchangeRecord) -> _Prepared:
        ts = rec.ts.astimezone(UTC)
        end_user = None
        if rec.end_user is not None:
            h = self._pseudonym.copy()
            h.update(rec.end_user.encode("utf-8"))
            end_user = h.hexdigest()
        content: dict[str, Any] | None = None
        input_hmac = output_hmac = None
        if self.content_log:
            input_text, output_text = self._redact(rec.input_text), self._redact(rec.output_text)
            content = {
                "request_id": rec.request_id, "ts": ts, "account_id": rec.account_id, "key_id": rec.key_id,
                "end_user_hash": end_user, "endpoint": rec.endpoint, "model": rec.model, "outcome": rec.outcome,
                "input_text": input_text, "output_text": output_text,
                "retention_until": ts + self._retention,
            }
            input_hmac, output_hmac = self._content_hmac(input_text), self._content_hmac(output_text)
        body: dict[str, Any] = {
            "v": 1,
            "endpoint": rec.endpoint,
            "outcome": rec.outcome,
            "http_status": int(rec.http_status),
            "account_id": rec.account_id,
            "key_id": rec.key_id,
            "end_user_hash": end_user,
            **({"user_id": rec.user_id} if rec.user_id is not None else {}),
            "model": rec.model,
            "upstream": rec.upstream,
            "error": rec.error[:_MAX_ERROR] if rec.error is not None else None,
            "stages": [st.to_dict() for st in rec.stages],
            "latency_ms": _latency(rec.latency_ms),
            "content": {"stored": content is not None, "input_hmac": input_hmac, "output_hmac": output_hmac},
        }
        return _Prepared(content, NewEvent(request_id=rec.request_id, kind=EVENT_KIND, ts=ts, body=body))

    def _content_hmac(self, text: str | None) -> str | None:
        """:func:`hegui.services.audit.content_hmac`, from a precomputed keyed state."""
        if text is None:
            return None
        h = self._content_key.copy()
        h.update(text.encode("utf-8"))
        return h.hexdigest()

    def _commit(self, items: list[_Prepared]) -> None:
        """Write ``items`` in one transaction: the content rows (one multi-row insert), the audit events, one
        head update and signature (and a checkpoint when due). Both :meth:`record` and the writer thread's
        group commit come here."""
        contents = [p.content for p in items if p.content is not None]
        with self._engine.begin() as conn:
            if contents:
                conn.execute(_INSERT_CONTENT, contents)
            append_events(conn, [p.event for p in items], self._signer, checkpoint_every=self.checkpoint_every)

    def record(self, rec: ExchangeRecord) -> None:
        """Store one record now (content row, if enabled, and audit event in one transaction). Raises
        :class:`StoreError` when it could not be stored."""
        try:
            self._commit([self._prepare(rec)])
        except SigningKeyError:
            raise
        except Exception as exc:
            raise _wrap(exc) from exc

    async def arecord(self, rec: ExchangeRecord) -> None:
        """:meth:`record` for the event loop. One background thread commits whatever is queued in one
        transaction (group commit); the record is written even if the awaiting task is cancelled.

        With a journal (``durability="journal"``, the default of :meth:`Services.open`) this returns once the
        record is in the journal file (microseconds); otherwise after the database commit. Raises
        :class:`StoreError` when the record cannot be made durable: the journal cannot be written, or the
        database has refused records for longer than ``max_lag_s`` (or ``max_backlog`` records wait), so that a
        dead store stops the service instead of piling up answers nobody can audit."""
        journal = self._journal
        if journal is None:
            fut: concurrent.futures.Future[None] = concurrent.futures.Future()
            self._enqueue(rec, fut, None)
            await asyncio.shield(asyncio.wrap_future(fut))
            return
        self._check_health()
        try:
            prepared = self._prepare(rec)
            line = encode_line(prepared.content, prepared.event.request_id, prepared.event.kind, prepared.event.ts,
                               prepared.event.body)
        except Exception as exc:
            raise _wrap(exc) from exc
        with self._state:
            if self._closed:
                raise StoreError("the record service is closed", "记录服务已关闭")
            try:
                end = journal.append(line)
            except OSError as exc:
                raise StoreError(
                    f"the exchange record could not be written to the journal {journal.path}: {exc}",
                    f"请求记录无法写入日志文件 {journal.path}：{exc}",
                ) from exc
            self._ensure_writer()
            self._queue.put((prepared, None, end))

    def _enqueue(self, rec: ExchangeRecord, fut: concurrent.futures.Future[None], end: int | None) -> None:
        with self._state:
            if self._closed:
                raise StoreError("the record service is closed", "记录服务已关闭")
            self._ensure_writer()
            self._queue.put((rec, fut, end))

    def _ensure_writer(self) -> None:
        if self._writer is None or not self._writer.is_alive():
            self._writer = threading.Thread(target=self._write_loop, name="hegui-record-writer", daemon=True)
            self._writer.start()

    def _check_health(self) -> None:
        since = self._failing_since
        if since is not None and time.monotonic() - since > self.max_lag_s:
            raise StoreError(
                f"the database has not accepted exchange records for {time.monotonic() - since:.0f} s "
                f"({self._last_error}); answers are withheld until it recovers",
                f"数据库已有 {time.monotonic() - since:.0f} 秒未能写入请求记录（{self._last_error}）；在恢复之前暂停回答",
            )
        if self._queue.qsize() > self.max_backlog:
            raise StoreError(
                f"more than {self.max_backlog} exchange records wait to be written; the database is too slow",
                f"超过 {self.max_backlog} 条请求记录等待写入；数据库过慢",
            )

    def _write_loop(self) -> None:
        stop = False
        while not stop:
            item = self._queue.get()
            if item is None:
                break
            if item[2] is not None and self.commit_delay_s > 0:
                # journaled: nobody waits for this commit, so let the answer go out (and more records gather)
                # before the writer competes with the event loop for the CPU and the GIL
                time.sleep(self.commit_delay_s)
            batch = [item]
            while len(batch) < MAX_BATCH:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            if not self._write_batch(batch):
                return  # closing while the database is down: the journal keeps the rest for the next start

    def _write_batch(self, batch: list[_Queued]) -> bool:
        """Commit ``batch``; False when the service is closing and the database still refuses journaled records
        (they stay in the journal for the next start)."""
        ready: list[tuple[_Prepared, concurrent.futures.Future[None] | None, int | None]] = []
        for rec, fut, end in batch:
            try:
                ready.append((rec if isinstance(rec, _Prepared) else self._prepare(rec), fut, end))
            except Exception as exc:
                if fut is not None:
                    _settle(fut, _wrap(exc))
        if not ready:
            return True
        ends = [end for _, _, end in ready if end is not None]
        if not ends:  # callers wait for the commit: they get the outcome, nothing is retried
            self._commit_waited(ready)
            return True
        items = [p for p, _, _ in ready]
        r = self._commit_retrying(items)
        if r is False:
            return False
        if isinstance(r, BaseException):  # one bad record must not hold back the others
            for p in items:
                r1 = self._commit_retrying([p])
                if r1 is False:
                    return False
                if isinstance(r1, BaseException):
                    self._reject(p, r1)
        self._committed(max(ends))
        return True

    def _commit_waited(self, ready: list[tuple[_Prepared, concurrent.futures.Future[None] | None, int | None]]
                       ) -> None:
        try:
            self._commit([p for p, _, _ in ready])
        except Exception as exc:
            if len(ready) == 1:
                _settle_opt(ready[0][1], exc)
                return
            for p, fut, _ in ready:  # one bad record must not fail the others: retry one by one
                try:
                    self._commit([p])
                except Exception as exc1:
                    _settle_opt(fut, exc1)
                else:
                    _settle_opt(fut, None)
            return
        for _, fut, _ in ready:
            _settle_opt(fut, None)

    def _commit_retrying(self, items: list[_Prepared]) -> bool | BaseException:
        """Commit journaled ``items``, retrying while the database is unavailable: True when committed, the
        error when it is the records' own (see :meth:`_record_specific`), False when the service closes first."""
        delay = 0.05
        while True:
            try:
                self._commit(items)
                return True
            except Exception as exc:
                if self._record_specific(exc):
                    return exc
                self._note_failure(exc)
                if self._closing.wait(delay):
                    return False
                delay = min(delay * 2, 2.0)

    @staticmethod
    def _record_specific(exc: BaseException) -> bool:
        """An error of this record (a duplicate request id, a value the column refuses), not of the store."""
        return isinstance(exc, IntegrityError | DataError)

    def _reject(self, p: _Prepared, exc: BaseException) -> None:
        """A journaled record the database refuses for good (its answer was sent): kept aside in
        ``rejected-records.jsonl`` beside the journal, logged by request id, and noted in the audit chain."""
        journal = self._journal
        reason = f"{type(exc).__name__}: {str(getattr(exc, 'orig', None) or exc).strip().splitlines()[0][:200]}"
        log.error("exchange record %s refused by the database: %s", p.event.request_id, reason)
        self.rejected += 1
        if journal is not None:
            with open(journal.path.parent / REJECTED_FILE, "ab") as f:
                f.write(encode_line(p.content, p.event.request_id, p.event.kind, p.event.ts, p.event.body))
        try:
            with self._engine.begin() as conn:
                append_events(conn, [NewEvent(request_id=p.event.request_id, kind="record_rejected",
                                              ts=datetime.now(UTC), body={"reason": reason[:_MAX_ERROR]})],
                              self._signer, checkpoint_every=self.checkpoint_every)
        except Exception as exc2:
            log.error("could not note the refused record %s: %s", p.event.request_id, type(exc2).__name__)

    def _note_failure(self, exc: BaseException) -> None:
        with self._progress:
            if self._failing_since is None:
                self._failing_since = time.monotonic()
            self._last_error = type(exc).__name__
        log.error("exchange records wait: the database refused a commit (%s); retrying", type(exc).__name__)

    def _committed(self, end: int | None) -> None:
        with self._progress:
            self._failing_since = None
            if end is not None and end > self._committed_end:
                self._committed_end = end
            self._progress.notify_all()
        journal = self._journal
        if journal is not None and end is not None:
            journal.truncate_if_caught_up(self._committed_end, TRUNCATE_BYTES)

    def sync(self, timeout_s: float = 30.0, *, compact: bool = False) -> None:
        """Wait until every record journaled so far is in the database (readers call this first, so what the
        gateway answered is visible). Raises :class:`StoreError` when the database does not catch up in time.
        ``compact``: then empty the journal if nothing new arrived meanwhile (before deleting a person's data, so
        no copy of their redacted texts stays in the journal file)."""
        journal = self._journal
        if journal is None:
            return
        target = journal.end
        deadline = time.monotonic() + timeout_s
        with self._progress:
            while self._committed_end < target:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StoreError(
                        f"exchange records are still waiting for the database after {timeout_s:.0f} s "
                        f"({self._last_error or 'slow store'})",
                        f"请求记录等待写入数据库已超过 {timeout_s:.0f} 秒（{self._last_error or '存储过慢'}）",
                    )
                self._progress.wait(min(left, 0.5))
            committed = self._committed_end
        if compact:
            journal.truncate_if_caught_up(committed)

    def flush(self) -> None:
        """Wait until every queued record is written, and stop the writer thread (it restarts on demand)."""
        with self._state:
            writer = self._writer
            self._writer = None
            if writer is not None and writer.is_alive():
                self._queue.put(None)
        if writer is not None:
            writer.join()

    def close(self) -> None:
        """Flush, and refuse further asynchronous records. Records the database still refuses stay in the
        journal, which the next start replays."""
        with self._state:
            self._closed = True
        journal = self._journal
        # a database that is down gets a last chance, then the journal keeps what is left
        timer = threading.Timer(self.close_grace_s, self._closing.set)
        timer.daemon = True
        timer.start()
        try:
            self.flush()
        finally:
            timer.cancel()
            self._closing.set()
        if journal is not None:
            journal.close(remove=self._committed_end == journal.end and self._queue.empty())

    # journal recovery -------------------------------------------------------------------------------------------
    def recover(self, directory: Path) -> RecoveryReport:
        """Replay the journals in ``directory`` whose owner process is gone: records not yet in the database
        are committed in journal order; those already there are skipped. Deletes each journal once done."""
        report = RecoveryReport()
        for path, lines, tail in orphan_journals(directory):
            report.journals += 1
            report.torn += 1 if tail else 0
            entries = []
            for ln in lines:
                try:
                    entries.append(decode_line(ln))
                except TornLine:
                    report.torn += 1
            todo = self._not_yet_stored(entries)
            report.skipped += len(entries) - len(todo)
            for i in range(0, len(todo), MAX_BATCH):
                chunk = [_Prepared(e.content, NewEvent(request_id=e.request_id, kind=e.kind, ts=e.ts, body=e.body))
                         for e in todo[i:i + MAX_BATCH]]
                try:
                    self._commit(chunk)
                    report.replayed += len(chunk)
                except Exception as exc:
                    if not self._record_specific(exc):
                        raise _wrap(exc) from exc
                    for p in chunk:
                        try:
                            self._commit([p])
                            report.replayed += 1
                        except Exception as exc1:
                            if not self._record_specific(exc1):
                                raise _wrap(exc1) from exc1
                            self._reject(p, exc1)
                            report.rejected += 1
            if report.torn:
                log.warning("journal %s: %d damaged or unfinished line(s) skipped (their answers were not sent)",
                            path.name, report.torn)
            path.unlink(missing_ok=True)
        if report.replayed:
            log.warning("replayed %d exchange record(s) from %d journal(s) of a process that stopped uncleanly",
                        report.replayed, report.journals)
        return report

    def _not_yet_stored(self, entries: list[JournalEntry]) -> list[JournalEntry]:
        ids = sorted({e.request_id for e in entries})
        have: set[tuple[str, str]] = set()
        with self._engine.connect() as conn:
            for i in range(0, len(ids), 500):
                rows = conn.execute(select(AuditEvent.request_id, AuditEvent.kind)
                                    .where(AuditEvent.request_id.in_(ids[i:i + 500])))
                have.update((str(r[0]), str(r[1])) for r in rows)
        return [e for e in entries if (e.request_id, e.kind) not in have]

    # retention and reading ----------------------------------------------------------------------------------
    def purge(self, *, now: datetime | None = None) -> int:
        """Delete content-log rows whose retention period has ended. Audit events are kept (no content)."""
        now = now or datetime.now(UTC)
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.sync()
        try:
            with Session(self._engine) as s, s.begin():
                result = s.execute(
                    delete(ContentLog).where(ContentLog.retention_until < now).execution_options(
                        synchronize_session=False
                    )
                )
                return int(getattr(result, "rowcount", 0) or 0)
        except Exception as exc:
            raise StoreError(
                f"cannot purge the content log: {type(exc).__name__}: {exc}",
                f"无法清理内容日志：{type(exc).__name__}：{exc}",
            ) from exc

    def get(self, request_id: str) -> dict[str, Any] | None:
        """The content-log row (``"content"``, None when not kept or purged) and the audit event (``"audit"``,
        with its payload parsed) of a request; None when neither exists."""
        self.sync()
        with Session(read_only(self._engine)) as s:
            c = s.execute(select(ContentLog).where(ContentLog.request_id == request_id)).scalar_one_or_none()
            e = s.execute(
                select(AuditEvent).where(AuditEvent.request_id == request_id).order_by(AuditEvent.seq.desc())
            ).scalars().first()
            if c is None and e is None:
                return None
            content = None
            if c is not None:
                content = {
                    "request_id": c.request_id, "ts": c.ts, "account_id": c.account_id, "key_id": c.key_id,
                    "end_user_hash": c.end_user_hash, "endpoint": c.endpoint, "model": c.model, "outcome": c.outcome,
                    "input_text": c.input_text, "output_text": c.output_text, "retention_until": c.retention_until,
                }
            audit = None
            if e is not None:
                audit = {
                    "seq": e.seq, "ts": e.ts, "request_id": e.request_id, "kind": e.kind,
                    "payload": json.loads(e.payload), "prev_hash": e.prev_hash, "hash": e.hash,
                }
            return {"content": content, "audit": audit}


def _settle_opt(fut: concurrent.futures.Future[None] | None, exc: BaseException | None) -> None:
    if fut is not None:
        _settle(fut, exc if exc is None or isinstance(exc, SigningKeyError) else _wrap(exc))


def _settle(fut: concurrent.futures.Future[None], exc: BaseException | None) -> None:
    if fut.done():
        return
    try:
        if exc is None:
            fut.set_result(None)
        else:
            fut.set_exception(exc)
    except concurrent.futures.InvalidStateError:
        pass

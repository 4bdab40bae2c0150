"""Exchange records: the content log (PII-redacted texts, pseudonymised end user) and the audit event of each
request, written in one transaction. Nothing is dropped silently: a record that cannot be written raises."""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import hmac
import json
import math
import queue
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Engine, Table, delete, insert, select
from sqlalchemy.orm import Session

from hegui.core.types import Finding
from hegui.detectors.base import DetectContext
from hegui.detectors.pii import PIIDetector, redact
from hegui.services.audit import CONTENT_HMAC_PREFIX, NewEvent, SigningKey, append_events
from hegui.services.errors import SigningKeyError, StoreError
from hegui.services.types import ExchangeRecord
from hegui.store import AuditEvent, ContentLog, read_only

__all__ = ["EVENT_KIND", "RecordService", "pseudonymise"]

EVENT_KIND = "exchange"
MAX_BATCH = 256
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
        content_log: bool,
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
        self._queue: queue.Queue[tuple[ExchangeRecord, concurrent.futures.Future[None]] | None] = queue.Queue()
        self._writer: threading.Thread | None = None
        self._state = threading.Lock()
        self._closed = False

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
        """:meth:`record` for the event loop: one background thread commits whatever is queued in one
        transaction (group commit); this returns after the commit, or raises :class:`StoreError`. The record is
        written even if the awaiting task is cancelled."""
        fut: concurrent.futures.Future[None] = concurrent.futures.Future()
        with self._state:
            if self._closed:
                raise StoreError("the record service is closed", "记录服务已关闭")
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(target=self._write_loop, name="hegui-record-writer", daemon=True)
                self._writer.start()
            self._queue.put((rec, fut))
        await asyncio.shield(asyncio.wrap_future(fut))

    def _write_loop(self) -> None:
        stop = False
        while not stop:
            item = self._queue.get()
            if item is None:
                break
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
            self._write_batch(batch)

    def _write_batch(self, batch: list[tuple[ExchangeRecord, concurrent.futures.Future[None]]]) -> None:
        ready: list[tuple[_Prepared, concurrent.futures.Future[None]]] = []
        for rec, fut in batch:
            try:
                ready.append((self._prepare(rec), fut))
            except Exception as exc:
                _settle(fut, _wrap(exc))
        if not ready:
            return
        try:
            self._commit([p for p, _ in ready])
        except Exception as exc:
            if len(ready) == 1:
                _settle(ready[0][1], exc if isinstance(exc, SigningKeyError) else _wrap(exc))
                return
            # one bad record must not fail the others: retry one by one
            for p, fut in ready:
                try:
                    self._commit([p])
                except Exception as exc1:
                    _settle(fut, exc1 if isinstance(exc1, SigningKeyError) else _wrap(exc1))
                else:
                    _settle(fut, None)
            return
        for _, fut in ready:
            _settle(fut, None)

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
        """Flush, and refuse further asynchronous records."""
        with self._state:
            self._closed = True
        self.flush()

    # retention and reading ----------------------------------------------------------------------------------
    def purge(self, *, now: datetime | None = None) -> int:
        """Delete content-log rows whose retention period has ended. Audit events are kept (no content)."""
        now = now or datetime.now(UTC)
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
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

"""The moderation log and review queue of the console (issue 10): an index of the audit chain's exchange events
(``moderation_entries``, built incrementally), filters, each decision's evidence, and the review state of exchanges
whose decision was ``review``.

* :meth:`ModerationLogService.refresh` reads the ``exchange`` events after the cursor (``moderation_cursor``, row 1)
  in batches and adds one ``moderation_entries`` row each: the strictest action of its stages, the highest risk
  level, every stage's risk codes (``",A1.1,A4.6,"``), whether a detector failed, and ``review_status = "open"``
  when a stage's action was ``review``. One transaction per batch (rows and cursor together); two processes
  refreshing at once are serialised by the cursor row's lock (SQLite: ``BEGIN IMMEDIATE``), and rows already
  present are skipped, so a refresh is idempotent.
* :meth:`search` / :meth:`count` filter the index; :meth:`get` adds the decision's evidence from the audit event
  and the PII-redacted texts from the content log while they are kept.
* :meth:`clear` and :meth:`escalate` close an open review item; each writes an audit event
  (``moderation.review_cleared``, ``moderation.review_escalated``: the exchange's request id and seq as
  ``exchange_request_id`` / ``exchange_seq`` (the chain itself sets ``request_id`` and ``seq`` of every event),
  actor, ticket number). A reviewer's note never enters the chain: only its SHA-256.

The index holds no text; the texts stay in ``content_log`` (PII-redacted, purged after the retention period).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, Select, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hegui.core.taxonomy import canonical_code, is_risk_code
from hegui.services.base import ServiceBase
from hegui.services.errors import CodedError
from hegui.store import AuditEvent, ContentLog, read_only
from hegui.store.moderation_models import ModerationCursor, ModerationEntry

__all__ = [
    "ACTIONS",
    "REVIEW_STATES",
    "RISK_LEVELS",
    "DayTraffic",
    "EntryDetail",
    "ModerationEntryInfo",
    "ModerationLogError",
    "ModerationLogService",
    "ModerationQuery",
    "ReviewCounts",
    "StageEvidence",
]

EventSink = Callable[[str, dict[str, Any]], None]

ACTIONS: Final = ("pass", "review", "redact", "block")  # mildest first
RISK_LEVELS: Final = ("none", "low", "medium", "high")
REVIEW_STATES: Final = ("open", "cleared", "escalated")
_ACTION_RANK: Final = {a: i for i, a in enumerate(ACTIONS)}
_LEVEL_RANK: Final = {lv: i for i, lv in enumerate(RISK_LEVELS)}
_EXCHANGE: Final = "exchange"
_CURSOR_ID: Final = 1
BATCH: Final = 500
MAX_NOTE_CHARS: Final = 4000
_MAX_CATEGORIES: Final = 500
_RISK_PREFIX = re.compile(r"^[A-Z][A-Z0-9]*(\.[A-Z0-9]+)*$")
_TICKET = re.compile(r"^[A-Za-z0-9-]{1,32}$")
log = logging.getLogger(__name__)


class ModerationLogError(CodedError):
    """A moderation-log request that cannot be done; ``code`` names why (``unknown_entry``, ``not_for_review``,
    ``already_reviewed``, ``invalid``), ``status`` is the HTTP status that fits."""


def _invalid(en: str, zh: str) -> ModerationLogError:
    return ModerationLogError("invalid", en, zh, status=400)


@dataclass(frozen=True, slots=True)
class ModerationEntryInfo:
    """One exchange in the log (no text)."""

    seq: int
    request_id: str
    ts: datetime
    endpoint: str
    outcome: str
    http_status: int
    account_id: str | None
    end_user_hash: str | None
    user_id: str | None
    model: str | None
    action: str
    risk_level: str
    categories: tuple[str, ...]
    detectors_failed: bool
    review_status: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_ticket: str | None

    @property
    def is_open(self) -> bool:
        return self.review_status == "open"


@dataclass(frozen=True, slots=True)
class StageEvidence:
    """The decision at one stage of an exchange, as the audit event records it."""

    stage: str
    action: str
    risk_level: str
    categories: tuple[str, ...]
    detectors_run: tuple[str, ...]
    detectors_failed: tuple[str, ...]
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EntryDetail:
    """An entry with its evidence (from the audit event) and its PII-redacted texts (from the content log, while
    kept: ``content_kept`` is False once purged or when content logging was off, ``content_logged``)."""

    entry: ModerationEntryInfo
    stages: tuple[StageEvidence, ...]
    latency_ms: tuple[tuple[str, float], ...]
    key_id: str | None
    upstream: str | None
    error: str | None
    content_logged: bool
    content_kept: bool
    input_text: str | None
    output_text: str | None
    retention_until: datetime | None


@dataclass(frozen=True, slots=True)
class ReviewCounts:
    open: int
    cleared: int
    escalated: int


@dataclass(frozen=True, slots=True)
class DayTraffic:
    """Exchanges on one day (China time) by their strictest action."""

    day: date
    passed: int
    review: int
    redact: int
    block: int

    @property
    def total(self) -> int:
        return self.passed + self.review + self.redact + self.block


@dataclass(frozen=True, slots=True)
class ModerationQuery:
    """Filters of the log (all optional, combined with AND).

    ``risk``: a risk code (``A1.1``, or the standard's ``A.1.a``) or a prefix (``A1``, ``X.ABUSE``) matching every
    code below it. ``end_user``: one value or several, each matched against the end-user hash and hegui's user id.
    ``since`` inclusive, ``until`` exclusive (timezone-aware)."""

    outcome: str | None = None
    action: str | None = None
    risk: str | None = None
    account_id: str | None = None
    end_user: str | tuple[str, ...] | None = None
    request_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    review_status: str | None = None

    def __post_init__(self) -> None:
        if self.action is not None and self.action not in ACTIONS:
            raise _invalid(f"action must be one of {', '.join(ACTIONS)}, not {self.action!r}",
                           f"处置须为 {', '.join(ACTIONS)} 之一，不能为 {self.action!r}")
        if self.review_status is not None and self.review_status not in REVIEW_STATES:
            raise _invalid(f"review status must be one of {', '.join(REVIEW_STATES)}, not {self.review_status!r}",
                           f"审核状态须为 {', '.join(REVIEW_STATES)} 之一，不能为 {self.review_status!r}")
        if self.risk is not None:
            risk_code(self.risk)
        for name, value, limit in (("outcome", self.outcome, 32), ("account_id", self.account_id, 32),
                                   ("request_id", self.request_id, 128)):
            if value is not None and (not value or len(value) > limit):
                raise _invalid(f"{name} must be 1-{limit} characters", f"{name} 须为 1-{limit} 个字符")
        for v in _values(self.end_user):
            if not v or len(v) > 200:
                raise _invalid("the end user must be 1-200 characters", "终端用户须为 1-200 个字符")
        for name, ts in (("since", self.since), ("until", self.until)):
            if ts is not None and ts.utcoffset() is None:
                raise ValueError(f"{name} must be timezone-aware")
        if self.since is not None and self.until is not None and self.until <= self.since:
            raise _invalid("the end of the time range must be after its start", "时间范围的结束须晚于开始")


def risk_code(value: str) -> str:
    """A risk filter in canonical form: a known code (``A.1.a`` becomes ``A1.1``) or an upper-case prefix.
    Raises :class:`ModerationLogError` for anything else."""
    v = value.strip()
    if is_risk_code(v):
        return canonical_code(v)
    v = v.upper()
    if len(v) > 32 or not _RISK_PREFIX.match(v):
        raise _invalid(f"not a risk code or prefix: {value[:40]!r} (e.g. A1, A1.1, X.JAILBREAK)",
                       f"不是风险代码或其前缀：{value[:40]!r}（例如 A1、A1.1、X.JAILBREAK）")
    return v


def _values(v: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if v is None:
        return ()
    return (v,) if isinstance(v, str) else tuple(v)


def _info(r: ModerationEntry) -> ModerationEntryInfo:
    return ModerationEntryInfo(
        seq=r.seq, request_id=r.request_id, ts=r.ts, endpoint=r.endpoint, outcome=r.outcome,
        http_status=r.http_status, account_id=r.account_id, end_user_hash=r.end_user_hash, user_id=r.user_id,
        model=r.model, action=r.action, risk_level=r.risk_level,
        categories=tuple(c for c in r.categories.split(",") if c), detectors_failed=r.detectors_failed,
        review_status=r.review_status, reviewed_by=r.reviewed_by, reviewed_at=r.reviewed_at,
        review_ticket=r.review_ticket,
    )


def _strs(v: Any) -> tuple[str, ...]:
    return tuple(str(x) for x in v) if isinstance(v, list | tuple) else ()


def _stages(body: dict[str, Any]) -> tuple[StageEvidence, ...]:
    out = []
    for st in body.get("stages") or []:
        if not isinstance(st, dict):
            continue
        out.append(StageEvidence(
            stage=str(st.get("stage", "")), action=str(st.get("action", "pass")),
            risk_level=str(st.get("risk_level", "none")), categories=_strs(st.get("categories")),
            detectors_run=_strs(st.get("detectors_run")), detectors_failed=_strs(st.get("detectors_failed")),
            reasons=_strs(st.get("reasons")),
        ))
    return tuple(out)


def _cut(v: Any, limit: int) -> str | None:
    return None if v is None else str(v)[:limit]


def entry_row(seq: int, ts: datetime, request_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """The ``moderation_entries`` row of one exchange event (its parsed payload ``body``)."""
    stages = _stages(body)
    action = max((s.action for s in stages), key=lambda a: _ACTION_RANK.get(a, 0), default="pass")
    level = max((s.risk_level for s in stages), key=lambda lv: _LEVEL_RANK.get(lv, 0), default="none")
    codes: list[str] = []
    for s in stages:
        for c in s.categories:
            if c and "," not in c and c not in codes:
                codes.append(c)
    cats = ""
    for c in codes:  # whole codes only: a cut code would match the wrong filter
        if len(cats or ",") + len(c) + 1 > _MAX_CATEGORIES:
            break
        cats = (cats or ",") + c + ","
    try:
        http_status = int(body.get("http_status") or 0)
    except (TypeError, ValueError):
        http_status = 0
    return {
        "seq": seq, "request_id": request_id[:128], "ts": ts,
        "endpoint": _cut(body.get("endpoint"), 64) or "", "outcome": _cut(body.get("outcome"), 32) or "",
        "http_status": http_status, "account_id": _cut(body.get("account_id"), 32),
        "end_user_hash": _cut(body.get("end_user_hash"), 64), "user_id": _cut(body.get("user_id"), 32),
        "model": _cut(body.get("model"), 200),
        "action": action if action in _ACTION_RANK else "pass",
        "risk_level": level if level in _LEVEL_RANK else "none",
        "categories": cats, "detectors_failed": any(s.detectors_failed for s in stages),
        "review_status": "open" if any(s.action == "review" for s in stages) else None,
        "reviewed_by": None, "reviewed_at": None, "review_ticket": None,
    }


class ModerationLogService(ServiceBase):
    """Reads the audit chain's exchange events into ``moderation_entries`` and serves the console's log and
    review queue."""

    def __init__(self, engine: Engine, *, on_event: EventSink | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self._engine = engine
        self._read = read_only(engine)
        self._on_event = on_event
        self._clock = clock or (lambda: datetime.now(UTC))
        self._cursor_ready = False

    # -- building the index --------------------------------------------------------------------------------

    def _ensure_cursor(self) -> None:
        if self._cursor_ready:
            return
        with Session(self._read) as s:
            found = s.get(ModerationCursor, _CURSOR_ID) is not None
        if not found:
            try:
                with Session(self._engine) as s, s.begin():
                    if s.get(ModerationCursor, _CURSOR_ID) is None:
                        s.add(ModerationCursor(id=_CURSOR_ID, seq=0))
            except IntegrityError:
                pass  # another process created it meanwhile
        self._cursor_ready = True

    def cursor(self) -> int:
        """The last audit seq read into the index (0: none yet)."""
        with Session(self._read) as s:
            row = s.get(ModerationCursor, _CURSOR_ID)
            return int(row.seq) if row is not None else 0

    def refresh(self, limit: int = 10_000, *, batch: int = BATCH) -> int:
        """Index the exchange events after the cursor, at most ``limit`` of them, ``batch`` per transaction.
        Returns how many entries were added (``limit`` reached: call again for the rest)."""
        if limit < 1 or batch < 1:
            raise ValueError("limit and batch must be at least 1")
        self._ensure_cursor()
        if not self._behind():
            return 0  # nothing new: no write transaction (a page view must not compete with the gateway)
        added = read = 0
        while read < limit:
            want = min(batch, limit - read)
            n, got = self._refresh_batch(want)
            added += n
            read += got
            if got < want:
                break
        return added

    def _behind(self) -> bool:
        """Whether an exchange event after the cursor exists (read only)."""
        with Session(self._read) as s:
            cur = s.get(ModerationCursor, _CURSOR_ID)
            start = int(cur.seq) if cur is not None else 0
            return s.scalar(select(AuditEvent.seq).where(AuditEvent.seq > start, AuditEvent.kind == _EXCHANGE)
                            .order_by(AuditEvent.seq).limit(1)) is not None

    def _refresh_batch(self, n: int) -> tuple[int, int]:
        """One transaction: lock the cursor, read up to ``n`` exchange events after it, insert the rows not yet
        present, advance the cursor. Returns (rows added, events read)."""
        for attempt in range(3):
            try:
                with Session(self._engine) as s, s.begin():
                    cur = s.execute(select(ModerationCursor).where(ModerationCursor.id == _CURSOR_ID)
                                    .with_for_update()).scalar_one()
                    events = s.execute(
                        select(AuditEvent.seq, AuditEvent.ts, AuditEvent.request_id, AuditEvent.payload)
                        .where(AuditEvent.seq > cur.seq, AuditEvent.kind == _EXCHANGE)
                        .order_by(AuditEvent.seq).limit(n)
                    ).all()
                    if not events:
                        return 0, 0
                    seqs = [int(e[0]) for e in events]
                    present = set(s.scalars(select(ModerationEntry.seq).where(ModerationEntry.seq.in_(seqs))))
                    rows = []
                    for seq, ts, request_id, payload in events:
                        if seq in present:
                            continue
                        try:
                            body = json.loads(payload)
                        except ValueError:
                            body = None
                        if not isinstance(body, dict):
                            log.warning("audit event %d is not a readable exchange event; not indexed", seq)
                            continue
                        rows.append(entry_row(int(seq), ts, str(request_id), body))
                    if rows:
                        s.execute(insert(ModerationEntry), rows)
                    cur.seq = max(cur.seq, seqs[-1])
                    return len(rows), len(events)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    # -- reading -------------------------------------------------------------------------------------------

    @staticmethod
    def _filtered(q: Select[Any], f: ModerationQuery) -> Select[Any]:
        E = ModerationEntry
        if f.outcome is not None:
            q = q.where(E.outcome == f.outcome)
        if f.action is not None:
            q = q.where(E.action == f.action)
        if f.risk is not None:
            code = risk_code(f.risk)
            q = q.where(or_(E.categories.like(f"%,{code},%"), E.categories.like(f"%,{code}.%")))
        if f.account_id is not None:
            q = q.where(E.account_id == f.account_id)
        users = _values(f.end_user)
        if users:
            q = q.where(or_(E.end_user_hash.in_(users), E.user_id.in_(users)))
        if f.request_id is not None:
            q = q.where(E.request_id == f.request_id)
        if f.since is not None:
            q = q.where(E.ts >= f.since.astimezone(UTC))
        if f.until is not None:
            q = q.where(E.ts < f.until.astimezone(UTC))
        if f.review_status is not None:
            q = q.where(E.review_status == f.review_status)
        return q

    def search(self, query: ModerationQuery | None = None, *, limit: int = 50,
               offset: int = 0) -> list[ModerationEntryInfo]:
        """The entries matching ``query``, newest first."""
        if limit < 1 or offset < 0:
            raise ValueError("limit must be at least 1 and offset at least 0")
        q = self._filtered(select(ModerationEntry), query or ModerationQuery())
        q = q.order_by(ModerationEntry.ts.desc(), ModerationEntry.seq.desc()).limit(limit).offset(offset)
        with Session(self._read) as s:
            return [_info(r) for r in s.scalars(q)]

    def count(self, query: ModerationQuery | None = None, *, cap: int | None = None) -> int:
        """How many entries match ``query`` (counting stops at ``cap`` when given, to stay cheap)."""
        inner = self._filtered(select(ModerationEntry.seq), query or ModerationQuery())
        if cap is not None:
            inner = inner.limit(cap)
        with Session(self._read) as s:
            return int(s.scalar(select(func.count()).select_from(inner.subquery())) or 0)

    def entry(self, request_id: str) -> ModerationEntryInfo | None:
        """The entry of ``request_id`` (the latest, should the id repeat); None when not in the log."""
        with Session(self._read) as s:
            r = s.scalars(select(ModerationEntry).where(ModerationEntry.request_id == request_id)
                          .order_by(ModerationEntry.seq.desc()).limit(1)).first()
            return _info(r) if r is not None else None

    def get(self, request_id: str) -> EntryDetail | None:
        """The entry with its evidence and its redacted texts while kept; None when not in the log."""
        with Session(self._read) as s:
            r = s.scalars(select(ModerationEntry).where(ModerationEntry.request_id == request_id)
                          .order_by(ModerationEntry.seq.desc()).limit(1)).first()
            if r is None:
                return None
            info = _info(r)
            payload = s.scalar(select(AuditEvent.payload).where(AuditEvent.seq == info.seq))
            c = s.scalars(select(ContentLog).where(ContentLog.request_id == request_id)).first()
            texts = (c.input_text, c.output_text, c.retention_until) if c is not None else (None, None, None)
        try:
            body = json.loads(payload) if payload is not None else {}
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        latency: list[tuple[str, float]] = []
        for k, v in dict(body.get("latency_ms") or {}).items():
            try:
                latency.append((str(k), float(v)))
            except (TypeError, ValueError):
                continue
        content: dict[str, Any] = body["content"] if isinstance(body.get("content"), dict) else {}
        return EntryDetail(
            entry=info, stages=_stages(body), latency_ms=tuple(latency), key_id=_cut(body.get("key_id"), 64),
            upstream=_cut(body.get("upstream"), 200), error=_cut(body.get("error"), 500),
            content_logged=bool(content.get("stored", c is not None)), content_kept=c is not None,
            input_text=texts[0], output_text=texts[1], retention_until=texts[2],
        )

    def review_queue(self, status: str = "open", *, limit: int = 50, offset: int = 0) -> list[ModerationEntryInfo]:
        """Review items in ``status``: open ones oldest first, cleared or escalated ones latest reviewed first."""
        if status not in REVIEW_STATES:
            raise _invalid(f"review status must be one of {', '.join(REVIEW_STATES)}, not {status!r}",
                           f"审核状态须为 {', '.join(REVIEW_STATES)} 之一，不能为 {status!r}")
        if limit < 1 or offset < 0:
            raise ValueError("limit must be at least 1 and offset at least 0")
        E = ModerationEntry
        q = select(E).where(E.review_status == status)
        q = q.order_by(E.ts, E.seq) if status == "open" else q.order_by(E.reviewed_at.desc(), E.seq.desc())
        with Session(self._read) as s:
            return [_info(r) for r in s.scalars(q.limit(limit).offset(offset))]

    def traffic(self, days: int = 14, *, now: datetime | None = None) -> list[DayTraffic]:
        """Indexed exchanges per day (China time) for the last ``days`` days, today last, by strictest action (one
        grouped count per day over the ``ts`` index; call :meth:`refresh` first)."""
        if not 1 <= days <= 366:
            raise ValueError("days must be from 1 to 366")
        cn = ZoneInfo("Asia/Shanghai")
        today = (now or self._clock()).astimezone(cn).date()
        E = ModerationEntry
        out: list[DayTraffic] = []
        with Session(self._read) as s:
            for back in range(days - 1, -1, -1):
                day = today - timedelta(days=back)
                start = datetime.combine(day, datetime.min.time(), cn).astimezone(UTC)
                found = {str(a): int(n) for a, n in s.execute(
                    select(E.action, func.count()).where(E.ts >= start, E.ts < start + timedelta(days=1))
                    .group_by(E.action))}
                out.append(DayTraffic(day=day, passed=found.get("pass", 0), review=found.get("review", 0),
                                      redact=found.get("redact", 0), block=found.get("block", 0)))
        return out

    def counts(self) -> ReviewCounts:
        """How many review items are open, cleared and escalated."""
        E = ModerationEntry
        with Session(self._read) as s:
            found = {str(k): int(v) for k, v in s.execute(
                select(E.review_status, func.count()).where(E.review_status.is_not(None)).group_by(E.review_status))}
        return ReviewCounts(open=found.get("open", 0), cleared=found.get("cleared", 0),
                            escalated=found.get("escalated", 0))

    # -- review actions ------------------------------------------------------------------------------------

    @staticmethod
    def _check_actor(actor: str) -> str:
        actor = actor.strip()
        if not actor or len(actor) > 64:
            raise _invalid("the actor must be 1-64 characters", "操作人须为 1-64 个字符")
        return actor

    def _close(self, request_id: str, *, to: str, actor: str, ticket: str | None) -> ModerationEntryInfo:
        """Move the open review item ``request_id`` to ``to`` (one transaction, conditional on still being open)."""
        now = self._now()
        E = ModerationEntry
        with Session(self._engine, expire_on_commit=False) as s, s.begin():
            r = s.scalars(select(E).where(E.request_id == request_id).order_by(E.seq.desc()).limit(1)
                          .with_for_update()).first()
            if r is None:
                raise ModerationLogError("unknown_entry", f"no exchange {request_id!r} in the moderation log",
                                         f"审核日志中没有请求 {request_id!r}", status=404)
            if r.review_status is None:
                raise ModerationLogError("not_for_review", "this exchange was not sent to review",
                                         "该请求未被标记为待人工审核", status=409)
            done = s.execute(update(E).where(E.seq == r.seq, E.review_status == "open").values(
                review_status=to, reviewed_by=actor, reviewed_at=now, review_ticket=ticket,
            ).execution_options(synchronize_session=False))
            if int(getattr(done, "rowcount", 0) or 0) != 1:
                raise ModerationLogError("already_reviewed", "this review item is already closed (cleared or "
                                         "escalated)", "该待审内容已处理（已放行或已上报）", status=409)
            s.refresh(r)
            return _info(r)

    def clear(self, request_id: str, *, actor: str, note: str | None = None) -> ModerationEntryInfo:
        """Clear an open review item (nothing wrong with it). ``note`` is not stored; the audit event carries
        only its SHA-256. Raises :class:`ModerationLogError` (404 unknown, 409 not open)."""
        actor = self._check_actor(actor)
        note = (note or "").strip() or None
        if note is not None and len(note) > MAX_NOTE_CHARS:
            raise _invalid(f"the note is longer than {MAX_NOTE_CHARS} characters",
                           f"备注超过 {MAX_NOTE_CHARS} 个字符")
        info = self._close(request_id, to="cleared", actor=actor, ticket=None)
        self._emit("moderation.review_cleared", {
            "exchange_request_id": info.request_id, "exchange_seq": info.seq, "actor": actor,
            "note_sha256": hashlib.sha256(note.encode("utf-8")).hexdigest() if note is not None else None,
        })
        return info

    def escalate(self, request_id: str, *, actor: str, ticket_number: str) -> ModerationEntryInfo:
        """Escalate an open review item to the report ticket ``ticket_number`` (opened by the caller in the
        complaints queue). Raises :class:`ModerationLogError` (404 unknown, 409 not open)."""
        actor = self._check_actor(actor)
        ticket_number = ticket_number.strip()
        if not _TICKET.match(ticket_number):
            raise _invalid("the ticket number must be 1-32 letters, digits or dashes",
                           "受理编号须为 1-32 个字母、数字或连字符")
        info = self._close(request_id, to="escalated", actor=actor, ticket=ticket_number)
        self._emit("moderation.review_escalated", {
            "exchange_request_id": info.request_id, "exchange_seq": info.seq, "actor": actor,
            "ticket_number": ticket_number,
        })
        return info

    def open_entry(self, request_id: str) -> ModerationEntryInfo:
        """The entry of ``request_id`` if it is an open review item; else :class:`ModerationLogError` (404, 409),
        as :meth:`clear` and :meth:`escalate` would raise."""
        info = self.entry(request_id)
        if info is None:
            raise ModerationLogError("unknown_entry", f"no exchange {request_id!r} in the moderation log",
                                     f"审核日志中没有请求 {request_id!r}", status=404)
        if info.review_status is None:
            raise ModerationLogError("not_for_review", "this exchange was not sent to review",
                                     "该请求未被标记为待人工审核", status=409)
        if info.review_status != "open":
            raise ModerationLogError("already_reviewed", "this review item is already closed (cleared or "
                                     "escalated)", "该待审内容已处理（已放行或已上报）", status=409)
        return info

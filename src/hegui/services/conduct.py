"""Abuse: a per-user violation ledger and a published, configurable sanction ladder (R-MEA-16, R-SVC-08).

Users who use the service for hype, malicious posting, spam, malware or improper marketing are warned,
restricted, suspended or terminated by a ladder the provider publishes (:meth:`LadderRules.document`).

The rule, exactly:

* Each recorded violation scores ``severity_weights[severity]`` points when its risk code is one of
  ``counted_codes`` (default: the ``X.ABUSE.*`` codes), else 0 points (it is still kept in the ledger).
* A violation recorded at ``t`` counts while ``now < t + window_days``; voided violations (an upheld appeal)
  never count.
* A step applies when a violation makes the points reach its ``after`` threshold (points before < ``after`` <=
  points after). When one violation crosses several thresholds, the highest step crossed applies. Points that
  fall (old violations leaving the window) and rise again re-apply the step they cross again.
* ``warn`` stands for ``minutes``/``days`` if given, else for the window; ``restrict`` and ``suspend`` last their
  ``minutes``/``days`` and end exactly at ``until``; ``terminate`` is permanent until an upheld appeal or a
  reviewer's :meth:`ConductService.override`.
* The current sanction is the most severe one in force (``starts_at <= now < until``, not revoked); ties: the
  latest.
* An override revokes every sanction in force and puts its own in place (``none`` restores full access); the
  ledger is unchanged, so the next violation continues from the same points.
* An upheld appeal voids the violations that counted toward the appealed sanction, revokes it, and revokes any
  other ladder sanction in force whose threshold is no longer reached without the voided violations.

Every change calls ``on_event(kind, payload)`` after it is committed, with ids, codes, actions and times only
(no user content, no personal data; an override's free-text reason is passed as its SHA-256).

:meth:`ConductService.current` is the hot path: cached per user (``cache_ttl_s``), invalidated in this process
on every change; other processes see a change within ``cache_ttl_s``.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from hegui.core.errors import HeguiError, UnknownRiskCode
from hegui.core.taxonomy import EXTRA_RISK_CODES, canonical_code, get_risk
from hegui.core.types import Severity
from hegui.store import read_only
from hegui.store.conduct_models import AbuseAppeal, AbuseSanction, AbuseViolation

__all__ = [
    "ABUSE_CODES",
    "ACTIONS",
    "Appeal",
    "ConductError",
    "ConductService",
    "LadderDocument",
    "LadderRules",
    "LadderStep",
    "Sanction",
    "Violation",
]

ACTIONS: tuple[str, ...] = ("none", "warn", "restrict", "suspend", "terminate")
_RANK = {a: i for i, a in enumerate(ACTIONS)}
ABUSE_CODES: tuple[str, ...] = tuple(c for c in EXTRA_RISK_CODES if c.startswith("X.ABUSE."))
_CACHE_MAX = 10_000
EventSink = Callable[[str, dict[str, Any]], None]
StepAction = Literal["warn", "restrict", "suspend", "terminate"]

_ACTION_EN = {"none": "No action", "warn": "Warning", "restrict": "Restriction", "suspend": "Suspension",
              "terminate": "Termination of service"}
_ACTION_ZH = {"none": "不处置", "warn": "警示", "restrict": "限制功能", "suspend": "暂停服务", "terminate": "终止服务"}


class ConductError(HeguiError):
    """An abuse-ledger operation that cannot be done (unknown appeal, nothing to appeal, bad override)."""

    exit_code = 2


def _duration_words(minutes: int) -> tuple[str, str]:
    if minutes % 1440 == 0:
        d = minutes // 1440
        return (f"{d} day" + ("s" if d != 1 else ""), f"{d} 天")
    if minutes % 60 == 0:
        h = minutes // 60
        return (f"{h} hour" + ("s" if h != 1 else ""), f"{h} 小时")
    return (f"{minutes} minute" + ("s" if minutes != 1 else ""), f"{minutes} 分钟")


class LadderStep(BaseModel):
    """One rung: when the points reach ``after``, apply ``action`` for ``days`` + ``minutes``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    after: int = Field(ge=1)
    action: StepAction
    minutes: int | None = Field(default=None, ge=1)
    days: int | None = Field(default=None, ge=1)
    requests_per_hour: int | None = Field(default=None, ge=0)  # restrict only; None: the rules' default

    @model_validator(mode="after")
    def _durations(self) -> LadderStep:
        timed = self.minutes is not None or self.days is not None
        if self.action == "terminate" and timed:
            raise ValueError("terminate is permanent: give it no minutes or days")
        if self.action in ("restrict", "suspend") and not timed:
            raise ValueError(f"{self.action} needs a duration (minutes or days)")
        if self.requests_per_hour is not None and self.action != "restrict":
            raise ValueError("requests_per_hour applies to restrict only")
        return self

    @property
    def duration_minutes(self) -> int | None:
        if self.minutes is None and self.days is None:
            return None
        return (self.minutes or 0) + (self.days or 0) * 1440


_DEFAULT_STEPS = (
    LadderStep(after=1, action="warn"),
    LadderStep(after=3, action="restrict", minutes=60),
    LadderStep(after=5, action="suspend", days=7),
    LadderStep(after=8, action="terminate"),
)


_DEFAULT_WEIGHTS: dict[Literal["low", "medium", "high"], int] = {"low": 1, "medium": 1, "high": 2}


class LadderRules(BaseModel):
    """The published sanction ladder (see the module docstring for the exact rule)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(default="1", min_length=1, max_length=32)
    window_days: int = Field(default=90, ge=1, le=3650)
    steps: tuple[LadderStep, ...] = _DEFAULT_STEPS
    counted_codes: tuple[str, ...] = ABUSE_CODES
    severity_weights: dict[Literal["low", "medium", "high"], int] = Field(
        default_factory=lambda: dict(_DEFAULT_WEIGHTS)
    )
    restrict_requests_per_hour: int = Field(default=10, ge=0)
    timezone: str = "Asia/Shanghai"  # for the times shown in messages

    @field_validator("counted_codes")
    @classmethod
    def _codes(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        try:
            return tuple(dict.fromkeys(canonical_code(c) for c in v))
        except UnknownRiskCode as exc:
            raise ValueError(exc.en) from None

    @field_validator("severity_weights")
    @classmethod
    def _weights(cls, v: dict[Literal["low", "medium", "high"], int]) -> dict[Literal["low", "medium", "high"], int]:
        if set(v) != {"low", "medium", "high"}:
            raise ValueError("severity_weights needs low, medium and high")
        if any(w < 0 for w in v.values()):
            raise ValueError("severity weights must not be negative")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}") from None
        return v

    @model_validator(mode="after")
    def _ladder(self) -> LadderRules:
        if not self.steps:
            raise ValueError("the ladder needs at least one step")
        for a, b in zip(self.steps, self.steps[1:], strict=False):
            if b.after <= a.after:
                raise ValueError("step thresholds (after) must increase strictly")
            if _RANK[b.action] < _RANK[a.action]:
                raise ValueError(f"the ladder must not step down ({a.action} then {b.action})")
        return self

    def weight(self, risk_code: str, severity: str) -> int:
        """Points of one violation (0 when the code is not counted)."""
        if canonical_code(risk_code) not in self.counted_codes:
            return 0
        return self.severity_weights[Severity(severity).value]  # type: ignore[index]

    def step_for(self, points: int) -> int | None:
        """Index of the highest step reached by ``points`` (None: below the first)."""
        found = None
        for i, s in enumerate(self.steps):
            if points >= s.after:
                found = i
        return found

    def requests_per_hour(self, step: LadderStep) -> int | None:
        if step.action != "restrict":
            return None
        return self.restrict_requests_per_hour if step.requests_per_hour is None else step.requests_per_hour

    def document(self) -> LadderDocument:
        """The ladder to publish to users: data plus zh and en Markdown."""
        data: dict[str, Any] = {
            "version": self.version,
            "window_days": self.window_days,
            "counted_codes": [{"code": c, "zh": get_risk(c).zh, "en": get_risk(c).en} for c in self.counted_codes],
            "severity_weights": dict(self.severity_weights),
            "steps": [
                {"after": s.after, "action": s.action, "duration_minutes": s.duration_minutes,
                 "requests_per_hour": self.requests_per_hour(s)}
                for s in self.steps
            ],
            "appeal": True,
        }
        return LadderDocument(data=data, markdown_en=self._markdown_en(), markdown_zh=self._markdown_zh())

    def _step_en(self, s: LadderStep) -> str:
        d = s.duration_minutes
        if s.action == "warn":
            return "Warning" + (f" (stands for {_duration_words(d)[0]})" if d else f" (stands for {self.window_days} days)")
        if s.action == "restrict":
            assert d is not None
            return f"Restriction for {_duration_words(d)[0]}: at most {self.requests_per_hour(s)} requests per hour"
        if s.action == "suspend":
            assert d is not None
            return f"Suspension of service for {_duration_words(d)[0]}"
        return "Termination of service (permanent unless an appeal succeeds)"

    def _step_zh(self, s: LadderStep) -> str:
        d = s.duration_minutes
        if s.action == "warn":
            return "警示" + (f"（有效期 {_duration_words(d)[1]}）" if d else f"（有效期 {self.window_days} 天）")
        if s.action == "restrict":
            assert d is not None
            return f"限制功能 {_duration_words(d)[1]}：每小时最多 {self.requests_per_hour(s)} 次请求"
        if s.action == "suspend":
            assert d is not None
            return f"暂停服务 {_duration_words(d)[1]}"
        return "终止服务（申诉成功前永久有效）"

    def _markdown_en(self) -> str:
        w = self.severity_weights
        lines = [
            "# Rules on abuse: warning, restriction, suspension and termination",
            "",
            f"Rules version {self.version}. We count the following uses of the service as violations:",
            "",
            *[f"- {get_risk(c).en} (`{c}`)" for c in self.counted_codes],
            "",
            f"Each violation scores points by severity: low {w['low']}, medium {w['medium']}, high {w['high']}. "
            f"A violation counts for {self.window_days} days after it is recorded.",
            "",
            f"| Points within {self.window_days} days | Action |",
            "|---|---|",
            *[f"| {s.after} | {self._step_en(s)} |" for s in self.steps],
            "",
            "A step applies as soon as a violation brings the points to its threshold. Suspensions and restrictions "
            "end automatically at the time stated in the notice.",
            "",
            "You can appeal against any action. A reviewer decides; if the appeal succeeds, access is restored at "
            "once and the violations behind the action no longer count. Every action, appeal and decision is "
            "recorded in a tamper-evident audit log.",
            "",
        ]
        return "\n".join(lines)

    def _markdown_zh(self) -> str:
        w = self.severity_weights
        lines = [
            "# 违规使用处置规则：警示、限制功能、暂停服务与终止服务",
            "",
            f"规则版本 {self.version}。以下使用行为计为违规：",
            "",
            *[f"- {get_risk(c).zh}（`{c}`）" for c in self.counted_codes],
            "",
            f"每次违规按严重程度计分：低 {w['low']} 分，中 {w['medium']} 分，高 {w['high']} 分。"
            f"每次违规自记录起 {self.window_days} 天内有效计分。",
            "",
            f"| {self.window_days} 天内累计分数 | 处置措施 |",
            "|---|---|",
            *[f"| {s.after} | {self._step_zh(s)} |" for s in self.steps],
            "",
            "违规使累计分数达到某一档阈值时，立即适用该档处置。限制功能与暂停服务到通知所列时间自动结束。",
            "",
            "对任何处置均可提出申诉，由审核人员决定；申诉成功的，立即恢复服务，相关违规记录不再计分。"
            "所有处置、申诉及其决定均记入防篡改的审计日志。",
            "",
        ]
        return "\n".join(lines)


@dataclass(frozen=True)
class LadderDocument:
    """The published ladder: ``data`` (JSON-ready) and Markdown in both languages."""

    data: dict[str, Any]
    markdown_en: str
    markdown_zh: str

    def to_dict(self) -> dict[str, Any]:
        return {"rules": self.data, "markdown_en": self.markdown_en, "markdown_zh": self.markdown_zh}


@dataclass(frozen=True)
class Sanction:
    """What applies to a user now. ``until`` None with an action other than "none" means permanent (or until
    further notice for an override). ``requests_per_hour`` is set for "restrict" (the gateway enforces it)."""

    user_id: str
    action: str  # none | warn | restrict | suspend | terminate
    until: datetime | None
    reason_codes: tuple[str, ...]
    message_en: str
    message_zh: str
    sanction_id: str | None = None
    source: str | None = None  # "ladder" | "override"
    since: datetime | None = None
    requests_per_hour: int | None = None
    points: int = 0

    @property
    def blocks(self) -> bool:
        """True when requests must be refused (suspend, terminate)."""
        return self.action in ("suspend", "terminate")

    def to_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id, "action": self.action, "until": _iso(self.until),
            "reason_codes": list(self.reason_codes), "message_en": self.message_en, "message_zh": self.message_zh,
            "sanction_id": self.sanction_id, "source": self.source, "since": _iso(self.since),
            "requests_per_hour": self.requests_per_hour, "points": self.points,
        }


@dataclass(frozen=True)
class Violation:
    id: int
    user_id: str
    ts: datetime
    risk_code: str
    severity: str
    weight: int
    request_id: str
    voided_at: datetime | None = None
    voided_by: str | None = None


@dataclass(frozen=True)
class Appeal:
    id: str
    user_id: str
    sanction_id: str
    text_ref: str
    status: str  # pending | upheld | rejected
    created_at: datetime
    decided_at: datetime | None = None
    reviewer: str | None = None
    voided_violations: tuple[int, ...] = field(default=())
    revoked_sanctions: tuple[str, ...] = field(default=())


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t is not None else None


def _aware(t: datetime) -> None:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError("naive datetime: pass a timezone-aware time")


def _check_user(user_id: str) -> None:
    if not user_id or len(user_id) > 64:
        raise ValueError("user_id must be 1-64 characters")


def _lock_key(user_id: str) -> int:
    return int.from_bytes(hashlib.sha256(b"hegui-conduct:" + user_id.encode()).digest()[:8], "big", signed=True)


def _violation(r: AbuseViolation) -> Violation:
    return Violation(id=r.id, user_id=r.user_id, ts=r.ts, risk_code=r.risk_code, severity=r.severity,
                     weight=r.weight, request_id=r.request_id, voided_at=r.voided_at, voided_by=r.voided_by)


def _appeal(r: AbuseAppeal, voided: Sequence[int] = (), revoked: Sequence[str] = ()) -> Appeal:
    return Appeal(id=r.id, user_id=r.user_id, sanction_id=r.sanction_id, text_ref=r.text_ref, status=r.status,
                  created_at=r.created_at, decided_at=r.decided_at, reviewer=r.reviewer,
                  voided_violations=tuple(voided), revoked_sanctions=tuple(revoked))


@dataclass(frozen=True)
class _Row:
    """A plain copy of a sanction row (cached)."""

    id: str
    action: str
    source: str
    starts_at: datetime
    until: datetime | None
    reason_codes: tuple[str, ...]
    requests_per_hour: int | None
    points: int

    def in_force(self, now: datetime) -> bool:
        return self.starts_at <= now and (self.until is None or now < self.until)


def _row(r: AbuseSanction) -> _Row:
    return _Row(id=r.id, action=r.action, source=r.source, starts_at=r.starts_at, until=r.until,
                reason_codes=tuple(c for c in r.reason_codes.split(",") if c),
                requests_per_hour=r.requests_per_hour, points=r.points)


class ConductService:
    """The violation ledger, the ladder, appeals and overrides. ``clock()`` gives the current time (aware)."""

    def __init__(
        self, engine: Engine, rules: LadderRules | None = None, *, clock: Callable[[], datetime] | None = None,
        on_event: EventSink | None = None, cache_ttl_s: float = 5.0, monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._read = read_only(engine)
        self.rules = rules if rules is not None else LadderRules()
        self._tz = ZoneInfo(self.rules.timezone)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._on_event = on_event
        self.cache_ttl_s = cache_ttl_s
        self._monotonic = monotonic
        # user_id -> (expires, loaded for this time, rows not revoked and not ended at that time)
        self._cache: dict[str, tuple[float, datetime, tuple[_Row, ...]]] = {}
        self._lock = threading.Lock()

    # the ladder -----------------------------------------------------------------------------------------------
    def ladder_document(self) -> LadderDocument:
        return self.rules.document()

    def _lock_user(self, s: Session, user_id: str) -> None:
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_key(user_id)})
        # SQLite: every writing transaction begins IMMEDIATE, which already serialises writers

    def _counted(self, s: Session, user_id: str, at: datetime) -> list[AbuseViolation]:
        """The violations that count at ``at``: not voided, recorded in ``(at - window, at]``."""
        start = at - timedelta(days=self.rules.window_days)
        return list(s.execute(
            select(AbuseViolation).where(
                AbuseViolation.user_id == user_id, AbuseViolation.voided_at.is_(None),
                AbuseViolation.ts > start, AbuseViolation.ts <= at,
            ).order_by(AbuseViolation.ts, AbuseViolation.id)
        ).scalars())

    def record_violation(
        self, user_id: str, risk_code: str, severity: Severity | str, request_id: str,
    ) -> Sanction:
        """Append a violation to the ledger, apply the ladder step it reaches (if it escalates) and return the
        user's current sanction."""
        _check_user(user_id)
        if not request_id or len(request_id) > 128:
            raise ValueError("request_id must be 1-128 characters")
        code = canonical_code(risk_code)
        sev = Severity(severity).value
        now = self._clock()
        _aware(now)
        weight = self.rules.weight(code, sev)
        events: list[tuple[str, dict[str, Any]]] = []
        with Session(self._engine, expire_on_commit=False) as s, s.begin():
            self._lock_user(s, user_id)
            counted = self._counted(s, user_id, now)
            before = sum(v.weight for v in counted)
            row = AbuseViolation(user_id=user_id, ts=now, risk_code=code, severity=sev, weight=weight,
                                 request_id=request_id)
            s.add(row)
            s.flush()
            after = before + weight
            events.append(("conduct.violation", {
                "user_id": user_id, "violation_id": row.id, "risk_code": code, "severity": sev, "weight": weight,
                "request_id": request_id, "points": after, "window_days": self.rules.window_days,
                "rules_version": self.rules.version, "ts": now.isoformat(),
            }))
            step_before, step_after = self.rules.step_for(before), self.rules.step_for(after)
            if step_after is not None and (step_before is None or step_after > step_before):
                step = self.rules.steps[step_after]
                minutes = step.duration_minutes
                if step.action == "terminate":
                    until = None
                elif minutes is None:  # a warning without a duration stands for the window
                    until = now + timedelta(days=self.rules.window_days)
                else:
                    until = now + timedelta(minutes=minutes)
                codes = sorted({v.risk_code for v in [*counted, row] if v.weight > 0})
                sanction = AbuseSanction(
                    id=uuid.uuid4().hex, user_id=user_id, action=step.action, source="ladder", step=step_after,
                    points=after, reason_codes=",".join(codes), requests_per_hour=self.rules.requests_per_hour(step),
                    starts_at=now, until=until, rules_version=self.rules.version,
                )
                s.add(sanction)
                events.append(("conduct.sanction", {
                    "user_id": user_id, "sanction_id": sanction.id, "source": "ladder", "action": step.action,
                    "step": step_after, "threshold": step.after, "points": after, "reason_codes": codes,
                    "violation_ids": [v.id for v in [*counted, row] if v.weight > 0],
                    "requests_per_hour": sanction.requests_per_hour, "starts_at": now.isoformat(),
                    "until": _iso(until), "rules_version": self.rules.version,
                }))
        self.invalidate(user_id)
        self._emit_all(events)
        return self.current(user_id, now)

    # the hot path ---------------------------------------------------------------------------------------------
    def current(self, user_id: str, now: datetime | None = None) -> Sanction:
        """The sanction in force for ``user_id`` at ``now`` (default: the clock)."""
        now = self._clock() if now is None else now
        _aware(now)
        rows = self._rows(user_id, now)
        best: _Row | None = None
        for r in rows:
            if r.in_force(now) and (best is None or (_RANK[r.action], r.starts_at) >= (_RANK[best.action], best.starts_at)):
                best = r
        if best is None or best.action == "none":
            return Sanction(user_id=user_id, action="none", until=None, reason_codes=(), message_en="",
                            message_zh="", sanction_id=best.id if best else None, source=best.source if best else None,
                            since=best.starts_at if best else None)
        en, zh = self._message(best)
        return Sanction(
            user_id=user_id, action=best.action, until=best.until, reason_codes=best.reason_codes, message_en=en,
            message_zh=zh, sanction_id=best.id, source=best.source, since=best.starts_at,
            requests_per_hour=best.requests_per_hour, points=best.points,
        )

    def _rows(self, user_id: str, now: datetime) -> tuple[_Row, ...]:
        mono = self._monotonic()
        with self._lock:
            hit = self._cache.get(user_id)
        if hit is not None and hit[0] > mono and hit[1] <= now:
            return hit[2]
        with Session(self._read) as s:
            found = s.execute(
                select(AbuseSanction).where(
                    AbuseSanction.user_id == user_id, AbuseSanction.revoked_at.is_(None),
                    (AbuseSanction.until.is_(None)) | (AbuseSanction.until > now),
                )
            ).scalars()
            rows = tuple(_row(r) for r in found)
        with self._lock:
            if len(self._cache) >= _CACHE_MAX:
                self._cache.clear()
            self._cache[user_id] = (mono + self.cache_ttl_s, now, rows)
        return rows

    def invalidate(self, user_id: str | None = None) -> None:
        """Forget cached sanctions (one user, or everyone)."""
        with self._lock:
            if user_id is None:
                self._cache.clear()
            else:
                self._cache.pop(user_id, None)

    # appeals --------------------------------------------------------------------------------------------------
    def appeal(self, user_id: str, text_ref: str, *, sanction_id: str | None = None) -> Appeal:
        """Open an appeal against ``sanction_id`` (default: the sanction in force). ``text_ref`` points to where
        the appeal's text is kept (e.g. a complaint ticket id); the text itself is not stored here."""
        _check_user(user_id)
        if not text_ref or len(text_ref) > 200:
            raise ValueError("text_ref must be 1-200 characters")
        now = self._clock()
        if sanction_id is None:
            cur = self.current(user_id, now)
            if cur.action == "none" or cur.sanction_id is None:
                raise ConductError("there is no sanction in force to appeal against", "当前没有可申诉的处置")
            sanction_id = cur.sanction_id
        with Session(self._engine, expire_on_commit=False) as s, s.begin():
            sanction = s.get(AbuseSanction, sanction_id)
            if sanction is None or sanction.user_id != user_id:
                raise ConductError(f"no sanction {sanction_id!r} for this user", f"该用户没有处置 {sanction_id!r}")
            pending = s.execute(
                select(AbuseAppeal.id).where(AbuseAppeal.sanction_id == sanction_id, AbuseAppeal.status == "pending")
            ).first()
            if pending is not None:
                raise ConductError(
                    f"an appeal against this sanction is already pending ({pending[0]})",
                    f"针对该处置的申诉正在处理中（{pending[0]}）",
                )
            row = AbuseAppeal(id=uuid.uuid4().hex, user_id=user_id, sanction_id=sanction_id, text_ref=text_ref,
                              status="pending", created_at=now)
            s.add(row)
        self._emit_all([("conduct.appeal", {
            "appeal_id": row.id, "user_id": user_id, "sanction_id": sanction_id, "text_ref": text_ref,
            "ts": now.isoformat(),
        })])
        return _appeal(row)

    def get_appeal(self, appeal_id: str) -> Appeal | None:
        with Session(self._read) as s:
            row = s.get(AbuseAppeal, appeal_id)
            return _appeal(row) if row is not None else None

    def decide_appeal(self, appeal_id: str, *, upheld: bool, reviewer: str) -> Appeal:
        """Decide a pending appeal. ``upheld=True``: the appeal succeeds (access restored, the violations behind
        the sanction voided); ``False``: rejected, nothing changes."""
        if not reviewer or len(reviewer) > 200:
            raise ValueError("reviewer must be 1-200 characters")
        now = self._clock()
        voided: list[int] = []
        revoked: list[str] = []
        with Session(self._engine, expire_on_commit=False) as s, s.begin():
            row = s.get(AbuseAppeal, appeal_id)
            if row is None:
                raise ConductError(f"no appeal {appeal_id!r}", f"申诉 {appeal_id!r} 不存在")
            self._lock_user(s, row.user_id)
            if row.status != "pending":
                raise ConductError(f"appeal {appeal_id!r} is already decided ({row.status})",
                                   f"申诉 {appeal_id!r} 已有决定（{row.status}）")
            row.status, row.decided_at, row.reviewer = ("upheld" if upheld else "rejected"), now, reviewer
            if upheld:
                voided, revoked = self._uphold(s, row, now)
            user_id = row.user_id
        self.invalidate(user_id)
        self._emit_all([("conduct.appeal_decided", {
            "appeal_id": appeal_id, "user_id": user_id, "sanction_id": row.sanction_id, "upheld": upheld,
            "reviewer": reviewer, "voided_violation_ids": voided, "revoked_sanction_ids": revoked,
            "ts": now.isoformat(),
        })])
        return _appeal(row, voided, revoked)

    def _uphold(self, s: Session, appeal: AbuseAppeal, now: datetime) -> tuple[list[int], list[str]]:
        sanction = s.get(AbuseSanction, appeal.sanction_id)
        assert sanction is not None
        voided: list[int] = []
        if sanction.source == "ladder":
            for v in self._counted(s, appeal.user_id, sanction.starts_at):
                v.voided_at, v.voided_by = now, appeal.id
                voided.append(v.id)
        revoked: list[str] = []
        if sanction.revoked_at is None:
            sanction.revoked_at, sanction.revoked_by = now, appeal.id
            revoked.append(sanction.id)
        s.flush()
        others = s.execute(
            select(AbuseSanction).where(
                AbuseSanction.user_id == appeal.user_id, AbuseSanction.source == "ladder",
                AbuseSanction.revoked_at.is_(None),
                (AbuseSanction.until.is_(None)) | (AbuseSanction.until > now),
            )
        ).scalars()
        for other in others:
            points = sum(v.weight for v in self._counted(s, appeal.user_id, other.starts_at))
            reached = self.rules.step_for(points)
            if other.step is None or reached is None or reached < other.step:
                other.revoked_at, other.revoked_by = now, appeal.id
                revoked.append(other.id)
        return voided, revoked

    # manual override ------------------------------------------------------------------------------------------
    def override(
        self, user_id: str, action: str, until: datetime | None, reviewer: str, reason: str,
        *, requests_per_hour: int | None = None,
    ) -> Sanction:
        """A reviewer's decision: revoke every sanction in force and apply ``action`` until ``until`` (None:
        permanent / until further notice). ``action="none"`` restores full access (e.g. lifts a termination)."""
        _check_user(user_id)
        if action not in ACTIONS:
            raise ConductError(f"action must be one of {', '.join(ACTIONS)}, not {action!r}",
                               f"处置措施须为 {', '.join(ACTIONS)} 之一，不能为 {action!r}")
        if not reviewer or len(reviewer) > 200:
            raise ValueError("reviewer must be 1-200 characters")
        if not reason or len(reason) > 1000:
            raise ValueError("reason must be 1-1000 characters")
        now = self._clock()
        if until is not None:
            _aware(until)
            if until <= now:
                raise ConductError("until must be in the future", "截止时间须晚于当前时间")
        if action != "restrict":
            requests_per_hour = None
        elif requests_per_hour is None:
            requests_per_hour = self.rules.restrict_requests_per_hour
        new_id = uuid.uuid4().hex
        with Session(self._engine, expire_on_commit=False) as s, s.begin():
            self._lock_user(s, user_id)
            active = s.execute(
                select(AbuseSanction).where(
                    AbuseSanction.user_id == user_id, AbuseSanction.revoked_at.is_(None),
                    (AbuseSanction.until.is_(None)) | (AbuseSanction.until > now),
                )
            ).scalars()
            revoked = []
            for r in active:
                r.revoked_at, r.revoked_by = now, new_id
                revoked.append(r.id)
            s.add(AbuseSanction(
                id=new_id, user_id=user_id, action=action, source="override", step=None, points=0, reason_codes="",
                requests_per_hour=requests_per_hour, starts_at=now, until=until, rules_version=self.rules.version,
                reviewer=reviewer, reason=reason,
            ))
        self.invalidate(user_id)
        self._emit_all([("conduct.override", {
            "user_id": user_id, "sanction_id": new_id, "action": action, "until": _iso(until),
            "requests_per_hour": requests_per_hour, "reviewer": reviewer,
            "reason_sha256": hashlib.sha256(reason.encode("utf-8")).hexdigest(), "revoked_sanction_ids": revoked,
            "ts": now.isoformat(),
        })])
        return self.current(user_id, now)

    # reading the ledger ---------------------------------------------------------------------------------------
    def violations(self, user_id: str) -> list[Violation]:
        """The user's ledger, oldest first (voided entries included)."""
        with Session(self._read) as s:
            rows = s.execute(
                select(AbuseViolation).where(AbuseViolation.user_id == user_id)
                .order_by(AbuseViolation.ts, AbuseViolation.id)
            ).scalars()
            return [_violation(r) for r in rows]

    def points(self, user_id: str, now: datetime | None = None) -> int:
        """The user's points in the window at ``now``."""
        now = self._clock() if now is None else now
        with Session(self._read) as s:
            return sum(v.weight for v in self._counted(s, user_id, now))

    # messages -------------------------------------------------------------------------------------------------
    def _when(self, t: datetime) -> tuple[str, str]:
        local = t.astimezone(self._tz).strftime("%Y-%m-%d %H:%M:%S")
        if self.rules.timezone == "Asia/Shanghai":
            return f"{local} (Beijing time)", f"{local}（北京时间）"
        return f"{local} ({self.rules.timezone})", f"{local}（{self.rules.timezone}）"

    def _message(self, r: _Row) -> tuple[str, str]:
        if r.reason_codes:
            names_en = ", ".join(get_risk(c).en.lower() for c in r.reason_codes)
            names_zh = "、".join(get_risk(c).zh for c in r.reason_codes)
            why_en = f"because this account was used for {names_en}"
            why_zh = f"因该账号存在{names_zh}行为，"
        else:
            why_en, why_zh = "following a manual review", "经人工审核，"
        if r.until is not None:
            w_en, w_zh = self._when(r.until)
            until_en, until_zh = f"until {w_en}", f"至 {w_zh}"
        else:
            until_en, until_zh = "until further notice", "直至另行通知"
        appeal_en, appeal_zh = " You may appeal against this decision.", "如有异议，可提出申诉。"
        if r.action == "warn":
            return (f"Warning {why_en}, which the user agreement forbids. Further violations lead to restriction, "
                    f"suspension or termination of the service under the published rules. "
                    f"This warning stands {until_en}.",
                    f"警示：{why_zh}违反用户协议。继续违规将依照公布的规则被限制功能、暂停或终止服务。"
                    f"本次警示有效期{until_zh}。")
        if r.action == "restrict":
            return (f"This account is restricted to {r.requests_per_hour} requests per hour {until_en}, {why_en}."
                    + appeal_en,
                    f"{why_zh}该账号{until_zh}每小时最多可发起 {r.requests_per_hour} 次请求。" + appeal_zh)
        if r.action == "suspend":
            return (f"Service to this account is suspended {until_en}, {why_en}." + appeal_en,
                    f"{why_zh}该账号已被暂停服务，{until_zh}。" + appeal_zh)
        if r.until is None:
            return (f"Service to this account has been terminated, {why_en}." + appeal_en,
                    f"{why_zh}已终止向该账号提供服务。" + appeal_zh)
        return (f"Service to this account has been terminated {until_en}, {why_en}." + appeal_en,
                f"{why_zh}已终止向该账号提供服务，{until_zh}。" + appeal_zh)

    def _emit_all(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        if self._on_event is None:
            return
        for kind, payload in events:
            self._on_event(kind, payload)

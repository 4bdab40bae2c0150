"""Minors' mode: daily time quota, curfew, rest reminders and guardian settings (R-MEA-10, R-SVC-03/04).

The gateway calls :meth:`MinorGuard.check` before each request of an end user and :meth:`MinorGuard.record_use`
after each request it served. Adults are always allowed; a user of unknown age is treated as a minor only when
``MinorRules.unknown_age_is_minor`` is set.

Counting rule (active time), per user, in the provider's time zone (``MinorRules.timezone``, Asia/Shanghai):

* A *session* is a run of requests with no gap longer than ``session_gap_minutes`` between the end of one
  request and the start of the next. A longer gap ends the session (it counts as a rest).
* Each recorded request credits ``gap + max(duration, min_request_seconds)`` seconds, where ``gap`` is the time
  since the end of the previous request of the same session (0 when it starts a new session) and ``duration``
  is how long the request ran. Reading and typing between requests therefore count; idle breaks do not.
* Credits go to the local calendar day of the request's start (a session that crosses midnight credits the new
  day from its first request after midnight); the quota resets at local midnight, not UTC midnight.
* The quota is used up when today's credited seconds reach ``daily_quota_minutes * 60``: 2399 s of a 40-minute
  quota is allowed, 2400 s is refused.
* Curfew ``[curfew_start, curfew_end)`` may wrap midnight: with 22:00-06:00, 21:59:59 is allowed, 22:00:00 and
  05:59:59 are refused, 06:00:00 is allowed. Equal start and end mean no curfew.
* A rest reminder is due (``remind=True``) on the first request after the live session's active time crosses a
  multiple of ``rest_reminder_minutes``; the reminder counts as delivered when that request is recorded.

Cost of :meth:`MinorGuard.check`: an in-process cache (``cache_ttl_s``) of the user's guardian settings and
latest usage row, updated write-through by :meth:`record_use`; on a miss, two primary-key reads. Another
process's usage becomes visible here within ``cache_ttl_s``. :meth:`record_use` is one transaction: an indexed
read of the user's latest row (locked on PostgreSQL) and one insert or update.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hegui.core.errors import HeguiError
from hegui.store import read_only
from hegui.store.conduct_models import MinorGuardianSetting, MinorUsage

__all__ = [
    "GuardianSettings",
    "MinorGuard",
    "MinorRules",
    "MinorRulesError",
    "MinorVerdict",
    "UsageSnapshot",
    "age_on",
    "parse_time_of_day",
]

_DAY = 86_400
_CACHE_MAX = 10_000
EventSink = Callable[[str, dict[str, Any]], None]


class MinorRulesError(HeguiError):
    """Minors' rules or guardian settings that are invalid or loosen the provider's limits."""

    exit_code = 2


def parse_time_of_day(value: str) -> int:
    """Seconds since midnight of ``"HH:MM"`` or ``"HH:MM:SS"`` (00:00 to 23:59:59)."""
    parts = value.split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() and len(p) == 2 for p in parts):
        raise ValueError(f"time of day must be HH:MM or HH:MM:SS, not {value!r}")
    h, m, s = (int(p) for p in [*parts, "00"][:3])
    if h > 23 or m > 59 or s > 59:
        raise ValueError(f"time of day out of range: {value!r}")
    return h * 3600 + m * 60 + s


def _fmt_tod(sod: int) -> str:
    h, rest = divmod(sod, 3600)
    m, s = divmod(rest, 60)
    return f"{h:02d}:{m:02d}" if s == 0 else f"{h:02d}:{m:02d}:{s:02d}"


def age_on(birth_date: date, today: date) -> int:
    """Age in full years on ``today`` (周岁). Someone born on 29 February comes of age on 1 March in a common
    year."""
    years = today.year - birth_date.year
    if (today.month, today.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def _intervals(start: int, end: int) -> list[tuple[int, int]]:
    """The curfew as half-open intervals of seconds within one day."""
    if start == end:
        return []
    if start < end:
        return [(start, end)]
    return [(start, _DAY), (0, end)]


def _covers(outer: list[tuple[int, int]], inner: list[tuple[int, int]]) -> bool:
    return all(any(c <= a and b <= d for c, d in outer) for a, b in inner)


class MinorRules(BaseModel):
    """The provider's minors' mode rules (defaults, and the limits a guardian can move within)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    age_of_majority: int = Field(default=18, ge=1, le=30)
    unknown_age_is_minor: bool = False
    daily_quota_minutes: int = Field(default=40, ge=0, le=1440)
    # the most a guardian may allow; None: the default quota is also the maximum (guardians can only tighten)
    max_daily_quota_minutes: int | None = Field(default=None, ge=0, le=1440)
    curfew_start: str = "22:00"
    curfew_end: str = "06:00"
    rest_reminder_minutes: int = Field(default=30, ge=0, le=1440)  # 0: no reminders
    session_gap_minutes: int = Field(default=10, ge=1, le=1440)
    min_request_seconds: int = Field(default=5, ge=0, le=3600)
    timezone: str = "Asia/Shanghai"

    @field_validator("curfew_start", "curfew_end")
    @classmethod
    def _tod(cls, v: str) -> str:
        parse_time_of_day(v)
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
    def _max(self) -> MinorRules:
        if self.max_daily_quota_minutes is not None and self.max_daily_quota_minutes < self.daily_quota_minutes:
            raise ValueError("max_daily_quota_minutes must be at least daily_quota_minutes")
        return self

    @property
    def quota_ceiling_minutes(self) -> int:
        return self.daily_quota_minutes if self.max_daily_quota_minutes is None else self.max_daily_quota_minutes


class GuardianSettings(BaseModel):
    """A guardian's settings for one minor; ``None`` keeps the provider's default. Curfew: both ends or neither."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    daily_quota_minutes: int | None = Field(default=None, ge=0, le=1440)
    curfew_start: str | None = None
    curfew_end: str | None = None
    rest_reminder_minutes: int | None = Field(default=None, ge=1, le=1440)

    @field_validator("curfew_start", "curfew_end")
    @classmethod
    def _tod(cls, v: str | None) -> str | None:
        if v is not None:
            parse_time_of_day(v)
        return v

    @model_validator(mode="after")
    def _pair(self) -> GuardianSettings:
        if (self.curfew_start is None) != (self.curfew_end is None):
            raise ValueError("set both curfew_start and curfew_end, or neither")
        return self


@dataclass(frozen=True)
class MinorVerdict:
    """Whether a user may be served now. ``retry_at`` (UTC) says when a refused user may use the service again
    (None: not today or ever under the current settings, e.g. a 0-minute quota)."""

    allowed: bool
    reason_code: str | None  # "curfew" | "quota" | None
    message_en: str
    message_zh: str
    retry_at: datetime | None
    remind: bool
    minor: bool
    used_seconds: int = 0
    quota_seconds: int | None = None

    @property
    def remaining_seconds(self) -> int | None:
        return None if self.quota_seconds is None else max(0, self.quota_seconds - self.used_seconds)

    def to_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "reason_code": self.reason_code,
            "message_en": self.message_en,
            "message_zh": self.message_zh,
            "retry_at": self.retry_at.isoformat() if self.retry_at else None,
            "remind": self.remind,
            "minor": self.minor,
            "used_seconds": self.used_seconds,
            "quota_seconds": self.quota_seconds,
        }


@dataclass(frozen=True)
class UsageSnapshot:
    """The latest usage row of a user (plain values)."""

    day: date
    seconds: int
    requests: int
    session_started_at: datetime | None
    session_seconds: int
    session_reminders: int
    last_seen_at: datetime | None


@dataclass(frozen=True)
class _Limits:
    quota_s: int
    curfew_start: int
    curfew_end: int
    rest_s: int  # 0: off


@dataclass
class _Cached:
    expires: float
    limits: _Limits
    usage: UsageSnapshot | None


def _snapshot(row: MinorUsage) -> UsageSnapshot:
    return UsageSnapshot(
        day=row.day, seconds=row.seconds, requests=row.requests, session_started_at=row.session_started_at,
        session_seconds=row.session_seconds, session_reminders=row.session_reminders, last_seen_at=row.last_seen_at,
    )


def _aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("naive datetime: pass a timezone-aware time")


class MinorGuard:
    """Minors' mode for the gateway. ``clock`` gives the current time (timezone-aware) for records that are not
    tied to a request (guardian settings); ``monotonic`` drives the cache TTL. ``on_event(kind, payload)`` is
    called when a guardian changes settings (ids and values only)."""

    def __init__(
        self, engine: Engine, rules: MinorRules | None = None, *, clock: Callable[[], datetime] | None = None,
        on_event: EventSink | None = None, cache_ttl_s: float = 2.0, monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._read = read_only(engine)
        self.rules = rules if rules is not None else MinorRules()
        self._tz = ZoneInfo(self.rules.timezone)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._on_event = on_event
        self.cache_ttl_s = cache_ttl_s
        self._monotonic = monotonic
        self._cache: dict[str, _Cached] = {}
        self._lock = threading.Lock()
        self._default = _Limits(
            quota_s=self.rules.daily_quota_minutes * 60,
            curfew_start=parse_time_of_day(self.rules.curfew_start),
            curfew_end=parse_time_of_day(self.rules.curfew_end),
            rest_s=self.rules.rest_reminder_minutes * 60,
        )

    # age ------------------------------------------------------------------------------------------------------
    @staticmethod
    def age_on(birth_date: date, today: date) -> int:
        return age_on(birth_date, today)

    def is_minor(self, birth_date: date | None, now: datetime) -> bool:
        """Whether minors' mode applies to someone born on ``birth_date`` (None: unknown) at ``now``."""
        _aware(now)
        if not self.rules.enabled:
            return False
        if birth_date is None:
            return self.rules.unknown_age_is_minor
        return age_on(birth_date, now.astimezone(self._tz).date()) < self.rules.age_of_majority

    # guardian settings ----------------------------------------------------------------------------------------
    def validate_guardian(self, settings: GuardianSettings) -> None:
        """Raise :class:`MinorRulesError` when ``settings`` loosen the provider's limits."""
        r = self.rules
        if settings.daily_quota_minutes is not None and settings.daily_quota_minutes > r.quota_ceiling_minutes:
            raise MinorRulesError(
                f"a guardian may set at most {r.quota_ceiling_minutes} minutes a day, not {settings.daily_quota_minutes}",
                f"监护人设置的每日时长最多为 {r.quota_ceiling_minutes} 分钟，不能设为 {settings.daily_quota_minutes} 分钟",
            )
        if settings.curfew_start is not None and settings.curfew_end is not None:
            mine = _intervals(parse_time_of_day(settings.curfew_start), parse_time_of_day(settings.curfew_end))
            theirs = _intervals(self._default.curfew_start, self._default.curfew_end)
            if not _covers(mine, theirs):
                raise MinorRulesError(
                    f"the curfew {settings.curfew_start}-{settings.curfew_end} does not cover the provider's curfew "
                    f"{r.curfew_start}-{r.curfew_end}; a guardian may lengthen the curfew, not shorten it",
                    f"禁用时段 {settings.curfew_start}-{settings.curfew_end} 未覆盖服务提供者规定的 "
                    f"{r.curfew_start}-{r.curfew_end}；监护人只能延长禁用时段，不能缩短",
                )
        if settings.rest_reminder_minutes is not None and r.rest_reminder_minutes > 0 \
                and settings.rest_reminder_minutes > r.rest_reminder_minutes:
            raise MinorRulesError(
                f"rest reminders must come at least every {r.rest_reminder_minutes} minutes, "
                f"not every {settings.rest_reminder_minutes}",
                f"休息提醒间隔不能超过 {r.rest_reminder_minutes} 分钟（设置为 {settings.rest_reminder_minutes} 分钟）",
            )

    def set_guardian(self, user_id: str, settings: GuardianSettings, *, guardian: str) -> None:
        """Store a guardian's settings for ``user_id`` (replacing earlier ones) after :meth:`validate_guardian`.
        ``guardian`` is a reference to the guardian (an id), recorded with the settings."""
        _check_user(user_id)
        if not guardian or len(guardian) > 200:
            raise MinorRulesError("guardian must be 1-200 characters", "guardian 须为 1-200 个字符")
        self.validate_guardian(settings)
        now = self._clock()
        values = settings.model_dump()
        with Session(self._engine) as s, s.begin():
            row = s.get(MinorGuardianSetting, user_id)
            if row is None:
                row = MinorGuardianSetting(user_id=user_id, set_by=guardian, updated_at=now, **values)
                s.add(row)
            else:
                for k, v in values.items():
                    setattr(row, k, v)
                row.set_by, row.updated_at = guardian, now
        self.invalidate(user_id)
        self._emit("minors.guardian", {"user_id": user_id, "guardian": guardian, "ts": now.isoformat(), **values})

    def clear_guardian(self, user_id: str, *, guardian: str) -> None:
        """Remove a guardian's settings (the provider's defaults apply again)."""
        now = self._clock()
        with Session(self._engine) as s, s.begin():
            row = s.get(MinorGuardianSetting, user_id)
            if row is not None:
                s.delete(row)
        self.invalidate(user_id)
        self._emit("minors.guardian_cleared", {"user_id": user_id, "guardian": guardian, "ts": now.isoformat()})

    def guardian_settings(self, user_id: str) -> GuardianSettings | None:
        with Session(self._read) as s:
            row = s.get(MinorGuardianSetting, user_id)
            return _guardian(row) if row is not None else None

    def _limits(self, g: GuardianSettings | None) -> _Limits:
        d = self._default
        if g is None:
            return d
        return _Limits(
            quota_s=d.quota_s if g.daily_quota_minutes is None else g.daily_quota_minutes * 60,
            curfew_start=d.curfew_start if g.curfew_start is None else parse_time_of_day(g.curfew_start),
            curfew_end=d.curfew_end if g.curfew_end is None else parse_time_of_day(g.curfew_end),
            rest_s=d.rest_s if g.rest_reminder_minutes is None else g.rest_reminder_minutes * 60,
        )

    # the hot path ---------------------------------------------------------------------------------------------
    def check(self, user_id: str, birth_date: date | None, now: datetime) -> MinorVerdict:
        """May ``user_id`` (born on ``birth_date``; None: unknown) be served at ``now``?"""
        if not self.is_minor(birth_date, now):
            return MinorVerdict(allowed=True, reason_code=None, message_en="", message_zh="", retry_at=None,
                                remind=False, minor=False)
        local = now.astimezone(self._tz)
        state = self._state(user_id)
        lim, usage = state.limits, state.usage
        used = usage.seconds if usage is not None and usage.day == local.date() else 0
        if _in_curfew(lim, local):
            retry = self._next_allowed(lim, local, used)
            en, zh = self._curfew_message(lim, retry)
            return MinorVerdict(allowed=False, reason_code="curfew", message_en=en, message_zh=zh, retry_at=retry,
                                remind=False, minor=True, used_seconds=used, quota_seconds=lim.quota_s)
        if used >= lim.quota_s:
            retry = self._next_allowed(lim, local, used)
            en, zh = self._quota_message(lim, retry)
            return MinorVerdict(allowed=False, reason_code="quota", message_en=en, message_zh=zh, retry_at=retry,
                                remind=False, minor=True, used_seconds=used, quota_seconds=lim.quota_s)
        remind = usage is not None and self._reminder_due(lim, usage, now)
        en = zh = ""
        if remind and usage is not None:
            minutes = usage.session_seconds // 60
            en = f"Minors' mode: you have been using the service for {minutes} minutes without a break. Please take a rest."
            zh = f"未成年人模式：你已连续使用 {minutes} 分钟，请注意休息。"
        return MinorVerdict(allowed=True, reason_code=None, message_en=en, message_zh=zh, retry_at=None,
                            remind=remind, minor=True, used_seconds=used, quota_seconds=lim.quota_s)

    def _live(self, usage: UsageSnapshot, now: datetime) -> bool:
        if usage.last_seen_at is None:
            return False
        return now - usage.last_seen_at <= timedelta(minutes=self.rules.session_gap_minutes)

    def _reminder_due(self, lim: _Limits, usage: UsageSnapshot, now: datetime) -> bool:
        return (lim.rest_s > 0 and self._live(usage, now)
                and usage.session_seconds >= (usage.session_reminders + 1) * lim.rest_s)

    def record_use(self, user_id: str, now: datetime, seconds: float = 0.0) -> UsageSnapshot:
        """Credit a served request that started at ``now`` and ran ``seconds`` (see the module's counting rule).
        Call it for minors' requests only (it is harmless for others). Returns the user's usage after it."""
        _check_user(user_id)
        _aware(now)
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        for attempt in range(3):
            try:
                snap, lim = self._record(user_id, now, seconds)
                break
            except IntegrityError:  # another process inserted today's row first
                if attempt == 2:
                    raise
        with self._lock:
            hit = self._cache.get(user_id)
            if hit is not None:
                hit.usage = snap
            else:
                self._put(user_id, _Cached(self._monotonic() + self.cache_ttl_s, lim, snap))
        return snap

    def _record(self, user_id: str, now: datetime, seconds: float) -> tuple[UsageSnapshot, _Limits]:
        today = now.astimezone(self._tz).date()
        with Session(self._engine, expire_on_commit=False) as s, s.begin():
            g = s.get(MinorGuardianSetting, user_id)
            lim = self._limits(_guardian(g) if g is not None else None)
            latest = s.execute(
                select(MinorUsage).where(MinorUsage.user_id == user_id)
                .order_by(MinorUsage.day.desc()).limit(1).with_for_update()
            ).scalars().first()
            if latest is not None and latest.day == today:
                row = latest
            else:
                row = MinorUsage(user_id=user_id, day=today, seconds=0, requests=0, session_seconds=0,
                                 session_reminders=0, updated_at=now)
                if latest is not None:  # carry the session over midnight
                    row.session_started_at = latest.session_started_at
                    row.session_seconds = latest.session_seconds
                    row.session_reminders = latest.session_reminders
                    row.last_seen_at = latest.last_seen_at
                s.add(row)
            before = _snapshot(row)
            if self._live(before, now):
                assert before.last_seen_at is not None
                gap = max(0.0, (now - before.last_seen_at).total_seconds())
                if self._reminder_due(lim, before, now) and lim.rest_s > 0:
                    row.session_reminders = before.session_seconds // lim.rest_s  # delivered with this request
            else:
                gap = 0.0
                row.session_started_at, row.session_seconds, row.session_reminders = now, 0, 0
            credit = round(gap + max(seconds, float(self.rules.min_request_seconds)))
            end = now + timedelta(seconds=seconds)
            row.seconds += credit
            row.requests += 1
            row.session_seconds += credit
            row.last_seen_at = end if before.last_seen_at is None else max(before.last_seen_at, end)
            row.updated_at = now
            s.flush()
            return _snapshot(row), lim

    def usage(self, user_id: str, day: date) -> int:
        """Active seconds credited to ``user_id`` on the local calendar ``day``."""
        with Session(self._read) as s:
            row = s.get(MinorUsage, (user_id, day))
            return row.seconds if row is not None else 0

    # cache ----------------------------------------------------------------------------------------------------
    def _state(self, user_id: str) -> _Cached:
        now = self._monotonic()
        with self._lock:
            hit = self._cache.get(user_id)
        if hit is not None and hit.expires > now:
            return hit
        with Session(self._read) as s:
            g = s.get(MinorGuardianSetting, user_id)
            latest = s.execute(
                select(MinorUsage).where(MinorUsage.user_id == user_id).order_by(MinorUsage.day.desc()).limit(1)
            ).scalars().first()
            state = _Cached(
                now + self.cache_ttl_s, self._limits(_guardian(g) if g is not None else None),
                _snapshot(latest) if latest is not None else None,
            )
        with self._lock:
            self._put(user_id, state)
        return state

    def _put(self, user_id: str, state: _Cached) -> None:
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[user_id] = state

    def invalidate(self, user_id: str | None = None) -> None:
        """Forget cached state (one user, or everyone)."""
        with self._lock:
            if user_id is None:
                self._cache.clear()
            else:
                self._cache.pop(user_id, None)

    # time arithmetic and messages -----------------------------------------------------------------------------
    def _at(self, day: date, sod: int) -> datetime:
        h, rest = divmod(sod, 3600)
        m, s = divmod(rest, 60)
        return datetime.combine(day, dtime(h, m, s), tzinfo=self._tz)

    def _next_allowed(self, lim: _Limits, local: datetime, used_today: int) -> datetime | None:
        """The first moment from ``local`` at which the user is neither in curfew nor over quota (UTC)."""
        if lim.quota_s == 0:
            return None
        day0, t = local.date(), local
        for _ in range(6):
            if _in_curfew(lim, t):
                day = t.date() if _sod(t) < lim.curfew_end else t.date() + timedelta(days=1)
                t = self._at(day, lim.curfew_end)
            elif t.date() == day0 and used_today >= lim.quota_s:
                t = self._at(day0 + timedelta(days=1), 0)
            else:
                return t.astimezone(UTC)
        return None  # pragma: no cover - curfew covering the whole day is impossible (start == end means none)

    def _when(self, t: datetime | None) -> tuple[str, str]:
        if t is None:
            return "", ""
        local = t.astimezone(self._tz).strftime("%Y-%m-%d %H:%M:%S")
        if self.rules.timezone == "Asia/Shanghai":
            return f"{local} (Beijing time)", f"{local}（北京时间）"
        return f"{local} ({self.rules.timezone})", f"{local}（{self.rules.timezone}）"

    def _curfew_message(self, lim: _Limits, retry: datetime | None) -> tuple[str, str]:
        start, end = _fmt_tod(lim.curfew_start), _fmt_tod(lim.curfew_end)
        w_en, w_zh = self._when(retry)
        en = f"Minors' mode: the service is not available from {start} to {end}."
        zh = f"未成年人模式：{start} 至 {end} 期间不提供服务。"
        if retry is None:
            return en + " Your daily usage time is set to 0 minutes.", zh + "你的每日使用时长被设置为 0 分钟。"
        return en + f" You can use it again from {w_en}.", zh + f"可于 {w_zh} 起再次使用。"

    def _quota_message(self, lim: _Limits, retry: datetime | None) -> tuple[str, str]:
        minutes = lim.quota_s // 60
        if retry is None:
            return ("Minors' mode: your daily usage time is set to 0 minutes, so the service is not available.",
                    "未成年人模式：你的每日使用时长被设置为 0 分钟，暂不能使用本服务。")
        w_en, w_zh = self._when(retry)
        return (f"Minors' mode: today's usage limit of {minutes} minutes has been reached. "
                f"You can use the service again from {w_en}.",
                f"未成年人模式：今日 {minutes} 分钟的使用时长已用完，可于 {w_zh} 起再次使用。")

    def _emit(self, kind: str, payload: dict[str, Any]) -> None:
        if self._on_event is not None:
            self._on_event(kind, payload)


def _sod(t: datetime) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def _in_curfew(lim: _Limits, local: datetime) -> bool:
    sod, s, e = _sod(local), lim.curfew_start, lim.curfew_end
    if s == e:
        return False
    return s <= sod < e if s < e else (sod >= s or sod < e)


def _guardian(row: MinorGuardianSetting) -> GuardianSettings:
    return GuardianSettings(
        daily_quota_minutes=row.daily_quota_minutes, curfew_start=row.curfew_start, curfew_end=row.curfew_end,
        rest_reminder_minutes=row.rest_reminder_minutes,
    )


def _check_user(user_id: str) -> None:
    if not user_id or len(user_id) > 64:
        raise ValueError("user_id must be 1-64 characters")

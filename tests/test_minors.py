"""Minors' mode: curfew and quota at the boundary seconds, day rollover in Asia/Shanghai, rest reminders, guardian
settings (SQLite and PostgreSQL, injected clock)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine

import pg
from hegui.services.minors import GuardianSettings, MinorGuard, MinorRules, MinorRulesError, age_on, parse_time_of_day
from hegui.store import make_engine, upgrade

pg_url = pg.pg_url  # pytest fixtures: a throwaway PostgreSQL server, and a fresh store per test
store_url = pg.store_url

CST = ZoneInfo("Asia/Shanghai")
CHILD = date(2012, 5, 1)  # 12 or 13 in 2025
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=CST)  # type: ignore[misc]


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    e = make_engine(store_url)
    upgrade(e)
    yield e
    e.dispose()


def guard(engine: Engine, **rules: Any) -> MinorGuard:
    return MinorGuard(engine, MinorRules(**rules), clock=lambda: T0)


# pure rules ---------------------------------------------------------------------------------------------------
def test_age_on() -> None:
    assert age_on(date(2007, 3, 2), date(2025, 3, 1)) == 17
    assert age_on(date(2007, 3, 2), date(2025, 3, 2)) == 18
    assert age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17  # leap-day birthday: of age on 1 March
    assert age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18
    assert MinorGuard.age_on(date(2000, 1, 1), date(2000, 1, 1)) == 0


def test_rules_validation() -> None:
    with pytest.raises(ValidationError):
        MinorRules(bedtime="21:00")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        MinorRules(curfew_start="25:00")
    with pytest.raises(ValidationError):
        MinorRules(daily_quota_minutes=60, max_daily_quota_minutes=30)
    with pytest.raises(ValidationError):
        MinorRules(timezone="Mars/Olympus")
    with pytest.raises(ValidationError):
        GuardianSettings(curfew_start="21:00")  # both ends or neither
    with pytest.raises(ValidationError):
        MinorRules().daily_quota_minutes = 10  # type: ignore[misc]  # frozen
    assert parse_time_of_day("06:00") == 6 * 3600
    assert parse_time_of_day("21:59:59") == 22 * 3600 - 1


def test_adults_and_unknown_age_always_allowed(engine: Engine) -> None:
    g = guard(engine)
    late = cst(2025, 3, 1, 23, 30)
    assert g.check("adult", date(1990, 1, 1), late).allowed
    v = g.check("unknown", None, late)
    assert v.allowed and not v.minor
    strict = guard(engine, unknown_age_is_minor=True)
    v = strict.check("unknown", None, late)
    assert not v.allowed and v.reason_code == "curfew"
    # the 18th birthday counts in Beijing time: 2025-03-02 00:30 CST is still 1 March in UTC
    born = date(2007, 3, 2)
    assert not g.check("u", born, cst(2025, 3, 1, 23, 59, 59)).allowed
    assert g.check("u", born, cst(2025, 3, 2, 0, 30)).allowed
    assert not guard(engine, enabled=False).is_minor(CHILD, late)


# curfew -------------------------------------------------------------------------------------------------------
def test_curfew_boundary_seconds_wrapping_midnight(engine: Engine) -> None:
    g = guard(engine)  # 22:00-06:00
    assert g.check("c", CHILD, cst(2025, 3, 1, 21, 59, 59)).allowed
    v = g.check("c", CHILD, cst(2025, 3, 1, 22, 0, 0))
    assert (v.allowed, v.reason_code, v.remind) == (False, "curfew", False)
    assert v.retry_at == cst(2025, 3, 2, 6, 0) and v.retry_at.tzinfo == UTC
    assert "22:00" in v.message_en and "06:00" in v.message_en and "2025-03-02 06:00:00" in v.message_en
    assert "22:00 至 06:00" in v.message_zh and "2025-03-02 06:00:00（北京时间）" in v.message_zh
    v = g.check("c", CHILD, cst(2025, 3, 2, 0, 0, 0))
    assert v.reason_code == "curfew" and v.retry_at == cst(2025, 3, 2, 6, 0)
    v = g.check("c", CHILD, cst(2025, 3, 2, 5, 59, 59))
    assert v.reason_code == "curfew" and v.retry_at == cst(2025, 3, 2, 6, 0)
    assert g.check("c", CHILD, cst(2025, 3, 2, 6, 0, 0)).allowed
    # 22:00 in Beijing is 14:00 UTC
    assert not g.check("c", CHILD, datetime(2025, 3, 1, 14, 0, tzinfo=UTC)).allowed
    assert g.check("c", CHILD, datetime(2025, 3, 1, 13, 59, 59, 999999, tzinfo=UTC)).allowed


def test_curfew_within_one_day_and_none(engine: Engine) -> None:
    g = guard(engine, curfew_start="12:00", curfew_end="13:30")
    assert g.check("c", CHILD, cst(2025, 3, 1, 11, 59, 59)).allowed
    v = g.check("c", CHILD, cst(2025, 3, 1, 12, 0))
    assert v.reason_code == "curfew" and v.retry_at == cst(2025, 3, 1, 13, 30)
    assert g.check("c", CHILD, cst(2025, 3, 1, 13, 30)).allowed
    assert g.check("c", CHILD, cst(2025, 3, 1, 23, 0)).allowed
    off = guard(engine, curfew_start="00:00", curfew_end="00:00")
    assert off.check("c", CHILD, cst(2025, 3, 1, 3, 0)).allowed


# quota --------------------------------------------------------------------------------------------------------
def test_quota_exactly_reached_and_one_second_over(engine: Engine) -> None:
    g = guard(engine, daily_quota_minutes=40, min_request_seconds=0)
    g.record_use("a", cst(2025, 3, 1, 10, 0), 2399)
    v = g.check("a", CHILD, cst(2025, 3, 1, 11, 0))
    assert v.allowed and v.used_seconds == 2399 and v.remaining_seconds == 1
    g.record_use("a", cst(2025, 3, 1, 11, 0), 1)  # after a long break: only its own second counts
    v = g.check("a", CHILD, cst(2025, 3, 1, 11, 1))
    assert (v.allowed, v.reason_code, v.used_seconds, v.remaining_seconds) == (False, "quota", 2400, 0)
    # midnight falls in the curfew, so the next allowed moment is 06:00 the next day
    assert v.retry_at == cst(2025, 3, 2, 6, 0)
    assert "40 minutes" in v.message_en and "2025-03-02 06:00:00 (Beijing time)" in v.message_en
    assert "40 分钟" in v.message_zh and "北京时间" in v.message_zh
    g.record_use("b", cst(2025, 3, 1, 10, 0), 2401)
    assert g.check("b", CHILD, cst(2025, 3, 1, 11, 0)).reason_code == "quota"
    # another process (a fresh guard, no cache) reads the same from the store
    assert guard(engine, daily_quota_minutes=40).check("a", CHILD, cst(2025, 3, 1, 11, 1)).reason_code == "quota"
    assert g.usage("a", date(2025, 3, 1)) == 2400


def test_day_rolls_over_at_midnight_in_shanghai_not_utc(engine: Engine) -> None:
    g = guard(engine, daily_quota_minutes=40, min_request_seconds=0, curfew_start="00:00", curfew_end="00:00")
    g.record_use("d", cst(2025, 3, 1, 15, 0), 2400)
    v = g.check("d", CHILD, cst(2025, 3, 1, 23, 59, 59))
    assert v.reason_code == "quota"
    assert v.retry_at == cst(2025, 3, 2, 0, 0) == datetime(2025, 3, 1, 16, 0, tzinfo=UTC)
    # 2025-03-02 00:00 CST is still 2025-03-01 in UTC: a fresh day here
    v = g.check("d", CHILD, datetime(2025, 3, 1, 16, 0, tzinfo=UTC))
    assert v.allowed and v.used_seconds == 0
    g.record_use("d", cst(2025, 3, 2, 0, 0), 10)
    assert g.usage("d", date(2025, 3, 1)) == 2400
    assert g.usage("d", date(2025, 3, 2)) == 10


def test_active_time_rule(engine: Engine) -> None:
    g = guard(engine, min_request_seconds=5, session_gap_minutes=10)
    t = cst(2025, 3, 1, 9, 0)
    g.record_use("r", t, 2)  # new session: max(2, 5) = 5
    g.record_use("r", t + timedelta(seconds=62), 3)  # gap 60 s since the first ended + max(3, 5) = 65
    g.record_use("r", t + timedelta(seconds=65 + 601), 0)  # gap over 10 min: a new session, 5
    snap = g.record_use("r", t + timedelta(seconds=65 + 601 + 600), 20)  # gap exactly 10 min still counts: 600 + 20
    assert snap.seconds == 5 + 65 + 5 + 620
    assert snap.requests == 4 and snap.session_seconds == 5 + 620
    assert MinorGuard(engine, MinorRules()).usage("r", date(2025, 3, 1)) == 695
    with pytest.raises(ValueError, match="naive"):
        g.record_use("r", datetime(2025, 3, 1, 9, 0), 1)


# rest reminders -----------------------------------------------------------------------------------------------
def test_rest_reminder(engine: Engine) -> None:
    g = guard(engine, rest_reminder_minutes=30, session_gap_minutes=10, min_request_seconds=0, daily_quota_minutes=600)
    t = cst(2025, 3, 1, 9, 0)
    for i in range(7):  # a request every 5 minutes: 0, 5, ..., 30 min -> 30 minutes of active time
        v = g.check("k", CHILD, t + timedelta(minutes=5 * i))
        assert v.allowed and not v.remind, i
        g.record_use("k", t + timedelta(minutes=5 * i), 0)
    v = g.check("k", CHILD, t + timedelta(minutes=35))
    assert v.remind and "30 minutes" in v.message_en and "连续使用 30 分钟" in v.message_zh
    g.record_use("k", t + timedelta(minutes=35), 0)  # the reminder was delivered with this request
    assert not g.check("k", CHILD, t + timedelta(minutes=40)).remind
    # after a break longer than the session gap, a new session starts: no reminder
    assert not g.check("k", CHILD, t + timedelta(minutes=35 + 11)).remind
    for i in range(8, 13):  # keep going: 40..60 min, the next reminder is due at 60 minutes of session time
        assert not g.check("k", CHILD, t + timedelta(minutes=5 * i)).remind
        g.record_use("k", t + timedelta(minutes=5 * i), 0)
    assert g.check("k", CHILD, t + timedelta(minutes=65)).remind


# guardians ----------------------------------------------------------------------------------------------------
def test_guardian_tightens_and_cannot_loosen_beyond_the_maximum(engine: Engine) -> None:
    events: list[tuple[str, dict[str, Any]]] = []
    g = MinorGuard(engine, MinorRules(daily_quota_minutes=40, max_daily_quota_minutes=60, min_request_seconds=0),
                   clock=lambda: T0, on_event=lambda k, p: events.append((k, p)))
    g.set_guardian("m", GuardianSettings(daily_quota_minutes=20, curfew_start="21:00", curfew_end="07:00",
                                         rest_reminder_minutes=20), guardian="parent-1")
    assert g.guardian_settings("m") == GuardianSettings(daily_quota_minutes=20, curfew_start="21:00",
                                                        curfew_end="07:00", rest_reminder_minutes=20)
    assert events and events[-1][0] == "minors.guardian" and events[-1][1]["user_id"] == "m"
    assert g.check("m", CHILD, cst(2025, 3, 1, 20, 59, 59)).allowed
    v = g.check("m", CHILD, cst(2025, 3, 1, 21, 0))
    assert v.reason_code == "curfew" and v.retry_at == cst(2025, 3, 2, 7, 0)
    g.record_use("m", cst(2025, 3, 1, 10, 0), 1200)
    v = g.check("m", CHILD, cst(2025, 3, 1, 11, 0))
    assert v.reason_code == "quota" and v.quota_seconds == 1200
    assert g.check("other", CHILD, cst(2025, 3, 1, 21, 30)).allowed  # others keep the provider's 22:00
    # loosening within the provider's maximum is allowed; beyond it is refused
    g.set_guardian("m", GuardianSettings(daily_quota_minutes=60), guardian="parent-1")
    assert g.check("m", CHILD, cst(2025, 3, 1, 11, 0)).allowed
    with pytest.raises(MinorRulesError, match="at most 60") as err:
        g.set_guardian("m", GuardianSettings(daily_quota_minutes=61), guardian="parent-1")
    assert "60 分钟" in err.value.zh
    with pytest.raises(MinorRulesError, match="does not cover"):
        g.set_guardian("m", GuardianSettings(curfew_start="23:00", curfew_end="05:00"), guardian="parent-1")
    with pytest.raises(MinorRulesError, match="does not cover"):
        g.set_guardian("m", GuardianSettings(curfew_start="00:00", curfew_end="00:00"), guardian="parent-1")
    with pytest.raises(MinorRulesError):
        g.set_guardian("m", GuardianSettings(rest_reminder_minutes=45), guardian="parent-1")
    g.set_guardian("m", GuardianSettings(curfew_start="22:00", curfew_end="06:00"), guardian="parent-1")
    g.set_guardian("m", GuardianSettings(curfew_start="20:00", curfew_end="08:00:30"), guardian="parent-1")
    g.clear_guardian("m", guardian="parent-1")
    assert g.guardian_settings("m") is None
    # without a maximum, the default is the ceiling: guardians can only tighten
    strict = guard(engine, daily_quota_minutes=40)
    with pytest.raises(MinorRulesError):
        strict.set_guardian("n", GuardianSettings(daily_quota_minutes=41), guardian="parent-2")
    strict.set_guardian("n", GuardianSettings(daily_quota_minutes=0), guardian="parent-2")
    v = strict.check("n", CHILD, cst(2025, 3, 1, 10, 0))
    assert v.reason_code == "quota" and v.retry_at is None and "0 分钟" in v.message_zh

"""The abuse ladder: escalation exactly as configured, the window, suspension ending at ``until``, appeals,
overrides, termination, the published document and audit events (SQLite and PostgreSQL, injected clock)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine

import pg
from hegui.services.conduct import ABUSE_CODES, ConductError, ConductService, LadderRules, LadderStep
from hegui.store import make_engine, upgrade

pg_url = pg.pg_url  # pytest fixtures: a throwaway PostgreSQL server, and a fresh store per test
store_url = pg.store_url

T0 = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
SPAM = "X.ABUSE.SPAM"

RULES = LadderRules(
    window_days=90,
    steps=(
        LadderStep(after=1, action="warn"),
        LadderStep(after=3, action="restrict", minutes=60),
        LadderStep(after=5, action="suspend", days=7),
        LadderStep(after=8, action="terminate"),
    ),
)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def tick(self, **kw: float) -> datetime:
        self.now += timedelta(**kw)
        return self.now


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    e = make_engine(store_url)
    upgrade(e)
    yield e
    e.dispose()


def service(engine: Engine, clock: Clock, rules: LadderRules = RULES,
            events: list[tuple[str, dict[str, Any]]] | None = None) -> ConductService:
    sink = (lambda k, p: events.append((k, p))) if events is not None else None
    return ConductService(engine, rules, clock=clock, on_event=sink)


def violate(svc: ConductService, clock: Clock, user: str, n: int, *, severity: str = "medium") -> list[str]:
    actions = []
    for _ in range(n):
        clock.tick(seconds=1)
        actions.append(svc.record_violation(user, SPAM, severity, f"req-{clock.now.timestamp()}").action)
    return actions


def test_ladder_escalates_exactly_as_configured(engine: Engine) -> None:
    clock, events = Clock(T0), []  # type: list[tuple[str, dict[str, Any]]]
    svc = service(engine, clock, events=events)
    assert svc.current("u").action == "none"
    s = svc.record_violation("u", SPAM, "medium", "r1")
    assert (s.action, s.until, s.reason_codes, s.points) == ("warn", T0 + timedelta(days=90), (SPAM,), 1)
    assert "spam and bulk posting" in s.message_en and "垃圾信息与批量发布" in s.message_zh
    warn_id = s.sanction_id
    assert violate(svc, clock, "u", 1) == ["warn"]
    assert svc.current("u").sanction_id == warn_id  # no new sanction below the next threshold
    clock.tick(seconds=1)
    s = svc.record_violation("u", "X.ABUSE.FAKE_REVIEW", "medium", "r3")
    assert (s.action, s.until, s.requests_per_hour) == ("restrict", clock.now + timedelta(minutes=60), 10)
    assert s.reason_codes == ("X.ABUSE.FAKE_REVIEW", SPAM) and not s.blocks
    assert "10 requests per hour" in s.message_en and "每小时最多可发起 10 次请求" in s.message_zh
    assert violate(svc, clock, "u", 1) == ["restrict"]
    clock.tick(seconds=1)
    s = svc.record_violation("u", SPAM, "medium", "r5")
    assert (s.action, s.until, s.blocks) == ("suspend", clock.now + timedelta(days=7), True)
    local_until = (clock.now + timedelta(days=7)).astimezone(ZoneInfo("Asia/Shanghai"))
    assert local_until.strftime("%Y-%m-%d %H:%M:%S") in s.message_en and "北京时间" in s.message_zh
    assert violate(svc, clock, "u", 2) == ["suspend", "suspend"]
    assert violate(svc, clock, "u", 1) == ["terminate"]
    s = svc.current("u")
    assert s.until is None and s.blocks and s.points == 8
    sanctions = [p for k, p in events if k == "conduct.sanction"]
    assert [(p["action"], p["threshold"], p["points"]) for p in sanctions] == [
        ("warn", 1, 1), ("restrict", 3, 3), ("suspend", 5, 5), ("terminate", 8, 8)]
    assert len([k for k, _ in events if k == "conduct.violation"]) == 8
    # terminate is permanent: long after every violation has left the window
    assert svc.current("u", clock.now + timedelta(days=3650)).action == "terminate"
    assert ConductService(engine, RULES, clock=clock).current("u").action == "terminate"  # from the store


def test_suspension_ends_exactly_at_until(engine: Engine) -> None:
    clock = Clock(T0)
    svc = service(engine, clock)
    violate(svc, clock, "s", 5)
    s = svc.current("s")
    assert s.action == "suspend" and s.until is not None
    until = s.until
    assert svc.current("s", until - timedelta(microseconds=1)).action == "suspend"
    after = svc.current("s", until)
    assert after.action == "warn" and not after.blocks  # the warning stands for the window
    assert ConductService(engine, RULES, clock=clock).current("s", until).action == "warn"
    assert svc.current("s", T0 + timedelta(days=90, seconds=1)).action == "none"


def test_window_expires_old_violations(engine: Engine) -> None:
    clock = Clock(T0)
    svc = service(engine, clock)
    violate(svc, clock, "w", 2)  # at T0+1s and T0+2s: a warning
    assert svc.points("w") == 2
    clock.now = T0 + timedelta(days=90, seconds=1)  # the first leaves the window exactly now
    assert svc.points("w") == 1
    s = svc.record_violation("w", SPAM, "medium", "late")
    assert s.points == 0 and s.action == "none"  # 2 points: no threshold crossed; the first warning has ended
    assert svc.points("w") == 2
    clock.now = T0 + timedelta(days=90, seconds=2)
    assert svc.points("w") == 1
    # the same history one microsecond earlier: all three count and the restriction applies
    c2 = Clock(T0)
    s2 = service(engine, c2)
    violate(s2, c2, "w2", 2)
    c2.now = T0 + timedelta(days=90, seconds=1) - timedelta(microseconds=1)
    assert s2.record_violation("w2", SPAM, "medium", "late2").action == "restrict"


def test_weights_and_codes_that_do_not_count(engine: Engine) -> None:
    clock = Clock(T0)
    rules = RULES.model_copy(update={"severity_weights": {"low": 0, "medium": 1, "high": 5}})
    svc = service(engine, clock, rules)
    assert svc.record_violation("h", "A1.1", "high", "x1").action == "none"  # not an abuse code: 0 points
    assert svc.record_violation("h", SPAM, "low", "x2").action == "none"  # weight 0
    assert [v.weight for v in svc.violations("h")] == [0, 0]
    s = svc.record_violation("h", "X.ABUSE.MALWARE", "high", "x3")  # 0 -> 5 crosses 1, 3 and 5: the highest applies
    assert s.action == "suspend" and s.reason_codes == ("X.ABUSE.MALWARE",)
    with pytest.raises(Exception, match="unknown risk code"):
        svc.record_violation("h", "NOPE", "high", "x4")


def test_upheld_appeal_restores_access_and_uncounts_violations(engine: Engine) -> None:
    clock, events = Clock(T0), []  # type: list[tuple[str, dict[str, Any]]]
    svc = service(engine, clock, events=events)
    with pytest.raises(ConductError, match="no sanction"):
        svc.appeal("a", "ticket-0")
    violate(svc, clock, "a", 5)
    suspended = svc.current("a")
    assert suspended.action == "suspend"
    appeal = svc.appeal("a", "ticket-1")
    assert appeal.status == "pending" and appeal.sanction_id == suspended.sanction_id
    with pytest.raises(ConductError, match="already pending"):
        svc.appeal("a", "ticket-2")
    clock.tick(hours=1)
    decided = svc.decide_appeal(appeal.id, upheld=True, reviewer="rev-1")
    assert decided.status == "upheld" and decided.reviewer == "rev-1" and len(decided.voided_violations) == 5
    assert svc.current("a").action == "none"  # access restored: the warning and restriction rested on them too
    assert svc.points("a") == 0
    assert all(v.voided_by == appeal.id for v in svc.violations("a"))
    with pytest.raises(ConductError, match="already decided"):
        svc.decide_appeal(appeal.id, upheld=False, reviewer="rev-1")
    # the voided violations no longer count: the next one is a first warning again
    assert violate(svc, clock, "a", 1) == ["warn"]
    assert svc.points("a") == 1
    kinds = [k for k, _ in events]
    assert "conduct.appeal" in kinds and "conduct.appeal_decided" in kinds
    payload = dict(events[kinds.index("conduct.appeal_decided")][1])
    assert payload["upheld"] is True and sorted(payload["voided_violation_ids"]) == sorted(decided.voided_violations)
    assert suspended.sanction_id in payload["revoked_sanction_ids"]


def test_rejected_appeal_changes_nothing(engine: Engine) -> None:
    clock = Clock(T0)
    svc = service(engine, clock)
    violate(svc, clock, "r", 3)
    appeal = svc.appeal("r", "ticket-9")
    decided = svc.decide_appeal(appeal.id, upheld=False, reviewer="rev-2")
    assert decided.status == "rejected" and svc.current("r").action == "restrict" and svc.points("r") == 3
    assert svc.get_appeal(appeal.id) is not None and svc.get_appeal("missing") is None
    with pytest.raises(ConductError):
        svc.decide_appeal("missing", upheld=True, reviewer="rev-2")


def test_manual_override_and_termination(engine: Engine) -> None:
    clock, events = Clock(T0), []  # type: list[tuple[str, dict[str, Any]]]
    svc = service(engine, clock, events=events)
    s = svc.override("o", "suspend", T0 + timedelta(days=3), "rev-3", "bulk fake reviews, ticket 42")
    assert (s.action, s.source, s.until, s.reason_codes) == ("suspend", "override", T0 + timedelta(days=3), ())
    assert "manual review" in s.message_en and "人工审核" in s.message_zh
    assert svc.current("o", T0 + timedelta(days=3)).action == "none"
    payload = events[-1][1]
    assert events[-1][0] == "conduct.override" and "reason" not in payload and len(payload["reason_sha256"]) == 64
    # terminate by the ladder, then lifted by a reviewer
    violate(svc, clock, "o", 8)
    assert svc.current("o").action == "terminate"
    clock.tick(days=400)
    assert svc.current("o").action == "terminate"
    s = svc.override("o", "none", None, "rev-3", "identity confirmed, account compromised")
    assert s.action == "none" and not s.blocks
    # the ledger is unchanged, and the next violation does not re-cross a threshold inside the window
    assert violate(svc, clock, "o", 1) == ["warn"]  # old ones left the window long ago: points 1 again
    s = svc.override("o", "restrict", None, "rev-4", "until further notice", requests_per_hour=2)
    assert (s.action, s.requests_per_hour, s.until) == ("restrict", 2, None)
    assert "until further notice" in s.message_en and "直至另行通知" in s.message_zh
    with pytest.raises(ConductError):
        svc.override("o", "ban", None, "rev-4", "x")
    with pytest.raises(ConductError, match="future"):
        svc.override("o", "suspend", clock.now, "rev-4", "x")


def test_override_none_keeps_position_on_the_ladder(engine: Engine) -> None:
    clock = Clock(T0)
    svc = service(engine, clock)
    violate(svc, clock, "p", 8)
    svc.override("p", "none", None, "rev-5", "second chance")
    assert violate(svc, clock, "p", 1) == ["none"]  # 9 points: still on the terminate step, not crossed again


def test_ladder_document_and_rules_validation() -> None:
    doc = RULES.document()
    assert [s["action"] for s in doc.data["steps"]] == ["warn", "restrict", "suspend", "terminate"]
    assert doc.data["window_days"] == 90 and [c["code"] for c in doc.data["counted_codes"]] == list(ABUSE_CODES)
    assert "| 3 | Restriction for 1 hour: at most 10 requests per hour |" in doc.markdown_en
    assert "| 5 | Suspension of service for 7 days |" in doc.markdown_en
    assert "| 5 | 暂停服务 7 天 |" in doc.markdown_zh and "申诉" in doc.markdown_zh
    assert set(doc.to_dict()) == {"rules", "markdown_en", "markdown_zh"}
    assert len(ABUSE_CODES) == 4
    with pytest.raises(ValidationError):
        LadderRules(steps=(LadderStep(after=3, action="warn"), LadderStep(after=2, action="suspend", days=1)))
    with pytest.raises(ValidationError):
        LadderRules(steps=(LadderStep(after=1, action="suspend", days=1), LadderStep(after=2, action="warn")))
    with pytest.raises(ValidationError):
        LadderStep(after=1, action="terminate", days=1)
    with pytest.raises(ValidationError):
        LadderStep(after=1, action="restrict")
    with pytest.raises(ValidationError):
        LadderRules(counted_codes=("X.NOPE",))
    with pytest.raises(ValidationError):
        LadderRules(steps=())
    with pytest.raises(ValidationError):
        LadderRules(window=30)  # type: ignore[call-arg]

"""Complaints and reports (SQLite and PostgreSQL): intake with acknowledgement, unknown and duplicate reports that
change nothing, encrypted contact details, the workflow and its illegal moves, SLA deadlines at the boundary,
decisions seen by the complainant, appeals, erasure, and events without personal data."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, text

import pg
from hegui.core.errors import ConfigError
from hegui.services.accounts import AccountService
from hegui.services.complaints import ComplaintError, ComplaintRules, ComplaintService
from hegui.services.crypto import KeyRing
from hegui.store import make_engine, upgrade

pg_url = pg.pg_url  # pytest fixtures: a throwaway PostgreSQL server, and a fresh store per test
store_url = pg.store_url

SECRET = b"s" * 32
T0 = datetime(2025, 6, 1, 4, 0, 0, tzinfo=UTC)  # 12:00 in China
CONTACT = "13912345678"
EMAIL = "Li.Si@example.com"
DESCRIPTION = "这个回答里有张三丰的住址"


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@dataclass
class World:
    engine: Engine
    svc: ComplaintService
    keyring: KeyRing
    clock: Clock
    account_id: str
    known: dict[str, Any]
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


@pytest.fixture
def world(store_url: str) -> Iterator[World]:
    engine = make_engine(store_url)
    upgrade(engine)
    account = AccountService(engine).create_account("app")
    clock = Clock()
    keyring = KeyRing(engine, bytes(range(32)))
    known: dict[str, Any] = {"req-1": T0 - timedelta(hours=1), "req-2": True, "req-old": T0 - timedelta(days=181)}
    events: list[tuple[str, dict[str, Any]]] = []
    svc = ComplaintService(
        engine, keyring, ComplaintRules(ack_hours=24, resolve_days=15), secret_key=SECRET, clock=clock,
        on_event=lambda k, p: events.append((k, p)), exists=known.get,
    )
    yield World(engine, svc, keyring, clock, account.id, known, events)
    engine.dispose()


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: int(conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one())
                for t in inspect(engine).get_table_names()}


def _report(w: World, request_id: str | None = "req-1", reporter: str | None = "u-1", **kw: Any) -> Any:
    args: dict[str, Any] = {"channel": "api", "account_id": w.account_id, "request_id": request_id,
                            "category": "rights", "description": DESCRIPTION, "contact": CONTACT,
                            "reporter": reporter}
    args.update(kw)
    return w.svc.submit("report_output", **args)


# intake -------------------------------------------------------------------------------------------------------
def test_submit_acknowledges_with_number_and_deadline(world: World) -> None:
    t = _report(world)
    assert re.fullmatch(r"HG-20250601-[0-9A-HJKMNP-TV-Z]{6}", t.number)
    assert t.status == "received" and not t.overdue and not t.duplicate
    assert t.due_at == T0 + timedelta(days=15) and t.triage_due_at == T0 + timedelta(hours=24)
    assert t.number in t.ack_en and t.number in t.ack_zh
    assert "2025-06-16 12:00" in t.ack_en and "北京时间" in t.ack_zh
    other = _report(world, "req-2", reporter="u-2")
    assert other.number != t.number
    assert [k for k, _ in world.events] == ["complaint.submitted", "complaint.submitted"]
    assert world.svc.get(t.number) == world.svc.get(t.id)


def test_unknown_request_is_refused_and_changes_nothing(world: World) -> None:
    before = _counts(world.engine)
    with pytest.raises(ComplaintError) as e:
        _report(world, "no-such-request")
    assert e.value.code == "unknown_request"
    assert "request id" in e.value.en and "请求编号" in e.value.zh
    with pytest.raises(ComplaintError) as e:
        _report(world, None)
    assert e.value.code == "unknown_request"
    with pytest.raises(ComplaintError) as e:
        _report(world, "req-old")
    assert e.value.code == "report_window_passed" and "complaint" in e.value.en
    assert _counts(world.engine) == before
    assert world.events == []


def test_duplicate_report_returns_the_open_ticket_and_changes_nothing(world: World) -> None:
    first = _report(world)
    before = _counts(world.engine)
    events = len(world.events)
    world.clock.advance(hours=1)
    again = _report(world, contact="someone else", description="again")
    assert again.duplicate and again.id == first.id and again.number == first.number
    assert _counts(world.engine) == before and len(world.events) == events
    # another reporter of the same answer is a new ticket, and so is the same reporter once the first is closed
    assert not _report(world, reporter="u-2").duplicate
    world.svc.transition(first, "triage", actor="rev-1")
    world.svc.decide(first, outcome="rejected", decision_zh="不违规", decision_en="not a violation", actor="rev-1")
    assert not _report(world).duplicate


def test_bad_input_is_refused_bilingually(world: World) -> None:
    before = _counts(world.engine)
    for kw in ({"category": "nope"}, {"description": ""}, {"description": "x" * 2001}, {"channel": "fax"}):
        with pytest.raises(ComplaintError) as e:
            _report(world, **kw)
        assert e.value.code == "invalid" and e.value.zh != e.value.en
    assert _counts(world.engine) == before
    no_lookup = ComplaintService(world.engine, world.keyring, secret_key=SECRET, clock=world.clock)
    with pytest.raises(ConfigError):
        no_lookup.submit("report_output", channel="web", account_id=None, request_id="req-1", category="other",
                         description="d", contact=None, reporter=None)
    # a complaint without a request id needs no lookup
    t = no_lookup.submit("complaint", channel="web", account_id=None, request_id=None, category="service",
                         description="slow", contact=EMAIL, reporter=None)
    assert t.kind == "complaint"


def test_contact_and_description_unreadable_in_raw_tables(world: World) -> None:
    t = _report(world, contact=EMAIL)
    world.svc.add_note(t, "rev-1", "called 13800138000 back")
    raw: list[bytes] = []
    with world.engine.connect() as conn:
        for table in ("complaint_tickets", "complaint_log"):
            for row in conn.execute(text(f"SELECT * FROM {table}")):
                raw.extend(bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for v in row)
    blob = b"|".join(raw)
    for secret in (EMAIL, EMAIL.lower(), DESCRIPTION, "u-1", "13800138000"):
        assert secret.encode() not in blob
    d = world.svc.read(t, actor="rev-1")
    assert d.contact == EMAIL and d.description == DESCRIPTION
    assert [e.action for e in d.log] == ["submit", "note"] and d.log[1].text == "called 13800138000 back"
    world.svc.erase_personal_data(t, actor="dpo")
    d = world.svc.read(t, actor="rev-1")
    assert d.contact is None and d.description is None and d.log[1].text is None and d.ticket.erased
    with world.engine.connect() as conn:
        row = conn.execute(text("SELECT contact_enc, description_enc, contact_hmac, reporter_hmac "
                                "FROM complaint_tickets")).one()
    assert all(v is None for v in row)


# workflow -----------------------------------------------------------------------------------------------------
def test_lifecycle_decision_and_appeal(world: World) -> None:
    t = _report(world)
    t = world.svc.assign(t, "rev-1", actor="lead")
    assert t.assignee == "rev-1"
    t = world.svc.transition(t, "triage", actor="rev-1", note="looks real")
    t = world.svc.transition(t, "in_review", actor="rev-1")
    pub = world.svc.get_public(t.number.lower())
    assert pub.status == "in_review" and pub.decision_en is None and not pub.can_appeal
    world.clock.advance(days=2)
    t = world.svc.decide(t, outcome="resolved", decision_zh="已删除并整改", decision_en="removed and fixed",
                         actor="rev-1")
    assert t.status == "resolved" and t.outcome == "resolved" and t.decided_at == world.clock.now
    pub = world.svc.get_public(t.number)
    assert (pub.status, pub.decision_en, pub.decision_zh) == ("resolved", "removed and fixed", "已删除并整改")
    assert pub.can_appeal and pub.appeal_until == world.clock.now + timedelta(days=15)
    assert set(pub.to_dict()) >= {"number", "status", "decision_en", "decision_zh"}
    world.clock.advance(days=1)
    t = world.svc.appeal(t.number, "the answer is still there")
    assert t.status == "appealed" and t.appeals == 1 and t.assignee is None
    assert t.due_at == world.clock.now + timedelta(days=15)
    t = world.svc.transition(t, "in_review", actor="rev-2")
    t = world.svc.decide(t, outcome="rejected", decision_zh="维持原决定", decision_en="decision upheld", actor="rev-2")
    with pytest.raises(ComplaintError) as e:
        world.svc.appeal(t.number, "again")
    assert e.value.code == "appeal_not_allowed"
    kinds = [k for k, _ in world.events]
    assert kinds == ["complaint.submitted", "complaint.assigned", "complaint.transition", "complaint.transition",
                     "complaint.decided", "complaint.appealed", "complaint.transition", "complaint.decided"]
    assert [t.number for t in world.svc.list(status="rejected")] == [t.number]
    assert world.svc.list(kind="complaint") == []


def test_illegal_transitions_change_nothing(world: World) -> None:
    t = _report(world)
    before = _counts(world.engine)
    bad: list[tuple[str, str]] = [("in_review", "received->in_review"), ("resolved", "decide only"),
                                  ("appealed", "appeal only"), ("received", "no way back"), ("bogus", "unknown")]
    for to, _why in bad:
        with pytest.raises(ComplaintError):
            world.svc.transition(t, to, actor="rev-1")
    with pytest.raises(ComplaintError) as e:
        world.svc.decide(t, outcome="resolved", decision_zh="x", decision_en="x", actor="rev-1")
    assert e.value.code == "illegal_transition" and "triage" in e.value.en
    with pytest.raises(ComplaintError) as e:
        world.svc.appeal(t.number, "why")
    assert e.value.code == "appeal_not_allowed"
    with pytest.raises(ComplaintError) as e:
        world.svc.get_public("HG-20250601-ZZZZZZ")
    assert e.value.code == "unknown_ticket"
    assert _counts(world.engine) == before
    assert world.svc.get(t.id) == t
    world.svc.transition(t, "triage", actor="rev-1")
    world.svc.decide(t, outcome="rejected", decision_zh="x", decision_en="x", actor="rev-1")
    for to in ("triage", "in_review"):
        with pytest.raises(ComplaintError):
            world.svc.transition(t, to, actor="rev-1")
    with pytest.raises(ComplaintError):
        world.svc.assign(t, "rev-2")


def test_appeal_window_closes_at_the_boundary(world: World) -> None:
    t = _report(world)
    world.svc.transition(t, "triage", actor="r")
    world.svc.decide(t, outcome="rejected", decision_zh="x", decision_en="x", actor="r")
    world.clock.advance(days=15)
    assert not world.svc.get_public(t.number).can_appeal
    with pytest.raises(ComplaintError) as e:
        world.svc.appeal(t.number, "late")
    assert e.value.code == "appeal_not_allowed" and "15 days" in e.value.en


# SLA ----------------------------------------------------------------------------------------------------------
def test_overdue_at_the_boundary(world: World) -> None:
    t = _report(world)
    assert world.svc.overdue(T0 + timedelta(hours=24) - timedelta(microseconds=1)) == []
    late = world.svc.overdue(T0 + timedelta(hours=24))  # not triaged within ack_hours
    assert [x.id for x in late] == [t.id] and late[0].overdue
    world.svc.transition(t, "triage", actor="r")
    assert world.svc.overdue(T0 + timedelta(days=2)) == []
    due = T0 + timedelta(days=15)
    assert world.svc.overdue(due - timedelta(seconds=1)) == []
    assert [x.id for x in world.svc.overdue(due)] == [t.id]
    world.clock.now = due
    assert world.svc.get(t.id) is not None and world.svc.get(t.id).overdue  # type: ignore[union-attr]
    world.svc.decide(t, outcome="resolved", decision_zh="x", decision_en="x", actor="r")
    assert world.svc.overdue(due + timedelta(days=100)) == []
    assert world.events[-1][1]["on_time"] is False


def test_events_carry_no_personal_data(world: World) -> None:
    t = _report(world, contact=EMAIL)
    world.svc.add_note(t, "rev-1", "secret note 13800138000")
    world.svc.transition(t, "triage", actor="rev-1", note="private")
    world.svc.read(t, actor="rev-1")
    world.svc.decide(t, outcome="resolved", decision_zh="好", decision_en="ok", actor="rev-1")
    world.svc.appeal(t.number, "appeal text 13800138000")
    dumped = json.dumps([p for _, p in world.events], ensure_ascii=False)
    for secret in (EMAIL, DESCRIPTION, "13800138000", "private", "u-1", CONTACT):
        assert secret not in dumped
    assert "complaint.viewed" in [k for k, _ in world.events]


def test_process_document_states_the_time_limits() -> None:
    doc = ComplaintRules(resolve_days=10, ack_hours=12, channels_en=("e-mail: x@y.cn",),
                         channels_zh=("邮箱：x@y.cn",)).process_document()
    assert "10 calendar days" in doc.markdown_en and "12 hours" in doc.markdown_en
    assert "10 个自然日" in doc.markdown_zh and "12 小时" in doc.markdown_zh
    assert "x@y.cn" in doc.markdown_en and "x@y.cn" in doc.markdown_zh
    assert doc.data["resolve_days"] == 10 and doc.to_dict()["process"]["ack_hours"] == 12
    with pytest.raises(ValueError):
        ComplaintRules(bogus=1)  # type: ignore[call-arg]

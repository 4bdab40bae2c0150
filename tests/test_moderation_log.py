"""The console's moderation log and review queue (``ModerationLogService``), on SQLite and PostgreSQL: the index is
built incrementally and idempotently from the audit chain's exchange events (also with two refreshers at once),
the filters (risk-code prefixes, time ranges, end users), each decision's evidence with the redacted texts (gone
after the retention purge, the entry stays), and the clear / escalate state machine with its audit events (never
the note)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

import pg
from hegui.services import Services
from hegui.services.moderation_log import ModerationLogError, ModerationLogService, ModerationQuery
from hegui.services.records import pseudonymise
from hegui.services.types import ExchangeRecord, StageRecord
from hegui.store import AuditEvent
from hegui.store.moderation_models import ModerationCursor, ModerationEntry

pg_url = pg.pg_url  # pytest fixtures: a throwaway PostgreSQL server, and a fresh store per test
store_url = pg.store_url

SECRET = b"s" * 32
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
NOTE = "looks like satire about 某某, harmless"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def svc(store_url: str, tmp_path: Path) -> Iterator[Services]:
    with Services.open(store_url, secret_key=SECRET, data_dir=tmp_path / "data", retention_days=30,
                       clock=Clock(T0 + timedelta(days=1))) as s:
        yield s


def stage(stage_: str = "input", action: str = "pass", level: str = "none", cats: tuple[str, ...] = (),
          failed: tuple[str, ...] = (), reasons: tuple[str, ...] = ()) -> StageRecord:
    return StageRecord(stage=stage_, action=action, risk_level=level, categories=cats,
                       detectors_run=("lexicon", "pii"), detectors_failed=failed, reasons=reasons)


def record(svc: Services, rid: str, *, minutes: int = 0, stages: tuple[StageRecord, ...] = (), outcome: str = "ok",
           account: str = "acct1", user: str | None = "alice", user_id: str | None = None,
           text: str = "你好", answer: str = "您好") -> None:
    svc.records.record(ExchangeRecord(
        request_id=rid, ts=T0 + timedelta(minutes=minutes), endpoint="chat.completions", outcome=outcome,
        http_status=200 if outcome == "ok" else 400, account_id=account, key_id="key1", end_user=user,
        model="fake", upstream="fake", stages=stages, input_text=text, output_text=answer,
        latency_ms={"input": 1.5, "total": 12.25}, user_id=user_id,
    ))


def seed(svc: Services) -> None:
    record(svc, "r-pass", minutes=0, stages=(stage(), stage("output")))
    record(svc, "r-review", minutes=10, stages=(stage(action="review", level="low", cats=("A1.1",),
                                                      reasons=("in-a1",)), stage("output")),
           text="请联系我 13812345678", answer="好的")
    record(svc, "r-block", minutes=20, outcome="blocked_output", account="acct2", user="bob", user_id="u-bob",
           stages=(stage(action="review", level="medium", cats=("A4.6",)),
                   stage("output", action="block", level="high", cats=("A1.2", "A4.6"), failed=("classifier",))))
    record(svc, "r-abuse", minutes=30, stages=(stage(action="review", level="low", cats=("X.ABUSE.SPAM",)),))
    svc.audit.append("console.login_ok", {"username": "rita"})  # not an exchange: not indexed


def rows(svc: Services) -> dict[str, ModerationEntry]:
    with Session(svc.engine, expire_on_commit=False) as s:
        return {r.request_id: r for r in s.scalars(select(ModerationEntry))}


def test_refresh_is_incremental_and_idempotent(svc: Services) -> None:
    mod = svc.moderation
    assert mod.refresh() == 0 and mod.cursor() == 0
    seed(svc)
    assert mod.refresh(limit=1) == 1  # a limit stops early; the rest comes next time
    assert mod.refresh(batch=2) == 3
    assert mod.refresh() == 0
    got = rows(svc)
    assert set(got) == {"r-pass", "r-review", "r-block", "r-abuse"}
    p, r, b = got["r-pass"], got["r-review"], got["r-block"]
    assert (p.action, p.risk_level, p.categories, p.review_status, p.detectors_failed) == ("pass", "none", "", None,
                                                                                          False)
    assert (r.action, r.risk_level, r.categories, r.review_status) == ("review", "low", ",A1.1,", "open")
    assert r.end_user_hash == pseudonymise(SECRET, "alice") and r.account_id == "acct1" and r.model == "fake"
    # strictest action, highest level, every stage's codes once, a failed detector, review state from any stage
    assert (b.action, b.risk_level, b.categories, b.detectors_failed, b.review_status, b.outcome, b.user_id) == (
        "block", "high", ",A4.6,A1.2,", True, "open", "blocked_output", "u-bob")
    with Session(svc.engine) as s:
        exchange_seqs = sorted(s.scalars(select(AuditEvent.seq).where(AuditEvent.kind == "exchange")))
    assert sorted(x.seq for x in got.values()) == exchange_seqs
    assert mod.cursor() == exchange_seqs[-1]

    record(svc, "r-late", minutes=40, stages=(stage(),))
    assert mod.refresh() == 1 and mod.refresh() == 0
    # a cursor set back (a restored backup, another process's rows already there): seqs present are skipped
    with Session(svc.engine) as s, s.begin():
        s.execute(update(ModerationCursor).values(seq=0))
        s.execute(delete(ModerationEntry).where(ModerationEntry.request_id == "r-pass"))
    assert mod.refresh() == 1
    assert len(rows(svc)) == 5 and mod.cursor() > exchange_seqs[-1]


def test_two_refreshers_at_once_index_each_event_once(svc: Services) -> None:
    for i in range(40):
        record(svc, f"r-{i:02d}", minutes=i, stages=(stage(action="review" if i % 3 == 0 else "pass"),))
    others = [ModerationLogService(svc.engine) for _ in range(3)]
    added: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(len(others))

    def run(m: ModerationLogService) -> None:
        try:
            start.wait()
            added.append(m.refresh(batch=3))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(m,)) for m in others]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sum(added) == 40
    with Session(svc.engine) as s:
        assert s.scalar(select(func.count()).select_from(ModerationEntry)) == 40
    assert svc.moderation.counts().open == 14


def test_filters(svc: Services) -> None:
    seed(svc)
    mod = svc.moderation
    mod.refresh()

    def ids(**kw: object) -> list[str]:
        return [e.request_id for e in mod.search(ModerationQuery(**kw))]  # type: ignore[arg-type]

    assert ids() == ["r-abuse", "r-block", "r-review", "r-pass"]  # newest first
    assert ids(outcome="blocked_output") == ["r-block"]
    assert ids(action="review") == ["r-abuse", "r-review"]
    assert ids(action="pass") == ["r-pass"]
    assert ids(risk="A1") == ["r-block", "r-review"]  # a prefix: every A1.x
    assert ids(risk="a1.1") == ["r-review"]
    assert ids(risk="A.1.b") == ["r-block"]  # the standard's code
    assert ids(risk="A4.6") == ["r-block"]
    assert ids(risk="A1.1") == ["r-review"]
    assert ids(risk="A2") == []
    assert ids(risk="X") == ids(risk="X.ABUSE") == ["r-abuse"]
    assert ids(account_id="acct2") == ["r-block"]
    assert ids(end_user=pseudonymise(SECRET, "alice")) == ["r-abuse", "r-review", "r-pass"]
    assert ids(end_user="u-bob") == ["r-block"]
    assert ids(end_user=("nobody", pseudonymise(SECRET, "bob"))) == ["r-block"]
    assert ids(request_id="r-review") == ["r-review"]
    assert ids(since=T0 + timedelta(minutes=10), until=T0 + timedelta(minutes=30)) == ["r-block", "r-review"]
    assert ids(since=T0 + timedelta(minutes=31)) == []
    assert ids(review_status="open") == ["r-abuse", "r-block", "r-review"]
    assert ids(review_status="open", risk="A1", account_id="acct1") == ["r-review"]
    assert [e.request_id for e in mod.search(limit=2, offset=1)] == ["r-block", "r-review"]
    assert mod.count() == 4 and mod.count(ModerationQuery(risk="A1")) == 2 and mod.count(cap=3) == 3
    first = mod.search(ModerationQuery(request_id="r-block"))[0]
    assert first.categories == ("A4.6", "A1.2") and first.ts == T0 + timedelta(minutes=20)
    with pytest.raises(AttributeError):
        first.action = "pass"  # type: ignore[misc]  # typed rows are frozen

    for bad in ({"risk": "A1%"}, {"risk": "drop table"}, {"action": "allow"}, {"review_status": "done"},
                {"since": T0, "until": T0}, {"outcome": ""}, {"end_user": "x" * 201}):
        with pytest.raises(ModerationLogError) as exc:
            ModerationQuery(**bad)  # type: ignore[arg-type]
        assert exc.value.status == 400 and exc.value.en and exc.value.zh and exc.value.en != exc.value.zh
    with pytest.raises(ValueError, match="aware"):
        ModerationQuery(since=datetime(2026, 3, 2))


def test_evidence_texts_and_purge(svc: Services) -> None:
    seed(svc)
    mod = svc.moderation
    mod.refresh()
    assert mod.get("nope") is None
    d = mod.get("r-block")
    assert d is not None
    assert [(s.stage, s.action, s.risk_level, s.categories, s.detectors_failed) for s in d.stages] == [
        ("input", "review", "medium", ("A4.6",), ()), ("output", "block", "high", ("A1.2", "A4.6"), ("classifier",))]
    assert d.stages[0].detectors_run == ("lexicon", "pii")
    assert dict(d.latency_ms) == {"input": 1.5, "total": 12.25}
    assert d.key_id == "key1" and d.upstream == "fake" and d.content_logged and d.content_kept
    r = mod.get("r-review")
    assert r is not None and r.stages[0].reasons == ("in-a1",)
    assert r.input_text is not None and "13812345678" not in r.input_text and "138" in r.input_text  # redacted
    assert r.output_text == "好的" and r.retention_until == T0 + timedelta(minutes=10, days=30)

    assert svc.records.purge(now=T0 + timedelta(days=31)) == 4
    gone = mod.get("r-review")
    assert gone is not None and not gone.content_kept and gone.content_logged
    assert gone.input_text is None and gone.output_text is None and gone.entry.review_status == "open"
    assert gone.stages == r.stages  # the evidence stays in the audit chain
    assert mod.count() == 4


def test_clear_and_escalate(svc: Services) -> None:
    seed(svc)
    mod = svc.moderation
    mod.refresh()
    assert [e.request_id for e in mod.review_queue()] == ["r-review", "r-block", "r-abuse"]  # oldest first
    assert mod.counts() == type(mod.counts())(open=3, cleared=0, escalated=0)

    with pytest.raises(ModerationLogError) as exc:
        mod.clear("nope", actor="rita")
    assert exc.value.status == 404 and exc.value.code == "unknown_entry"
    with pytest.raises(ModerationLogError) as exc:
        mod.clear("r-pass", actor="rita")
    assert exc.value.status == 409 and exc.value.code == "not_for_review" and "审核" in exc.value.zh
    with pytest.raises(ModerationLogError):
        mod.clear("r-review", actor="")
    with pytest.raises(ModerationLogError):
        mod.escalate("r-block", actor="rita", ticket_number="bad number!")

    e = mod.clear("r-review", actor="rita", note=NOTE)
    assert (e.review_status, e.reviewed_by, e.reviewed_at, e.review_ticket) == ("cleared", "rita",
                                                                               T0 + timedelta(days=1), None)
    with pytest.raises(ModerationLogError) as exc:
        mod.clear("r-review", actor="rita")
    assert exc.value.status == 409 and exc.value.code == "already_reviewed"
    with pytest.raises(ModerationLogError) as exc:
        mod.escalate("r-review", actor="rita", ticket_number="HG-20260302-ABCDEF")
    assert exc.value.code == "already_reviewed"
    with pytest.raises(ModerationLogError) as exc:
        mod.open_entry("r-review")
    assert exc.value.code == "already_reviewed"
    assert mod.open_entry("r-block").request_id == "r-block"

    e2 = mod.escalate("r-block", actor="admin", ticket_number="HG-20260302-ABCDEF")
    assert (e2.review_status, e2.review_ticket, e2.reviewed_by) == ("escalated", "HG-20260302-ABCDEF", "admin")
    mod.clear("r-abuse", actor="rita")
    assert mod.counts() == type(mod.counts())(open=0, cleared=2, escalated=1)
    assert mod.review_queue() == []
    assert [x.request_id for x in mod.review_queue("cleared")] == ["r-abuse", "r-review"]  # same time: by seq
    assert [x.request_id for x in mod.review_queue("escalated")] == ["r-block"]
    assert [x.request_id for x in mod.search(ModerationQuery(review_status="cleared"))] == ["r-abuse", "r-review"]
    with pytest.raises(ModerationLogError):
        mod.review_queue("closed")
    assert mod.refresh() == 0  # our own audit events are not exchanges

    with Session(svc.engine) as s:
        events = [(k, json.loads(p)) for k, p in s.execute(
            select(AuditEvent.kind, AuditEvent.payload).where(AuditEvent.kind.like("moderation.%"))
            .order_by(AuditEvent.seq))]
        raw = " ".join(s.scalars(select(AuditEvent.payload)))
    assert [k for k, _ in events] == ["moderation.review_cleared", "moderation.review_escalated",
                                      "moderation.review_cleared"]
    cleared, escalated, _ = (p for _, p in events)
    assert cleared["exchange_request_id"] == "r-review" and cleared["exchange_seq"] == e.seq
    assert cleared["actor"] == "rita"
    assert cleared["note_sha256"] == hashlib.sha256(NOTE.encode()).hexdigest()
    assert escalated["ticket_number"] == "HG-20260302-ABCDEF" and escalated["exchange_seq"] == e2.seq
    assert escalated["actor"] == "admin" and escalated["exchange_request_id"] == "r-block"
    assert "satire" not in raw and "某某" not in raw  # the note never enters the chain
    assert svc.audit.verify().ok


def test_every_state_the_pages_show_has_a_label_in_both_languages() -> None:
    from hegui.console.i18n import MESSAGES
    from hegui.services.moderation_log import ACTIONS, REVIEW_STATES, RISK_LEVELS

    keys = [f"mod.action.{a}" for a in ACTIONS] + [f"mod.level.{lv}" for lv in RISK_LEVELS] + [
        f"mod.rs.{s}" for s in REVIEW_STATES] + [f"mod.stage.{s}" for s in ("input", "output", "stream_chunk")] + [
        "flash.review_cleared", "flash.review_escalated"]
    for key in keys:
        zh, en = MESSAGES[key]
        assert zh.strip() and en.strip() and zh != en, key


def test_traffic_per_china_day(svc: Services) -> None:
    seed(svc)  # 2026-03-02 09:00-09:30 China time
    record(svc, "r-early", minutes=-120, stages=(stage(),))  # 01 Mar 23:00 UTC = 2 Mar 07:00 China time
    record(svc, "r-late", minutes=-600, stages=(stage(),))  # 01 Mar 15:00 UTC = 1 Mar 23:00 China time
    svc.moderation.refresh()
    days = svc.moderation.traffic(3)  # the service clock says 3 March (China time)
    assert [d.day.isoformat() for d in days] == ["2026-03-01", "2026-03-02", "2026-03-03"]
    assert [(d.passed, d.review, d.redact, d.block) for d in days] == [(1, 0, 0, 0), (2, 2, 0, 1), (0, 0, 0, 0)]
    assert [d.total for d in days] == [1, 5, 0]
    with pytest.raises(ValueError):
        svc.moderation.traffic(0)


def test_stacked_columns_chart() -> None:
    from hegui.console.svg import stacked_columns

    svg = stacked_columns([("03-01", (1, 0, 0, 0)), ("03-02", (2, 2, 0, 1))],
                          [("passed", "#2f855a"), ("review", "#d69e2e"), ("redact", "#6b46c1"), ("<b>", "#c53030")],
                          title="t", empty="none")
    assert svg.startswith("<svg") and "style" not in svg and "&lt;b&gt;" in svg
    assert 'data-total="1"' in svg and 'data-total="5"' in svg
    assert svg.count("<rect") == 4 + 1 + 3  # legend + the parts that are not zero
    assert "none" in stacked_columns([("03-01", (0, 0))], [("a", "#000"), ("b", "#fff")], title="t", empty="none")

"""Exchange records: content log + audit event in one transaction, redaction, pseudonyms, group commit, purge."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

import pg
from hegui.services import ExchangeRecord, Services, StageRecord, StoreError

SECRET = b"s" * 32
PHONE = "13812345678"

pg_url = pg.pg_url  # pytest fixtures: a throwaway PostgreSQL server, and a fresh store per test
store_url = pg.store_url


def _rec(request_id: str | None = None, *, ts: datetime | None = None, **kw: object) -> ExchangeRecord:
    base: dict[str, object] = {
        "request_id": request_id or uuid.uuid4().hex,
        "ts": ts or datetime.now(UTC),
        "endpoint": "chat.completions",
        "outcome": "ok",
        "http_status": 200,
        "account_id": "a" * 32,
        "key_id": "k" * 32,
        "end_user": "user-42",
        "model": "qwen",
        "upstream": "vllm",
        "stages": (
            StageRecord("input", "pass", "none", (), ("lexicon", "pii"), ()),
            StageRecord("output", "redact", "low", ("A5.2",), ("pii",), ("classifier",), ("pii.mobile",)),
        ),
        "input_text": f"我的手机号是{PHONE}，请帮我写首诗",
        "output_text": "好的：春眠不觉晓",
        "latency_ms": {"total": 3.14159, "upstream": 120},
    }
    base.update(kw)
    return ExchangeRecord(**base)  # type: ignore[arg-type]


def _open(url: str, tmp_path: Path, **kw: object) -> Services:
    return Services.open(url, secret_key=SECRET, data_dir=tmp_path / "data", **kw)  # type: ignore[arg-type]


@pytest.fixture
def services(store_url: str, tmp_path: Path) -> Iterator[Services]:
    svc = _open(store_url, tmp_path)
    yield svc
    svc.close()


def _dump(svc: Services) -> str:
    with svc.engine.connect() as conn:
        return repr([*conn.execute(text("SELECT * FROM content_log")), *conn.execute(text("SELECT * FROM audit_events"))])


def test_record_stores_redacted_content_and_a_bound_audit_event(services: Services) -> None:
    rec = _rec()
    services.records.record(rec)
    got = services.records.get(rec.request_id)
    assert got is not None
    content, audit = got["content"], got["audit"]
    assert content["input_text"] == "我的手机号是138****5678，请帮我写首诗"
    assert content["output_text"] == "好的：春眠不觉晓"
    assert content["retention_until"] == rec.ts + timedelta(days=180)
    pseudonym = hmac.new(SECRET, b"user-42", hashlib.sha256).hexdigest()
    assert content["end_user_hash"] == pseudonym
    assert not {"ip", "ip_address", "user_agent", "device"} & set(content)
    p = audit["payload"]
    assert audit["seq"] == 1 and audit["prev_hash"] == "0" * 64
    assert p["seq"] == 1 and p["request_id"] == rec.request_id and p["kind"] == "exchange"
    assert p["end_user_hash"] == pseudonym
    assert p["stages"][1] == {
        "stage": "output", "action": "redact", "risk_level": "low", "categories": ["A5.2"],
        "detectors_run": ["pii"], "detectors_failed": ["classifier"], "reasons": ["pii.mobile"],
    }
    assert p["latency_ms"] == {"total": 3.142, "upstream": 120.0}
    assert p["content"]["stored"] is True and len(p["content"]["input_hmac"]) == 64
    dump = _dump(services)
    assert PHONE not in dump and "user-42" not in dump
    assert services.audit.verify().ok


def test_content_log_off_keeps_only_the_audit_event(store_url: str, tmp_path: Path) -> None:
    svc = _open(store_url, tmp_path, content_log=False)
    try:
        rec = _rec()
        svc.records.record(rec)
        got = svc.records.get(rec.request_id)
        assert got is not None and got["content"] is None
        assert got["audit"]["payload"]["content"] == {"stored": False, "input_hmac": None, "output_hmac": None}
        assert "春眠" not in _dump(svc)
    finally:
        svc.close()


def test_failed_records_raise(services: Services) -> None:
    rec = _rec()
    services.records.record(rec)
    with pytest.raises(StoreError):
        services.records.record(rec)  # same request id: the content row is unique
    # the failed transaction left nothing behind: the chain still has one event and verifies
    report = services.audit.verify()
    assert report.ok and report.events == 1


def test_record_validation() -> None:
    with pytest.raises(ValueError, match="timezone"):
        _rec(ts=datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="both run and failed"):
        StageRecord("input", "pass", "none", (), ("pii",), ("pii",))
    with pytest.raises(ValueError):
        StageRecord("input", "allow", "none", (), (), ())
    s = StageRecord("input", "pass", "none", ["A1.1"], ["pii"], [])  # type: ignore[arg-type]
    assert s.categories == ("A1.1",) and s.detectors_failed == ()


def test_arecord_group_commits_concurrent_records(services: Services) -> None:
    recs = [_rec(f"r{i:04d}") for i in range(200)]

    async def main() -> None:
        await asyncio.gather(*(services.records.arecord(r) for r in recs))

    asyncio.run(main())
    for r in recs[:: 37]:
        got = services.records.get(r.request_id)
        assert got is not None and got["content"] is not None
    report = services.audit.verify()
    assert report.ok and report.events == 200


def test_arecord_failure_raises_and_spares_the_rest(store_url: str, tmp_path: Path) -> None:
    """durability="commit": the caller waits for the database and gets its refusal."""
    services = _open(store_url, tmp_path, durability="commit")
    try:
        assert services.records.durability == "commit"
        services.records.record(_rec("dup"))

        async def main() -> list[BaseException | None]:
            return await asyncio.gather(
                services.records.arecord(_rec("ok1")), services.records.arecord(_rec("dup")),
                services.records.arecord(_rec("ok2")), return_exceptions=True,
            )

        results = asyncio.run(main())
        assert results[0] is None and results[2] is None
        assert isinstance(results[1], StoreError)
        assert services.records.get("ok1") is not None and services.records.get("ok2") is not None
        assert services.audit.verify().ok
        assert not (tmp_path / "data" / "journal").exists()
    finally:
        services.close()


def test_journaled_record_the_database_refuses_is_kept_aside_and_noted(services: Services, tmp_path: Path) -> None:
    """durability="journal" (default): the answer went out, so a record the database refuses for good (here a
    duplicate request id) is kept in rejected-records.jsonl and noted in the chain; the others are stored."""
    assert services.records.durability == "journal"
    services.records.record(_rec("dup"))

    async def main() -> None:
        for r in (_rec("ok1"), _rec("dup", output_text="second"), _rec("ok2")):
            await services.records.arecord(r)

    asyncio.run(main())
    services.records.sync()
    assert services.records.get("ok1") is not None and services.records.get("ok2") is not None
    assert services.records.rejected == 1
    kept = (tmp_path / "data" / "journal" / "rejected-records.jsonl").read_text(encoding="utf-8")
    assert '"request_id":"dup"' in kept and "second" in kept and PHONE not in kept  # redacted before the journal
    with services.engine.connect() as conn:
        kinds = [r[0] for r in conn.execute(text("SELECT kind FROM audit_events WHERE request_id = 'dup' ORDER BY seq"))]
    assert kinds == ["exchange", "record_rejected"]
    assert services.audit.verify().ok


def test_journal_lets_the_answer_go_before_the_commit_and_readers_wait(store_url: str, tmp_path: Path) -> None:
    import threading

    svc = _open(store_url, tmp_path)
    release = threading.Event()
    real = svc.records._commit

    def slow(items: list[object]) -> None:
        release.wait(10)
        real(items)  # type: ignore[arg-type]

    svc.records._commit = slow  # type: ignore[method-assign]
    try:
        asyncio.run(svc.records.arecord(_rec("early")))  # returns although the database has not committed
        journal = next((tmp_path / "data" / "journal").glob("records-*.journal"))
        assert b'"request_id":"early"' in journal.read_bytes() and PHONE.encode() not in journal.read_bytes()
        threading.Timer(0.2, release.set).start()
        assert svc.records.get("early") is not None  # get() waits for the journal to be committed
    finally:
        release.set()
        svc.close()
    assert not list((tmp_path / "data" / "journal").glob("records-*.journal"))  # a clean stop leaves no journal


def test_a_dead_database_stops_answers_after_max_lag_and_loses_nothing(store_url: str, tmp_path: Path) -> None:
    import time

    from sqlalchemy.exc import OperationalError

    svc = _open(store_url, tmp_path, max_lag_s=0.3)
    real = svc.records._commit
    down = {"on": True}

    def flaky(items: list[object]) -> None:
        if down["on"]:
            raise OperationalError("INSERT", {}, Exception("database is down"))
        real(items)  # type: ignore[arg-type]

    svc.records._commit = flaky  # type: ignore[method-assign]
    try:
        asyncio.run(svc.records.arecord(_rec("d0")))  # journaled; the database refuses in the background
        time.sleep(0.6)
        with pytest.raises(StoreError, match="has not accepted"):
            asyncio.run(svc.records.arecord(_rec("d1")))
        down["on"] = False
        svc.records.sync(timeout_s=10)
        asyncio.run(svc.records.arecord(_rec("d2")))  # healthy again
        assert svc.records.get("d0") is not None and svc.records.get("d2") is not None
        assert svc.records.get("d1") is None  # refused before the journal: no answer, no record
    finally:
        svc.close()
    svc2 = _open(store_url, tmp_path)
    try:
        assert svc2.records.recovered.replayed == 0 and svc2.audit.verify().events == 2
    finally:
        svc2.close()


def test_closing_while_the_database_is_down_keeps_the_journal_for_the_next_start(store_url: str,
                                                                                 tmp_path: Path) -> None:
    from sqlalchemy.exc import OperationalError

    svc = _open(store_url, tmp_path)
    svc.records.close_grace_s = 0.2

    def down(items: list[object]) -> None:
        raise OperationalError("INSERT", {}, Exception("database is down"))

    svc.records._commit = down  # type: ignore[method-assign]

    async def main() -> None:
        for i in range(5):
            await svc.records.arecord(_rec(f"k{i}"))

    asyncio.run(main())
    svc.close()
    assert len(list((tmp_path / "data" / "journal").glob("records-*.journal"))) == 1
    svc2 = _open(store_url, tmp_path)
    try:
        rep = svc2.records.recovered
        assert (rep.journals, rep.replayed, rep.skipped, rep.torn) == (1, 5, 0, 0)
        assert all(svc2.records.get(f"k{i}") is not None for i in range(5))
        assert svc2.audit.verify().ok and svc2.audit.verify().events == 5
    finally:
        svc2.close()


_CRASHER = """
import asyncio, os, sys, threading, uuid
from datetime import UTC, datetime
from pathlib import Path
from hegui.services import ExchangeRecord, Services
svc = Services.open(sys.argv[1], secret_key=b"s" * 32, data_dir=Path(sys.argv[2]))
def rec(i):
    return ExchangeRecord(request_id=f"c{i}", ts=datetime.now(UTC), endpoint="chat.completions", outcome="ok",
                          http_status=200, input_text="hi", output_text="ok")
async def main():
    for i in range(3):
        await svc.records.arecord(rec(i))
    svc.records.sync()  # c0..c2 committed (the journal still holds them: it is emptied only past 1 MB)
    svc.records._commit = lambda items: threading.Event().wait()  # the database hangs from now on
    for i in range(3, 7):
        await svc.records.arecord(rec(i))
    print("answered", flush=True)
    os._exit(0)  # the process dies: no flush, no close
asyncio.run(main())
"""


def test_killed_process_journal_is_replayed_without_loss_or_duplicates(store_url: str, tmp_path: Path) -> None:
    import subprocess
    import sys

    data = tmp_path / "data"
    out = subprocess.run([sys.executable, "-c", _CRASHER, store_url, str(data)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and "answered" in out.stdout, out.stderr
    journal = next((data / "journal").glob("records-*.journal"))
    with journal.open("ab") as f:
        f.write(b'{"c":null,"e":{"request_id":"torn"')  # a write cut short by the crash
    svc = _open(store_url, tmp_path)
    try:
        rep = svc.records.recovered
        assert (rep.journals, rep.replayed, rep.skipped, rep.torn) == (1, 4, 3, 1)
        assert all(svc.records.get(f"c{i}") is not None for i in range(7))
        assert svc.records.get("torn") is None
        report = svc.audit.verify()
        assert report.ok and report.events == 7  # nothing lost, nothing twice
    finally:
        svc.close()
    assert not list((data / "journal").glob("records-*.journal"))
    svc = _open(store_url, tmp_path)  # a second start finds nothing to replay
    try:
        assert svc.records.recovered.journals == 0 and svc.audit.verify().events == 7
    finally:
        svc.close()


def test_arecord_after_close_raises(store_url: str, tmp_path: Path) -> None:
    svc = _open(store_url, tmp_path)
    svc.close()
    with pytest.raises(StoreError):
        asyncio.run(svc.records.arecord(_rec()))


def test_close_flushes_queued_records(store_url: str, tmp_path: Path) -> None:
    svc = _open(store_url, tmp_path)

    async def main() -> None:
        tasks = [asyncio.create_task(svc.records.arecord(_rec(f"q{i}"))) for i in range(20)]
        await asyncio.sleep(0)
        await asyncio.gather(*tasks)

    asyncio.run(main())
    svc.close()
    svc2 = _open(svc.engine.url.render_as_string(hide_password=False), tmp_path)
    try:
        assert svc2.audit.verify().events == 20
    finally:
        svc2.close()


def test_purge_deletes_expired_content_only(services: Services) -> None:
    now = datetime.now(UTC)
    old, new = _rec("old", ts=now - timedelta(days=200)), _rec("new", ts=now - timedelta(days=10))
    services.records.record(old)
    services.records.record(new)
    assert services.records.purge(now=now) == 1
    assert services.records.purge(now=now) == 0
    got_old = services.records.get("old")
    assert got_old is not None and got_old["content"] is None and got_old["audit"] is not None
    assert services.records.get("new")["content"] is not None  # type: ignore[index]
    assert services.records.get("missing") is None
    assert services.audit.verify().ok  # purging content does not break the chain
    assert services.records.purge(now=now + timedelta(days=200)) == 1


def test_payload_format_is_stable_and_bound_to_the_stored_texts(services: Services) -> None:
    """Single and group-committed records: canonical JSON payloads, the documented chain hash, the public
    pseudonym and content-HMAC functions."""
    import json

    from hegui.services.audit import canonical_json, chain_hash, content_hmac
    from hegui.services.records import pseudonymise

    first = _rec("single", error="x" * 600)
    services.records.record(first)
    rest = [_rec(f"batch{i}", end_user=None if i % 2 else f"u{i}", output_text=None if i == 3 else "好") for i in range(6)]

    async def main() -> None:
        await asyncio.gather(*(services.records.arecord(r) for r in rest))

    asyncio.run(main())
    for rec in [first, *rest]:
        got = services.records.get(rec.request_id)
        assert got is not None
        content, audit = got["content"], got["audit"]
        with services.engine.connect() as conn:
            payload = conn.execute(
                text("SELECT payload FROM audit_events WHERE request_id = :r"), {"r": rec.request_id}
            ).scalar_one()
        assert payload == canonical_json(json.loads(payload))
        assert audit["hash"] == chain_hash(audit["prev_hash"], payload)
        p = audit["payload"]
        expected_user = pseudonymise(SECRET, rec.end_user) if rec.end_user is not None else None
        assert p["end_user_hash"] == content["end_user_hash"] == expected_user
        assert p["content"] == {
            "stored": True,
            "input_hmac": content_hmac(SECRET, content["input_text"]),
            "output_hmac": content_hmac(SECRET, content["output_text"]),
        }
        assert p["ts"] == rec.ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        assert content["ts"] == rec.ts and content["retention_until"] == rec.ts + timedelta(days=180)
    assert services.records.get("single")["audit"]["payload"]["error"] == "x" * 500  # type: ignore[index]
    assert services.records.get("batch3")["content"]["output_text"] is None  # type: ignore[index]
    report = services.audit.verify()
    assert report.ok and report.events == 7

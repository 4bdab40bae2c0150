"""The audit hash chain: appends, signed head and checkpoints, and verification of each kind of tampering."""

from __future__ import annotations

import os
import stat
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

import pg
from hegui.services import ExchangeRecord, Services, SigningKeyError, StageRecord, VerifyReport

SECRET = b"s" * 32

pg_url = pg.pg_url  # pytest fixtures: a throwaway PostgreSQL server, and a fresh store per test
store_url = pg.store_url


def _rec(i: int) -> ExchangeRecord:
    return ExchangeRecord(
        request_id=f"req-{i:04d}-{uuid.uuid4().hex[:6]}", ts=datetime.now(UTC), endpoint="chat.completions",
        outcome="ok", http_status=200, stages=(StageRecord("input", "pass", "none", (), ("lexicon",), ()),),
        input_text=f"问题 {i}", output_text=f"回答 {i}",
    )


def _open(url: str, tmp_path: Path, **kw: object) -> Services:
    return Services.open(url, secret_key=SECRET, data_dir=tmp_path / "data", **kw)  # type: ignore[arg-type]


@pytest.fixture
def services(store_url: str, tmp_path: Path) -> Iterator[Services]:
    svc = _open(store_url, tmp_path, checkpoint_every=5)
    yield svc
    svc.close(checkpoint=False)


def _fill(svc: Services, n: int = 12) -> None:
    for i in range(1, n + 1):
        svc.records.record(_rec(i))


def _sql(svc: Services, *statements: str) -> None:
    with svc.engine.begin() as conn:
        for st in statements:
            conn.execute(text(st))


def _kinds(report: VerifyReport) -> set[tuple[str, int | None]]:
    return {(p.kind, p.seq) for p in report.problems}


def test_intact_chain_with_automatic_checkpoints(services: Services) -> None:
    _fill(services)
    report = services.audit.verify()
    assert report.ok and report.problems == ()
    assert report.events == 12
    assert report.checkpoints == 2  # at 5 and 10
    cp = services.audit.checkpoint()
    assert cp is not None and cp.seq == cp.count == 12 and len(cp.signature) == 128
    assert services.audit.verify().checkpoints == 3


def test_empty_chain(services: Services) -> None:
    assert services.audit.checkpoint() is None
    report = services.audit.verify()
    assert report.ok and report.events == 0


def test_close_writes_a_checkpoint_only_when_new_events(store_url: str, tmp_path: Path) -> None:
    svc = _open(store_url, tmp_path, checkpoint_every=1000)
    _fill(svc, 3)
    svc.close()
    svc = _open(store_url, tmp_path, checkpoint_every=1000)
    assert svc.audit.verify().checkpoints == 1
    svc.close()
    svc = _open(store_url, tmp_path, checkpoint_every=1000)
    assert svc.audit.verify().checkpoints == 1
    svc.close()


def test_signing_key_file(services: Services) -> None:
    _fill(services, 1)
    path = services.data_dir / "audit_signing_key.pem"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    pem = services.audit.public_key_pem()
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----")


def test_edited_payload(services: Services) -> None:
    _fill(services)
    with services.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET payload = replace(payload, :a, :b) WHERE seq = 7"),
                     {"a": '"http_status":200', "b": '"http_status":201'})
    report = services.audit.verify()
    assert not report.ok
    assert _kinds(report) == {("edit", 7)}
    assert report.problems[0].detail_zh


def test_edited_payload_with_recomputed_hash(services: Services) -> None:
    """Rewriting an event and its hash breaks the next link (and the signed checkpoint)."""
    from hegui.services.audit import chain_hash

    _fill(services)
    with services.engine.begin() as conn:
        prev, payload = conn.execute(text("SELECT prev_hash, payload FROM audit_events WHERE seq = 10")).one()
        payload = payload.replace('"http_status":200', '"http_status":500')
        conn.execute(text("UPDATE audit_events SET payload = :p, hash = :h WHERE seq = 10"),
                     {"p": payload, "h": chain_hash(prev, payload)})
    report = services.audit.verify()
    assert ("edit", 10) in _kinds(report)
    assert {p.kind for p in report.problems} == {"edit"}


def test_edited_column(services: Services) -> None:
    _fill(services)
    _sql(services, "UPDATE audit_events SET request_id = 'forged' WHERE seq = 3")
    assert _kinds(services.audit.verify()) == {("edit", 3)}


def test_edited_content_row(services: Services) -> None:
    _fill(services)
    _sql(services, "UPDATE content_log SET output_text = '改过的回答' WHERE request_id LIKE 'req-0004-%'")
    assert _kinds(services.audit.verify()) == {("edit", 4)}
    # without the secret the content binding is not checked, the chain itself is intact
    assert services.audit.verify(check_content=False).ok


def test_deleted_middle_event(services: Services) -> None:
    _fill(services)
    _sql(services, "DELETE FROM audit_events WHERE seq = 6")
    report = services.audit.verify()
    assert _kinds(report) == {("delete", 6)}
    assert report.events == 11


def test_deleted_events_renumbered(services: Services) -> None:
    """Deleting event 6 and shifting the later ones down still shows as a deletion at 6."""
    _fill(services)
    _sql(services, "DELETE FROM audit_events WHERE seq = 6")
    for seq in range(7, 13):
        _sql(services, f"UPDATE audit_events SET seq = {seq - 1} WHERE seq = {seq}")
    kinds = {k for k, _ in _kinds(services.audit.verify())}
    assert "delete" in kinds and "reorder" not in kinds


def test_swapped_events(services: Services) -> None:
    _fill(services)
    _sql(services,
         "UPDATE audit_events SET seq = -1 WHERE seq = 3",
         "UPDATE audit_events SET seq = 3 WHERE seq = 4",
         "UPDATE audit_events SET seq = 4 WHERE seq = -1")
    report = services.audit.verify()
    assert {k for k, _ in _kinds(report)} == {"reorder"}
    assert {s for _, s in _kinds(report)} <= {3, 4}


def test_truncated_after_checkpoint(services: Services) -> None:
    _fill(services)  # checkpoints at 5 and 10, head at 12
    _sql(services, "DELETE FROM audit_events WHERE seq > 7")
    report = services.audit.verify()
    assert {k for k, _ in _kinds(report)} == {"truncate"}
    assert len(report.problems) == 2  # the head and the checkpoint at 10 both claim more


def test_truncated_after_last_checkpoint_caught_by_the_signed_head(services: Services) -> None:
    _fill(services)
    _sql(services, "DELETE FROM audit_events WHERE seq > 10")
    assert _kinds(services.audit.verify()) == {("truncate", 11)}


def test_forged_checkpoint(services: Services) -> None:
    _fill(services)
    _sql(services, "UPDATE audit_checkpoints SET count = 4, seq = 4 WHERE seq = 5")
    assert _kinds(services.audit.verify()) == {("signature", 4)}


def test_checkpoint_signed_by_another_key(services: Services) -> None:
    from hegui.services.audit import _checkpoint_statement

    _fill(services)
    other = Ed25519PrivateKey.generate()
    with services.engine.begin() as conn:
        seq, h, count = conn.execute(text("SELECT seq, hash, count FROM audit_checkpoints WHERE seq = 10")).one()
        ts = datetime.now(UTC)
        sig = other.sign(_checkpoint_statement(seq, h, count, ts)).hex()
        conn.execute(text("UPDATE audit_checkpoints SET signature = :s, ts = :t WHERE seq = 10"),
                     {"s": sig, "t": ts.replace(tzinfo=None) if conn.dialect.name == "sqlite" else ts})
    assert _kinds(services.audit.verify()) == {("signature", 10)}


def test_edited_head(services: Services) -> None:
    _fill(services)
    _sql(services, "UPDATE audit_head SET seq = 9")
    assert {k for k, _ in _kinds(services.audit.verify())} == {"signature"}


def test_verify_with_exported_public_key(services: Services) -> None:
    _fill(services)
    pem = services.audit.public_key_pem()
    assert services.audit.verify(public_key_pem=pem).ok
    wrong = Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    report = services.audit.verify(public_key_pem=wrong)
    assert {k for k, _ in _kinds(report)} == {"signature"}
    assert len(report.problems) == 3  # head + 2 checkpoints
    with pytest.raises(SigningKeyError):
        services.audit.verify(public_key_pem=b"not a key")


def test_verify_needs_a_key_when_signatures_exist(services: Services) -> None:
    _fill(services, 2)
    (services.data_dir / "audit_signing_key.pem").unlink()
    fresh = _open(services.engine.url.render_as_string(hide_password=False), services.data_dir.parent / "other")
    try:
        with pytest.raises(SigningKeyError):
            fresh.audit.verify()
    finally:
        fresh.close(checkpoint=False)


def test_concurrent_writers_form_one_chain(store_url: str, tmp_path: Path) -> None:
    """Two independent instances (as two processes would) appending at once never fork the chain."""
    a = _open(store_url, tmp_path, checkpoint_every=7)
    b = _open(store_url, tmp_path, checkpoint_every=7)
    errors: list[BaseException] = []

    def write(svc: Services, base: int) -> None:
        try:
            for i in range(25):
                svc.records.record(_rec(base + i))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(a, 0)), threading.Thread(target=write, args=(b, 1000))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = a.audit.verify()
    assert report.ok and report.events == 50
    a.close()
    b.close()


def _checkpoint_seqs(svc: Services) -> list[int]:
    with svc.engine.connect() as conn:
        return [int(s) for (s,) in conn.execute(text("SELECT seq FROM audit_checkpoints ORDER BY seq"))]


def _head_seq(svc: Services) -> int:
    with svc.engine.connect() as conn:
        return int(conn.execute(text("SELECT seq FROM audit_head")).scalar_one())


def test_group_commit_signs_one_head_and_checkpoints_every_n(services: Services) -> None:
    """Whatever the batch sizes, a checkpoint follows once at least ``checkpoint_every`` (5) events accumulated,
    and never sooner; the head is signed for the last event of each batch."""
    import asyncio
    import itertools

    async def main() -> None:
        for n in (1, 3, 16, 7, 2, 9):
            await asyncio.gather(*(services.records.arecord(_rec(i)) for i in range(n)))

    asyncio.run(main())
    services.records.sync()  # journaled: wait for the database before reading its tables directly
    seqs = _checkpoint_seqs(services)
    assert seqs and seqs[0] >= 5
    assert all(b - a >= 5 for a, b in itertools.pairwise(seqs))
    assert _head_seq(services) == 38 and 38 - seqs[-1] < 5
    report = services.audit.verify()
    assert report.ok and report.events == 38 and report.checkpoints == len(seqs)


def test_manual_checkpoint_defers_the_automatic_one(services: Services) -> None:
    _fill(services, 4)
    services.audit.checkpoint()  # at 4
    _fill(services, 5)  # 5..9: not yet 5 events since 4
    assert _checkpoint_seqs(services) == [4, 9]
    _fill(services, 1)
    assert _checkpoint_seqs(services) == [4, 9]
    assert services.audit.verify().ok


def test_missing_head_row_fails_the_append_and_writes_nothing(services: Services) -> None:
    from hegui.services import StoreError

    _fill(services, 2)
    _sql(services, "DELETE FROM audit_head")
    with pytest.raises(StoreError, match="head"):
        services.records.record(_rec(3))
    with services.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one() == 2
        assert conn.execute(text("SELECT count(*) FROM content_log")).scalar_one() == 2


def test_other_events_join_the_chain(store_url: str, tmp_path: Path) -> None:
    """Identity checks, sanctions and appeals go into the same chain and verify like exchanges."""
    from hegui.services import Services

    svc = Services.open(store_url, secret_key=b"s" * 32, data_dir=tmp_path, checkpoint_every=3)
    try:
        seqs = [svc.audit.append("sanction", {"user_id": f"u{i}", "action": "warn"}) for i in range(4)]
        assert seqs == sorted(seqs) and len(set(seqs)) == 4
        with pytest.raises(ValueError):
            svc.audit.append("exchange", {})
        report = svc.audit.verify()
        assert report.ok and report.events == 4 and report.checkpoints >= 1
    finally:
        svc.close()


def test_payload_keys_named_like_the_envelope_are_kept(services: Services) -> None:
    """A service's payload may name a ticket's kind, the exchange a case is about or its own clock: the envelope
    (seq, ts, kind, request_id) must not overwrite them."""
    import json

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from hegui.store import AuditEvent

    seq = services.audit.append("remediation.confirmed", {
        "case_id": "c1", "request_id": "hg-reported", "kind": "report_output", "ts": "2026-01-02T03:04:05+00:00",
        "seq": 7})
    with Session(services.engine) as s:
        row = s.execute(select(AuditEvent).where(AuditEvent.seq == seq)).scalar_one()
    body = json.loads(row.payload)
    assert body["kind"] == "remediation.confirmed" and body["seq"] == seq
    assert body["request_id"] == row.request_id != "hg-reported"
    assert (body["subject_request_id"], body["subject_kind"], body["subject_ts"], body["subject_seq"]) == (
        "hg-reported", "report_output", "2026-01-02T03:04:05+00:00", 7)
    assert body["case_id"] == "c1"
    assert services.audit.verify().ok

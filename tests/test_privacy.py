"""Personal-information requests (SQLite and PostgreSQL): identity check of the requester (forged identity
refused, nothing changed), deletion across every store checked in the raw tables, access export, blocking,
correction, deadlines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, inspect, text
from sqlalchemy.orm import Session

import pg
from hegui.services.accounts import AccountService
from hegui.services.complaints import ComplaintService
from hegui.services.crypto import CryptoErased, KeyRing
from hegui.services.identity import FakeIdentityProvider, FakeSmsSender, UserService
from hegui.services.privacy import IdentityProof, PrivacyError, PrivacyService
from hegui.services.records import pseudonymise
from hegui.store import ContentLog, make_engine, upgrade
from hegui.store.conduct_models import AbuseViolation, MinorUsage

pg_url = pg.pg_url  # pytest fixtures: a throwaway PostgreSQL server, and a fresh store per test
store_url = pg.store_url

SECRET = b"k" * 32
T0 = datetime(2025, 6, 1, 4, 0, 0, tzinfo=UTC)
NAME = "张三丰"
ID_NUMBER = "11010519491231002X"
PHONE = "13800138000"
EXTERNAL = "wx-openid-7781234"
DISPLAY = "小明同学"


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    engine: Engine
    users: UserService
    complaints: ComplaintService
    privacy: PrivacyService
    keyring: KeyRing
    clock: Clock
    sms: FakeSmsSender
    account_id: str
    user_id: str
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


@pytest.fixture
def world(store_url: str) -> Iterator[World]:
    engine = make_engine(store_url)
    upgrade(engine)
    account = AccountService(engine).create_account("app")
    clock = Clock()
    keyring = KeyRing(engine, bytes(range(32)))
    events: list[tuple[str, dict[str, Any]]] = []

    def sink(k: str, p: dict[str, Any]) -> None:
        events.append((k, p))

    sms = FakeSmsSender()
    users = UserService(engine, keyring, SECRET, clock=clock, sms=sms, on_event=sink,
                        provider=FakeIdentityProvider({(NAME, ID_NUMBER, PHONE): True}))
    complaints = ComplaintService(engine, keyring, secret_key=SECRET, clock=clock, on_event=sink,
                                  exists=lambda rid: rid.startswith("req-"))
    privacy = PrivacyService(engine, users, keyring, SECRET, clock=clock, on_event=sink)
    u = users.create_user(account.id, EXTERNAL, display_name=DISPLAY)
    assert users.verify_identity(u.id, name=NAME, id_number=ID_NUMBER, phone=PHONE).ok
    yield World(engine, users, complaints, privacy, keyring, clock, sms, account.id, u.id, events)
    engine.dispose()


def _seed(w: World) -> None:
    """Data of the subject in every store, and of another user who must keep theirs."""
    other = w.users.create_user(w.account_id, "someone-else")
    rows = []
    for i, (ext, prompt) in enumerate([(EXTERNAL, f"我叫{NAME}"), (EXTERNAL, "hello"), ("someone-else", "hi")]):
        rows.append({"request_id": f"req-{i}", "ts": T0, "account_id": w.account_id, "key_id": None,
                     "end_user_hash": pseudonymise(SECRET, ext), "endpoint": "chat", "model": "m", "outcome": "pass",
                     "input_text": prompt, "output_text": "ok", "retention_until": T0 + timedelta(days=180)})
    with Session(w.engine) as s, s.begin():
        s.execute(insert(ContentLog), rows)
        s.add(AbuseViolation(user_id=w.user_id, ts=T0, risk_code="X.ABUSE.SPAM", severity="low", weight=1,
                             request_id="req-0"))
        s.add(AbuseViolation(user_id=other.id, ts=T0, risk_code="X.ABUSE.SPAM", severity="low", weight=1,
                             request_id="req-2"))
        s.add(MinorUsage(user_id=w.user_id, day=date(2025, 6, 1), seconds=60, requests=1, session_seconds=0,
                         session_reminders=0, updated_at=T0))
    w.complaints.submit("report_output", channel="api", account_id=w.account_id, request_id="req-0",
                        category="rights", description=f"{NAME} report", contact="me@example.com",
                        reporter=EXTERNAL)
    w.complaints.submit("complaint", channel="web", account_id=None, request_id=None, category="personal_info",
                        description="web form", contact=f"+86 {PHONE}", reporter=None)
    w.complaints.submit("complaint", channel="web", account_id=None, request_id=None, category="service",
                        description="not theirs", contact="13900000000", reporter=None)


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: int(conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one())
                for t in inspect(engine).get_table_names()}


def _raw(engine: Engine) -> list[bytes]:
    out: list[bytes] = []
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                for v in row:
                    if isinstance(v, bytes | bytearray | memoryview):
                        out.append(bytes(v))
                    elif v is not None:
                        out.append(str(v).encode("utf-8"))
    return out


def _proof() -> IdentityProof:
    return IdentityProof(name=NAME, id_number=ID_NUMBER.lower())


# identity check -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("proof", [
    IdentityProof(name="李四", id_number=ID_NUMBER),
    IdentityProof(name=NAME, id_number="110105194912310011"),
    IdentityProof(otp_challenge_id="nonexistent"),
])
def test_forged_identity_is_refused_and_changes_nothing(world: World, proof: IdentityProof) -> None:
    _seed(world)
    before = _counts(world.engine)
    n_events = len(world.events)
    for kind in ("delete", "access", "block"):
        with pytest.raises(PrivacyError) as e:
            world.privacy.open(kind, account_id=world.account_id, external_id=EXTERNAL, proof=proof)
        assert e.value.code == "identity_mismatch" and "SMS" in e.value.en and "验证码" in e.value.zh
    with pytest.raises(PrivacyError):  # unknown user: the same answer
        world.privacy.open("delete", account_id=world.account_id, external_id="nobody", proof=_proof())
    assert _counts(world.engine) == before
    new = world.events[n_events:]
    assert [k for k, _ in new] == ["privacy.refused"] * 4
    dumped = json.dumps([p for _, p in new], ensure_ascii=False)
    for secret in (NAME, "李四", ID_NUMBER, EXTERNAL, world.user_id):
        assert secret not in dumped


def test_otp_proof_must_be_verified_fresh_and_single_use(world: World) -> None:
    c = world.users.send_otp(world.user_id, PHONE)
    with pytest.raises(PrivacyError):  # not yet verified
        world.privacy.open("access", account_id=world.account_id, external_id=EXTERNAL,
                           proof=IdentityProof(otp_challenge_id=c.id))
    assert world.sms.last_code is not None
    assert world.users.check_otp(c.id, world.sms.last_code)
    req = world.privacy.open("access", account_id=world.account_id, external_id=EXTERNAL,
                             proof=IdentityProof(otp_challenge_id=c.id))
    assert req.proof_method == "otp" and req.due_at == T0 + timedelta(days=15)
    with pytest.raises(PrivacyError):  # used
        world.privacy.open("delete", account_id=world.account_id, external_id=EXTERNAL,
                           proof=IdentityProof(otp_challenge_id=c.id))
    world.clock.now = T0 + timedelta(hours=1)
    c2 = world.users.send_otp(world.user_id, PHONE)
    assert world.sms.last_code is not None and world.users.check_otp(c2.id, world.sms.last_code)
    world.clock.now += timedelta(seconds=901)
    with pytest.raises(PrivacyError):  # stale
        world.privacy.open("delete", account_id=world.account_id, external_id=EXTERNAL,
                           proof=IdentityProof(otp_challenge_id=c2.id))


# deletion -----------------------------------------------------------------------------------------------------
def test_delete_request_erases_every_record_of_the_subject(world: World) -> None:
    _seed(world)
    blk = world.privacy.open("block", account_id=world.account_id, external_id=EXTERNAL, proof=_proof())
    world.privacy.execute(blk.id)
    with world.engine.connect() as conn:
        blobs = conn.execute(text("SELECT name_enc, id_number_enc, phone_enc, display_name_enc FROM end_users "
                                  "WHERE id = :id"), {"id": world.user_id}).one()
        ticket_blobs = conn.execute(text("SELECT id, contact_enc FROM complaint_tickets WHERE contact_enc IS NOT NULL"
                                         " ORDER BY created_at")).all()
    before = _counts(world.engine)
    req = world.privacy.open("delete", account_id=world.account_id, external_id=EXTERNAL, proof=_proof())
    assert req.status == "open" and not req.overdue
    receipt = world.privacy.execute(req.id)
    stores = {e.store: e for e in receipt.entries}
    assert set(stores) >= {"end_users", "otp_challenges", "content_log", "complaints", "abuse_violations",
                           "minor_usage", "blocked_pi", "audit_events", "exports"}
    assert stores["content_log"].as_tuple() == ("content_log", 2, "deleted", 2)
    assert stores["complaints"].as_tuple() == ("complaints", 2, "crypto_erased", 2)
    assert stores["abuse_violations"].as_tuple() == ("abuse_violations", 1, "deleted", 1)
    assert stores["minor_usage"].as_tuple() == ("minor_usage", 1, "deleted", 1)
    assert stores["blocked_pi"].as_tuple() == ("blocked_pi", 3, "deleted", 3)
    assert stores["end_users"].action == "crypto_erased"
    assert stores["audit_events"].action == "kept" and "no personal data" in stores["audit_events"].note_en
    assert stores["exports"].as_tuple() == ("exports", 0, "none", 0) and "export time" in stores["exports"].note_en
    assert "completed" in receipt.summary_en and "完成" in receipt.summary_zh
    assert receipt.completed_at == T0
    after = _counts(world.engine)
    assert after["content_log"] == before["content_log"] - 2 == 1  # the other user's row stays
    assert after["abuse_violations"] == 1 and after["blocked_pi"] == 0
    # plain SQL over every table: none of the subject's identifiers is left in clear
    values = _raw(world.engine)
    for secret in (NAME, ID_NUMBER, PHONE, EXTERNAL, DISPLAY, "me@example.com", f"我叫{NAME}"):
        assert not any(secret.encode("utf-8") in v for v in values), secret
    db = world.engine.url.database
    if world.engine.dialect.name == "sqlite" and db:  # the file too: secure_delete + WAL checkpoint
        files = b"".join(Path(db + sfx).read_bytes() for sfx in ("", "-wal") if Path(db + sfx).exists())
        for secret in (f"我叫{NAME}", ID_NUMBER):
            assert secret.encode("utf-8") not in files, secret
    with world.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM content_log WHERE end_user_hash = :h"),
                            {"h": pseudonymise(SECRET, EXTERNAL)}).scalar_one() == 0
        row = conn.execute(text("SELECT status, external_id, name_enc, id_number_hmac, phone_hmac FROM end_users "
                                "WHERE id = :id"), {"id": world.user_id}).one()
    assert row[0] == "deleted" and row[1] == f"deleted:{world.user_id}" and all(v is None for v in row[2:])
    fresh = KeyRing(world.engine, bytes(range(32)))  # a new process: no cached keys
    for f, blob in zip(("name", "id_number", "phone", "display_name"), blobs, strict=True):
        with pytest.raises(CryptoErased):
            fresh.decrypt(world.user_id, f, bytes(blob))
    assert len(ticket_blobs) == 3
    for tid, blob in ticket_blobs[:2]:
        with pytest.raises(CryptoErased):
            fresh.decrypt(tid, "contact", bytes(blob))
    assert fresh.decrypt(ticket_blobs[2][0], "contact", bytes(ticket_blobs[2][1])) == "13900000000"
    assert world.privacy.blocked_terms() == []
    # done: executing again returns the stored receipt; the request is no longer open
    again = world.privacy.execute(req.id)
    assert again.rows() == receipt.rows() and again.export is None
    assert world.privacy.get(req.id).status == "completed"  # type: ignore[union-attr]
    assert world.privacy.overdue(T0 + timedelta(days=100)) == []
    dumped = json.dumps([p for _, p in world.events], ensure_ascii=False)
    for secret in (NAME, ID_NUMBER, PHONE, EXTERNAL):
        assert secret not in dumped


# access, block, correct ---------------------------------------------------------------------------------------
def test_access_returns_the_subjects_data(world: World) -> None:
    _seed(world)
    req = world.privacy.open("access", account_id=world.account_id, external_id=EXTERNAL, proof=_proof())
    r = world.privacy.execute(req.id)
    assert r.export is not None
    prof = r.export["end_users"]
    assert (prof["name"], prof["id_number"], prof["phone"], prof["display_name"]) == (NAME, ID_NUMBER, PHONE, DISPLAY)
    assert prof["birth_date"] == "1949-12-31" and prof["external_id"] == EXTERNAL
    assert sorted(c["request_id"] for c in r.export["content_log"]) == ["req-0", "req-1"]
    assert sorted(t["contact"] for t in r.export["complaints"]) == ["+86 13800138000", "me@example.com"]
    assert len(r.export["abuse_violations"]) == 1 and len(r.export["minor_usage"]) == 1
    assert r.entry("content_log").as_tuple() == ("content_log", 2, "exported", 2)
    assert r.entry("exports").count == 0
    stored = world.privacy.receipt(req.id)
    assert stored is not None and stored.export is None and stored.rows() == r.rows()
    with world.engine.connect() as conn:  # the stored receipt holds no personal data
        raw = conn.execute(text("SELECT receipt FROM pi_requests")).scalar_one()
    for secret in (NAME, ID_NUMBER, PHONE, EXTERNAL, DISPLAY):
        assert secret not in raw


def test_block_request_blocks_the_identifiers(world: World) -> None:
    assert not world.privacy.is_blocked_value("id_number", ID_NUMBER)
    req = world.privacy.open("block", account_id=world.account_id, external_id=EXTERNAL, proof=_proof())
    r = world.privacy.execute(req.id)
    assert r.rows() == [("blocked_pi", 3, "blocked", 3)]
    assert world.privacy.is_blocked_value("id_number", ID_NUMBER.lower())
    assert world.privacy.is_blocked_value("phone", "+86 138-0013-8000")
    assert world.privacy.is_blocked_value("name", f" {NAME} ")
    assert not world.privacy.is_blocked_value("phone", "13900000000")
    assert not world.privacy.is_blocked_value("bogus", NAME)
    assert sorted(world.privacy.blocked_terms()) == sorted([NAME, ID_NUMBER, PHONE])
    raw = _raw(world.engine)
    for secret in (NAME, ID_NUMBER, PHONE):
        assert not any(secret.encode() in v for v in raw)
    # blocking twice adds nothing
    again = world.privacy.open("block", account_id=world.account_id, external_id=EXTERNAL, proof=_proof())
    assert world.privacy.execute(again.id).rows() == [("blocked_pi", 3, "blocked", 0)]


def test_correct_updates_display_name_and_asks_to_reverify_identity(world: World) -> None:
    with pytest.raises(PrivacyError) as e:
        world.privacy.open("correct", account_id=world.account_id, external_id=EXTERNAL, proof=_proof(),
                           changes={"birth_date": "2000-01-01"})
    assert e.value.code == "invalid"
    req = world.privacy.open("correct", account_id=world.account_id, external_id=EXTERNAL, proof=_proof(),
                             changes={"display_name": "老张", "phone": "13900000000"})
    r = world.privacy.execute(req.id)
    assert r.entry("end_users.display_name").action == "updated"
    assert r.entry("end_users.phone").action == "needs_reverification"
    assert "verification" in r.entry("end_users.phone").note_en
    assert world.users.export_personal_data(world.user_id).display_name == "老张"
    assert world.users.export_personal_data(world.user_id).phone == PHONE


def test_deadline_and_overdue_at_the_boundary(world: World) -> None:
    req = world.privacy.open("access", account_id=world.account_id, external_id=EXTERNAL, proof=_proof())
    due = T0 + timedelta(days=15)
    assert req.due_at == due
    assert world.privacy.overdue(due - timedelta(seconds=1)) == []
    assert [x.id for x in world.privacy.overdue(due)] == [req.id]
    assert world.privacy.overdue(due)[0].overdue
    with pytest.raises(PrivacyError) as e:
        world.privacy.execute("nope")
    assert e.value.code == "unknown_request"

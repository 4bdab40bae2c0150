"""The console's users and sessions (SQLite and PostgreSQL, injected clock): password policy, argon2id hashes in
the table (never the password), lock-out and unlock, session expiry and revocation, audit events."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, inspect, text

import pg
from hegui.services import Services
from hegui.services.console import ConsoleError, ConsoleService
from hegui.store import make_engine, upgrade

pg_url = pg.pg_url  # pytest fixtures: a throwaway PostgreSQL server, and a fresh store per test
store_url = pg.store_url

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
FAST = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)  # argon2id, cheap for tests


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


Events = list[tuple[str, dict[str, Any]]]


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    e = make_engine(store_url)
    upgrade(e)
    assert {"console_users", "console_sessions"} <= set(inspect(e).get_table_names())
    yield e
    e.dispose()


def service(engine: Engine, clock: Clock, events: Events, **kw: Any) -> ConsoleService:
    return ConsoleService(engine, on_event=lambda k, p: events.append((k, p)), clock=clock, hasher=FAST, **kw)


def test_password_policy_and_stored_hash(engine: Engine) -> None:
    events: Events = []
    svc = service(engine, Clock(T0), events)
    with pytest.raises(ConsoleError) as exc:
        svc.create_user("alice", "short-pass", "admin")
    assert "12" in exc.value.en and "12" in exc.value.zh and "密码" in exc.value.zh
    with pytest.raises(ConsoleError, match="username"):
        svc.create_user("alice", "alice-is-my-password", "admin")
    with pytest.raises(ConsoleError, match="role"):
        svc.create_user("alice", PASSWORD, "root")
    with pytest.raises(ConsoleError, match="username"):
        svc.create_user("a b", PASSWORD, "admin")
    user = svc.create_user("Alice", PASSWORD, "admin")
    assert user.username == "alice" and user.role == "admin" and not user.disabled
    with pytest.raises(ConsoleError, match="taken"):
        svc.create_user("ALICE", PASSWORD, "reviewer")
    with engine.connect() as c:
        rows = c.execute(text("SELECT username, password_hash FROM console_users")).all()
    assert len(rows) == 1
    stored = rows[0][1]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    # the default hasher is argon2id too
    assert ConsoleService(engine)._hasher.hash(PASSWORD).startswith("$argon2id$")
    assert events == [("console.user_created", {"user_id": user.id, "username": "alice", "role": "admin",
                                                "actor": None})]


def test_authenticate_lockout_and_unlock(engine: Engine) -> None:
    events: Events = []
    clock = Clock(T0)
    svc = service(engine, clock, events)
    alice = svc.create_user("alice", PASSWORD, "reviewer")
    events.clear()
    ok = svc.authenticate(" Alice ", PASSWORD)
    assert ok.ok and ok.user is not None and ok.user.id == alice.id and ok.user.last_login_at == T0
    # unknown user and wrong password: the same answer
    unknown = svc.authenticate("nobody", PASSWORD)
    wrong = svc.authenticate("alice", "wrong password!!")
    assert (unknown.user, unknown.reason) == (wrong.user, wrong.reason) == (None, "invalid")
    assert ("console.login_failed", {"user_id": None, "username_known": False}) in events
    for _ in range(3):
        assert svc.authenticate("alice", "wrong password!!").reason == "invalid"
    locked = svc.authenticate("alice", "wrong password!!")  # the 5th consecutive failure
    assert locked.reason == "locked" and locked.locked_until == T0 + timedelta(minutes=15)
    # while locked, even the right password is refused
    clock.now = T0 + timedelta(minutes=14, seconds=59)
    assert svc.authenticate("alice", PASSWORD).reason == "locked"
    got = svc.get_user("alice")
    assert got is not None and got.is_locked(clock.now)
    # after the window: the right password works again, and resets the counter
    clock.now = T0 + timedelta(minutes=15)
    assert svc.authenticate("alice", PASSWORD).ok
    again = svc.get_user("alice")
    assert again is not None and again.failed_attempts == 0 and again.locked_until is None
    kinds = [k for k, _ in events]
    assert kinds.count("console.locked") == 1 and "console.login_locked" in kinds and kinds.count("console.login_ok") == 2
    # no password, hash or token in any event
    dumped = json.dumps(events)
    assert PASSWORD not in dumped and "wrong password" not in dumped and "argon2" not in dumped


def test_custom_lockout_rules_and_disabled_user(engine: Engine) -> None:
    events: Events = []
    svc = service(engine, Clock(T0), events, lockout_after=2, lockout_minutes=1)
    svc.create_user("bob", PASSWORD, "auditor")
    assert svc.authenticate("bob", "x" * 12).reason == "invalid"
    assert svc.authenticate("bob", "x" * 12).reason == "locked"
    svc.set_password("bob", "a brand new password", actor="admin-1")  # also unlocks
    assert svc.authenticate("bob", "a brand new password").ok
    assert not svc.authenticate("bob", PASSWORD).ok
    svc.set_role("bob", "reviewer", actor="admin-1")
    got = svc.get_user("bob")
    assert got is not None and got.role == "reviewer"
    with pytest.raises(ConsoleError):
        svc.set_role("bob", "king")
    svc.disable("bob", actor="admin-1")
    assert svc.authenticate("bob", "a brand new password").reason == "invalid"  # disabled: not told apart
    svc.enable("bob", actor="admin-1")
    assert svc.authenticate("bob", "a brand new password").ok
    changes = [p["change"] for k, p in events if k == "console.user_changed"]
    assert changes == ["password", "role", "disabled", "enabled"]
    with pytest.raises(ConsoleError):
        svc.disable("nobody")


def test_sessions_expire_and_revoke(engine: Engine) -> None:
    events: Events = []
    clock = Clock(T0)
    svc = service(engine, clock, events, session_hours=8)
    user = svc.create_user("carol", PASSWORD, "admin")
    token, sess = svc.create_session(user.id)
    assert len(token) >= 43 and sess.expires_at == T0 + timedelta(hours=8) and len(sess.csrf_token) >= 43
    with engine.connect() as c:
        stored = c.execute(text("SELECT token_hash FROM console_sessions")).scalar_one()
    assert stored == hashlib.sha256(token.encode()).hexdigest() and token not in stored
    got = svc.get_session(token)
    assert got is not None and got.user.username == "carol" and got.csrf_token == sess.csrf_token
    assert svc.get_session("not-a-token") is None and svc.get_session(None) is None
    clock.now = T0 + timedelta(hours=8)
    assert svc.get_session(token) is None  # expired
    clock.now = T0
    token2, _ = svc.create_session(user.id)
    assert svc.revoke_session(token2) and svc.get_session(token2) is None
    assert not svc.revoke_session(token2)
    # disabling the user ends the user's sessions
    token3, _ = svc.create_session(user.id)
    svc.disable(user.id)
    assert svc.get_session(token3) is None
    with pytest.raises(ConsoleError):
        svc.create_session(user.id)
    assert "console.logout" in [k for k, _ in events]
    assert token not in json.dumps(events) and token2 not in json.dumps(events)


def test_services_facade_audits_console_actions(store_url: str, tmp_path: Path) -> None:
    with Services.open(store_url, secret_key=b"k" * 32, data_dir=tmp_path / "data") as svc:
        admin = svc.console.create_user("root-admin", PASSWORD, "admin")
        assert svc.console.authenticate("root-admin", "nope nope nope").reason == "invalid"
        assert svc.console.authenticate("root-admin", PASSWORD).ok
        token, _ = svc.console.create_session(admin.id)
        svc.console.revoke_session(token)
        svc.console.create_user("rev", PASSWORD, "reviewer", actor=admin.id)
        svc.console.disable("rev", actor=admin.id)
        stats = svc.console.dashboard()
        assert stats.requests == 0 and stats.blocks_by_risk == {}
        report = svc.audit.verify()
        assert report.ok, report
        with svc.engine.connect() as c:
            payloads = [json.loads(p) for (p,) in c.execute(
                text("SELECT payload FROM audit_events WHERE kind LIKE 'console.%' ORDER BY seq"))]
    kinds = [p["kind"] for p in payloads]
    assert kinds == ["console.user_created", "console.login_failed", "console.login_ok", "console.session_started",
                     "console.logout", "console.user_created", "console.user_changed"]
    blob = json.dumps(payloads)
    assert PASSWORD not in blob and token not in blob and "argon2" not in blob

"""Accounts and API keys: issuing, hashing, authentication cache, revocation, suspension, the demo key."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import pg
from hegui.services import KeyPrincipal, NotFound, Services
from hegui.services.accounts import AccountService

pg_url = pg.pg_url  # pytest fixtures: a throwaway PostgreSQL server, and a fresh store per test
store_url = pg.store_url


@pytest.fixture
def services(store_url: str, tmp_path: Path) -> Iterator[Services]:
    svc = Services.open(store_url, secret_key=b"s" * 32, data_dir=tmp_path / "data")
    yield svc
    svc.close()


def _dump(svc: Services) -> str:
    """Every value of the key tables, as text."""
    from sqlalchemy import text

    with svc.engine.connect() as conn:
        rows = [*conn.execute(text("SELECT * FROM api_keys")), *conn.execute(text("SELECT * FROM accounts"))]
    return repr(rows)


def test_create_and_get_account(services: Services) -> None:
    a = services.accounts.create_account("acme")
    assert re.fullmatch(r"[0-9a-f]{32}", a.id)
    assert (a.name, a.status) == ("acme", "active")
    assert a.created_at.tzinfo is not None
    assert services.accounts.get_account(a.id) == a
    assert services.accounts.get_account("nope") is None


def test_issue_key_returns_plaintext_once_and_stores_only_its_hash(services: Services) -> None:
    a = services.accounts.create_account("acme")
    key, info = services.accounts.issue_key(a.id, label="prod", rate_limit_per_min=30)
    assert re.fullmatch(r"hg-[A-Za-z0-9_-]{40}", key)
    assert info.prefix == key[:7] and info.label == "prod" and info.rate_limit_per_min == 30
    dump = _dump(services)
    assert key not in dump and key[3:] not in dump
    assert hashlib.sha256(key.encode()).hexdigest() in dump
    p = services.accounts.authenticate(key)
    assert p == KeyPrincipal(key_id=info.id, account_id=a.id, account_status="active", rate_limit_per_min=30)
    assert services.accounts.authenticate(key + "x") is None
    assert services.accounts.authenticate("") is None
    key2, info2 = services.accounts.issue_key(a.id)
    assert key2 != key
    assert {k.id for k in services.accounts.list_keys(a.id)} == {info.id, info2.id}


def test_issue_key_for_unknown_account(services: Services) -> None:
    with pytest.raises(NotFound):
        services.accounts.issue_key("0" * 32)


def test_revoke_invalidates_the_cache_at_once(services: Services) -> None:
    a = services.accounts.create_account("acme")
    key, info = services.accounts.issue_key(a.id)
    assert services.accounts.authenticate(key) is not None  # now cached
    services.accounts.revoke_key(info.id)
    assert services.accounts.authenticate(key) is None
    services.accounts.revoke_key(info.id)  # idempotent
    with pytest.raises(NotFound):
        services.accounts.revoke_key("nope")


def test_suspend_and_reactivate(services: Services) -> None:
    a = services.accounts.create_account("acme")
    key, _ = services.accounts.issue_key(a.id)
    assert services.accounts.authenticate(key).account_status == "active"  # type: ignore[union-attr]
    services.accounts.suspend_account(a.id, "abuse report 42")
    p = services.accounts.authenticate(key)
    assert p is not None and p.account_status == "suspended"
    assert services.accounts.get_account(a.id).status == "suspended"  # type: ignore[union-attr]
    services.accounts.reactivate_account(a.id)
    assert services.accounts.authenticate(key).account_status == "active"  # type: ignore[union-attr]
    with pytest.raises(NotFound):
        services.accounts.suspend_account("nope", "x")


def test_cache_ttl_bounds_staleness_across_instances(services: Services) -> None:
    """A change made elsewhere (another process) is seen once the TTL has passed."""
    now = [1000.0]
    other = AccountService(services.engine, cache_ttl_s=5.0, clock=lambda: now[0])
    a = services.accounts.create_account("acme")
    key, info = services.accounts.issue_key(a.id)
    assert other.authenticate(key) is not None
    services.accounts.revoke_key(info.id)
    now[0] += 1
    assert other.authenticate(key) is not None  # still cached
    now[0] += 5
    assert other.authenticate(key) is None


def test_unknown_keys_are_cached_but_a_new_key_is_seen(services: Services) -> None:
    assert services.accounts.authenticate("hg-" + "x" * 40) is None
    a = services.accounts.create_account("acme")
    key, _ = services.accounts.issue_key(a.id)
    assert services.accounts.authenticate(key) is not None


def test_ensure_demo_key_is_idempotent(services: Services) -> None:
    p1 = services.accounts.ensure_demo_key()
    p2 = services.accounts.ensure_demo_key()
    assert p1 == p2
    assert services.accounts.authenticate("demo") == p1
    assert services.accounts.get_account(p1.account_id).name == "demo"  # type: ignore[union-attr]
    services.accounts.revoke_key(p1.key_id)
    assert services.accounts.authenticate("demo") is None
    assert services.accounts.ensure_demo_key().key_id == p1.key_id  # a revoked demo key stays revoked
    assert services.accounts.authenticate("demo") is None


def test_bad_arguments(services: Services) -> None:
    with pytest.raises(ValueError):
        services.accounts.create_account("")
    a = services.accounts.create_account("acme")
    with pytest.raises(ValueError):
        services.accounts.issue_key(a.id, rate_limit_per_min=0)

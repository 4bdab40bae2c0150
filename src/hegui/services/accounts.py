"""Accounts and API keys.

Keys are ``hg-`` + 40 URL-safe random characters, shown once; only their SHA-256 and a short prefix are stored.
:meth:`AccountService.authenticate` caches results for a short TTL so the hot path costs microseconds;
revoking a key or suspending an account through this service invalidates the cache at once (other processes
see the change within the TTL).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hegui.core.errors import HeguiError
from hegui.services.types import Account, KeyInfo, KeyPrincipal
from hegui.store import Account as AccountRow
from hegui.store import ApiKey, read_only

__all__ = ["DEMO_KEY", "KEY_PREFIX", "AccountService", "NotFound", "hash_key"]

KEY_PREFIX = "hg-"
KEY_RANDOM_CHARS = 40
DEMO_KEY = "demo"
DEMO_ACCOUNT = "demo"
_DISPLAY_PREFIX = 7  # "hg-" + 4 characters
_CACHE_MAX = 10_000


class NotFound(HeguiError):
    """An account or key id that does not exist."""

    exit_code = 2


def hash_key(presented: str) -> str:
    return hashlib.sha256(presented.encode("utf-8")).hexdigest()


def _new_key() -> str:
    while True:
        # token_urlsafe(30) gives exactly 40 characters
        key = KEY_PREFIX + secrets.token_urlsafe(30)
        if len(key) == len(KEY_PREFIX) + KEY_RANDOM_CHARS:
            return key


def _account(row: AccountRow) -> Account:
    return Account(id=row.id, name=row.name, status=row.status, created_at=row.created_at)


def _key_info(row: ApiKey) -> KeyInfo:
    return KeyInfo(
        id=row.id, account_id=row.account_id, prefix=row.prefix, label=row.label,
        rate_limit_per_min=row.rate_limit_per_min, created_at=row.created_at, revoked_at=row.revoked_at,
    )


class AccountService:
    """Accounts, API keys and key authentication."""

    def __init__(self, engine: Engine, *, cache_ttl_s: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._engine = engine
        self._read = read_only(engine)
        self.cache_ttl_s = cache_ttl_s
        self._clock = clock
        self._cache: dict[str, tuple[float, KeyPrincipal | None]] = {}
        self._lock = threading.Lock()

    # accounts -----------------------------------------------------------------------------------------------
    def create_account(self, name: str) -> Account:
        if not name or len(name) > 200:
            raise ValueError("account name must be 1-200 characters")
        now = datetime.now(UTC)
        row = AccountRow(id=uuid.uuid4().hex, name=name, status="active", created_at=now, updated_at=now)
        with Session(self._engine, expire_on_commit=False) as s, s.begin():
            s.add(row)
        return _account(row)

    def get_account(self, account_id: str) -> Account | None:
        with Session(self._read) as s:
            row = s.get(AccountRow, account_id)
            return _account(row) if row is not None else None

    def suspend_account(self, account_id: str, reason: str) -> None:
        self._set_status(account_id, "suspended", reason)

    def reactivate_account(self, account_id: str) -> None:
        self._set_status(account_id, "active", None)

    def _set_status(self, account_id: str, status: str, reason: str | None) -> None:
        with Session(self._engine) as s, s.begin():
            row = s.get(AccountRow, account_id)
            if row is None:
                raise NotFound(f"no account {account_id!r}", f"账户 {account_id!r} 不存在")
            row.status, row.status_reason, row.updated_at = status, reason, datetime.now(UTC)
        self.invalidate()

    # keys ---------------------------------------------------------------------------------------------------
    def issue_key(self, account_id: str, *, label: str = "", rate_limit_per_min: int | None = None) -> tuple[str, KeyInfo]:
        """A new key for the account: returns the plaintext key (shown once, never stored) and its record."""
        if rate_limit_per_min is not None and rate_limit_per_min < 1:
            raise ValueError("rate_limit_per_min must be at least 1 (or None for the default)")
        key = _new_key()
        row = ApiKey(
            id=uuid.uuid4().hex, account_id=account_id, key_hash=hash_key(key), prefix=key[:_DISPLAY_PREFIX],
            label=label, rate_limit_per_min=rate_limit_per_min, created_at=datetime.now(UTC), revoked_at=None,
        )
        with Session(self._engine, expire_on_commit=False) as s, s.begin():
            if s.get(AccountRow, account_id) is None:
                raise NotFound(f"no account {account_id!r}", f"账户 {account_id!r} 不存在")
            s.add(row)
        self._forget(row.key_hash)
        return key, _key_info(row)

    def list_keys(self, account_id: str) -> list[KeyInfo]:
        with Session(self._read) as s:
            rows = s.execute(select(ApiKey).where(ApiKey.account_id == account_id).order_by(ApiKey.created_at))
            return [_key_info(r) for r in rows.scalars()]

    def revoke_key(self, key_id: str) -> None:
        with Session(self._engine) as s, s.begin():
            row = s.get(ApiKey, key_id)
            if row is None:
                raise NotFound(f"no API key {key_id!r}", f"API 密钥 {key_id!r} 不存在")
            if row.revoked_at is None:
                row.revoked_at = datetime.now(UTC)
        self.invalidate()

    # authentication -----------------------------------------------------------------------------------------
    def authenticate(self, presented: str) -> KeyPrincipal | None:
        """The principal of a presented key; None for unknown or revoked keys. A suspended account's key still
        authenticates (``account_status`` says "suspended") so the caller can say why it refuses."""
        if not presented:
            return None
        digest = hash_key(presented)
        now = self._clock()
        with self._lock:
            hit = self._cache.get(digest)
        if hit is not None and hit[0] > now:
            return hit[1]
        principal = self._lookup(digest)
        with self._lock:
            if len(self._cache) >= _CACHE_MAX:
                self._cache.clear()
            self._cache[digest] = (now + self.cache_ttl_s, principal)
        return principal

    def peek(self, presented: str) -> tuple[bool, KeyPrincipal | None]:
        """``(True, principal)`` when the answer for this key is cached and fresh, else ``(False, None)``: lets an
        event loop skip the thread hop of :meth:`authenticate` on the hot path."""
        if not presented:
            return True, None
        digest = hash_key(presented)
        with self._lock:
            hit = self._cache.get(digest)
        if hit is not None and hit[0] > self._clock():
            return True, hit[1]
        return False, None

    def _lookup(self, digest: str) -> KeyPrincipal | None:
        with Session(self._read) as s:
            found = s.execute(
                select(ApiKey, AccountRow.status)
                .join(AccountRow, AccountRow.id == ApiKey.account_id)
                .where(ApiKey.key_hash == digest)
            ).first()
        if found is None:
            return None
        key, status = found
        if not hmac.compare_digest(key.key_hash, digest) or key.revoked_at is not None:
            return None
        return KeyPrincipal(
            key_id=key.id, account_id=key.account_id, account_status=status, rate_limit_per_min=key.rate_limit_per_min
        )

    def invalidate(self) -> None:
        """Drop every cached authentication result."""
        with self._lock:
            self._cache.clear()

    def _forget(self, digest: str) -> None:
        with self._lock:
            self._cache.pop(digest, None)

    def ensure_demo_key(self) -> KeyPrincipal:
        """The account "demo" with the key literally "demo" (the gateway accepts it only on loopback).
        Idempotent, also across processes starting at once. A revoked demo key stays revoked."""
        digest = hash_key(DEMO_KEY)
        for _ in range(3):
            existing = self._principal_by_hash(digest)
            if existing is not None:
                return existing
            now = datetime.now(UTC)
            try:
                with Session(self._engine) as s, s.begin():
                    account = s.execute(
                        select(AccountRow).where(AccountRow.name == DEMO_ACCOUNT).order_by(AccountRow.created_at)
                    ).scalars().first()
                    if account is None:
                        account = AccountRow(
                            id=uuid.uuid4().hex, name=DEMO_ACCOUNT, status="active", created_at=now, updated_at=now
                        )
                        s.add(account)
                    s.add(ApiKey(
                        id=uuid.uuid4().hex, account_id=account.id, key_hash=digest, prefix=DEMO_KEY, label="demo",
                        rate_limit_per_min=None, created_at=now, revoked_at=None,
                    ))
            except IntegrityError:
                continue  # another process created it first
            self._forget(digest)
        existing = self._principal_by_hash(digest)
        if existing is None:
            raise HeguiError("could not create the demo key", "无法创建演示密钥")
        return existing

    def _principal_by_hash(self, digest: str) -> KeyPrincipal | None:
        with Session(self._read) as s:
            found = s.execute(
                select(ApiKey, AccountRow.status)
                .join(AccountRow, AccountRow.id == ApiKey.account_id)
                .where(ApiKey.key_hash == digest)
            ).first()
        if found is None:
            return None
        key, status = found
        return KeyPrincipal(
            key_id=key.id, account_id=key.account_id, account_status=status, rate_limit_per_min=key.rate_limit_per_min
        )

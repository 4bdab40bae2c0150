"""Per-subject envelope encryption of personal data, with crypto-erasure and master-key rotation.

Every subject (an end user) has a random 256-bit **data key**. It is stored only wrapped: AES-256-GCM under the
**master key**, with the AAD ``subject_id|master_key_id``, in the ``subject_keys`` table. Fields are encrypted
with the data key (AES-256-GCM, a fresh 96-bit nonce each time, AAD ``subject_id|field``), so a ciphertext
cannot be moved to another subject or another column without failing authentication::

    blob = b"v1" || nonce(12) || ciphertext || tag(16)

* :meth:`KeyRing.erase` deletes the data key (the row stays, with ``erased_at``): every blob of that subject
  becomes unreadable, wherever copies of it went (backups included). :meth:`KeyRing.decrypt` then raises
  :class:`CryptoErased`.
* :meth:`KeyRing.rotate_master` re-wraps every data key under a new master key; the data is not touched.
* The master key is 32 bytes. Without a separately configured one, :func:`derive_master_key` derives it from
  the server secret (HKDF-SHA256, info ``b"hegui master key v1"``).

Unwrapped data keys are cached in memory (LRU, ``cache_size`` entries, each for ``cache_ttl_s`` seconds so that
an erasure by another process takes effect within that time; in this process at once).
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hegui.core.errors import HeguiError
from hegui.store import read_only
from hegui.store.identity_models import SubjectKey

__all__ = ["BLOB_VERSION", "CryptoErased", "CryptoError", "KeyRing", "derive_master_key"]

BLOB_VERSION = b"v1"
MASTER_KEY_INFO = b"hegui master key v1"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
_MIN_BLOB = len(BLOB_VERSION) + NONCE_BYTES + TAG_BYTES


class CryptoError(HeguiError):
    """A ciphertext or a wrapped key failed authentication (tampered, truncated, or the wrong master key)."""

    exit_code = 2


class CryptoErased(CryptoError):
    """The subject's data key was erased (or never existed): the data is gone for good."""


def derive_master_key(secret_key: bytes) -> bytes:
    """The 32-byte master key derived from the server secret (HKDF-SHA256, no salt, info ``hegui master key v1``)."""
    if len(secret_key) < 16:
        raise ValueError("the secret key must be at least 16 bytes")
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=MASTER_KEY_INFO).derive(secret_key)


def _check_master(key: bytes, key_id: str) -> None:
    if len(key) != KEY_BYTES:
        raise ValueError(f"a master key is {KEY_BYTES} bytes, got {len(key)}")
    if not key_id or len(key_id) > 32 or "|" in key_id:
        raise ValueError("a master key id is 1-32 characters without '|'")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class KeyRing:
    """Per-subject data keys wrapped by a master key. Thread-safe.

    ``previous`` maps older master key ids to their keys: they still unwrap (e.g. while a rotation by another
    process is under way) but nothing new is wrapped with them.
    """

    def __init__(
        self,
        engine: Engine,
        master_key: bytes,
        *,
        key_id: str = "m1",
        previous: Mapping[str, bytes] | None = None,
        cache_size: int = 4096,
        cache_ttl_s: float = 60.0,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        _check_master(master_key, key_id)
        for kid, key in (previous or {}).items():
            _check_master(key, kid)
        self._engine = engine
        self._read = read_only(engine)
        self._key_id = key_id
        self._masters: dict[str, AESGCM] = {kid: AESGCM(k) for kid, k in (previous or {}).items()}
        self._masters[key_id] = AESGCM(master_key)
        self._cache: OrderedDict[str, tuple[float, AESGCM]] = OrderedDict()
        self._cache_size = max(0, cache_size)
        self._cache_ttl_s = cache_ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._generation = 0  # bumped by erase/rotate: a key loaded before must not enter the cache after

    @property
    def key_id(self) -> str:
        """The id of the master key that wraps new data keys."""
        return self._key_id

    # field encryption -----------------------------------------------------------------------------------------
    def encrypt(self, subject_id: str, field: str, plaintext: str) -> bytes:
        """``b"v1" + nonce + AES-GCM(data key, plaintext, AAD=subject_id|field)``; creates the data key on first
        use. Raises :class:`CryptoErased` for an erased subject."""
        aead = self._data_key(subject_id, create=True)
        nonce = os.urandom(NONCE_BYTES)
        return BLOB_VERSION + nonce + aead.encrypt(nonce, plaintext.encode("utf-8"), _aad(subject_id, field))

    def decrypt(self, subject_id: str, field: str, blob: bytes) -> str:
        """The plaintext of :meth:`encrypt`'s output. :class:`CryptoErased` when the subject's key was erased,
        :class:`CryptoError` when the blob was altered or belongs to another subject or field."""
        blob = bytes(blob)
        if len(blob) < _MIN_BLOB or not blob.startswith(BLOB_VERSION):
            raise CryptoError(
                "unreadable ciphertext (unknown version or truncated): restore the column from a backup",
                "无法读取的密文（版本未知或被截断）：请从备份恢复该字段",
            )
        aead = self._data_key(subject_id, create=False)
        start = len(BLOB_VERSION)
        nonce, body = blob[start : start + NONCE_BYTES], blob[start + NONCE_BYTES :]
        try:
            return aead.decrypt(nonce, body, _aad(subject_id, field)).decode("utf-8")
        except InvalidTag:
            raise CryptoError(
                f"ciphertext of field {field!r} failed authentication (tampered, or copied from another subject "
                "or field): restore it from a backup",
                f"字段 {field!r} 的密文未通过认证（被篡改，或来自其他主体或字段）：请从备份恢复",
            ) from None

    # erasure --------------------------------------------------------------------------------------------------
    def erase(self, subject_id: str) -> bool:
        """Delete the subject's data key (crypto-erasure) and record when. Returns True when a key was destroyed,
        False when there was none (a tombstone is written either way, so no new key is made for the id)."""
        now = self._clock()
        with Session(self._engine) as s, s.begin():
            row = s.get(SubjectKey, subject_id, with_for_update=True)
            if row is None:
                s.add(SubjectKey(
                    subject_id=subject_id, wrapped_key=None, master_key_id=self._key_id, created_at=now, erased_at=now
                ))
                destroyed = False
            else:
                destroyed = row.wrapped_key is not None
                row.wrapped_key = None
                if row.erased_at is None:
                    row.erased_at = now
        with self._lock:
            self._cache.pop(subject_id, None)
            self._generation += 1
        return destroyed

    def is_erased(self, subject_id: str) -> bool:
        with Session(self._read) as s:
            row = s.get(SubjectKey, subject_id)
            return row is not None and row.wrapped_key is None

    # rotation -------------------------------------------------------------------------------------------------
    def rotate_master(self, new_master_key: bytes, new_key_id: str) -> int:
        """Re-wrap every data key under ``new_master_key`` in one transaction (the data is untouched) and use it
        from now on; returns how many keys were re-wrapped. The old master key no longer unwraps anything."""
        _check_master(new_master_key, new_key_id)
        if new_key_id in self._masters:
            raise ValueError(f"master key id {new_key_id!r} is already in use: pick a new id")
        new = AESGCM(new_master_key)
        now = self._clock()
        count = 0
        with Session(self._engine) as s, s.begin():
            rows = s.execute(
                select(SubjectKey).where(SubjectKey.wrapped_key.is_not(None)).order_by(SubjectKey.subject_id)
                .with_for_update()
            ).scalars()
            for row in rows:
                assert row.wrapped_key is not None
                dk = self._unwrap(row.subject_id, row.master_key_id, row.wrapped_key)
                row.wrapped_key = _wrap(new, new_key_id, row.subject_id, dk)
                row.master_key_id = new_key_id
                row.rotated_at = now
                count += 1
        with self._lock:
            self._masters = {new_key_id: new}
            self._key_id = new_key_id
            self._generation += 1
        return count

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    # internals ------------------------------------------------------------------------------------------------
    def _data_key(self, subject_id: str, *, create: bool) -> AESGCM:
        if not subject_id:
            raise ValueError("empty subject id")
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(subject_id)
            if hit is not None and hit[0] > now:
                self._cache.move_to_end(subject_id)
                return hit[1]
            generation = self._generation
        aead = self._load(subject_id, create=create)
        if self._cache_size:
            with self._lock:
                if generation != self._generation:
                    return aead
                self._cache[subject_id] = (now + self._cache_ttl_s, aead)
                self._cache.move_to_end(subject_id)
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return aead

    def _load(self, subject_id: str, *, create: bool) -> AESGCM:
        for _ in range(3):
            with Session(self._read) as s:
                row = s.get(SubjectKey, subject_id)
                found = None if row is None else (row.master_key_id, row.wrapped_key)
            if found is not None:
                master_id, wrapped = found
                if wrapped is None:
                    raise _erased(subject_id)
                return AESGCM(self._unwrap(subject_id, master_id, wrapped))
            if not create:
                raise _erased(subject_id)
            dk = AESGCM.generate_key(bit_length=256)
            with self._lock:
                key_id, master = self._key_id, self._masters[self._key_id]
            try:
                with Session(self._engine) as s, s.begin():
                    s.add(SubjectKey(
                        subject_id=subject_id, wrapped_key=_wrap(master, key_id, subject_id, dk),
                        master_key_id=key_id, created_at=self._clock(),
                    ))
            except IntegrityError:
                continue  # another process made it first: read theirs
            return AESGCM(dk)
        raise CryptoError(
            "could not create a data key (concurrent writers): try again", "无法创建数据密钥（并发写入冲突）：请重试"
        )

    def _unwrap(self, subject_id: str, master_id: str, wrapped: bytes) -> bytes:
        with self._lock:
            master = self._masters.get(master_id)
        if master is None:
            raise CryptoError(
                f"the data key of a subject is wrapped by master key {master_id!r}, which is not configured: "
                "configure that key (or the one it was rotated to)",
                f"主体的数据密钥由主密钥 {master_id!r} 封装，但该密钥未配置：请配置该密钥（或其轮换后的新密钥）",
            )
        wrapped = bytes(wrapped)
        try:
            return master.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _wrap_aad(subject_id, master_id))
        except InvalidTag:
            raise CryptoError(
                f"a wrapped data key failed authentication under master key {master_id!r} (wrong master key or a "
                "tampered subject_keys row): check the configured master key",
                f"封装的数据密钥在主密钥 {master_id!r} 下未通过认证（主密钥错误或 subject_keys 行被篡改）：请检查主密钥配置",
            ) from None


def _aad(subject_id: str, field: str) -> bytes:
    return f"{subject_id}|{field}".encode()


def _wrap_aad(subject_id: str, master_id: str) -> bytes:
    return f"{subject_id}|{master_id}".encode()


def _wrap(master: AESGCM, master_id: str, subject_id: str, dk: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + master.encrypt(nonce, dk, _wrap_aad(subject_id, master_id))


def _erased(subject_id: str) -> CryptoErased:
    return CryptoErased(
        f"the data of subject {subject_id} was erased (its key is deleted): it cannot be recovered",
        f"主体 {subject_id} 的数据已被删除（密钥已销毁），无法恢复",
    )

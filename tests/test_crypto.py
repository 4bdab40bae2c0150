"""Per-subject envelope encryption (SQLite and PostgreSQL): round trip, binding to subject and field, tampering,
crypto-erasure, master-key rotation, the derived master key and the key cache."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Engine, text

import pg
from hegui.services.crypto import BLOB_VERSION, CryptoErased, CryptoError, KeyRing, derive_master_key
from hegui.store import make_engine, upgrade

pg_url = pg.pg_url  # pytest fixtures: a throwaway PostgreSQL server, and a fresh store per test
store_url = pg.store_url

MASTER = bytes(range(32))
NEW_MASTER = bytes(range(100, 132))


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    e = make_engine(store_url)
    upgrade(e)
    yield e
    e.dispose()


def _key_rows(engine: Engine) -> dict[str, tuple[bytes | None, str]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT subject_id, wrapped_key, master_key_id FROM subject_keys")).all()
    return {r[0]: (bytes(r[1]) if r[1] is not None else None, r[2]) for r in rows}


def test_round_trip_and_format(engine: Engine) -> None:
    kr = KeyRing(engine, MASTER)
    a = kr.encrypt("u1", "name", "张三")
    b = kr.encrypt("u1", "name", "张三")
    assert a != b  # fresh nonce each time
    assert a.startswith(BLOB_VERSION) and len(a) == 2 + 12 + len("张三".encode()) + 16
    assert "张三".encode() not in a
    assert kr.decrypt("u1", "name", a) == kr.decrypt("u1", "name", b) == "张三"
    assert kr.decrypt("u1", "empty", kr.encrypt("u1", "empty", "")) == ""
    # a second ring (another process) with the same master key reads it; the data key was made once
    assert KeyRing(engine, MASTER).decrypt("u1", "name", a) == "张三"
    rows = _key_rows(engine)
    assert set(rows) == {"u1"} and rows["u1"][1] == "m1"
    wrapped = rows["u1"][0]
    assert wrapped is not None and len(wrapped) == 12 + 32 + 16


def test_ciphertext_is_bound_to_subject_and_field(engine: Engine) -> None:
    kr = KeyRing(engine, MASTER)
    blob = kr.encrypt("u1", "name", "张三")
    kr.encrypt("u2", "name", "李四")
    with pytest.raises(CryptoError) as other_field:
        kr.decrypt("u1", "phone", blob)
    assert not isinstance(other_field.value, CryptoErased)
    with pytest.raises(CryptoError):
        kr.decrypt("u2", "name", blob)


@pytest.mark.parametrize("where", [0, 1, 2, 10, 14, -1])
def test_tampering_is_detected(engine: Engine, where: int) -> None:
    kr = KeyRing(engine, MASTER)
    blob = bytearray(kr.encrypt("u1", "id_number", "11010519491231002X"))
    blob[where] ^= 0x01
    with pytest.raises(CryptoError) as exc:
        kr.decrypt("u1", "id_number", bytes(blob))
    assert not isinstance(exc.value, CryptoErased)
    assert exc.value.zh != exc.value.en  # bilingual


def test_truncated_blob(engine: Engine) -> None:
    kr = KeyRing(engine, MASTER)
    with pytest.raises(CryptoError):
        kr.decrypt("u1", "name", b"v1" + bytes(10))


def test_erase_makes_data_unreadable_everywhere(engine: Engine) -> None:
    kr = KeyRing(engine, MASTER)
    blob = kr.encrypt("u1", "name", "张三")
    other = kr.encrypt("u2", "name", "李四")
    assert kr.decrypt("u1", "name", blob) == "张三"  # now cached
    assert kr.erase("u1") is True
    with pytest.raises(CryptoErased) as exc:
        kr.decrypt("u1", "name", blob)
    assert "erased" in exc.value.en and "删除" in exc.value.zh
    with pytest.raises(CryptoErased):
        KeyRing(engine, MASTER).decrypt("u1", "name", blob)
    with pytest.raises(CryptoErased):  # no new key is made for an erased subject
        kr.encrypt("u1", "name", "again")
    assert kr.is_erased("u1") and not kr.is_erased("u2")
    assert kr.decrypt("u2", "name", other) == "李四"
    assert kr.erase("u1") is False  # idempotent
    rows = _key_rows(engine)
    assert rows["u1"][0] is None
    with engine.connect() as conn:
        erased_at = conn.execute(text("SELECT erased_at FROM subject_keys WHERE subject_id = 'u1'")).scalar_one()
    assert erased_at is not None


def test_erase_of_unknown_subject_writes_a_tombstone(engine: Engine) -> None:
    kr = KeyRing(engine, MASTER)
    assert kr.erase("ghost") is False
    with pytest.raises(CryptoErased):
        kr.encrypt("ghost", "name", "x")
    with pytest.raises(CryptoErased):  # never had a key: unreadable, reported as erased
        kr.decrypt("nobody", "name", b"v1" + bytes(40))


def test_erasure_by_another_process_is_seen_after_the_cache_ttl(engine: Engine) -> None:
    cached = KeyRing(engine, MASTER, cache_ttl_s=3600)
    uncached = KeyRing(engine, MASTER, cache_ttl_s=0)
    blob = cached.encrypt("u1", "name", "张三")
    assert uncached.decrypt("u1", "name", blob) == "张三"
    KeyRing(engine, MASTER).erase("u1")
    with pytest.raises(CryptoErased):
        uncached.decrypt("u1", "name", blob)
    assert cached.decrypt("u1", "name", blob) == "张三"  # within its TTL
    cached.clear_cache()
    with pytest.raises(CryptoErased):
        cached.decrypt("u1", "name", blob)


def test_lru_is_bounded(engine: Engine) -> None:
    kr = KeyRing(engine, MASTER, cache_size=2)
    blobs = {s: kr.encrypt(s, "f", s) for s in ("a", "b", "c", "d")}
    assert len(kr._cache) == 2
    assert all(kr.decrypt(s, "f", b) == s for s, b in blobs.items())


def test_rotate_master_rewraps_and_keeps_data_readable(engine: Engine) -> None:
    kr = KeyRing(engine, MASTER)
    blobs = {s: kr.encrypt(s, "name", f"name of {s}") for s in ("u1", "u2", "u3")}
    kr.erase("u3")
    before = _key_rows(engine)
    assert kr.rotate_master(NEW_MASTER, "m2") == 2  # the erased key is not resurrected
    assert kr.key_id == "m2"
    after = _key_rows(engine)
    assert after["u3"] == (None, "m1")
    for s in ("u1", "u2"):
        assert after[s][1] == "m2" and after[s][0] != before[s][0]
        assert kr.decrypt(s, "name", blobs[s]) == f"name of {s}"
        assert KeyRing(engine, NEW_MASTER, key_id="m2").decrypt(s, "name", blobs[s]) == f"name of {s}"
    # the old master no longer unwraps: neither under its own id nor passed off as the new one
    with pytest.raises(CryptoError) as not_configured:
        KeyRing(engine, MASTER, key_id="m1").decrypt("u1", "name", blobs["u1"])
    assert not isinstance(not_configured.value, CryptoErased) and "m2" in not_configured.value.en
    with pytest.raises(CryptoError):
        KeyRing(engine, MASTER, key_id="m2").decrypt("u1", "name", blobs["u1"])
    # new data keys are wrapped by the new master
    kr.encrypt("u4", "name", "x")
    assert _key_rows(engine)["u4"][1] == "m2"
    with pytest.raises(ValueError):
        kr.rotate_master(MASTER, "m2")  # id already in use


def test_previous_master_keys_still_unwrap(engine: Engine) -> None:
    blob = KeyRing(engine, MASTER).encrypt("u1", "name", "张三")
    ring = KeyRing(engine, NEW_MASTER, key_id="m2", previous={"m1": MASTER})
    assert ring.decrypt("u1", "name", blob) == "张三"
    assert ring.rotate_master(os.urandom(32), "m3") == 1
    assert ring.decrypt("u1", "name", blob) == "张三"


def test_derived_master_key() -> None:
    secret = b"s" * 32
    key = derive_master_key(secret)
    expected = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"hegui master key v1").derive(secret)
    assert key == expected and len(key) == 32
    assert derive_master_key(b"t" * 32) != key
    with pytest.raises(ValueError):
        derive_master_key(b"short")


def test_bad_master_keys_are_refused(engine: Engine) -> None:
    with pytest.raises(ValueError):
        KeyRing(engine, b"too short")
    with pytest.raises(ValueError):
        KeyRing(engine, MASTER, key_id="a|b")

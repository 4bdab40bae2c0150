"""End users (SQLite and PostgreSQL): profile and cache, real-name verification, encrypted identity fields in
the raw database, crypto-erasure, minors, SMS one-time codes (expiry, lock-out, throttling) with an injected
clock, events without personal data, and the HTTP provider skeleton's mapping."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

import pg
from hegui.core.errors import ConfigError
from hegui.detectors.pii import id_check_char
from hegui.services.accounts import AccountService, NotFound
from hegui.services.crypto import CryptoErased, KeyRing
from hegui.services.identity import (
    TENCENT_ID2_VERDICTS,
    TENCENT_PHONE3_VERDICTS,
    FakeIdentityProvider,
    FakeSmsSender,
    HttpIdentityProvider,
    IdentityError,
    InvalidPhone,
    OtpThrottled,
    PhoneInUse,
    ProviderResult,
    SmsError,
    UserExists,
    UserService,
    normalise_mobile,
)
from hegui.store import make_engine, upgrade

pg_url = pg.pg_url  # pytest fixtures: a throwaway PostgreSQL server, and a fresh store per test
store_url = pg.store_url

SECRET = b"k" * 32
T0 = datetime(2025, 6, 1, 4, 0, 0, tzinfo=UTC)  # 12:00 in China
NAME = "张三丰"
ID_NUMBER = "11010519491231002X"
PHONE = "13800138000"


def make_id(region: str, birth: str, seq: str = "123") -> str:
    body = region + birth + seq
    return body + id_check_char(body)


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class World:
    engine: Engine
    url: str
    svc: UserService
    keyring: KeyRing
    clock: Clock
    sms: FakeSmsSender
    provider: FakeIdentityProvider
    account_id: str
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


@pytest.fixture
def world(store_url: str) -> Iterator[World]:
    engine = make_engine(store_url)
    upgrade(engine)
    account = AccountService(engine).create_account("app")
    clock = Clock()
    keyring = KeyRing(engine, bytes(range(32)))
    sms = FakeSmsSender()
    provider = FakeIdentityProvider({(NAME, ID_NUMBER): True, (NAME, ID_NUMBER, PHONE): True})
    events: list[tuple[str, dict[str, Any]]] = []
    svc = UserService(
        engine, keyring, SECRET, clock=clock, sms=sms, provider=provider,
        on_event=lambda kind, payload: events.append((kind, payload)), cache_ttl_s=3600,
    )
    yield World(engine, store_url, svc, keyring, clock, sms, provider, account.id, events)
    engine.dispose()


def _raw_values(w: World) -> list[bytes]:
    """Every value of every table, as bytes (plain SQL), plus the SQLite files themselves."""
    out: list[bytes] = []
    with w.engine.connect() as conn:
        for table in inspect(w.engine).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                for v in row:
                    if isinstance(v, bytes | bytearray | memoryview):
                        out.append(bytes(v))
                    elif v is not None:
                        out.append(str(v).encode("utf-8"))
    u = make_url(w.url)
    if u.get_backend_name() == "sqlite" and u.database:
        for suffix in ("", "-wal"):
            p = Path(u.database + suffix)
            if p.exists():
                out.append(p.read_bytes())
    return out


def _assert_absent(w: World, *secrets: str) -> None:
    values = _raw_values(w)
    needles: set[bytes] = set()
    for s in secrets:
        raw = s.encode("utf-8")
        needles.add(raw)
        n = 7 if len(raw) >= 7 else len(raw)
        needles.update(raw[i:i + n] for i in range(len(raw) - n + 1))  # substrings too
    for v in values:
        for needle in needles:
            assert needle not in v, needle


# users --------------------------------------------------------------------------------------------------------
def test_create_find_and_cache(world: World) -> None:
    svc = world.svc
    assert svc.find_user(world.account_id, "ext-1") is None  # negative answers are cached too
    u = svc.create_user(world.account_id, "ext-1", display_name="小明")
    assert (u.status, u.verified_at, u.birth_date, u.is_minor, u.training_opt_out) == ("active", None, None, False, False)
    assert svc.find_user(world.account_id, "ext-1") == u  # the create invalidated the negative entry
    assert svc.peek_user(world.account_id, "ext-1") == (True, u)
    assert svc.get_user(u.id) == u
    assert svc.get_user("nope") is None
    with pytest.raises(UserExists):
        svc.create_user(world.account_id, "ext-1")
    with pytest.raises(NotFound):
        svc.create_user("no-such-account", "ext-1")
    assert svc.get_or_create_user(world.account_id, "ext-1") == u
    assert svc.get_or_create_user(world.account_id, "ext-2").id != u.id
    assert svc.export_personal_data(u.id).display_name == "小明"
    _assert_absent(world, "小明")


def test_training_opt_out_invalidates_the_cache(world: World) -> None:
    u = world.svc.create_user(world.account_id, "ext-1")
    assert world.svc.find_user(world.account_id, "ext-1") == u
    out = world.svc.set_training_opt_out(u.id, True)
    assert out.training_opt_out
    found = world.svc.find_user(world.account_id, "ext-1")
    assert found is not None and found.training_opt_out
    assert not world.svc.set_training_opt_out(u.id, False).training_opt_out
    assert ("user.training_opt_out", {"user_id": u.id, "account_id": world.account_id, "opt_out": True}) in world.events


# real-name verification ---------------------------------------------------------------------------------------
def test_verify_stores_only_ciphertext_and_hashes(world: World) -> None:
    u = world.svc.create_user(world.account_id, "ext-1")
    r = world.svc.verify_identity(u.id, name=NAME, id_number=ID_NUMBER.lower(), phone="+86 138-0013-8000")
    assert r.ok and r.outcome == "verified" and r.provider_called and not r.warnings
    assert r.user is not None
    assert r.user.birth_date == date(1949, 12, 31) and r.user.verified_at == T0 and not r.user.is_minor
    assert r.user.verify_method == "id3" and r.user.phone_verified_at == T0
    assert world.svc.find_user(world.account_id, "ext-1") == r.user
    data = world.svc.export_personal_data(u.id)
    assert (data.name, data.id_number, data.phone) == (NAME, ID_NUMBER, PHONE)
    assert NAME not in repr(data) and ID_NUMBER not in repr(data)
    _assert_absent(world, NAME, ID_NUMBER, PHONE)
    with world.engine.connect() as conn:
        row = conn.execute(text("SELECT name_enc, id_number_enc, phone_enc, id_number_hmac, phone_hmac "
                                "FROM end_users WHERE id = :id"), {"id": u.id}).one()
    assert all(bytes(b).startswith(b"v1") for b in row[:3])
    assert row[3] == world.svc.lookup_hash("id_number", ID_NUMBER) and len(row[4]) == 64
    kinds = [k for k, _ in world.events]
    assert kinds == ["user.created", "identity.verify"]
    assert world.events[1][1]["outcome"] == "verified" and world.events[1][1]["factors"] == 3


def test_local_checks_run_before_the_provider(world: World) -> None:
    u = world.svc.create_user(world.account_id, "ext-1")
    bad = ID_NUMBER[:-1] + "1"
    r = world.svc.verify_identity(u.id, name=NAME, id_number=bad)
    assert not r.ok and r.outcome == "invalid_id" and [e.code for e in r.errors] == ["checksum"]
    assert "X" in r.en and "校验码" in r.zh
    assert world.svc.verify_identity(u.id, name="Zhang3", id_number=ID_NUMBER).outcome == "invalid_name"
    assert world.svc.verify_identity(u.id, name=NAME, id_number=ID_NUMBER, phone="12345678901").outcome == "invalid_phone"
    assert world.provider.calls == 0  # nothing billed
    assert world.svc.get_user(u.id) == u


def test_retired_region_code_is_accepted_with_a_warning(world: World) -> None:
    old = make_id("110103", "19800101")  # 崇文区, merged in 2010
    world.provider.table[(NAME, old)] = True
    u = world.svc.create_user(world.account_id, "ext-1")
    r = world.svc.verify_identity(u.id, name=NAME, id_number=old)
    assert r.ok and [w.code for w in r.warnings] == ["county_unknown"]
    assert world.events[-1][1]["warnings"] == ["county_unknown"]


def test_provider_refusals_store_nothing(world: World) -> None:
    u = world.svc.create_user(world.account_id, "ext-1")
    other = make_id("110105", "19900101")
    r = world.svc.verify_identity(u.id, name=NAME, id_number=other)
    assert not r.ok and r.outcome == "no_record" and r.provider_called
    world.provider.table[(NAME, other)] = ProviderResult(False, "mismatch", request_id="req-1")
    r = world.svc.verify_identity(u.id, name=NAME, id_number=other)
    assert r.outcome == "mismatch" and r.provider_request_id == "req-1"
    world.provider.error = TimeoutError("boom")
    assert world.svc.verify_identity(u.id, name=NAME, id_number=ID_NUMBER).outcome == "provider_error"
    assert world.svc.get_user(u.id) == u
    _assert_absent(world, NAME, other, ID_NUMBER)


def test_one_id_number_binds_a_limited_number_of_users(world: World) -> None:
    world.svc.max_users_per_id = 1
    a = world.svc.create_user(world.account_id, "a")
    b = world.svc.create_user(world.account_id, "b")
    assert world.svc.verify_identity(a.id, name=NAME, id_number=ID_NUMBER).ok
    assert world.svc.verify_identity(a.id, name=NAME, id_number=ID_NUMBER).ok  # re-verifying oneself is fine
    calls = world.provider.calls
    r = world.svc.verify_identity(b.id, name=NAME, id_number=ID_NUMBER)
    assert r.outcome == "id_limit" and world.provider.calls == calls


def test_minor_flag_turns_off_at_midnight_china_time_on_the_18th_birthday(world: World) -> None:
    teen = make_id("110105", "20070602")
    world.provider.table[(NAME, teen)] = True
    u = world.svc.create_user(world.account_id, "ext-1")
    world.clock.now = datetime(2025, 6, 1, 15, 59, 59, tzinfo=UTC)  # 2025-06-01 23:59:59 CST
    r = world.svc.verify_identity(u.id, name=NAME, id_number=teen)
    assert r.ok and r.user is not None and r.user.is_minor
    world.clock.now = datetime(2025, 6, 1, 16, 0, 0, tzinfo=UTC)  # 2025-06-02 00:00:00 CST
    user = world.svc.get_user(u.id)
    assert user is not None and not user.is_minor


def test_sync_form_refuses_to_run_inside_an_event_loop_and_async_form_works(world: World) -> None:
    u = world.svc.create_user(world.account_id, "ext-1")

    async def main() -> bool:
        with pytest.raises(IdentityError):
            world.svc.verify_identity(u.id, name=NAME, id_number=ID_NUMBER)
        r = await world.svc.averify_identity(u.id, name=NAME, id_number=ID_NUMBER)
        ch = await world.svc.asend_otp(u.id, PHONE)
        assert world.sms.last_code is not None
        return r.ok and await world.svc.acheck_otp(ch.id, world.sms.last_code)

    assert asyncio.run(main())


def test_missing_provider_or_sms_gateway_is_a_config_error(world: World) -> None:
    svc = UserService(world.engine, world.keyring, SECRET, clock=world.clock)
    u = svc.create_user(world.account_id, "ext-1")
    with pytest.raises(ConfigError):
        svc.verify_identity(u.id, name=NAME, id_number=ID_NUMBER)
    with pytest.raises(ConfigError):
        svc.send_otp(u.id, PHONE)


# erasure ------------------------------------------------------------------------------------------------------
def test_delete_subject_crypto_erases(world: World) -> None:
    u = world.svc.create_user(world.account_id, "ext-1", display_name="小明")
    assert world.svc.verify_identity(u.id, name=NAME, id_number=ID_NUMBER, phone=PHONE).ok
    with world.engine.connect() as conn:
        blobs = conn.execute(text("SELECT name_enc, id_number_enc, phone_enc FROM end_users WHERE id = :id"),
                             {"id": u.id}).one()
    assert world.svc.find_user(world.account_id, "ext-1") is not None
    d = world.svc.delete_subject(u.id)
    assert d.status == "deleted" and d.birth_date is None and d.verified_at is None
    assert d.external_id == f"deleted:{u.id}"
    assert world.svc.find_user(world.account_id, "ext-1") is None  # cache invalidated, external id released
    for f, blob in zip(("name", "id_number", "phone"), blobs, strict=True):
        with pytest.raises(CryptoErased):
            world.keyring.decrypt(u.id, f, bytes(blob))
        with pytest.raises(CryptoErased):  # also for a fresh process without the cache
            KeyRing(world.engine, bytes(range(32))).decrypt(u.id, f, bytes(blob))
    with pytest.raises(CryptoErased):
        world.svc.export_personal_data(u.id)
    with world.engine.connect() as conn:
        row = conn.execute(text("SELECT name_enc, id_number_enc, phone_enc, display_name_enc, id_number_hmac, "
                                "phone_hmac, birth_date FROM end_users WHERE id = :id"), {"id": u.id}).one()
    assert all(v is None for v in row)
    _assert_absent(world, NAME, ID_NUMBER, PHONE, "小明")
    assert world.svc.delete_subject(u.id).status == "deleted"  # idempotent
    assert [k for k, _ in world.events].count("user.deleted") == 1
    again = world.svc.create_user(world.account_id, "ext-1")  # the app may register the person anew
    assert again.id != u.id
    with pytest.raises(IdentityError):
        world.svc.verify_identity(u.id, name=NAME, id_number=ID_NUMBER)


# SMS one-time codes -------------------------------------------------------------------------------------------
def test_otp_valid_until_the_boundary_second(world: World) -> None:
    u = world.svc.create_user(world.account_id, "ext-1")
    ch = world.svc.send_otp(u.id, "138 0013 8000")
    assert ch.expires_at == T0 + timedelta(seconds=300) and ch.attempts_left == 5
    code = world.sms.last_code
    assert code is not None and len(code) == 6 and code.isdigit() and world.sms.last_phone == PHONE
    world.clock.advance(299)
    assert world.svc.get_challenge(ch.id).status == "pending"  # type: ignore[union-attr]
    assert world.svc.check_otp(ch.id, code)
    user = world.svc.get_user(u.id)
    assert user is not None and user.phone_verified_at == T0 + timedelta(seconds=299)
    assert world.svc.export_personal_data(u.id).phone == PHONE
    assert not world.svc.check_otp(ch.id, code)  # single use
    _assert_absent(world, PHONE, code)


def test_otp_expired_at_the_boundary_second(world: World) -> None:
    u = world.svc.create_user(world.account_id, "ext-1")
    ch = world.svc.send_otp(u.id, PHONE)
    code = world.sms.last_code
    assert code is not None
    world.clock.advance(300)
    assert world.svc.get_challenge(ch.id).status == "expired"  # type: ignore[union-attr]
    assert not world.svc.check_otp(ch.id, code)
    user = world.svc.get_user(u.id)
    assert user is not None and user.phone_verified_at is None
    assert world.events[-1] == ("otp.checked", {
        "user_id": u.id, "account_id": world.account_id, "challenge_id": ch.id, "outcome": "expired",
    })


def test_otp_brute_force_lock_out(world: World) -> None:
    u = world.svc.create_user(world.account_id, "ext-1")
    ch = world.svc.send_otp(u.id, PHONE)
    code = world.sms.last_code
    assert code is not None
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for i in range(4):
        assert not world.svc.check_otp(ch.id, wrong)
        assert world.svc.get_challenge(ch.id).attempts_left == 4 - i  # type: ignore[union-attr]
    assert not world.svc.check_otp(ch.id, "not a code")  # the 5th wrong answer locks
    assert world.svc.get_challenge(ch.id).status == "locked"  # type: ignore[union-attr]
    assert not world.svc.check_otp(ch.id, code)  # even the right code, now
    assert [p["outcome"] for k, p in world.events if k == "otp.checked"] == ["wrong"] * 4 + ["locked", "locked"]
    with pytest.raises(NotFound):
        world.svc.check_otp("no-such-challenge", code)


def test_otp_resend_throttle_and_supersede(world: World) -> None:
    u = world.svc.create_user(world.account_id, "ext-1")
    first = world.svc.send_otp(u.id, PHONE)
    old_code = world.sms.last_code
    assert old_code is not None
    world.clock.advance(59)
    with pytest.raises(OtpThrottled) as exc:
        world.svc.send_otp(u.id, PHONE)
    assert exc.value.retry_after_s == 1 and "60" not in exc.value.en and "秒" in exc.value.zh
    other = world.svc.create_user(world.account_id, "ext-2")
    with pytest.raises(OtpThrottled):  # per phone too
        world.svc.send_otp(other.id, PHONE)
    world.clock.advance(1)
    second = world.svc.send_otp(u.id, PHONE)
    assert world.svc.get_challenge(first.id).status == "superseded"  # type: ignore[union-attr]
    assert not world.svc.check_otp(first.id, old_code)
    assert world.sms.last_code is not None and world.svc.check_otp(second.id, world.sms.last_code)
    assert world.sms.sent == 2


def test_phone_bound_to_one_user_per_account(world: World) -> None:
    a = world.svc.create_user(world.account_id, "a")
    b = world.svc.create_user(world.account_id, "b")
    ch = world.svc.send_otp(a.id, PHONE)
    assert world.sms.last_code is not None and world.svc.check_otp(ch.id, world.sms.last_code)
    world.clock.advance(60)
    with pytest.raises(PhoneInUse):
        world.svc.send_otp(b.id, PHONE)
    r = world.svc.verify_identity(b.id, name=NAME, id_number=ID_NUMBER, phone=PHONE)
    assert r.outcome == "phone_in_use"


def test_invalid_phone_and_sms_failure(world: World) -> None:
    u = world.svc.create_user(world.account_id, "ext-1")
    with pytest.raises(InvalidPhone):
        world.svc.send_otp(u.id, "12345678901")
    world.sms.fail = True
    with pytest.raises(SmsError):
        world.svc.send_otp(u.id, PHONE)
    world.sms.fail = False
    ch = world.svc.send_otp(u.id, PHONE)  # a failed send does not throttle
    assert ch.status == "pending"
    assert "otp.send_failed" in [k for k, _ in world.events]
    assert world.sms.last_code is not None and world.sms.last_code not in repr(world.sms)


def test_events_carry_no_personal_data(world: World) -> None:
    u = world.svc.create_user(world.account_id, "ext-1", display_name="小明")
    world.svc.verify_identity(u.id, name=NAME, id_number=ID_NUMBER, phone=PHONE)
    ch = world.svc.send_otp(u.id, "13900139000")
    assert world.sms.last_code is not None
    world.svc.check_otp(ch.id, world.sms.last_code)
    world.svc.delete_subject(u.id)
    dump = json.dumps(world.events, ensure_ascii=False)
    for s in (NAME, ID_NUMBER, PHONE, "13900139000", "小明", "ext-1"):
        assert s not in dump
    assert len(world.events) == 5


# helpers and the provider skeleton ----------------------------------------------------------------------------
@pytest.mark.parametrize(("given", "expected"), [
    ("13800138000", PHONE), ("+86 138 0013 8000", PHONE), ("0086-138-0013-8000", PHONE), ("8613800138000", PHONE),
    ("１３８００１３８０００", PHONE), ("19212345678", "19212345678"),
    ("12345678901", None), ("1380013800", None), ("138001380001", None), ("abc", None), ("", None),
])
def test_normalise_mobile(given: str, expected: str | None) -> None:
    assert normalise_mobile(given) == expected


def test_every_vendor_code_maps_to_one_verdict() -> None:
    assert set(TENCENT_ID2_VERDICTS) == {"0", "-1", "-2", "-3", "-4", "-5", "-6", "-7"}
    assert set(TENCENT_PHONE3_VERDICTS) == {"0", "-4", "-6", "-7", "-8", "-9", "-11", "-12", "-13"}
    p = HttpIdentityProvider("https://idv.example.com/api/", api_key="k")
    for table, three in ((TENCENT_ID2_VERDICTS, False), (TENCENT_PHONE3_VERDICTS, True)):
        for code, verdict in table.items():
            r = p.parse_response(200, {"result": code, "request_id": "r"}, three_factor=three)
            assert r.verdict == verdict and r.matched == (verdict == "match") and r.raw_code == code
            assert r.billed == (verdict in ("match", "mismatch"))
    assert p.parse_response(200, {"result": "999"}, three_factor=False).verdict == "provider_error"
    assert p.parse_response(429, None, three_factor=False).verdict == "rate_limited"
    assert p.parse_response(502, None, three_factor=False).verdict == "provider_error"
    url, headers, body = p.build_request(NAME, ID_NUMBER, PHONE)
    assert url == "https://idv.example.com/api/id3" and headers["Authorization"] == "Bearer k"
    assert body == {"name": NAME, "id_number": ID_NUMBER, "phone": PHONE}


def test_http_provider_needs_a_key_and_an_http_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HEGUI_IDV_API_KEY", raising=False)
    p = HttpIdentityProvider("https://idv.example.com")
    with pytest.raises(ConfigError) as exc:
        p.api_key()
    assert "HEGUI_IDV_API_KEY" in exc.value.en and "HEGUI_IDV_API_KEY" in exc.value.zh
    monkeypatch.setenv("HEGUI_IDV_API_KEY", "from-env")
    assert p.api_key() == "from-env"
    with pytest.raises(ConfigError):
        HttpIdentityProvider("ftp://idv.example.com")


def test_http_provider_transport_error_is_provider_error() -> None:
    p = HttpIdentityProvider("http://127.0.0.1:9", api_key="k", timeout_s=1.0)
    r = asyncio.run(p.verify(NAME, ID_NUMBER, None))
    assert r.verdict == "provider_error" and not r.matched

"""End users of the provider's apps: real-name verification, mobile numbers with SMS one-time codes, training
opt-out and erasure.

Personal data is never stored in plaintext. Real name, resident ID number, phone number and display name are
encrypted per subject with :class:`~hegui.services.crypto.KeyRing` (the subject is the end user's id); where a
lookup is needed (one ID number bound to too many users, one phone to several users, throttling codes sent to
one phone) a keyed hash is stored beside it: ``HMAC-SHA256(K, kind || 0x00 || value)`` with
``K = HMAC-SHA256(secret_key, "hegui identity lookup v1")``, hex.

Real-name verification (:meth:`UserService.verify_identity`) runs the local checks first (GB 11643 check
character, birth date, province; a retired county code is a warning, not a failure; name and phone format), so
malformed input never reaches the paid provider, then asks the :class:`IdentityProvider` (two factors: name + ID;
three: + phone). On a match it stores the birth date (for minors' mode), ``verified_at`` and the encrypted
fields; a phone confirmed by the three-factor check is bound to the user.

SMS codes (:meth:`UserService.send_otp` / :meth:`UserService.check_otp`): 6 digits from :mod:`secrets`, stored
only as an HMAC bound to the challenge id, valid for ``otp_ttl_s`` (default 300 s: at ``created + 300 s`` it
has expired), at most ``otp_max_attempts`` (5) wrong answers and then the challenge is locked, one code per user
and per phone every ``otp_resend_s`` (60 s), a new code supersedes the previous one. Codes are never logged.

Every state change calls ``on_event(kind, payload)`` after it is committed (payloads carry ids and outcomes,
never personal data) so that the caller can write the audit log; an exception from ``on_event`` propagates.

The gateway is async, the CLI and console are sync: the methods that call a provider or an SMS gateway come in
both forms (``verify_identity`` / ``averify_identity``, ``send_otp`` / ``asend_otp``); the sync forms refuse to
run inside an event loop. Database work of the async forms runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import math
import os
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, Literal, Protocol, TypeVar, cast

from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hegui.core.errors import ConfigError, HeguiError
from hegui.detectors.pii import IdReason, mobile_score, validate_resident_id
from hegui.services.accounts import NotFound
from hegui.services.crypto import CryptoErased, KeyRing
from hegui.store import Account as AccountRow
from hegui.store import read_only
from hegui.store.identity_models import EndUser
from hegui.store.identity_models import OtpChallenge as OtpRow

__all__ = [
    "CHINA_TZ",
    "TENCENT_ID2_VERDICTS",
    "TENCENT_PHONE3_VERDICTS",
    "EventSink",
    "FakeIdentityProvider",
    "FakeSmsSender",
    "HttpIdentityProvider",
    "IdentityError",
    "IdentityProvider",
    "InvalidPhone",
    "OtpChallenge",
    "OtpThrottled",
    "PersonalData",
    "PhoneInUse",
    "ProviderResult",
    "SmsError",
    "SmsSender",
    "User",
    "UserDeleted",
    "UserExists",
    "UserService",
    "Verdict",
    "VerificationResult",
    "age_on",
    "normalise_mobile",
]

CHINA_TZ = timezone(timedelta(hours=8), "CST")  # Asia/Shanghai (no daylight saving since 1991)
ADULT_AGE = 18
OTP_DIGITS = 6

Verdict = Literal["match", "mismatch", "no_record", "invalid_input", "provider_error", "rate_limited"]
EventSink = Callable[[str, dict[str, Any]], None]
_T = TypeVar("_T")


# errors -------------------------------------------------------------------------------------------------------
class IdentityError(HeguiError):
    """A request about an end user that cannot be done as asked (the message says what to do)."""

    exit_code = 2


class UserExists(IdentityError):
    """The account already has an end user with this external id."""


class UserDeleted(IdentityError):
    """The end user was deleted (their personal data erased)."""


class InvalidPhone(IdentityError):
    """Not a mainland mobile number."""


class PhoneInUse(IdentityError):
    """The phone number is already bound to another end user of the account."""


class OtpThrottled(IdentityError):
    """A code was sent to this user or phone moments ago."""

    def __init__(self, retry_after_s: int) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(
            f"a code was sent moments ago: wait {retry_after_s} s before asking for a new one",
            f"验证码刚刚已发送：请等待 {retry_after_s} 秒后再重新获取",
        )


class SmsError(IdentityError):
    """The SMS gateway did not take the message."""


# value types --------------------------------------------------------------------------------------------------
def age_on(birth: date, on: date) -> int:
    """Completed years of age on ``on``."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


@dataclass(frozen=True)
class User:
    """An end user of a customer's app. ``birth_date`` is known once real-name verification succeeded;
    ``is_minor`` (age under 18 on the China-time date of the service clock when this value was made) is False
    while it is unknown."""

    id: str
    account_id: str
    external_id: str
    status: str  # active | deleted
    verified_at: datetime | None
    birth_date: date | None
    is_minor: bool
    training_opt_out: bool
    created_at: datetime
    phone_verified_at: datetime | None = None
    verify_method: str | None = None  # id2 | id3


@dataclass(frozen=True)
class PersonalData:
    """A user's decrypted personal data (subject access request). Kept out of ``repr``."""

    user_id: str
    display_name: str | None = field(repr=False)
    name: str | None = field(repr=False)
    id_number: str | None = field(repr=False)
    phone: str | None = field(repr=False)
    birth_date: date | None = field(repr=False)


@dataclass(frozen=True)
class ProviderResult:
    """What an :class:`IdentityProvider` answered. ``verdict`` defaults from ``matched``."""

    matched: bool
    reason: str = ""
    verdict: Verdict | None = None
    billed: bool = False
    request_id: str = ""
    raw_code: str = ""

    def __post_init__(self) -> None:
        if self.verdict is None:
            object.__setattr__(self, "verdict", "match" if self.matched else "mismatch")
        if self.matched != (self.verdict == "match"):
            raise ValueError("matched must be True exactly when verdict is 'match'")


Outcome = Literal[
    "verified", "invalid_name", "invalid_id", "invalid_phone", "id_limit", "phone_in_use",
    "mismatch", "no_record", "invalid_input", "provider_error", "rate_limited",
]

_OUTCOME_TEXT: dict[str, tuple[str, str]] = {
    "verified": ("identity verified", "实名核验通过"),
    "invalid_name": (
        "the name is not a plausible legal name (1-64 characters, no digits): enter it as on the ID card",
        "姓名格式不正确（1-64个字符，不含数字）：请按身份证上的姓名填写",
    ),
    "invalid_id": ("the ID number is not valid: check it and enter it again", "身份证号码无效：请核对后重新输入"),
    "invalid_phone": (
        "not a mainland mobile number (11 digits starting 13-19): check it and enter it again",
        "不是有效的大陆手机号（以13-19开头的11位数字）：请核对后重新输入",
    ),
    "id_limit": (
        "this ID number is already bound to the most accounts allowed: sign in to an existing account",
        "该身份证号码绑定的账号已达上限：请登录已有账号",
    ),
    "phone_in_use": (
        "this phone number is bound to another account: sign in to that account or use another number",
        "该手机号已绑定其他账号：请登录该账号或使用其他号码",
    ),
    "mismatch": (
        "the name, ID number (and phone) do not match the official records: check them and try again",
        "姓名、身份证号码（及手机号）与权威记录不一致：请核对后重试",
    ),
    "no_record": (
        "no official record was found for this ID number: check it, or verify another way",
        "未查到该身份证号码的权威记录：请核对，或改用其他方式核验",
    ),
    "invalid_input": (
        "the verification service rejected the input as malformed: check name, ID number and phone",
        "核验服务认为输入格式有误：请核对姓名、身份证号码和手机号",
    ),
    "provider_error": (
        "the verification service is unavailable: try again later",
        "实名核验服务暂不可用：请稍后重试",
    ),
    "rate_limited": (
        "the verification service is over its limit: try again later",
        "实名核验服务调用已达上限：请稍后重试",
    ),
}


@dataclass(frozen=True)
class VerificationResult:
    """The outcome of a real-name verification. ``errors`` / ``warnings`` are the local ID-number findings
    (``warnings`` e.g. ``county_unknown`` for a retired region code). ``provider_called`` is False when local
    checks refused the input (nothing billed)."""

    ok: bool
    outcome: Outcome
    user: User | None = None
    errors: tuple[IdReason, ...] = ()
    warnings: tuple[IdReason, ...] = ()
    provider_called: bool = False
    provider_request_id: str = ""

    @property
    def en(self) -> str:
        return " ".join([_OUTCOME_TEXT[self.outcome][0]] + [r.en for r in self.errors])

    @property
    def zh(self) -> str:
        return "；".join([_OUTCOME_TEXT[self.outcome][1]] + [r.zh for r in self.errors])

    def message(self, lang: str = "en") -> str:
        return self.zh if lang.startswith("zh") else self.en


@dataclass(frozen=True)
class OtpChallenge:
    """An SMS one-time-code challenge (never the code)."""

    id: str
    expires_at: datetime
    user_id: str = ""
    status: str = "pending"  # pending | verified | locked | expired | superseded | failed
    attempts_left: int = 0


# protocols and implementations ----------------------------------------------------------------------------------
class IdentityProvider(Protocol):
    """A real-name verification service: two factors (name + ID number) or three (+ mobile number)."""

    async def verify(self, name: str, id_number: str, phone: str | None) -> ProviderResult: ...


class SmsSender(Protocol):
    """An SMS gateway. Implementations must not log ``code``."""

    async def send_code(self, phone: str, code: str, ttl_s: int) -> None: ...


class FakeIdentityProvider:
    """For tests: answers from a table keyed by ``(name, id_number)`` or ``(name, id_number, phone)`` (three-factor
    entries win); a value is a bool or a :class:`ProviderResult`. ``error`` makes every call raise it.
    ``calls`` counts calls (nothing else is recorded)."""

    def __init__(
        self,
        table: Mapping[tuple[str, ...], ProviderResult | bool] | None = None,
        *,
        default: ProviderResult | None = None,
        error: Exception | None = None,
    ) -> None:
        self.table = dict(table or {})
        self.default = default or ProviderResult(False, "no record", verdict="no_record")
        self.error = error
        self.calls = 0

    async def verify(self, name: str, id_number: str, phone: str | None) -> ProviderResult:
        self.calls += 1
        if self.error is not None:
            raise self.error
        hit = self.table.get((name, id_number, phone)) if phone else None
        if hit is None:
            hit = self.table.get((name, id_number))
        if hit is None:
            return self.default
        if isinstance(hit, bool):
            return ProviderResult(hit, "fake", billed=True)
        return hit


class FakeSmsSender:
    """For tests: keeps the last code and phone instead of sending. ``fail`` makes sending raise."""

    def __init__(self, *, fail: bool = False) -> None:
        self.fail = fail
        self.last_code: str | None = None
        self.last_phone: str | None = None
        self.sent = 0

    async def send_code(self, phone: str, code: str, ttl_s: int) -> None:
        if self.fail:
            raise RuntimeError("fake SMS gateway failure")
        self.last_phone, self.last_code = phone, code
        self.sent += 1

    def __repr__(self) -> str:  # never show the code
        return f"FakeSmsSender(sent={self.sent})"


class HttpSmsSender:
    """Skeleton of an HTTP SMS gateway: adapt :meth:`build_request` / :meth:`check_response` to your vendor (or
    subclass). As shipped it speaks a neutral JSON protocol::

        POST {base_url}/send   {"phone": ..., "template": ..., "params": {"code": ..., "minutes": ...}}
        Authorization: Bearer <key>
        2xx {"ok": true}                       anything else: the code was not sent

    ``template`` is the vendor's template id for the verification message (the code itself is never put in a
    free-text message here). The key comes from ``api_key`` or the environment variable ``api_key_env`` (default
    ``HEGUI_SMS_API_KEY``); neither the key nor the code is ever logged. A failure raises :class:`SmsError`, so
    the user is told to retry and no challenge counts as sent."""

    def __init__(self, base_url: str, *, template: str, api_key: str | None = None,
                 api_key_env: str = "HEGUI_SMS_API_KEY", timeout_s: float = 5.0) -> None:
        if not base_url.startswith(("https://", "http://")):
            raise ConfigError(f"SMS gateway URL must start with https:// (got {base_url!r})",
                              f"短信网关地址必须以 https:// 开头（当前为 {base_url!r}）")
        self.base_url = base_url.rstrip("/")
        self.template = template
        self._api_key = api_key
        self.api_key_env = api_key_env
        self.timeout_s = timeout_s

    def __repr__(self) -> str:  # never show the key
        return f"HttpSmsSender({self.base_url!r}, template={self.template!r})"

    def api_key(self) -> str:
        key = self._api_key or os.environ.get(self.api_key_env, "")
        if not key:
            raise ConfigError(f"no API key for the SMS gateway: set {self.api_key_env}",
                              f"未配置短信网关的 API 密钥：请设置环境变量 {self.api_key_env}")
        return key

    def build_request(self, phone: str, code: str, ttl_s: int) -> tuple[str, dict[str, str], dict[str, Any]]:
        """``(url, headers, json body)`` of one send. The place to adapt field names and add request signing."""
        body = {"phone": phone, "template": self.template, "params": {"code": code, "minutes": max(1, ttl_s // 60)}}
        return f"{self.base_url}/send", {"Authorization": f"Bearer {self.api_key()}"}, body

    def check_response(self, status: int, body: Any) -> None:
        """Raise :class:`SmsError` unless the vendor accepted the message."""
        if status >= 300 or not (isinstance(body, dict) and body.get("ok") is True):
            raise SmsError(f"the SMS gateway refused the message (HTTP {status})",
                           f"短信网关未能发送（HTTP {status}）")

    async def send_code(self, phone: str, code: str, ttl_s: int) -> None:
        import httpx

        url, headers, body = self.build_request(phone, code, ttl_s)
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s, trust_env=False) as client:
                r = await client.post(url, headers=headers, json=body)
        except httpx.HTTPError as exc:
            raise SmsError(f"the SMS gateway is unreachable ({type(exc).__name__}); retry later",
                           f"无法连接短信网关（{type(exc).__name__}），请稍后重试") from None
        try:
            data: Any = r.json()
        except ValueError:
            data = None
        self.check_response(r.status_code, data)


# Vendor result codes -> verdicts (labeling-privacy.md §3): the mapping point for HttpIdentityProvider users.
TENCENT_ID2_VERDICTS: dict[str, Verdict] = {  # faceid IdCardVerification "Result"
    "0": "match", "-1": "mismatch", "-2": "invalid_input", "-3": "invalid_input", "-4": "provider_error",
    "-5": "no_record", "-6": "provider_error", "-7": "rate_limited",
}
TENCENT_PHONE3_VERDICTS: dict[str, Verdict] = {  # faceid PhoneVerification "Result"
    "0": "match", "-4": "mismatch", "-6": "invalid_input", "-7": "invalid_input", "-8": "invalid_input",
    "-9": "no_record", "-11": "provider_error", "-12": "rate_limited", "-13": "invalid_input",
}
_BILLED = frozenset({"match", "mismatch"})


class HttpIdentityProvider:
    """Skeleton of an HTTP real-name provider: fill in :meth:`build_request` and :meth:`parse_response` for your
    vendor (or subclass). As shipped it speaks a neutral JSON protocol::

        POST {base_url}/id2   {"name": ..., "id_number": ...}              (three factors: /id3 with "phone")
        Authorization: Bearer <key>
        200 {"result": "0", "request_id": "..."}     result: a vendor code looked up in ``verdicts``

    ``verdicts`` defaults to Tencent Cloud faceid's codes (:data:`TENCENT_ID2_VERDICTS` for two factors,
    :data:`TENCENT_PHONE3_VERDICTS` for three); vendors that sign requests (Tencent TC3, Aliyun) need the
    signing added in :meth:`build_request`. The key comes from ``api_key`` or the environment variable
    ``api_key_env`` (default ``HEGUI_IDV_API_KEY``); it is never logged. Transport errors, timeouts
    (``timeout_s``) and HTTP 5xx map to ``provider_error``, HTTP 429 to ``rate_limited``.
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        api_key_env: str = "HEGUI_IDV_API_KEY",
        timeout_s: float = 5.0,
        id2_verdicts: Mapping[str, Verdict] | None = None,
        id3_verdicts: Mapping[str, Verdict] | None = None,
    ) -> None:
        if not base_url.startswith(("https://", "http://")):
            raise ConfigError(
                f"identity provider URL must start with https:// (got {base_url!r})",
                f"实名核验服务地址必须以 https:// 开头（当前为 {base_url!r}）",
            )
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.api_key_env = api_key_env
        self.timeout_s = timeout_s
        self.id2_verdicts = dict(id2_verdicts or TENCENT_ID2_VERDICTS)
        self.id3_verdicts = dict(id3_verdicts or TENCENT_PHONE3_VERDICTS)

    def api_key(self) -> str:
        key = self._api_key or os.environ.get(self.api_key_env, "")
        if not key:
            raise ConfigError(
                f"no API key for the identity provider: set {self.api_key_env}",
                f"未配置实名核验服务的 API 密钥：请设置环境变量 {self.api_key_env}",
            )
        return key

    def build_request(self, name: str, id_number: str, phone: str | None) -> tuple[str, dict[str, str], dict[str, Any]]:
        """``(url, headers, json body)`` of one call. The place to adapt field names and add request signing."""
        body: dict[str, Any] = {"name": name, "id_number": id_number}
        if phone:
            body["phone"] = phone
        headers = {"Authorization": f"Bearer {self.api_key()}"}
        return f"{self.base_url}/{'id3' if phone else 'id2'}", headers, body

    def parse_response(self, status: int, body: Any, *, three_factor: bool) -> ProviderResult:
        """Map the vendor's answer to a :class:`ProviderResult`. The place to adapt to the vendor's response."""
        if status == 429:
            return ProviderResult(False, "HTTP 429", verdict="rate_limited")
        if status >= 500 or not isinstance(body, dict):
            return ProviderResult(False, f"HTTP {status}", verdict="provider_error")
        if status >= 400:
            return ProviderResult(False, f"HTTP {status}", verdict="invalid_input")
        code = str(body.get("result", ""))
        table = self.id3_verdicts if three_factor else self.id2_verdicts
        verdict: Verdict = table.get(code, "provider_error")
        return ProviderResult(
            verdict == "match", str(body.get("description", "")), verdict=verdict, billed=verdict in _BILLED,
            request_id=str(body.get("request_id", "")), raw_code=code,
        )

    async def verify(self, name: str, id_number: str, phone: str | None) -> ProviderResult:
        import httpx

        url, headers, body = self.build_request(name, id_number, phone)
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s) as client:
                r = await client.post(url, headers=headers, json=body)
        except httpx.HTTPError as exc:
            return ProviderResult(False, f"transport error: {type(exc).__name__}", verdict="provider_error")
        try:
            data: Any = r.json()
        except ValueError:
            data = None
        return self.parse_response(r.status_code, data, three_factor=bool(phone))


# helpers ------------------------------------------------------------------------------------------------------
_FULLWIDTH = str.maketrans("０１２３４５６７８９＋", "0123456789+")
_PHONE_SEPARATORS = str.maketrans("", "", " -()\t\u3000\u00a0（）－")


def normalise_mobile(s: str) -> str | None:
    """The 11-digit mainland mobile number in ``s`` (``+86`` / ``0086`` / ``86`` prefixes, spaces, hyphens and
    full-width digits accepted), or None when it is not one (``1[3-9]`` followed by 9 digits)."""
    n = s.strip().translate(_FULLWIDTH).translate(_PHONE_SEPARATORS)
    for prefix in ("+86", "0086", "86"):
        if n.startswith(prefix) and len(n) == len(prefix) + 11:
            n = n[len(prefix):]
            break
    if not (n.isascii() and n.isdigit()) or mobile_score(n) is None:
        return None
    return n


def _check_name(name: str) -> str | None:
    n = " ".join(name.split())
    if not 1 <= len(n) <= 64:
        return None
    if any(c.isdigit() or not c.isprintable() for c in n) or not any(c.isalpha() for c in n):
        return None
    return n


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _run_sync(coro: Coroutine[Any, Any, _T], async_name: str) -> _T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    coro.close()
    raise IdentityError(
        f"called from inside an event loop: await {async_name}(...) instead",
        f"在事件循环中调用了同步方法：请改用 await {async_name}(...)",
    )


def _not_found(user_id: str) -> NotFound:
    return NotFound(f"no end user {user_id!r}", f"终端用户 {user_id!r} 不存在")


def _deleted(user_id: str) -> UserDeleted:
    return UserDeleted(
        f"end user {user_id!r} was deleted and their personal data erased: create a new user",
        f"终端用户 {user_id!r} 已删除，个人信息已清除：请创建新用户",
    )


_CACHE_MAX = 50_000


# the service --------------------------------------------------------------------------------------------------
class UserService:
    """End users: profile, status, real-name verification, phone binding, training opt-out, erasure. Thread-safe.

    ``clock`` returns the current time as an aware UTC datetime (inject one in tests). ``find_user`` answers are
    cached for ``cache_ttl_s`` seconds; every change through this service invalidates the user's entry at once.
    """

    def __init__(
        self,
        engine: Engine,
        keyring: KeyRing,
        secret_key: bytes,
        *,
        clock: Callable[[], datetime] = _utcnow,
        sms: SmsSender | None = None,
        provider: IdentityProvider | None = None,
        on_event: EventSink | None = None,
        cache_ttl_s: float = 5.0,
        otp_ttl_s: int = 300,
        otp_max_attempts: int = 5,
        otp_resend_s: int = 60,
        max_users_per_id: int = 3,
        max_users_per_phone: int = 1,
    ) -> None:
        if len(secret_key) < 16:
            raise ValueError("the secret key must be at least 16 bytes")
        if otp_ttl_s < 1 or otp_max_attempts < 1 or otp_resend_s < 0 or max_users_per_id < 1 or max_users_per_phone < 1:
            raise ValueError("otp_ttl_s, otp_max_attempts, max_users_per_id, max_users_per_phone must be >= 1")
        self._engine = engine
        self._read = read_only(engine)
        self.keyring = keyring
        self._lookup_key = hmac.new(secret_key, b"hegui identity lookup v1", hashlib.sha256).digest()
        self._clock = clock
        self.sms = sms
        self.provider = provider
        self.on_event = on_event
        self.cache_ttl_s = cache_ttl_s
        self.otp_ttl_s = otp_ttl_s
        self.otp_max_attempts = otp_max_attempts
        self.otp_resend_s = otp_resend_s
        self.max_users_per_id = max_users_per_id
        self.max_users_per_phone = max_users_per_phone
        self._cache: dict[tuple[str, str], tuple[float, User | None]] = {}
        self._lock = threading.Lock()

    # helpers --------------------------------------------------------------------------------------------------
    def lookup_hash(self, kind: str, value: str) -> str:
        """The keyed lookup hash stored in ``*_hmac`` columns (``kind``: ``id_number``, ``phone``, ``otp``)."""
        return hmac.new(self._lookup_key, kind.encode() + b"\x00" + value.encode(), hashlib.sha256).hexdigest()

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the clock must return timezone-aware datetimes")
        return now

    def _user(self, row: EndUser, now: datetime | None = None) -> User:
        today = (now or self._now()).astimezone(CHINA_TZ).date()
        minor = row.birth_date is not None and age_on(row.birth_date, today) < ADULT_AGE
        return User(
            id=row.id, account_id=row.account_id, external_id=row.external_id, status=row.status,
            verified_at=row.verified_at, birth_date=row.birth_date, is_minor=minor,
            training_opt_out=row.training_opt_out, created_at=row.created_at,
            phone_verified_at=row.phone_verified_at, verify_method=row.verify_method,
        )

    def _emit(self, kind: str, payload: dict[str, Any]) -> None:
        if self.on_event is not None:
            self.on_event(kind, payload)

    def _forget(self, account_id: str, external_id: str) -> None:
        with self._lock:
            self._cache.pop((account_id, external_id), None)

    def invalidate(self) -> None:
        """Drop every cached :meth:`find_user` answer."""
        with self._lock:
            self._cache.clear()

    # users ----------------------------------------------------------------------------------------------------
    def create_user(self, account_id: str, external_id: str, *, display_name: str | None = None) -> User:
        """A new end user of ``account_id``, known to the app as ``external_id`` (1-200 characters)."""
        if not external_id or len(external_id) > 200:
            raise ValueError("external_id must be 1-200 characters")
        if display_name is not None and len(display_name) > 200:
            raise ValueError("display_name must be at most 200 characters")
        user_id = uuid.uuid4().hex
        name_blob = self.keyring.encrypt(user_id, "display_name", display_name) if display_name else None
        now = self._now()
        row = EndUser(
            id=user_id, account_id=account_id, external_id=external_id, status="active",
            display_name_enc=name_blob, training_opt_out=False, created_at=now, updated_at=now,
        )
        try:
            with Session(self._engine, expire_on_commit=False) as s, s.begin():
                if s.get(AccountRow, account_id) is None:
                    raise NotFound(f"no account {account_id!r}", f"账户 {account_id!r} 不存在")
                s.add(row)
        except IntegrityError:
            if name_blob is not None:
                self.keyring.erase(user_id)
            raise UserExists(
                f"account {account_id!r} already has an end user with this external id: use find_user",
                f"账户 {account_id!r} 已有该外部 ID 的终端用户：请用 find_user 查找",
            ) from None
        except BaseException:
            if name_blob is not None:
                self.keyring.erase(user_id)
            raise
        self._forget(account_id, external_id)
        self._emit("user.created", {"user_id": user_id, "account_id": account_id})
        return self._user(row, now)

    def get_or_create_user(self, account_id: str, external_id: str) -> User:
        """The user known as ``external_id``, created on first sight (safe when two requests race)."""
        found = self.find_user(account_id, external_id)
        if found is not None:
            return found
        try:
            return self.create_user(account_id, external_id)
        except UserExists:
            self._forget(account_id, external_id)
            again = self.find_user(account_id, external_id)
            assert again is not None
            return again

    def get_user(self, user_id: str) -> User | None:
        with Session(self._read) as s:
            row = s.get(EndUser, user_id)
            return self._user(row) if row is not None else None

    def list_users(self, limit: int = 100, offset: int = 0, *, account_id: str | None = None) -> list[User]:
        """End users, newest first (read-only; no personal data: the profile fields of :class:`User` only)."""
        if limit < 1 or offset < 0:
            raise ValueError("limit must be >= 1 and offset >= 0")
        q = select(EndUser)
        if account_id is not None:
            q = q.where(EndUser.account_id == account_id)
        now = self._now()
        with Session(self._read) as s:
            rows = s.execute(q.order_by(EndUser.created_at.desc(), EndUser.id).limit(limit).offset(offset)).scalars()
            return [self._user(r, now) for r in rows]

    def count_users(self) -> int:
        """How many end users are on record (erased ones included)."""
        with Session(self._read) as s:
            return int(s.execute(select(func.count()).select_from(EndUser)).scalar_one())

    def find_user(self, account_id: str, external_id: str) -> User | None:
        """The user known to the app as ``external_id`` (None if unknown). Cached for ``cache_ttl_s``."""
        key = (account_id, external_id)
        mono = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and hit[0] > mono:
            return hit[1]
        with Session(self._read) as s:
            row = s.execute(
                select(EndUser).where(EndUser.account_id == account_id, EndUser.external_id == external_id)
            ).scalar_one_or_none()
            user = self._user(row) if row is not None else None
        with self._lock:
            if len(self._cache) >= _CACHE_MAX:
                self._cache.clear()
            self._cache[key] = (mono + self.cache_ttl_s, user)
        return user

    def peek_user(self, account_id: str, external_id: str) -> tuple[bool, User | None]:
        """``(True, user)`` when :meth:`find_user`'s answer is cached and fresh, else ``(False, None)``: lets an
        event loop skip the thread hop on the hot path."""
        with self._lock:
            hit = self._cache.get((account_id, external_id))
        if hit is not None and hit[0] > time.monotonic():
            return True, hit[1]
        return False, None

    def set_training_opt_out(self, user_id: str, opt_out: bool) -> User:
        """Keep (True) or stop keeping (False) the user's inputs out of training-data exports."""
        now = self._now()
        with Session(self._engine, expire_on_commit=False) as s, s.begin():
            row = self._active_row(s, user_id)
            row.training_opt_out = bool(opt_out)
            row.updated_at = now
        self._forget(row.account_id, row.external_id)
        self._emit("user.training_opt_out", {"user_id": user_id, "account_id": row.account_id, "opt_out": bool(opt_out)})
        return self._user(row, now)

    def delete_subject(self, user_id: str) -> User:
        """Erase the user's personal data: destroy their data key (every ciphertext becomes unreadable, backups
        included), blank the identity fields, lookup hashes and birth date, release the external id (it becomes
        ``deleted:<user id>``) and drop pending codes. The row stays with status ``deleted``. Idempotent."""
        with Session(self._read) as s:
            existing = s.get(EndUser, user_id)
            if existing is None:
                raise _not_found(user_id)
            old_external = existing.external_id
        destroyed = self.keyring.erase(user_id)  # first: even if what follows fails, the data is unreadable
        now = self._now()
        with Session(self._engine, expire_on_commit=False) as s, s.begin():
            row = s.get(EndUser, user_id, with_for_update=True)
            if row is None:
                raise _not_found(user_id)
            was_deleted = row.status == "deleted"
            row.status = "deleted"
            row.external_id = f"deleted:{user_id}"
            row.display_name_enc = row.name_enc = row.id_number_enc = row.phone_enc = None
            row.id_number_hmac = row.phone_hmac = None
            row.birth_date = row.verified_at = row.phone_verified_at = row.verify_method = None
            row.updated_at = now
            if row.deleted_at is None:
                row.deleted_at = now
            s.execute(update(OtpRow).where(OtpRow.user_id == user_id).values(
                phone_enc=b"", phone_hmac="", code_hmac="", status="superseded"
            ).execution_options(synchronize_session=False))
        self._forget(row.account_id, old_external)
        if not was_deleted:
            self._emit("user.deleted", {"user_id": user_id, "account_id": row.account_id, "key_destroyed": destroyed})
        return self._user(row, now)

    def export_personal_data(self, user_id: str) -> PersonalData:
        """The user's personal data, decrypted (for an access request). Raises
        :class:`~hegui.services.crypto.CryptoErased` once the user is deleted."""
        with Session(self._read) as s:
            row = s.get(EndUser, user_id)
            if row is None:
                raise _not_found(user_id)
            blobs = (row.display_name_enc, row.name_enc, row.id_number_enc, row.phone_enc)
            birth, deleted = row.birth_date, row.status == "deleted"
        if deleted:
            raise CryptoErased(
                f"the personal data of end user {user_id} was erased: it cannot be recovered",
                f"终端用户 {user_id} 的个人信息已被删除，无法恢复",
            )
        kr = self.keyring
        fields = ("display_name", "name", "id_number", "phone")
        plain = [kr.decrypt(user_id, f, b) if b is not None else None for f, b in zip(fields, blobs, strict=True)]
        return PersonalData(user_id, plain[0], plain[1], plain[2], plain[3], birth)

    def _active_row(self, s: Session, user_id: str) -> EndUser:
        row = s.get(EndUser, user_id, with_for_update=True)
        if row is None:
            raise _not_found(user_id)
        if row.status == "deleted":
            raise _deleted(user_id)
        return row

    # real-name verification -----------------------------------------------------------------------------------
    def verify_identity(self, user_id: str, *, name: str, id_number: str, phone: str | None = None) -> VerificationResult:
        """Sync form of :meth:`averify_identity` (not inside an event loop)."""
        return _run_sync(self.averify_identity(user_id, name=name, id_number=id_number, phone=phone), "averify_identity")

    async def averify_identity(
        self, user_id: str, *, name: str, id_number: str, phone: str | None = None
    ) -> VerificationResult:
        """Verify the user's real identity: local checks, then the provider (name + ID, or + phone when given).
        Refusals are results (``ok=False`` with an ``outcome`` and a bilingual message), not exceptions; unknown
        or deleted users and a missing provider raise."""
        if self.provider is None:
            raise ConfigError(
                "no identity provider is configured: configure one (identity.provider) to verify real names",
                "未配置实名核验服务：请在配置中设置 identity.provider 后再进行实名核验",
            )
        now = self._now()
        user = await asyncio.to_thread(self._require_active, user_id)
        result = await self._verify(user, now, name=name, id_number=id_number, phone=phone)
        payload: dict[str, Any] = {
            "user_id": user_id, "account_id": user.account_id, "outcome": result.outcome,
            "factors": 3 if phone else 2, "provider_called": result.provider_called,
            "warnings": [w.code for w in result.warnings],
        }
        if result.provider_request_id:
            payload["provider_request_id"] = result.provider_request_id
        self._emit("identity.verify", payload)
        return result

    def _require_active(self, user_id: str) -> User:
        user = self.get_user(user_id)
        if user is None:
            raise _not_found(user_id)
        if user.status == "deleted":
            raise _deleted(user_id)
        return user

    async def _verify(
        self, user: User, now: datetime, *, name: str, id_number: str, phone: str | None
    ) -> VerificationResult:
        today = now.astimezone(CHINA_TZ).date()
        clean_name = _check_name(name)
        if clean_name is None:
            return VerificationResult(False, "invalid_name")
        check = validate_resident_id(id_number, today=today)
        if not check.valid or check.number is None or check.birth_date is None:
            return VerificationResult(False, "invalid_id", errors=check.errors, warnings=check.notes)
        warnings = check.notes
        number, birth = check.number, check.birth_date
        mobile: str | None = None
        if phone is not None:
            mobile = normalise_mobile(phone)
            if mobile is None:
                return VerificationResult(False, "invalid_phone", warnings=warnings)
        id_hash = self.lookup_hash("id_number", number)
        phone_hash = self.lookup_hash("phone", mobile) if mobile else None
        refused = await asyncio.to_thread(self._binding_refusal, user, id_hash, phone_hash)
        if refused is not None:
            return VerificationResult(False, refused, warnings=warnings)
        assert self.provider is not None
        try:
            answer = await self.provider.verify(clean_name, number, mobile)
        except Exception:  # a broken provider is an outcome, not a crash (the reason may hold personal data)
            return VerificationResult(False, "provider_error", warnings=warnings, provider_called=True)
        if not answer.matched:
            verdict = cast(Outcome, answer.verdict if answer.verdict not in (None, "match") else "mismatch")
            return VerificationResult(
                False, verdict, warnings=warnings, provider_called=True, provider_request_id=answer.request_id
            )
        stored = await asyncio.to_thread(
            self._store_verified, user, now, clean_name, number, birth, mobile, id_hash, phone_hash
        )
        if isinstance(stored, str):
            return VerificationResult(
                False, stored, warnings=warnings, provider_called=True,
                provider_request_id=answer.request_id,
            )
        return VerificationResult(
            True, "verified", user=stored, warnings=warnings, provider_called=True,
            provider_request_id=answer.request_id,
        )

    def _binding_refusal(self, user: User, id_hash: str, phone_hash: str | None, s: Session | None = None) -> Outcome | None:
        def run(sess: Session) -> Outcome | None:
            others = sess.execute(
                select(func.count()).select_from(EndUser).where(
                    EndUser.account_id == user.account_id, EndUser.id_number_hmac == id_hash, EndUser.id != user.id
                )
            ).scalar_one()
            if others >= self.max_users_per_id:
                return "id_limit"
            if phone_hash is not None and self._phone_users(sess, user, phone_hash) >= self.max_users_per_phone:
                return "phone_in_use"
            return None

        if s is not None:
            return run(s)
        with Session(self._read) as sess:
            return run(sess)

    @staticmethod
    def _phone_users(s: Session, user: User, phone_hash: str) -> int:
        return int(s.execute(
            select(func.count()).select_from(EndUser).where(
                EndUser.account_id == user.account_id, EndUser.phone_hmac == phone_hash, EndUser.id != user.id
            )
        ).scalar_one())

    def _store_verified(
        self, user: User, now: datetime, name: str, number: str, birth: date, mobile: str | None,
        id_hash: str, phone_hash: str | None,
    ) -> User | Outcome:
        kr = self.keyring  # encrypt before the write transaction (a first key is written in its own)
        name_blob = kr.encrypt(user.id, "name", name)
        id_blob = kr.encrypt(user.id, "id_number", number)
        phone_blob = kr.encrypt(user.id, "phone", mobile) if mobile else None
        with Session(self._engine, expire_on_commit=False) as s, s.begin():
            row = self._active_row(s, user.id)
            refused = self._binding_refusal(user, id_hash, phone_hash, s)  # again, under the write lock
            if refused is not None:
                return refused
            row.name_enc, row.id_number_enc, row.id_number_hmac = name_blob, id_blob, id_hash
            row.birth_date, row.verified_at = birth, now
            row.verify_method = "id3" if mobile else "id2"
            if mobile:
                row.phone_enc, row.phone_hmac, row.phone_verified_at = phone_blob, phone_hash, now
            row.updated_at = now
        self._forget(row.account_id, row.external_id)
        return self._user(row, now)

    # SMS one-time codes ---------------------------------------------------------------------------------------
    def send_otp(self, user_id: str, phone: str) -> OtpChallenge:
        """Sync form of :meth:`asend_otp` (not inside an event loop)."""
        return _run_sync(self.asend_otp(user_id, phone), "asend_otp")

    async def asend_otp(self, user_id: str, phone: str) -> OtpChallenge:
        """Send a 6-digit code to ``phone`` for binding it to the user. Raises :class:`InvalidPhone`,
        :class:`PhoneInUse`, :class:`OtpThrottled` (with ``retry_after_s``), :class:`SmsError`."""
        if self.sms is None:
            raise ConfigError(
                "no SMS gateway is configured: configure one (identity.sms) to send codes",
                "未配置短信网关：请在配置中设置 identity.sms 后再发送验证码",
            )
        mobile = normalise_mobile(phone)
        if mobile is None:
            raise InvalidPhone(*_OUTCOME_TEXT["invalid_phone"])
        code = f"{secrets.randbelow(10 ** OTP_DIGITS):0{OTP_DIGITS}d}"
        challenge, account_id = await asyncio.to_thread(self._new_challenge, user_id, mobile, code)
        try:
            await self.sms.send_code(mobile, code, self.otp_ttl_s)
        except Exception as exc:
            await asyncio.to_thread(self._finish_challenge, challenge.id, "failed")
            self._emit("otp.send_failed", {"user_id": user_id, "account_id": account_id, "challenge_id": challenge.id})
            raise SmsError(
                f"the SMS gateway did not send the code ({type(exc).__name__}): try again later",
                f"短信网关未能发送验证码（{type(exc).__name__}）：请稍后重试",
            ) from None
        self._emit("otp.sent", {"user_id": user_id, "account_id": account_id, "challenge_id": challenge.id})
        return challenge

    def _new_challenge(self, user_id: str, mobile: str, code: str) -> tuple[OtpChallenge, str]:
        user = self._require_active(user_id)
        phone_hash = self.lookup_hash("phone", mobile)
        phone_blob = self.keyring.encrypt(user_id, "otp_phone", mobile)
        cid = uuid.uuid4().hex
        now = self._now()
        with Session(self._engine) as s, s.begin():
            self._active_row(s, user_id)  # locks the user: throttling below is race-free
            if self._phone_users(s, user, phone_hash) >= self.max_users_per_phone:
                raise PhoneInUse(*_OUTCOME_TEXT["phone_in_use"])
            recent = s.execute(
                select(func.max(OtpRow.created_at)).where(
                    (OtpRow.user_id == user_id) | (OtpRow.phone_hmac == phone_hash),
                    OtpRow.status != "failed",
                    OtpRow.created_at > now - timedelta(seconds=self.otp_resend_s),
                )
            ).scalar_one_or_none()
            if recent is not None:
                wait = (recent + timedelta(seconds=self.otp_resend_s) - now).total_seconds()
                raise OtpThrottled(max(1, math.ceil(wait)))
            s.execute(
                update(OtpRow).where(OtpRow.user_id == user_id, OtpRow.status == "pending")
                .values(status="superseded", finished_at=now).execution_options(synchronize_session=False)
            )
            expires = now + timedelta(seconds=self.otp_ttl_s)
            s.add(OtpRow(
                id=cid, user_id=user_id, phone_hmac=phone_hash, phone_enc=phone_blob,
                code_hmac=self.lookup_hash("otp", f"{cid}|{code}"), status="pending", attempts=0,
                created_at=now, expires_at=expires,
            ))
        return OtpChallenge(cid, expires, user_id, "pending", self.otp_max_attempts), user.account_id

    def _finish_challenge(self, challenge_id: str, status: str) -> None:
        with Session(self._engine) as s, s.begin():
            s.execute(
                update(OtpRow).where(OtpRow.id == challenge_id)
                .values(status=status, finished_at=self._now()).execution_options(synchronize_session=False)
            )

    def get_challenge(self, challenge_id: str) -> OtpChallenge | None:
        """The challenge's state (``expired`` once past ``expires_at`` while still pending)."""
        now = self._now()
        with Session(self._read) as s:
            row = s.get(OtpRow, challenge_id)
            if row is None:
                return None
            status = "expired" if row.status == "pending" and now >= row.expires_at else row.status
            left = max(0, self.otp_max_attempts - row.attempts) if status == "pending" else 0
            return OtpChallenge(row.id, row.expires_at, row.user_id, status, left)

    async def acheck_otp(self, challenge_id: str, code: str) -> bool:
        """:meth:`check_otp` in a worker thread."""
        return await asyncio.to_thread(self.check_otp, challenge_id, code)

    def check_otp(self, challenge_id: str, code: str) -> bool:
        """True when ``code`` is the challenge's code, it has not expired (valid while ``now < expires_at``),
        is still pending and not locked; then the phone is bound to the user (verified). A wrong code counts an
        attempt; the ``otp_max_attempts``-th wrong one locks the challenge. Unknown ids raise :class:`NotFound`."""
        now = self._now()
        with Session(self._read) as s:
            row = s.get(OtpRow, challenge_id)
            if row is None:
                raise NotFound(f"no one-time-code challenge {challenge_id!r}", f"验证码请求 {challenge_id!r} 不存在")
            user_id, pending = row.user_id, row.status == "pending" and now < row.expires_at
            blob = bytes(row.phone_enc) if pending else b""
        phone_blob: bytes | None = None
        mobile = ""
        if pending:  # decrypt/encrypt outside the write transaction
            mobile = self.keyring.decrypt(user_id, "otp_phone", blob)
            phone_blob = self.keyring.encrypt(user_id, "phone", mobile)
        given = code.strip().translate(_FULLWIDTH)
        outcome: str
        account_id = ""
        with Session(self._engine, expire_on_commit=False) as s, s.begin():
            row = s.get(OtpRow, challenge_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no one-time-code challenge {challenge_id!r}", f"验证码请求 {challenge_id!r} 不存在")
            user = s.get(EndUser, row.user_id, with_for_update=True)
            assert user is not None
            account_id = user.account_id
            if row.status != "pending":
                outcome = "used" if row.status == "verified" else row.status
            elif now >= row.expires_at:
                row.status, row.finished_at = "expired", now
                outcome = "expired"
            elif not hmac.compare_digest(row.code_hmac, self.lookup_hash("otp", f"{row.id}|{given}")):
                row.attempts += 1
                outcome = "wrong"
                if row.attempts >= self.otp_max_attempts:
                    row.status, row.finished_at = "locked", now
                    outcome = "locked"
            elif user.status == "deleted" or phone_blob is None:
                outcome = "superseded"
            elif self._phone_users(s, self._user(user, now), row.phone_hmac) >= self.max_users_per_phone:
                row.status, row.finished_at = "superseded", now
                outcome = "phone_in_use"
            else:
                row.status, row.finished_at = "verified", now
                user.phone_enc, user.phone_hmac, user.phone_verified_at = phone_blob, row.phone_hmac, now
                user.updated_at = now
                outcome = "verified"
            external = user.external_id
        if outcome == "verified":
            self._forget(account_id, external)
        self._emit("otp.checked", {
            "user_id": user_id, "account_id": account_id, "challenge_id": challenge_id, "outcome": outcome,
        })
        if outcome == "phone_in_use":
            raise PhoneInUse(*_OUTCOME_TEXT["phone_in_use"])
        return outcome == "verified"

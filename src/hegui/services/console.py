"""The console's people and sessions: users with roles, argon2id password hashes, lock-out, sessions (issue 10).

* Users have one role: ``admin`` (everything), ``reviewer`` (review work and reading), ``auditor`` (reading only).
* Passwords are hashed with argon2id (:mod:`argon2`); the password itself is never stored nor logged. A
  password has at least :data:`MIN_PASSWORD_CHARS` characters.
* :meth:`ConsoleService.authenticate` answers the same reason (``invalid``) for an unknown user, a wrong password
  and a disabled user, and spends about the same time on each (an unknown user is verified against a dummy
  hash). After ``lockout_after`` consecutive failures the user is locked for ``lockout_minutes`` (reason
  ``locked``); a success resets the counter.
* Sessions: the caller gets a random token (for the browser's cookie); only its SHA-256 is stored, with the
  session's CSRF token and its expiry (``session_hours``). Disabling a user, changing the password or the role
  ends the user's sessions (a user changing their own password keeps the session they did it from).
* Nobody acting as a console user (``actor`` given) can leave the console without an enabled admin: demoting or
  disabling the last enabled admin is refused. The command line (no actor) may, as it can also create one.

Every action calls ``on_event(kind, payload)`` after it is committed (kinds ``console.*``), with ids and
usernames only: never a password, a hash or a token. An unknown username that someone typed is not recorded
(it may be a password typed into the wrong field).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hegui.core.errors import HeguiError
from hegui.services.base import ServiceBase
from hegui.store import read_only
from hegui.store.console_models import ConsoleSession, ConsoleUser
from hegui.store.models import AuditEvent

__all__ = [
    "MIN_PASSWORD_CHARS",
    "ROLES",
    "ConsoleError",
    "ConsoleRules",
    "ConsoleService",
    "ConsoleSessionInfo",
    "ConsoleUserInfo",
    "DashboardStats",
    "LoginResult",
]

ROLES: Final = ("admin", "reviewer", "auditor")
MIN_PASSWORD_CHARS: Final = 12
MAX_PASSWORD_CHARS: Final = 1024  # argon2 takes any length; this only bounds the work a request can cause
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
_CN = ZoneInfo("Asia/Shanghai")
_EXCHANGE = "exchange"

EventSink = Callable[[str, dict[str, Any]], None]
Role = Literal["admin", "reviewer", "auditor"]


class ConsoleError(HeguiError):
    """A console request that cannot be done (bad username, weak password, unknown user, ...)."""

    exit_code = 2


@dataclass(frozen=True)
class ConsoleRules:
    lockout_after: int = 5  # consecutive failed logins that lock the user
    lockout_minutes: int = 15
    session_hours: int = 8

    def __post_init__(self) -> None:
        if self.lockout_after < 1 or self.lockout_minutes < 1 or self.session_hours < 1:
            raise ValueError("lockout_after, lockout_minutes and session_hours must be at least 1")


@dataclass(frozen=True)
class ConsoleUserInfo:
    id: str
    username: str
    role: str
    disabled: bool
    failed_attempts: int
    locked_until: datetime | None
    created_at: datetime
    last_login_at: datetime | None

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until


@dataclass(frozen=True)
class LoginResult:
    """``user`` on success; otherwise ``reason``: ``invalid`` (unknown user, wrong password or disabled user:
    never told apart) or ``locked`` (with ``locked_until``)."""

    user: ConsoleUserInfo | None
    reason: Literal["invalid", "locked"] | None = None
    locked_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.user is not None


@dataclass(frozen=True)
class ConsoleSessionInfo:
    id: str
    user: ConsoleUserInfo
    csrf_token: str
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class DashboardStats:
    """Today's traffic (China time) from the audit log's exchange events."""

    since: datetime
    requests_by_outcome: dict[str, int] = field(default_factory=dict)
    blocks_by_risk: dict[str, int] = field(default_factory=dict)
    flagged_for_review: int = 0  # exchanges with a ``review`` decision today

    @property
    def requests(self) -> int:
        return sum(self.requests_by_outcome.values())


def _info(u: ConsoleUser) -> ConsoleUserInfo:
    return ConsoleUserInfo(id=u.id, username=u.username, role=u.role, disabled=u.disabled,
                           failed_attempts=u.failed_attempts, locked_until=u.locked_until, created_at=u.created_at,
                           last_login_at=u.last_login_at)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalise_username(username: str) -> str:
    name = username.strip().lower()
    if not _USERNAME.match(name):
        raise ConsoleError(
            "a username has 2-64 characters: letters, digits and . _ @ - (starting with a letter or digit)",
            "用户名须为 2-64 个字符：字母、数字及 . _ @ -（以字母或数字开头）")
    return name


def check_password(password: str, username: str | None = None) -> None:
    """Raise :class:`ConsoleError` (zh and en) when ``password`` breaks the policy."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise ConsoleError(f"the password must have at least {MIN_PASSWORD_CHARS} characters",
                           f"密码至少需要 {MIN_PASSWORD_CHARS} 个字符")
    if len(password) > MAX_PASSWORD_CHARS:
        raise ConsoleError(f"the password must have at most {MAX_PASSWORD_CHARS} characters",
                           f"密码最多 {MAX_PASSWORD_CHARS} 个字符")
    if not password.strip():
        raise ConsoleError("the password must not be only spaces", "密码不能全是空格")
    if username is not None and username.lower() in password.lower():
        raise ConsoleError("the password must not contain the username", "密码不能包含用户名")


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise ConsoleError(f"the role must be one of {', '.join(ROLES)}", f"角色须为 {', '.join(ROLES)} 之一")
    return role


class ConsoleService(ServiceBase):
    """Users, authentication and sessions of the web console. Thread-safe."""

    def __init__(self, engine: Engine, *, on_event: EventSink | None = None,
                 clock: Callable[[], datetime] | None = None, lockout_after: int = 5, lockout_minutes: int = 15,
                 session_hours: int = 8, hasher: PasswordHasher | None = None) -> None:
        self._engine = engine
        self._read = read_only(engine)
        self._on_event = on_event
        self._clock = clock or (lambda: datetime.now(UTC))
        self.rules = ConsoleRules(lockout_after, lockout_minutes, session_hours)
        self._hasher = hasher or PasswordHasher()  # argon2id, RFC 9106 low-memory profile
        self._dummy: str | None = None

    def configure(self, *, lockout_after: int, lockout_minutes: int, session_hours: int) -> None:
        """Replace the lock-out and session rules (the console applies its settings with this)."""
        self.rules = ConsoleRules(lockout_after, lockout_minutes, session_hours)

    # helpers --------------------------------------------------------------------------------------------------
    def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = self._hasher.hash(secrets.token_urlsafe(24))
        return self._dummy

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    @staticmethod
    def _find(s: Session, user: str) -> ConsoleUser | None:
        """A user by id or username."""
        row = s.get(ConsoleUser, user)
        if row is None:
            row = s.execute(select(ConsoleUser).where(ConsoleUser.username == user.strip().lower())).scalar_one_or_none()
        return row

    def _must(self, s: Session, user: str) -> ConsoleUser:
        row = self._find(s, user)
        if row is None:
            raise ConsoleError("no such console user", "没有这个控制台用户")
        return row

    # users ----------------------------------------------------------------------------------------------------
    def create_user(self, username: str, password: str, role: str, *, actor: str | None = None) -> ConsoleUserInfo:
        """A new user (``actor``: the id of the admin who created it, None for the command line)."""
        name = normalise_username(username)
        _check_role(role)
        check_password(password, name)
        row = ConsoleUser(id=uuid.uuid4().hex, username=name, password_hash=self._hasher.hash(password), role=role,
                          failed_attempts=0, locked_until=None, disabled=False, created_at=self._now())
        try:
            with Session(self._engine) as s, s.begin():
                s.add(row)
                s.flush()
                info = _info(row)
        except IntegrityError:
            raise ConsoleError(f"the username {name!r} is taken", f"用户名 {name!r} 已被占用") from None
        self._emit("console.user_created", {"user_id": info.id, "username": info.username, "role": role,
                                            "actor": actor})
        return info

    def get_user(self, user: str) -> ConsoleUserInfo | None:
        with Session(self._read) as s:
            row = self._find(s, user)
            return _info(row) if row is not None else None

    def list_users(self) -> list[ConsoleUserInfo]:
        with Session(self._read) as s:
            return [_info(r) for r in s.execute(select(ConsoleUser).order_by(ConsoleUser.username)).scalars()]

    def count_users(self, role: str | None = None) -> int:
        return len([u for u in self.list_users() if role is None or u.role == role])

    def _change(self, user: str, change: str, actor: str | None, apply: Callable[[ConsoleUser], None],
                *, end_sessions: bool = False, keep_session: str | None = None,
                extra: dict[str, Any] | None = None) -> ConsoleUserInfo:
        now = self._now()
        with Session(self._engine) as s, s.begin():
            row = self._must(s, user)
            was_admin = row.role == "admin" and not row.disabled
            admins: list[str] = []
            if was_admin and actor is not None:
                # lock the enabled admins' rows, so that two admins demoting each other cannot both succeed
                admins = list(s.execute(select(ConsoleUser.id).where(
                    ConsoleUser.role == "admin", ConsoleUser.disabled.is_(False)).with_for_update()).scalars())
            apply(row)
            if was_admin and actor is not None and (row.role != "admin" or row.disabled) and len(admins) <= 1:
                raise ConsoleError(
                    "this is the last enabled administrator: make another user an administrator first",
                    "这是最后一个启用的管理员：请先将其他用户设为管理员")
            ended = 0
            if end_sessions:
                cond = [ConsoleSession.user_id == row.id, ConsoleSession.revoked_at.is_(None)]
                if keep_session is not None:
                    cond.append(ConsoleSession.id != keep_session)
                res = s.execute(update(ConsoleSession).where(*cond).values(revoked_at=now))
                ended = int(getattr(res, "rowcount", 0) or 0)
            info = _info(row)
        self._emit("console.user_changed", {"user_id": info.id, "username": info.username, "change": change,
                                            **(extra or {}), **({"sessions_ended": ended} if end_sessions else {}),
                                            "actor": actor})
        return info

    def set_password(self, user: str, password: str, *, actor: str | None = None,
                     keep_session: str | None = None) -> ConsoleUserInfo:
        """A new password (an admin's reset, or the command line); also unlocks the user and ends the user's
        sessions (all but ``keep_session``, a session id)."""
        with Session(self._read) as s:
            name = self._must(s, user).username
        check_password(password, name)
        new_hash = self._hasher.hash(password)

        def apply(r: ConsoleUser) -> None:
            r.password_hash = new_hash
            r.failed_attempts = 0
            r.locked_until = None

        return self._change(user, "password", actor, apply, end_sessions=True, keep_session=keep_session)

    def change_password(self, user_id: str, current: str, new: str, *,
                        keep_session: str | None = None) -> ConsoleUserInfo:
        """A user changes their own password: ``current`` must be right (a wrong one is recorded as
        ``console.password_change_refused``, and is not told apart from a disabled user); the new one must follow
        the policy and differ from the current one. The user's other sessions end (``keep_session`` stays)."""
        with Session(self._read) as s:
            row = self._must(s, user_id)
            uid, name, stored, disabled = row.id, row.username, row.password_hash, row.disabled
        if len(current) > MAX_PASSWORD_CHARS or not self._verify(stored, current) or disabled:
            self._emit("console.password_change_refused", {"user_id": uid, "username": name})
            raise ConsoleError("the current password is wrong", "当前密码不正确")
        if new == current:
            raise ConsoleError("the new password must differ from the current one", "新密码不能与当前密码相同")
        return self.set_password(uid, new, actor=uid, keep_session=keep_session)

    def set_role(self, user: str, role: str, *, actor: str | None = None) -> ConsoleUserInfo:
        """A new role; the user's sessions end (the next login gets the new role's rights)."""
        _check_role(role)

        def apply(r: ConsoleUser) -> None:
            r.role = role

        return self._change(user, "role", actor, apply, end_sessions=True, extra={"role": role})

    def disable(self, user: str, *, actor: str | None = None) -> ConsoleUserInfo:
        """The user can no longer sign in; the user's sessions end at once."""

        def apply(r: ConsoleUser) -> None:
            r.disabled = True

        return self._change(user, "disabled", actor, apply, end_sessions=True)

    def enable(self, user: str, *, actor: str | None = None) -> ConsoleUserInfo:
        def apply(r: ConsoleUser) -> None:
            r.disabled = False
            r.failed_attempts = 0
            r.locked_until = None

        return self._change(user, "enabled", actor, apply)

    def unlock(self, user: str, *, actor: str | None = None) -> ConsoleUserInfo:
        """End a lock-out (and reset the failure counter) before it runs out."""

        def apply(r: ConsoleUser) -> None:
            r.failed_attempts = 0
            r.locked_until = None

        return self._change(user, "unlocked", actor, apply)

    def count_sessions(self, user: str) -> int:
        """The user's live sessions (not revoked, not expired)."""
        now = self._now()
        with Session(self._read) as s:
            row = self._must(s, user)
            return len(list(s.execute(select(ConsoleSession.id).where(
                ConsoleSession.user_id == row.id, ConsoleSession.revoked_at.is_(None),
                ConsoleSession.expires_at > now)).scalars()))

    # authentication -------------------------------------------------------------------------------------------
    def authenticate(self, username: str, password: str) -> LoginResult:
        """Check a login. The caller learns ``invalid`` for an unknown user, a wrong password or a disabled user
        alike, and ``locked`` while the user is locked out."""
        now = self._now()
        name = username.strip().lower()
        if len(password) > MAX_PASSWORD_CHARS:
            password = password[:MAX_PASSWORD_CHARS]  # still verified (and failing): same work, same answer
        with Session(self._read) as s:
            row = s.execute(select(ConsoleUser).where(ConsoleUser.username == name)).scalar_one_or_none() \
                if name else None
            stored = row.password_hash if row is not None else None
        if row is None or stored is None:
            self._verify(self._dummy_hash(), password)  # about the same time as a real check
            self._emit("console.login_failed", {"user_id": None, "username_known": False})
            return LoginResult(None, "invalid")
        if row.locked_until is not None and now < row.locked_until:
            self._verify(self._dummy_hash(), password)
            self._emit("console.login_locked", {"user_id": row.id, "username": row.username})
            return LoginResult(None, "locked", row.locked_until)
        good = self._verify(stored, password)
        if good and not row.disabled:
            rehash = self._hasher.hash(password) if self._hasher.check_needs_rehash(stored) else None
            with Session(self._engine) as s, s.begin():
                r = self._must(s, row.id)
                r.failed_attempts = 0
                r.locked_until = None
                r.last_login_at = now
                if rehash is not None:
                    r.password_hash = rehash
                info = _info(r)
            self._emit("console.login_ok", {"user_id": info.id, "username": info.username})
            return LoginResult(info)
        locked_until: datetime | None = None
        with Session(self._engine) as s, s.begin():
            r = self._must(s, row.id)
            if r.disabled and good:
                pass  # a disabled user with the right password: refused, counters untouched
            else:
                # a lock that has run out starts a fresh count
                expired = r.locked_until is not None and now >= r.locked_until
                r.failed_attempts = (0 if expired else r.failed_attempts) + 1
                if expired:
                    r.locked_until = None
                if r.failed_attempts >= self.rules.lockout_after:
                    locked_until = now + timedelta(minutes=self.rules.lockout_minutes)
                    r.locked_until = locked_until
                    r.failed_attempts = 0
            uid, uname = r.id, r.username
        self._emit("console.login_failed", {"user_id": uid, "username": uname, "username_known": True,
                                            **({"disabled": True} if row.disabled else {})})
        if locked_until is not None:
            self._emit("console.locked", {"user_id": uid, "username": uname,
                                          "attempts": self.rules.lockout_after,
                                          "minutes": self.rules.lockout_minutes})
            return LoginResult(None, "locked", locked_until)
        return LoginResult(None, "invalid")

    # sessions -------------------------------------------------------------------------------------------------
    def create_session(self, user_id: str) -> tuple[str, ConsoleSessionInfo]:
        """A new session for an authenticated user: the cookie token (shown once) and the session."""
        now = self._now()
        token = secrets.token_urlsafe(32)
        with Session(self._engine) as s, s.begin():
            user = self._must(s, user_id)
            if user.disabled:
                raise ConsoleError("the user is disabled", "该用户已停用")
            row = ConsoleSession(id=uuid.uuid4().hex, token_hash=_token_hash(token), user_id=user.id,
                                 csrf_token=secrets.token_urlsafe(32), created_at=now,
                                 expires_at=now + timedelta(hours=self.rules.session_hours), revoked_at=None)
            s.add(row)
            info = ConsoleSessionInfo(row.id, _info(user), row.csrf_token, row.created_at, row.expires_at)
        self._emit("console.session_started", {"session_id": info.id, "user_id": info.user.id,
                                               "username": info.user.username})
        return token, info

    def get_session(self, token: str | None) -> ConsoleSessionInfo | None:
        """The live session of a cookie token: not revoked, not expired, its user not disabled (else None)."""
        if not token or len(token) > 200:
            return None
        now = self._now()
        with Session(self._read) as s:
            row = s.execute(select(ConsoleSession).where(ConsoleSession.token_hash == _token_hash(token))
                            ).scalar_one_or_none()
            if row is None or row.revoked_at is not None or now >= row.expires_at:
                return None
            user = s.get(ConsoleUser, row.user_id)
            if user is None or user.disabled:
                return None
            return ConsoleSessionInfo(row.id, _info(user), row.csrf_token, row.created_at, row.expires_at)

    def revoke_session(self, token: str | None) -> bool:
        """End the session of ``token`` (logout). False when there was no live session."""
        if not token or len(token) > 200:
            return False
        now = self._now()
        with Session(self._engine) as s, s.begin():
            row = s.execute(select(ConsoleSession).where(ConsoleSession.token_hash == _token_hash(token))
                            ).scalar_one_or_none()
            if row is None or row.revoked_at is not None:
                return False
            row.revoked_at = now
            user = s.get(ConsoleUser, row.user_id)
            sid, uid, uname = row.id, row.user_id, user.username if user is not None else None
        self._emit("console.logout", {"session_id": sid, "user_id": uid, "username": uname})
        return True

    # the dashboard ------------------------------------------------------------------------------------------
    def dashboard(self, now: datetime | None = None) -> DashboardStats:
        """Today's exchanges (since midnight, China time) by outcome, blocks by risk code, review flags."""
        now = self._now() if now is None else now
        since = now.astimezone(_CN).replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
        outcomes: Counter[str] = Counter()
        blocks: Counter[str] = Counter()
        review = 0
        with Session(self._read) as s:
            rows = s.execute(select(AuditEvent.payload).where(AuditEvent.kind == _EXCHANGE, AuditEvent.ts >= since)
                             ).scalars()
            for payload in rows:
                try:
                    body = json.loads(payload)
                except ValueError:
                    continue
                outcomes[str(body.get("outcome", "?"))] += 1
                stages = body.get("stages") or []
                blocked = {c for st in stages if st.get("action") == "block" for c in st.get("categories") or []}
                for code in blocked:
                    blocks[str(code)] += 1
                if any(st.get("action") == "review" for st in stages):
                    review += 1
        return DashboardStats(since=since, requests_by_outcome=dict(outcomes.most_common()),
                              blocks_by_risk=dict(blocks.most_common()), flagged_for_review=review)

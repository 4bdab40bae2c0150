"""ORM models of the console's users and sessions (issue 10). Imported by :mod:`hegui.store` so that
``Base.metadata`` is complete. Created by migration ``0007_console``.

``console_users`` holds the people who sign in to ``/console`` (administrators, reviewers, auditors), with an
argon2id hash of the password (never the password) and the lock-out counters. ``console_sessions`` holds one row
per signed-in browser: only the SHA-256 of the session token is stored (the token itself lives in the browser's
cookie), with the session's CSRF token, its expiry and when it was revoked.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hegui.store.models import Base, UTCDateTime

__all__ = ["Base", "ConsoleSession", "ConsoleUser"]


class ConsoleUser(Base):
    """A person who may sign in to the console."""

    __tablename__ = "console_users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id, PHC string format
    role: Mapped[str] = mapped_column(String(16))  # admin | reviewer | auditor
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)  # consecutive failed logins
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class ConsoleSession(Base):
    """A signed-in browser: the SHA-256 of its cookie token, never the token."""

    __tablename__ = "console_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("console_users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    __table_args__ = (Index("ix_console_sessions_user_id", "user_id"),)

"""ORM models of the store (SQLAlchemy 2, typed declarative mapping).

The content log keeps no profiling data: no IP address, no device or user-agent, and the end user only as an
HMAC pseudonym. Audit events hold no user content, only hashes that bind them to the content log.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, MetaData, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = [
    "GENESIS_HASH",
    "Account",
    "ApiKey",
    "AuditCheckpoint",
    "AuditEvent",
    "AuditHead",
    "Base",
    "ContentLog",
    "UTCDateTime",
]

# prev_hash of the first audit event
GENESIS_HASH = "0" * 64

_NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores it naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the store only takes timezone-aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every hegui table."""

    metadata = MetaData(naming_convention=_NAMING)


class Account(Base):
    """A customer of the service (owner of API keys)."""

    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | suspended
    status_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_accounts_name", "name"),)


class ApiKey(Base):
    """An API key: only its SHA-256 and a short display prefix are stored, never the key."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(200), default="")
    rate_limit_per_min: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    __table_args__ = (Index("ix_api_keys_account_id", "account_id"),)


class ContentLog(Base):
    """PII-redacted prompt and answer of one exchange, kept until ``retention_until``."""

    __tablename__ = "content_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(128), unique=True)
    ts: Mapped[datetime] = mapped_column(UTCDateTime())
    account_id: Mapped[str | None] = mapped_column(String(32), default=None)
    key_id: Mapped[str | None] = mapped_column(String(32), default=None)
    end_user_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    endpoint: Mapped[str] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(200), default=None)
    outcome: Mapped[str] = mapped_column(String(32))
    input_text: Mapped[str | None] = mapped_column(Text, default=None)
    output_text: Mapped[str | None] = mapped_column(Text, default=None)
    retention_until: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_content_log_retention_until", "retention_until"),)


class AuditEvent(Base):
    """One link of the hash chain. ``payload`` is canonical JSON that repeats seq, ts, kind and request_id;
    ``hash = SHA-256(bytes.fromhex(prev_hash) + payload.encode("utf-8"))``."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False)
    ts: Mapped[datetime] = mapped_column(UTCDateTime())
    request_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_events_request_id", "request_id"),)


class AuditHead(Base):
    """The single row (id 1) naming the latest event, signed, updated in the same transaction as each append.
    Appends lock this row (``SELECT ... FOR UPDATE``), which serialises writers across processes."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    ts: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    key_id: Mapped[str] = mapped_column(String(32), default="")
    signature: Mapped[str] = mapped_column(String(200), default="")


class AuditCheckpoint(Base):
    """A signed statement that the chain had ``count`` events ending at ``seq`` with hash ``hash``."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(BigInteger)
    ts: Mapped[datetime] = mapped_column(UTCDateTime())
    key_id: Mapped[str] = mapped_column(String(32))
    signature: Mapped[str] = mapped_column(String(200))

    __table_args__ = (Index("ix_audit_checkpoints_seq", "seq"),)

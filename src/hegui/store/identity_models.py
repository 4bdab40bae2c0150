"""ORM models for end users, their identity (encrypted per subject), one-time codes and subject keys (issue 5).

Imported by :mod:`hegui.store` so that ``Base.metadata`` is complete. Created by migration ``0002_identity``.

No personal data is stored in plaintext: real name, resident ID number, phone number and display name are
AES-GCM ciphertexts under the subject's data key (``*_enc``, see :mod:`hegui.services.crypto`); where a
lookup is needed there is an ``HMAC-SHA256(secret_key, value)`` column (``*_hmac``, hex). Deleting the
subject's data key (``subject_keys.wrapped_key`` set to NULL) makes every ``*_enc`` value unreadable.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hegui.store.models import Base, UTCDateTime

__all__ = ["Base", "EndUser", "OtpChallenge", "SubjectKey"]


class SubjectKey(Base):
    """A subject's 256-bit data key, wrapped (AES-GCM) by the master key named ``master_key_id``.

    ``wrapped_key`` is ``nonce(12) || ciphertext+tag`` with AAD ``subject_id|master_key_id``. Crypto-erasure
    sets it to NULL and records ``erased_at``; the row stays as a tombstone so no new key is made for the id.
    """

    __tablename__ = "subject_keys"

    subject_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    master_key_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class EndUser(Base):
    """An end user of a customer's (account's) app, known to the app as ``external_id``."""

    __tablename__ = "end_users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | deleted
    display_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # real-name verification
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    verify_method: Mapped[str | None] = mapped_column(String(16), default=None)  # id2 | id3
    birth_date: Mapped[date | None] = mapped_column(Date, default=None)
    name_enc: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    id_number_enc: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    id_number_hmac: Mapped[str | None] = mapped_column(String(64), default=None)
    # mobile number, bound after an SMS code or a three-factor check
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    phone_hmac: Mapped[str | None] = mapped_column(String(64), default=None)
    phone_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    training_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    __table_args__ = (
        UniqueConstraint("account_id", "external_id", name="uq_end_users_account_external"),
        Index("ix_end_users_account_id_number", "account_id", "id_number_hmac"),
        Index("ix_end_users_account_phone", "account_id", "phone_hmac"),
    )


class OtpChallenge(Base):
    """One SMS one-time code: only ``HMAC(secret_key, challenge id | code)`` is stored, never the code."""

    __tablename__ = "otp_challenges"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("end_users.id", ondelete="CASCADE"))
    phone_hmac: Mapped[str] = mapped_column(String(64))
    phone_enc: Mapped[bytes] = mapped_column(LargeBinary)
    code_hmac: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|verified|locked|superseded|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    __table_args__ = (
        Index("ix_otp_challenges_user_id", "user_id", "created_at"),
        Index("ix_otp_challenges_phone_hmac", "phone_hmac", "created_at"),
    )

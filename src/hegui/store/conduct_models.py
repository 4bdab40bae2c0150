"""ORM models for minors' usage, the abuse violation ledger and sanctions (issue 5).

Imported by :mod:`hegui.store` so that ``Base.metadata`` is complete. Created by migration ``0003_conduct``.

None of these tables holds user content: violations keep the risk code, severity and request id only; an appeal
keeps a reference (``text_ref``) to where its text is stored, not the text.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hegui.store.models import Base, UTCDateTime

__all__ = ["AbuseAppeal", "AbuseSanction", "AbuseViolation", "Base", "MinorGuardianSetting", "MinorUsage"]


class MinorUsage(Base):
    """A minor's active time on one local calendar day, plus the state of the session that was live at the last
    recorded request (carried into the next day's row when a session crosses midnight)."""

    __tablename__ = "minor_usage"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)  # local calendar day (rules.timezone)
    seconds: Mapped[int] = mapped_column(Integer, default=0)  # active seconds credited to this day
    requests: Mapped[int] = mapped_column(Integer, default=0)
    session_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    session_seconds: Mapped[int] = mapped_column(Integer, default=0)  # active seconds of the live session
    session_reminders: Mapped[int] = mapped_column(Integer, default=0)  # rest reminders delivered in it
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)  # end of the last request
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MinorGuardianSetting(Base):
    """A guardian's settings for one minor; NULL = the provider's default. Validated against the provider's
    limits when written (a guardian may tighten, and loosen only up to the provider's maximum)."""

    __tablename__ = "minor_guardian_settings"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    daily_quota_minutes: Mapped[int | None] = mapped_column(Integer, default=None)
    curfew_start: Mapped[str | None] = mapped_column(String(8), default=None)  # "HH:MM" or "HH:MM:SS"
    curfew_end: Mapped[str | None] = mapped_column(String(8), default=None)
    rest_reminder_minutes: Mapped[int | None] = mapped_column(Integer, default=None)
    set_by: Mapped[str] = mapped_column(String(200))  # the guardian's reference (an id, not a name)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AbuseViolation(Base):
    """One entry of the per-user violation ledger (append-only; an upheld appeal sets ``voided_at``)."""

    __tablename__ = "abuse_violations"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(64))
    ts: Mapped[datetime] = mapped_column(UTCDateTime())
    risk_code: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(8))  # low | medium | high
    weight: Mapped[int] = mapped_column(Integer)  # points under the ladder rules in force when recorded
    request_id: Mapped[str] = mapped_column(String(128))
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    voided_by: Mapped[str | None] = mapped_column(String(32), default=None)  # the appeal id

    __table_args__ = (Index("ix_abuse_violations_user_id_ts", "user_id", "ts"),)


class AbuseSanction(Base):
    """A sanction: applied by the ladder, or set by a reviewer (``source="override"``). ``until`` NULL means
    permanent; ``revoked_at`` is set when an upheld appeal or a later override lifts it."""

    __tablename__ = "abuse_sanctions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))  # none | warn | restrict | suspend | terminate
    source: Mapped[str] = mapped_column(String(16))  # ladder | override
    step: Mapped[int | None] = mapped_column(Integer, default=None)  # index into the ladder (source="ladder")
    points: Mapped[int] = mapped_column(Integer, default=0)
    reason_codes: Mapped[str] = mapped_column(String(500), default="")  # comma-separated risk codes
    requests_per_hour: Mapped[int | None] = mapped_column(Integer, default=None)  # action="restrict"
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    rules_version: Mapped[str] = mapped_column(String(32), default="")
    reviewer: Mapped[str | None] = mapped_column(String(200), default=None)
    reason: Mapped[str | None] = mapped_column(String(1000), default=None)  # a reviewer's note (override)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_by: Mapped[str | None] = mapped_column(String(64), default=None)  # appeal id or override sanction id

    __table_args__ = (Index("ix_abuse_sanctions_user_id_starts_at", "user_id", "starts_at"),)


class AbuseAppeal(Base):
    """A user's appeal against a sanction; the appeal's text lives elsewhere (``text_ref``)."""

    __tablename__ = "abuse_appeals"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64))
    sanction_id: Mapped[str] = mapped_column(String(32))
    text_ref: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # pending | upheld | rejected
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    reviewer: Mapped[str | None] = mapped_column(String(200), default=None)

    __table_args__ = (Index("ix_abuse_appeals_user_id", "user_id"),)

"""ORM models of the console's moderation log and review queue (issue 10). Imported by :mod:`hegui.store` so that
``Base.metadata`` is complete. Created by migration ``0009_moderation``.

``moderation_entries`` is a searchable index of the exchange events of the hash-chained audit log (one row per
``exchange`` event, keyed by its ``seq``), built incrementally from the chain (``moderation_cursor`` remembers the
last ``seq`` read). It holds no text: the texts stay in ``content_log`` (PII-redacted), the full decision in the
audit event. Exchanges with a ``review`` decision carry the review state (open, cleared, escalated).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hegui.store.models import Base, UTCDateTime

__all__ = ["Base", "ModerationCursor", "ModerationEntry"]


class ModerationEntry(Base):
    """One exchange of the audit chain, indexed for filtering (no user text)."""

    __tablename__ = "moderation_entries"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                     autoincrement=False)
    request_id: Mapped[str] = mapped_column(String(128))
    ts: Mapped[datetime] = mapped_column(UTCDateTime())
    endpoint: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(32))
    http_status: Mapped[int] = mapped_column(Integer, default=0)
    account_id: Mapped[str | None] = mapped_column(String(32), default=None)
    end_user_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    user_id: Mapped[str | None] = mapped_column(String(32), default=None)
    model: Mapped[str | None] = mapped_column(String(200), default=None)
    action: Mapped[str] = mapped_column(String(8))  # the strictest action of its stages: pass|review|redact|block
    risk_level: Mapped[str] = mapped_column(String(8))  # the highest: none|low|medium|high
    categories: Mapped[str] = mapped_column(String(500), default="")  # ",A1.1,A4.6," (every stage), "" for none
    detectors_failed: Mapped[bool] = mapped_column(Boolean, default=False)
    review_status: Mapped[str | None] = mapped_column(String(16), default=None)  # open|cleared|escalated
    reviewed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    review_ticket: Mapped[str | None] = mapped_column(String(32), default=None)  # ticket number when escalated

    __table_args__ = (
        Index("ix_moderation_entries_ts", "ts"),
        Index("ix_moderation_entries_request_id", "request_id"),
        Index("ix_moderation_entries_review", "review_status", "ts"),
        Index("ix_moderation_entries_action", "action", "ts"),
        Index("ix_moderation_entries_account", "account_id", "ts"),
    )


class ModerationCursor(Base):
    """The single row (id 1): the last audit ``seq`` read into ``moderation_entries``."""

    __tablename__ = "moderation_cursor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)

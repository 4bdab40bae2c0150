"""ORM model of the console's custom word-library entries (issue 10). Imported by :mod:`hegui.store` so that
``Base.metadata`` is complete. Created by migration ``0008_lexicon``.

``lexicon_entries`` holds the terms (and allow-list phrases) administrators add in the console on top of the shipped
library. Removal is soft (``removed_at``/``removed_by``), so the history stays.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hegui.store.models import Base, UTCDateTime

__all__ = ["Base", "LexiconEntry"]


class LexiconEntry(Base):
    """One custom term or allow-list phrase."""

    __tablename__ = "lexicon_entries"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    term: Mapped[str] = mapped_column(String(200))
    normalised: Mapped[str] = mapped_column(String(400))
    risk_code: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(8))  # low | medium | high
    allow: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(String(500), default=None)
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    removed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    __table_args__ = (Index("ix_lexicon_entries_normalised", "normalised"),)

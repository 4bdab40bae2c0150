"""ORM model of the console's custom similar-text library entries (issue 10). Imported by :mod:`hegui.store` so
that ``Base.metadata`` is complete. Created by migration ``0009_moderation``.

``similar_entries`` holds the texts administrators add in the console (black: block texts like it; suspect: send
them to review; white: never flag texts like it) on top of the shipped library and the entries of confirmed
reports (``blocked_content``). Removal is soft (``removed_at``/``removed_by``), so the history stays.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hegui.store.models import Base, UTCDateTime

__all__ = ["Base", "SimilarLibraryEntry"]


class SimilarLibraryEntry(Base):
    """One custom similar-text entry."""

    __tablename__ = "similar_entries"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(8))  # black | suspect | white
    risk_code: Mapped[str | None] = mapped_column(String(16), default=None)  # None only for white entries
    severity: Mapped[str] = mapped_column(String(8))  # low | medium | high
    note: Mapped[str | None] = mapped_column(String(500), default=None)
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    removed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    __table_args__ = (Index("ix_similar_entries_added_at", "added_at"),)

"""ORM models for remediation of confirmed reports (issue 6). Imported by :mod:`hegui.store` so that
``Base.metadata`` is complete. Created by migration ``0005_remediation``.

``blocked_content`` is the source of truth for reported content (the similar-text library is in memory and is
reloaded from it at start-up); it holds the PII-masked prompt and answer as they are in the content log.
``remediation_cases`` and ``remediation_checks`` hold no user content: ids, codes, dates and counts only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hegui.store.models import Base, UTCDateTime

__all__ = ["Base", "BlockedContent", "RemediationCase", "RemediationCheck"]


class RemediationCase(Base):
    """One confirmed report: to be fixed by model optimisation before ``due_at`` (confirmation + 3 months)."""

    __tablename__ = "remediation_cases"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    ticket_id: Mapped[str] = mapped_column(String(64), unique=True)  # the complaint ticket (one case per ticket)
    request_id: Mapped[str] = mapped_column(String(128))  # the reported response
    risk_code: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(8))  # low | medium | high
    reviewer: Mapped[str] = mapped_column(String(200))
    end_user_opted_out: Mapped[bool] = mapped_column(Boolean, default=False)  # excluded from training exports
    has_prompt: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | fixed
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fixed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    checks: Mapped[int] = mapped_column(Integer, default=0)  # regression checks run
    last_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_outcome: Mapped[str | None] = mapped_column(String(8), default=None)  # pass | fail | error
    due_soon_alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    overdue_alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    __table_args__ = (
        Index("ix_remediation_cases_status_due_at", "status", "due_at"),
        Index("ix_remediation_cases_request_id", "request_id"),
    )


class BlockedContent(Base):
    """A reported text kept out of the output: the answer (``kind="black"``) and the prompt (``"suspect"``)."""

    __tablename__ = "blocked_content"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # also the similar-text library entry id
    case_id: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(8))  # answer | prompt
    kind: Mapped[str] = mapped_column(String(8))  # black | suspect
    text: Mapped[str] = mapped_column(Text)
    risk_code: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_blocked_content_case_id", "case_id"),)


class RemediationCheck(Base):
    """One regression check of a case: counts only (which prompt variants failed, by index; 0 = the reported
    prompt, 1.. = its paraphrases), never the prompts or answers."""

    __tablename__ = "remediation_checks"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(32))
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(8))  # pass | fail | error
    prompts: Mapped[int] = mapped_column(Integer)  # prompt variants replayed
    attempts: Mapped[int] = mapped_column(Integer)  # answers generated
    violations: Mapped[int] = mapped_column(Integer)  # answers that still violate
    failing_variants: Mapped[str] = mapped_column(String(200), default="")  # comma-separated variant indexes
    error: Mapped[str | None] = mapped_column(String(200), default=None)  # exception class name only

    __table_args__ = (Index("ix_remediation_checks_case_id", "case_id"),)

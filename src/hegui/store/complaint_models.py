"""ORM models for complaints and reports, personal-information requests and blocked identifiers (issue 6).

Imported by :mod:`hegui.store` so that ``Base.metadata`` is complete. Created by migration ``0004_complaints``.

No personal data is stored in plaintext:

* a ticket's description, contact details and reviewer notes are AES-GCM ciphertexts under the ticket's own data
  key (subject = the ticket id, see :mod:`hegui.services.crypto`); deleting that key erases them;
* the reporter and the contact are kept only as keyed hashes (``reporter_hmac``, ``contact_hmac``) so that a
  duplicate report and a data subject's tickets can be found;
* a personal-information request keeps ids, dates and its receipt (store names and counts), and the corrections
  asked for encrypted under the end user's data key;
* a blocked identifier is a ciphertext under the end user's data key plus a keyed hash for lookups.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hegui.store.models import Base, UTCDateTime

__all__ = ["Base", "BlockedPi", "ComplaintLog", "ComplaintTicket", "PiRequest"]


class ComplaintTicket(Base):
    """A report about an answer, a complaint, or a personal-information request received through the complaint
    channels. ``number`` is what the complainant sees (``HG-YYYYMMDD-XXXXXX``)."""

    __tablename__ = "complaint_tickets"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # report_output | complaint | pi_request
    channel: Mapped[str] = mapped_column(String(16))  # api | web | provider
    status: Mapped[str] = mapped_column(String(16))  # received|triage|in_review|resolved|rejected|appealed
    account_id: Mapped[str | None] = mapped_column(String(32), default=None)
    request_id: Mapped[str | None] = mapped_column(String(128), default=None)
    category: Mapped[str] = mapped_column(String(64))
    description_enc: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    contact_enc: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    contact_hmac: Mapped[str | None] = mapped_column(String(64), default=None)
    reporter_hmac: Mapped[str | None] = mapped_column(String(64), default=None)
    assignee: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    triage_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)  # resolved | rejected
    decision_zh: Mapped[str | None] = mapped_column(Text, default=None)
    decision_en: Mapped[str | None] = mapped_column(Text, default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    decided_by: Mapped[str | None] = mapped_column(String(200), default=None)
    appeals: Mapped[int] = mapped_column(Integer, default=0)
    appealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    __table_args__ = (
        Index("ix_complaint_tickets_request_id", "request_id"),
        Index("ix_complaint_tickets_status_due_at", "status", "due_at"),
        Index("ix_complaint_tickets_reporter_hmac", "reporter_hmac"),
        Index("ix_complaint_tickets_contact_hmac", "contact_hmac"),
    )


class ComplaintLog(Base):
    """A ticket's history: state changes, assignments, reviewer notes and appeals (``text_enc`` under the
    ticket's data key)."""

    __tablename__ = "complaint_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("complaint_tickets.id", ondelete="CASCADE"))
    ts: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(16))  # submit | assign | transition | note | decide | appeal
    from_status: Mapped[str | None] = mapped_column(String(16), default=None)
    to_status: Mapped[str | None] = mapped_column(String(16), default=None)
    text_enc: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)

    __table_args__ = (Index("ix_complaint_log_ticket_id", "ticket_id", "id"),)


class PiRequest(Base):
    """A data subject's request to access/copy, correct, supplement, delete or block their personal information."""

    __tablename__ = "pi_requests"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # access | correct | supplement | delete | block
    status: Mapped[str] = mapped_column(String(16))  # open | completed
    account_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    end_user_hash: Mapped[str | None] = mapped_column(String(64), default=None)  # content-log pseudonym
    proof_method: Mapped[str] = mapped_column(String(16))  # id | otp
    proof_ref: Mapped[str | None] = mapped_column(String(64), default=None)  # the OTP challenge id (single use)
    changes_enc: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)  # correct/supplement (JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    receipt: Mapped[str | None] = mapped_column(Text, default=None)  # JSON: stores, counts, summary

    __table_args__ = (
        Index("ix_pi_requests_status_due_at", "status", "due_at"),
        Index("ix_pi_requests_user_id", "user_id"),
        Index("ix_pi_requests_proof_ref", "proof_ref"),
    )


class BlockedPi(Base):
    """An identifier the gateway must not emit (``kind``: name | id_number | phone), for a blocking request."""

    __tablename__ = "blocked_pi"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    value_enc: Mapped[bytes] = mapped_column(LargeBinary)
    value_hmac: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_blocked_pi_value_hmac", "kind", "value_hmac"),
        Index("ix_blocked_pi_user_id", "user_id"),
    )

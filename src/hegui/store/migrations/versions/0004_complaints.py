"""Complaints and reports, their history; personal-information requests; blocked identifiers.

Revision ID: 0004_complaints
Revises: 0003_conduct
Create Date: 2025-01-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_complaints"
down_revision: str | None = "0003_conduct"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)
_BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "complaint_tickets",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=True),
        sa.Column("request_id", sa.String(128), nullable=True),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("description_enc", sa.LargeBinary(), nullable=True),
        sa.Column("contact_enc", sa.LargeBinary(), nullable=True),
        sa.Column("contact_hmac", sa.String(64), nullable=True),
        sa.Column("reporter_hmac", sa.String(64), nullable=True),
        sa.Column("assignee", sa.String(200), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("triage_due_at", _TS, nullable=False),
        sa.Column("due_at", _TS, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("decision_zh", sa.Text(), nullable=True),
        sa.Column("decision_en", sa.Text(), nullable=True),
        sa.Column("decided_at", _TS, nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("appeals", sa.Integer(), nullable=False),
        sa.Column("appealed_at", _TS, nullable=True),
        sa.Column("erased_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_tickets")),
        sa.UniqueConstraint("number", name=op.f("uq_complaint_tickets_number")),
    )
    op.create_index("ix_complaint_tickets_request_id", "complaint_tickets", ["request_id"])
    op.create_index("ix_complaint_tickets_status_due_at", "complaint_tickets", ["status", "due_at"])
    op.create_index("ix_complaint_tickets_reporter_hmac", "complaint_tickets", ["reporter_hmac"])
    op.create_index("ix_complaint_tickets_contact_hmac", "complaint_tickets", ["contact_hmac"])
    op.create_table(
        "complaint_log",
        sa.Column("id", _BIGID, autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.String(32), nullable=False),
        sa.Column("ts", _TS, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=True),
        sa.Column("text_enc", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["complaint_tickets.id"], name=op.f("fk_complaint_log_ticket_id_complaint_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_log")),
    )
    op.create_index("ix_complaint_log_ticket_id", "complaint_log", ["ticket_id", "id"])
    op.create_table(
        "pi_requests",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("end_user_hash", sa.String(64), nullable=True),
        sa.Column("proof_method", sa.String(16), nullable=False),
        sa.Column("proof_ref", sa.String(64), nullable=True),
        sa.Column("changes_enc", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("due_at", _TS, nullable=False),
        sa.Column("completed_at", _TS, nullable=True),
        sa.Column("receipt", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pi_requests")),
    )
    op.create_index("ix_pi_requests_status_due_at", "pi_requests", ["status", "due_at"])
    op.create_index("ix_pi_requests_user_id", "pi_requests", ["user_id"])
    op.create_index("ix_pi_requests_proof_ref", "pi_requests", ["proof_ref"])
    op.create_table(
        "blocked_pi",
        sa.Column("id", _BIGID, autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value_enc", sa.LargeBinary(), nullable=False),
        sa.Column("value_hmac", sa.String(64), nullable=False),
        sa.Column("request_id", sa.String(32), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocked_pi")),
    )
    op.create_index("ix_blocked_pi_value_hmac", "blocked_pi", ["kind", "value_hmac"])
    op.create_index("ix_blocked_pi_user_id", "blocked_pi", ["user_id"])


def downgrade() -> None:
    op.drop_table("blocked_pi")
    op.drop_table("pi_requests")
    op.drop_table("complaint_log")
    op.drop_table("complaint_tickets")

"""Remediation of confirmed reports: cases with a three-month deadline, the blocked content (source of truth for
the similar-text library) and regression checks.

Revision ID: 0005_remediation
Revises: 0004_complaints
Create Date: 2025-01-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_remediation"
down_revision: str | None = "0004_complaints"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)
_BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "remediation_cases",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("ticket_id", sa.String(64), nullable=False),
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("risk_code", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("reviewer", sa.String(200), nullable=False),
        sa.Column("end_user_opted_out", sa.Boolean(), nullable=False),
        sa.Column("has_prompt", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("confirmed_at", _TS, nullable=False),
        sa.Column("due_at", _TS, nullable=False),
        sa.Column("fixed_at", _TS, nullable=True),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.Column("last_check_at", _TS, nullable=True),
        sa.Column("last_outcome", sa.String(8), nullable=True),
        sa.Column("due_soon_alerted_at", _TS, nullable=True),
        sa.Column("overdue_alerted_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remediation_cases")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_remediation_cases_ticket_id")),
    )
    op.create_index("ix_remediation_cases_status_due_at", "remediation_cases", ["status", "due_at"])
    op.create_index("ix_remediation_cases_request_id", "remediation_cases", ["request_id"])
    op.create_table(
        "blocked_content",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("risk_code", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocked_content")),
    )
    op.create_index("ix_blocked_content_case_id", "blocked_content", ["case_id"])
    op.create_table(
        "remediation_checks",
        sa.Column("id", _BIGID, autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("ran_at", _TS, nullable=False),
        sa.Column("outcome", sa.String(8), nullable=False),
        sa.Column("prompts", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("violations", sa.Integer(), nullable=False),
        sa.Column("failing_variants", sa.String(200), nullable=False),
        sa.Column("error", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remediation_checks")),
    )
    op.create_index("ix_remediation_checks_case_id", "remediation_checks", ["case_id"])


def downgrade() -> None:
    op.drop_table("remediation_checks")
    op.drop_table("blocked_content")
    op.drop_table("remediation_cases")

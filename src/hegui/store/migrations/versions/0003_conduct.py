"""Minors' usage and guardian settings; the abuse violation ledger, sanctions and appeals.

Revision ID: 0003_conduct
Revises: 0002_identity
Create Date: 2025-01-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_conduct"
down_revision: str | None = "0002_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)
_BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "minor_usage",
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("session_started_at", _TS, nullable=True),
        sa.Column("session_seconds", sa.Integer(), nullable=False),
        sa.Column("session_reminders", sa.Integer(), nullable=False),
        sa.Column("last_seen_at", _TS, nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "day", name=op.f("pk_minor_usage")),
    )
    op.create_table(
        "minor_guardian_settings",
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("daily_quota_minutes", sa.Integer(), nullable=True),
        sa.Column("curfew_start", sa.String(8), nullable=True),
        sa.Column("curfew_end", sa.String(8), nullable=True),
        sa.Column("rest_reminder_minutes", sa.Integer(), nullable=True),
        sa.Column("set_by", sa.String(200), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_minor_guardian_settings")),
    )
    op.create_table(
        "abuse_violations",
        sa.Column("id", _BIGID, autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("ts", _TS, nullable=False),
        sa.Column("risk_code", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("voided_at", _TS, nullable=True),
        sa.Column("voided_by", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_abuse_violations")),
    )
    op.create_index("ix_abuse_violations_user_id_ts", "abuse_violations", ["user_id", "ts"])
    op.create_table(
        "abuse_sanctions",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("reason_codes", sa.String(500), nullable=False),
        sa.Column("requests_per_hour", sa.Integer(), nullable=True),
        sa.Column("starts_at", _TS, nullable=False),
        sa.Column("until", _TS, nullable=True),
        sa.Column("rules_version", sa.String(32), nullable=False),
        sa.Column("reviewer", sa.String(200), nullable=True),
        sa.Column("reason", sa.String(1000), nullable=True),
        sa.Column("revoked_at", _TS, nullable=True),
        sa.Column("revoked_by", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_abuse_sanctions")),
    )
    op.create_index("ix_abuse_sanctions_user_id_starts_at", "abuse_sanctions", ["user_id", "starts_at"])
    op.create_table(
        "abuse_appeals",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("sanction_id", sa.String(32), nullable=False),
        sa.Column("text_ref", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("decided_at", _TS, nullable=True),
        sa.Column("reviewer", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_abuse_appeals")),
    )
    op.create_index("ix_abuse_appeals_user_id", "abuse_appeals", ["user_id"])


def downgrade() -> None:
    op.drop_table("abuse_appeals")
    op.drop_table("abuse_sanctions")
    op.drop_table("abuse_violations")
    op.drop_table("minor_guardian_settings")
    op.drop_table("minor_usage")

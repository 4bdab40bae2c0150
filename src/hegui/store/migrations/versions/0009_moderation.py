"""The console's moderation index (the log and the review queue, built from the audit chain) and its custom
similar-text library entries.

Revision ID: 0009_moderation
Revises: 0008_lexicon
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_moderation"
down_revision: str | None = "0008_lexicon"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)
_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "moderation_entries",
        sa.Column("seq", _SEQ, nullable=False, autoincrement=False),
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("ts", _TS, nullable=False),
        sa.Column("endpoint", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=True),
        sa.Column("end_user_hash", sa.String(64), nullable=True),
        sa.Column("user_id", sa.String(32), nullable=True),
        sa.Column("model", sa.String(200), nullable=True),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("risk_level", sa.String(8), nullable=False),
        sa.Column("categories", sa.String(500), nullable=False),
        sa.Column("detectors_failed", sa.Boolean(), nullable=False),
        sa.Column("review_status", sa.String(16), nullable=True),
        sa.Column("reviewed_by", sa.String(64), nullable=True),
        sa.Column("reviewed_at", _TS, nullable=True),
        sa.Column("review_ticket", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_moderation_entries")),
    )
    op.create_index("ix_moderation_entries_ts", "moderation_entries", ["ts"])
    op.create_index("ix_moderation_entries_request_id", "moderation_entries", ["request_id"])
    op.create_index("ix_moderation_entries_review", "moderation_entries", ["review_status", "ts"])
    op.create_index("ix_moderation_entries_action", "moderation_entries", ["action", "ts"])
    op.create_index("ix_moderation_entries_account", "moderation_entries", ["account_id", "ts"])
    op.create_table(
        "moderation_cursor",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_cursor")),
    )
    op.create_table(
        "similar_entries",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("risk_code", sa.String(16), nullable=True),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("added_by", sa.String(64), nullable=False),
        sa.Column("added_at", _TS, nullable=False),
        sa.Column("removed_by", sa.String(64), nullable=True),
        sa.Column("removed_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_similar_entries")),
    )
    op.create_index("ix_similar_entries_added_at", "similar_entries", ["added_at"])


def downgrade() -> None:
    op.drop_table("similar_entries")
    op.drop_table("moderation_cursor")
    op.drop_table("moderation_entries")

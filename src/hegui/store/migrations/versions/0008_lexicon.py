"""The console's custom word-library entries (soft-removed, so the history stays).

Revision ID: 0008_lexicon
Revises: 0007_console
Create Date: 2025-01-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_lexicon"
down_revision: str | None = "0007_console"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "lexicon_entries",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("term", sa.String(200), nullable=False),
        sa.Column("normalised", sa.String(400), nullable=False),
        sa.Column("risk_code", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("allow", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("added_by", sa.String(64), nullable=False),
        sa.Column("added_at", _TS, nullable=False),
        sa.Column("removed_by", sa.String(64), nullable=True),
        sa.Column("removed_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lexicon_entries")),
    )
    op.create_index("ix_lexicon_entries_normalised", "lexicon_entries", ["normalised"])


def downgrade() -> None:
    op.drop_table("lexicon_entries")

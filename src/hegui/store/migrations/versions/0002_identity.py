"""Identity: end users, per-subject data keys, SMS one-time codes.

Revision ID: 0002_identity
Revises: 0001_initial
Create Date: 2025-01-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_identity"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "subject_keys",
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        sa.Column("master_key_id", sa.String(32), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("rotated_at", _TS, nullable=True),
        sa.Column("erased_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_subject_keys")),
    )
    op.create_table(
        "end_users",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("display_name_enc", sa.LargeBinary(), nullable=True),
        sa.Column("verified_at", _TS, nullable=True),
        sa.Column("verify_method", sa.String(16), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("name_enc", sa.LargeBinary(), nullable=True),
        sa.Column("id_number_enc", sa.LargeBinary(), nullable=True),
        sa.Column("id_number_hmac", sa.String(64), nullable=True),
        sa.Column("phone_enc", sa.LargeBinary(), nullable=True),
        sa.Column("phone_hmac", sa.String(64), nullable=True),
        sa.Column("phone_verified_at", _TS, nullable=True),
        sa.Column("training_opt_out", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("deleted_at", _TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_end_users_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_end_users")),
        sa.UniqueConstraint("account_id", "external_id", name="uq_end_users_account_external"),
    )
    op.create_index("ix_end_users_account_id_number", "end_users", ["account_id", "id_number_hmac"])
    op.create_index("ix_end_users_account_phone", "end_users", ["account_id", "phone_hmac"])
    op.create_table(
        "otp_challenges",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("phone_hmac", sa.String(64), nullable=False),
        sa.Column("phone_enc", sa.LargeBinary(), nullable=False),
        sa.Column("code_hmac", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("finished_at", _TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["end_users.id"], name=op.f("fk_otp_challenges_user_id_end_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_otp_challenges")),
    )
    op.create_index("ix_otp_challenges_user_id", "otp_challenges", ["user_id", "created_at"])
    op.create_index("ix_otp_challenges_phone_hmac", "otp_challenges", ["phone_hmac", "created_at"])


def downgrade() -> None:
    op.drop_table("otp_challenges")
    op.drop_table("end_users")
    op.drop_table("subject_keys")

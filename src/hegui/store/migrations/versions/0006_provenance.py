"""Training-data provenance ledger: data sources (origin, licence and consent evidence, pre/post-collection
verdicts) and their audit runs.

Revision ID: 0006_provenance
Revises: 0005_remediation
Create Date: 2025-01-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_provenance"
down_revision: str | None = "0005_remediation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)
_BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "data_sources",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("url", sa.String(2000), nullable=True),
        sa.Column("dataset", sa.String(300), nullable=True),
        sa.Column("organisation", sa.String(300), nullable=True),
        sa.Column("service_name", sa.String(200), nullable=True),
        sa.Column("licence", sa.String(300), nullable=True),
        sa.Column("licence_file", sa.String(2000), nullable=True),
        sa.Column("contract_ref", sa.String(300), nullable=True),
        sa.Column("consent_basis", sa.String(24), nullable=True),
        sa.Column("consent_note", sa.Text(), nullable=True),
        sa.Column("contains_personal_info", sa.Boolean(), nullable=False),
        sa.Column("contains_sensitive_pi", sa.Boolean(), nullable=False),
        sa.Column("honours_robots", sa.Boolean(), nullable=True),
        sa.Column("ip_review", sa.String(500), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("modalities", sa.JSON(), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("collected_at", _TS, nullable=True),
        sa.Column("collection_start", _TS, nullable=True),
        sa.Column("collection_end", _TS, nullable=True),
        sa.Column("generator_model", sa.String(200), nullable=True),
        sa.Column("generator_version", sa.String(100), nullable=True),
        sa.Column("acquired_at", _TS, nullable=True),
        sa.Column("sample_metadata_fields", sa.JSON(), nullable=False),
        sa.Column("pre_sampled", sa.Integer(), nullable=True),
        sa.Column("pre_bad", sa.Integer(), nullable=True),
        sa.Column("pre_ratio", sa.Float(), nullable=True),
        sa.Column("pre_assessed_at", _TS, nullable=True),
        sa.Column("pre_verdict", sa.String(8), nullable=True),
        sa.Column("post_sampled", sa.Integer(), nullable=True),
        sa.Column("post_bad", sa.Integer(), nullable=True),
        sa.Column("post_ratio", sa.Float(), nullable=True),
        sa.Column("post_assessed_at", _TS, nullable=True),
        sa.Column("post_verdict", sa.String(8), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("excluded_reason", sa.String(500), nullable=True),
        sa.Column("excluded_at", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_sources")),
        sa.UniqueConstraint("name", name=op.f("uq_data_sources_name")),
    )
    op.create_index("ix_data_sources_status", "data_sources", ["status"])
    op.create_table(
        "source_audits",
        sa.Column("id", _BIGID, autoincrement=True, nullable=False),
        sa.Column("source_id", sa.String(32), nullable=False),
        sa.Column("stage", sa.String(8), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("engine", sa.String(32), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=True),
        sa.Column("items", sa.BigInteger(), nullable=True),
        sa.Column("sampled", sa.Integer(), nullable=False),
        sa.Column("bad", sa.Integer(), nullable=False),
        sa.Column("bad_by_check", sa.JSON(), nullable=False),
        sa.Column("ratio", sa.Float(), nullable=False),
        sa.Column("verdict", sa.String(8), nullable=False),
        sa.Column("report_path", sa.String(2000), nullable=True),
        sa.Column("ts", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_audits")),
    )
    op.create_index("ix_source_audits_source_id_ts", "source_audits", ["source_id", "ts"])


def downgrade() -> None:
    op.drop_table("source_audits")
    op.drop_table("data_sources")

"""ORM models of the training-data provenance ledger (issue 9; draft Art 7/17, TC260-003 §5, GB/T 45654 §6-7;
R-PTD-01..06, R-DAT-01..04, R-DAT-07/08). Imported by :mod:`hegui.store` so that ``Base.metadata`` is complete.
Created by migration ``0006_provenance``.

``data_sources`` holds one row per source of training data: where it comes from, the evidence that it may be used
(licence, contract, consent basis), its languages, modalities and origin, and the verdicts of its pre- and
post-collection assessments. ``source_audits`` holds one row per audit run of a source (counts only).

Per-sample metadata stays out of the database: it lives in the corpus files. A source row only names which field
of a sample carries which piece of provenance (``sample_metadata_fields``, R-PTD-03).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hegui.store.models import Base, UTCDateTime

__all__ = ["Base", "DataSource", "SourceAudit"]


class DataSource(Base):
    """One source of training data (R-PTD-02, R-DAT-04)."""

    __tablename__ = "data_sources"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # web | dataset | organisation | user_service | self_collected | ai_generated
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(String(2000), default=None)
    dataset: Mapped[str | None] = mapped_column(String(300), default=None)
    organisation: Mapped[str | None] = mapped_column(String(300), default=None)
    service_name: Mapped[str | None] = mapped_column(String(200), default=None)  # user_service: the service
    licence: Mapped[str | None] = mapped_column(String(300), default=None)  # SPDX id or licence text/name
    licence_file: Mapped[str | None] = mapped_column(String(2000), default=None)  # path/URL of licence/authorisation
    contract_ref: Mapped[str | None] = mapped_column(String(300), default=None)
    # none | consent | separate_consent | public | contract | other
    consent_basis: Mapped[str | None] = mapped_column(String(24), default=None)
    consent_note: Mapped[str | None] = mapped_column(Text, default=None)
    contains_personal_info: Mapped[bool] = mapped_column(Boolean, default=False)
    contains_sensitive_pi: Mapped[bool] = mapped_column(Boolean, default=False)
    honours_robots: Mapped[bool | None] = mapped_column(Boolean, default=None)  # crawls: robots.txt honoured
    ip_review: Mapped[str | None] = mapped_column(String(500), default=None)  # R-DAT-07: IP review record
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    modalities: Mapped[list[str]] = mapped_column(JSON, default=list)
    origin: Mapped[str] = mapped_column(String(16))  # domestic | foreign
    collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    collection_start: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    collection_end: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # ai_generated (R-PTD-06)
    generator_model: Mapped[str | None] = mapped_column(String(200), default=None)
    generator_version: Mapped[str | None] = mapped_column(String(100), default=None)
    acquired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # which field of a sample carries which provenance item (role -> field path), R-PTD-03
    sample_metadata_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # pre-collection assessment (R-DAT-01)
    pre_sampled: Mapped[int | None] = mapped_column(Integer, default=None)
    pre_bad: Mapped[int | None] = mapped_column(Integer, default=None)
    pre_ratio: Mapped[float | None] = mapped_column(Float, default=None)
    pre_assessed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    pre_verdict: Mapped[str | None] = mapped_column(String(8), default=None)  # accept | reject
    # post-collection verification (R-DAT-02)
    post_sampled: Mapped[int | None] = mapped_column(Integer, default=None)
    post_bad: Mapped[int | None] = mapped_column(Integer, default=None)
    post_ratio: Mapped[float | None] = mapped_column(Float, default=None)
    post_assessed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    post_verdict: Mapped[str | None] = mapped_column(String(8), default=None)  # accept | reject
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | excluded
    excluded_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    excluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    notes: Mapped[str | None] = mapped_column(Text, default=None)

    __table_args__ = (Index("ix_data_sources_status", "status"),)


class SourceAudit(Base):
    """One audit run of a source: sample counts, bad counts per check, ratio and verdict (no sample content)."""

    __tablename__ = "source_audits"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    source_id: Mapped[str] = mapped_column(String(32))
    stage: Mapped[str] = mapped_column(String(8))  # pre | post
    run_id: Mapped[str] = mapped_column(String(64))
    engine: Mapped[str] = mapped_column(String(32))  # local | ray | manual ...
    seed: Mapped[int | None] = mapped_column(BigInteger, default=None)
    items: Mapped[int | None] = mapped_column(BigInteger, default=None)  # samples in the source, when known
    sampled: Mapped[int] = mapped_column(Integer)
    bad: Mapped[int] = mapped_column(Integer)
    bad_by_check: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # keyword/classifier/pii/licence/...
    ratio: Mapped[float] = mapped_column(Float)
    verdict: Mapped[str] = mapped_column(String(8))  # accept | reject
    report_path: Mapped[str | None] = mapped_column(String(2000), default=None)
    ts: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_source_audits_source_id_ts", "source_id", "ts"),)

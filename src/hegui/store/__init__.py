"""hegui.store: the database layer (SQLAlchemy 2 models, engine set-up, shipped Alembic migrations).

Only :mod:`hegui.services` imports this package. Importing it connects to nothing.
"""

from __future__ import annotations

from hegui.store import (  # noqa: F401  (complete Base.metadata)
    complaint_models,
    conduct_models,
    console_models,
    identity_models,
    lexicon_models,
    moderation_models,
    provenance_models,
    remediation_models,
    similar_models,
)
from hegui.store.engine import MIGRATIONS_DIR, current_revision, make_engine, read_only, upgrade
from hegui.store.models import (
    GENESIS_HASH,
    Account,
    ApiKey,
    AuditCheckpoint,
    AuditEvent,
    AuditHead,
    Base,
    ContentLog,
)

__all__ = [
    "GENESIS_HASH",
    "MIGRATIONS_DIR",
    "Account",
    "ApiKey",
    "AuditCheckpoint",
    "AuditEvent",
    "AuditHead",
    "Base",
    "ContentLog",
    "current_revision",
    "make_engine",
    "read_only",
    "upgrade",
]

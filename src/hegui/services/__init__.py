"""hegui.services: the use cases over the store.

* :class:`AccountService` - accounts, API keys (hashed), cached authentication.
* :class:`RecordService` - exchange records: PII-redacted content log + audit event in one transaction,
  group-committed from the event loop, retention purge.
* :class:`AuditService` - hash-chained audit log with Ed25519-signed head and checkpoints, verification.
* :class:`ProvenanceService` - the training-data provenance ledger (sources, audits, the 5 % rule).

Only this package touches :mod:`hegui.store` and SQLAlchemy. Importing it connects to nothing.
"""

from __future__ import annotations

from hegui.services.accounts import AccountService, NotFound
from hegui.services.audit import AuditService, load_public_key
from hegui.services.core import Services, signing_public_key_pem, store_exists
from hegui.services.errors import SigningKeyError, StoreError
from hegui.services.provenance import ProvenanceError, ProvenanceService
from hegui.services.records import RecordService
from hegui.services.types import (
    Account,
    AuditProblem,
    Checkpoint,
    ExchangeRecord,
    KeyInfo,
    KeyPrincipal,
    StageRecord,
    VerifyReport,
)

__all__ = [
    "Account",
    "AccountService",
    "AuditProblem",
    "AuditService",
    "Checkpoint",
    "ExchangeRecord",
    "KeyInfo",
    "KeyPrincipal",
    "NotFound",
    "ProvenanceError",
    "ProvenanceService",
    "RecordService",
    "Services",
    "SigningKeyError",
    "StageRecord",
    "StoreError",
    "VerifyReport",
    "load_public_key",
    "signing_public_key_pem",
    "store_exists",
]

"""The :class:`Services` facade: opens the store, runs migrations, and wires the use-case services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session

from hegui.core.errors import ConfigError
from hegui.services.accounts import AccountService
from hegui.services.audit import KEY_FILE, AuditService, SigningKey
from hegui.services.complaints import ComplaintRules, ComplaintService
from hegui.services.conduct import ConductService, LadderRules
from hegui.services.console import ConsoleService
from hegui.services.crypto import KeyRing, derive_master_key
from hegui.services.errors import StoreError
from hegui.services.identity import IdentityProvider, SmsSender, UserService
from hegui.services.lexicon import LexiconService
from hegui.services.minors import MinorGuard, MinorRules
from hegui.services.moderation_log import ModerationLogService
from hegui.services.privacy import PrivacyRules, PrivacyService, Subject
from hegui.services.provenance import ProvenanceService
from hegui.services.records import RecordService
from hegui.services.remediation import RemediationRules, RemediationService
from hegui.services.similar_library import SimilarLibraryService
from hegui.store import AuditEvent, make_engine, upgrade
from hegui.store.remediation_models import BlockedContent, RemediationCase

__all__ = ["MIN_SECRET_BYTES", "Services", "signing_public_key_pem", "store_exists"]

MIN_SECRET_BYTES = 16
JOURNAL_DIR = "journal"  # under data_dir: the exchange-record journals (see hegui.services.journal)


def _redacted_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable URL>"


def store_exists(url: str) -> bool:
    """False when ``url`` names a SQLite file that does not exist (other backends: assumed to exist)."""
    try:
        u = make_url(url)
    except ArgumentError:
        return False
    if u.get_backend_name() != "sqlite" or u.database in (None, "", ":memory:"):
        return True
    return Path(u.database).exists()


def signing_public_key_pem(data_dir: Path) -> bytes:
    """The checkpoint-signing public key of ``data_dir`` (PEM); the key pair is created on first use."""
    return SigningKey(Path(data_dir) / KEY_FILE).public_key_pem()


class _ReportedPrompts:
    """Prompts a user typed that ended up in the remediation library (a confirmed report of the answer they got):
    their personal input, so access and deletion requests reach them. The reported answers stay (model output)."""

    name = "blocked_content"

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _query(self, subject: Subject) -> Any:
        if not subject.end_user_hash:
            return None
        # exchange events name the end user by the same keyed pseudonym as the content log (canonical JSON)
        needle = f'%"end_user_hash":"{subject.end_user_hash}"%'
        requests = select(AuditEvent.request_id).where(AuditEvent.kind == "exchange", AuditEvent.payload.like(needle))
        cases = select(RemediationCase.id).where(RemediationCase.request_id.in_(requests))
        return select(BlockedContent).where(BlockedContent.role == "prompt", BlockedContent.case_id.in_(cases))

    def access(self, subject: Subject) -> list[dict[str, Any]]:
        q = self._query(subject)
        if q is None:
            return []
        with Session(self._engine) as s:
            return [{"case_id": r.case_id, "role": r.role, "text": r.text} for r in s.execute(q).scalars()]

    def delete(self, subject: Subject) -> tuple[int, int]:
        q = self._query(subject)
        if q is None:
            return 0, 0
        with Session(self._engine) as s, s.begin():
            rows = list(s.execute(q).scalars())
            for r in rows:
                s.delete(r)
        return len(rows), len(rows)


class Services:
    """Everything the gateway and the CLI need from the store: ``accounts``, ``records``, ``audit``, ``users``
    (end users and their encrypted identity), ``minors`` and ``conduct`` (the abuse ladder).

    Open with :meth:`open`; :meth:`close` flushes queued records, checkpoints new audit events and disposes
    the engine. Thread-safe.
    """

    def __init__(
        self, engine: Engine, *, secret_key: bytes, data_dir: Path, retention_days: int, checkpoint_every: int,
        content_log: bool, auth_cache_ttl_s: float = 5.0, minor_rules: MinorRules | None = None,
        ladder_rules: LadderRules | None = None, identity_provider: IdentityProvider | None = None,
        sms: SmsSender | None = None, master_key: bytes | None = None, clock: Callable[[], datetime] | None = None,
        complaint_rules: ComplaintRules | None = None, remediation_rules: RemediationRules | None = None,
        privacy_rules: PrivacyRules | None = None, durability: str = "journal", max_lag_s: float = 10.0,
    ) -> None:
        if durability not in ("journal", "commit"):
            raise ConfigError(f"durability must be 'journal' or 'commit', not {durability!r}",
                              f"durability 只能是 'journal' 或 'commit'，而不是 {durability!r}")
        self.engine = engine
        self.data_dir = data_dir
        self.signing_key = SigningKey(data_dir / KEY_FILE)
        self.accounts = AccountService(engine, cache_ttl_s=auth_cache_ttl_s)
        self.records = RecordService(
            engine, self.signing_key, secret_key, retention_days=retention_days,
            checkpoint_every=checkpoint_every, content_log=content_log,
            journal_dir=data_dir / JOURNAL_DIR if durability == "journal" else None, max_lag_s=max_lag_s,
        )
        self.audit = AuditService(engine, self.signing_key, secret_key, checkpoint_every=checkpoint_every,
                                  before_read=self.records.sync)
        # identity, minors and conduct changes go into the same hash-chained audit log (ids and codes only)
        clock_kw: dict[str, Any] = {"clock": clock} if clock is not None else {}
        self.keyring = KeyRing(engine, master_key or derive_master_key(secret_key))
        self.users = UserService(engine, self.keyring, secret_key, sms=sms, provider=identity_provider,
                                 on_event=self._event, **clock_kw)
        self.minors = MinorGuard(engine, minor_rules, on_event=self._event, **clock_kw)
        self.conduct = ConductService(engine, ladder_rules, on_event=self._event, **clock_kw)
        self.complaints = ComplaintService(engine, self.keyring, complaint_rules, secret_key=secret_key,
                                           on_event=self._event, exists=self._answer_time, **clock_kw)
        self.remediation = RemediationService(engine, remediation_rules, on_event=self._event, **clock_kw)
        self.provenance = ProvenanceService(engine, on_event=self._event, **clock_kw)
        self.console = ConsoleService(engine, on_event=self._event, **clock_kw)
        self.lexicon = LexiconService(engine, on_event=self._event, **clock_kw)
        self.moderation = ModerationLogService(engine, on_event=self._event, **clock_kw)
        self.similar = SimilarLibraryService(engine, on_event=self._event, **clock_kw)
        self.privacy = PrivacyService(engine, self.users, self.keyring, secret_key, rules=privacy_rules,
                                      on_event=self._event, stores=[_ReportedPrompts(engine)],
                                      before_read=lambda: self.records.sync(compact=True), **clock_kw)
        self._closed = False

    def _answer_time(self, request_id: str) -> datetime | None:
        """When the answer ``request_id`` was produced (None: no such exchange on record)."""
        rec = self.records.get(request_id)
        audit = (rec or {}).get("audit")
        if not audit or audit.get("kind") != "exchange":
            return None
        ts = audit.get("ts")
        return ts if isinstance(ts, datetime) else None

    def _event(self, kind: str, payload: dict[str, Any]) -> None:
        self.audit.append(kind, payload)

    @classmethod
    def open(
        cls, url: str, *, secret_key: bytes, data_dir: Path, retention_days: int = 180, checkpoint_every: int = 1000,
        content_log: bool = True, auth_cache_ttl_s: float = 5.0, echo: bool = False, migrate: bool = True,
        **parts: Any,
    ) -> Services:
        """Connect to ``url`` (``sqlite:////abs/path.db`` or ``postgresql+psycopg://...``), create ``data_dir``
        and run the shipped migrations to head (idempotent, safe with concurrent starts)."""
        if len(secret_key) < MIN_SECRET_BYTES:
            raise ConfigError(
                f"the secret key must be at least {MIN_SECRET_BYTES} bytes (HEGUI_SECRET_KEY, or data_dir/secret.key)",
                f"密钥至少需要 {MIN_SECRET_BYTES} 字节（HEGUI_SECRET_KEY 或 data_dir/secret.key）",
            )
        if retention_days < 1 or checkpoint_every < 1:
            raise ConfigError(
                "retention_days and checkpoint_every must be at least 1", "retention_days 与 checkpoint_every 至少为 1"
            )
        data_dir = Path(data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        shown = _redacted_url(url)
        try:
            engine = make_engine(url, echo=echo)
        except (ArgumentError, ImportError, ValueError) as exc:
            raise ConfigError(f"bad store URL {shown}: {exc}", f"存储地址 {shown} 有误：{exc}") from None
        try:
            if migrate:
                upgrade(engine)
        except SQLAlchemyError as exc:
            engine.dispose()
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise StoreError(
                f"cannot open the store {shown}: {reason}", f"无法打开存储 {shown}：{reason}"
            ) from exc
        except BaseException:
            engine.dispose()
            raise
        return cls(
            engine, secret_key=secret_key, data_dir=data_dir, retention_days=retention_days,
            checkpoint_every=checkpoint_every, content_log=content_log, auth_cache_ttl_s=auth_cache_ttl_s, **parts,
        )

    def close(self, *, checkpoint: bool = True) -> None:
        """Flush pending records, write a checkpoint if events were added since the last one (unless
        ``checkpoint=False``, e.g. for read-only tools), dispose the engine."""
        if self._closed:
            return
        self._closed = True
        try:
            self.records.close()
            if checkpoint:
                self.audit.checkpoint(only_if_new=True)
        finally:
            self.engine.dispose()

    def __enter__(self) -> Services:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

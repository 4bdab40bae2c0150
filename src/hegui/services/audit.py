"""The audit hash chain: appends, signed head and checkpoints, verification.

Every event has ``seq`` (1, 2, 3, ... without gaps), and ``payload``, canonical JSON that repeats seq, ts, kind
and request_id; ``hash = SHA-256(bytes.fromhex(prev_hash) + payload.encode())``, the first ``prev_hash`` being
64 zeros. The single ``audit_head`` row names the latest seq and hash and is signed (Ed25519) in the same
transaction as each append; a signed checkpoint is written every ``checkpoint_every`` events and on close.
Appends lock the head row (``SELECT ... FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so writers
in several processes form one chain.

Limit: whoever holds the private signing key (and write access to the database) can rewrite the whole chain
and re-sign it. Export the public key (``hegui audit export-key``) and keep copies of checkpoints elsewhere
to verify against them.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Connection, Engine, Table, bindparam, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from hegui.services.errors import SigningKeyError, StoreError
from hegui.services.types import AuditProblem, Checkpoint, VerifyReport
from hegui.store import GENESIS_HASH, AuditCheckpoint, AuditEvent, AuditHead, ContentLog, read_only

__all__ = [
    "ENVELOPE_KEYS",
    "KEY_FILE",
    "AuditEventInfo",
    "AuditHeadInfo",
    "AuditService",
    "SigningKey",
    "canonical_json",
    "chain_hash",
    "content_hmac",
    "format_ts",
]

KEY_FILE = "audit_signing_key.pem"
CONTENT_HMAC_PREFIX = b"hegui.content\x1f"
HEAD_ID = 1


def canonical_json(obj: Any) -> str:
    """Sorted keys, no spaces, UTF-8 (not escaped), no NaN: the same object always gives the same text."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def format_ts(ts: datetime) -> str:
    """UTC, microseconds, ``Z``: the timestamp form used inside hashed and signed texts."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def chain_hash(prev_hash: str, payload: str) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + payload.encode("utf-8")).hexdigest()


def content_hmac(secret_key: bytes, text: str | None) -> str | None:
    """Binds a stored (redacted) text to its audit event. Keyed, so that after the retention purge the hash
    left in the audit log cannot confirm a guessed text."""
    if text is None:
        return None
    return hmac.new(secret_key, CONTENT_HMAC_PREFIX + text.encode("utf-8"), hashlib.sha256).hexdigest()


def _head_statement(seq: int, hash_: str, ts: datetime | None) -> bytes:
    return canonical_json(
        {"type": "hegui.audit.head", "v": 1, "seq": seq, "hash": hash_, "ts": format_ts(ts) if ts else None}
    ).encode("utf-8")


def _checkpoint_statement(seq: int, hash_: str, count: int, ts: datetime) -> bytes:
    return canonical_json(
        {"type": "hegui.audit.checkpoint", "v": 1, "seq": seq, "hash": hash_, "count": count, "ts": format_ts(ts)}
    ).encode("utf-8")


def _key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(
            f"not a PEM public key: {exc}", f"不是 PEM 格式的公钥：{exc}"
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError("the public key is not an Ed25519 key", "该公钥不是 Ed25519 公钥")
    return key


# keys every event body carries from its envelope (append_events sets them); a payload never overrides them
ENVELOPE_KEYS = frozenset({"seq", "ts", "kind", "request_id"})


class SigningKey:
    """The Ed25519 checkpoint-signing key in ``<data_dir>/audit_signing_key.pem`` (mode 0600), created on first
    use. Verification needs only the public key."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._private: Ed25519PrivateKey | None = None
        self._key_id: str | None = None

    def exists(self) -> bool:
        return self.path.exists()

    def private(self) -> Ed25519PrivateKey:
        with self._lock:
            if self._private is None:
                self._private = self._load_or_create()
            return self._private

    def _load_or_create(self) -> Ed25519PrivateKey:
        if not self.path.exists():
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(pem)
                    f.flush()
                    os.fsync(f.fileno())
                with contextlib.suppress(FileExistsError):  # atomic create-if-absent: another process may win
                    os.link(tmp, self.path)
            finally:
                tmp.unlink(missing_ok=True)
        try:
            data = self.path.read_bytes()
            key_obj = serialization.load_pem_private_key(data, password=None)
        except (OSError, ValueError, TypeError) as exc:
            raise SigningKeyError(
                f"cannot read the audit signing key {self.path}: {exc}",
                f"无法读取审计签名私钥 {self.path}：{exc}",
            ) from None
        if not isinstance(key_obj, Ed25519PrivateKey):
            raise SigningKeyError(
                f"{self.path} is not an Ed25519 private key", f"{self.path} 不是 Ed25519 私钥"
            )
        return key_obj

    def public(self) -> Ed25519PublicKey:
        return self.private().public_key()

    def public_key_pem(self) -> bytes:
        return self.public().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def key_id(self) -> str:
        key_id = self._key_id
        if key_id is None:
            key_id = self._key_id = _key_id(self.public())
        return key_id

    def sign(self, statement: bytes) -> str:
        return self.private().sign(statement).hex()


@dataclass(frozen=True)
class NewEvent:
    """An event to append (its seq and hashes are assigned under the head lock)."""

    request_id: str
    kind: str
    ts: datetime
    body: dict[str, Any]


_EVENTS = cast(Table, AuditEvent.__table__)
_HEAD = cast(Table, AuditHead.__table__)
_CHECKPOINTS = cast(Table, AuditCheckpoint.__table__)
_LAST_CHECKPOINT = select(func.max(_CHECKPOINTS.c.seq))
# the head row, locked, and (same round trip) the seq of the latest checkpoint; on PostgreSQL the subquery may
# read a snapshot older than the locked row, so its value is a lower bound, re-read when a checkpoint looks due
_LOCK_HEAD = (
    select(_HEAD.c.seq, _HEAD.c.hash, _LAST_CHECKPOINT.scalar_subquery())
    .where(_HEAD.c.id == HEAD_ID)
    .with_for_update(of=_HEAD)
)
_INSERT_EVENTS = insert(_EVENTS)
_INSERT_CHECKPOINT = insert(_CHECKPOINTS)
_UPDATE_HEAD = update(_HEAD).where(_HEAD.c.id == bindparam("head_id"))


def _lock_head(conn: Connection) -> tuple[int, str, int]:
    """Lock the head row; its seq and hash, and the seq of the latest checkpoint as seen (0: none)."""
    row = conn.execute(_LOCK_HEAD).first()
    if row is None:
        raise StoreError(
            "the audit head row is missing: the store was not migrated, or was tampered with",
            "审计链头记录缺失：数据库未迁移或已被篡改",
        )
    return int(row[0]), str(row[1]), int(row[2] or 0)


def append_events(
    conn: Connection, events: Sequence[NewEvent], signer: SigningKey, *, checkpoint_every: int
) -> list[int]:
    """Append ``events`` to the chain inside the caller's transaction (``conn`` must be in one); sign the new
    head once; write a checkpoint when ``checkpoint_every`` events have accumulated since the last one. Returns
    the assigned seqs."""
    if not events:
        return []
    key_id = signer.key_id()  # loads the key before the head is locked; raises SigningKeyError
    head_seq, prev, last_cp = _lock_head(conn)
    seq = head_seq
    rows: list[dict[str, Any]] = []
    sha256 = hashlib.sha256
    for ev in events:
        seq += 1
        payload = canonical_json(
            {**ev.body, "seq": seq, "ts": format_ts(ev.ts), "kind": ev.kind, "request_id": ev.request_id}
        )
        h = sha256(bytes.fromhex(prev) + payload.encode("utf-8")).hexdigest()  # chain_hash, inlined
        rows.append({
            "seq": seq, "ts": ev.ts, "request_id": ev.request_id, "kind": ev.kind, "payload": payload,
            "prev_hash": prev, "hash": h,
        })
        prev = h
    conn.execute(_INSERT_EVENTS, rows)
    now = datetime.now(UTC)
    result = conn.execute(_UPDATE_HEAD, {
        "head_id": HEAD_ID, "seq": seq, "hash": prev, "ts": now, "key_id": key_id,
        "signature": signer.sign(_head_statement(seq, prev, now)),
    })
    if result.rowcount != 1:
        raise StoreError("the audit head row could not be updated", "无法更新审计链头记录")
    if seq - last_cp >= checkpoint_every:
        last_cp = conn.execute(_LAST_CHECKPOINT).scalar_one_or_none() or 0
        if seq - last_cp >= checkpoint_every:
            _write_checkpoint(conn, signer, seq, prev, now)
    return list(range(head_seq + 1, seq + 1))


def _write_checkpoint(conn: Connection, signer: SigningKey, seq: int, hash_: str, ts: datetime) -> Checkpoint:
    sig = signer.sign(_checkpoint_statement(seq, hash_, seq, ts))
    key_id = signer.key_id()
    conn.execute(
        _INSERT_CHECKPOINT, {"seq": seq, "hash": hash_, "count": seq, "ts": ts, "key_id": key_id, "signature": sig}
    )
    return Checkpoint(seq=seq, hash=hash_, count=seq, ts=ts, key_id=key_id, signature=sig)


def _verify_sig(public: Ed25519PublicKey, signature: str, statement: bytes) -> bool:
    try:
        public.verify(bytes.fromhex(signature), statement)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass
class _Entry:
    stored: int
    claimed: int
    hash: str
    prev_hash: str
    intact: bool


def _ranges(missing: Iterable[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s in missing:
        if out and out[-1][1] == s - 1:
            out[-1] = (out[-1][0], s)
        else:
            out.append((s, s))
    return out


@dataclass(frozen=True)
class AuditHeadInfo:
    """The signed head of the chain as stored (``ts`` None and ``seq`` 0 while the chain is empty)."""

    seq: int
    hash: str
    ts: datetime | None
    key_id: str


@dataclass(frozen=True)
class AuditEventInfo:
    """One event for listings: its place in the chain, and the ``actor`` its payload names (if any); never the
    rest of the payload."""

    seq: int
    ts: datetime
    kind: str
    request_id: str
    actor: str | None
    hash: str


def _actor_of(payload: str) -> str | None:
    try:
        body = json.loads(payload)
    except ValueError:
        return None
    actor = body.get("actor") if isinstance(body, dict) else None
    return actor[:128] if isinstance(actor, str) and actor else None


class AuditService:
    """Checkpoints and verification of the audit chain."""

    def __init__(self, engine: Engine, signer: SigningKey, secret_key: bytes, *, checkpoint_every: int,
                 before_read: Callable[[], None] | None = None) -> None:
        self._engine = engine
        self._signer = signer
        self._secret = secret_key
        self.checkpoint_every = checkpoint_every
        # called before the chain is read: writes still on their way (the record journal) land first
        self._before_read = before_read or (lambda: None)

    def public_key_pem(self) -> bytes:
        """The checkpoint-signing public key (PEM, SubjectPublicKeyInfo), for external verification."""
        return self._signer.public_key_pem()

    # reading (for the console; callers that must see the latest exchanges sync the record journal first) -----
    def head(self) -> AuditHeadInfo:
        """The chain's signed head (not verified: :meth:`verify` does that)."""
        with Session(read_only(self._engine)) as s:
            h = s.execute(select(AuditHead).where(AuditHead.id == HEAD_ID)).scalar_one_or_none()
            if h is None:
                return AuditHeadInfo(seq=0, hash=GENESIS_HASH, ts=None, key_id="")
            return AuditHeadInfo(seq=int(h.seq), hash=h.hash, ts=h.ts, key_id=h.key_id)

    def checkpoints(self, limit: int = 10) -> list[Checkpoint]:
        """The latest ``limit`` checkpoints, newest first."""
        with Session(read_only(self._engine)) as s:
            rows = s.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc(), AuditCheckpoint.id.desc())
                             .limit(max(0, limit))).scalars()
            return [Checkpoint(seq=int(r.seq), hash=r.hash, count=int(r.count), ts=r.ts, key_id=r.key_id,
                               signature=r.signature) for r in rows]

    def recent(self, limit: int = 50, offset: int = 0, *, kind: str | None = None) -> list[AuditEventInfo]:
        """Events newest first (``kind``: only that kind), with the actor their payload names."""
        q = select(AuditEvent.seq, AuditEvent.ts, AuditEvent.kind, AuditEvent.request_id, AuditEvent.payload,
                   AuditEvent.hash)
        if kind is not None:
            q = q.where(AuditEvent.kind == kind)
        q = q.order_by(AuditEvent.seq.desc()).limit(max(0, limit)).offset(max(0, offset))
        with Session(read_only(self._engine)) as s:
            return [AuditEventInfo(seq=int(seq), ts=ts, kind=k, request_id=rid, actor=_actor_of(payload), hash=h)
                    for seq, ts, k, rid, payload, h in s.execute(q)]

    def counts_by_kind(self) -> dict[str, int]:
        """How many events of each kind the chain holds, most frequent first."""
        with Session(read_only(self._engine)) as s:
            rows = s.execute(select(AuditEvent.kind, func.count()).group_by(AuditEvent.kind)).all()
        return {str(k): int(n) for k, n in sorted(rows, key=lambda r: (-int(r[1]), str(r[0])))}

    def append(self, kind: str, payload: dict[str, Any], *, request_id: str | None = None,
               ts: datetime | None = None) -> int:
        """Append one event that is not an exchange (an identity check, a sanction, an appeal, a key rotation...)
        to the chain in its own transaction; returns its seq. ``payload`` must hold no user content and no
        personal data: ids, codes, actions and times only. A payload key named like one of the envelope's
        (:data:`ENVELOPE_KEYS`) is stored as ``subject_<key>``. Raises :class:`StoreError`."""
        if kind == "exchange":
            raise ValueError("exchange events are written by RecordService")
        rid = request_id or f"{kind}-{uuid.uuid4().hex}"
        # the envelope's own keys (seq, ts, kind, request_id) would overwrite the payload's: keep those as
        # subject_<key> (a complaint's kind, the exchange a remediation case is about, the service's clock)
        body: dict[str, Any] = {"v": 1}
        for key, value in payload.items():
            body[f"subject_{key}" if key in ENVELOPE_KEYS else key] = value
        ev = NewEvent(request_id=rid[:128], kind=kind, ts=(ts or datetime.now(UTC)).astimezone(UTC), body=body)
        try:
            with self._engine.begin() as conn:
                return append_events(conn, [ev], self._signer, checkpoint_every=self.checkpoint_every)[0]
        except (StoreError, SigningKeyError):
            raise
        except Exception as exc:
            raise StoreError(f"could not append the audit event: {type(exc).__name__}",
                             f"无法写入审计事件：{type(exc).__name__}") from exc

    def checkpoint(self, *, only_if_new: bool = False) -> Checkpoint | None:
        """Write a signed checkpoint of the current head now. None when the chain is empty (or, with
        ``only_if_new``, when no event was added since the last checkpoint)."""
        try:
            with self._engine.begin() as conn:
                seq, hash_, _ = _lock_head(conn)
                if seq == 0:
                    return None
                if only_if_new:
                    last = conn.execute(_LAST_CHECKPOINT).scalar_one_or_none() or 0
                    if last >= seq:
                        return None
                return _write_checkpoint(conn, self._signer, seq, hash_, datetime.now(UTC))
        except (StoreError, SigningKeyError):
            raise
        except Exception as exc:
            raise StoreError(
                f"cannot write the audit checkpoint: {type(exc).__name__}: {exc}",
                f"无法写入审计检查点：{type(exc).__name__}：{exc}",
            ) from exc

    def verify(self, *, public_key_pem: bytes | None = None, check_content: bool = True) -> VerifyReport:
        """Walk the whole chain and report every sign of tampering: edited events (``edit``), deleted events
        (``delete``), moved events (``reorder``), events missing at the end (``truncate``: the signed head or a
        checkpoint names more events than exist) and bad signatures (``signature``). Signatures are checked
        with ``public_key_pem`` when given (e.g. an exported copy), else with the local signing key. With
        ``check_content`` (needs the right secret key) every content-log row is checked against the HMACs
        its audit event holds."""
        self._before_read()
        try:
            return self._verify(public_key_pem, check_content)
        except (StoreError, SigningKeyError):
            raise
        except SQLAlchemyError as exc:
            raise StoreError(
                f"cannot read the audit log: {type(exc).__name__}: {exc}",
                f"无法读取审计日志：{type(exc).__name__}：{exc}",
            ) from exc

    def _verify(self, public_key_pem: bytes | None, check_content: bool) -> VerifyReport:
        if public_key_pem is not None:
            public = load_public_key(public_key_pem)
        elif self._signer.exists():
            public = self._signer.public()
        else:
            public = None
        problems: list[AuditProblem] = []
        add = problems.append
        entries: list[_Entry] = []
        engine = read_only(self._engine)
        with Session(engine) as s:
            result = s.execute(
                select(
                    AuditEvent.seq, AuditEvent.ts, AuditEvent.request_id, AuditEvent.kind, AuditEvent.payload,
                    AuditEvent.prev_hash, AuditEvent.hash,
                ).order_by(AuditEvent.seq).execution_options(yield_per=2000)
            )
            for seq, ts, request_id, kind, payload, prev_hash, hash_ in result:
                entries.append(self._check_event(seq, ts, request_id, kind, payload, prev_hash, hash_, add))
            head = s.execute(select(AuditHead).where(AuditHead.id == HEAD_ID)).scalar_one_or_none()
            checkpoints = list(s.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.seq)).scalars())
            orphans = self._check_content(s, add) if check_content else []
        by_claimed = self._check_order(entries, add)
        last = max(by_claimed) if by_claimed else 0
        if ((head is not None and head.signature) or checkpoints) and public is None:
            raise SigningKeyError(
                f"no public key to check signatures with: {self._signer.path} does not exist; "
                "pass the exported public key",
                f"没有可用于验证签名的公钥：{self._signer.path} 不存在；请提供导出的公钥",
            )
        self._check_head(head, public, by_claimed, last, add)
        self._check_checkpoints(checkpoints, public, by_claimed, last, add)
        if orphans and not problems:
            # (content rows whose event was deleted or edited are a consequence of problems already listed)
            add(AuditProblem(
                "edit", None,
                f"{len(orphans)} content-log row(s) have no audit event (inserted outside hegui)",
                f"{len(orphans)} 条内容日志记录没有对应的审计事件（非本系统写入）",
            ))
        problems.sort(key=lambda p: (p.seq if p.seq is not None else -1, p.kind))
        return VerifyReport(ok=not problems, events=len(entries), checkpoints=len(checkpoints), problems=tuple(problems))

    @staticmethod
    def _check_event(
        seq: int, ts: datetime, request_id: str, kind: str, payload: str, prev_hash: str, hash_: str,
        add: Any,
    ) -> _Entry:
        try:
            intact = chain_hash(prev_hash, payload) == hash_
        except ValueError:
            intact = False
        claimed = seq
        if not intact:
            add(AuditProblem(
                "edit", seq,
                f"event {seq}: its content no longer matches its hash (edited)",
                f"事件 {seq}：内容与其哈希不符（已被修改）",
            ))
            return _Entry(seq, seq, hash_, prev_hash, False)
        try:
            body = json.loads(payload)
            claimed = int(body["seq"])
            same = (body["ts"], body["kind"], body["request_id"]) == (format_ts(ts), kind, request_id)
        except (ValueError, KeyError, TypeError):
            same = False
        if not same:
            add(AuditProblem(
                "edit", seq,
                f"event {seq}: its columns (ts, kind or request_id) differ from the hashed payload",
                f"事件 {seq}：时间、类型或请求 ID 字段与已哈希的内容不一致（已被修改）",
            ))
        return _Entry(seq, claimed, hash_, prev_hash, True)

    @staticmethod
    def _check_order(entries: list[_Entry], add: Any) -> dict[int, _Entry]:
        """Reorder, delete and broken-link checks. Returns the entries by the seq their payload claims."""
        top = 0
        descending = False
        for e in entries:
            if e.claimed <= top:
                descending = True
            top = max(top, e.claimed)
        for e in entries:
            if e.claimed != e.stored and (descending or e.claimed < e.stored):
                add(AuditProblem(
                    "reorder", e.stored,
                    f"event stored as seq {e.stored} was written as seq {e.claimed} (events moved or swapped)",
                    f"序号 {e.stored} 处保存的事件原本是第 {e.claimed} 个事件（事件被移动或调换）",
                ))
        by_claimed: dict[int, _Entry] = {}
        for e in entries:
            by_claimed.setdefault(e.claimed, e)
        last = max(by_claimed) if by_claimed else 0
        missing = (s for s in range(1, last + 1) if s not in by_claimed)
        for lo, hi in _ranges(missing):
            what_en = f"event {lo}" if lo == hi else f"events {lo}-{hi}"
            what_zh = f"事件 {lo}" if lo == hi else f"事件 {lo}–{hi}"
            add(AuditProblem("delete", lo, f"{what_en} deleted (gap in the chain)", f"{what_zh} 已被删除（链中断）"))
        prev: _Entry | None = None
        for seq in range(1, last + 1):
            cur = by_claimed.get(seq)
            if cur is None:
                prev = None
                continue
            if seq == 1 and cur.intact and cur.prev_hash != GENESIS_HASH:
                add(AuditProblem(
                    "edit", 1, "event 1 does not start the chain (events before it were rewritten)",
                    "事件 1 不是链的起点（之前的事件被改写）",
                ))
            if prev is not None and cur.intact and prev.intact and cur.prev_hash != prev.hash:
                add(AuditProblem(
                    "edit", seq - 1,
                    f"event {seq - 1} was rewritten: event {seq} links to a different hash",
                    f"事件 {seq - 1} 被改写：事件 {seq} 指向的哈希与之不同",
                ))
            prev = cur
        return by_claimed

    def _check_content(self, s: Session, add: Any) -> list[str]:
        """Each content-log row must match the hashes its audit event holds. Returns the request ids of rows
        without an event."""
        orphans: list[str] = []
        rows = s.execute(
            select(ContentLog.request_id, ContentLog.input_text, ContentLog.output_text, AuditEvent.seq,
                   AuditEvent.payload)
            .join(AuditEvent, (AuditEvent.request_id == ContentLog.request_id) & (AuditEvent.kind == "exchange"),
                  isouter=True)
            .execution_options(yield_per=2000)
        )
        for request_id, input_text, output_text, seq, payload in rows:
            if seq is None:
                orphans.append(request_id)
                continue
            try:
                content = json.loads(payload).get("content") or {}
            except (ValueError, AttributeError):
                continue  # the event itself is reported as edited
            got = (content_hmac(self._secret, input_text), content_hmac(self._secret, output_text))
            if got != (content.get("input_hmac"), content.get("output_hmac")):
                add(AuditProblem(
                    "edit", seq, f"event {seq}: its content-log row was changed",
                    f"事件 {seq}：对应的内容日志记录已被修改",
                ))
        return orphans

    @staticmethod
    def _check_head(
        head: AuditHead | None, public: Ed25519PublicKey | None, by_claimed: dict[int, _Entry], last: int, add: Any
    ) -> None:
        if head is None or not head.signature:
            if head is None or last > 0:
                add(AuditProblem(
                    "signature", None, "the signed chain head is missing", "缺少已签名的链头记录",
                ))
            return
        assert public is not None
        if not _verify_sig(public, head.signature, _head_statement(head.seq, head.hash, head.ts)):
            add(AuditProblem(
                "signature", head.seq, "the chain head's signature is invalid (head edited or forged)",
                "链头签名无效（链头被修改或伪造）",
            ))
            return
        if head.seq > last:
            add(AuditProblem(
                "truncate", last + 1,
                f"the signed head names event {head.seq}, but the chain ends at {last} (events removed from the end)",
                f"已签名的链头记录为第 {head.seq} 个事件，但链只到第 {last} 个（末尾事件被删除）",
            ))
            return
        e = by_claimed.get(head.seq)
        if e is not None and e.hash != head.hash:
            add(AuditProblem(
                "edit", head.seq, f"event {head.seq} differs from the signed head (chain rewritten)",
                f"事件 {head.seq} 与已签名的链头不符（链被改写）",
            ))
        if last > head.seq:
            add(AuditProblem(
                "edit", head.seq + 1,
                f"{last - head.seq} event(s) after the signed head were not appended by hegui",
                f"链头之后有 {last - head.seq} 个事件不是本系统写入的",
            ))

    @staticmethod
    def _check_checkpoints(
        checkpoints: list[AuditCheckpoint], public: Ed25519PublicKey | None, by_claimed: dict[int, _Entry],
        last: int, add: Any,
    ) -> None:
        beyond: AuditCheckpoint | None = None
        for cp in checkpoints:
            assert public is not None
            if not _verify_sig(public, cp.signature, _checkpoint_statement(cp.seq, cp.hash, cp.count, cp.ts)):
                add(AuditProblem(
                    "signature", cp.seq, f"checkpoint at event {cp.seq}: invalid signature (edited or forged)",
                    f"第 {cp.seq} 个事件处的检查点签名无效（被修改或伪造）",
                ))
                continue
            if cp.seq > last:
                beyond = cp
                continue
            e = by_claimed.get(cp.seq)
            if e is not None and e.hash != cp.hash:
                add(AuditProblem(
                    "edit", cp.seq, f"event {cp.seq} differs from the signed checkpoint (chain rewritten)",
                    f"事件 {cp.seq} 与已签名的检查点不符（链被改写）",
                ))
        if beyond is not None:
            add(AuditProblem(
                "truncate", last + 1,
                f"a signed checkpoint counts {beyond.count} events, but the chain ends at {last} "
                "(events removed from the end)",
                f"已签名的检查点记录了 {beyond.count} 个事件，但链只到第 {last} 个（末尾事件被删除）",
            ))

"""Personal-information requests of end users (PIPL Arts 44-47; R-MEA-12): access/copy, correct, supplement,
delete and block, with an identity check of the requester, execution across every store hegui keeps, a receipt,
and deadlines.

:meth:`PrivacyService.open` checks who asks. :class:`IdentityProof` is either the user's verified real name and
resident ID number (the ID number is compared through the keyed lookup hash of ``end_users.id_number_hmac``, the
name by decrypting ``name_enc``), or the id of an SMS challenge that was verified (:meth:`UserService.check_otp`)
for the phone bound to the user at most ``otp_max_age_s`` ago and not used for another request. Anything else is
refused with :class:`PrivacyError` ``identity_mismatch``; nothing is stored and the audit event
``privacy.refused`` carries only the account, the request kind, the proof method and the reason.

:meth:`PrivacyService.execute` runs the request over every store and returns a :class:`Receipt` that lists each
store with what was found and done:

=================  =========================================================================================
store              delete / access
=================  =========================================================================================
end_users          :meth:`UserService.delete_subject` (data key destroyed, fields blanked) / decrypted export
otp_challenges     cleared by ``delete_subject`` / count
content_log        rows with ``end_user_hash = pseudonymise(secret_key, external_id)`` of the account deleted
                   (SQLite: ``secure_delete`` and a WAL checkpoint, so the bytes leave the file) / the rows
                   (already PII-masked)
complaints         tickets filed by the subject (``reporter_hmac`` of account + external id, or ``contact_hmac``
                   of the user's phone): data key destroyed, ciphertexts and hashes cleared / decrypted
abuse_*, minor_*   rows of the user id deleted / the rows
blocked_pi         rows of the user deleted (a deletion lifts a block) / the blocked kinds and values
pi_requests        the subject's other requests: encrypted changes and the pseudonym cleared / count
audit_events       kept: they hold ids, codes and hashes only, no personal data / count of events naming the user
exports            0: training-data exports read the opt-out and erasure state at export time, so nothing
                   already exported is kept by hegui
=================  =========================================================================================

Further stores (e.g. remediation cases) join through ``stores=`` (:class:`SubjectStore`).

Correct/supplement: the display name is updated at once; real name, ID number and phone are identity fields that
must be re-verified (:meth:`UserService.verify_identity`, :meth:`UserService.send_otp`), which the receipt says.

Block: the subject's name, ID number and phone (as verified) are put in ``blocked_pi``, encrypted under the
user's data key with a keyed hash (``HMAC-SHA256(K, kind || 0x00 || value)``, ``K = HMAC-SHA256(secret_key,
"hegui blocked pi v1")``). :meth:`PrivacyService.blocked_terms` returns the plaintexts for the gateway, which keeps
them in memory only and stops an answer that contains one; :meth:`PrivacyService.is_blocked_value` answers a
single lookup by hash.

Every request has ``due_at = created_at + deadline_days`` (calendar days); :meth:`PrivacyService.overdue` lists
open requests from the deadline instant on.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, delete, func, or_, select, update
from sqlalchemy.orm import Session

from hegui.core.errors import HeguiError
from hegui.services.complaints import (
    complaint_hash,
    complaint_lookup_key,
    erase_ticket_rows,
    normalise_contact,
    reporter_value,
)
from hegui.services.crypto import CryptoError, KeyRing
from hegui.services.identity import UserService, normalise_mobile
from hegui.services.records import pseudonymise
from hegui.store import AuditEvent, ContentLog, read_only
from hegui.store.complaint_models import BlockedPi, ComplaintTicket
from hegui.store.complaint_models import PiRequest as PiRequestRow
from hegui.store.conduct_models import (
    AbuseAppeal,
    AbuseSanction,
    AbuseViolation,
    MinorGuardianSetting,
    MinorUsage,
)
from hegui.store.identity_models import EndUser, OtpChallenge

__all__ = [
    "BLOCK_KINDS",
    "REQUEST_KINDS",
    "IdentityProof",
    "PiRequest",
    "PrivacyError",
    "PrivacyRules",
    "PrivacyService",
    "Receipt",
    "ReceiptEntry",
    "Subject",
    "SubjectStore",
]

RequestKind = Literal["access", "correct", "supplement", "delete", "block"]
REQUEST_KINDS: tuple[str, ...] = ("access", "correct", "supplement", "delete", "block")
BLOCK_KINDS: tuple[str, ...] = ("name", "id_number", "phone")
CHANGE_FIELDS: tuple[str, ...] = ("display_name", "name", "id_number", "phone")
EventSink = Callable[[str, dict[str, Any]], None]
BLOCK_INFO = b"hegui blocked pi v1"
_KIND_TEXT = {
    "access": ("access/copy", "查阅、复制"),
    "correct": ("correction", "更正"),
    "supplement": ("supplement", "补充"),
    "delete": ("deletion", "删除"),
    "block": ("blocking", "屏蔽"),
}
_CONDUCT: tuple[tuple[str, Any], ...] = (
    ("abuse_violations", AbuseViolation), ("abuse_sanctions", AbuseSanction), ("abuse_appeals", AbuseAppeal),
    ("minor_usage", MinorUsage), ("minor_guardian_settings", MinorGuardianSetting),
)


class PrivacyError(HeguiError):
    """A personal-information request that cannot be done; ``code``: ``identity_mismatch``, ``invalid``,
    ``unknown_request``."""

    exit_code = 2

    def __init__(self, code: str, en: str, zh: str) -> None:
        self.code = code
        super().__init__(en, zh)


class PrivacyRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    deadline_days: int = Field(default=15, ge=1, le=365)  # calendar days from receipt to completion
    otp_max_age_s: int = Field(default=900, ge=60, le=86400)  # how fresh a verified SMS code must be


@dataclass(frozen=True)
class IdentityProof:
    """Who is asking: the verified real name and ID number, or a verified SMS challenge id (bound phone)."""

    name: str | None = field(default=None, repr=False)
    id_number: str | None = field(default=None, repr=False)
    otp_challenge_id: str | None = None

    @property
    def method(self) -> str:
        return "otp" if self.otp_challenge_id else "id"


@dataclass(frozen=True)
class Subject:
    """The data subject a request is about (what a :class:`SubjectStore` gets)."""

    user_id: str
    account_id: str
    end_user_hash: str | None


class SubjectStore(Protocol):
    """Another store holding data of end users (registered with ``stores=``)."""

    name: str

    def access(self, subject: Subject) -> builtins.list[dict[str, Any]]: ...

    def delete(self, subject: Subject) -> tuple[int, int]:
        """``(found, deleted)``."""
        ...


@dataclass(frozen=True)
class PiRequest:
    id: str
    kind: str
    status: str  # open | completed
    account_id: str
    user_id: str
    proof_method: str
    created_at: datetime
    due_at: datetime
    completed_at: datetime | None
    overdue: bool


@dataclass(frozen=True)
class ReceiptEntry:
    store: str
    found: int
    action: str  # deleted | crypto_erased | exported | updated | blocked | kept | none | needs_reverification
    count: int
    note_en: str = ""
    note_zh: str = ""

    def as_tuple(self) -> tuple[str, int, str, int]:
        return (self.store, self.found, self.action, self.count)


@dataclass(frozen=True)
class Receipt:
    """What a request found and did in each store. ``export`` (access only) is the subject's data."""

    request_id: str
    kind: str
    entries: tuple[ReceiptEntry, ...]
    summary_en: str
    summary_zh: str
    completed_at: datetime
    export: dict[str, Any] | None = field(default=None, repr=False)

    def rows(self) -> builtins.list[tuple[str, int, str, int]]:
        return [e.as_tuple() for e in self.entries]

    def entry(self, store: str) -> ReceiptEntry:
        for e in self.entries:
            if e.store == store:
                return e
        raise KeyError(store)

    def to_dict(self, *, with_export: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "request_id": self.request_id, "kind": self.kind, "completed_at": self.completed_at.isoformat(),
            "summary_en": self.summary_en, "summary_zh": self.summary_zh,
            "entries": [
                {"store": e.store, "found": e.found, "action": e.action, "count": e.count, "note_en": e.note_en,
                 "note_zh": e.note_zh} for e in self.entries
            ],
        }
        if with_export and self.export is not None:
            out["export"] = self.export
        return out


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _jsonable(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    return v


def _refused() -> PrivacyError:
    return PrivacyError(
        "identity_mismatch",
        "we could not confirm that you are this user: enter your name and ID number exactly as verified, or verify "
        "with a new SMS code sent to the phone bound to the account, then ask again",
        "无法确认您是该用户本人：请按实名核验时的信息填写姓名和身份证号码，或使用发送到账号绑定手机的新验证码进行验证后再提交",
    )


def _normalise_block(kind: str, value: str) -> str:
    v = value.strip()
    if kind == "id_number":
        return v.upper()
    if kind == "phone":
        return normalise_mobile(v) or v
    return " ".join(v.split())


class PrivacyService:
    """Personal-information requests. Thread-safe; ``clock()`` gives the current time (aware)."""

    def __init__(
        self, engine: Engine, users: UserService, keyring: KeyRing, secret_key: bytes, *,
        rules: PrivacyRules | None = None, clock: Callable[[], datetime] | None = None,
        on_event: EventSink | None = None, stores: Sequence[SubjectStore] = (),
        before_read: Callable[[], None] | None = None,
    ) -> None:
        if len(secret_key) < 16:
            raise ValueError("the secret key must be at least 16 bytes")
        self._engine = engine
        # called before a request is carried out: exchange records still on their way land first
        self._before_read = before_read or (lambda: None)
        self._read = read_only(engine)
        self.users = users
        self.keyring = keyring
        self._secret = secret_key
        self.rules = rules if rules is not None else PrivacyRules()
        self._clock = clock or _utcnow
        self._on_event = on_event
        self._stores = tuple(stores)
        self._complaint_key = complaint_lookup_key(secret_key)
        self._block_key = hmac.new(secret_key, BLOCK_INFO, hashlib.sha256).digest()

    # helpers --------------------------------------------------------------------------------------------------
    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("the clock must return timezone-aware datetimes")
        return now

    def _emit(self, kind: str, payload: dict[str, Any]) -> None:
        if self._on_event is not None:
            self._on_event(kind, payload)

    def block_hash(self, kind: str, value: str) -> str:
        return hmac.new(self._block_key, kind.encode() + b"\x00" + _normalise_block(kind, value).encode("utf-8"),
                        hashlib.sha256).hexdigest()

    def _info(self, r: PiRequestRow, now: datetime) -> PiRequest:
        return PiRequest(
            id=r.id, kind=r.kind, status=r.status, account_id=r.account_id, user_id=r.user_id,
            proof_method=r.proof_method, created_at=r.created_at, due_at=r.due_at, completed_at=r.completed_at,
            overdue=r.status == "open" and now >= r.due_at,
        )

    # opening a request ----------------------------------------------------------------------------------------
    def open(
        self, kind: RequestKind | str, *, account_id: str, external_id: str, proof: IdentityProof,
        changes: Mapping[str, str] | None = None, actor: str | None = None,
    ) -> PiRequest:
        """Record a request after checking the requester's identity. ``changes`` (correct/supplement only): the
        new values, keys among ``display_name``, ``name``, ``id_number``, ``phone``. ``actor``: the staff member
        who recorded it on the person's behalf (console username), kept in the audit events."""
        by = {"actor": actor[:200]} if actor else {}
        if kind not in REQUEST_KINDS:
            raise PrivacyError("invalid", f"kind must be one of {', '.join(REQUEST_KINDS)}, not {kind!r}",
                               f"请求类型须为 {', '.join(REQUEST_KINDS)} 之一，不能为 {kind!r}")
        clean: dict[str, str] = {}
        if kind in ("correct", "supplement"):
            if not changes:
                raise PrivacyError("invalid", "say what to correct or add (changes={field: new value})",
                                   "请说明需要更正或补充的内容（changes={字段: 新值}）")
            for k, v in changes.items():
                if k not in CHANGE_FIELDS:
                    raise PrivacyError("invalid", f"{k!r} cannot be changed: use one of {', '.join(CHANGE_FIELDS)}",
                                       f"字段 {k!r} 不可更改：可用字段为 {', '.join(CHANGE_FIELDS)}")
                v = (v or "").strip()
                if not v or len(v) > 200:
                    raise PrivacyError("invalid", f"the new {k} must be 1-200 characters",
                                       f"新的 {k} 须为 1-200 个字符")
                clean[k] = v
        elif changes:
            raise PrivacyError("invalid", f"a {kind} request takes no changes", f"{kind} 请求不接受 changes")
        if not proof.otp_challenge_id and not (proof.name and proof.id_number):
            raise PrivacyError("invalid", "give your name and ID number, or a verified SMS challenge id",
                               "请提供姓名和身份证号码，或已验证的短信验证码编号")
        now = self._now()
        user = self.users.find_user(account_id, external_id)
        ok = user is not None and user.status == "active" and self._proof_ok(user.id, proof, now)
        if not ok or user is None:
            self._emit("privacy.refused", {
                "account_id": account_id, "kind": kind, "proof_method": proof.method, "reason": "identity_mismatch",
                "ts": now.isoformat(), **by,
            })
            raise _refused()
        req_id = uuid.uuid4().hex
        row = PiRequestRow(
            id=req_id, kind=kind, status="open", account_id=account_id, user_id=user.id,
            end_user_hash=pseudonymise(self._secret, external_id), proof_method=proof.method,
            proof_ref=proof.otp_challenge_id, created_at=now, due_at=now + timedelta(days=self.rules.deadline_days),
            changes_enc=self.keyring.encrypt(user.id, "pi_changes", json.dumps(clean)) if clean else None,
        )
        with Session(self._engine, expire_on_commit=False) as s, s.begin():
            if proof.otp_challenge_id is not None and s.execute(
                select(PiRequestRow.id).where(PiRequestRow.proof_ref == proof.otp_challenge_id)
            ).first() is not None:
                used = True
            else:
                used = False
                s.add(row)
        if used:
            self._emit("privacy.refused", {"account_id": account_id, "kind": kind, "proof_method": "otp",
                                           "reason": "proof_reused", "ts": now.isoformat(), **by})
            raise _refused()
        self._emit("privacy.opened", {
            "request_id": req_id, "kind": kind, "account_id": account_id, "user_id": user.id,
            "proof_method": proof.method, "fields": sorted(clean), "due_at": row.due_at.isoformat(),
            "ts": now.isoformat(), **by,
        })
        return self._info(row, now)

    def _proof_ok(self, user_id: str, proof: IdentityProof, now: datetime) -> bool:
        with Session(self._read) as s:
            u = s.get(EndUser, user_id)
            if u is None or u.status != "active":
                return False
            if proof.otp_challenge_id:
                c = s.get(OtpChallenge, proof.otp_challenge_id)
                return (
                    c is not None and c.user_id == user_id and c.status == "verified" and c.finished_at is not None
                    and now - c.finished_at <= timedelta(seconds=self.rules.otp_max_age_s)
                    and u.phone_hmac is not None and hmac.compare_digest(c.phone_hmac, u.phone_hmac)
                )
            id_hmac, name_blob = u.id_number_hmac, u.name_enc
        if id_hmac is None or name_blob is None or proof.name is None or proof.id_number is None:
            return False
        given = self.users.lookup_hash("id_number", proof.id_number.strip().upper())
        if not hmac.compare_digest(given, id_hmac):
            return False
        try:
            name = self.keyring.decrypt(user_id, "name", name_blob)
        except CryptoError:
            return False
        return hmac.compare_digest(name.encode("utf-8"), " ".join(proof.name.split()).encode("utf-8"))

    # reading --------------------------------------------------------------------------------------------------
    def get(self, request_id: str) -> PiRequest | None:
        with Session(self._read) as s:
            r = s.get(PiRequestRow, request_id)
            return self._info(r, self._now()) if r is not None else None

    def list(self, status: str | None = None) -> builtins.list[PiRequest]:
        q = select(PiRequestRow)
        if status is not None:
            q = q.where(PiRequestRow.status == status)
        now = self._now()
        with Session(self._read) as s:
            return [self._info(r, now) for r in s.execute(q.order_by(PiRequestRow.created_at)).scalars()]

    def overdue(self, now: datetime | None = None) -> builtins.list[PiRequest]:
        """Open requests at or past their deadline."""
        now = self._now() if now is None else now
        with Session(self._read) as s:
            rows = s.execute(select(PiRequestRow).where(PiRequestRow.status == "open", PiRequestRow.due_at <= now)
                             .order_by(PiRequestRow.due_at)).scalars()
            return [self._info(r, now) for r in rows]

    def receipt(self, request_id: str) -> Receipt | None:
        """The stored receipt of a completed request (without the access export)."""
        with Session(self._read) as s:
            r = s.get(PiRequestRow, request_id)
            if r is None or r.receipt is None:
                return None
            d = json.loads(r.receipt)
        return Receipt(
            request_id=d["request_id"], kind=d["kind"], summary_en=d["summary_en"], summary_zh=d["summary_zh"],
            completed_at=datetime.fromisoformat(d["completed_at"]),
            entries=tuple(ReceiptEntry(e["store"], e["found"], e["action"], e["count"], e["note_en"], e["note_zh"])
                          for e in d["entries"]),
        )

    # blocked identifiers --------------------------------------------------------------------------------------
    def blocked_terms(self) -> builtins.list[str]:
        """Every blocked identifier in plaintext, for the gateway's in-memory output matcher (never log it)."""
        with Session(self._read) as s:
            rows = [(r.user_id, r.kind, r.value_enc) for r in s.execute(select(BlockedPi)).scalars()]
        out: set[str] = set()
        for user_id, kind, blob in rows:
            try:
                out.add(self.keyring.decrypt(user_id, f"blocked_{kind}", blob))
            except CryptoError:
                continue
        return sorted(out)

    def is_blocked_value(self, kind: str, value: str) -> bool:
        """Whether ``value`` (``kind``: name, id_number, phone) is blocked (keyed-hash lookup)."""
        if kind not in BLOCK_KINDS or not value or not value.strip():
            return False
        h = self.block_hash(kind, value)
        with Session(self._read) as s:
            return s.execute(select(BlockedPi.id).where(BlockedPi.kind == kind, BlockedPi.value_hmac == h)
                             .limit(1)).first() is not None

    # execution ------------------------------------------------------------------------------------------------
    def execute(self, request_id: str, *, actor: str | None = None) -> Receipt:
        """Carry out an open request and return its receipt (a completed request returns its stored receipt).
        ``actor``: the staff member who carried it out (console username), kept in the audit event."""
        self._before_read()
        with Session(self._read) as s:
            r = s.get(PiRequestRow, request_id)
            if r is None:
                raise PrivacyError("unknown_request", f"no personal-information request {request_id!r}: check the id",
                                   f"个人信息请求 {request_id!r} 不存在：请核对编号")
            status, kind = r.status, r.kind
            subject = Subject(r.user_id, r.account_id, r.end_user_hash)
            changes_blob = r.changes_enc
        if status == "completed":
            stored = self.receipt(request_id)
            assert stored is not None
            return stored
        export: dict[str, Any] | None = None
        if kind == "delete":
            entries = self._delete(subject, request_id)
        elif kind == "access":
            entries, export = self._access(subject)
        elif kind == "block":
            entries = self._block(subject, request_id)
        else:
            entries = self._correct(subject, changes_blob)
        now = self._now()
        k_en, k_zh = _KIND_TEXT[kind]
        acted = sum(e.count for e in entries)
        receipt = Receipt(
            request_id=request_id, kind=kind, entries=tuple(entries), completed_at=now, export=export,
            summary_en=(f"Your {k_en} request {request_id} was completed on {now.date().isoformat()}: "
                        f"{len(entries)} stores checked, {acted} records acted on. Audit records are kept; they "
                        "hold no personal data."),
            summary_zh=(f"您的{k_zh}请求 {request_id} 已于 {now.date().isoformat()} 完成：共检查 {len(entries)} "
                        f"个存储，处理 {acted} 条记录。审计记录予以保留，其中不含个人信息。"),
        )
        with Session(self._engine) as s, s.begin():
            row = s.get(PiRequestRow, request_id, with_for_update=True)
            assert row is not None
            row.status, row.completed_at = "completed", now
            row.receipt = json.dumps(receipt.to_dict(with_export=False), ensure_ascii=False)
            row.changes_enc = None
            if kind == "delete":
                row.end_user_hash = None
        self._emit("privacy.completed", {
            "request_id": request_id, "kind": kind, "user_id": subject.user_id, "account_id": subject.account_id,
            "stores": {e.store: {"found": e.found, "action": e.action, "count": e.count} for e in entries},
            "ts": now.isoformat(), **({"actor": actor[:200]} if actor else {}),
        })
        return receipt

    def _ticket_ids(self, s: Session, subject: Subject, phone: str | None) -> builtins.list[str]:
        conds = []
        ext = self._external_id(s, subject)
        if ext is not None:
            rep = complaint_hash(self._complaint_key, "reporter", reporter_value(subject.account_id, ext))
            conds.append(ComplaintTicket.reporter_hmac == rep)
        if phone:
            conds.append(ComplaintTicket.contact_hmac == complaint_hash(self._complaint_key, "contact",
                                                                        normalise_contact(phone)))
        if not conds:
            return []
        return [i for (i,) in s.execute(select(ComplaintTicket.id).where(or_(*conds)).order_by(ComplaintTicket.id))]

    @staticmethod
    def _external_id(s: Session, subject: Subject) -> str | None:
        u = s.get(EndUser, subject.user_id)
        if u is None or u.external_id.startswith("deleted:"):
            return None
        return u.external_id

    def _personal(self, user_id: str) -> dict[str, Any]:
        try:
            p = self.users.export_personal_data(user_id)
        except HeguiError:
            return {}
        return {"display_name": p.display_name, "name": p.name, "id_number": p.id_number, "phone": p.phone,
                "birth_date": p.birth_date}

    def _content_q(self, subject: Subject) -> Any:
        return ContentLog.account_id == subject.account_id, ContentLog.end_user_hash == subject.end_user_hash

    def _audit_count(self, s: Session, user_id: str) -> int:
        return int(s.execute(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.payload.contains(user_id))).scalar_one())

    def _delete(self, subject: Subject, request_id: str) -> builtins.list[ReceiptEntry]:
        uid = subject.user_id
        personal = self._personal(uid)
        now = self._now()
        entries: builtins.list[ReceiptEntry] = []
        with Session(self._read) as s:
            tickets = self._ticket_ids(s, subject, personal.get("phone"))
            n_content = 0
            if subject.end_user_hash is not None:
                n_content = int(s.execute(select(func.count()).select_from(ContentLog)
                                          .where(*self._content_q(subject))).scalar_one())
            n_otp = int(s.execute(select(func.count()).select_from(OtpChallenge)
                                  .where(OtpChallenge.user_id == uid)).scalar_one())
            conduct_found = {name: int(s.execute(select(func.count()).select_from(model)
                                                 .where(model.user_id == uid)).scalar_one())
                             for name, model in _CONDUCT}
            n_blocked = int(s.execute(select(func.count()).select_from(BlockedPi)
                                      .where(BlockedPi.user_id == uid)).scalar_one())
            n_requests = int(s.execute(select(func.count()).select_from(PiRequestRow)
                                       .where(PiRequestRow.user_id == uid, PiRequestRow.id != request_id))
                             .scalar_one())
            n_audit = self._audit_count(s, uid)
        for tid in tickets:  # data keys first, each in its own transaction
            self.keyring.erase(tid)
        sqlite = self._engine.dialect.name == "sqlite"
        with Session(self._engine) as s, s.begin():
            if sqlite:
                s.connection().exec_driver_sql("PRAGMA secure_delete=ON")
            erased_tickets = erase_ticket_rows(s, tickets, now)
            deleted_content = 0
            if subject.end_user_hash is not None:
                res = s.execute(delete(ContentLog).where(*self._content_q(subject))
                                .execution_options(synchronize_session=False))
                deleted_content = int(getattr(res, "rowcount", 0) or 0)
            conduct_deleted = {}
            for name, model in _CONDUCT:
                res = s.execute(delete(model).where(model.user_id == uid).execution_options(synchronize_session=False))
                conduct_deleted[name] = int(getattr(res, "rowcount", 0) or 0)
            res = s.execute(delete(BlockedPi).where(BlockedPi.user_id == uid)
                            .execution_options(synchronize_session=False))
            deleted_blocked = int(getattr(res, "rowcount", 0) or 0)
            s.execute(update(PiRequestRow).where(PiRequestRow.user_id == uid)
                      .values(changes_enc=None, end_user_hash=None).execution_options(synchronize_session=False))
        self.users.delete_subject(uid)  # destroys the data key first, then blanks the row
        if sqlite:
            self._sqlite_checkpoint()
        found_user = 1
        entries.append(ReceiptEntry(
            "end_users", found_user, "crypto_erased", 1,
            "data key destroyed; name, ID number, phone, display name, birth date and lookup hashes cleared; the "
            "external id released",
            "数据密钥已销毁；姓名、身份证号码、手机号、昵称、出生日期及查询哈希已清除；外部 ID 已释放"))
        entries.append(ReceiptEntry("otp_challenges", n_otp, "crypto_erased", n_otp,
                                    "phone ciphertexts and code hashes cleared", "手机号密文及验证码哈希已清除"))
        entries.append(ReceiptEntry("content_log", n_content, "deleted", deleted_content,
                                    "prompts and answers of this user deleted", "该用户的输入与生成内容记录已删除"))
        entries.append(ReceiptEntry("complaints", len(tickets), "crypto_erased", erased_tickets,
                                    "description, contact and notes of the user's tickets erased; the handling "
                                    "record stays", "该用户所提工单的描述、联系方式和备注已清除；处理记录保留"))
        for name, _ in _CONDUCT:
            entries.append(ReceiptEntry(name, conduct_found[name], "deleted", conduct_deleted[name]))
        entries.append(ReceiptEntry("blocked_pi", n_blocked, "deleted", deleted_blocked,
                                    "a deletion also lifts a block", "删除同时解除屏蔽"))
        entries.append(ReceiptEntry("pi_requests", n_requests, "crypto_erased", n_requests,
                                    "earlier requests keep ids and dates only", "以往请求仅保留编号与日期"))
        entries.extend(self._extra(subject, delete_=True))
        entries.append(ReceiptEntry("audit_events", n_audit, "kept", 0,
                                    "audit events hold ids, codes and hashes only, no personal data",
                                    "审计事件仅含编号、代码和哈希值，不含个人信息"))
        entries.append(self._exports_entry())
        return entries

    def _sqlite_checkpoint(self) -> None:
        """Best effort: copy the WAL into the database file and truncate it, so that deleted rows (zeroed by
        ``secure_delete``) leave no old copy in the WAL. Needs no open transaction (raw DBAPI connection)."""
        raw = self._engine.raw_connection()
        try:
            cur = raw.cursor()
            try:
                cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                cur.close()
        except Exception:
            pass  # a busy reader only delays the checkpoint: SQLite checkpoints later by itself
        finally:
            raw.close()

    def _exports_entry(self) -> ReceiptEntry:
        return ReceiptEntry("exports", 0, "none", 0,
                            "hegui keeps no copies of training-data exports; every export reads the training opt-out "
                            "and erasure state at export time, so later exports leave this user out",
                            "hegui 不保存训练数据导出副本；每次导出时读取用户的退出与删除状态，此后的导出不再包含该用户")

    def _extra(self, subject: Subject, *, delete_: bool) -> builtins.list[ReceiptEntry]:
        out = []
        for st in self._stores:
            if delete_:
                found, n = st.delete(subject)
                out.append(ReceiptEntry(st.name, found, "deleted", n))
            else:
                items = st.access(subject)
                out.append(ReceiptEntry(st.name, len(items), "exported", len(items)))
        return out

    def _access(self, subject: Subject) -> tuple[builtins.list[ReceiptEntry], dict[str, Any]]:
        uid = subject.user_id
        personal = self._personal(uid)
        export: dict[str, Any] = {}
        with Session(self._read) as s:
            u = s.get(EndUser, uid)
            profile = dict(personal)
            if u is not None:
                profile.update(user_id=u.id, account_id=u.account_id, external_id=u.external_id, status=u.status,
                               verified_at=u.verified_at, training_opt_out=u.training_opt_out,
                               created_at=u.created_at)
            export["end_users"] = {k: _jsonable(v) for k, v in profile.items()}
            content: builtins.list[dict[str, Any]] = []
            if subject.end_user_hash is not None:
                for c in s.execute(select(ContentLog).where(*self._content_q(subject)).order_by(ContentLog.ts)).scalars():
                    content.append({"request_id": c.request_id, "ts": c.ts.isoformat(), "endpoint": c.endpoint,
                                    "model": c.model, "outcome": c.outcome, "input_text": c.input_text,
                                    "output_text": c.output_text})
            export["content_log"] = content
            tickets = []
            for tid in self._ticket_ids(s, subject, personal.get("phone")):
                t = s.get(ComplaintTicket, tid)
                assert t is not None
                tickets.append({
                    "number": t.number, "kind": t.kind, "status": t.status, "category": t.category,
                    "created_at": t.created_at.isoformat(), "request_id": t.request_id,
                    "description": self._dec(tid, "description", t.description_enc),
                    "contact": self._dec(tid, "contact", t.contact_enc),
                    "decision_en": t.decision_en, "decision_zh": t.decision_zh,
                })
            export["complaints"] = tickets
            for name, model in _CONDUCT:
                rows = s.execute(select(model).where(model.user_id == uid)).scalars()
                export[name] = [
                    {col.key: _jsonable(getattr(r, col.key)) for col in model.__table__.columns}
                    for r in rows
                ]
            blocked = [(b.kind, b.value_enc) for b in s.execute(select(BlockedPi).where(BlockedPi.user_id == uid))
                       .scalars()]
            n_otp = int(s.execute(select(func.count()).select_from(OtpChallenge)
                                  .where(OtpChallenge.user_id == uid)).scalar_one())
            n_audit = self._audit_count(s, uid)
        export["blocked_pi"] = [{"kind": k, "value": self._dec(uid, f"blocked_{k}", b)} for k, b in blocked]
        for st in self._stores:
            export[st.name] = st.access(subject)
        entries = [ReceiptEntry("end_users", 1 if u is not None else 0, "exported", 1 if u is not None else 0,
                                "decrypted copy of the profile and verified identity", "个人资料与实名信息的解密副本"),
                   ReceiptEntry("otp_challenges", n_otp, "none", 0, "only code hashes: nothing to show",
                                "仅存验证码哈希，无可提供内容"),
                   ReceiptEntry("content_log", len(content), "exported", len(content),
                                "prompts and answers as logged (personal information already masked)",
                                "留存的输入与生成内容（个人信息已脱敏）"),
                   ReceiptEntry("complaints", len(tickets), "exported", len(tickets))]
        for name, _ in _CONDUCT:
            entries.append(ReceiptEntry(name, len(export[name]), "exported", len(export[name])))
        entries.append(ReceiptEntry("blocked_pi", len(blocked), "exported", len(blocked)))
        entries.extend(ReceiptEntry(st.name, len(export[st.name]), "exported", len(export[st.name]))
                       for st in self._stores)
        entries.append(ReceiptEntry("audit_events", n_audit, "kept", 0,
                                    "audit events hold ids, codes and hashes only, no personal data",
                                    "审计事件仅含编号、代码和哈希值，不含个人信息"))
        entries.append(self._exports_entry())
        return entries, export

    def _dec(self, subject_id: str, field_name: str, blob: bytes | None) -> str | None:
        if blob is None:
            return None
        try:
            return self.keyring.decrypt(subject_id, field_name, blob)
        except CryptoError:
            return None

    def _block(self, subject: Subject, request_id: str) -> builtins.list[ReceiptEntry]:
        uid = subject.user_id
        personal = self._personal(uid)
        values = [(k, str(personal[k])) for k in BLOCK_KINDS if personal.get(k)]
        now = self._now()
        prepared = [(k, self.block_hash(k, v), self.keyring.encrypt(uid, f"blocked_{k}", _normalise_block(k, v)))
                    for k, v in values]
        added = 0
        with Session(self._engine) as s, s.begin():
            for k, h, blob in prepared:
                if s.execute(select(BlockedPi.id).where(BlockedPi.user_id == uid, BlockedPi.kind == k,
                                                        BlockedPi.value_hmac == h)).first() is not None:
                    continue
                s.add(BlockedPi(user_id=uid, account_id=subject.account_id, kind=k, value_enc=blob, value_hmac=h,
                                request_id=request_id, created_at=now))
                added += 1
        if values:
            note_en = ("blocked: " + ", ".join(k for k, _ in values) + "; the gateway stops answers that contain them")
            note_zh = "已屏蔽：" + "、".join(k for k, _ in values) + "；网关将拦截包含这些信息的回答"
        else:
            note_en = "no verified name, ID number or phone on record: verify your identity first, then ask again"
            note_zh = "无已核验的姓名、身份证号码或手机号：请先完成实名核验后再提交"
        return [ReceiptEntry("blocked_pi", len(values), "blocked", added, note_en, note_zh)]

    def _correct(self, subject: Subject, changes_blob: bytes | None) -> builtins.list[ReceiptEntry]:
        uid = subject.user_id
        changes: dict[str, str] = {}
        if changes_blob is not None:
            text_ = self._dec(uid, "pi_changes", changes_blob)
            changes = json.loads(text_) if text_ else {}
        entries: builtins.list[ReceiptEntry] = []
        now = self._now()
        if "display_name" in changes:
            blob = self.keyring.encrypt(uid, "display_name", changes["display_name"])
            with Session(self._engine) as s, s.begin():
                u = s.get(EndUser, uid, with_for_update=True)
                ok = u is not None and u.status == "active"
                if u is not None and ok:
                    u.display_name_enc, u.updated_at = blob, now
            entries.append(ReceiptEntry("end_users.display_name", 1, "updated" if ok else "none", 1 if ok else 0))
        for k in ("name", "id_number", "phone"):
            if k in changes:
                entries.append(ReceiptEntry(
                    f"end_users.{k}", 1, "needs_reverification", 0,
                    "identity fields change only through a new real-name verification (name, ID number) or an SMS "
                    "code to the new phone: do that in the app",
                    "实名信息须通过重新实名核验（姓名、身份证号码）或向新手机号发送验证码进行更改：请在应用内完成"))
        return entries

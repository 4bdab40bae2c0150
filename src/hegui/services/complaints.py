"""Complaints and reports about generated content: intake, workflow, SLA timers, decisions and appeals
(R-MEA-17, R-SVC-07, R-SVC-09; the intake of personal-information requests for R-MEA-12).

Intake (:meth:`ComplaintService.submit`) takes three kinds of ticket from three channels:

* ``report_output`` - "report this answer", keyed by the response's ``request_id``. The request must exist
  (``exists(request_id)``: True, or the answer's time, then it must be at most ``report_window_days`` old);
  an unknown id is refused (:class:`ComplaintError` ``unknown_request``) and nothing is stored. A second report
  of the same request by the same reporter (same account and reporter) while the first ticket is still open
  returns the first ticket with ``duplicate=True`` and changes nothing.
* ``complaint`` - any other complaint (a ``request_id`` is optional, checked when given).
* ``pi_request`` - a personal-information request received through the complaint channels (staff then verify the
  requester and open it in :class:`hegui.services.privacy.PrivacyService`).

Channels: ``api`` (the provider's app calls the gateway), ``web`` (the public form), ``provider`` (staff enter
what came by phone, e-mail or letter).

Personal data: the description, the contact details and reviewer notes are encrypted with the ticket's own data
key (:class:`~hegui.services.crypto.KeyRing`, subject = the ticket id); deleting that key
(:meth:`ComplaintService.erase_personal_data`, or a deletion request) makes them unreadable. The reporter and the
contact are kept only as keyed hashes (``HMAC-SHA256(K, kind || 0x00 || value)`` with
``K = HMAC-SHA256(secret_key, "hegui complaint lookup v1")``, see :func:`complaint_hash`) to find duplicates and a
data subject's tickets.

Workflow::

    received -> triage -> in_review -> resolved | rejected  (decide, from triage or in_review)
                  ^-----------'          |
    resolved | rejected -> appealed (appeal, by the complainant) -> in_review -> ...

SLA (the published rule, :meth:`ComplaintRules.process_document`): a ticket is acknowledged at once (ticket number
and deadline); a reviewer takes it out of ``received`` within ``ack_hours`` (``triage_due_at``); the decision is
due ``resolve_days`` calendar days after receipt (``due_at``; an appeal restarts it from the appeal). A ticket is
overdue from the deadline instant itself (``now >= due_at``) while it is open.

Every change calls ``on_event(kind, payload)`` after it is committed, with ids, states, actors and times only -
never a description, a contact, a note or a reason.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hegui.core.errors import ConfigError, HeguiError
from hegui.services.crypto import CryptoError, KeyRing
from hegui.services.identity import normalise_mobile
from hegui.store import read_only
from hegui.store.complaint_models import ComplaintLog, ComplaintTicket

__all__ = [
    "CATEGORIES",
    "CHANNELS",
    "KINDS",
    "OPEN_STATES",
    "STATES",
    "ComplaintError",
    "ComplaintRules",
    "ComplaintService",
    "LogEntry",
    "ProcessDocument",
    "PublicStatus",
    "Ticket",
    "TicketDetail",
    "complaint_hash",
    "complaint_lookup_key",
    "erase_ticket_rows",
    "normalise_contact",
]

Kind = Literal["report_output", "complaint", "pi_request"]
Channel = Literal["api", "web", "provider"]
Outcome = Literal["resolved", "rejected"]
EventSink = Callable[[str, dict[str, Any]], None]

KINDS: tuple[str, ...] = ("report_output", "complaint", "pi_request")
CHANNELS: tuple[str, ...] = ("api", "web", "provider")
STATES: tuple[str, ...] = ("received", "triage", "in_review", "resolved", "rejected", "appealed")
OPEN_STATES: tuple[str, ...] = ("received", "triage", "in_review", "appealed")
_EDGES: dict[str, frozenset[str]] = {
    "received": frozenset({"triage"}),
    "triage": frozenset({"in_review"}),
    "in_review": frozenset({"triage"}),
    "resolved": frozenset(),
    "rejected": frozenset(),
    "appealed": frozenset({"in_review"}),
}
_STATE_TEXT: dict[str, tuple[str, str]] = {
    "received": ("received", "已受理"),
    "triage": ("being triaged", "分拣中"),
    "in_review": ("under review", "审核中"),
    "resolved": ("resolved", "已处理"),
    "rejected": ("rejected", "不予支持"),
    "appealed": ("appealed, awaiting review", "已申诉，待复核"),
}
CATEGORIES: dict[str, tuple[str, str]] = {
    "illegal": ("illegal content", "违法内容"),
    "harmful": ("harmful content (violence, pornography, etc.)", "有害信息（暴力、色情等）"),
    "discrimination": ("discrimination", "歧视性内容"),
    "false_info": ("false or misleading information", "虚假或误导性信息"),
    "rights": ("infringement of likeness, reputation, honour or privacy", "侵害肖像权、名誉权、荣誉权或隐私权"),
    "personal_info": ("personal information", "个人信息"),
    "ip": ("intellectual property", "知识产权"),
    "minors": ("protection of minors", "未成年人保护"),
    "service": ("service quality", "服务质量"),
    "other": ("other", "其他"),
}
_KIND_TEXT = {
    "report_output": ("report of a generated answer", "对生成内容的举报"),
    "complaint": ("complaint", "投诉"),
    "pi_request": ("personal-information request", "个人信息权利请求"),
}
LOOKUP_INFO = b"hegui complaint lookup v1"
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
_MAX_ACTOR = 200
_MAX_TEXT = 4000


class ComplaintError(HeguiError):
    """A complaint operation that cannot be done as asked; ``code`` names the reason (``unknown_request``,
    ``report_window_passed``, ``invalid``, ``unknown_ticket``, ``illegal_transition``, ``appeal_not_allowed``)."""

    exit_code = 2

    def __init__(self, code: str, en: str, zh: str) -> None:
        self.code = code
        super().__init__(en, zh)


# rules --------------------------------------------------------------------------------------------------------
class ComplaintRules(BaseModel):
    """The published handling process and its time limits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(default="1", min_length=1, max_length=32)
    ack_hours: int = Field(default=24, ge=1, le=720)  # a reviewer triages the ticket within this time
    resolve_days: int = Field(default=15, ge=1, le=365)  # calendar days from receipt (or appeal) to a decision
    report_window_days: int = Field(default=180, ge=1, le=3650)  # how long after an answer it can be reported
    appeal_days: int = Field(default=15, ge=1, le=365)  # how long after a decision it can be appealed
    max_appeals: int = Field(default=1, ge=0, le=10)
    max_description: int = Field(default=2000, ge=10, le=20000)  # characters
    max_contact: int = Field(default=200, ge=10, le=1000)
    categories: tuple[str, ...] = tuple(CATEGORIES)
    channels_en: tuple[str, ...] = ()  # published entry points besides the in-product one, e.g. "e-mail: ..."
    channels_zh: tuple[str, ...] = ()
    timezone: str = "Asia/Shanghai"  # for ticket numbers and the times shown

    @field_validator("categories")
    @classmethod
    def _categories(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v:
            raise ValueError("at least one category is needed")
        for c in v:
            if not c or len(c) > 64 or not all(ch.isalnum() or ch in "_-." for ch in c):
                raise ValueError(f"bad category {c!r}: 1-64 letters, digits, '_', '-', '.'")
        return tuple(dict.fromkeys(v))

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}") from None
        return v

    def process_document(self) -> ProcessDocument:
        """The handling process to publish (R-MEA-17): data plus zh and en Markdown."""
        cats = [{"code": c, "en": CATEGORIES.get(c, (c, c))[0], "zh": CATEGORIES.get(c, (c, c))[1]}
                for c in self.categories]
        data: dict[str, Any] = {
            "version": self.version, "ack_hours": self.ack_hours, "resolve_days": self.resolve_days,
            "resolve_days_rule": "calendar days", "report_window_days": self.report_window_days,
            "appeal_days": self.appeal_days, "max_appeals": self.max_appeals, "categories": cats,
            "channels_en": list(self.channels_en), "channels_zh": list(self.channels_zh),
            "states": list(STATES),
        }
        en = [
            "# How we handle reports and complaints",
            "",
            f"Process version {self.version}.",
            "",
            "## Where to report",
            "",
            "- In the app: the \"Report\" button under every generated answer (it sends the answer's request id).",
            "- The public complaint form (web page, Chinese and English).",
            *[f"- {c}" for c in self.channels_en],
            "",
            "## What happens",
            "",
            "1. You receive a ticket number (for example `HG-20250101-7F3K2Q`) and the deadline at once.",
            f"2. A reviewer looks at your ticket within {self.ack_hours} hours.",
            f"3. We decide within {self.resolve_days} calendar days of receipt and tell you the outcome and the "
            "reasons; you can check the status at any time with your ticket number.",
            f"4. You may appeal once within {self.appeal_days} days of the decision" if self.max_appeals == 1 else
            f"4. You may appeal up to {self.max_appeals} times, each within {self.appeal_days} days of the decision",
            f"   (a different reviewer takes a fresh look; the {self.resolve_days}-day limit runs again from the "
            "appeal).",
            "",
            f"A generated answer can be reported for {self.report_window_days} days after it was produced. "
            "Content confirmed as non-compliant is blocked at once and the model is corrected.",
            "",
            "Categories: " + ", ".join(f"{c['en']} (`{c['code']}`)" for c in cats) + ".",
            "",
            "Your contact details and description are used only to handle the ticket, are stored encrypted, and "
            "are erased on request. Personal-information requests (access, copy, correction, supplement, deletion, "
            "blocking) are also accepted here.",
            "",
        ]
        zh = [
            "# 举报与投诉处理规则",
            "",
            f"规则版本 {self.version}。",
            "",
            "## 举报入口",
            "",
            "- 产品内：每条生成内容下方的“举报”按钮（自动附带该条内容的请求编号）。",
            "- 公开的投诉举报网页（中英文）。",
            *[f"- {c}" for c in self.channels_zh],
            "",
            "## 处理流程",
            "",
            "1. 提交后立即获得受理编号（例如 `HG-20250101-7F3K2Q`）及处理时限。",
            f"2. 审核人员在 {self.ack_hours} 小时内开始处理。",
            f"3. 自受理之日起 {self.resolve_days} 个自然日内作出处理决定，并告知处理结果及理由；可随时凭受理编号查询进度。",
            f"4. 对处理结果有异议的，可在决定作出后 {self.appeal_days} 日内申诉"
            + ("一次" if self.max_appeals == 1 else f"，最多 {self.max_appeals} 次")
            + f"（由其他审核人员复核，{self.resolve_days} 日时限自申诉之日起重新计算）。",
            "",
            f"生成内容可在生成后 {self.report_window_days} 日内举报。经确认的违规内容将立即屏蔽，并通过模型优化训练等措施整改。",
            "",
            "举报类别：" + "、".join(f"{c['zh']}（`{c['code']}`）" for c in cats) + "。",
            "",
            "您的联系方式和描述仅用于处理本次投诉，加密存储，并可应您的要求删除。个人信息权利请求（查阅、复制、更正、补充、"
            "删除、屏蔽）亦可通过本渠道提出。",
            "",
        ]
        return ProcessDocument(data=data, markdown_en="\n".join(en), markdown_zh="\n".join(zh))


@dataclass(frozen=True)
class ProcessDocument:
    """The published handling process: ``data`` (JSON-ready) and Markdown in both languages."""

    data: dict[str, Any]
    markdown_en: str
    markdown_zh: str

    def to_dict(self) -> dict[str, Any]:
        return {"process": self.data, "markdown_en": self.markdown_en, "markdown_zh": self.markdown_zh}


# value types --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Ticket:
    """A ticket as staff see it (no personal data: see :meth:`ComplaintService.read`). ``overdue`` is as of the
    service clock when this value was made; ``ack_en``/``ack_zh`` is the acknowledgement sent to the
    complainant."""

    id: str
    number: str
    kind: str
    channel: str
    status: str
    account_id: str | None
    request_id: str | None
    category: str
    assignee: str | None
    created_at: datetime
    updated_at: datetime
    triage_due_at: datetime
    due_at: datetime
    outcome: str | None
    decision_zh: str | None
    decision_en: str | None
    decided_at: datetime | None
    appeals: int
    overdue: bool
    ack_en: str
    ack_zh: str
    duplicate: bool = False
    erased: bool = False

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES


@dataclass(frozen=True)
class PublicStatus:
    """What the complainant sees for a ticket number: status and decision, nothing else."""

    number: str
    kind: str
    status: str
    status_en: str
    status_zh: str
    created_at: datetime
    due_at: datetime
    decision_en: str | None
    decision_zh: str | None
    decided_at: datetime | None
    can_appeal: bool
    appeal_until: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number, "kind": self.kind, "status": self.status, "status_en": self.status_en,
            "status_zh": self.status_zh, "created_at": self.created_at.isoformat(), "due_at": self.due_at.isoformat(),
            "decision_en": self.decision_en, "decision_zh": self.decision_zh,
            "decided_at": _iso(self.decided_at), "can_appeal": self.can_appeal,
            "appeal_until": _iso(self.appeal_until),
        }


@dataclass(frozen=True)
class LogEntry:
    ts: datetime
    actor: str
    action: str  # submit | assign | transition | note | decide | appeal | erase
    from_status: str | None
    to_status: str | None
    text: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class TicketDetail:
    """A ticket with its decrypted description, contact and history (for the assigned reviewer)."""

    ticket: Ticket
    description: str | None = field(repr=False)
    contact: str | None = field(repr=False)
    log: tuple[LogEntry, ...] = field(repr=False)


# helpers ------------------------------------------------------------------------------------------------------
def complaint_lookup_key(secret_key: bytes) -> bytes:
    """``HMAC-SHA256(secret_key, "hegui complaint lookup v1")``: the key of :func:`complaint_hash`."""
    if len(secret_key) < 16:
        raise ValueError("the secret key must be at least 16 bytes")
    return hmac.new(secret_key, LOOKUP_INFO, hashlib.sha256).digest()


def complaint_hash(key: bytes, kind: str, value: str) -> str:
    """``HMAC-SHA256(key, kind || 0x00 || value)``, hex (``kind``: ``reporter`` or ``contact``)."""
    return hmac.new(key, kind.encode() + b"\x00" + value.encode("utf-8"), hashlib.sha256).hexdigest()


def reporter_value(account_id: str | None, reporter: str | None) -> str:
    """What the ``reporter`` hash covers: the account and the reporter's id in that account's app."""
    return f"{account_id or ''}\x00{(reporter or '').strip()}"


def normalise_contact(contact: str) -> str:
    """A mainland mobile number as 11 digits, an e-mail address in lower case, anything else with single
    spaces (so that the same contact written differently hashes the same)."""
    c = " ".join(contact.split())
    mobile = normalise_mobile(c)
    if mobile is not None:
        return mobile
    if "@" in c and " " not in c:
        return c.lower()
    return c


def erase_ticket_rows(s: Session, ticket_ids: Iterable[str], now: datetime) -> int:
    """Clear the ciphertexts and lookup hashes of the tickets inside the caller's transaction; returns how many
    tickets were erased now. Destroy their data keys first (``keyring.erase(ticket_id)``, its own transaction,
    before this one: on SQLite a second writer inside an open write transaction would wait for itself). Shared
    with the privacy service."""
    count = 0
    for tid in ticket_ids:
        row = s.get(ComplaintTicket, tid, with_for_update=True)
        if row is None:
            continue
        if row.erased_at is None:
            count += 1
            row.erased_at = now
        row.description_enc = row.contact_enc = None
        row.contact_hmac = row.reporter_hmac = None
        row.updated_at = now
        s.execute(update(ComplaintLog).where(ComplaintLog.ticket_id == tid).values(text_enc=None)
                  .execution_options(synchronize_session=False))
    return count


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t is not None else None


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _lock_key(value: str) -> int:
    return int.from_bytes(hashlib.sha256(b"hegui-complaint:" + value.encode()).digest()[:8], "big", signed=True)


def _invalid(en: str, zh: str) -> ComplaintError:
    return ComplaintError("invalid", en, zh)


def _check_actor(actor: str, what: str = "actor") -> str:
    actor = (actor or "").strip()
    if not actor or len(actor) > _MAX_ACTOR:
        raise _invalid(f"{what} must be 1-{_MAX_ACTOR} characters: give the reviewer's staff id",
                       f"{what} 须为 1-{_MAX_ACTOR} 个字符：请填写审核人员的工号")
    return actor


def _check_text(value: str, what_en: str, what_zh: str, limit: int = _MAX_TEXT) -> str:
    value = (value or "").strip()
    if not value or len(value) > limit:
        raise _invalid(f"{what_en} must be 1-{limit} characters: shorten or fill it in",
                       f"{what_zh}须为 1-{limit} 个字符：请补充或精简")
    return value


# the service --------------------------------------------------------------------------------------------------
class ComplaintService:
    """Tickets: intake, workflow, SLA, decisions, appeals. Thread-safe; ``clock()`` gives the current time."""

    def __init__(
        self, engine: Engine, keyring: KeyRing, rules: ComplaintRules | None = None, *, secret_key: bytes,
        clock: Callable[[], datetime] | None = None, on_event: EventSink | None = None,
        exists: Callable[[str], bool | datetime | None] | None = None,
    ) -> None:
        self._engine = engine
        self._read = read_only(engine)
        self.keyring = keyring
        self.rules = rules if rules is not None else ComplaintRules()
        self._tz = ZoneInfo(self.rules.timezone)
        self._clock = clock or _utcnow
        self._on_event = on_event
        self._exists = exists
        self._key = complaint_lookup_key(secret_key)

    # helpers --------------------------------------------------------------------------------------------------
    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("the clock must return timezone-aware datetimes")
        return now

    def lookup_hash(self, kind: str, value: str) -> str:
        return complaint_hash(self._key, kind, value)

    def _emit(self, kind: str, payload: dict[str, Any]) -> None:
        if self._on_event is not None:
            self._on_event(kind, payload)

    def _when(self, t: datetime) -> tuple[str, str]:
        local = t.astimezone(self._tz).strftime("%Y-%m-%d %H:%M")
        if self.rules.timezone == "Asia/Shanghai":
            return f"{local} (Beijing time)", f"{local}（北京时间）"
        return f"{local} ({self.rules.timezone})", f"{local}（{self.rules.timezone}）"

    def _ack(self, number: str, kind: str, due_at: datetime) -> tuple[str, str]:
        w_en, w_zh = self._when(due_at)
        k_en, k_zh = _KIND_TEXT.get(kind, (kind, kind))
        return (
            f"We have received your {k_en}. Ticket number: {number}. We will tell you the outcome by {w_en}. "
            "Keep this number to check the status or to appeal against the decision.",
            f"您的{k_zh}已受理，受理编号：{number}。我们将于 {w_zh} 前告知处理结果。请保存该编号，用于查询进度或对处理结果提出申诉。",
        )

    def _ticket(self, r: ComplaintTicket, now: datetime, *, duplicate: bool = False) -> Ticket:
        ack_en, ack_zh = self._ack(r.number, r.kind, r.due_at)
        return Ticket(
            id=r.id, number=r.number, kind=r.kind, channel=r.channel, status=r.status, account_id=r.account_id,
            request_id=r.request_id, category=r.category, assignee=r.assignee, created_at=r.created_at,
            updated_at=r.updated_at, triage_due_at=r.triage_due_at, due_at=r.due_at, outcome=r.outcome,
            decision_zh=r.decision_zh, decision_en=r.decision_en, decided_at=r.decided_at, appeals=r.appeals,
            overdue=self._is_overdue(r.status, r.triage_due_at, r.due_at, now), ack_en=ack_en, ack_zh=ack_zh,
            duplicate=duplicate, erased=r.erased_at is not None,
        )

    @staticmethod
    def _is_overdue(status: str, triage_due_at: datetime, due_at: datetime, now: datetime) -> bool:
        if status not in OPEN_STATES:
            return False
        return now >= due_at or (status == "received" and now >= triage_due_at)

    def _new_number(self, now: datetime) -> str:
        day = now.astimezone(self._tz).strftime("%Y%m%d")
        return f"HG-{day}-" + "".join(secrets.choice(_ALPHABET) for _ in range(6))

    def _find(self, s: Session, ticket: str | Ticket, *, lock: bool = False) -> ComplaintTicket:
        key = ticket.id if isinstance(ticket, Ticket) else str(ticket).strip()
        if key.upper().startswith("HG-"):
            q = select(ComplaintTicket).where(ComplaintTicket.number == key.upper())
            row = s.execute(q.with_for_update() if lock else q).scalar_one_or_none()
        else:
            row = s.get(ComplaintTicket, key, with_for_update=lock or None)
        if row is None:
            raise ComplaintError(
                "unknown_ticket", f"no ticket {key!r}: check the number on the acknowledgement",
                f"受理编号 {key!r} 不存在：请核对受理回执上的编号",
            )
        return row

    def _lock(self, s: Session, value: str) -> None:
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_key(value)})
        # SQLite: every writing transaction begins IMMEDIATE, which already serialises writers

    # intake ---------------------------------------------------------------------------------------------------
    def submit(
        self, kind: Kind | str, *, channel: Channel | str, account_id: str | None, request_id: str | None,
        category: str, description: str, contact: str | None = None, reporter: str | None = None,
    ) -> Ticket:
        """Open a ticket and return it with its acknowledgement (``ack_en``/``ack_zh``). ``reporter`` is the
        reporting end user's id in the account's app (the ``user`` the app sends), so that their
        personal-information requests find the ticket; ``contact`` (phone or e-mail) is stored encrypted."""
        r = self.rules
        if kind not in KINDS:
            raise _invalid(f"kind must be one of {', '.join(KINDS)}, not {kind!r}",
                           f"类型须为 {', '.join(KINDS)} 之一，不能为 {kind!r}")
        if channel not in CHANNELS:
            raise _invalid(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}",
                           f"渠道须为 {', '.join(CHANNELS)} 之一，不能为 {channel!r}")
        if category not in r.categories:
            raise _invalid(f"unknown category {category!r}: choose one of {', '.join(r.categories)}",
                           f"未知的类别 {category!r}：请从 {', '.join(r.categories)} 中选择")
        description = _check_text(description, "the description", "描述", r.max_description)
        if contact is not None:
            contact = " ".join(contact.split())
            if not contact:
                contact = None
            elif len(contact) > r.max_contact:
                raise _invalid(f"the contact details must be at most {r.max_contact} characters",
                               f"联系方式不得超过 {r.max_contact} 个字符")
        if reporter is not None and (not reporter.strip() or len(reporter) > 200):
            raise _invalid("reporter must be 1-200 characters (the user id in your app)",
                           "reporter 须为 1-200 个字符（应用内的用户 ID）")
        if account_id is not None and (not account_id or len(account_id) > 32):
            raise _invalid("account_id must be 1-32 characters", "account_id 须为 1-32 个字符")
        if request_id is not None:
            request_id = request_id.strip()
            if not request_id or len(request_id) > 128:
                raise _invalid("request_id must be 1-128 characters", "request_id 须为 1-128 个字符")
        if kind == "report_output" and request_id is None:
            raise ComplaintError(
                "unknown_request", "a report of an answer needs the answer's request_id: report from the answer itself",
                "举报生成内容须提供该内容的请求编号（request_id）：请从该条内容处发起举报",
            )
        now = self._now()
        if request_id is not None:
            self._check_request(request_id, now)
        reporter_hmac = self.lookup_hash("reporter", reporter_value(account_id, reporter))
        dup = self._duplicate(request_id, account_id, reporter_hmac) if request_id is not None else None
        if dup is not None:
            return dup
        for _ in range(5):
            ticket_id = uuid.uuid4().hex
            number = self._new_number(now)
            desc_blob = self.keyring.encrypt(ticket_id, "description", description)
            contact_blob = self.keyring.encrypt(ticket_id, "contact", contact) if contact else None
            due = now + timedelta(days=r.resolve_days)
            row = ComplaintTicket(
                id=ticket_id, number=number, kind=kind, channel=channel, status="received", account_id=account_id,
                request_id=request_id, category=category, description_enc=desc_blob, contact_enc=contact_blob,
                contact_hmac=self.lookup_hash("contact", normalise_contact(contact)) if contact else None,
                reporter_hmac=reporter_hmac, created_at=now, updated_at=now,
                triage_due_at=now + timedelta(hours=r.ack_hours), due_at=due, appeals=0,
            )
            existing: ComplaintTicket | None = None
            try:
                with Session(self._engine, expire_on_commit=False) as s, s.begin():
                    if request_id is not None:
                        self._lock(s, request_id)
                        existing = self._open_duplicate(s, request_id, account_id, reporter_hmac)
                    if existing is None:
                        s.add(row)
                        s.flush()  # the ticket before its log row (foreign key)
                        s.add(ComplaintLog(ticket_id=ticket_id, ts=now, actor=f"complainant:{channel}",
                                           action="submit", from_status=None, to_status="received"))
            except IntegrityError:  # the random number was taken meanwhile: draw another
                self.keyring.erase(ticket_id)
                continue
            if existing is not None:  # a concurrent identical report won the race
                self.keyring.erase(ticket_id)
                return self._ticket(existing, now, duplicate=True)
            self._emit("complaint.submitted", {
                "ticket_id": ticket_id, "number": number, "kind": kind, "channel": channel,
                "account_id": account_id, "request_id": request_id, "category": category,
                "has_contact": contact is not None, "due_at": due.isoformat(), "ts": now.isoformat(),
            })
            return self._ticket(row, now)
        raise ComplaintError("busy", "could not allocate a ticket number: try again", "无法分配受理编号：请重试")

    def _check_request(self, request_id: str, now: datetime) -> None:
        if self._exists is None:
            raise ConfigError(
                "reports cannot be checked: the complaint service has no request lookup (exists=) configured",
                "无法核验举报：投诉服务未配置请求查询（exists=）",
            )
        found = self._exists(request_id)
        if found is None or found is False:
            raise ComplaintError(
                "unknown_request",
                f"no answer with request id {request_id!r} is on record: check the id shown with the answer (it "
                "may have passed its retention period); you can still file a complaint without it",
                f"未找到请求编号为 {request_id!r} 的生成内容：请核对该条内容所附的编号（可能已超过保存期限）；也可以不附编号直接投诉",
            )
        if isinstance(found, datetime) and now > found + timedelta(days=self.rules.report_window_days):
            raise ComplaintError(
                "report_window_passed",
                f"answers can be reported for {self.rules.report_window_days} days after they were produced and this "
                "one is older: file a complaint (kind 'complaint') instead",
                f"生成内容仅可在生成后 {self.rules.report_window_days} 日内举报，该内容已超过期限：请改为提交投诉",
            )

    def _open_duplicate(
        self, s: Session, request_id: str, account_id: str | None, reporter_hmac: str
    ) -> ComplaintTicket | None:
        q = select(ComplaintTicket).where(
            ComplaintTicket.request_id == request_id, ComplaintTicket.reporter_hmac == reporter_hmac,
            ComplaintTicket.status.in_(OPEN_STATES),
        )
        q = q.where(ComplaintTicket.account_id.is_(None) if account_id is None
                    else ComplaintTicket.account_id == account_id)
        return s.execute(q.order_by(ComplaintTicket.created_at).limit(1)).scalar_one_or_none()

    def _duplicate(self, request_id: str, account_id: str | None, reporter_hmac: str) -> Ticket | None:
        with Session(self._read) as s:
            row = self._open_duplicate(s, request_id, account_id, reporter_hmac)
            return self._ticket(row, self._now(), duplicate=True) if row is not None else None

    # reading --------------------------------------------------------------------------------------------------
    def get(self, ticket: str | Ticket) -> Ticket | None:
        """A ticket by id or number (None when unknown)."""
        with Session(self._read) as s:
            try:
                return self._ticket(self._find(s, ticket), self._now())
            except ComplaintError:
                return None

    def list(self, status: str | None = None, kind: str | None = None, *, limit: int = 1000) -> list[Ticket]:
        """Tickets, oldest first, optionally of one status and/or kind."""
        if status is not None and status not in STATES:
            raise _invalid(f"status must be one of {', '.join(STATES)}", f"状态须为 {', '.join(STATES)} 之一")
        q = select(ComplaintTicket)
        if status is not None:
            q = q.where(ComplaintTicket.status == status)
        if kind is not None:
            q = q.where(ComplaintTicket.kind == kind)
        now = self._now()
        with Session(self._read) as s:
            rows = s.execute(q.order_by(ComplaintTicket.created_at, ComplaintTicket.id).limit(limit)).scalars()
            return [self._ticket(r, now) for r in rows]

    def overdue(self, now: datetime | None = None) -> builtins.list[Ticket]:
        """Open tickets past a deadline at ``now``: not triaged by ``triage_due_at``, or undecided by ``due_at``
        (a deadline instant itself counts as overdue)."""
        now = self._now() if now is None else now
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        with Session(self._read) as s:
            rows = s.execute(
                select(ComplaintTicket).where(
                    ComplaintTicket.status.in_(OPEN_STATES),
                    (ComplaintTicket.due_at <= now)
                    | ((ComplaintTicket.status == "received") & (ComplaintTicket.triage_due_at <= now)),
                ).order_by(ComplaintTicket.due_at, ComplaintTicket.id)
            ).scalars()
            return [self._ticket(r, now) for r in rows]

    def read(self, ticket: str | Ticket, *, actor: str) -> TicketDetail:
        """The ticket with its description, contact and history decrypted, for a reviewer (``actor``); the
        access is recorded (event ``complaint.viewed``). Erased fields come back as None."""
        actor = _check_actor(actor)
        now = self._now()
        with Session(self._read) as s:
            row = self._find(s, ticket)
            t = self._ticket(row, now)
            desc_blob, contact_blob = row.description_enc, row.contact_enc
            logs = list(s.execute(
                select(ComplaintLog).where(ComplaintLog.ticket_id == row.id).order_by(ComplaintLog.id)
            ).scalars())
            log_rows = [(lg.ts, lg.actor, lg.action, lg.from_status, lg.to_status, lg.text_enc) for lg in logs]
        entries = tuple(
            LogEntry(ts, a, act, fr, to, self._decrypt(t.id, "note", blob))
            for ts, a, act, fr, to, blob in log_rows
        )
        detail = TicketDetail(t, self._decrypt(t.id, "description", desc_blob),
                              self._decrypt(t.id, "contact", contact_blob), entries)
        self._emit("complaint.viewed", {"ticket_id": t.id, "number": t.number, "actor": actor, "ts": now.isoformat()})
        return detail

    def _decrypt(self, ticket_id: str, field_name: str, blob: bytes | None) -> str | None:
        if blob is None:
            return None
        try:
            return self.keyring.decrypt(ticket_id, field_name, blob)
        except CryptoError:
            return None

    def get_public(self, ticket_number: str) -> PublicStatus:
        """The status and decision of a ticket for the complainant (by ticket number only)."""
        number = (ticket_number or "").strip().upper()
        if not number.startswith("HG-"):
            raise ComplaintError("unknown_ticket", f"no ticket {ticket_number!r}: check the number on the "
                                 "acknowledgement", f"受理编号 {ticket_number!r} 不存在：请核对受理回执上的编号")
        now = self._now()
        with Session(self._read) as s:
            r = self._find(s, number)
            en, zh = _STATE_TEXT[r.status]
            until = self._appeal_until(r)
            return PublicStatus(
                number=r.number, kind=r.kind, status=r.status, status_en=en, status_zh=zh, created_at=r.created_at,
                due_at=r.due_at, decision_en=r.decision_en, decision_zh=r.decision_zh, decided_at=r.decided_at,
                can_appeal=until is not None and now < until, appeal_until=until,
            )

    def _appeal_until(self, r: ComplaintTicket) -> datetime | None:
        if r.status not in ("resolved", "rejected") or r.decided_at is None or r.appeals >= self.rules.max_appeals:
            return None
        return r.decided_at + timedelta(days=self.rules.appeal_days)

    # workflow -------------------------------------------------------------------------------------------------
    def assign(self, ticket: str | Ticket, reviewer: str, *, actor: str | None = None) -> Ticket:
        """Give the ticket to ``reviewer`` (``actor``, default the reviewer, is who assigned it)."""
        reviewer = _check_actor(reviewer, "reviewer")
        actor = _check_actor(actor or reviewer)
        now = self._now()
        with Session(self._engine, expire_on_commit=False) as s, s.begin():
            row = self._find(s, ticket, lock=True)
            if row.status not in OPEN_STATES:
                raise ComplaintError(
                    "illegal_transition", f"ticket {row.number} is closed ({row.status}): it cannot be assigned",
                    f"受理编号 {row.number} 已办结（{_STATE_TEXT[row.status][1]}），不能再分配",
                )
            before = row.assignee
            row.assignee, row.updated_at = reviewer, now
            s.add(ComplaintLog(ticket_id=row.id, ts=now, actor=actor, action="assign", from_status=row.status,
                               to_status=row.status))
        self._emit("complaint.assigned", {"ticket_id": row.id, "number": row.number, "reviewer": reviewer,
                                          "previous": before, "actor": actor, "ts": now.isoformat()})
        return self._ticket(row, now)

    def transition(self, ticket: str | Ticket, to: str, *, actor: str, note: str | None = None) -> Ticket:
        """Move the ticket along the workflow (``received -> triage -> in_review``, back to ``triage``,
        ``appealed -> in_review``). Decisions go through :meth:`decide`, appeals through :meth:`appeal`. An
        illegal move raises :class:`ComplaintError` (``illegal_transition``) and changes nothing."""
        actor = _check_actor(actor)
        if note is not None:
            note = _check_text(note, "the note", "备注")
        if to not in STATES:
            raise _invalid(f"unknown state {to!r}: use one of {', '.join(STATES)}", f"未知状态 {to!r}")
        if to in ("resolved", "rejected"):
            raise ComplaintError("illegal_transition", "a ticket is closed by decide(), with the decision text the "
                                 "complainant will see", "办结工单请使用 decide()，并填写告知投诉人的处理结果")
        if to == "appealed":
            raise ComplaintError("illegal_transition", "only the complainant can appeal (appeal() with the ticket "
                                 "number)", "仅投诉人可凭受理编号提出申诉（appeal()）")
        now = self._now()
        with Session(self._engine, expire_on_commit=False) as s, s.begin():
            row = self._find(s, ticket, lock=True)
            frm = row.status
            if to not in _EDGES[frm]:
                allowed = ", ".join(sorted(_EDGES[frm])) or "none (closed: the complainant may appeal)"
                raise ComplaintError(
                    "illegal_transition", f"ticket {row.number} cannot go from {frm} to {to}: allowed next "
                    f"states: {allowed}",
                    f"受理编号 {row.number} 不能从“{_STATE_TEXT[frm][1]}”变为“{_STATE_TEXT[to][1]}”；"
                    f"可转入：{'、'.join(_STATE_TEXT[x][1] for x in sorted(_EDGES[frm])) or '无（已办结，投诉人可申诉）'}",
                )
            row.status, row.updated_at = to, now
            s.add(ComplaintLog(
                ticket_id=row.id, ts=now, actor=actor, action="transition", from_status=frm, to_status=to,
                text_enc=self.keyring.encrypt(row.id, "note", note) if note else None,
            ))
        self._emit("complaint.transition", {"ticket_id": row.id, "number": row.number, "from": frm, "to": to,
                                            "actor": actor, "has_note": note is not None, "ts": now.isoformat()})
        return self._ticket(row, now)

    def add_note(self, ticket: str | Ticket, actor: str, text: str) -> Ticket:
        """A reviewer's note (encrypted with the ticket's key, seen only by staff)."""
        actor = _check_actor(actor)
        note = _check_text(text, "the note", "备注")
        now = self._now()
        with Session(self._engine, expire_on_commit=False) as s, s.begin():
            row = self._find(s, ticket, lock=True)
            row.updated_at = now
            s.add(ComplaintLog(ticket_id=row.id, ts=now, actor=actor, action="note", from_status=row.status,
                               to_status=row.status, text_enc=self.keyring.encrypt(row.id, "note", note)))
        self._emit("complaint.note", {"ticket_id": row.id, "number": row.number, "actor": actor,
                                      "ts": now.isoformat()})
        return self._ticket(row, now)

    def decide(self, ticket: str | Ticket, *, outcome: Outcome | str, decision_zh: str, decision_en: str,
               actor: str) -> Ticket:
        """Close the ticket (from ``triage`` or ``in_review``) as ``resolved`` (the complaint is upheld and acted
        on) or ``rejected``; ``decision_zh``/``decision_en`` is what the complainant sees."""
        actor = _check_actor(actor)
        if outcome not in ("resolved", "rejected"):
            raise _invalid(f"outcome must be resolved or rejected, not {outcome!r}",
                           f"处理结果须为 resolved 或 rejected，不能为 {outcome!r}")
        decision_zh = _check_text(decision_zh, "the Chinese decision text", "中文处理结果")
        decision_en = _check_text(decision_en, "the English decision text", "英文处理结果")
        now = self._now()
        with Session(self._engine, expire_on_commit=False) as s, s.begin():
            row = self._find(s, ticket, lock=True)
            frm = row.status
            if frm not in ("triage", "in_review"):
                raise ComplaintError(
                    "illegal_transition", f"ticket {row.number} is {frm}: move it to triage or in_review before "
                    "deciding", f"受理编号 {row.number} 当前为“{_STATE_TEXT[frm][1]}”：请先转入分拣或审核后再作决定",
                )
            row.status, row.outcome, row.updated_at = outcome, outcome, now
            row.decision_zh, row.decision_en, row.decided_at, row.decided_by = decision_zh, decision_en, now, actor
            s.add(ComplaintLog(ticket_id=row.id, ts=now, actor=actor, action="decide", from_status=frm,
                               to_status=outcome))
        self._emit("complaint.decided", {
            "ticket_id": row.id, "number": row.number, "kind": row.kind, "request_id": row.request_id,
            "from": frm, "outcome": outcome, "actor": actor, "on_time": now < row.due_at, "ts": now.isoformat(),
        })
        return self._ticket(row, now)

    def appeal(self, ticket_number: str, reason: str) -> Ticket:
        """The complainant appeals against the decision (within ``appeal_days``, at most ``max_appeals`` times):
        the ticket goes to ``appealed`` with a new deadline of ``resolve_days`` from now."""
        reason = _check_text(reason, "the reason for the appeal", "申诉理由", self.rules.max_description)
        number = (ticket_number or "").strip().upper()
        if not number.startswith("HG-"):
            raise ComplaintError("unknown_ticket", f"no ticket {ticket_number!r}: check the number on the "
                                 "acknowledgement", f"受理编号 {ticket_number!r} 不存在：请核对受理回执上的编号")
        now = self._now()
        with Session(self._engine, expire_on_commit=False) as s, s.begin():
            row = self._find(s, number, lock=True)
            until = self._appeal_until(row)
            if until is None or now >= until:
                if row.status in OPEN_STATES:
                    en, zh = "the ticket is still being handled: wait for the decision", "该工单仍在处理中：请等待处理结果"
                elif row.appeals >= self.rules.max_appeals:
                    en, zh = ("this decision was already appealed: it is final", "该决定已申诉过，为最终决定")
                else:
                    en, zh = (f"appeals are possible for {self.rules.appeal_days} days after the decision, and that "
                              "time has passed: file a new complaint if something new happened",
                              f"申诉须在决定作出后 {self.rules.appeal_days} 日内提出，已超过期限：如有新情况请重新投诉")
                raise ComplaintError("appeal_not_allowed", en, zh)
            frm = row.status
            row.status, row.appeals, row.appealed_at, row.updated_at = "appealed", row.appeals + 1, now, now
            row.due_at = now + timedelta(days=self.rules.resolve_days)
            row.assignee = None  # a different reviewer takes a fresh look
            s.add(ComplaintLog(ticket_id=row.id, ts=now, actor="complainant", action="appeal", from_status=frm,
                               to_status="appealed", text_enc=self.keyring.encrypt(row.id, "note", reason)))
        self._emit("complaint.appealed", {"ticket_id": row.id, "number": row.number, "from": frm,
                                          "appeals": row.appeals, "due_at": row.due_at.isoformat(),
                                          "ts": now.isoformat()})
        return self._ticket(row, now)

    def erase_personal_data(self, ticket: str | Ticket, *, actor: str) -> Ticket:
        """Crypto-erase the ticket's description, contact, notes and lookup hashes (the workflow record and the
        decision stay). Idempotent."""
        actor = _check_actor(actor)
        now = self._now()
        with Session(self._read) as s:
            ticket_id = self._find(s, ticket).id
        self.keyring.erase(ticket_id)  # first: even if what follows fails, the data is unreadable
        with Session(self._engine, expire_on_commit=False) as s, s.begin():
            row = self._find(s, ticket_id, lock=True)
            erase_ticket_rows(s, [row.id], now)
        self._emit("complaint.erased", {"ticket_id": row.id, "number": row.number, "actor": actor,
                                        "ts": now.isoformat()})
        return self._ticket(row, now)

    def count(self) -> int:
        with Session(self._read) as s:
            return int(s.execute(select(func.count()).select_from(ComplaintTicket)).scalar_one())

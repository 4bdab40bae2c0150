"""Reviewers' decisions on reports of generated answers, shared by the gateway's reviewer API and the console.

* :func:`confirm_report` - uphold a report: the answer (and its prompt, as a suspect entry) is blocked at once in
  the live similar-text library (through the callback registered with
  :meth:`~hegui.services.remediation.RemediationService.set_block`), a remediation case opens, due in three
  months, and the ticket is decided ``resolved`` with the standard bilingual text the reporter sees.
* :func:`reject_report` - decide a ticket ``rejected`` (any kind), optionally with a reviewer's note first.
* :func:`end_user_opted_out` - whether the end user behind an exchange record keeps their inputs out of training.

Every step goes through the services, which write the audit log (ids, states and actors; never content).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hegui.services.complaints import Ticket
from hegui.services.errors import CodedError
from hegui.services.remediation import Case

if TYPE_CHECKING:
    from hegui.services.core import Services

__all__ = [
    "DEFAULT_RISK_CODE",
    "REJECT_EN",
    "REJECT_ZH",
    "UPHELD_EN",
    "UPHELD_ZH",
    "ReviewError",
    "confirm_report",
    "decide_ticket",
    "end_user_opted_out",
    "reject_report",
]

DEFAULT_RISK_CODE = "A5.1"
UPHELD_ZH = "举报属实：该内容已被立即停止生成，并将在三个月内通过模型优化训练完成整改。"
UPHELD_EN = ("Report upheld: the content is no longer generated, and the model will be fixed by optimisation "
             "training within three months.")
REJECT_ZH = "经核查，该投诉不成立。"
REJECT_EN = "After review, the complaint was not upheld."


class ReviewError(CodedError):
    """A review decision that cannot be made; ``code`` names why (``ticket_not_found``, ``not_a_report``,
    ``answer_unavailable``) and ``status`` is the HTTP status that fits (404 or 409)."""

    default_status = 409


def end_user_opted_out(services: Services, rec: dict[str, Any] | None) -> bool:
    """Whether the end user behind an exchange record (``services.records.get``) has kept their inputs out of
    training now (an erased user counts as opted out)."""
    user_id = (((rec or {}).get("audit") or {}).get("payload") or {}).get("user_id")
    user = services.users.get_user(user_id) if isinstance(user_id, str) else None
    return bool(user is not None and (user.training_opt_out or user.status != "active"))


def decide_ticket(services: Services, number: str, actor: str, outcome: str, zh: str, en: str) -> Ticket:
    """Close a ticket as ``outcome`` (``resolved`` | ``rejected``), moving a fresh one to triage first."""
    c = services.complaints
    t = c.get(number)
    if t is not None and t.status == "received":
        c.transition(number, "triage", actor=actor)
    return c.decide(number, outcome=outcome, decision_zh=zh, decision_en=en, actor=actor)


def _not_found(number: str) -> ReviewError:
    return ReviewError("ticket_not_found", f"no ticket {number!r}", f"工单 {number!r} 不存在", status=404)


def confirm_report(services: Services, number: str, *, reviewer: str,
                   risk_code: str | None = None) -> tuple[Ticket, Case]:
    """Uphold the report ``number`` (a ``report_output`` ticket): block the reported answer at once, open the
    remediation case (idempotent per ticket) and, while the ticket is open, decide it ``resolved``. Returns the
    ticket as it now stands and the case. Raises :class:`ReviewError` (unknown ticket, not a report of an answer,
    answer not in the content log) or the services' own errors (bad risk code, illegal transition)."""
    t = services.complaints.get(number)
    if t is None:
        raise _not_found(number)
    if t.kind != "report_output" or not t.request_id:
        raise ReviewError("not_a_report", "only reports of an answer can be confirmed here; decide other tickets "
                                          "with reject or the workflow",
                          "此处只能确认对回答的举报；其他工单请用驳回或流程操作")
    rec = services.records.get(t.request_id)
    content = (rec or {}).get("content") or {}
    answer = content.get("output_text")
    if not answer:
        raise ReviewError("answer_unavailable", "the reported answer is not in the content log (content logging off "
                                                "or purged); add its text to the similar-text library by hand",
                          "内容日志中没有被举报的回答（未开启内容日志或已过保存期）；请手动将其加入相似文本库")
    case = services.remediation.confirm(
        ticket_id=t.id, request_id=t.request_id, prompt=content.get("input_text"), answer=answer,
        risk_code=risk_code or DEFAULT_RISK_CODE, reviewer=reviewer,
        end_user_opted_out=end_user_opted_out(services, rec))
    if t.is_open:
        t = decide_ticket(services, number, reviewer, "resolved", UPHELD_ZH, UPHELD_EN)
    return t, case


def reject_report(services: Services, number: str, *, reviewer: str, reason: str | None = None,
                  decision_zh: str | None = None, decision_en: str | None = None) -> Ticket:
    """Decide the ticket ``number`` ``rejected``. ``reason`` (optional) is kept as the reviewer's note (encrypted,
    staff only); ``decision_zh``/``decision_en`` is what the complainant sees (default: the standard text)."""
    if reason is not None and reason.strip():
        services.complaints.add_note(number, reviewer, reason.strip())
    return decide_ticket(services, number, reviewer, "rejected", decision_zh or REJECT_ZH, decision_en or REJECT_EN)

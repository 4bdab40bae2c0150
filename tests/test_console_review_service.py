"""hegui.services.review (shared by the gateway's reviewer API and the console) and UserService.list_users, on
SQLite without a browser: the refusals of confirm_report carry codes and statuses, reject_report keeps the reason
as a staff note, and end users are listed newest first."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hegui.services import Services
from hegui.services.review import REJECT_EN, ReviewError, confirm_report, reject_report


@pytest.fixture()
def svc(tmp_path: Path) -> Iterator[Services]:
    with Services.open(f"sqlite:///{tmp_path / 'hegui.db'}", secret_key=b"k" * 32, data_dir=tmp_path / "data") as s:
        yield s


def test_confirm_refusals_have_codes(svc: Services) -> None:
    with pytest.raises(ReviewError) as missing:
        confirm_report(svc, "HG-20990101-NOPE00", reviewer="rita")
    assert missing.value.code == "ticket_not_found" and missing.value.status == 404
    assert missing.value.zh != missing.value.en
    complaint = svc.complaints.submit("complaint", channel="web", account_id=None, request_id=None,
                                      category="service", description="回答速度太慢")
    with pytest.raises(ReviewError) as not_report:
        confirm_report(svc, complaint.number, reviewer="rita", risk_code="A5.1")
    assert not_report.value.code == "not_a_report" and not_report.value.status == 409
    assert svc.complaints.get(complaint.number).status == "received"  # type: ignore[union-attr]


def test_reject_keeps_the_reason_as_a_note(svc: Services) -> None:
    complaint = svc.complaints.submit("complaint", channel="web", account_id=None, request_id=None,
                                      category="service", description="回答速度太慢")
    t = reject_report(svc, complaint.number, reviewer="rita", reason="响应时间在正常范围内")
    assert t.status == "rejected" and t.decision_en == REJECT_EN
    detail = svc.complaints.read(complaint.number, actor="audrey")
    assert [e.text for e in detail.log if e.action == "note"] == ["响应时间在正常范围内"]
    assert svc.audit.verify().ok


def test_list_users_newest_first(svc: Services) -> None:
    account = svc.accounts.create_account("acme")
    for ext in ("u1", "u2", "u3"):
        svc.users.create_user(account.id, ext)
    first, rest = svc.users.list_users(limit=2), svc.users.list_users(limit=10, offset=2)
    assert len(first) == 2 and len(rest) == 1
    assert {u.external_id for u in first + rest} == {"u1", "u2", "u3"}
    assert [u.created_at for u in svc.users.list_users()] == sorted((u.created_at for u in first + rest), reverse=True)
    assert svc.users.count_users() == 3
    with pytest.raises(ValueError):
        svc.users.list_users(limit=0)

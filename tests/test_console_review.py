"""The console's review queue and end-users page in real headless Chromium (Debian's chromium through Playwright),
against the gateway app served in-process with a fake upstream model, end to end with the openai SDK:

* an end user's answer is reported, a reviewer confirms the report in the console, and the same prompt is then
  blocked at the gateway;
* an admin suspends an end user on the users page, the user's next request is refused (403 user_suspended),
  and lifting the suspension lets them in again;
* an auditor sees the queue and the ticket but has no actions, and a POST is refused with 403.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from console_helpers import HAVE_CHROMIUM, chat, chromium, console_app, csrf_of, login
from fake_upstream import FakeUpstream

ADMIN_PW = "chief of compliance 12345"
REVIEWER_PW = "queue keeper 678 !!"
AUDITOR_PW = "reads everything 4242"
RUMOR = "根据内部消息，蓝海银行下周就要破产倒闭了，赶紧把钱取出来。"  # passes moderation: a rumour, not a keyword
DEMO = {"Authorization": "Bearer demo"}

pytestmark = pytest.mark.skipif(not HAVE_CHROMIUM, reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str, FakeUpstream]]:
    users = {"admin": (ADMIN_PW, "admin"), "rita": (REVIEWER_PW, "reviewer"), "audrey": (AUDITOR_PW, "auditor")}
    with console_app(tmp_path_factory.mktemp("console-review"), users) as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def report(url: str, request_id: str, description: str) -> str:
    r = httpx.post(url + "/v1/hegui/reports", headers=DEMO, timeout=30,
                   json={"request_id": request_id, "category": "false_info", "description": description})
    assert r.status_code == 201, r.text
    number = r.json()["ticket"]
    assert isinstance(number, str)
    return number


def test_reviewer_confirms_a_report_and_the_answer_is_blocked_at_the_gateway(
        server: tuple[Any, str, FakeUpstream], browser: Any) -> None:
    app, url, fake = server
    fake.canned["蓝海银行"] = RUMOR
    first = chat(url, "蓝海银行最近怎么样？", "alice")
    assert RUMOR in (first.choices[0].message.content or "")
    ticket = report(url, first.model_extra["hegui"]["request_id"], "散布银行破产谣言")

    errors: list[str] = []
    ctx = browser.new_context()
    page = login(ctx.new_page(), url, "rita", REVIEWER_PW)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.click("#nav-review")
    page.wait_for_url("**/console/review")
    row = page.locator(f'tr[data-ticket="{ticket}"]')
    assert row.count() == 1 and "Report of an answer" in row.inner_text()
    assert row.locator("td.status").inner_text() == "received"
    with page.expect_navigation():
        row.locator("a").click()
    assert "破产" in page.inner_text("#answer-output") and "蓝海银行" in page.inner_text("#answer-prompt")
    assert "散布银行破产谣言" in page.inner_text("#ticket-facts")

    with page.expect_navigation():
        page.click("#assign-form button")
    assert "assigned" in page.inner_text("#flash") and "已分配" in page.inner_text("#flash")
    assert page.inner_text("#ticket-assignee") == "rita"
    page.fill("#note-form textarea", "核实中：银行已辟谣")
    with page.expect_navigation():
        page.click("#note-form button")
    assert "核实中" in page.inner_text("#history")

    page.select_option("#risk-code", "A1.7")
    with page.expect_navigation():
        page.click("#confirm")
    flash = page.inner_text("#flash")
    assert "blocked at the gateway" in flash and "已在网关拦截" in flash
    assert page.get_attribute("#ticket-status", "data-status") == "resolved"
    assert page.locator("#case").count() == 1 and "A1.7" in page.inner_text("#case")
    assert page.locator("#confirm-form").count() == 0  # closed: nothing left to confirm
    ctx.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors

    # the same prompt through the gateway is now refused with the safe answer
    blocked = chat(url, "蓝海银行最近怎么样？", "alice")
    assert blocked.choices[0].finish_reason == "content_filter"
    assert "破产" not in (blocked.choices[0].message.content or "")
    status = httpx.get(url + f"/v1/hegui/complaints/{ticket}").json()  # the reporter sees the decision
    assert status["status"] == "resolved"
    svc = app.state.hegui.services
    case = svc.remediation.case_for_ticket(svc.complaints.get(ticket).id)
    assert case is not None and case.reviewer == "rita" and case.risk_code == "A1.7"
    assert svc.audit.verify().ok


def test_admin_suspends_an_end_user_who_is_then_refused_at_the_gateway(
        server: tuple[Any, str, FakeUpstream], browser: Any) -> None:
    _, url, _ = server
    assert chat(url, "你好", "carol").choices[0].finish_reason == "stop"

    ctx = browser.new_context()
    page = login(ctx.new_page(), url, "admin", ADMIN_PW)
    page.click("#nav-end-users")
    page.wait_for_url("**/console/users")
    row = page.locator('tr[data-external="carol"]')
    assert row.count() == 1 and row.locator("td.sanction").get_attribute("data-action") == "none"
    row.locator('.suspend-form input[name="days"]').fill("3")
    row.locator('.suspend-form input[name="reason"]').fill("批量发布垃圾信息")
    with page.expect_navigation():
        row.locator(".suspend-form button").click()
    assert "suspended" in page.inner_text("#flash") and "暂停" in page.inner_text("#flash")
    row = page.locator('tr[data-external="carol"]')
    assert row.locator("td.sanction").get_attribute("data-action") == "suspend"

    with pytest.raises(openai.PermissionDeniedError) as refused:
        chat(url, "你好", "carol")
    assert refused.value.status_code == 403
    assert "user_suspended" in str(refused.value.body)
    assert chat(url, "你好", "dora").choices[0].finish_reason == "stop"  # others are not affected

    # a bad form is refused with a bilingual message; then the suspension is lifted
    row.locator('.suspend-form input[name="days"]').fill("0")
    row.locator('.suspend-form input[name="reason"]').fill("x")
    row.locator('.suspend-form input[name="days"]').evaluate("e => e.removeAttribute('min')")
    with page.expect_navigation():
        row.locator(".suspend-form button").click()
    assert "1 to 3650" in page.inner_text("#eu-error") and "3650" in page.inner_text("#eu-error")
    row = page.locator('tr[data-external="carol"]')
    row.locator('.lift-form input[name="reason"]').fill("申诉成立")
    with page.expect_navigation():
        row.locator(".lift-form button").click()
    assert "lifted" in page.inner_text("#flash")
    assert chat(url, "你好", "carol").choices[0].finish_reason == "stop"
    ctx.close()


def test_auditor_reads_but_cannot_act_and_a_reviewer_rejects(
        server: tuple[Any, str, FakeUpstream], browser: Any) -> None:
    app, url, _ = server
    answer = chat(url, "给我讲个笑话", "erin")
    ticket = report(url, answer.model_extra["hegui"]["request_id"], "回答答非所问")

    ctx = browser.new_context()
    page = login(ctx.new_page(), url, "audrey", AUDITOR_PW)
    page.goto(f"{url}/console/review")
    assert page.locator(f'tr[data-ticket="{ticket}"]').count() == 1
    assert page.locator("#read-only").count() == 1
    page.goto(f"{url}/console/review/{ticket}")
    assert page.locator("#reported-answer").count() == 1
    assert page.locator("#confirm-form").count() == 0 and page.locator("#confirm").count() == 0
    assert page.locator("#actions").count() == 0 and page.locator("#read-only").count() == 1
    token = csrf_of(page)
    r = page.request.post(f"{url}/console/review/{ticket}/confirm", headers={"X-CSRF-Token": token},
                          form={"risk_code": "A5.1"})
    assert r.status == 403 and "may not" in r.text() and "无权" in r.text()
    # the auditor reads the end-users page without its forms, and cannot suspend anyone
    page.goto(f"{url}/console/users")
    assert page.locator('tr[data-external="erin"]').count() == 1
    assert page.locator(".suspend-form").count() == 0
    user_id = page.locator('tr[data-external="erin"]').get_attribute("data-user-id")
    r = page.request.post(f"{url}/console/users/{user_id}/suspend", headers={"X-CSRF-Token": token},
                          form={"days": "3", "reason": "x"})
    assert r.status == 403
    ctx.close()
    svc = app.state.hegui.services
    assert svc.complaints.get(ticket).status == "received"
    assert svc.conduct.current(user_id).action == "none"

    # a reviewer may not open the end-users page, needs the CSRF token, and rejects the report with a reason
    ctx = browser.new_context()
    page = login(ctx.new_page(), url, "rita", REVIEWER_PW)
    assert page.locator("#nav-end-users").count() == 0
    resp = page.goto(f"{url}/console/users")
    assert resp is not None and resp.status == 403
    r = page.request.post(f"{url}/console/review/{ticket}/reject", form={"reason": "no token"})
    assert r.status == 403 and "CSRF" in r.text()
    page.goto(f"{url}/console/review/{ticket}?lang=zh")
    page.fill("#reject-form textarea", "回答正常，不属于违规内容")
    with page.expect_navigation():
        page.click("#reject")
    assert "工单已驳回" in page.inner_text("#flash") and "Ticket rejected" in page.inner_text("#flash")
    assert page.get_attribute("#ticket-status", "data-status") == "rejected"
    assert "回答正常" in page.inner_text("#history")  # the reason, kept as a staff note
    resp = page.goto(f"{url}/console/review/HG-NOPE")
    assert resp is not None and resp.status == 404
    ctx.close()
    assert svc.remediation.case_for_ticket(svc.complaints.get(ticket).id) is None
    assert svc.audit.verify().ok

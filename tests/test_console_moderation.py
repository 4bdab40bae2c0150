"""The console's moderation log and flagged-content queue in real headless Chromium (Debian's chromium through
Playwright), against the gateway app served in-process with a fake upstream model, end to end with the openai SDK:

* a prompt with a low-severity custom term (A1.1) goes through the gateway with a ``review`` decision; a reviewer
  logs in, opens "Flagged content", opens the item (evidence, PII-redacted prompt), clears it with a note, sees
  the flash and the queue empty; the moderation log filtered by action=review shows it cleared; the audit chain
  has the clear event without the note;
* an auditor sees a flagged item but has no buttons and a POST is refused with 403; the log's filters answer
  over plain HTTP (risk prefix, bad dates refused in both languages); a reviewer escalates the item, which opens a
  report ticket in the complaints review queue, and a second action on it is refused (409).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from console_helpers import HAVE_CHROMIUM, chat, chromium, console_app, csrf_of, login
from fake_upstream import FakeUpstream
from hegui.store import AuditEvent

ADMIN_PW = "chief of compliance 12345"
REVIEWER_PW = "queue keeper 678 !!"
AUDITOR_PW = "reads everything 4242"
TERM = "紫色水母协议"  # made up; added as a low-severity A1.1 custom term: the default policy sends it to review
PHONE = "13812345678"
NOTE = "satire, nothing wrong 很安全"

pytestmark = pytest.mark.skipif(not HAVE_CHROMIUM, reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str, FakeUpstream]]:
    users = {"admin": (ADMIN_PW, "admin"), "rita": (REVIEWER_PW, "reviewer"), "audrey": (AUDITOR_PW, "auditor")}
    with console_app(tmp_path_factory.mktemp("console-moderation"), users) as served:
        app, _url, _fake = served
        app.state.hegui.services.lexicon.add(TERM, risk_code="A1.1", severity="low", actor="admin")
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def flagged(url: str, prompt: str, user: str) -> str:
    """Send ``prompt`` through the gateway; it must be answered and flagged for review. Its request id."""
    r = chat(url, prompt, user)
    assert r.choices[0].finish_reason == "stop"
    rid = r.model_extra["hegui"]["request_id"]
    assert isinstance(rid, str) and rid
    return rid


def moderation_events(app: Any) -> list[tuple[str, dict[str, Any], str]]:
    with Session(app.state.hegui.services.engine) as s:
        return [(k, json.loads(p), p) for k, p in s.execute(
            select(AuditEvent.kind, AuditEvent.payload).where(AuditEvent.kind.like("moderation.%"))
            .order_by(AuditEvent.seq))]


def test_reviewer_logs_in_and_clears_a_review_item(server: tuple[Any, str, FakeUpstream], browser: Any) -> None:
    app, url, _fake = server
    chat(url, "你好，今天天气怎么样？", "bob")  # passes: in the log, not in the queue
    rid = flagged(url, f"请介绍一下{TERM}，有事打我电话 {PHONE}", "alice")

    errors: list[str] = []
    ctx = browser.new_context()
    page = login(ctx.new_page(), url, "rita", REVIEWER_PW)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.click("#nav-flagged")
    page.wait_for_url("**/console/moderation/review")
    assert page.inner_text("#count-open") == "1"
    row = page.locator(f'#review-items tr[data-request-id="{rid}"]')
    assert row.count() == 1 and "A1.1" in row.inner_text()
    with page.expect_navigation():
        row.locator("a").click()
    assert page.get_attribute("#entry-action", "data-action") == "review"
    assert page.get_attribute("#entry-review", "data-status") == "open"
    stage = page.locator('#entry-stages tr[data-stage="input"]')
    assert stage.get_attribute("data-action") == "review"
    assert "A1.1" in stage.inner_text() and "custom_terms" in stage.inner_text()
    prompt = page.inner_text("#entry-prompt")
    assert TERM in prompt and PHONE not in prompt  # the content log keeps the prompt PII-redacted
    assert "Clear" in page.inner_text("#clear-form") and page.locator("#escalate-form").count() == 1

    page.fill("#clear-form textarea[name=note]", NOTE)
    with page.expect_navigation():
        page.click("#clear")
    assert "Review item cleared" in page.inner_text("#flash")
    assert page.get_attribute("#entry-review", "data-status") == "cleared"
    assert "rita" in page.inner_text("#entry-review") and page.locator("#clear-form").count() == 0

    page.click("#nav-flagged")
    page.wait_for_url("**/console/moderation/review")
    assert page.locator("#review-empty").count() == 1 and page.inner_text("#count-open") == "0"
    assert page.inner_text("#count-cleared") == "1"
    with page.expect_navigation():
        page.click("#tab-cleared")
    assert page.locator(f'#review-items tr[data-request-id="{rid}"]').count() == 1

    page.click("#nav-moderation")
    page.wait_for_url("**/console/moderation")
    assert page.locator("#mod-entries tbody tr").count() >= 2
    page.select_option("#mod-filter select[name=action]", "review")
    with page.expect_navigation():
        page.click("#mod-apply")
    assert "action=review" in page.url
    rows = page.locator("#mod-entries tbody tr")
    assert rows.count() == 1 and page.get_attribute("#mod-total", "data-total") == "1"
    assert rows.first.get_attribute("data-request-id") == rid
    assert rows.first.locator(".review-status").inner_text() == "cleared"
    ctx.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors

    events = moderation_events(app)
    assert [(k, p["exchange_request_id"], p["actor"]) for k, p, _ in events] == [
        ("moderation.review_cleared", rid, "rita")]
    assert "satire" not in events[0][2] and "很安全" not in events[0][2]  # only the note's hash
    assert app.state.hegui.services.audit.verify().ok


def test_auditor_reads_but_cannot_act_and_a_reviewer_escalates(
        server: tuple[Any, str, FakeUpstream], browser: Any) -> None:
    app, url, _fake = server
    rid = flagged(url, f"{TERM}是什么？", "carol")
    link = f"{url}/console/moderation/{quote(rid, safe='')}"

    ctx = browser.new_context()
    page = login(ctx.new_page(), url, "audrey", AUDITOR_PW)
    page.goto(f"{url}/console/moderation/review")
    assert page.locator("#read-only").count() == 1
    assert page.locator(f'#review-items tr[data-request-id="{rid}"]').count() == 1
    page.goto(link)
    assert page.get_attribute("#entry-review", "data-status") == "open"
    assert page.locator("#clear-form").count() == 0 and page.locator("#escalate-form").count() == 0
    assert page.locator("#read-only").count() == 1
    cookies = {c["name"]: c["value"] for c in ctx.cookies()}
    token = csrf_of(page)
    with httpx.Client(base_url=url, cookies=cookies, timeout=30, follow_redirects=False) as c:
        for action in ("clear", "escalate"):
            r = c.post(f"/console/moderation/{quote(rid, safe='')}/{action}", headers={"X-CSRF-Token": token},
                       data={"note": "x", "category": "illegal"})
            assert r.status_code == 403
        # the log's filters over plain HTTP
        r = c.get("/console/moderation", params={"risk": "A1", "status": "open"})
        assert r.status_code == 200 and f'data-request-id="{rid}"' in r.text
        r = c.get("/console/moderation", params={"risk": "A2"})
        assert r.status_code == 200 and 'id="mod-empty"' in r.text
        r = c.get("/console/moderation", params={"since": "yesterday"})
        assert r.status_code == 400 and "YYYY-MM-DD" in r.text and "日期" in r.text
        r = c.get("/console/moderation", params={"risk": "A1%"})
        assert r.status_code == 400 and "risk code" in r.text and "风险代码" in r.text
        r = c.get("/console/moderation/no-such-request")
        assert r.status_code == 404
    ctx.close()
    assert moderation_events(app)[-1][0] == "moderation.review_cleared"  # nothing new from the auditor

    ctx = browser.new_context()
    page = login(ctx.new_page(), url, "rita", REVIEWER_PW)
    page.goto(link)
    page.select_option("#escalate-category", "illegal")
    with page.expect_navigation():
        page.click("#escalate")
    assert "Escalated" in page.inner_text("#flash")
    assert page.get_attribute("#entry-review", "data-status") == "escalated"
    number = page.inner_text("#entry-ticket")
    with page.expect_navigation():
        page.click("#entry-ticket")
    assert page.url.endswith(f"/console/review/{number}")
    assert TERM in page.inner_text("#answer-prompt")  # the report ticket shows the reported exchange
    page.click("#nav-review")
    page.wait_for_url("**/console/review")
    assert page.locator(f'#tickets tr[data-ticket="{number}"]').count() == 1
    cookies = {c["name"]: c["value"] for c in ctx.cookies()}
    r = httpx.post(f"{link}/clear", cookies=cookies, headers={"X-CSRF-Token": csrf_of(page)}, timeout=30)
    assert r.status_code == 409 and "already closed" in r.text and "已处理" in r.text
    ctx.close()

    svc = app.state.hegui.services
    kind, payload, _ = moderation_events(app)[-1]
    assert kind == "moderation.review_escalated" and payload["ticket_number"] == number
    assert payload["exchange_request_id"] == rid and payload["actor"] == "rita"
    ticket = svc.complaints.get(number)
    assert ticket is not None and ticket.request_id == rid and ticket.kind == "report_output"
    assert ticket.category == "illegal" and ticket.channel == "provider"
    assert svc.moderation.counts().escalated == 1
    assert svc.audit.verify().ok

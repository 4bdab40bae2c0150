"""The console's word-library page in real headless Chromium (Debian's chromium through Playwright), against the
gateway app served in-process with a fake upstream model, end to end with the openai SDK:

* a prompt with a made-up term passes; an admin adds the term in the console, "test this text" shows block, and the
  same prompt is refused at the gateway; the admin removes the term and the prompt passes again;
* a reviewer sees the page (read-only, the test box works) but a POST to add is refused with 403.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from console_helpers import HAVE_CHROMIUM, chat, chromium, console_app, csrf_of, login
from fake_upstream import FakeUpstream
from hegui.store import AuditEvent

ADMIN_PW = "chief of compliance 12345"
REVIEWER_PW = "queue keeper 678 !!"
TERM = "蓝色独角鲸计划"
PROMPT = "请介绍一下蓝色独角鲸计划"

pytestmark = pytest.mark.skipif(not HAVE_CHROMIUM, reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str, FakeUpstream]]:
    with console_app(tmp_path_factory.mktemp("console-lexicon"), {"admin": (ADMIN_PW, "admin"), "rita": (REVIEWER_PW, "reviewer")}) as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def test_admin_adds_a_term_and_the_gateway_blocks_it_until_removed(
        server: tuple[Any, str, FakeUpstream], browser: Any) -> None:
    app, url, _fake = server
    assert chat(url, PROMPT, "alice").choices[0].finish_reason == "stop"

    errors: list[str] = []
    ctx = browser.new_context()
    page = login(ctx.new_page(), url, "admin", ADMIN_PW)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.click("#nav-lexicon")
    page.wait_for_url("**/console/lexicon")
    assert page.locator("#lex-empty").count() == 1
    version0 = int(page.inner_text("#lex-version"))
    assert int(page.inner_text("#lex-shipped")) > 10_000

    page.fill("#lex-test-form textarea", PROMPT)
    with page.expect_navigation():
        page.click("#lex-test")
    assert page.get_attribute("#lex-result-action", "data-action") == "pass"

    page.fill("#lex-add-form input[name=term]", TERM)
    page.select_option("#lex-add-form select[name=risk_code]", "A1.1")
    page.select_option("#lex-add-form select[name=severity]", "high")
    page.fill("#lex-add-form input[name=note]", "made-up test term")
    with page.expect_navigation():
        page.click("#lex-add")
    assert "Term added" in page.inner_text("#flash")
    row = page.locator(f'tr[data-term="{TERM}"]')
    assert row.count() == 1 and "admin" in row.inner_text() and "A1.1" in row.inner_text()
    assert int(page.inner_text("#lex-version")) == version0 + 1

    page.fill("#lex-test-form textarea", PROMPT)
    with page.expect_navigation():
        page.click("#lex-test")
    assert page.get_attribute("#lex-result-action", "data-action") == "block"
    findings = page.inner_text("#lex-findings")
    assert "custom_terms" in findings and "A1.1" in findings and TERM in findings

    blocked = chat(url, PROMPT, "alice")
    assert blocked.choices[0].finish_reason == "content_filter"

    page.goto(f"{url}/console/lexicon")
    with page.expect_navigation():
        page.locator(f'tr[data-term="{TERM}"] .remove-form button').click()
    assert "Term removed" in page.inner_text("#flash")
    assert page.locator(f'tr[data-term="{TERM}"]').count() == 0
    assert int(page.inner_text("#lex-version")) == version0 + 2
    ctx.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors

    assert chat(url, PROMPT, "alice").choices[0].finish_reason == "stop"
    svc = app.state.hegui.services
    with Session(svc.engine) as s:
        kinds = list(s.scalars(select(AuditEvent.kind).where(AuditEvent.kind.like("lexicon.%")).order_by(AuditEvent.seq)))
    assert kinds == ["lexicon.added", "lexicon.removed"]
    assert svc.audit.verify().ok


def test_reviewer_reads_the_page_but_cannot_add(server: tuple[Any, str, FakeUpstream], browser: Any) -> None:
    _app, url, _fake = server
    ctx = browser.new_context()
    page = login(ctx.new_page(), url, "rita", REVIEWER_PW)
    page.goto(f"{url}/console/lexicon")
    assert page.locator("#read-only").count() == 1
    assert page.locator("#lex-add-form").count() == 0
    page.fill("#lex-test-form textarea", "你好")
    with page.expect_navigation():
        page.click("#lex-test")
    assert page.get_attribute("#lex-result-action", "data-action") == "pass"
    cookies = {c["name"]: c["value"] for c in ctx.cookies()}
    r = httpx.post(f"{url}/console/lexicon", cookies=cookies, headers={"X-CSRF-Token": csrf_of(page)},
                   data={"term": TERM, "risk_code": "A1.1", "severity": "high"}, timeout=30)
    assert r.status_code == 403
    ctx.close()

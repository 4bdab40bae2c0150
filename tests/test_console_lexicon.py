"""The console's word-library page in real headless Chromium (Debian's chromium through Playwright), against the
gateway app served in-process with a fake upstream model, end to end with the openai SDK:

* a prompt with a made-up term passes; an admin adds the term in the console, "test this text" shows block, and the
  same prompt is refused at the gateway; the admin removes the term and the prompt passes again;
* a reviewer sees the page (read-only, the test box works) but a POST to add is refused with 403.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from fake_upstream import FakeUpstream, ServerThread
from hegui.gateway.app import create_app
from hegui.gateway.settings import load_settings
from hegui.store import AuditEvent

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ADMIN_PW = "chief of compliance 12345"
REVIEWER_PW = "queue keeper 678 !!"
TERM = "蓝色独角鲸计划"
PROMPT = "请介绍一下蓝色独角鲸计划"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str, FakeUpstream]]:
    tmp = tmp_path_factory.mktemp("console-lexicon")
    fake = FakeUpstream()
    with ServerThread(fake.app) as up:
        cfg = tmp / "hegui.yaml"
        cfg.write_text(f"upstreams: [{{name: fake, base_url: '{up.url}/v1', models: [fake]}}]\n", encoding="utf-8")
        settings = load_settings(cfg, env={"HEGUI_DATA_DIR": str(tmp / ".hegui")})
        app = create_app(settings)
        with ServerThread(app) as srv:
            services = app.state.hegui.services
            services.console.create_user("admin", ADMIN_PW, "admin")
            services.console.create_user("rita", REVIEWER_PW, "reviewer")
            yield app, srv.url, fake


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def login(page: Any, base: str, username: str, password: str) -> Any:
    page.goto(f"{base}/console/login?lang=en")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("#login-submit")
    assert page.url.endswith("/console/"), page.url
    return page


def chat(url: str, text: str, user: str) -> Any:
    c = openai.OpenAI(base_url=url + "/v1", api_key="demo", max_retries=0)
    return c.chat.completions.create(model="fake", messages=[{"role": "user", "content": text}], user=user)


def csrf_of(page: Any) -> str:
    token = page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token']")
    assert isinstance(token, str) and token
    return token


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

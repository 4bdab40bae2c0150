"""The console's similar-text library, policy and word-library history pages, against the gateway app served
in-process with a fake upstream model: in real headless Chromium (Debian's chromium through Playwright) where the
browser matters, with a plain HTTP client elsewhere.

* an admin adds a black entry for a made-up sentence; "test this text" shows block with the match and its score;
  the sentence and a close paraphrase are refused at the gateway (openai SDK); removed, both pass again; the
  audit log has ``similar.added`` / ``similar.removed`` without the text;
* the policy page shows the effective-action matrix computed by the real decision code (and per detector); a bad
  YAML pasted into the validation form shows its problems with line numbers in both languages; a valid changed
  policy shows the diff of effective actions;
* a reviewer reads both pages but gets 403 on add, remove and validate; the word library's history lists every
  change with its version.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from console_helpers import HAVE_CHROMIUM, chat, chromium, console_app, login
from fake_upstream import FakeUpstream
from hegui.policy import default_policy_text
from hegui.store import AuditEvent

ADMIN_PW = "chief of compliance 12345"
REVIEWER_PW = "queue keeper 678 !!"
AUDITOR_PW = "read only auditor 4242"
TEXT = "紫色章鱼联盟将于下周三在月球背面秘密集会并发布行动纲领"
PARAPHRASE = "请问：紫色章鱼联盟将于下周三在月球背面秘密集会，并发布行动纲领吗？"
BAD_POLICY = """version: "1"
name: bad
stages:
  input:
    rules:
      - {risks: A1, action: explode}
      - {risks: Q9, action: block}
  output:
    rules: []
"""

pytestmark = pytest.mark.skipif(not HAVE_CHROMIUM, reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str, FakeUpstream]]:
    users = {"admin": (ADMIN_PW, "admin"), "rita": (REVIEWER_PW, "reviewer"), "audrey": (AUDITOR_PW, "auditor")}
    with console_app(tmp_path_factory.mktemp("console-similar-policy"), users) as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@contextlib.contextmanager
def http_login(url: str, username: str, password: str) -> Iterator[tuple[httpx.Client, str]]:
    """A plain HTTP client signed in by posting the login form, and the session's CSRF token."""
    with httpx.Client(base_url=url, timeout=30) as c:
        form = c.get("/console/login?lang=en")
        found = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert found, form.text
        r = c.post("/console/login", data={"csrf": found.group(1), "username": username, "password": password})
        assert r.status_code == 303, r.text
        home = c.get("/console/")
        token = re.search(r'"X-CSRF-Token": "([^"]+)"', home.text)
        assert token, home.text
        yield c, token.group(1)


def _cell(page: Any, code: str, stage: str, severity: str) -> str:
    got = page.get_attribute(f'#pol-matrix tr[data-code="{code}"] td[data-stage="{stage}"][data-severity="{severity}"] '
                             "[data-action]", "data-action")
    assert isinstance(got, str)
    return got


def test_admin_adds_a_similar_entry_and_the_gateway_blocks_it_until_removed(
        server: tuple[Any, str, FakeUpstream], browser: Any) -> None:
    app, url, _fake = server
    assert chat(url, TEXT, "alice").choices[0].finish_reason == "stop"
    assert chat(url, PARAPHRASE, "alice").choices[0].finish_reason == "stop"

    errors: list[str] = []
    ctx = browser.new_context()
    page = login(ctx.new_page(), url, "admin", ADMIN_PW)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.click("#nav-similar")
    page.wait_for_url("**/console/similar")
    assert page.locator("#sim-empty").count() == 1
    assert page.inner_text('#sim-sizes tr[data-origin="console"] td[data-kind="total"]') == "0"
    total0 = int(page.inner_text("#sim-total"))

    # refused with a bilingual reason, the form kept
    page.fill("#sim-add-form textarea[name=text]", TEXT)
    page.select_option("#sim-add-form select[name=kind]", "black")
    page.select_option("#sim-add-form select[name=risk_code]", "")
    with page.expect_navigation():
        page.click("#sim-add")
    err = page.inner_text("#sim-error")
    assert "needs a risk code" in err and "需要风险代码" in err
    assert page.input_value("#sim-add-form textarea[name=text]") == TEXT

    page.select_option("#sim-add-form select[name=risk_code]", "A1.1")
    page.select_option("#sim-add-form select[name=severity]", "high")
    page.fill("#sim-add-form input[name=note]", "made-up test sentence")
    with page.expect_navigation():
        page.click("#sim-add")
    assert "Entry added" in page.inner_text("#flash")
    row = page.locator('#sim-entries tr[data-kind="black"]')
    assert row.count() == 1 and TEXT in row.inner_text() and "A1.1" in row.inner_text() and "admin" in row.inner_text()
    entry_id = row.get_attribute("data-entry-id")
    assert entry_id
    assert page.inner_text('#sim-sizes tr[data-origin="console"] td[data-kind="black"]') == "1"
    assert int(page.inner_text("#sim-total")) == total0 + 1
    assert page.inner_text("#sim-version") == "1"
    assert page.locator('#sim-history tr[data-version="1"][data-action="added"]').count() == 1

    page.fill("#sim-test-form textarea", PARAPHRASE)
    with page.expect_navigation():
        page.click("#sim-test")
    assert page.get_attribute("#sim-result-action", "data-action") == "block"
    match = page.locator(f'#sim-matches tr[data-entry-id="con-{entry_id}"]')
    assert match.count() == 1
    cells = match.locator("td").all_inner_texts()
    assert "black" in cells and "A1.1" in cells and "similar" in cells
    assert 0.5 <= float(cells[5]) <= 1.0  # the score
    assert "similar" in page.inner_text("#sim-findings")

    assert chat(url, TEXT, "alice").choices[0].finish_reason == "content_filter"
    assert chat(url, PARAPHRASE, "bob").choices[0].finish_reason == "content_filter"

    page.goto(f"{url}/console/similar")
    with page.expect_navigation():
        page.locator(f'#sim-entries tr[data-entry-id="{entry_id}"] .remove-form button').click()
    assert "Entry removed" in page.inner_text("#flash")
    assert page.locator("#sim-empty").count() == 1
    assert page.inner_text("#sim-version") == "2"
    assert page.locator('#sim-history tr[data-version="2"][data-action="removed"]').count() == 1
    ctx.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors

    assert chat(url, TEXT, "carol").choices[0].finish_reason == "stop"
    assert chat(url, PARAPHRASE, "carol").choices[0].finish_reason == "stop"
    svc = app.state.hegui.services
    with Session(svc.engine) as s:
        rows = list(s.execute(select(AuditEvent.kind, AuditEvent.payload)
                              .where(AuditEvent.kind.like("similar.%")).order_by(AuditEvent.seq)))
    assert [k for k, _ in rows] == ["similar.added", "similar.removed"]
    assert all(TEXT not in str(p) and "made-up" not in str(p) for _, p in rows)
    assert svc.audit.verify().ok


def test_policy_page_matrix_and_validation(server: tuple[Any, str, FakeUpstream], browser: Any) -> None:
    app, url, _fake = server
    errors: list[str] = []
    ctx = browser.new_context()
    page = login(ctx.new_page(), url, "admin", ADMIN_PW)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.click("#nav-policy")
    page.wait_for_url("**/console/policy")
    policy = app.state.hegui.moderator.policy
    assert page.inner_text("#pol-name") == policy.name and page.inner_text("#pol-version") == policy.version
    assert page.locator("#pol-reload-note").count() == 1
    # the default policy, as its file says (docs/policy.md)
    assert _cell(page, "A1.1", "input", "high") == "block"
    assert _cell(page, "A1.1", "input", "low") == "review"
    assert _cell(page, "A1.1", "output", "medium") == "block"
    assert _cell(page, "A4.6", "input", "low") == "pass"
    assert _cell(page, "A4.6", "output", "low") == "redact"
    assert _cell(page, "A5.1", "input", "medium") == "pass"
    assert page.locator("#pol-matrix tbody tr").count() >= 31
    assert page.locator('#pol-matrix td[data-stage="input"][data-severity="high"] .badge.danger').count() > 0
    assert page.locator('#pol-rules-input tr[data-rule="in-a1-high"]').count() == 1
    assert page.locator('#pol-rules-output tr[data-rule="out-pii"]').count() == 1
    assert "in-similar-black" in (page.text_content("#pol-source") or "")
    # per detector: the similar-text library's rules block what the category rules pass
    page.select_option("#pol-detector-form select[name=detector]", "similar")
    with page.expect_navigation():
        page.click("#pol-detector-show")
    assert page.get_attribute("#pol-matrix", "data-detector") == "similar"
    assert _cell(page, "A5.1", "input", "medium") == "block"
    assert _cell(page, "A5.1", "input", "low") == "review"

    page.fill("#pol-validate-form textarea", BAD_POLICY)
    with page.expect_navigation():
        page.click("#pol-validate")
    assert page.locator("#pol-invalid").count() == 1
    assert page.locator('#pol-problems tr[data-line="6"]').count() == 1
    assert page.locator('#pol-problems tr[data-line="7"]').count() == 1
    line6 = page.inner_text('#pol-problems tr[data-line="6"]')
    assert "explode" in line6 and "取值无效" in line6 and "invalid value" in line6
    assert page.input_value("#pol-validate-form textarea") == BAD_POLICY

    changed = default_policy_text().replace("{id: in-a5, risks: A5, action: pass}", "{id: in-a5, risks: A5, action: review}")
    assert changed != default_policy_text()
    page.fill("#pol-validate-form textarea", changed)
    with page.expect_navigation():
        page.click("#pol-validate")
    assert page.locator("#pol-valid").count() == 1
    diff = page.locator("#pol-diff tbody tr")
    n_a5 = sum(1 for code in ("A5.1", "A5.2") if page.locator(f'#pol-matrix tr[data-code="{code}"]').count())
    assert diff.count() == 3 * n_a5 == int(page.get_attribute("#pol-diff-count", "data-count") or "0")
    one = page.locator('#pol-diff tr[data-code="A5.1"][data-stage="input"][data-severity="low"]')
    assert one.count() == 1
    assert [one.locator("td [data-action]").nth(i).get_attribute("data-action") for i in (0, 1)] == ["pass", "review"]

    page.fill("#pol-validate-form textarea", default_policy_text())
    with page.expect_navigation():
        page.click("#pol-validate")
    assert page.locator("#pol-no-diff").count() == 1
    ctx.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors
    assert app.state.hegui.moderator.policy is policy  # validation never loads anything


def test_reviewer_reads_but_may_not_act_and_lexicon_history(server: tuple[Any, str, FakeUpstream]) -> None:
    app, url, _fake = server
    svc = app.state.hegui.services
    entry = svc.similar.add("另一条用于权限测试的虚构句子，内容没有任何实际含义", kind="suspect", risk_code="A5.1",
                            severity="low", actor="admin")
    with http_login(url, "rita", REVIEWER_PW) as (rita, token):
        page = rita.get("/console/similar?lang=en")
        assert page.status_code == 200 and 'id="read-only"' in page.text and 'id="sim-add-form"' not in page.text
        assert f'data-entry-id="{entry.id}"' in page.text
        r = rita.post("/console/similar", headers={"X-CSRF-Token": token},
                      data={"text": "reviewers may not add", "kind": "black", "risk_code": "A1.1", "severity": "high"})
        assert r.status_code == 403
        assert rita.post(f"/console/similar/{entry.id}/remove", headers={"X-CSRF-Token": token}).status_code == 403
        assert rita.post("/console/policy/validate", headers={"X-CSRF-Token": token},
                         data={"policy": BAD_POLICY}).status_code == 403
        pol = rita.get("/console/policy")
        assert pol.status_code == 200 and 'id="pol-admin-only"' in pol.text and 'id="pol-validate-form"' not in pol.text
        r = rita.post("/console/similar/test", headers={"X-CSRF-Token": token}, data={"text": "你好"})
        assert r.status_code == 200 and 'data-action="pass"' in r.text
        assert rita.post("/console/similar/test", data={"text": "你好"}).status_code == 403  # no CSRF token
    kept = svc.similar.get(entry.id)
    assert kept is not None and kept.active

    with http_login(url, "admin", ADMIN_PW) as (admin, atoken):
        assert admin.get("/console/lexicon/history").text.count('id="lexh-empty"') == 1
        r = admin.post("/console/lexicon", headers={"X-CSRF-Token": atoken},
                       data={"term": "绿色海象行动", "risk_code": "A1.1", "severity": "high"})
        assert r.status_code == 303
        term = svc.lexicon.list()[-1]
        assert admin.post(f"/console/lexicon/{term.id}/remove", headers={"X-CSRF-Token": atoken}).status_code == 303
        assert admin.post(f"/console/similar/{entry.id}/remove", headers={"X-CSRF-Token": atoken}).status_code == 303
        assert admin.post("/console/similar/nope/remove", headers={"X-CSRF-Token": atoken}).status_code == 404
        r = admin.post("/console/policy/validate", headers={"X-CSRF-Token": atoken}, data={"policy": "  "})
        assert r.status_code == 400 and "paste a policy" in r.text.lower()
        r = admin.post("/console/policy/validate", headers={"X-CSRF-Token": atoken}, data={"policy": BAD_POLICY})
        assert r.status_code == 422 and 'data-line="6"' in r.text

    with http_login(url, "audrey", AUDITOR_PW) as (audrey, _token):
        hist = audrey.get("/console/lexicon/history?lang=en")
        assert hist.status_code == 200
        rows = re.findall(r'<tr data-version="(\d+)" data-action="(\w+)" data-entry-id="(\w+)"', hist.text)
        assert rows[:2] == [(str(svc.lexicon.version()), "removed", term.id),
                            (str(svc.lexicon.version() - 1), "added", term.id)]
        assert "绿色海象行动" in hist.text and "admin" in hist.text
        assert audrey.get("/console/similar").status_code == 200
        assert audrey.get("/console/policy").status_code == 200

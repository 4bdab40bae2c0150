"""The console's remediation cases, personal-information requests and complaint workflow, against the gateway app
served in-process in front of a fake upstream model (one server for the module):

* a report confirmed in the console shows as a remediation case due in three months; a reviewer runs the
  regression check from the console in real headless Chromium: it fails (and shows the failing prompts) while the
  fake model still repeats the content, and passes, marking the case fixed, once it stops; the training data and
  the regulator's CSV download (plain HTTP);
* an admin records a personal-information request received by letter (the identity is checked by the service),
  sees it in the list and carries it out: a block request makes the gateway mask the person's data at once, an
  access request downloads the copy; a reviewer gets 403 and an auditor reads without acting;
* a complaint goes received -> triage -> in review -> decided from the ticket page, then is appealed by the
  complainant, taken back into review and decided again.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from console_helpers import HAVE_CHROMIUM, chat, chromium, login
from fake_upstream import FakeUpstream, ServerThread
from hegui.console.i18n import MESSAGES
from hegui.console.kit import when
from hegui.console.pages.remediation import checks_chart
from hegui.console.pages.review import NEXT_STATES
from hegui.detectors.pii.idcard import id_check_char
from hegui.gateway.app import create_app
from hegui.gateway.settings import load_settings
from hegui.services import Services
from hegui.services.complaints import _EDGES, STATES
from hegui.services.identity import FakeIdentityProvider
from hegui.services.privacy import CHANGE_FIELDS, REQUEST_KINDS

ADMIN_PW = "chief of compliance 12345"
REVIEWER_PW = "queue keeper 678 !!"
AUDITOR_PW = "reads everything 4242"
RUMOR = "根据内部消息，蓝海银行下周就要破产倒闭了，赶紧把钱取出来。"  # passes moderation: a rumour, not a keyword
NAME = "王小红"
FIRST17 = "11010519850612" + "347"
ID_NUMBER = FIRST17 + id_check_char(FIRST17)
DEMO = {"Authorization": "Bearer demo"}
needs_chromium = pytest.mark.skipif(not HAVE_CHROMIUM, reason="Debian's chromium is not installed")


class Served:
    def __init__(self, app: Any, url: str, fake: FakeUpstream, svc: Services) -> None:
        self.app, self.url, self.fake, self.svc = app, url, fake, svc


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("console-remediation")
    fake = FakeUpstream()
    with ServerThread(fake.app) as up:
        cfg = tmp / "hegui.yaml"
        cfg.write_text(f"upstreams: [{{name: fake, base_url: '{up.url}/v1', models: [fake]}}]\n", encoding="utf-8")
        st = load_settings(cfg, env={"HEGUI_DATA_DIR": str(tmp / ".hegui")})
        svc = Services.open(st.store_url, secret_key=st.secret_key, data_dir=st.data_dir,
                            identity_provider=FakeIdentityProvider({(NAME, ID_NUMBER): True}))
        app = create_app(st, services=svc)
        with ServerThread(app) as srv:
            for name, (password, role) in {"admin": (ADMIN_PW, "admin"), "rita": (REVIEWER_PW, "reviewer"),
                                           "audrey": (AUDITOR_PW, "auditor")}.items():
                svc.console.create_user(name, password, role)
            yield Served(app, srv.url, fake, svc)
        svc.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def http_login(url: str, username: str, password: str) -> tuple[httpx.Client, str]:
    """A plain HTTP client signed in to the console by the login form, and its session's CSRF token."""
    c = httpx.Client(base_url=url, timeout=60, follow_redirects=False)
    page = c.get("/console/login?lang=en")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    r = c.post("/console/login", data={"csrf": token.group(1), "username": username, "password": password})
    assert r.status_code == 303 and r.headers["location"].endswith("/console/"), r.text
    home = c.get("/console/")
    csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', home.text)
    assert home.status_code == 200 and csrf is not None
    return c, csrf.group(1)


def file_complaint(url: str, description: str) -> str:
    r = httpx.post(url + "/v1/hegui/complaints", headers=DEMO, timeout=30,
                   json={"kind": "complaint", "category": "service", "description": description, "user": "zoe"})
    assert r.status_code == 201, r.text
    number = r.json()["ticket"]
    assert isinstance(number, str)
    return number


# ------------------------------------------------------------------------------------------ remediation cases

@needs_chromium
def test_confirmed_report_becomes_a_case_and_the_console_check_closes_it(server: Served, browser: Any) -> None:
    url, fake, svc = server.url, server.fake, server.svc
    fake.canned["蓝海银行"] = RUMOR
    first = chat(url, "蓝海银行最近怎么样？", "alice")
    assert RUMOR in (first.choices[0].message.content or "")
    rep = httpx.post(url + "/v1/hegui/reports", headers=DEMO, timeout=30, json={
        "request_id": first.model_extra["hegui"]["request_id"], "category": "false_info", "description": "谣言"})
    assert rep.status_code == 201, rep.text
    number = rep.json()["ticket"]

    rita, token = http_login(url, "rita", REVIEWER_PW)
    r = rita.post(f"/console/review/{number}/confirm", data={"csrf": token, "risk_code": "A5.1"})
    assert r.status_code == 303, r.text
    case = svc.remediation.case_for_ticket(svc.complaints.get(number).id)
    assert case is not None and case.status == "open"
    assert timedelta(days=88) <= case.due_at - datetime.now(UTC) <= timedelta(days=93)  # three months out

    # the list: the case with its ticket, its deadline (China time) and its timeliness; a bad filter falls back
    listing = rita.get("/console/remediation?status=bogus&lang=en")
    assert listing.status_code == 200 and listing.headers["Content-Security-Policy"].startswith("default-src 'self'")
    row = re.search(rf'<tr data-case="{case.id}" data-ticket="{number}".*?</tr>', listing.text, re.S)
    assert row is not None, listing.text
    assert when(case.due_at) in row.group(0) and 'data-mark="open"' in row.group(0) and "A5.1" in row.group(0)
    assert 'data-status="open"' in row.group(0)
    fixed_list = rita.get("/console/remediation?status=fixed")
    assert f'data-case="{case.id}"' not in fixed_list.text

    # the case page in the browser: facts, the blocked texts, the variants the check replays; run the check
    errors: list[str] = []
    ctx = browser.new_context()
    page = login(ctx.new_page(), url, "rita", REVIEWER_PW)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.click("#nav-remediation")
    page.wait_for_url("**/console/remediation")
    with page.expect_navigation():
        page.locator(f'tr[data-case="{case.id}"] a').click()
    assert page.get_attribute("#case-status", "data-status") == "open"
    assert page.inner_text("#case-ticket") == number
    assert f"rem-{case.id}-answer" in page.inner_text("#case-blocked")
    variants = page.locator("#variants li")
    assert variants.count() == 5 and "蓝海银行" in variants.nth(0).inner_text()
    assert "No checks yet" in page.inner_text("#checks-chart")

    with page.expect_navigation():
        page.click("#run-check")  # the fake model still repeats the rumour
    assert page.get_attribute("#check-result", "data-outcome") == "fail"
    assert "still produces" in page.inner_text("#check-message") and "仍会生成" in page.inner_text("#check-message")
    assert page.locator("#failing-prompts li").count() == 5
    assert int(page.inner_text("#result-violations")) == 15
    assert page.get_attribute("#case-status", "data-status") == "open"
    assert page.locator("#checks tbody tr").count() == 1
    assert page.locator('#checks-chart svg g.check[data-outcome="fail"]').count() == 1

    fake.canned.clear()  # the model team fixed the model: it no longer produces the rumour
    page.goto(f"{url}/console/remediation/{case.id}")
    with page.expect_navigation():
        page.click("#run-check")
    assert "passed" in page.inner_text("#flash") and "通过" in page.inner_text("#flash")
    assert page.get_attribute("#case-status", "data-status") == "fixed"
    assert page.get_attribute("#case-mark", "data-mark") == "on_time"
    assert page.locator("#checks tbody tr").count() == 2
    assert page.locator('#checks-chart svg g.check[data-outcome="pass"]').count() == 1
    ctx.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors
    assert svc.remediation.get_case(case.id).status == "fixed"
    assert [h["outcome"] for h in svc.remediation.check_history(case.id)] == ["fail", "pass"]

    # downloads: the regulator's CSV and the training data, as attachments with the console's headers
    csv = rita.get("/console/remediation/regulator.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.headers["content-disposition"].startswith("attachment;")
    assert csv.headers["X-Frame-Options"] == "DENY" and csv.headers["Cache-Control"] == "no-store"
    lines = csv.text.splitlines()
    assert lines[0].startswith("case_id,ticket_id,") and case.id in lines[1] and ",fixed," in lines[1]
    assert "破产" not in csv.text  # no user content for the regulator
    z = rita.get("/console/remediation/export.zip")
    assert z.status_code == 200 and z.headers["content-disposition"].startswith("attachment;")
    with zipfile.ZipFile(io.BytesIO(z.content)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert manifest["case_ids"] == [case.id] and manifest["files"]["sft.jsonl"]["rows"] == 5
        assert "蓝海银行" in zf.read("sft.jsonl").decode() and "破产" in zf.read("dpo.jsonl").decode()
    opt = httpx.put(url + "/v1/hegui/users/alice/training-opt-out", json={"opt_out": True}, headers=DEMO)
    assert opt.status_code == 200
    with zipfile.ZipFile(io.BytesIO(rita.get("/console/remediation/export.zip").content)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert manifest["excluded_opted_out"] == [case.id] and zf.read("sft.jsonl") == b""

    # an auditor reads and downloads but may not run a check; unknown cases are 404
    audrey, atoken = http_login(url, "audrey", AUDITOR_PW)
    page_a = audrey.get(f"/console/remediation/{case.id}")
    assert page_a.status_code == 200 and 'id="run-check"' not in page_a.text and 'id="read-only"' in page_a.text
    assert audrey.post(f"/console/remediation/{case.id}/check", data={"csrf": atoken}).status_code == 403
    assert audrey.get("/console/remediation/regulator.csv").status_code == 200
    assert rita.get("/console/remediation/nope").status_code == 404
    assert rita.post("/console/remediation/nope/check", data={"csrf": token}).status_code == 404
    assert rita.post(f"/console/remediation/{case.id}/check", data={}).status_code == 403  # no CSRF token
    events = svc.audit.recent(200)
    kinds = [e.kind for e in events]
    assert "remediation.check" in kinds and "remediation.fixed" in kinds and "remediation.export" in kinds
    checks = [e for e in events if e.kind == "remediation.check"]
    assert len(checks) == 2 and {e.actor for e in checks} == {"rita"}  # who ran each check is in the chain
    assert svc.audit.verify().ok
    rita.close()
    audrey.close()


def test_the_check_is_reported_unavailable_without_the_gateway_hook(server: Served) -> None:
    url, svc, app = server.url, server.svc, server.app
    case = svc.remediation.confirm(  # a case of its own (the service level), whatever ran before
        ticket_id="t-hook-test", request_id="hg-hook-test", prompt="hook test prompt 7f3a",
        answer="hook test answer 7f3a, never said by anyone", risk_code="A5.1", reviewer="rita",
        end_user_opted_out=False)
    cases = [case]
    rita, token = http_login(url, "rita", REVIEWER_PW)
    hook = app.state.console_regression
    del app.state.console_regression
    try:
        page = rita.get(f"/console/remediation/{cases[0].id}?lang=en")
        assert 'id="check-unavailable"' in page.text and 'id="run-check"' not in page.text
        r = rita.post(f"/console/remediation/{cases[0].id}/check", data={"csrf": token})
        assert r.status_code == 503 and "not available" in r.text and "无法运行" in r.text
    finally:
        app.state.console_regression = hook
    rita.close()


def test_checks_chart_is_inline_svg_without_style() -> None:
    history = [{"ran_at": "2025-06-01T04:00:00+00:00", "outcome": "fail", "prompts": 5, "attempts": 15,
                "violations": 15},
               {"ran_at": "2025-06-02T04:00:00+00:00", "outcome": "pass", "prompts": 5, "attempts": 15,
                "violations": 0}]
    svg = checks_chart(history, title="<t>", empty="none", lang="en")
    assert svg.startswith("<svg") and "style" not in svg and "<script" not in svg and "&lt;t&gt;" in svg
    assert svg.count('<g class="check"') == 2 and 'height="100"' in svg  # 100 % violating: the full column
    assert "2025-06-01 12:00" in svg  # China time
    assert "none" in checks_chart([], title="t", empty="none", lang="en")


# ------------------------------------------------------------------------------- personal-information requests

def test_admin_records_and_carries_out_personal_information_requests(server: Served) -> None:
    url, fake, svc = server.url, server.fake, server.svc
    api = httpx.Client(base_url=url, headers=DEMO, timeout=30)
    assert api.post("/v1/hegui/users", json={"external_id": "wxh"}).status_code == 201
    assert api.post("/v1/hegui/users/wxh/verify", json={"name": NAME, "id_number": ID_NUMBER}).status_code == 200
    found = [u for u in svc.users.list_users(limit=1000) if u.external_id == "wxh"]
    assert len(found) == 1
    account_id, user_id = found[0].account_id, found[0].id

    rita, rtoken = http_login(url, "rita", REVIEWER_PW)
    assert rita.get("/console/privacy").status_code == 403  # personal information: not for reviewers
    assert rita.post("/console/privacy", data={"csrf": rtoken, "kind": "block"}).status_code == 403
    rita.close()

    admin, token = http_login(url, "admin", ADMIN_PW)
    # a forged identity is refused, bilingually, and nothing is stored
    bad = admin.post("/console/privacy?lang=en", data={
        "csrf": token, "kind": "block", "account_id": account_id, "external_id": "wxh", "name": "李四",
        "id_number": ID_NUMBER})
    assert bad.status_code == 403 and "could not confirm" in bad.text and "无法确认" in bad.text
    assert ID_NUMBER not in bad.text  # the proof is not echoed back
    assert svc.privacy.list() == []
    missing = admin.post("/console/privacy?lang=en", data={"csrf": token, "kind": "block", "account_id": ""})
    assert missing.status_code == 400 and "account id" in missing.text

    # a block request received by letter: recorded, listed as open with its deadline, carried out
    r = admin.post("/console/privacy", data={"csrf": token, "kind": "block", "account_id": account_id,
                                              "external_id": "wxh", "name": NAME, "id_number": ID_NUMBER})
    assert r.status_code == 303, r.text
    req_id = r.headers["location"].split("/console/privacy/")[1].split("?")[0]
    listing = admin.get("/console/privacy?lang=en")
    row = re.search(rf'<tr data-request="{req_id}".*?</tr>', listing.text, re.S)
    assert row is not None and "blocking" in row.group(0) and 'data-status="open"' in row.group(0)
    req = svc.privacy.get(req_id)
    assert req is not None and when(req.due_at) in row.group(0) and user_id[:8] in row.group(0)
    assert NAME not in listing.text and ID_NUMBER not in listing.text
    assert f'data-request="{req_id}"' not in admin.get("/console/privacy?status=completed").text
    assert f'data-request="{req_id}"' in admin.get("/console/privacy?kind=block").text
    assert f'data-request="{req_id}"' not in admin.get("/console/privacy?kind=delete").text

    fake.canned["档案"] = f"{NAME}的身份证号是{ID_NUMBER}，住在北京。"
    leaked = chat(url, "给我看看她的档案", "someone-else").choices[0].message.content or ""
    assert NAME in leaked  # not blocked yet (the ID number is masked as PII anyway)
    detail = admin.get(f"/console/privacy/{req_id}?lang=en")
    assert detail.status_code == 200 and 'id="execute"' in detail.text and 'id="receipt"' not in detail.text
    done = admin.post(f"/console/privacy/{req_id}/execute", data={"csrf": token})
    assert done.status_code == 303 and done.headers["location"].endswith("?done=pi_executed")
    page = admin.get(done.headers["location"] + "&lang=en")
    assert "Request carried out" in page.text and 'id="pi-status" data-status="completed"' in page.text
    assert re.search(r'<tr data-store="blocked_pi" data-action="blocked"><td><code>blocked_pi</code></td><td>2</td>',
                     page.text), page.text
    out = chat(url, "给我看看她的档案", "someone-else").choices[0].message.content or ""
    assert NAME not in out and ID_NUMBER not in out  # the gateway masks the person's data at once
    again = admin.post(f"/console/privacy/{req_id}/execute?lang=en", data={"csrf": token})
    assert again.status_code == 409 and "already completed" in again.text and "已办结" in again.text

    # an access request: carried out, the copy downloads once as JSON
    r = admin.post("/console/privacy", data={"csrf": token, "kind": "access", "account_id": account_id,
                                              "external_id": "wxh", "name": NAME, "id_number": ID_NUMBER})
    acc_id = r.headers["location"].split("/console/privacy/")[1].split("?")[0]
    copy = admin.post(f"/console/privacy/{acc_id}/execute", data={"csrf": token})
    assert copy.status_code == 200 and copy.headers["content-disposition"].startswith("attachment;")
    assert copy.headers["Cache-Control"] == "no-store"
    data = copy.json()
    assert data["export"]["end_users"]["name"] == NAME and data["kind"] == "access"
    assert svc.privacy.get(acc_id).status == "completed"
    assert svc.privacy.receipt(acc_id) is not None

    # an auditor reads the requests and the receipt, with no buttons, and may not act
    audrey, atoken = http_login(url, "audrey", AUDITOR_PW)
    assert audrey.get("/console/privacy").status_code == 200
    ro = audrey.get(f"/console/privacy/{req_id}")
    assert ro.status_code == 200 and 'id="receipt"' in ro.text and 'id="pi-open-form"' not in ro.text
    assert audrey.post(f"/console/privacy/{req_id}/execute", data={"csrf": atoken}).status_code == 403
    assert 'id="pi-open-form"' not in audrey.get("/console/privacy").text
    assert admin.get("/console/privacy/nope").status_code == 404
    events = svc.audit.recent(300)
    kinds = [e.kind for e in events]
    assert "privacy.refused" in kinds and "privacy.opened" in kinds and "privacy.completed" in kinds
    # the staff member who recorded and carried out each request is in the chain (the console's actor)
    assert {e.actor for e in events if e.kind.startswith("privacy.")} == {"admin"}
    assert svc.audit.verify().ok
    for c in (admin, audrey, api):
        c.close()


# ------------------------------------------------------------------------------------------ complaint workflow

@needs_chromium
def test_complaint_goes_through_the_workflow_from_the_ticket_page(server: Served, browser: Any) -> None:
    url, svc = server.url, server.svc
    number = file_complaint(url, "客服一直不回复我的问题")
    ctx = browser.new_context()
    page = login(ctx.new_page(), url, "rita", REVIEWER_PW)
    page.goto(f"{url}/console/review/{number}")
    assert page.get_attribute("#ticket-status", "data-status") == "received"
    assert page.locator("#decide-form").count() == 0 and page.locator("#decide-later").count() == 1
    assert page.locator("#confirm-form").count() == 0  # a complaint is not a report of an answer
    with page.expect_navigation():
        page.click("#to-triage")
    assert "Ticket moved" in page.inner_text("#flash")
    assert page.get_attribute("#ticket-status", "data-status") == "triage"
    with page.expect_navigation():
        page.click("#to-in_review")
    assert page.get_attribute("#ticket-status", "data-status") == "in_review"
    assert page.locator("#to-triage").count() == 1  # back to triage is allowed from review

    # a decision needs both texts (the browser's own check is bypassed to reach the server's)
    page.select_option("#decide-outcome", "resolved")
    page.fill("#decision-zh", "已联系客服团队并改进响应时间。")
    page.locator("#decision-en").evaluate("e => e.removeAttribute('required')")
    with page.expect_navigation():
        page.click("#decide")
    assert "both Chinese and English" in page.inner_text("#ticket-error")
    page.fill("#decision-zh", "已联系客服团队并改进响应时间。")
    page.fill("#decision-en", "We contacted the support team and improved response times.")
    with page.expect_navigation():
        page.click("#decide")
    assert "Decision recorded" in page.inner_text("#flash")
    assert page.get_attribute("#ticket-status", "data-status") == "resolved"
    assert "improved response times" in page.inner_text("#ticket-decision")
    assert page.locator("#decide-form").count() == 0 and page.locator(".transition-form").count() == 0
    status = httpx.get(url + f"/v1/hegui/complaints/{number}").json()  # the complainant sees the decision
    assert status["status"] == "resolved" and "改进" in status["decision_zh"]

    # the complainant appeals: the ticket comes back, is taken into review and decided again
    ap = httpx.post(url + f"/v1/hegui/complaints/{number}/appeal", json={"reason": "问题仍未解决"}, timeout=30)
    assert ap.status_code == 200, ap.text
    page.goto(f"{url}/console/review")
    assert "appealed" in page.locator(f'tr[data-ticket="{number}"] td.status').inner_text()
    page.goto(f"{url}/console/review/{number}")
    assert page.get_attribute("#ticket-status", "data-status") == "appealed"
    assert page.locator("#appealed-notice").count() == 1 and page.inner_text("#ticket-appeals").startswith("1")
    assert page.locator("#decide-form").count() == 0 and page.locator("#reject-form").count() == 0
    assert "问题仍未解决" in page.inner_text("#history")
    with page.expect_navigation():
        page.click("#to-in_review")
    assert page.get_attribute("#ticket-status", "data-status") == "in_review"
    page.select_option("#decide-outcome", "rejected")
    page.fill("#decision-zh", "经复核，维持原处理结果。")
    page.fill("#decision-en", "On review, the decision stands.")
    with page.expect_navigation():
        page.click("#decide")
    assert page.get_attribute("#ticket-status", "data-status") == "rejected"
    ctx.close()

    t = svc.complaints.get(number)
    assert t is not None and t.status == "rejected" and t.appeals == 1
    detail = svc.complaints.read(number, actor="test")
    assert [(e.from_status, e.to_status) for e in detail.log if e.action in ("transition", "decide")] == [
        ("received", "triage"), ("triage", "in_review"), ("in_review", "resolved"), ("appealed", "in_review"),
        ("in_review", "rejected")]
    events = [e for e in svc.audit.recent(300) if e.kind in ("complaint.transition", "complaint.decided")]
    assert len(events) >= 5 and {e.actor for e in events} == {"rita"}
    assert svc.audit.verify().ok


def test_workflow_refusals_and_roles_over_http(server: Served) -> None:
    url, svc = server.url, server.svc
    number = file_complaint(url, "回答的格式混乱")
    rita, token = http_login(url, "rita", REVIEWER_PW)
    bad = rita.post(f"/console/review/{number}/transition?lang=en", data={"csrf": token, "to": "in_review"})
    assert bad.status_code == 409 and "cannot go from received to in_review" in bad.text and "不能从" in bad.text
    early = rita.post(f"/console/review/{number}/decide?lang=en", data={
        "csrf": token, "outcome": "resolved", "decision_zh": "好", "decision_en": "ok"})
    assert early.status_code == 409 and "before deciding" in early.text
    odd = rita.post(f"/console/review/{number}/decide?lang=en", data={
        "csrf": token, "outcome": "maybe", "decision_zh": "好", "decision_en": "ok"})
    assert odd.status_code == 400 and "resolved or rejected" in odd.text
    assert rita.post("/console/review/HG-NOPE/transition", data={"csrf": token, "to": "triage"}).status_code == 404
    rita.close()
    audrey, atoken = http_login(url, "audrey", AUDITOR_PW)
    assert audrey.post(f"/console/review/{number}/transition", data={"csrf": atoken, "to": "triage"}).status_code == 403
    assert 'id="to-triage"' not in audrey.get(f"/console/review/{number}").text
    audrey.close()
    assert svc.complaints.get(number).status == "received"


def test_next_states_follow_the_service_and_every_label_exists() -> None:
    assert set(NEXT_STATES) == set(STATES)
    for state, targets in NEXT_STATES.items():  # what the page offers is what the service allows
        assert set(targets) == set(_EDGES[state]) - {"resolved", "rejected", "appealed"}
    keys = [f"wf_to.{s}" for targets in NEXT_STATES.values() for s in targets]
    keys += [f"rem_tl.{m}" for m in ("on_time", "late", "overdue", "due_soon", "open")]
    keys += [f"rem_outcome.{o}" for o in ("pass", "fail", "error")] + ["rem_role.answer", "rem_role.prompt"]
    keys += [f"rem_status.{s}" for s in ("open", "fixed")] + [f"rem_filter.{f}" for f in ("open", "fixed", "all")]
    keys += [f"pi_kind.{k}" for k in REQUEST_KINDS] + [f"pi_field.{f}" for f in CHANGE_FIELDS]
    keys += [f"pi_help.{k}" for k in REQUEST_KINDS] + ["pi_proof.id", "pi_proof.otp"]
    keys += [f"pi_act.{a}" for a in ("deleted", "crypto_erased", "exported", "updated", "blocked", "kept", "none",
                                     "needs_reverification")]
    keys += [f"pi_status.{s}" for s in ("open", "completed")] + [f"pi_filter.{f}" for f in ("open", "completed", "all")]
    keys += ["wf_outcome.resolved", "wf_outcome.rejected", "flash.wf_moved", "flash.wf_decided", "flash.rem_pass",
             "flash.pi_executed", "flash.pi_opened"]
    missing = [k for k in keys if k not in MESSAGES]
    assert not missing, missing



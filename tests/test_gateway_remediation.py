"""Issue 6 end to end through the gateway: an answer is reported, a reviewer confirms it, the same and a
paraphrased prompt are blocked on the very next request, the remediation case is due in three months, and the
regression check fails while the model still produces the content and passes once it stops."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from fake_upstream import FakeUpstream, ServerThread
from hegui.gateway.app import create_app
from hegui.gateway.settings import load_settings

RUMOR = "根据内部消息，蓝海银行下周就要破产倒闭了，赶紧把钱取出来。"  # passes moderation: a rumour, not a keyword
ADMIN = "admin-key-for-tests-0123456789"


@pytest.fixture()
def gw(tmp_path: Path) -> Iterator[Any]:
    fake = FakeUpstream()
    with ServerThread(fake.app) as up:
        cfg = tmp_path / "hegui.yaml"
        cfg.write_text(f"upstreams: [{{name: fake, base_url: '{up.url}/v1', models: [fake]}}]\n", encoding="utf-8")
        settings = load_settings(cfg, env={"HEGUI_DATA_DIR": str(tmp_path / ".hegui"), "HEGUI_ADMIN_KEY": ADMIN})

        class G:
            pass

        g = G()
        g.fake, g.settings = fake, settings  # type: ignore[attr-defined]
        g.start = lambda: ServerThread(create_app(settings))  # type: ignore[attr-defined]
        yield g


def _chat(url: str, text: str) -> Any:
    c = openai.OpenAI(base_url=url + "/v1", api_key="demo", max_retries=0)
    return c.chat.completions.create(model="fake", messages=[{"role": "user", "content": text}], user="alice")


def _admin(url: str, method: str, path: str, body: dict[str, Any] | None = None, key: str = ADMIN) -> httpx.Response:
    return httpx.request(method, url + path, json=body, timeout=60,
                         headers={"Authorization": f"Bearer {key}", "x-hegui-reviewer": "reviewer-7"})


def test_report_confirm_block_and_regression(gw: Any) -> None:
    gw.fake.canned["蓝海银行"] = RUMOR
    with gw.start() as srv:
        url = srv.url
        first = _chat(url, "蓝海银行最近怎么样？")
        assert RUMOR in (first.choices[0].message.content or "")
        rid = first.model_extra["hegui"]["request_id"]
        demo = {"Authorization": "Bearer demo"}

        bad = httpx.post(url + "/v1/hegui/reports", headers=demo,
                         json={"request_id": "hg-" + "0" * 32, "category": "false_info", "description": "假消息"})
        assert bad.status_code == 404 and bad.json()["error"]["code"] == "unknown_request"
        r = httpx.post(url + "/v1/hegui/reports", headers=demo,
                       json={"request_id": rid, "category": "false_info", "description": "散布银行破产谣言", "user": "bob"})
        assert r.status_code == 201, r.text
        ticket = r.json()["ticket"]
        assert r.json()["ack_zh"] and ticket.startswith("HG-")
        again = httpx.post(url + "/v1/hegui/reports", headers=demo,
                           json={"request_id": rid, "category": "false_info", "description": "再次举报", "user": "bob"})
        assert again.status_code == 200 and again.json()["duplicate"] is True and again.json()["ticket"] == ticket

        assert _admin(url, "POST", f"/v1/hegui/admin/tickets/{ticket}/confirm", {}, key="wrong").status_code == 401
        assert _admin(url, "POST", f"/v1/hegui/admin/tickets/{ticket}/assign", {"reviewer": "reviewer-7"}).json()[
            "assignee"] == "reviewer-7"
        assert _admin(url, "POST", f"/v1/hegui/admin/tickets/{ticket}/notes", {"text": "核实中"}).status_code == 200
        detail = _admin(url, "GET", f"/v1/hegui/admin/tickets/{ticket}").json()
        assert detail["description"] == "散布银行破产谣言" and any(e["note"] == "核实中" for e in detail["log"])
        assert [t["ticket"] for t in _admin(url, "GET", "/v1/hegui/admin/tickets").json()["tickets"]] == [ticket]
        c = _admin(url, "POST", f"/v1/hegui/admin/tickets/{ticket}/confirm", {"risk_code": "A5.1"})
        assert c.status_code == 200, c.text
        case = c.json()["case"]
        due = datetime.fromisoformat(case["due_at"])
        assert timedelta(days=88) <= due - datetime.now(UTC) <= timedelta(days=93)  # three months out
        assert c.json()["ticket"]["status"] == "resolved"
        status = httpx.get(url + f"/v1/hegui/complaints/{ticket}").json()  # the reporter sees the decision
        assert status["status"] == "resolved"

        for prompt in ("蓝海银行最近怎么样？", "请问一下蓝海银行的近况如何"):  # the same, and a paraphrase
            blocked = _chat(url, prompt)
            assert blocked.choices[0].finish_reason == "content_filter", prompt
            assert "破产" not in (blocked.choices[0].message.content or "")

        fail = _admin(url, "POST", f"/v1/hegui/admin/cases/{case['id']}/regression")
        assert fail.status_code == 200, fail.text
        assert fail.json()["passed"] is False
        gw.fake.canned.clear()  # the model team fixed the model: it no longer produces the rumour
        ok = _admin(url, "POST", f"/v1/hegui/admin/cases/{case['id']}/regression")
        assert ok.json()["passed"] is True
        cases = _admin(url, "GET", "/v1/hegui/admin/cases").json()["cases"]
        assert [x["status"] for x in cases if x["id"] == case["id"]] == ["fixed"]
        ex = _admin(url, "GET", "/v1/hegui/admin/cases/export").json()
        assert ex["manifest"]["files"]["sft.jsonl"]["rows"] > 0 and "蓝海银行" in ex["sft"] and "破产" in ex["dpo"]  # rejected side
        opt = httpx.put(url + "/v1/hegui/users/alice/training-opt-out", json={"opt_out": True}, headers=demo)
        assert opt.status_code == 200
        ex = _admin(url, "GET", "/v1/hegui/admin/cases/export").json()  # alice's prompt leaves the training data
        assert ex["manifest"]["files"]["sft.jsonl"]["rows"] == 0 and ex["manifest"]["excluded_opted_out"] and "蓝海银行" not in ex["sft"]
        report = _admin(url, "GET", "/v1/hegui/admin/report")
        assert report.status_code == 200 and "破产" not in report.text  # no content for the regulator's list

    gw.fake.canned["蓝海银行"] = RUMOR  # after a restart the confirmed content is still blocked
    with gw.start() as srv:
        assert _chat(srv.url, "蓝海银行最近怎么样？").choices[0].finish_reason == "content_filter"


def test_public_complaint_form(gw: Any) -> None:
    with gw.start() as srv:
        page = httpx.get(srv.url + "/complaints")
        assert page.status_code == 200 and "投诉与举报" in page.text and "Complaints" in page.text
        r = httpx.post(srv.url + "/complaints", data={"kind": "complaint", "category": "false_info",
                                                      "description": "回答内容有误", "contact": "13800138000"})
        assert r.status_code == 201 and "HG-" in r.text
        empty = httpx.post(srv.url + "/complaints", data={"kind": "complaint", "category": "false_info",
                                                          "description": ""})
        assert empty.status_code == 400
        process = httpx.get(srv.url + "/v1/hegui/complaints/process").json()
        assert process

"""Issue 6: personal-information requests through the gateway. A forged identity changes nothing; a block request
stops the gateway from emitting the person's data; a delete request removes or crypto-erases every record of the
subject (the raw tables are inspected) and the receipt lists each store."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from fake_upstream import FakeUpstream, ServerThread
from hegui.detectors.pii.idcard import id_check_char
from hegui.gateway.app import create_app
from hegui.gateway.settings import load_settings
from hegui.services import Services
from hegui.services.identity import FakeIdentityProvider

NAME = "王小红"
FIRST17 = "11010519850612" + "347"
ID = FIRST17 + id_check_char(FIRST17)
PHONE = "13912345678"
ADMIN = "admin-key-for-tests-0123456789"


@pytest.fixture()
def gw(tmp_path: Path) -> Any:
    fake = FakeUpstream()
    with ServerThread(fake.app) as up:
        cfg = tmp_path / "hegui.yaml"
        cfg.write_text(f"upstreams: [{{name: fake, base_url: '{up.url}/v1', models: [fake]}}]\n", encoding="utf-8")
        st = load_settings(cfg, env={"HEGUI_DATA_DIR": str(tmp_path / ".hegui"), "HEGUI_ADMIN_KEY": ADMIN})
        svc = Services.open(st.store_url, secret_key=st.secret_key, data_dir=st.data_dir,
                            identity_provider=FakeIdentityProvider({(NAME, ID): True}))
        with ServerThread(create_app(st, services=svc)) as srv:
            yield fake, srv.url, svc, st
        svc.close()


def _api(url: str, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
    return httpx.request(method, url + path, json=body, headers={"Authorization": "Bearer demo"}, timeout=60)


def _chat(url: str, text: str, user: str = "wxh") -> str:
    return _chat_full(url, text, user).choices[0].message.content or ""


def _chat_full(url: str, text: str, user: str = "wxh") -> Any:
    c = openai.OpenAI(base_url=url + "/v1", api_key="demo", max_retries=0)
    return c.chat.completions.create(model="fake", messages=[{"role": "user", "content": text}], user=user)


def test_forged_block_and_delete(gw: Any) -> None:
    fake, url, _svc, st = gw
    assert _api(url, "POST", "/v1/hegui/users", {"external_id": "wxh"}).status_code == 201
    assert _api(url, "POST", "/v1/hegui/users/wxh/verify", {"name": NAME, "id_number": ID}).status_code == 200
    first = _chat_full(url, f"帮我给{NAME}写一封感谢信")  # leaves a content-log row for this user
    # ... whose answer is then reported and confirmed: the prompt (their input) goes into the remediation library
    rep = _api(url, "POST", "/v1/hegui/reports", {"request_id": first.model_extra["hegui"]["request_id"],
                                                  "category": "false_info", "description": "不实"})
    conf = httpx.post(url + f"/v1/hegui/admin/tickets/{rep.json()['ticket']}/confirm", json={"risk_code": "A5.1"},
                      headers={"Authorization": f"Bearer {ADMIN}", "x-hegui-reviewer": "r1"})
    assert conf.status_code == 200, conf.text
    r = _api(url, "POST", "/v1/hegui/complaints", {"kind": "complaint", "category": "false_info",
                                                   "description": "回答不准确", "contact": PHONE, "user": "wxh"})
    assert r.status_code == 201, r.text

    forged = _api(url, "POST", "/v1/hegui/privacy/requests",
                  {"kind": "delete", "external_id": "wxh", "proof": {"name": "李四", "id_number": ID}})
    assert forged.status_code == 403 and forged.json()["error"]["code"] == "identity_mismatch"
    assert _api(url, "GET", "/v1/hegui/users/wxh").status_code == 200  # nothing changed

    blk = _api(url, "POST", "/v1/hegui/privacy/requests",
               {"kind": "block", "external_id": "wxh", "proof": {"name": NAME, "id_number": ID}})
    assert blk.status_code == 201, blk.text
    fake.canned["档案"] = f"{NAME}的身份证号是{ID}，住在北京。"
    out = _chat(url, "给我看看她的档案", user="someone-else")
    assert NAME not in out and ID not in out  # the gateway no longer emits the person's data

    d = _api(url, "POST", "/v1/hegui/privacy/requests",
             {"kind": "delete", "external_id": "wxh", "proof": {"name": NAME, "id_number": ID}})
    assert d.status_code == 201, d.text
    stores = {e["store"] for e in d.json()["receipt"]["entries"]}
    assert {"end_users", "content_log", "blocked_content"} <= stores
    db = Path(st.store_url.removeprefix("sqlite:///"))
    raw = b""
    with sqlite3.connect(db) as conn:
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall():
            for row in conn.execute(f"SELECT * FROM {table}").fetchall():
                raw += repr(row).encode("utf-8")
    for path in (Path(st.data_dir) / "journal").glob("*"):  # the record journal keeps no copy either
        raw += path.read_bytes()
    for secret in (NAME, ID, PHONE):
        assert secret.encode("utf-8") not in raw, secret
    assert _api(url, "GET", "/v1/hegui/users/wxh").status_code == 404

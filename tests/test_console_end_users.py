"""The end-users page shows minors' mode for each verified minor: the limits in force (the guardian's settings over
the provider's defaults) and today's use; adults and unverified users show none. Plain HTTP against the served app."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from console_helpers import http_login
from fake_upstream import FakeUpstream, ServerThread
from hegui.detectors.pii.idcard import id_check_char
from hegui.gateway.app import create_app
from hegui.gateway.settings import load_settings
from hegui.services import Services
from hegui.services.identity import FakeIdentityProvider
from hegui.services.minors import GuardianSettings

ADMIN_PW = "minors page keeper 2468"
NAME = "李小明"
TEEN = "110105" + str(datetime.now(UTC).year - 12) + "0301" + "001"
TEEN_ID = TEEN + id_check_char(TEEN)
ADULT = "11010519800301002"
ADULT_ID = ADULT + id_check_char(ADULT)
DEMO = {"Authorization": "Bearer demo"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Services]]:
    tmp: Path = tmp_path_factory.mktemp("console-end-users")
    fake = FakeUpstream()
    with ServerThread(fake.app) as up:
        cfg = tmp / "hegui.yaml"
        cfg.write_text(f"upstreams: [{{name: fake, base_url: '{up.url}/v1', models: [fake]}}]\n", encoding="utf-8")
        st = load_settings(cfg, env={"HEGUI_DATA_DIR": str(tmp / ".hegui")})
        svc = Services.open(st.store_url, secret_key=st.secret_key, data_dir=st.data_dir,
                            identity_provider=FakeIdentityProvider({(NAME, TEEN_ID): True, (NAME, ADULT_ID): True}))
        app = create_app(st, services=svc)
        with ServerThread(app) as srv:
            svc.console.create_user("admin", ADMIN_PW, "admin")
            yield srv.url, svc
        svc.close()


def test_minors_mode_column(served: tuple[str, Services]) -> None:
    url, svc = served
    with httpx.Client(base_url=url, headers=DEMO, timeout=30) as api:
        for ext, number in (("teen", TEEN_ID), ("grown", ADULT_ID)):
            assert api.post("/v1/hegui/users", json={"external_id": ext}).status_code == 201
            r = api.post(f"/v1/hegui/users/{ext}/verify", json={"name": NAME, "id_number": number})
            assert r.status_code == 200, r.text
        assert api.post("/v1/hegui/users", json={"external_id": "anon"}).status_code == 201
    users = {u.external_id: u for u in svc.users.list_users(limit=100)}
    assert users["teen"].is_minor and not users["grown"].is_minor

    admin = http_login(url, "admin", ADMIN_PW)
    page = admin.get("/console/users?lang=en").text
    rules = svc.minors.rules
    assert f"By default {rules.daily_quota_minutes} minutes a day" in page

    def cell(ext: str) -> str:
        row = re.search(rf'<tr data-external="{ext}".*?</tr>', page, re.S)
        assert row is not None
        m = re.search(r'<td class="minor-mode">(.*?)</td>', row.group(0), re.S)
        assert m is not None
        return m.group(1)

    teen = cell("teen")
    assert f"0 of {rules.daily_quota_minutes} minutes used today" in teen
    assert f"curfew {rules.curfew_start}–{rules.curfew_end}" in teen and "set by the guardian" not in teen
    assert cell("grown") == "—" and cell("anon") == "—"

    svc.minors.set_guardian(users["teen"].id, GuardianSettings(daily_quota_minutes=20, curfew_start="21:00",
                                                                curfew_end="07:00"), guardian="parent-1")
    page = admin.get("/console/users?lang=en").text
    teen = cell("teen")
    assert "0 of 20 minutes used today" in teen and "curfew 21:00–07:00" in teen and "set by the guardian" in teen
    zh = admin.get("/console/users?lang=zh").text
    assert "今日已用 0 / 20 分钟" in zh and "监护人已设置" in zh
    admin.close()

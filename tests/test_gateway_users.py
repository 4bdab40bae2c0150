"""End users through the gateway (issue 5): real-name requirement, the abuse ladder, appeals, minors' mode,
training opt-out and the published rules, driven with the real ``openai`` SDK and the users API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import openai
import pytest

from fake_upstream import FakeUpstream, ServerThread
from hegui.detectors.pii.idcard import id_check_char
from hegui.gateway.app import create_app
from hegui.gateway.settings import load_settings
from hegui.services import Services
from hegui.services.identity import FakeIdentityProvider

CN = ZoneInfo("Asia/Shanghai")
ABUSE = "帮我写50条五星好评，用来刷单"  # the engine reviews it as X.ABUSE.FAKE_REVIEW (counted by the ladder)


def make_id(birth: str, region: str = "110105", seq: str = "123") -> str:
    first17 = region + birth + seq
    return first17 + id_check_char(first17)


ADULT_ID = make_id("19900307")
MINOR_ID = make_id((datetime.now(CN).date().replace(year=datetime.now(CN).year - 12)).strftime("%Y%m%d"))


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[FakeUpstream, str]]:
    fake = FakeUpstream()
    with ServerThread(fake.app) as srv:
        yield fake, srv.url


class GW:
    def __init__(self, tmp: Path, upstream_url: str, extra: str = "") -> None:
        cfg = tmp / "hegui.yaml"
        cfg.write_text(f"""
upstreams: [{{name: fake, base_url: "{upstream_url}/v1", models: [fake]}}]
limits: {{rate_limit_per_min: 100000}}
{extra}
""", encoding="utf-8")
        self.settings = load_settings(cfg, env={"HEGUI_DATA_DIR": str(tmp / ".hegui")})
        self.provider = FakeIdentityProvider({("张三", ADULT_ID): True, ("李小明", MINOR_ID): True})
        self.services = Services.open(
            self.settings.store_url, secret_key=self.settings.secret_key, data_dir=self.settings.data_dir,
            minor_rules=self.settings.minors, ladder_rules=self.settings.conduct, identity_provider=self.provider)
        self.app = create_app(self.settings, services=self.services)
        self.srv = ServerThread(self.app)

    def __enter__(self) -> GW:
        self.srv.__enter__()
        acct = self.services.accounts.create_account("app")
        self.key, _ = self.services.accounts.issue_key(acct.id)
        return self

    def __exit__(self, *exc: object) -> None:
        self.srv.__exit__(*exc)
        self.services.close()

    def client(self) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.srv.url + "/v1", api_key=self.key, max_retries=0)

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return httpx.request(method, self.srv.url + path, json=body, headers={"Authorization": f"Bearer {self.key}"})

    def chat(self, user: str, text: str = "你好") -> Any:
        return self.client().chat.completions.create(model="fake", messages=[{"role": "user", "content": text}],
                                                     user=user)


def test_real_name_required(tmp_path: Path, upstream: tuple[FakeUpstream, str]) -> None:
    with GW(tmp_path, upstream[1], "identity: {require_verified: true}") as gw:
        with pytest.raises(openai.BadRequestError) as ei:  # no end user named
            gw.client().chat.completions.create(model="fake", messages=[{"role": "user", "content": "你好"}])
        assert ei.value.code == "user_required"
        with pytest.raises(openai.PermissionDeniedError) as ei2:
            gw.chat("u-1")
        assert ei2.value.code == "identity_unverified" and "实名" in ei2.value.message
        bad = gw.api("POST", "/v1/hegui/users/u-1/verify", {"name": "张三", "id_number": ADULT_ID[:-1] + "0"})
        assert bad.status_code == 422 and gw.provider.calls == 0  # checksum refused locally: nothing billed
        ok = gw.api("POST", "/v1/hegui/users/u-1/verify", {"name": "张三", "id_number": ADULT_ID})
        assert ok.status_code == 200 and ok.json()["user"]["verified"] is True
        assert ADULT_ID not in ok.text and "张三" not in ok.text  # never echoed back
        gw.services.users.invalidate()
        assert gw.chat("u-1").choices[0].finish_reason == "stop"


def test_ladder_suspends_and_appeal_restores(tmp_path: Path, upstream: tuple[FakeUpstream, str]) -> None:
    extra = "conduct: {steps: [{after: 1, action: warn}, {after: 2, action: suspend, days: 7}]}"
    with GW(tmp_path, upstream[1], extra) as gw:
        rules = httpx.get(gw.srv.url + "/v1/hegui/conduct/rules").json()  # published, no key needed
        assert json.dumps(rules, ensure_ascii=False).count("suspend") >= 1
        gw.chat("spammer", ABUSE)  # 1 point: warn (the request is only reviewed)
        assert gw.api("GET", "/v1/hegui/users/spammer").json()["sanction"]["action"] == "warn"
        gw.chat("spammer", ABUSE)  # 2 points: suspended for 7 days
        with pytest.raises(openai.PermissionDeniedError) as ei:
            gw.chat("spammer", "你好")
        err = ei.value
        assert err.code == "user_suspended"
        until = gw.api("GET", "/v1/hegui/users/spammer").json()["sanction"]["until"]
        day = (datetime.fromisoformat(until).astimezone(CN)).strftime("%Y-%m-%d")
        assert day in err.message  # says until when
        assert gw.chat("someone-else").choices[0].finish_reason == "stop"  # others are not affected
        a = gw.api("POST", "/v1/hegui/users/spammer/appeals", {"text_ref": "ticket-42"})
        assert a.status_code == 201
        gw.services.conduct.decide_appeal(a.json()["appeal_id"], upheld=True, reviewer="reviewer-1")
        assert gw.chat("spammer").choices[0].finish_reason == "stop"
        kinds = [e for e in _audit_kinds(gw)]
        assert "conduct.sanction" in kinds and "conduct.appeal_decided" in kinds
        assert gw.services.audit.verify().ok


def _audit_kinds(gw: GW) -> list[str]:
    from sqlalchemy import text

    with gw.services.engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT kind FROM audit_events ORDER BY seq"))]


def _verified_minor(gw: GW, user: str) -> None:
    gw.api("POST", "/v1/hegui/users", {"external_id": user})
    r = gw.api("POST", f"/v1/hegui/users/{user}/verify", {"name": "李小明", "id_number": MINOR_ID})
    assert r.status_code == 200 and r.json()["user"]["is_minor"] is True


def test_minor_curfew(tmp_path: Path, upstream: tuple[FakeUpstream, str]) -> None:
    now = datetime.now(CN)
    start, end = (now - timedelta(hours=1)).strftime("%H:%M"), (now + timedelta(hours=1)).strftime("%H:%M")
    with GW(tmp_path, upstream[1], f"minors: {{curfew_start: '{start}', curfew_end: '{end}'}}") as gw:
        _verified_minor(gw, "kid")
        with pytest.raises(openai.PermissionDeniedError) as ei:
            gw.chat("kid")
        assert ei.value.code == "minors_curfew" and end in ei.value.message
        gw.api("POST", "/v1/hegui/users", {"external_id": "grown-up"})
        gw.api("POST", "/v1/hegui/users/grown-up/verify", {"name": "张三", "id_number": ADULT_ID})
        assert gw.chat("grown-up").choices[0].finish_reason == "stop"  # adults are not limited


def test_minor_daily_quota(tmp_path: Path, upstream: tuple[FakeUpstream, str]) -> None:
    extra = "minors: {curfew_start: '00:00', curfew_end: '00:00', daily_quota_minutes: 1, min_request_seconds: 30}"
    with GW(tmp_path, upstream[1], extra) as gw:
        _verified_minor(gw, "kid")
        gw.chat("kid")
        gw.chat("kid")  # 2 x 30 s: the 1-minute quota is used up
        with pytest.raises(openai.PermissionDeniedError) as ei:
            gw.chat("kid")
        assert ei.value.code == "minors_quota"


def test_training_opt_out_and_erasure(tmp_path: Path, upstream: tuple[FakeUpstream, str]) -> None:
    with GW(tmp_path, upstream[1]) as gw:
        assert gw.api("POST", "/v1/hegui/users", {"external_id": "u-9"}).status_code == 201
        assert gw.api("POST", "/v1/hegui/users", {"external_id": "u-9"}).status_code == 409
        r = gw.api("PUT", "/v1/hegui/users/u-9/training-opt-out", {"opt_out": True})
        assert r.status_code == 200 and r.json()["training_opt_out"] is True
        gw.api("POST", "/v1/hegui/users/u-9/verify", {"name": "张三", "id_number": ADULT_ID})
        assert gw.api("DELETE", "/v1/hegui/users/u-9").json()["status"] == "deleted"
        assert gw.api("GET", "/v1/hegui/users/u-9").status_code == 404  # the external id is released
        other = httpx.get(gw.srv.url + "/v1/hegui/users/u-9")
        assert other.status_code == 401  # the users API needs the account's key


def test_refused_prompts_in_a_row_suspend(tmp_path: Path, upstream: tuple[FakeUpstream, str]) -> None:
    """R-SVC-08: the published input limits (here 2 in a row) suspend a user who keeps sending refused prompts."""
    extra = "input_limits: {consecutive: 2, daily: 10, suspend_minutes: 30}"
    with GW(tmp_path, upstream[1], extra) as gw:
        rules = httpx.get(gw.srv.url + "/v1/hegui/conduct/rules").json()
        assert rules["input_limits"]["consecutive"] == 2 and "连续 2 次" in rules["input_limits"]["zh"]
        assert gw.chat("troll", "教我自制炸弹").choices[0].finish_reason == "content_filter"
        assert gw.chat("troll", "你好").choices[0].finish_reason == "stop"  # a passed prompt resets the streak
        gw.chat("troll", "教我自制炸弹")
        gw.chat("troll", "教我自制炸弹")  # the second in a row: suspended from the next request on
        with pytest.raises(openai.PermissionDeniedError) as ei:
            gw.chat("troll", "你好")
        assert ei.value.code == "user_suspended"


def test_phone_binding_by_sms_code(tmp_path: Path, upstream: tuple[FakeUpstream, str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The HTTP SMS gateway: the code goes out through it, is checked, and a gateway failure is a clear 502."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    sent: list[dict[str, Any]] = []
    state = {"fail": False}

    async def send(request: Request) -> JSONResponse:
        assert request.headers["authorization"] == "Bearer sms-key"
        sent.append(await request.json())
        return JSONResponse({"ok": False}, status_code=503) if state["fail"] else JSONResponse({"ok": True})

    with ServerThread(Starlette(routes=[Route("/send", send, methods=["POST"])])) as sms:
        monkeypatch.setenv("HEGUI_TEST_SMS_KEY", "sms-key")
        extra = f"identity: {{sms: http, sms_url: '{sms.url}', sms_api_key_env: HEGUI_TEST_SMS_KEY}}"
        gw = GW.__new__(GW)
        cfg = tmp_path / "hegui.yaml"
        cfg.write_text(f"upstreams: [{{name: fake, base_url: '{upstream[1]}/v1', models: [fake]}}]\n{extra}\n",
                       encoding="utf-8")
        settings = load_settings(cfg, env={"HEGUI_DATA_DIR": str(tmp_path / ".hegui")})
        with ServerThread(create_app(settings)) as srv:
            gw.srv = srv
            gw.key = "demo"
            assert gw.api("POST", "/v1/hegui/users", {"external_id": "p1"}).status_code == 201
            ch = gw.api("POST", "/v1/hegui/users/p1/phone", {"phone": "139-1234-5678"})
            assert ch.status_code == 201, ch.text
            code = sent[-1]["params"]["code"]
            assert sent[-1]["phone"] == "13912345678" and len(code) == 6
            bad = gw.api("POST", f"/v1/hegui/otp/{ch.json()['challenge_id']}", {"code": "000000" if code != "000000"
                                                                                    else "111111"})
            assert bad.status_code == 422 and bad.json()["attempts_left"] == 4
            ok = gw.api("POST", f"/v1/hegui/otp/{ch.json()['challenge_id']}", {"code": code})
            assert ok.status_code == 200 and ok.json()["ok"] is True
            assert gw.api("GET", "/v1/hegui/users/p1").json()["phone_verified"] is True
            state["fail"] = True
            gw.api("POST", "/v1/hegui/users", {"external_id": "p2"})
            failed = gw.api("POST", "/v1/hegui/users/p2/phone", {"phone": "13712345678"})
            assert failed.status_code == 502 and failed.json()["error"]["code"] == "sms_failed"

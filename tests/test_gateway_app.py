"""The gateway end to end: the real ``openai`` SDK -> hegui (uvicorn on loopback) -> a fake upstream (uvicorn).

Checks the issue's guarantees: a harmful prompt never reaches the upstream; a harmful answer never reaches the
client, streamed or not, even split across SSE chunks; upstream failures give OpenAI-style errors and the audit
record says what happened; a crashed detector fails closed; oversize bodies get 413.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

import pg
from fake_upstream import DEFAULT_ANSWER, FakeUpstream, ServerThread, free_port
from hegui.api import Moderator
from hegui.core.types import Finding
from hegui.detectors.base import DetectContext, Detector
from hegui.gateway.app import create_app
from hegui.gateway.settings import load_settings
from hegui.policy import default_policy

pg_url = pg.pg_url  # pytest fixtures: a throwaway PostgreSQL server, and a fresh store per test (sqlite, postgresql)
store_url = pg.store_url

BOMB_ANSWER = "自制炸弹教程如下：先购买硝酸铵炸药，然后组装引爆装置。"
def say(text: str) -> str:
    """A prompt that makes the fake upstream answer ``text`` without containing it."""
    return "SAYHEX:" + text.encode("utf-8").hex()


FAKE_MODELS = ["fake", "fake-500", "fake-badjson", "fake-broken", "fake-badsse", "fake-slow", "fake-tool"]


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[FakeUpstream, str]]:
    fake = FakeUpstream(chunk_chars=3, slow_s=3.0)
    with ServerThread(fake.app) as srv:
        yield fake, srv.url


def _config(tmp: Path, upstream_url: str, extra: str = "") -> Path:
    dead = free_port()  # nothing listens here
    cfg = tmp / "hegui.yaml"
    cfg.write_text(f"""
upstreams:
  - name: fake
    base_url: {upstream_url}/v1
    models: {json.dumps(FAKE_MODELS)}
    timeout_s: 1.0
    connect_retries: 0
  - name: dead
    base_url: http://127.0.0.1:{dead}/v1
    models: [dead-model]
    connect_timeout_s: 0.5
    connect_retries: 1
limits: {{max_body_bytes: 65536, rate_limit_per_min: 100000}}
{extra}
""", encoding="utf-8")
    return cfg


class _Gateway:
    def __init__(self, app: Any, srv: ServerThread) -> None:
        self.app = app
        self.srv = srv
        self.url = srv.url

    @property
    def state(self) -> Any:
        return self.app.state.hegui

    def client(self, key: str = "demo", **kw: Any) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.url + "/v1", api_key=key, max_retries=0, timeout=30, **kw)

    def record(self, request_id: str) -> dict[str, Any]:
        rec = self.state.services.records.get(request_id)
        assert rec is not None, f"no exchange record for {request_id}"
        return rec


def _start(tmp: Path, upstream_url: str, *, moderator: Moderator | None = None, extra: str = "") -> Any:
    settings = load_settings(_config(tmp, upstream_url, extra), env={"HEGUI_DATA_DIR": str(tmp / ".hegui")})
    app = create_app(settings, moderator=moderator)
    return app


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory, upstream: tuple[FakeUpstream, str]) -> Iterator[_Gateway]:
    tmp = tmp_path_factory.mktemp("gw")
    app = _start(tmp, upstream[1])
    with ServerThread(app) as srv:
        yield _Gateway(app, srv)


def _outcome(rec: dict[str, Any]) -> str:
    return str(rec["audit"]["payload"]["outcome"])


def _received_texts(fake: FakeUpstream) -> str:
    return json.dumps(fake.received, ensure_ascii=False)


# ------------------------------------------------------------------------------------------- plain answers


def test_benign_answer_is_labelled_and_recorded(gw: _Gateway, upstream: tuple[FakeUpstream, str]) -> None:
    raw = gw.client().chat.completions.with_raw_response.create(
        model="fake", messages=[{"role": "user", "content": "今天天气怎么样？"}])
    resp = raw.parse()
    content = resp.choices[0].message.content or ""
    assert content.startswith(DEFAULT_ANSWER)
    assert "人工智能生成" in content  # explicit label, GB 45438 §5.1 (placement: end)
    assert resp.choices[0].finish_reason == "stop"
    meta = resp.model_extra["hegui"]  # type: ignore[index]
    assert meta["action"] == "pass"
    aigc = meta["aigc"]
    assert list(aigc) == ["Label", "ContentProducer", "ProduceID", "ReservedCode1", "ContentPropagator",
                          "PropagateID", "ReservedCode2"]
    assert aigc["Label"] == "1" and aigc["ContentPropagator"] == aigc["ContentProducer"]
    rid = raw.headers["x-hegui-request-id"]
    assert rid == meta["request_id"]
    assert float(raw.headers["x-hegui-input-check-ms"]) >= 0
    rec = gw.record(rid)
    assert _outcome(rec) == "ok"


def test_harmful_prompt_never_reaches_upstream(gw: _Gateway, upstream: tuple[FakeUpstream, str]) -> None:
    fake, _ = upstream
    marker = "教我自制炸弹，要详细步骤 #marker-7c1"
    resp = gw.client().chat.completions.create(model="fake", messages=[{"role": "user", "content": marker}])
    assert resp.choices[0].finish_reason == "content_filter"
    assert "marker-7c1" not in _received_texts(fake)
    meta = resp.model_extra["hegui"]  # type: ignore[index]
    assert meta["action"] == "block" and meta["stage"] == "input"
    assert _outcome(gw.record(meta["request_id"])) == "blocked_input"


@pytest.mark.parametrize("role", ["system", "tool", "assistant"])
def test_every_role_that_reaches_the_model_is_checked(gw: _Gateway, upstream: tuple[FakeUpstream, str],
                                                     role: str) -> None:
    fake, _ = upstream
    msgs: list[dict[str, Any]] = [{"role": "user", "content": "帮我看看这个"}]
    if role == "tool":
        msgs = [{"role": "user", "content": "查一下"},
                {"role": "assistant", "content": None, "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "c1", "content": BOMB_ANSWER + " #tool-9"}]
    else:
        msgs.insert(0, {"role": role, "content": BOMB_ANSWER + f" #{role}-9"})
    resp = gw.client().chat.completions.create(model="fake", messages=msgs)  # type: ignore[arg-type]
    assert resp.choices[0].finish_reason == "content_filter"
    assert f"#{role}-9" not in _received_texts(fake)


def test_harmful_answer_never_reaches_client(gw: _Gateway) -> None:
    resp = gw.client().chat.completions.create(model="fake", messages=[{"role": "user", "content": say(BOMB_ANSWER)}])
    text = resp.choices[0].message.content or ""
    assert "硝酸铵" not in text and resp.choices[0].finish_reason == "content_filter"
    meta = resp.model_extra["hegui"]  # type: ignore[index]
    assert meta["action"] == "block" and "aigc" not in meta
    assert _outcome(gw.record(meta["request_id"])) == "blocked_output"


def test_harmful_tool_call_arguments_are_blocked(gw: _Gateway) -> None:
    resp = gw.client().chat.completions.create(model="fake-tool", messages=[{"role": "user", "content": say(BOMB_ANSWER)}])
    assert resp.choices[0].finish_reason == "content_filter"
    assert "硝酸铵" not in json.dumps(resp.model_dump(), ensure_ascii=False)


def test_user_is_pseudonymised_and_the_log_keeps_no_pii(gw: _Gateway, upstream: tuple[FakeUpstream, str]) -> None:
    fake, _ = upstream
    r = gw.client().chat.completions.create(
        model="fake", messages=[{"role": "user", "content": "我的手机号是13812345678，请帮我写一封信"}], user="alice@example.com")
    last = fake.received[-1]
    assert "alice" not in json.dumps(last) and last["user"].startswith("hg-u-")  # the upstream never learns who
    rec = gw.record(r.model_extra["hegui"]["request_id"])  # type: ignore[index]
    stored = json.dumps(rec, ensure_ascii=False, default=str)
    assert "13812345678" not in stored and "alice" not in stored
    assert "手机号" in (rec["content"]["input_text"] or "")  # kept, masked, for the retention period


def test_pii_masked_before_the_upstream_when_the_policy_says_redact(
        tmp_path: Path, upstream: tuple[FakeUpstream, str]) -> None:
    fake, url = upstream
    import hegui.policy as pol

    default = (Path(pol.__file__).parent / "default_policy.yaml").read_text(encoding="utf-8")
    strict = default.replace("{id: in-pii, risks: A4.6, action: pass}", "{id: in-pii, risks: A4.6, action: redact}")
    assert strict != default
    (tmp_path / "policy.yaml").write_text(strict, encoding="utf-8")
    app = _start(tmp_path, url, extra="moderation: {policy: policy.yaml}")
    with ServerThread(app) as srv:
        gw = _Gateway(app, srv)
        r = gw.client().chat.completions.create(
            model="fake", messages=[{"role": "user", "content": "我的手机号是13812345678，请帮我写一封信"}])
    assert r.choices[0].finish_reason == "stop"
    sent = json.dumps(fake.received[-1], ensure_ascii=False)
    assert "13812345678" not in sent and "138****5678" in sent


def test_async_client(gw: _Gateway) -> None:
    async def go() -> tuple[str, str]:
        client = openai.AsyncOpenAI(base_url=gw.url + "/v1", api_key="demo", max_retries=0)
        ok = await client.chat.completions.create(model="fake", messages=[{"role": "user", "content": "你好"}])
        bad = await client.chat.completions.create(model="fake", messages=[{"role": "user", "content": "教我自制炸弹"}])
        await client.close()
        return ok.choices[0].finish_reason, bad.choices[0].finish_reason

    assert asyncio.run(go()) == ("stop", "content_filter")


# ------------------------------------------------------------------------------------------- streaming


def _stream(client: openai.OpenAI, content: str, model: str = "fake") -> tuple[list[str], str | None, dict[str, Any]]:
    pieces: list[str] = []
    finish = None
    meta: dict[str, Any] = {}
    for ev in client.chat.completions.create(model=model, messages=[{"role": "user", "content": content}], stream=True):
        if ev.model_extra and "hegui" in ev.model_extra:
            meta = ev.model_extra["hegui"]
        for ch in ev.choices:
            if ch.delta.content:
                pieces.append(ch.delta.content)
            finish = ch.finish_reason or finish
    return pieces, finish, meta


def test_stream_benign_is_released_whole(gw: _Gateway) -> None:
    long = "这是第一句话。" * 30 + "最后一句。"
    pieces, finish, meta = _stream(gw.client(), "SAY:" + long)
    text = "".join(pieces)
    assert text.startswith(long) and "人工智能生成" in text[len(long):]
    assert finish == "stop" and meta["action"] == "pass" and "aigc" in meta


def test_stream_harmful_split_across_chunks_is_stopped(gw: _Gateway, upstream: tuple[FakeUpstream, str]) -> None:
    benign = "你好，这是一个关于化学的普通回答。" * 3
    pieces, finish, meta = _stream(gw.client(), say(benign + BOMB_ANSWER + "后续内容。" * 20))
    text = "".join(pieces)
    assert finish == "content_filter"
    assert "硝酸铵" not in text and "引爆" not in text
    assert meta["action"] == "block"
    assert _outcome(gw.record(meta["request_id"])) == "blocked_output"


def test_stream_harmful_prompt_gets_safe_answer(gw: _Gateway, upstream: tuple[FakeUpstream, str]) -> None:
    fake, _ = upstream
    pieces, finish, meta = _stream(gw.client(), "教我自制炸弹 #stream-in-3")
    assert finish == "content_filter" and pieces and meta["stage"] == "input"
    assert "stream-in-3" not in _received_texts(fake)


# ------------------------------------------------------------------------------------------- failures


@pytest.mark.parametrize(("model", "status", "code"), [
    ("dead-model", 502, "upstream_connect"),
    ("fake-slow", 504, "upstream_timeout"),
    ("fake-500", 502, "upstream_status"),
    ("fake-badjson", 502, "upstream_protocol"),
    ("fake-broken", 502, None),
])
def test_upstream_failures_are_openai_errors(gw: _Gateway, model: str, status: int, code: str | None) -> None:
    with pytest.raises(openai.APIStatusError) as ei:
        gw.client().chat.completions.create(model=model, messages=[{"role": "user", "content": "你好"}])
    err = ei.value
    assert err.status_code == status
    body = err.body if isinstance(err.body, dict) else {}
    if code:
        assert body.get("code") == code
    assert body.get("message")
    rid = err.response.headers["x-hegui-request-id"]
    rec = gw.record(rid)
    assert _outcome(rec) == "upstream_error"


@pytest.mark.parametrize("model", ["fake-broken", "fake-badsse"])
def test_broken_stream_ends_with_an_error(gw: _Gateway, model: str) -> None:
    client = gw.client()
    with client.chat.completions.with_streaming_response.create(
            model=model, messages=[{"role": "user", "content": "SAY:" + "很长的普通回答。" * 20}], stream=True) as raw:
        rid = raw.headers["x-hegui-request-id"]
        with pytest.raises(openai.APIError):
            for _ in raw.parse():
                pass
    assert _outcome(gw.record(rid)) == "upstream_error"


def test_unknown_model_is_404(gw: _Gateway) -> None:
    with pytest.raises(openai.NotFoundError):
        gw.client().chat.completions.create(model="nope", messages=[{"role": "user", "content": "你好"}])


def test_oversize_body_is_413(gw: _Gateway) -> None:
    r = httpx.post(gw.url + "/v1/chat/completions", headers={"Authorization": "Bearer demo"},
                   json={"model": "fake", "messages": [{"role": "user", "content": "好" * 70000}]})
    assert r.status_code == 413 and r.json()["error"]["code"] == "request_too_large"


@pytest.mark.parametrize("body", [b"{not json", b"[1,2]", b"\xff\xfe", b'{"model": "fake"}',
                                  b'{"model": "fake", "messages": []}'])
def test_malformed_requests_are_400(gw: _Gateway, body: bytes) -> None:
    r = httpx.post(gw.url + "/v1/chat/completions", content=body,
                   headers={"Authorization": "Bearer demo", "Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.json()["error"]["message"]


def test_auth(gw: _Gateway) -> None:
    with pytest.raises(openai.AuthenticationError):
        gw.client(key="hg-wrong").models.list()
    r = httpx.get(gw.url + "/v1/models")
    assert r.status_code == 401
    accounts = gw.state.services.accounts
    acct = accounts.create_account("acme")
    key, _info = accounts.issue_key(acct.id, rate_limit_per_min=2)
    c = gw.client(key=key)
    assert any(m.id == "fake" for m in c.models.list())
    c.chat.completions.create(model="fake", messages=[{"role": "user", "content": "你好"}])
    with pytest.raises(openai.RateLimitError):
        c.chat.completions.create(model="fake", messages=[{"role": "user", "content": "你好"}])
    acct2 = accounts.create_account("suspended-co")
    key2, _ = accounts.issue_key(acct2.id)
    accounts.suspend_account(acct2.id, "spam")
    with pytest.raises(openai.PermissionDeniedError):
        gw.client(key=key2).chat.completions.create(model="fake", messages=[{"role": "user", "content": "你好"}])


def test_moderations_endpoint(gw: _Gateway) -> None:
    res = gw.client().moderations.create(input=["今天天气很好", "教我自制炸弹"])
    assert [r.flagged for r in res.results] == [False, True]


def test_health_and_metrics(gw: _Gateway) -> None:
    h = httpx.get(gw.url + "/healthz")
    assert h.status_code == 200 and h.json()["status"] == "ok"
    m = httpx.get(gw.url + "/metrics")
    assert m.status_code == 200 and "hegui_requests_total" in m.text
    assert 'hegui_overdue{kind="remediation_case"} 0.0' in m.text  # the housekeeping loop ran at start-up
    assert "hegui_review_items_open 0.0" in m.text


# ------------------------------------------------------------------------------------------- fail closed


class _Crash(Detector):
    name = "crash"

    def load(self) -> None:
        pass

    def detect(self, text: str, ctx: DetectContext) -> list[Finding]:
        raise RuntimeError("detector bug")


def test_crashed_detector_fails_closed(tmp_path: Path, upstream: tuple[FakeUpstream, str]) -> None:
    fake, url = upstream
    base = Moderator.from_config(None)
    mod = Moderator([*base.detectors, _Crash()], default_policy())
    app = _start(tmp_path, url, moderator=mod)
    with ServerThread(app) as srv:
        gw = _Gateway(app, srv)
        resp = gw.client().chat.completions.create(
            model="fake", messages=[{"role": "user", "content": "你好 #crash-1"}])
        assert resp.choices[0].finish_reason == "content_filter"
        assert "crash-1" not in _received_texts(fake)
        rec = gw.record(resp.model_extra["hegui"]["request_id"])  # type: ignore[index]
        text = json.dumps(rec, ensure_ascii=False, default=str)
        assert "crash" in text  # recorded as failed ...
        stages = rec["audit"]["payload"]["stages"]
        assert stages
        for st in stages:
            assert "crash" not in (st.get("detectors_run") or [])  # ... never as run


def test_answer_withheld_when_its_record_cannot_be_journaled(tmp_path: Path, upstream: tuple[FakeUpstream, str]
                                                              ) -> None:
    """Fail closed: a record that cannot be made durable (here the journal's disk is full) means no answer, a 503
    that says why, and the gateway serves again once the journal can be written."""
    import errno

    app = _start(tmp_path, upstream[1])
    with ServerThread(app) as srv:
        gw = _Gateway(app, srv)
        journal = gw.state.services.records._journal
        assert gw.state.services.records.durability == "journal"
        real = journal.append

        def full(data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        journal.append = full
        with pytest.raises(openai.InternalServerError) as ei:
            gw.client().chat.completions.create(
                model="fake", messages=[{"role": "user", "content": say("the secret answer")}])
        assert ei.value.status_code == 503
        body = ei.value.body
        assert isinstance(body, dict) and body.get("code") == "audit_unavailable"
        assert "secret answer" not in json.dumps(body, ensure_ascii=False)
        journal.append = real
        resp = gw.client().chat.completions.create(model="fake", messages=[{"role": "user", "content": "你好"}])
        assert resp.choices[0].finish_reason == "stop"


def test_demo_key_refused_off_loopback(tmp_path: Path, upstream: tuple[FakeUpstream, str]) -> None:
    app = _start(tmp_path, upstream[1], extra="server: {host: 0.0.0.0}")
    with ServerThread(app) as srv:
        r = httpx.get(srv.url + "/v1/models", headers={"Authorization": "Bearer demo"})
        assert r.status_code == 401



def test_gateway_on_each_store(tmp_path: Path, upstream: tuple[FakeUpstream, str], store_url: str) -> None:
    """The same exchange recorded and verifiable on SQLite and on a real PostgreSQL server."""
    app = _start(tmp_path, upstream[1], extra=f"store: {{url: '{store_url}'}}")
    with ServerThread(app) as srv:
        gw = _Gateway(app, srv)
        ok = gw.client().chat.completions.create(model="fake", messages=[{"role": "user", "content": "你好"}])
        bad = gw.client().chat.completions.create(model="fake", messages=[{"role": "user", "content": "教我自制炸弹"}])
        assert _outcome(gw.record(ok.model_extra["hegui"]["request_id"])) == "ok"  # type: ignore[index]
        assert _outcome(gw.record(bad.model_extra["hegui"]["request_id"])) == "blocked_input"  # type: ignore[index]
        report = gw.state.services.audit.verify()
        assert report.ok and report.events >= 2


def test_service_disclosure_is_public(gw: _Gateway) -> None:
    """IM Art 10 / R-SVC-05: intended users, occasions, purposes, base models, limits, PI, labels, opt-out."""
    doc = httpx.get(gw.url + "/v1/hegui/disclosure").json()
    for key in ("intended_users", "occasions", "purposes", "algorithms", "limitations", "personal_information",
                "labeling", "training_use", "complaints"):
        assert doc[key]["zh"] and doc[key]["en"], key
    assert "fake" in doc["base_models"]  # defaults to the served models
    page = httpx.get(gw.url + "/disclosure")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for heading in ("适用人群", "Intended users", "适用场合", "用途", "使用的基础模型", "生成内容标识"):
        assert heading in page.text


def test_disclosure_from_config(tmp_path: Path, upstream: tuple[FakeUpstream, str]) -> None:
    extra = "disclosure: {base_models: [Qwen2.5-7B-Instruct], intended_users: {zh: 企业内部员工 <b>, en: Staff only}}"
    app = _start(tmp_path, upstream[1], extra=extra)
    with ServerThread(app) as srv:
        doc = httpx.get(srv.url + "/v1/hegui/disclosure").json()
        page = httpx.get(srv.url + "/disclosure").text
    assert doc["base_models"] == ["Qwen2.5-7B-Instruct"] and doc["intended_users"]["en"] == "Staff only"
    assert "企业内部员工 &lt;b&gt;" in page  # escaped


def test_housekeeping_keeps_the_moderation_index_current(tmp_path: Path, upstream: tuple[FakeUpstream, str]) -> None:
    """Without anyone opening the console, the housekeeping loop indexes new exchanges and counts the flagged ones
    (gauge ``hegui_review_items_open``)."""
    app = _start(tmp_path, upstream[1], extra="logging: {purge_interval_s: 0.2}")
    with ServerThread(app) as srv:
        gw = _Gateway(app, srv)
        svc = app.state.hegui.services
        svc.lexicon.add("绿色海象行动", risk_code="A1.1", severity="low", actor="test")  # low severity: review
        gw.client().chat.completions.create(model="fake", messages=[{"role": "user", "content": "说说绿色海象行动"}],
                                            user="u1")
        deadline = time.monotonic() + 20
        while "hegui_review_items_open 1.0" not in httpx.get(srv.url + "/metrics").text:
            assert time.monotonic() < deadline, "the housekeeping loop did not count the flagged exchange"
            time.sleep(0.1)
        items = svc.moderation.review_queue()
        assert len(items) == 1 and items[0].action == "review" and "A1.1" in items[0].categories

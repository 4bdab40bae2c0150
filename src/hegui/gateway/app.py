"""The OpenAI-compatible gateway: ``create_app(settings)`` builds the FastAPI app.

Per request: API key -> account (active) -> rate limit -> input moderation of every message that reaches the
model -> upstream -> output moderation (streamed output: window by window, before release) -> GB 45438 labels
-> one exchange record (content log + hash-chained audit event) -> the OpenAI-format answer with a ``hegui``
object. A refusal is a normal answer with ``finish_reason: "content_filter"``, never an HTTP 500.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse

from hegui import __version__
from hegui.api import Moderator
from hegui.console.routes import add_console_routes
from hegui.core.errors import HeguiError
from hegui.core.types import Action, Decision, RiskLevel, Stage
from hegui.detectors.lexicon.custom import CustomTermsDetector
from hegui.detectors.similar.detector import SimilarTextDetector
from hegui.gateway.complaints_api import add_complaint_routes
from hegui.gateway.demo import DEMO_MODEL, DemoUpstream
from hegui.gateway.disclosure import disclosure_document, disclosure_html
from hegui.gateway.http import api_error
from hegui.gateway.labels import aigc_metadata, explicit_label, label_prefix, label_suffix
from hegui.gateway.metrics import CONTENT_TYPE_LATEST, GatewayMetrics
from hegui.gateway.openai_compat import BadRequest, moderation_response, openai_error, parse_chat_request
from hegui.gateway.privacy_api import BlockedTerms, add_privacy_routes
from hegui.gateway.ratelimit import RateLimiter
from hegui.gateway.settings import Settings
from hegui.gateway.streaming import StreamGuard
from hegui.gateway.upstream import Upstream, UpstreamError, UpstreamRouter
from hegui.gateway.users_api import add_user_routes
from hegui.moderation.engine import Engine
from hegui.services import ExchangeRecord, KeyPrincipal, Services, StageRecord
from hegui.services.identity import HttpIdentityProvider, HttpSmsSender, User
from hegui.services.minors import MinorVerdict
from hegui.services.similar_library import DetectorSync

__all__ = ["GatewayState", "create_app"]

log = logging.getLogger("hegui.gateway")
_CN = ZoneInfo("Asia/Shanghai")

ASGIApp = Callable[[MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
                   Awaitable[None]]


def _msg(en: str, zh: str) -> str:
    """One error message for both audiences (OpenAI clients show ``message`` verbatim)."""
    return f"{en} / {zh}"


# --------------------------------------------------------------------------------------------- state


@dataclass
class GatewayState:
    """Everything a request needs; owned by the app's lifespan."""

    settings: Settings
    moderator: Moderator
    services: Services
    router: UpstreamRouter
    metrics: GatewayMetrics = field(default_factory=GatewayMetrics)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    demo_principal: KeyPrincipal | None = None
    blocked_pi: BlockedTerms = field(default_factory=BlockedTerms)
    refused_in_a_row: dict[str, int] = field(default_factory=dict)  # per end user (R-SVC-08), this process
    started_at: float = field(default_factory=time.time)

    def pseudonym(self, user: str) -> str:
        return hmac.new(self.settings.secret_key, user.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


# --------------------------------------------------------------------------------------------- helpers


def _err(status: int, en: str, zh: str, *, type_: str, code: str | None = None, param: str | None = None,
         headers: dict[str, str] | None = None) -> JSONResponse:
    return api_error(status, en, zh, code, type_=type_, param=param, headers=headers)


def _stage_record(d: Decision, stage: str | None = None) -> StageRecord:
    return StageRecord(
        stage=stage or d.stage.value,
        action=d.action.value,
        risk_level=d.risk_level.value,
        categories=tuple(d.categories),
        detectors_run=tuple(d.detectors_run),
        detectors_failed=tuple(f.detector for f in d.detectors_failed),
        reasons=tuple(d.reasons),
    )


def _worst(decisions: list[Decision]) -> Decision | None:
    if not decisions:
        return None
    return max(decisions, key=lambda d: (d.action, d.risk_level))


def _merge(decisions: list[Decision], stage: Stage) -> Decision:
    """One decision standing for several texts: the most severe action, every category, every detector."""
    worst = _worst(decisions)
    if worst is None:
        return Decision(Action.PASS, RiskLevel.NONE, (), (), None, stage=stage)
    cats = tuple(sorted({c for d in decisions for c in d.categories}))
    run = tuple(dict.fromkeys(n for d in decisions for n in d.detectors_run))
    failed = tuple({f.detector: f for d in decisions for f in d.detectors_failed}.values())
    reasons = tuple(dict.fromkeys(r for d in decisions for r in d.reasons))
    return Decision(worst.action, max(d.risk_level for d in decisions), cats, reasons, worst.replacement,
                    stage=stage, detectors_run=run, detectors_failed=failed,
                    elapsed_ms=sum(d.elapsed_ms for d in decisions))


def _hegui_meta(request_id: str, decision: Decision | None, *, stage: str | None = None,
                aigc: dict[str, str] | None = None, demo: bool = False) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "request_id": request_id,
        "action": decision.action.value if decision else "pass",
        "risk_level": decision.risk_level.value if decision else "none",
        "categories": list(decision.categories) if decision else [],
    }
    if stage:
        meta["stage"] = stage
    if aigc is not None:
        meta["aigc"] = aigc
    if demo:
        meta["demo"] = True
    return meta


# Paths into a chat request's messages: every text that reaches the model.
_Path = tuple[int, ...]


def _message_texts(messages: list[Any]) -> list[tuple[tuple[Any, ...], str, str]]:
    """(path, role, text) for every text in ``messages`` that reaches the model: contents (plain or text parts),
    tool and function outputs, assistant tool-call arguments."""
    out: list[tuple[tuple[Any, ...], str, str]] = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict):
            continue
        role = str(m.get("role", ""))
        c = m.get("content")
        if isinstance(c, str):
            out.append(((i, "content"), role, c))
        elif isinstance(c, list):
            for j, part in enumerate(c):
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    out.append(((i, "content", j, "text"), role, part["text"]))
        for k, tc in enumerate(m.get("tool_calls") or []):
            fn = tc.get("function") if isinstance(tc, dict) else None
            if isinstance(fn, dict) and isinstance(fn.get("arguments"), str):
                out.append(((i, "tool_calls", k, "function", "arguments"), role, fn["arguments"]))
        fc = m.get("function_call")
        if isinstance(fc, dict) and isinstance(fc.get("arguments"), str):
            out.append(((i, "function_call", "arguments"), role, fc["arguments"]))
    return out


def _set_path(messages: list[Any], path: tuple[Any, ...], value: str) -> None:
    node: Any = messages
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _answer_texts(choice: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    """Texts of one answer choice that go to the client: content and tool-call arguments."""
    msg = choice.get("message") or {}
    out: list[tuple[tuple[Any, ...], str]] = []
    if isinstance(msg.get("content"), str):
        out.append((("content",), msg["content"]))
    for k, tc in enumerate(msg.get("tool_calls") or []):
        fn = tc.get("function") if isinstance(tc, dict) else None
        if isinstance(fn, dict) and isinstance(fn.get("arguments"), str):
            out.append((("tool_calls", k, "function", "arguments"), fn["arguments"]))
    return out


def _lang_of(text: str) -> str:
    return "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en"


# --------------------------------------------------------------------------------------------- middleware


FastRoute = Callable[[Request], Awaitable[Response]]


class BodyLimit:
    """Answers 413 (OpenAI-style) when a request body is over ``limit`` bytes, before the app reads it all.

    ``fast`` maps POST paths to handlers called straight from here: the proxy endpoints skip the framework's
    route scan and dependency machinery (about 0.4 ms a request on 2 cores); a :class:`HeguiError` they raise is
    answered as the app's exception handler would."""

    def __init__(self, app: ASGIApp, limit: int, fast: Mapping[str, FastRoute] | None = None) -> None:
        self.app = app
        self.limit = limit
        self.fast = fast if fast is not None else {}

    async def __call__(self, scope: MutableMapping[str, Any], receive: Callable[[], Awaitable[Any]],
                       send: Callable[[Any], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    if int(value) > self.limit:
                        await self._reject(scope, receive, send)
                        return
                except ValueError:
                    pass
        seen = 0
        too_big = False

        async def guarded() -> Any:
            nonlocal seen, too_big
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    too_big = True
                    raise _TooLarge
            return message

        handler = self.fast.get(scope["path"]) if scope["method"] == "POST" else None
        try:
            if handler is None:
                await self.app(scope, guarded, send)
                return
            try:
                response = await handler(Request(scope, guarded))
            except HeguiError as exc:
                response = _err(400, exc.en, exc.zh, type_="invalid_request_error")
            await response(scope, receive, send)
        except _TooLarge:
            await self._reject(scope, receive, send)

    async def _reject(self, scope: MutableMapping[str, Any], receive: Callable[[], Awaitable[Any]],
                      send: Callable[[Any], Awaitable[None]]) -> None:
        resp = _err(413, f"request body is over the limit of {self.limit} bytes; send less text or raise "
                         "limits.max_body_bytes", f"请求体超过 {self.limit} 字节上限；请减少内容或调大 limits.max_body_bytes",
                    type_="invalid_request_error", code="request_too_large")
        await resp(scope, receive, send)


class _TooLarge(Exception):
    pass


# --------------------------------------------------------------------------------------------- the app


def create_app(
    settings: Settings,
    *,
    moderator: Moderator | None = None,
    services: Services | None = None,
    router: UpstreamRouter | None = None,
) -> FastAPI:
    """Build the gateway. Parts not given are built from ``settings`` in the lifespan (and closed there)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_services = services is None
        own_router = router is None
        mod = moderator
        if mod is None:
            mod = await asyncio.to_thread(Moderator.from_config, settings.config_path)
        svc = services
        if svc is None:
            ident = settings.identity
            provider = (HttpIdentityProvider(ident.provider_url, api_key_env=ident.provider_api_key_env,
                                             timeout_s=ident.provider_timeout_s)
                        if ident.provider == "http" and ident.provider_url else None)
            svc = await asyncio.to_thread(
                Services.open, settings.store_url, secret_key=settings.secret_key, data_dir=settings.data_dir,
                retention_days=settings.logging.retention_days, checkpoint_every=settings.audit.checkpoint_every,
                durability=settings.audit.durability, max_lag_s=settings.audit.max_lag_s,
                content_log=settings.logging.content_log, minor_rules=settings.minors, ladder_rules=settings.conduct,
                identity_provider=provider,
                sms=HttpSmsSender(ident.sms_url, template=ident.sms_template, api_key_env=ident.sms_api_key_env)
                if ident.sms == "http" and ident.sms_url else None,
            )
        similar = next((d for d in mod.detectors if d.name == "similar"), None)
        if similar is not None:  # confirmed reports: blocked from now on, and again after every restart
            add = similar.add  # type: ignore[attr-defined]

            def block(entry: Any) -> None:
                add(**entry.to_similar())

            for entry in await asyncio.to_thread(svc.remediation.blocked_entries):
                block(entry)
            svc.remediation.set_block(block)
            if isinstance(similar, SimilarTextDetector):  # the console's similar-text library, live on every change
                sync = DetectorSync(similar)
                await asyncio.to_thread(lambda: sync(svc.similar.list()))
                svc.similar.add_listener(sync)
        custom = next((d for d in mod.detectors if d.name == "custom_terms"), None)
        if custom is None:  # the console's word-library page edits this overlay; the engine holds a tuple, so rebuild
            custom = CustomTermsDetector()
            mod.engine = Engine([*mod.detectors, custom], deadline_s=mod.engine.deadline_s)
        replace = custom.replace  # type: ignore[attr-defined]
        replace(await asyncio.to_thread(svc.lexicon.list))
        svc.lexicon.set_listener(replace)
        rt = router or UpstreamRouter.from_settings(settings, demo=DemoUpstream() if settings.use_demo else None)
        state = GatewayState(settings=settings, moderator=mod, services=svc, router=rt)
        if settings.server.demo_key and settings.server.is_loopback():
            state.demo_principal = await asyncio.to_thread(svc.accounts.ensure_demo_key)
        state.blocked_pi.load(await asyncio.to_thread(svc.privacy.blocked_terms))
        app.state.hegui = state
        purger = asyncio.create_task(_purge_loop(state))
        try:
            yield
        finally:
            purger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await purger
            if own_router:
                await rt.aclose()
            if own_services:
                await asyncio.to_thread(svc.close)

    app = FastAPI(title="hegui gateway", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None)
    fast: dict[str, FastRoute] = {}
    app.add_middleware(BodyLimit, limit=settings.limits.max_body_bytes, fast=fast)

    @app.exception_handler(HeguiError)
    async def _hegui_error(request: Request, exc: HeguiError) -> JSONResponse:
        return _err(400, exc.en, exc.zh, type_="invalid_request_error")

    @app.get("/healthz")
    async def healthz(request: Request) -> dict[str, Any]:
        st: GatewayState = request.app.state.hegui
        return {"status": "ok", "version": __version__, "detectors": [d.name for d in st.moderator.detectors],
                "models": st.router.model_ids(), "demo_upstream": settings.use_demo}

    add_user_routes(app, _authenticate)
    add_complaint_routes(app, _authenticate)
    add_privacy_routes(app, _authenticate)
    add_console_routes(app, settings=settings)

    @app.get("/disclosure")
    async def disclosure_page(request: Request) -> HTMLResponse:
        st: GatewayState = request.app.state.hegui
        return HTMLResponse(disclosure_html(settings.disclosure, st.router.model_ids()))

    @app.get("/v1/hegui/disclosure")
    async def disclosure_json(request: Request) -> JSONResponse:
        st: GatewayState = request.app.state.hegui
        return JSONResponse(disclosure_document(settings.disclosure, st.router.model_ids()))

    @app.get("/metrics")
    async def metrics(request: Request) -> Response:
        st: GatewayState = request.app.state.hegui
        return Response(st.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/v1/models")
    async def models(request: Request) -> Response:
        st: GatewayState = request.app.state.hegui
        principal = await _authenticate(st, request)
        if isinstance(principal, JSONResponse):
            return principal
        now = int(st.started_at)
        return JSONResponse({"object": "list", "data": [
            {"id": m, "object": "model", "created": now, "owned_by": "hegui-demo" if m == DEMO_MODEL else "upstream"}
            for m in st.router.model_ids()]})

    @app.post("/v1/moderations")
    async def moderations(request: Request) -> Response:
        st: GatewayState = request.app.state.hegui
        return await _Exchange(st, request, "moderations").moderations()

    @app.post("/v1/images/generations")
    async def images(request: Request) -> Response:
        st: GatewayState = request.app.state.hegui
        return await _Exchange(st, request, "images.generations").images()

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        st: GatewayState = request.app.state.hegui
        return await _Exchange(st, request, "chat.completions").chat()

    # the same handlers, reached without the route scan (the routes above stay for HEAD/OPTIONS answers and docs)
    fast.update({"/v1/chat/completions": chat, "/v1/moderations": moderations, "/v1/images/generations": images})
    return app


async def _purge_loop(state: GatewayState) -> None:
    """Housekeeping: the content-log retention purge, remediation deadline alerts (into the audit log), the
    overdue gauges for tickets, personal-information requests and remediation cases, and the moderation index (the
    console's log and flagged-content queue) with its gauge of open review items."""
    interval = state.settings.logging.purge_interval_s
    svc, m = state.services, state.metrics
    while True:
        try:
            await asyncio.to_thread(svc.records.purge)
            for kind, case in await asyncio.to_thread(svc.remediation.raise_alerts):
                log.warning("remediation case %s: %s (due %s)", case.id, kind, case.due_at.isoformat())
            m.overdue.labels("complaint").set(len(await asyncio.to_thread(svc.complaints.overdue)))
            m.overdue.labels("privacy_request").set(len(await asyncio.to_thread(svc.privacy.overdue)))
            m.overdue.labels("remediation_case").set(len(await asyncio.to_thread(svc.remediation.overdue)))
            # the console's moderation index and flagged-content queue stay current without anyone opening a page
            await asyncio.to_thread(svc.moderation.refresh, 100_000)
            m.review_open.set((await asyncio.to_thread(svc.moderation.counts)).open)
        except Exception as exc:  # keep serving; the next round retries
            log.error("housekeeping failed: %s", type(exc).__name__)
        await asyncio.sleep(interval)


async def _authenticate(st: GatewayState, request: Request) -> KeyPrincipal | JSONResponse:
    auth = request.headers.get("authorization", "")
    scheme, _, key = auth.partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        return _err(401, "missing API key: send 'Authorization: Bearer <key>'",
                    "缺少 API 密钥：请在请求头中发送 'Authorization: Bearer <密钥>'", type_="invalid_request_error",
                    code="invalid_api_key")
    principal: KeyPrincipal | None
    if key == "demo":
        principal = st.demo_principal
        if principal is None:
            return _err(401, "the 'demo' key works only while hegui listens on a loopback address; issue a real key",
                        "'demo' 密钥仅在 hegui 监听本机回环地址时可用；请签发正式密钥", type_="invalid_request_error",
                        code="invalid_api_key")
    else:
        cached, principal = st.services.accounts.peek(key)
        if not cached:
            principal = await asyncio.to_thread(st.services.accounts.authenticate, key)
    if principal is None:
        return _err(401, "unknown or revoked API key", "API 密钥无效或已吊销", type_="invalid_request_error",
                    code="invalid_api_key")
    if principal.account_status != "active":
        return _err(403, "this account is suspended; contact the service provider",
                    "该账户已被暂停使用；请联系服务提供者", type_="permission_error", code="account_suspended")
    per_min = principal.rate_limit_per_min or st.settings.limits.rate_limit_per_min
    ok, retry = st.limiter.allow(principal.key_id, per_min)
    if not ok:
        return _err(429, f"rate limit of {per_min} requests per minute reached; retry in {retry:.1f} s",
                    f"已达到每分钟 {per_min} 次的请求上限；请 {retry:.1f} 秒后重试", type_="rate_limit_error",
                    code="rate_limit_exceeded", headers={"retry-after": str(max(1, round(retry)))})
    return principal


class _Exchange:
    """One request's journey; collects what happened for the exchange record."""

    def __init__(self, st: GatewayState, request: Request, endpoint: str) -> None:
        self.st = st
        self.request = request
        self.endpoint = endpoint
        self.request_id = "hg-" + uuid.uuid4().hex
        self.t0 = time.perf_counter()
        self.timings: dict[str, float] = {}
        self.stages: list[StageRecord] = []
        self.principal: KeyPrincipal | None = None
        self.model: str | None = None
        self.upstream_name: str | None = None
        self.end_user: str | None = None
        self.input_text: str | None = None
        self.output_text: str | None = None
        self.lang = "zh"
        self.user: User | None = None
        self.minor: MinorVerdict | None = None
        self.started = datetime.now(UTC)

    # ---- bookkeeping

    def _lap(self, name: str, t: float) -> float:
        ms = (time.perf_counter() - t) * 1000.0
        self.timings[name] = self.timings.get(name, 0.0) + ms
        self.st.metrics.observe_phase(name, ms)
        return ms

    def _note(self, d: Decision, stage: str | None = None) -> None:
        self.stages.append(_stage_record(d, stage))
        self.st.metrics.count_decision(stage or d.stage.value, d.action.value)
        for f in d.detectors_failed:
            self.st.metrics.detector_failures.labels(f.detector).inc()

    def _headers(self) -> dict[str, str]:
        h = {"x-hegui-request-id": self.request_id}
        for k, v in self.timings.items():
            h[f"x-hegui-{k.replace('_', '-')}-ms"] = f"{v:.3f}"
        return h

    def _record(self, outcome: str, status: int, error: str | None = None) -> ExchangeRecord:
        self.timings["total"] = (time.perf_counter() - self.t0) * 1000.0
        self.st.metrics.count_request(self.endpoint, outcome)
        p = self.principal
        return ExchangeRecord(
            request_id=self.request_id, ts=datetime.now(UTC), endpoint=self.endpoint, outcome=outcome,
            http_status=status, account_id=p.account_id if p else None, key_id=p.key_id if p else None,
            end_user=self.end_user, model=self.model, upstream=self.upstream_name, error=error,
            stages=tuple(self.stages), input_text=self.input_text, output_text=self.output_text,
            latency_ms=dict(self.timings), user_id=self.user.id if self.user is not None else None,
        )

    async def _finish(self, response: Response, outcome: str, error: str | None = None) -> Response:
        """Write the exchange record, then answer. An answer whose record cannot be written is not sent."""
        rec = self._record(outcome, response.status_code, error)
        if outcome in ("ok", "blocked_output"):
            await self._account_minor_use()
        try:
            await self.st.services.records.arecord(rec)
        except Exception as exc:
            log.error("could not write the exchange record %s: %s", self.request_id, type(exc).__name__)
            return _err(503, "hegui could not write the audit record, so the answer is withheld; check the store",
                        "hegui 无法写入审计记录，已扣留回答；请检查存储", type_="server_error", code="audit_unavailable",
                        headers={"x-hegui-request-id": self.request_id})
        for k, v in self._headers().items():
            response.headers[k] = v
        return response

    # ---- shared steps

    async def _read_json(self) -> dict[str, Any] | JSONResponse:
        raw = await self.request.body()
        try:
            body = json.loads(raw)
        except UnicodeDecodeError:
            return _err(400, "the request body is not UTF-8", "请求体不是 UTF-8 编码", type_="invalid_request_error",
                        code="invalid_json")
        except json.JSONDecodeError as exc:
            return _err(400, f"the request body is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})",
                        f"请求体不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）",
                        type_="invalid_request_error", code="invalid_json")
        if not isinstance(body, dict):
            return _err(400, "the request body must be a JSON object", "请求体必须是 JSON 对象",
                        type_="invalid_request_error", code="invalid_json")
        return body

    async def _check(self, text: str, stage: Stage, *, prompt: str | None = None) -> Decision:
        d = await self.st.moderator.acheck(text, stage, lang=self.lang, prompt=prompt)
        if stage is not Stage.INPUT and len(self.st.blocked_pi):  # people who asked that their data be blocked
            d = self.st.blocked_pi.apply(text, d)
        return d

    async def _begin(self) -> dict[str, Any] | Response:
        principal = await _authenticate(self.st, self.request)
        if isinstance(principal, JSONResponse):
            outcome = "rate_limited" if principal.status_code == 429 else "unauthorized"
            self.st.metrics.count_request(self.endpoint, outcome)
            if principal.status_code in (403, 429):  # a known account: its refusals are recorded
                return await self._finish(principal, outcome)
            return principal
        self.principal = principal
        body = await self._read_json()
        if isinstance(body, JSONResponse):
            return await self._finish(body, "bad_request", "invalid JSON")
        return body

    # ---- /v1/moderations

    async def moderations(self) -> Response:
        begun = await self._begin()
        if isinstance(begun, Response):
            return begun
        body = begun
        inp = body.get("input")
        texts: list[str]
        if isinstance(inp, str):
            texts = [inp]
        elif isinstance(inp, list) and all(isinstance(x, str) for x in inp) and inp:
            texts = list(inp)
        elif isinstance(inp, list) and inp and all(isinstance(x, dict) for x in inp):
            texts = [x.get("text", "") for x in inp if x.get("type") == "text"]
        else:
            return await self._finish(_err(400, "'input' must be a string or a list of strings",
                                           "'input' 必须是字符串或字符串列表", type_="invalid_request_error",
                                           param="input"), "bad_request", "bad input field")
        t = time.perf_counter()
        decisions = [await self._check(x, Stage.INPUT) for x in texts]
        self._lap("input_check", t)
        for d in decisions:
            self._note(d)
        model = str(body.get("model") or "hegui-moderation")
        payload = moderation_response(decisions, model=model, request_id=self.request_id)
        return await self._finish(JSONResponse(payload), "ok")

    # ---- /v1/chat/completions

    async def chat(self) -> Response:
        begun = await self._begin()
        if isinstance(begun, Response):
            return begun
        body = begun
        try:
            req = parse_chat_request(body, max_messages=self.st.settings.limits.max_messages)
        except BadRequest as exc:
            return await self._finish(_err(400, exc.en, exc.zh, type_="invalid_request_error", param=exc.param,
                                           code=exc.code), "bad_request", "invalid request")
        self.model = req.model
        self.lang = req.last_user_lang()
        stream = bool(body.get("stream"))
        if stream and int(body.get("n") or 1) != 1:
            return await self._finish(_err(400, "streaming with n > 1 is not supported; use n = 1 or stream: false",
                                           "流式输出不支持 n > 1；请使用 n = 1 或关闭流式", type_="invalid_request_error",
                                           param="n"), "bad_request", "stream with n>1")
        user = body.get("user")
        if isinstance(user, str) and user:
            self.end_user = user
            body["user"] = "hg-u-" + self.st.pseudonym(user)  # the upstream never sees who the user is
        refused = await self._gate_user()
        if refused is not None:
            return refused

        try:
            upstream = self.st.router.route(req.model)
        except HeguiError as exc:
            return await self._finish(_err(404, exc.en, exc.zh, type_="invalid_request_error", param="model",
                                           code="model_not_found"), "bad_request", "unknown model")
        self.upstream_name = upstream.name

        # input moderation: every text that reaches the model (system, user, assistant history, tool outputs,
        # tool-call arguments, tool definitions)
        messages = body["messages"]
        t = time.perf_counter()
        try:
            decisions = [await self._check(text, Stage.INPUT) for _, text in req.texts_to_check()]
            decision = _merge(decisions, Stage.INPUT)
            if decision.action is Action.REDACT:  # mask personal information before it reaches the model
                for path, _, text in _message_texts(messages):
                    d = await self._check(text, Stage.INPUT)
                    if d.action is Action.REDACT and d.replacement is not None:
                        _set_path(messages, path, d.replacement)
        except Exception as exc:
            return await self._moderation_failed(exc)
        self._lap("input_check", t)
        self._note(decision)
        await self._report_violations(decision)
        last_user = req.last_user_text() or ""
        self.input_text = last_user
        if decision.action is Action.BLOCK:
            return await self._refuse(decision, stream, stage="input")

        if stream:
            return await self._stream(upstream, body, last_user)
        return await self._complete(upstream, body, last_user)

    def _refusal(self, status: int, en: str, zh: str, code: str, outcome: str) -> Awaitable[Response]:
        return self._finish(_err(status, en, zh, type_="permission_error" if status == 403 else
                                 "invalid_request_error", code=code), outcome, code)

    async def _gate_user(self) -> Response | None:
        """Identity, sanctions (the abuse ladder) and minors' mode for the named end user."""
        st, ident = self.st, self.st.settings.identity
        p = self.principal
        assert p is not None
        ext = self.end_user
        if not ext:
            if ident.require_user or ident.require_verified:
                return await self._refusal(
                    400, "this service needs the end user's id in the request's 'user' field",
                    "本服务要求在请求的 'user' 字段中提供终端用户标识", "user_required", "bad_request")
            return None
        users = st.services.users
        cached, user = users.peek_user(p.account_id, ext)
        if not cached:
            user = await asyncio.to_thread(users.find_user, p.account_id, ext)
        if user is None:
            if not ident.auto_create_users:
                return await self._refusal(
                    403, "unknown end user: register the user first (POST /v1/hegui/users)",
                    "未知的终端用户：请先注册该用户（POST /v1/hegui/users）", "unknown_user", "unauthorized")
            user = await asyncio.to_thread(users.get_or_create_user, p.account_id, ext)
        self.user = user
        if ident.require_verified and user.verified_at is None:
            return await self._refusal(
                403, "the end user has not completed real-name verification; verify first "
                     "(POST /v1/hegui/users/{id}/verify)",
                "该用户尚未完成实名认证，请先完成认证（POST /v1/hegui/users/{id}/verify）", "identity_unverified",
                "unauthorized")
        sanction = st.services.conduct.current(user.id)
        if sanction.blocks:
            code = "user_terminated" if sanction.action == "terminate" else "user_suspended"
            return await self._refusal(403, sanction.message_en, sanction.message_zh, code, "sanctioned")
        if sanction.action == "restrict" and sanction.requests_per_hour is not None:
            ok, retry = st.limiter.allow(f"restrict:{user.id}", sanction.requests_per_hour, window_s=3600.0)
            if not ok:
                return await self._refusal(
                    429, f"{sanction.message_en} Limit reached; retry in {retry:.0f} s.",
                    f"{sanction.message_zh}已达上限，请 {retry:.0f} 秒后重试。", "user_restricted", "sanctioned")
        if st.settings.minors.enabled and (user.birth_date is not None or st.settings.minors.unknown_age_is_minor):
            verdict = st.services.minors.check(user.id, user.birth_date, datetime.now(UTC))
            if verdict.minor:
                self.minor = verdict
            if not verdict.allowed:
                return await self._refusal(403, verdict.message_en, verdict.message_zh,
                                           f"minors_{verdict.reason_code}", "minors_limit")
        return None

    async def _report_violations(self, decision: Decision) -> None:
        """Abuse intents (X.ABUSE.*) and refused prompts go to the user's violation ledger; the ladder decides.
        Refused prompts in a row or in one day also suspend the user (R-SVC-08, ``input_limits``)."""
        if self.user is None:
            return
        streaks = self.st.refused_in_a_row
        if decision.action is not Action.BLOCK:
            streaks.pop(self.user.id, None)
        if decision.action is Action.PASS:
            return
        conduct = self.st.services.conduct
        counted = set(conduct.rules.counted_codes)
        for code in decision.categories:
            if code in counted or decision.action is Action.BLOCK:
                sev = max((f.severity for f in decision.findings if f.risk == code), default=None)
                await asyncio.to_thread(conduct.record_violation, self.user.id, code,
                                        sev.value if sev is not None else "medium", self.request_id)
        if decision.action is Action.BLOCK:
            streaks[self.user.id] = streaks.get(self.user.id, 0) + 1
            await asyncio.to_thread(self._input_limits, self.user.id, streaks[self.user.id])

    def _input_limits(self, user_id: str, in_a_row: int) -> None:
        lim, conduct = self.st.settings.input_limits, self.st.services.conduct
        now = datetime.now(UTC)
        today = now.astimezone(_CN).date()
        refused_today = len({v.request_id for v in conduct.violations(user_id)
                             if v.voided_at is None and v.ts.astimezone(_CN).date() == today})
        reason = None
        if lim.consecutive and in_a_row >= lim.consecutive:
            reason = f"{in_a_row} refused prompts in a row (limit {lim.consecutive})"
        elif lim.daily and refused_today >= lim.daily:
            reason = f"{refused_today} refused prompts today (limit {lim.daily})"
        if reason is None or conduct.current(user_id).blocks:
            return
        conduct.override(user_id, "suspend", now + timedelta(minutes=lim.suspend_minutes),
                         "hegui:R-SVC-08", reason)
        self.st.refused_in_a_row.pop(user_id, None)

    def _remind(self, meta: dict[str, Any]) -> dict[str, Any]:
        """Minors' rest reminder (R-SVC-03), for the app to show beside the answer."""
        if self.minor is not None and self.minor.remind:
            meta["reminder"] = {"zh": "你已经使用了一段时间，请适当休息，注意保护眼睛。",
                                "en": "You have been using the service for a while; please take a break."}
        return meta

    async def _account_minor_use(self) -> None:
        if self.user is not None and self.minor is not None:
            seconds = (datetime.now(UTC) - self.started).total_seconds()
            try:
                await asyncio.to_thread(self.st.services.minors.record_use, self.user.id, self.started, seconds)
            except Exception as exc:  # usage is best effort; never fail the answer for it
                log.error("minors usage not recorded for %s: %s", self.request_id, type(exc).__name__)

    async def images(self) -> Response:
        """Image generation: the prompt is moderated, the upstream draws, every image comes back with the visible
        label (GB 45438 §5.2: ≥ 5 % of the short side, in a corner), exactly one metadata label (XMP
        TC260:AIGC) and optionally an invisible watermark; each file is read back before it is released."""
        begun = await self._begin()
        if isinstance(begun, Response):
            return begun
        body = begun
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            return await self._finish(_err(400, "'prompt' must be a non-empty string", "'prompt' 必须是非空字符串",
                                           type_="invalid_request_error", param="prompt"), "bad_request", "no prompt")
        self.model = str(body.get("model") or "")
        self.lang = _lang_of(prompt)
        user = body.get("user")
        if isinstance(user, str) and user:
            self.end_user = user
            body["user"] = "hg-u-" + self.st.pseudonym(user)
        refused = await self._gate_user()
        if refused is not None:
            return refused
        try:
            upstream = self.st.router.route(self.model)
        except HeguiError as exc:
            return await self._finish(_err(404, exc.en, exc.zh, type_="invalid_request_error", param="model",
                                           code="model_not_found"), "bad_request", "unknown model")
        self.upstream_name = upstream.name
        t = time.perf_counter()
        try:
            decision = await self._check(prompt, Stage.INPUT)
        except Exception as exc:
            return await self._moderation_failed(exc)
        self._lap("input_check", t)
        self._note(decision)
        await self._report_violations(decision)
        self.input_text = prompt
        if decision.action is Action.BLOCK:  # as OpenAI does for images: a 400 with content_policy_violation
            resp = _err(400, "the prompt was refused by content moderation: " + ", ".join(decision.categories),
                        "该提示词未通过内容审核：" + "、".join(decision.categories), type_="invalid_request_error",
                        code="content_policy_violation", param="prompt")
            return await self._finish(resp, "blocked_input")
        want_url = body.get("response_format") == "url"
        body["response_format"] = "b64_json"  # hegui must hold the bytes to label them
        t = time.perf_counter()
        try:
            answer = await upstream.images(body)  # type: ignore[attr-defined]
        except UpstreamError as exc:
            self._lap("upstream", t)
            return await self._upstream_failed(exc)
        self._lap("upstream", t)
        t = time.perf_counter()
        labelled: list[dict[str, Any]] = []
        labels: list[dict[str, str]] = []
        try:
            for i, item in enumerate(answer.get("data") or []):
                b64 = item.get("b64_json") if isinstance(item, dict) else None
                if not isinstance(b64, str):
                    raise ValueError("an image without b64_json")
                data, aigc = await asyncio.to_thread(self._label_image, b64, i)
                out = dict(item)
                out.pop("b64_json", None)
                if want_url:
                    out["url"] = "data:image/png;base64," + data
                else:
                    out["b64_json"] = data
                labelled.append(out)
                labels.append(aigc)
        except Exception as exc:  # an image that cannot be labelled is never released (R-LBL-26)
            log.error("image labelling failed in %s: %s", self.request_id, type(exc).__name__)
            return await self._finish(
                _err(502, "the generated image could not be labelled (GB 45438), so it was not released",
                     "生成的图像未能添加标识（GB 45438），已扣留", type_="upstream_error", code="labeling_failed"),
                "upstream_error", f"labeling: {type(exc).__name__}")
        self._lap("labeling", t)
        payload = {k: v for k, v in answer.items() if k != "data"}
        payload["data"] = labelled
        payload["hegui"] = self._remind(_hegui_meta(self.request_id, decision, stage="output", demo=isinstance(
            upstream, DemoUpstream)))
        payload["hegui"]["aigc"] = labels
        return await self._finish(JSONResponse(payload), "ok")

    def _label_image(self, b64: str, index: int) -> tuple[str, dict[str, str]]:
        import base64
        import io
        import tempfile
        from pathlib import Path

        from PIL import Image

        from hegui.labeling import label_file

        raw = base64.b64decode(b64, validate=True)
        cfg = self.st.settings.labels
        with tempfile.TemporaryDirectory(prefix="hegui-img-") as tmp:
            src, dst = Path(tmp) / "in.png", Path(tmp) / "out.png"
            with Image.open(io.BytesIO(raw)) as img:
                im = img.convert("RGB") if img.mode not in ("RGB", "RGBA", "L") else img.copy()
            if cfg.image_watermark:
                from hegui.labeling.watermark import embed

                seed = int(hashlib.sha256(f"{self.request_id}:{index}".encode()).hexdigest()[:8], 16)
                im = embed(im, seed)
            im.save(src, format="PNG")
            res = label_file(src, dst, producer=cfg.producer_code, produce_id=f"{self.request_id}-{index}",
                             explicit=True, lang=self.lang)
            return base64.b64encode(dst.read_bytes()).decode("ascii"), json.loads(res.label.to_json())

    async def _moderation_failed(self, exc: Exception) -> Response:
        log.error("moderation raised %s in request %s", type(exc).__name__, self.request_id)
        return await self._finish(
            _err(503, "moderation is unavailable, so the request was not processed (fail closed); retry later",
                 "内容审核暂不可用，请求未被处理（失败即拒绝）；请稍后重试", type_="server_error", code="moderation_unavailable"),
            "moderation_error", type(exc).__name__)

    def _safe_answer(self, decision: Decision) -> str:
        if decision.replacement:
            return decision.replacement
        return ("抱歉，这个请求我无法协助。" if self.lang == "zh" else "Sorry, I can't help with that request.")

    async def _refuse(self, decision: Decision, stream: bool, *, stage: str) -> Response:
        """The safe answer as a normal completion (or SSE stream) with finish_reason content_filter."""
        text = self._safe_answer(decision)
        self.output_text = None
        meta = _hegui_meta(self.request_id, decision, stage=stage)
        cid = "chatcmpl-" + self.request_id[3:]
        created = int(time.time())
        outcome = "blocked_input" if stage == "input" else "blocked_output"
        if not stream:
            payload = {"id": cid, "object": "chat.completion", "created": created, "model": self.model,
                       "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                    "finish_reason": "content_filter", "logprobs": None}],
                       "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}, "hegui": meta}
            return await self._finish(JSONResponse(payload), outcome)
        rec = self._record(outcome, 200)
        try:
            await self.st.services.records.arecord(rec)
        except Exception as exc:
            log.error("could not write the exchange record %s: %s", self.request_id, type(exc).__name__)
            return _err(503, "hegui could not write the audit record, so the answer is withheld; check the store",
                        "hegui 无法写入审计记录，已扣留回答；请检查存储", type_="server_error", code="audit_unavailable")

        async def events() -> AsyncIterator[bytes]:
            yield _sse(_chunk(cid, created, self.model, {"role": "assistant", "content": text}, None))
            yield _sse(_chunk(cid, created, self.model, {}, "content_filter", hegui=meta))
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream", headers=self._headers())

    async def _complete(self, upstream: Upstream, body: dict[str, Any], prompt: str) -> Response:
        t = time.perf_counter()
        try:
            answer = await upstream.chat(body)
        except UpstreamError as exc:
            self._lap("upstream", t)
            return await self._upstream_failed(exc)
        self._lap("upstream", t)
        choices = answer.get("choices") or []
        t = time.perf_counter()
        all_decisions: list[Decision] = []
        worst_stage_decision: Decision | None = None
        outputs: list[str] = []
        try:
            for choice in choices:
                texts = _answer_texts(choice)
                ds = [await self._check(text, Stage.OUTPUT, prompt=prompt) for _, text in texts]
                all_decisions.extend(ds)
                d = _merge(ds, Stage.OUTPUT)
                msg = choice.setdefault("message", {"role": "assistant"})
                if d.action is Action.BLOCK:
                    choice["message"] = {"role": "assistant", "content": self._safe_answer(d)}
                    choice["finish_reason"] = "content_filter"
                    continue
                for (path, text), dd in zip(texts, ds, strict=True):
                    new = dd.replacement if dd.action is Action.REDACT and dd.replacement is not None else text
                    if path == ("content",):
                        outputs.append(new)
                        new = explicit_label(new, self.st.settings.labels, lang=self.lang)
                    _set_path([msg], (0, *path), new)
        except Exception as exc:
            return await self._moderation_failed(exc)
        self._lap("output_check", t)
        worst_stage_decision = _merge(all_decisions, Stage.OUTPUT)
        self._note(worst_stage_decision)
        self.output_text = "\n".join(outputs) if outputs else None
        blocked = worst_stage_decision.action is Action.BLOCK
        aigc = aigc_metadata(self.st.settings.labels, self.request_id) if not blocked else None
        answer["hegui"] = self._remind(_hegui_meta(self.request_id, worst_stage_decision, stage="output", aigc=aigc,
                                                   demo=isinstance(upstream, DemoUpstream)))
        return await self._finish(JSONResponse(answer), "blocked_output" if blocked else "ok")

    async def _upstream_failed(self, exc: UpstreamError) -> Response:
        self.st.metrics.upstream_errors.labels(exc.upstream, exc.kind).inc()
        status = {"timeout": 504, "connect": 502, "protocol": 502, "closed": 502}.get(exc.kind, 502)
        return await self._finish(_err(status, exc.en, exc.zh, type_="upstream_error", code=f"upstream_{exc.kind}"),
                                  "upstream_error", f"UpstreamError({exc.kind})")

    async def _stream(self, upstream: Upstream, body: dict[str, Any], prompt: str) -> Response:
        cfg = self.st.settings
        first: dict[str, Any] | None = None
        it = upstream.stream(body)
        t = time.perf_counter()
        try:  # the first chunk arrives before the response starts, so a dead upstream gets a proper error status
            first = await it.__anext__()
        except StopAsyncIteration:
            first = None
        except UpstreamError as exc:
            self._lap("upstream_first_chunk", t)
            return await self._upstream_failed(exc)
        self._lap("upstream_first_chunk", t)

        async def check(text: str) -> Decision:
            return await self._check(text, Stage.OUTPUT, prompt=prompt)

        guard = StreamGuard(check, holdback_chars=cfg.streaming.holdback_chars,
                            overlap_chars=cfg.streaming.overlap_chars)
        cid = "chatcmpl-" + self.request_id[3:]
        created = int(time.time())
        model = self.model
        labels = cfg.labels
        released: list[str] = []
        decisions: list[Decision] = []
        state: dict[str, Any] = {"outcome": "ok", "error": None}
        demo = isinstance(upstream, DemoUpstream)

        check_ms = 0.0

        async def save() -> None:
            """Write the exchange record once (before [DONE] where the stream ends normally)."""
            if state.get("recorded"):
                return
            state["recorded"] = True
            self.timings["stream_checks"] = check_ms
            self.st.metrics.stream_checks.inc(guard.checks)
            if decisions:
                self._note(_merge(decisions, Stage.OUTPUT), "output")
            self.output_text = "".join(released) or None
            rec = self._record(state["outcome"], 200, state["error"])
            await self._account_minor_use()
            try:
                await asyncio.shield(self.st.services.records.arecord(rec))
            except Exception as exc:
                log.error("could not write the exchange record %s: %s", self.request_id, type(exc).__name__)

        async def events() -> AsyncIterator[bytes]:
            nonlocal first, check_ms
            started_text = False
            finish_reason: str | None = None
            usage: Any = None
            tool_deltas: list[dict[str, Any]] = []

            def begin_text() -> list[bytes]:
                nonlocal started_text
                out = []
                if not started_text:
                    started_text = True
                    out.append(_sse(_chunk(cid, created, model, {"role": "assistant", "content": ""}, None)))
                    if labels.explicit == "start":
                        out.append(_sse(_chunk(cid, created, model, {"content": label_prefix(labels, self.lang)}, None)))
                return out

            try:
                chunk: dict[str, Any] | None = first
                while True:
                    if chunk is None:
                        try:
                            chunk = await it.__anext__()
                        except StopAsyncIteration:
                            break
                    choices = chunk.get("choices") or []
                    if chunk.get("usage"):
                        usage = chunk["usage"]
                    for ch in choices:
                        if ch.get("index", 0) != 0:
                            continue
                        delta = ch.get("delta") or {}
                        if delta.get("tool_calls"):
                            tool_deltas.append(delta)
                        piece = delta.get("content")
                        if isinstance(piece, str) and piece:
                            tc = time.perf_counter()
                            step = await guard.feed(piece)
                            check_ms += (time.perf_counter() - tc) * 1000.0
                            decisions.extend(step.decisions)
                            if step.release:  # checked text (when stopped: the part before the blocked window)
                                for b in begin_text():
                                    yield b
                                released.append(step.release)
                                yield _sse(_chunk(cid, created, model, {"content": step.release}, None))
                            if step.stopped:
                                raise _Stop(step.decision)
                        if ch.get("finish_reason"):
                            finish_reason = ch["finish_reason"]
                    chunk = None
                tc = time.perf_counter()
                step = await guard.finish()
                decisions.extend(step.decisions)
                if tool_deltas:  # tool-call arguments go to the client's tools: check them whole before release
                    args = "".join(
                        (tcall.get("function") or {}).get("arguments") or ""
                        for d in tool_deltas for tcall in d.get("tool_calls") or [])
                    if args:
                        dt = await check(args)
                        decisions.append(dt)
                        if dt.action is Action.BLOCK:
                            raise _Stop(dt)
                check_ms += (time.perf_counter() - tc) * 1000.0
                if step.release:
                    for b in begin_text():
                        yield b
                    released.append(step.release)
                    yield _sse(_chunk(cid, created, model, {"content": step.release}, None))
                if step.stopped:
                    raise _Stop(step.decision)
                for b in begin_text():
                    yield b
                for d in tool_deltas:
                    yield _sse(_chunk(cid, created, model, d, None))
                if labels.explicit == "end":
                    yield _sse(_chunk(cid, created, model, {"content": label_suffix(labels, self.lang)}, None))
                final = _merge(decisions, Stage.OUTPUT)
                meta = self._remind(_hegui_meta(self.request_id, final, stage="output",
                                                aigc=aigc_metadata(labels, self.request_id), demo=demo))
                yield _sse(_chunk(cid, created, model, {}, finish_reason or "stop", hegui=meta))
                if usage is not None:
                    yield _sse({"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                                "choices": [], "usage": usage})
                await save()
                yield b"data: [DONE]\n\n"
            except _Stop as stop:
                state["outcome"] = "blocked_output"
                sd = stop.decision
                with contextlib.suppress(Exception):
                    await it.aclose()
                for b in begin_text():
                    yield b
                safe = self._safe_answer(sd) if sd is not None else self._safe_answer(
                    Decision(Action.BLOCK, RiskLevel.HIGH, (), (), None, stage=Stage.OUTPUT))
                yield _sse(_chunk(cid, created, model, {"content": ("\n\n" if released else "") + safe}, None))
                meta = _hegui_meta(self.request_id, _merge(decisions, Stage.OUTPUT), stage="output", demo=demo)
                yield _sse(_chunk(cid, created, model, {}, "content_filter", hegui=meta))
                await save()
                yield b"data: [DONE]\n\n"
            except (asyncio.CancelledError, GeneratorExit):
                state["outcome"] = "client_closed"
                with contextlib.suppress(Exception):
                    await it.aclose()
                raise
            except UpstreamError as exc:
                state["outcome"] = "upstream_error"
                state["error"] = f"UpstreamError({exc.kind})"
                self.st.metrics.upstream_errors.labels(exc.upstream, exc.kind).inc()
                await save()
                yield _sse(openai_error(502, _msg(exc.en, exc.zh), type="upstream_error", code=f"upstream_{exc.kind}"))
            except Exception as exc:
                state["outcome"] = "moderation_error"
                state["error"] = type(exc).__name__
                log.error("stream failed with %s in request %s", type(exc).__name__, self.request_id)
                with contextlib.suppress(Exception):
                    await it.aclose()
                await save()
                yield _sse(openai_error(503, _msg("moderation failed mid-stream; the rest of the answer is withheld",
                                                  "流式审核失败；其余回答已扣留"), type="server_error",
                                        code="moderation_unavailable"))
            finally:
                await save()

        return StreamingResponse(events(), media_type="text/event-stream", headers=self._headers())


class _Stop(Exception):
    def __init__(self, decision: Decision | None) -> None:
        super().__init__("stopped")
        self.decision = decision


def _chunk(cid: str, created: int, model: str | None, delta: dict[str, Any], finish: str | None,
           *, hegui: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                           "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}
    if hegui is not None:
        out["hegui"] = hegui
    return out


def _sse(obj: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n\n"

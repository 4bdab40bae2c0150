"""Settings of ``hegui serve``: one YAML file (the same file as the moderation config) plus environment overrides.

```yaml
server:   {host: 127.0.0.1, port: 8000}
store:    {url: null}                 # null: SQLite at <data_dir>/hegui.db; or postgresql+psycopg://user@host/db
upstreams:
  - name: vllm
    base_url: http://127.0.0.1:8001/v1
    api_key_env: VLLM_API_KEY         # the key is read from this environment variable, never from the file
    models: [qwen2.5-7b-instruct]
    timeout_s: 60
    connect_retries: 2
demo_upstream: auto                   # auto: the built-in demo model answers when no upstream is configured
streaming: {holdback_chars: 120}
labels:   {explicit: end, producer_code: HEGUI-DEMO}
logging:  {content_log: true, retention_days: 180}
limits:   {max_body_bytes: 1048576, rate_limit_per_min: 600}
audit:    {checkpoint_every: 1000, durability: journal, max_lag_s: 10}
console:  {enabled: true, session_hours: 8, lockout_after: 5, lockout_minutes: 15, cookie_secure: auto, report_dirs: []}
moderation: {...}                     # see hegui.api.config
```

Environment overrides (applied after the file): ``HEGUI_HOST``, ``HEGUI_PORT``, ``HEGUI_STORE_URL``,
``HEGUI_DATA_DIR``, ``HEGUI_SECRET_KEY`` (hex or text; otherwise a random key is created once in
``<data_dir>/secret.key``), ``HEGUI_ADMIN_KEY`` (the reviewers' key for ``/v1/hegui/admin/*``), and generically ``HEGUI__<SECTION>__<FIELD>=value`` (e.g.
``HEGUI__LIMITS__RATE_LIMIT_PER_MIN=60``).
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hegui.api.config import ModerationConfig
from hegui.core.errors import ConfigError
from hegui.policy.loader import parse_yaml_model
from hegui.services.conduct import LadderRules
from hegui.services.minors import MinorRules

__all__ = [
    "AuditSettings",
    "Bilingual",
    "ConsoleSettings",
    "DisclosureSettings",
    "IdentitySettings",
    "InputLimitSettings",
    "LabelSettings",
    "LimitSettings",
    "LoggingSettings",
    "ServerSettings",
    "Settings",
    "StoreSettings",
    "StreamingSettings",
    "UpstreamSettings",
    "load_settings",
]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    # the API key "demo" is accepted only while the server is bound to a loopback address (and this is true)
    demo_key: bool = True
    # trust X-Forwarded-For from these proxies (for rate limits and logs); empty: trust nobody
    trusted_proxies: list[str] = Field(default_factory=list)

    def is_loopback(self) -> bool:
        if self.host in ("localhost",):
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


class StoreSettings(_Section):
    url: str | None = None  # None: sqlite at <data_dir>/hegui.db
    echo: bool = False


class UpstreamSettings(_Section):
    name: str
    base_url: str
    api_key_env: str | None = None
    models: list[str] = Field(default_factory=list)  # empty: this upstream serves every model not claimed by another
    timeout_s: float = Field(default=60.0, gt=0)
    connect_timeout_s: float = Field(default=5.0, gt=0)
    connect_retries: int = Field(default=2, ge=0, le=10)
    max_connections: int = Field(default=100, ge=1)

    @field_validator("base_url")
    @classmethod
    def _http(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        return v.rstrip("/")

    def api_key(self) -> str | None:
        return os.environ.get(self.api_key_env) if self.api_key_env else None


class StreamingSettings(_Section):
    # text is released only after it has been checked; at most this many characters are held back
    holdback_chars: int = Field(default=120, ge=8, le=4096)
    # characters of already-released text re-checked with each new window (harm split across windows)
    overlap_chars: int = Field(default=48, ge=0, le=1024)


class LabelSettings(_Section):
    # explicit label on generated text (GB 45438 §5.1): at the start, the end, or none (UI shows it instead)
    explicit: Literal["start", "end", "none"] = "end"
    text_zh: str = "（本内容由人工智能生成）"
    text_en: str = "(AI-generated content)"
    # implicit label (Annex E): the provider's code, printable ASCII without space, '"' and '\\'
    producer_code: str = "HEGUI-DEMO"
    # generated images: an invisible watermark (32-bit payload from the request id) besides the visible and
    # metadata labels (GB 45438 encourages it; costs ~130 ms per 1024x1024 image)
    image_watermark: bool = False

    @field_validator("producer_code")
    @classmethod
    def _ascii(cls, v: str) -> str:
        if not v or any(not (0x21 <= ord(c) <= 0x7E) or c in '"\\' for c in v):
            raise ValueError("producer_code must be printable ASCII without spaces, '\"' or '\\' (GB 45438 Annex E)")
        return v


class LoggingSettings(_Section):
    content_log: bool = True  # keep (PII-redacted, pseudonymised) prompts and answers for the retention period
    retention_days: int = Field(default=180, ge=1, le=3650)
    purge_interval_s: float = Field(default=3600.0, gt=0)


class LimitSettings(_Section):
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    rate_limit_per_min: int = Field(default=600, ge=1)  # per API key, unless the key has its own
    max_messages: int = Field(default=512, ge=1)


class AuditSettings(_Section):
    checkpoint_every: int = Field(default=1000, ge=1)
    # "journal": answer once the exchange record is in the local journal (<data_dir>/journal; survives a killed
    # process, replayed at the next start), the database commit follows in the background. "commit": answer
    # only after the database commit (about 1.5 ms more per request; survives power loss on PostgreSQL).
    durability: Literal["journal", "commit"] = "journal"
    # journal mode: how long the database may refuse records before answers are withheld (503)
    max_lag_s: float = Field(default=10.0, gt=0, le=3600)


class IdentitySettings(_Section):
    """Who may use the service (DS Art 9, R-DS-05): end users are named by the OpenAI ``user`` field."""

    require_user: bool = False  # refuse requests that do not name the end user
    require_verified: bool = False  # refuse end users whose real identity is not verified
    auto_create_users: bool = True  # an unknown end-user id creates an (unverified) user record
    # real-name verification provider: none (the verify endpoint answers 501) or an HTTP vendor (docs/identity.md)
    provider: Literal["none", "http"] = "none"
    provider_url: str | None = None
    provider_api_key_env: str = "HEGUI_IDV_API_KEY"
    provider_timeout_s: float = Field(default=5.0, gt=0)
    # SMS one-time codes for binding a phone: none (the phone endpoint answers 501) or an HTTP gateway
    sms: Literal["none", "http"] = "none"
    sms_url: str | None = None
    sms_template: str = "hegui-verify-code"
    sms_api_key_env: str = "HEGUI_SMS_API_KEY"

    @model_validator(mode="after")
    def _url(self) -> IdentitySettings:
        if self.provider == "http" and not self.provider_url:
            raise ValueError("identity.provider_url is required with provider: http")
        if self.sms == "http" and not self.sms_url:
            raise ValueError("identity.sms_url is required with sms: http")
        return self


class InputLimitSettings(_Section):
    """TC260 §7 e) 1) (R-SVC-08): suspend a user who keeps sending prompts that are refused, in a row or in one
    day. Published with the conduct rules (``GET /v1/hegui/conduct/rules``). 0 turns a counter off."""

    consecutive: int = Field(default=3, ge=0, le=1000)  # refused prompts in a row (this process counts them)
    daily: int = Field(default=5, ge=0, le=10000)  # refused prompts in one China-time day (from the ledger)
    suspend_minutes: int = Field(default=60, ge=1, le=525600)


class ConsoleSettings(_Section):
    """The web console under ``/console`` (docs/console.md)."""

    enabled: bool = True
    session_hours: int = Field(default=8, ge=1, le=24 * 30)
    lockout_after: int = Field(default=5, ge=1, le=100)  # consecutive failed logins that lock the user
    lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # the session cookie's Secure flag; auto: set unless the server listens on plain-http loopback
    cookie_secure: Literal["auto"] | bool = "auto"
    # where /console/reports looks for `hegui eval` runs, `hegui report` outputs and `hegui corpus audit` outputs
    # (their sub-directories); relative paths are under the data directory; empty: <data_dir>/reports. In the
    # environment: HEGUI__CONSOLE__REPORT_DIRS=/srv/runs:/srv/audits (separated by os.pathsep)
    report_dirs: list[Path] = Field(default_factory=list, max_length=20)

    @field_validator("report_dirs", mode="before")
    @classmethod
    def _split_report_dirs(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = [p for p in v.split(os.pathsep) if p.strip()]
        if isinstance(v, list) and any(not str(p).strip() for p in v):
            raise ValueError("a report directory must not be empty")
        return v


class Bilingual(_Section):
    zh: str
    en: str


def _bi(zh: str, en: str) -> Bilingual:
    return Bilingual(zh=zh, en=en)


class DisclosureSettings(_Section):
    """What the service publishes about itself (IM Art 10, TC260 §7 b), R-SVC-05): served at ``/disclosure``
    (HTML) and ``/v1/hegui/disclosure`` (JSON). Every deployment must edit these defaults."""

    service_name: Bilingual = Field(default_factory=lambda: _bi("hegui 演示服务", "hegui demo service"))
    provider: Bilingual = Field(default_factory=lambda: _bi("（请填写服务提供者名称）", "(fill in the provider's name)"))
    intended_users: Bilingual = Field(default_factory=lambda: _bi(
        "年满 18 周岁、已完成实名认证的用户；未成年人须在监护人同意下使用未成年人模式。",
        "Adults (18+) who have verified their real identity; minors only in minors' mode with a guardian's consent."))
    occasions: Bilingual = Field(default_factory=lambda: _bi(
        "日常问答、写作辅助、学习参考等一般场景；不适用于医疗诊断、法律意见、金融投资决策等需要专业判断的场景。",
        "Everyday questions, writing help and study; not for medical diagnosis, legal advice or investment decisions."))
    purposes: Bilingual = Field(default_factory=lambda: _bi(
        "提供文本生成服务，辅助用户获取信息和完成写作。", "Text generation that helps users find information and write."))
    base_models: list[str] = Field(default_factory=list)  # filled from the configured upstreams when empty
    algorithms: Bilingual = Field(default_factory=lambda: _bi(
        "大语言模型生成回答；输入与输出经关键词库、个人信息识别、风险分类模型和相似文本库审核。",
        "A large language model generates answers; prompts and answers are checked by a word library, personal-"
        "information detection, a risk classifier and a similar-text library."))
    limitations: Bilingual = Field(default_factory=lambda: _bi(
        "生成内容可能不准确或过时，请核实重要信息；请勿过度依赖。", "Answers may be wrong or out of date: check what matters, and "
        "do not over-rely on them."))
    personal_information: Bilingual = Field(default_factory=lambda: _bi(
        "收集账号标识与实名认证信息（用于依法核验身份）；对话内容经个人信息脱敏后按保存期限留存用于安全审计，到期删除；不向第三方提供。",
        "Account identifiers and real-identity data (to verify identity as the law requires); conversations, with "
        "personal information masked, kept for the retention period for safety audits, then deleted; never shared."))
    labeling: Bilingual = Field(default_factory=lambda: _bi(
        "依据 GB 45438-2025：生成文本附“本内容由人工智能生成”显式标识，API 响应的 hegui.aigc 字段携带隐式标识。",
        "Per GB 45438-2025: generated text carries a visible AI-generated label; API answers carry the implicit "
        "label in hegui.aigc."))
    training_use: Bilingual = Field(default_factory=lambda: _bi(
        "如使用您的输入训练模型，您可以随时在应用的“设置 → 隐私”中一键关闭；关闭后您的输入不会进入任何训练数据。",
        "If your inputs are used for training, you can switch that off at any time in the app's Settings → Privacy; "
        "after that none of your inputs go into any training data."))
    complaints: Bilingual = Field(default_factory=lambda: _bi(
        "投诉举报：请通过（请填写邮箱或电话）联系，我们将在 15 个工作日内处理。",
        "Complaints and reports: (fill in an e-mail address or phone); we answer within 15 working days."))


class Settings(_Section):
    """Everything ``hegui serve`` needs. Build with :func:`load_settings`."""

    server: ServerSettings = Field(default_factory=ServerSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    upstreams: list[UpstreamSettings] = Field(default_factory=list)
    demo_upstream: Literal["auto", "on", "off"] = "auto"
    streaming: StreamingSettings = Field(default_factory=StreamingSettings)
    labels: LabelSettings = Field(default_factory=LabelSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    disclosure: DisclosureSettings = Field(default_factory=DisclosureSettings)
    identity: IdentitySettings = Field(default_factory=IdentitySettings)
    minors: MinorRules = Field(default_factory=MinorRules)
    conduct: LadderRules = Field(default_factory=LadderRules)
    input_limits: InputLimitSettings = Field(default_factory=InputLimitSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    moderation: ModerationConfig = Field(default_factory=ModerationConfig)
    # not from the file: where relative paths and the default SQLite file live, and the secret
    data_dir: Path = Path(".hegui")
    config_path: Path | None = None
    secret_key: bytes = b""
    # the reviewers' key for /v1/hegui/admin/* (HEGUI_ADMIN_KEY); None: the admin API is off
    admin_key: str | None = None

    @model_validator(mode="after")
    def _unique_upstreams(self) -> Settings:
        names = [u.name for u in self.upstreams]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"duplicate upstream names: {sorted(dup)}")
        return self

    @property
    def store_url(self) -> str:
        return self.store.url or f"sqlite:///{(self.data_dir / 'hegui.db').resolve()}"

    @property
    def use_demo(self) -> bool:
        return self.demo_upstream == "on" or (self.demo_upstream == "auto" and not self.upstreams)


def _env_overrides(raw: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in raw.items()}

    def put(section: str, key: str, value: Any) -> None:
        sec = out.get(section)
        sec = dict(sec) if isinstance(sec, dict) else {}
        sec[key] = value
        out[section] = sec

    if "HEGUI_HOST" in env:
        put("server", "host", env["HEGUI_HOST"])
    if "HEGUI_PORT" in env:
        put("server", "port", env["HEGUI_PORT"])
    if "HEGUI_STORE_URL" in env:
        put("store", "url", env["HEGUI_STORE_URL"])
    for k, v in env.items():
        if k.startswith("HEGUI__") and k.count("__") == 2:
            _, section, key = k.split("__")
            put(section.lower(), key.lower(), v)
    return out


def _secret(data_dir: Path, env: Mapping[str, str]) -> bytes:
    given = env.get("HEGUI_SECRET_KEY")
    if given:
        try:
            return bytes.fromhex(given)
        except ValueError:
            return given.encode("utf-8")
    path = data_dir / "secret.key"
    if path.exists():
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key.hex() + "\n")
    return key


def load_settings(
    path: str | Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    create_secret: bool = True,
) -> Settings:
    """Read the config file (or the defaults), apply environment overrides, then ``overrides`` (section ->
    fields, e.g. ``{"server": {"port": 0}}``). Errors are :class:`ConfigError` with file and line."""
    env = os.environ if env is None else env
    raw: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError("config file not found", "找不到配置文件", path=str(p)) from None
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"config file is not UTF-8 (byte {exc.start})", f"配置文件不是 UTF-8 编码（第 {exc.start} 字节）",
                path=str(p),
            ) from None
        parsed = parse_yaml_model(text, str(p), _RawFile, error=ConfigError)
        raw = parsed.model_dump(exclude_unset=True)
    raw = _env_overrides(raw, env)
    for section, fields in (overrides or {}).items():
        if isinstance(fields, Mapping) and isinstance(raw.get(section), dict):
            raw[section] = {**raw[section], **fields}
        else:
            raw[section] = dict(fields) if isinstance(fields, Mapping) else fields
    data_dir = Path(env.get("HEGUI_DATA_DIR") or (Path(path).parent / ".hegui" if path is not None else ".hegui"))
    raw["data_dir"] = data_dir
    raw["config_path"] = Path(path) if path is not None else None
    raw["secret_key"] = _secret(data_dir, env) if create_secret else b""
    raw["admin_key"] = env.get("HEGUI_ADMIN_KEY") or None
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise ConfigError(
            f"bad setting {where}: {first['msg']}", f"配置项 {where} 有误：{first['msg']}",
            path=str(path) if path is not None else None,
        ) from None


class _RawFile(_Section):
    """The file as written (only to get file-and-line errors; Settings validates again after overrides)."""

    server: ServerSettings | None = None
    store: StoreSettings | None = None
    upstreams: list[UpstreamSettings] | None = None
    demo_upstream: Literal["auto", "on", "off"] | None = None
    streaming: StreamingSettings | None = None
    labels: LabelSettings | None = None
    logging: LoggingSettings | None = None
    limits: LimitSettings | None = None
    audit: AuditSettings | None = None
    disclosure: DisclosureSettings | None = None
    identity: IdentitySettings | None = None
    minors: MinorRules | None = None
    conduct: LadderRules | None = None
    input_limits: InputLimitSettings | None = None
    console: ConsoleSettings | None = None
    moderation: ModerationConfig | None = None

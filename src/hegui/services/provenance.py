"""The training-data provenance ledger (draft Art 7 and Art 17; TC260-003 §5; GB/T 45654 §6-7).

One record per source of training data (R-PTD-02, R-DAT-04): where it comes from (a URL, a dataset and its
organisation, a user-facing service, a generator model), the evidence that it may be used (licence or licence
file, contract, consent basis; R-DAT-04, R-DAT-08), its languages, modalities and origin (R-DAT-03), and the
verdicts of its pre-collection assessment (R-DAT-01) and post-collection verification (R-DAT-02).

:meth:`ProvenanceService.add_source` refuses a record that lacks the evidence its kind needs: an open-source
dataset without a licence or licence file, AI-generated data without generator model, version and acquisition time
(R-PTD-06), user data without a consent basis, personal information without a legal basis (separate consent for
sensitive personal information).

:meth:`~ProvenanceService.record_audit` stores one audit run (counts only) and applies the 5 % rule: when more than
5 % of the sampled items are bad (strictly greater), the verdict is ``reject`` and the source is excluded from
training. Per-sample metadata stays in the corpus files; a source names which sample field carries which piece of
provenance (``sample_metadata_fields``, R-PTD-03), and :meth:`~ProvenanceService.metadata_schema` gives the JSON
schema a sample of that source must satisfy.

Every change calls ``on_event(kind, payload)`` after it is committed, with ids, names, kinds and counts only.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hegui.core.errors import HeguiError
from hegui.store import read_only
from hegui.store.provenance_models import DataSource, SourceAudit

__all__ = [
    "AUDIT_CHECKS",
    "CONSENT_BASES",
    "EXPORT_FORMAT",
    "KIND_ZH",
    "METADATA_ROLES",
    "MODALITIES",
    "ORIGINS",
    "SOURCE_KINDS",
    "SOURCE_MAX_BAD_RATIO",
    "AuditRun",
    "DiversityPair",
    "DiversityReport",
    "ProvenanceError",
    "ProvenanceService",
    "Source",
    "bad_ratio_exceeded",
]

EXPORT_FORMAT = "hegui-provenance/1"
SOURCE_MAX_BAD_RATIO: Final = 0.05  # R-DAT-01/02: reject when strictly greater
_MAX_RATIO = Fraction(5, 100)
MIN_SOURCES_PER_PAIR = 2  # R-DAT-03 "several sources": >= 2 is our reading

EventSink = Callable[[str, dict[str, Any]], None]

SOURCE_KINDS: Final = ("web", "dataset", "organisation", "user_service", "self_collected", "ai_generated")
CONSENT_BASES: Final = ("none", "consent", "separate_consent", "public", "contract", "other")
ORIGINS: Final = ("domestic", "foreign")
MODALITIES: Final = ("text", "image", "audio", "video", "code")
AUDIT_CHECKS: Final = ("keyword", "classifier", "pii", "licence", "duplicate", "manual", "other")
AUDIT_STAGES: Final = ("pre", "post")
# roles a sample's metadata may carry (R-PTD-03, R-PTD-04, R-PTD-06)
METADATA_ROLES: Final = (
    "source", "id", "url", "dataset", "organisation", "service_name", "user_id", "generator_model",
    "generator_version", "acquired_at", "collected_at", "licence", "language", "modality", "risk_check", "ip_check",
)
# roles every sample of a kind must carry: its ledger source, the kind's own provenance item, and the risk
# identification record (R-PTD-04)
_REQUIRED_ROLES: Final[dict[str, tuple[str, ...]]] = {
    "web": ("source", "url", "risk_check"),
    "dataset": ("source", "dataset", "risk_check"),
    "organisation": ("source", "dataset", "organisation", "risk_check"),
    "user_service": ("source", "service_name", "user_id", "risk_check"),
    "self_collected": ("source", "risk_check"),
    "ai_generated": ("source", "generator_model", "generator_version", "acquired_at", "risk_check"),
}
UNDETERMINED_LANGUAGE = "und"  # BCP 47: a source without language (images, audio without speech)

KIND_ZH: Final = {"web": "网页", "dataset": "开源数据集", "organisation": "机构（商业）数据", "user_service": "用户数据",
            "self_collected": "自采数据", "ai_generated": "AI 生成数据"}
_FIELD_ZH = {
    "name": "名称", "kind": "类型", "url": "网址", "dataset": "数据集名称", "organisation": "来源机构",
    "service_name": "服务名称", "licence": "许可证", "licence_file": "许可或授权文件", "contract_ref": "合同编号",
    "consent_basis": "同意依据", "consent_note": "同意依据说明", "contains_personal_info": "是否含个人信息",
    "contains_sensitive_pi": "是否含敏感个人信息", "honours_robots": "是否遵守 robots.txt", "ip_review": "知识产权审查记录",
    "languages": "语种", "modalities": "模态", "origin": "境内/境外", "collected_at": "采集时间",
    "collection_start": "采集起始时间", "collection_end": "采集结束时间", "generator_model": "生成模型",
    "generator_version": "生成模型版本", "acquired_at": "获取时间", "sample_metadata_fields": "样本元数据字段",
    "notes": "备注",
}


class ProvenanceError(HeguiError):
    """A provenance record that cannot be stored (missing evidence, bad value, unknown source)."""

    exit_code = 2


def bad_ratio_exceeded(bad: int, sampled: int) -> bool:
    """True when ``bad / sampled`` is strictly greater than 5 % (exact arithmetic: 500 of 10,000 is kept)."""
    if sampled <= 0:
        return True
    return Fraction(bad, sampled) > _MAX_RATIO


# -- input models ---------------------------------------------------------------------------------------------

_Short = Field(default=None, min_length=1, max_length=300)


class _SourceSpec(BaseModel):
    """The fields of a source (types and sizes; the cross-field rules are in :func:`_rules`)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200, pattern=r"^[^\s/\\][^/\\]*$")
    kind: str
    url: str | None = Field(default=None, min_length=1, max_length=2000)
    dataset: str | None = _Short
    organisation: str | None = _Short
    service_name: str | None = Field(default=None, min_length=1, max_length=200)
    licence: str | None = _Short
    licence_file: str | None = Field(default=None, min_length=1, max_length=2000)
    contract_ref: str | None = _Short
    consent_basis: str | None = None
    consent_note: str | None = Field(default=None, min_length=1, max_length=4000)
    contains_personal_info: StrictBool = False
    contains_sensitive_pi: StrictBool = False
    honours_robots: StrictBool | None = None
    ip_review: str | None = Field(default=None, min_length=1, max_length=500)
    languages: list[str] = Field(default_factory=list, max_length=50)
    modalities: list[str] = Field(default_factory=lambda: ["text"], min_length=1, max_length=5)
    origin: str = "domestic"
    collected_at: datetime | None = None
    collection_start: datetime | None = None
    collection_end: datetime | None = None
    generator_model: str | None = Field(default=None, min_length=1, max_length=200)
    generator_version: str | None = Field(default=None, min_length=1, max_length=100)
    acquired_at: datetime | None = None
    sample_metadata_fields: dict[str, str] = Field(default_factory=dict)
    notes: str | None = Field(default=None, max_length=4000)


_SPEC_FIELDS: Final = tuple(_SourceSpec.model_fields)
_UPDATABLE: Final = tuple(f for f in _SPEC_FIELDS if f != "name")


class _AuditSpec(BaseModel):
    """One audit result, as the corpus audit writes it (``summary.json`` per source) or as typed by hand."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    stage: str = "post"
    run_id: str = Field(default_factory=lambda: uuid.uuid4().hex, min_length=1, max_length=64)
    engine: str = Field(default="manual", min_length=1, max_length=32)
    seed: int | None = None
    items: int | None = Field(default=None, ge=0)
    sampled: int = Field(ge=1)
    bad: int = Field(ge=0)
    bad_by_check: dict[str, int] = Field(default_factory=dict)
    ratio: float | None = Field(default=None, ge=0.0, le=1.0)
    report_path: str | None = Field(default=None, max_length=2000)
    ts: datetime | None = None


_AUDIT_ALIASES: Final = {"n_sampled": "sampled", "n": "sampled", "n_bad": "bad", "checks": "bad_by_check",
                         "total": "items", "n_items": "items", "report": "report_path", "at": "ts"}


def _pydantic_error(exc: ValidationError, what: tuple[str, str] = ("source record", "来源记录")) -> ProvenanceError:
    parts_en, parts_zh = [], []
    for err in exc.errors()[:5]:
        loc = ".".join(str(x) for x in err["loc"]) or "-"
        top = str(err["loc"][0]) if err["loc"] else ""
        if err["type"] == "extra_forbidden":
            parts_en.append(f"unknown field {loc!r}")
            parts_zh.append(f"未知字段 {loc!r}")
            continue
        parts_en.append(f"{loc}: {err['msg']}")
        parts_zh.append(f"字段 {_FIELD_ZH.get(top, loc)}（{loc}）不合法：{err['msg']}")
    return ProvenanceError(f"invalid {what[0]}: " + "; ".join(parts_en), f"{what[1]}不合法：" + "；".join(parts_zh))


def _one_of(value: str | None, allowed: Iterable[str], name: str) -> None:
    allowed = tuple(allowed)
    if value is not None and value not in allowed:
        shown = ", ".join(allowed)
        raise ProvenanceError(f"{name} must be one of {shown}, not {value!r}",
                              f"{_FIELD_ZH.get(name, name)}（{name}）须为 {shown} 之一，不能为 {value!r}")


def _aware(t: datetime | None, name: str) -> None:
    if t is not None and (t.tzinfo is None or t.utcoffset() is None):
        raise ProvenanceError(f"{name}: give a time with a time zone (e.g. 2025-01-05T00:00:00+08:00)",
                              f"{_FIELD_ZH.get(name, name)}（{name}）须带时区（如 2025-01-05T00:00:00+08:00）")


def _need(cond: bool, en: str, zh: str) -> None:
    if not cond:
        raise ProvenanceError(en, zh)


def _rules(spec: _SourceSpec) -> dict[str, Any]:
    """The cross-field rules (R-DAT-04, R-DAT-08, R-PTD-02, R-PTD-06); returns the normalised values."""
    _one_of(spec.kind, SOURCE_KINDS, "kind")
    _one_of(spec.consent_basis, CONSENT_BASES, "consent_basis")
    _one_of(spec.origin, ORIGINS, "origin")
    for m in spec.modalities:
        _one_of(m, MODALITIES, "modalities")
    langs: list[str] = []
    for lang in spec.languages:
        v = lang.strip().lower().replace("_", "-")
        parts = v.split("-")
        if not (2 <= len(parts[0]) <= 3 and parts[0].isascii() and parts[0].isalpha()
                and all(1 <= len(p) <= 8 and p.isascii() and p.isalnum() for p in parts[1:])):
            raise ProvenanceError(f"languages: {lang!r} is not a language tag (use e.g. zh, en, zh-hant)",
                                  f"语种 {lang!r} 不是语言代码（请使用 zh、en、zh-hant 等）")
        if v not in langs:
            langs.append(v)
    modalities = list(dict.fromkeys(spec.modalities))
    for name in ("collected_at", "collection_start", "collection_end", "acquired_at"):
        _aware(getattr(spec, name), name)
    if spec.collection_start and spec.collection_end and spec.collection_end < spec.collection_start:
        raise ProvenanceError("collection_end is before collection_start", "采集结束时间早于采集起始时间")
    kind = spec.kind
    if "text" in modalities or "code" in modalities:
        _need(bool(langs), f"a {kind} source of text or code needs its language(s) (languages, e.g. zh, en)",
              "文本或代码类来源须注明语种（languages，如 zh、en）")
    if kind == "web":
        _need(bool(spec.url), "a web source needs its URL (R-PTD-02)", "网页来源须记录网址 url（R-PTD-02）")
    if kind == "dataset":
        _need(bool(spec.dataset or spec.url), "an open-source dataset needs its name or URL (dataset / url)",
              "开源数据集须记录数据集名称或网址（dataset / url）")
        _need(bool(spec.licence or spec.licence_file),
              "an open-source dataset needs its licence or licence file (licence / licence_file; R-DAT-04)",
              "开源数据集须有许可证或授权文件（licence / licence_file；R-DAT-04）")
    if kind == "organisation":
        _need(bool(spec.organisation), "data from an organisation needs the organisation's name (organisation)",
              "来自其他机构的数据须记录来源机构（organisation）")
        _need(bool(spec.contract_ref or spec.licence_file),
              "data from an organisation needs a contract or licence/authorisation file "
              "(contract_ref / licence_file; R-DAT-04)",
              "来自其他机构的数据须有合同或许可/授权文件（contract_ref / licence_file；R-DAT-04）")
    if kind == "user_service":
        _need(bool(spec.service_name), "user data needs the name of the service it comes from (service_name)",
              "用户数据须记录其来源服务名称（service_name）")
        _need(spec.consent_basis not in (None, "none"),
              "user data needs the users' authorisation: a consent basis (consent_basis; R-DAT-04)",
              "用户数据须有用户授权记录：同意依据（consent_basis；R-DAT-04）")
    if kind in ("web", "self_collected"):
        _need(spec.honours_robots is not False,
              "a crawl that ignores robots.txt or other anti-crawling means cannot be used (R-DAT-04)",
              "未遵守 robots.txt 等反爬措施采集的数据不得使用（R-DAT-04）")
    if kind == "self_collected":
        _need(bool(spec.collected_at or spec.collection_start or spec.url),
              "self-collected data needs a collection record: when (collected_at / collection_start) or where (url)",
              "自采数据须有采集记录：采集时间（collected_at / collection_start）或地址（url）")
    if kind == "ai_generated":
        _need(bool(spec.generator_model and spec.generator_version and spec.acquired_at),
              "AI-generated data needs the generator model, its version and the acquisition time "
              "(generator_model, generator_version, acquired_at; R-PTD-06)",
              "AI 生成数据须记录生成模型、模型版本与获取时间（generator_model、generator_version、acquired_at；R-PTD-06）")
    sensitive = spec.contains_sensitive_pi
    personal = spec.contains_personal_info or sensitive
    if personal:
        _need(spec.consent_basis not in (None, "none"),
              "personal information needs consent or another legal basis (consent_basis; R-DAT-08)",
              "含个人信息的数据须有同意或其他合法性基础（consent_basis；R-DAT-08）")
    if sensitive:
        _need(spec.consent_basis == "separate_consent",
              "sensitive personal information needs separate consent (consent_basis=separate_consent; R-DAT-08)",
              "敏感个人信息须取得单独同意（consent_basis=separate_consent；R-DAT-08）")
    if spec.consent_basis == "other":
        _need(bool(spec.consent_note), "consent_basis=other needs a description (consent_note)",
              "同意依据为 other 时须说明（consent_note）")
    fields: dict[str, str] = {}
    for role in _REQUIRED_ROLES[kind]:
        fields[role] = role
    for role, path in spec.sample_metadata_fields.items():
        _one_of(role, METADATA_ROLES, "sample_metadata_fields")
        p = path.strip()
        if not p or len(p) > 200:
            raise ProvenanceError(f"sample_metadata_fields.{role}: give a field name of 1-200 characters",
                                  f"样本元数据字段 {role} 须为 1-200 个字符的字段名")
        fields[role] = p
    values = spec.model_dump()
    values.update(languages=langs, modalities=modalities, contains_personal_info=personal,
                  sample_metadata_fields=fields)
    return values


def _validate(fields: Mapping[str, Any]) -> dict[str, Any]:
    try:
        spec = _SourceSpec.model_validate(dict(fields))
    except ValidationError as exc:
        raise _pydantic_error(exc) from None
    return _rules(spec)


# -- values ---------------------------------------------------------------------------------------------------

def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t is not None else None


@dataclass(frozen=True)
class AuditRun:
    """One audit run of a source (counts only)."""

    id: int
    source: str
    stage: str
    run_id: str
    engine: str
    seed: int | None
    items: int | None
    sampled: int
    bad: int
    bad_by_check: dict[str, int]
    ratio: float
    verdict: str
    report_path: str | None
    ts: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "source": self.source, "stage": self.stage, "run_id": self.run_id,
                "engine": self.engine, "seed": self.seed, "items": self.items, "sampled": self.sampled,
                "bad": self.bad, "bad_by_check": dict(self.bad_by_check), "ratio": self.ratio,
                "verdict": self.verdict, "report_path": self.report_path, "ts": self.ts.isoformat()}


@dataclass(frozen=True)
class Source:
    """A source of training data as recorded in the ledger."""

    id: str
    name: str
    kind: str
    url: str | None
    dataset: str | None
    organisation: str | None
    service_name: str | None
    licence: str | None
    licence_file: str | None
    contract_ref: str | None
    consent_basis: str | None
    consent_note: str | None
    contains_personal_info: bool
    contains_sensitive_pi: bool
    honours_robots: bool | None
    ip_review: str | None
    languages: tuple[str, ...]
    modalities: tuple[str, ...]
    origin: str
    collected_at: datetime | None
    collection_start: datetime | None
    collection_end: datetime | None
    generator_model: str | None
    generator_version: str | None
    acquired_at: datetime | None
    sample_metadata_fields: dict[str, str]
    pre_sampled: int | None
    pre_bad: int | None
    pre_ratio: float | None
    pre_assessed_at: datetime | None
    pre_verdict: str | None
    post_sampled: int | None
    post_bad: int | None
    post_ratio: float | None
    post_assessed_at: datetime | None
    post_verdict: str | None
    status: str
    excluded_reason: str | None
    excluded_at: datetime | None
    created_at: datetime
    updated_at: datetime
    notes: str | None

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def trainable(self) -> bool:
        """Active, assessed before collection, and no assessment over 5 % (R-DAT-01/02)."""
        return self.active and self.pre_verdict == "accept" and self.post_verdict != "reject"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in self.__dict__.items():
            if isinstance(v, datetime):
                out[k] = v.isoformat()
            elif isinstance(v, tuple):
                out[k] = list(v)
            elif isinstance(v, dict):
                out[k] = dict(v)
            else:
                out[k] = v
        out["trainable"] = self.trainable
        return out


def _source(r: DataSource) -> Source:
    return Source(
        id=r.id, name=r.name, kind=r.kind, url=r.url, dataset=r.dataset, organisation=r.organisation,
        service_name=r.service_name, licence=r.licence, licence_file=r.licence_file, contract_ref=r.contract_ref,
        consent_basis=r.consent_basis, consent_note=r.consent_note, contains_personal_info=r.contains_personal_info,
        contains_sensitive_pi=r.contains_sensitive_pi, honours_robots=r.honours_robots, ip_review=r.ip_review,
        languages=tuple(r.languages or ()), modalities=tuple(r.modalities or ()), origin=r.origin,
        collected_at=r.collected_at, collection_start=r.collection_start, collection_end=r.collection_end,
        generator_model=r.generator_model, generator_version=r.generator_version, acquired_at=r.acquired_at,
        sample_metadata_fields={str(k): str(v) for k, v in (r.sample_metadata_fields or {}).items()},
        pre_sampled=r.pre_sampled, pre_bad=r.pre_bad, pre_ratio=r.pre_ratio, pre_assessed_at=r.pre_assessed_at,
        pre_verdict=r.pre_verdict, post_sampled=r.post_sampled, post_bad=r.post_bad, post_ratio=r.post_ratio,
        post_assessed_at=r.post_assessed_at, post_verdict=r.post_verdict, status=r.status,
        excluded_reason=r.excluded_reason, excluded_at=r.excluded_at, created_at=r.created_at,
        updated_at=r.updated_at, notes=r.notes,
    )


def _audit(r: SourceAudit, name: str) -> AuditRun:
    return AuditRun(id=r.id, source=name, stage=r.stage, run_id=r.run_id, engine=r.engine, seed=r.seed,
                    items=r.items, sampled=r.sampled, bad=r.bad,
                    bad_by_check={str(k): int(v) for k, v in (r.bad_by_check or {}).items()}, ratio=r.ratio,
                    verdict=r.verdict, report_path=r.report_path, ts=r.ts)


@dataclass(frozen=True)
class DiversityPair:
    """The active sources of one (language, modality) pair (R-DAT-03)."""

    language: str
    modality: str
    sources: tuple[str, ...]
    domestic: int
    foreign: int
    issues: tuple[str, ...]  # few_sources | no_foreign | no_domestic

    @property
    def ok(self) -> bool:
        return not self.issues

    def to_dict(self) -> dict[str, Any]:
        return {"language": self.language, "modality": self.modality, "sources": list(self.sources),
                "n_sources": len(self.sources), "domestic": self.domestic, "foreign": self.foreign,
                "issues": list(self.issues), "ok": self.ok}


@dataclass(frozen=True)
class DiversityReport:
    """Per (language, modality) pair: distinct active sources (>= 2 wanted) and the domestic/foreign mix."""

    pairs: tuple[DiversityPair, ...]
    findings: tuple[dict[str, Any], ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "min_sources_per_pair": MIN_SOURCES_PER_PAIR,
                "pairs": [p.to_dict() for p in self.pairs], "findings": [dict(f) for f in self.findings]}


def _finding(p: DiversityPair, issue: str) -> dict[str, Any]:
    where_en, where_zh = f"({p.language}, {p.modality})", f"（{p.language}，{p.modality}）"
    n = len(p.sources)
    msg = {
        "few_sources": (f"{where_en}: only {n} source(s); use at least {MIN_SOURCES_PER_PAIR} (R-DAT-03)",
                        f"{where_zh}：仅 {n} 个来源，应至少 {MIN_SOURCES_PER_PAIR} 个（R-DAT-03）"),
        "no_foreign": (f"{where_en}: domestic sources only; mix in foreign-origin data (R-DAT-03)",
                       f"{where_zh}：仅有境内来源，应搭配境外来源数据（R-DAT-03）"),
        "no_domestic": (f"{where_en}: foreign sources only; mix in domestic data (R-DAT-03)",
                        f"{where_zh}：仅有境外来源，应搭配境内来源数据（R-DAT-03）"),
    }[issue]
    return {"code": issue, "language": p.language, "modality": p.modality, "sources": n,
            "domestic": p.domestic, "foreign": p.foreign, "message_en": msg[0], "message_zh": msg[1]}


# -- the service ----------------------------------------------------------------------------------------------

class ProvenanceService:
    """The provenance ledger: sources, their audits, the 5 % rule, the Art 17 export and the diversity check.
    ``clock()`` gives the current time (aware)."""

    def __init__(self, engine: Engine, *, on_event: EventSink | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self._engine = engine
        self._read = read_only(engine)
        self._on_event = on_event
        self._clock = clock or (lambda: datetime.now(UTC))

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("naive datetime: the clock must give timezone-aware times")
        return now.astimezone(UTC)

    def _emit(self, kind: str, payload: dict[str, Any]) -> None:
        if self._on_event is not None:
            self._on_event(kind, payload)

    @staticmethod
    def _row(s: Session, name: str) -> DataSource:
        row = None
        if isinstance(name, str) and 0 < len(name) <= 200:
            row = s.execute(select(DataSource).where(DataSource.name == name)).scalar_one_or_none()
        if row is None:
            raise ProvenanceError(f"no data source named {name!r}", f"数据来源 {name!r} 不存在")
        return row

    # -- sources ----------------------------------------------------------------------------------------------

    def add_source(self, spec: Mapping[str, Any] | None = None, /, **fields: Any) -> Source:
        """Record a new source (``spec`` and/or keyword fields; see :class:`Source`). Refuses a record that
        lacks the evidence its kind needs, and a name already in the ledger."""
        values = _validate({**(spec or {}), **fields})
        now = self._now()
        row = DataSource(id=uuid.uuid4().hex, status="active", created_at=now, updated_at=now, **values)
        try:
            with Session(self._engine, expire_on_commit=False) as s, s.begin():
                s.add(row)
        except IntegrityError:
            raise ProvenanceError(f"a data source named {values['name']!r} already exists",
                                  f"已存在名为 {values['name']!r} 的数据来源") from None
        self._emit("provenance.source_added", {"source_id": row.id, "name": row.name, "kind": row.kind,
                                               "origin": row.origin})
        return _source(row)

    def update_source(self, name: str, /, **changes: Any) -> Source:
        """Change fields of a source (not its name); the whole record is validated again."""
        bad = [k for k in changes if k not in _UPDATABLE]
        if bad:
            raise ProvenanceError(f"cannot update {', '.join(bad)} (unknown field, or the name)",
                                  f"不能修改 {', '.join(bad)}（未知字段或名称）")
        with Session(self._engine, expire_on_commit=False) as s, s.begin():
            row = self._row(s, name)
            current = {k: getattr(row, k) for k in _SPEC_FIELDS}
            values = _validate({**current, **changes})
            changed = sorted(k for k, v in values.items() if getattr(row, k) != v)
            for k in changed:
                setattr(row, k, values[k])
            if changed:
                row.updated_at = self._now()
        if changed:
            self._emit("provenance.source_updated", {"source_id": row.id, "name": row.name, "fields": changed})
        return _source(row)

    def find_source(self, name: str) -> Source | None:
        """The source ``name`` (None when not recorded)."""
        with Session(self._read) as s:
            try:
                return _source(self._row(s, name))
            except ProvenanceError:
                return None

    def get_source(self, name: str) -> Source:
        """The source ``name``; raises :class:`ProvenanceError` when not recorded."""
        with Session(self._read) as s:
            return _source(self._row(s, name))

    def list_sources(self, *, status: str | None = None, kind: str | None = None) -> list[Source]:
        """Every source, by name (optionally only ``status`` active/excluded, or one ``kind``)."""
        _one_of(status, ("active", "excluded"), "status")
        _one_of(kind, SOURCE_KINDS, "kind")
        q = select(DataSource).order_by(DataSource.name)
        if status is not None:
            q = q.where(DataSource.status == status)
        if kind is not None:
            q = q.where(DataSource.kind == kind)
        with Session(self._read) as s:
            return [_source(r) for r in s.execute(q).scalars()]

    def exclude_source(self, name: str, reason: str) -> Source:
        """Exclude a source from training, with the reason (kept in the ledger; the event names the source only)."""
        reason = (reason or "").strip()
        if not reason or len(reason) > 500:
            raise ProvenanceError("give the reason for the exclusion (1-500 characters)",
                                  "请说明排除原因（1-500 个字符）")
        return self._set_status(name, "excluded", reason, cause="manual")

    def include_source(self, name: str) -> Source:
        """Put an excluded source back into training; refused while an assessment of it is over 5 %."""
        with Session(self._read) as s:
            row = self._row(s, name)
            if "reject" in (row.pre_verdict, row.post_verdict):
                raise ProvenanceError(
                    f"{name!r}: an assessment found more than 5 % bad items; record a new passing audit first "
                    "(R-DAT-01/02)",
                    f"{name!r}：评估发现超过 5% 的违法不良信息，须先记录一次合格的抽检（R-DAT-01/02）",
                )
        return self._set_status(name, "active", None, cause="manual")

    def _set_status(self, name: str, status: str, reason: str | None, *, cause: str,
                    run_id: str | None = None) -> Source:
        with Session(self._engine, expire_on_commit=False) as s, s.begin():
            row = self._row(s, name)
            changed = row.status != status or (status == "excluded" and row.excluded_reason != reason)
            if changed:
                now = self._now()
                row.status = status
                row.excluded_reason = reason
                row.excluded_at = now if status == "excluded" else None
                row.updated_at = now
        if changed:
            payload: dict[str, Any] = {"source_id": row.id, "name": row.name, "cause": cause}
            if run_id is not None:
                payload["run_id"] = run_id
            self._emit("provenance.source_excluded" if status == "excluded" else "provenance.source_included",
                       payload)
        return _source(row)

    # -- audits -----------------------------------------------------------------------------------------------

    def record_audit(self, source: str, result: Mapping[str, Any]) -> AuditRun:
        """Store one audit run of ``source`` and apply the 5 % rule (R-DAT-01 with ``stage="pre"``, R-DAT-02 with
        ``stage="post"``, the default): ``bad / sampled`` strictly greater than 0.05 gives the verdict
        ``reject`` and excludes the source from training; otherwise ``accept``.

        ``result`` keys: ``sampled`` (or ``n_sampled``), ``bad`` (or ``n_bad``), optional ``stage``, ``run_id``,
        ``engine``, ``seed``, ``items`` (samples in the source), ``bad_by_check`` (keyword / classifier / pii /
        licence / duplicate / manual / other -> count), ``ratio`` (must agree with bad/sampled),
        ``report_path``, ``ts``. Unknown keys are ignored."""
        raw = {(_AUDIT_ALIASES.get(k, k)): v for k, v in result.items()}
        try:
            spec = _AuditSpec.model_validate(raw)
        except ValidationError as exc:
            raise _pydantic_error(exc, ("audit result", "抽检结果")) from None
        _one_of(spec.stage, AUDIT_STAGES, "stage")
        if spec.bad > spec.sampled:
            raise ProvenanceError(f"bad ({spec.bad}) exceeds sampled ({spec.sampled})",
                                  f"不合格数（{spec.bad}）大于抽样数（{spec.sampled}）")
        if spec.items is not None and spec.items < spec.sampled:
            raise ProvenanceError(f"items ({spec.items}) is less than sampled ({spec.sampled})",
                                  f"样本总数（{spec.items}）小于抽样数（{spec.sampled}）")
        for check, n in spec.bad_by_check.items():
            _one_of(check, AUDIT_CHECKS, "bad_by_check")
            if not 0 <= n <= spec.sampled:
                raise ProvenanceError(f"bad_by_check.{check} must be 0-{spec.sampled}",
                                      f"bad_by_check.{check} 须在 0-{spec.sampled} 之间")
        ratio = spec.bad / spec.sampled
        if spec.ratio is not None and abs(spec.ratio - ratio) > 1e-6:
            raise ProvenanceError(f"ratio {spec.ratio} does not match bad/sampled = {ratio:.6f}",
                                  f"比例 {spec.ratio} 与 不合格数/抽样数 = {ratio:.6f} 不符")
        _aware(spec.ts, "ts")
        reject = bad_ratio_exceeded(spec.bad, spec.sampled)
        verdict = "reject" if reject else "accept"
        now = self._now()
        ts = spec.ts.astimezone(UTC) if spec.ts is not None else now
        with Session(self._engine, expire_on_commit=False) as s, s.begin():
            row = self._row(s, source)
            run = SourceAudit(source_id=row.id, stage=spec.stage, run_id=spec.run_id, engine=spec.engine,
                              seed=spec.seed, items=spec.items, sampled=spec.sampled, bad=spec.bad,
                              bad_by_check=dict(spec.bad_by_check), ratio=ratio, verdict=verdict,
                              report_path=spec.report_path, ts=ts)
            s.add(run)
            p = spec.stage
            setattr(row, f"{p}_sampled", spec.sampled)
            setattr(row, f"{p}_bad", spec.bad)
            setattr(row, f"{p}_ratio", ratio)
            setattr(row, f"{p}_assessed_at", ts)
            setattr(row, f"{p}_verdict", verdict)
            row.updated_at = now
            s.flush()
            name, source_id = row.name, row.id
        self._emit("provenance.audit_recorded", {
            "source_id": source_id, "name": name, "audit_id": run.id, "stage": spec.stage, "run_id": spec.run_id,
            "engine": spec.engine, "sampled": spec.sampled, "bad": spec.bad, "ratio": ratio, "verdict": verdict,
        })
        if reject:
            stage_en = "pre-collection assessment" if p == "pre" else "post-collection verification"
            self._set_status(
                name, "excluded",
                f"{stage_en} {spec.run_id}: {spec.bad}/{spec.sampled} bad ({ratio:.2%}) > 5 % (R-DAT-0"
                f"{'1' if p == 'pre' else '2'})",
                cause="audit_reject", run_id=spec.run_id,
            )
        return _audit(run, name)

    def audits(self, source: str | None = None) -> list[AuditRun]:
        """Audit runs, oldest first (of one source, or of all)."""
        with Session(self._read) as s:
            names = {r.id: r.name for r in s.execute(select(DataSource)).scalars()}
            q = select(SourceAudit).order_by(SourceAudit.ts, SourceAudit.id)
            if source is not None:
                q = q.where(SourceAudit.source_id == self._row(s, source).id)
            return [_audit(r, names.get(r.source_id, r.source_id)) for r in s.execute(q).scalars()]

    def trainable_sources(self) -> list[Source]:
        """Sources a training set may draw from: active, assessed before collection, no assessment over 5 %."""
        return [src for src in self.list_sources(status="active") if src.trainable]

    # -- per-sample metadata (R-PTD-03) -----------------------------------------------------------------------

    def metadata_schema(self, name: str) -> dict[str, Any]:
        """The JSON schema that the metadata of every sample of ``name`` must satisfy (the provenance fields
        its kind needs, under the field names the source declares)."""
        src = self.get_source(name)
        required = sorted({src.sample_metadata_fields[r] for r in _REQUIRED_ROLES[src.kind]})
        props = {f: {"description": role} for role, f in src.sample_metadata_fields.items()}
        return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": f"hegui sample: {src.name}",
                "type": "object", "required": required, "properties": props,
                "x-hegui-source": src.name, "x-hegui-roles": dict(src.sample_metadata_fields)}

    def missing_sample_metadata(self, name: str, sample: Mapping[str, Any]) -> list[str]:
        """The required provenance roles that ``sample`` lacks (dotted field paths are followed); [] when
        complete. Reads nothing but the source record; the sample is not stored."""
        src = self.get_source(name)
        missing = []
        for role in _REQUIRED_ROLES[src.kind]:
            v: Any = sample
            for part in src.sample_metadata_fields[role].split("."):
                v = v.get(part) if isinstance(v, Mapping) else None
            if v is None or v == "":
                missing.append(role)
        return missing

    # -- reporting --------------------------------------------------------------------------------------------

    def check_diversity(self) -> DiversityReport:
        """R-DAT-03: for each (language, modality) pair among the active sources, the number of distinct
        sources (at least two wanted) and whether foreign-origin data is mixed with domestic data."""
        groups: dict[tuple[str, str], list[Source]] = {}
        for src in self.list_sources(status="active"):
            for lang in src.languages or (UNDETERMINED_LANGUAGE,):
                for mod in src.modalities:
                    groups.setdefault((lang, mod), []).append(src)
        pairs: list[DiversityPair] = []
        findings: list[dict[str, Any]] = []
        for (lang, mod), srcs in sorted(groups.items()):
            dom = sum(1 for x in srcs if x.origin == "domestic")
            foreign = len(srcs) - dom
            issues = []
            if len(srcs) < MIN_SOURCES_PER_PAIR:
                issues.append("few_sources")
            if foreign == 0:
                issues.append("no_foreign")
            if dom == 0:
                issues.append("no_domestic")
            pair = DiversityPair(language=lang, modality=mod, sources=tuple(x.name for x in srcs), domestic=dom,
                                 foreign=foreign, issues=tuple(issues))
            pairs.append(pair)
            findings.extend(_finding(pair, i) for i in issues)
        return DiversityReport(pairs=tuple(pairs), findings=tuple(findings))

    def export(self) -> dict[str, Any]:
        """The ledger as a JSON-able dict for the Art 17 transparency document: every source with its evidence
        and latest audits, the scale (sample counts from audits), the mix by kind, language, modality, origin
        and licence, the quality (audit ratios, rejected and excluded sources) and the diversity check."""
        sources = self.list_sources()
        runs = self.audits()
        latest: dict[tuple[str, str], AuditRun] = {}
        for r in runs:
            latest[(r.source, r.stage)] = r  # oldest first: the last one wins
        items_total = 0
        sampled_total = 0
        out_sources = []
        for src in sources:
            d = src.to_dict()
            pre, post = latest.get((src.name, "pre")), latest.get((src.name, "post"))
            d["latest_audits"] = {"pre": pre.to_dict() if pre else None, "post": post.to_dict() if post else None}
            d["audits"] = sum(1 for r in runs if r.source == src.name)
            scale = next((r.items for r in (post, pre) if r is not None and r.items is not None), None)
            d["items"] = scale
            out_sources.append(d)
            if src.active:
                items_total += scale or 0
                sampled_total += sum(r.sampled for r in (pre, post) if r is not None)

        def count(values: Iterable[str]) -> dict[str, int]:
            out: dict[str, int] = {}
            for v in values:
                out[v] = out.get(v, 0) + 1
            return dict(sorted(out.items()))

        active = [x for x in sources if x.active]
        ratios = [r.ratio for r in latest.values()]
        return {
            "format": EXPORT_FORMAT,
            "generated_at": self._now().isoformat(),
            "requirements": ["R-PTD-02", "R-PTD-03", "R-PTD-06", "R-DAT-01", "R-DAT-02", "R-DAT-03", "R-DAT-04",
                             "R-DAT-08"],
            "summary": {
                "sources": len(sources),
                "active": len(active),
                "excluded": len(sources) - len(active),
                "trainable": sum(1 for x in active if x.trainable),
                "kinds": count(x.kind for x in active),
                "languages": count(lang for x in active for lang in x.languages),
                "modalities": count(m for x in active for m in x.modalities),
                "origin": {"domestic": sum(1 for x in active if x.origin == "domestic"),
                           "foreign": sum(1 for x in active if x.origin == "foreign")},
                "licences": count((x.licence or ("file" if x.licence_file else "none")) for x in active),
                "personal_information": sum(1 for x in active if x.contains_personal_info),
                "ai_generated": sum(1 for x in active if x.kind == "ai_generated"),
            },
            "scale": {"items": items_total, "sampled": sampled_total, "audit_runs": len(runs)},
            "quality": {
                "max_bad_ratio": SOURCE_MAX_BAD_RATIO,
                "sources_assessed_before_collection": sum(1 for x in sources if x.pre_verdict is not None),
                "sources_verified_after_collection": sum(1 for x in sources if x.post_verdict is not None),
                "max_ratio": max(ratios) if ratios else None,
                "rejected": sorted({r.source for r in latest.values() if r.verdict == "reject"}),
                "excluded": [{"name": x.name, "reason": x.excluded_reason} for x in sources if not x.active],
                "not_assessed": [x.name for x in active if x.pre_verdict is None],
            },
            "diversity": self.check_diversity().to_dict(),
            "sources": out_sources,
        }

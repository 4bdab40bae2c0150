"""The policy model: a pydantic v2 schema (``extra="forbid"`` everywhere) plus its compiled form.

A policy maps risk codes and severities to actions per stage::

    version: "2025.1"
    fail: closed                 # closed (default) | open
    stages:
      input:
        rules:
          - {risks: [A1], min_severity: high, action: block}
      output:
        rules:
          - {risks: "*", action: review}

Rule matching (see ``docs/policy.md``): a rule matches a finding when one of its risk patterns matches the
finding's code, the finding's severity is at least ``min_severity``, its score is at least ``min_score``,
its detector is listed in ``detectors`` (when given) and at least ``min_count`` findings satisfy all that.
Among the matching rules the most specific pattern wins (exact code > prefix with more parts > category >
``"*"``; a rule restricted to detectors beats one that is not); ties go to the most restrictive action.

Nothing here reads files; :mod:`hegui.policy.loader` does.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal, Self

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr
from pydantic_core import PydanticCustomError

from hegui.core.taxonomy import CATEGORIES, RISKS, canonical_code, is_risk_code
from hegui.core.types import Action, RiskLevel, Severity, Stage

FailMode = Literal["closed", "open"]
LangSetting = Literal["zh", "en", "auto"]

#: Which stage's settings a stage uses when the policy does not give them.
STAGE_FALLBACK: Final[dict[Stage, Stage | None]] = {
    Stage.INPUT: None,
    Stage.OUTPUT: None,
    Stage.STREAM_CHUNK: Stage.OUTPUT,  # a streamed chunk is output
    Stage.FILE: Stage.INPUT,  # an uploaded file is user input
    Stage.CORPUS: Stage.OUTPUT,  # training data is what the model learns to say
}

#: Placeholders a refusal template may use.
REFUSAL_PLACEHOLDERS: Final[frozenset[str]] = frozenset({"categories", "codes", "stage"})
#: Placeholders a redaction label may use.
LABEL_PLACEHOLDERS: Final[frozenset[str]] = frozenset({"code", "name"})

_DEFAULT_KEY: Final = "default"

# Every dot-boundary prefix of a known code ("A1", "X", "X.ABUSE"), mapped to its number of parts.
_PREFIXES: Final[dict[str, int]] = {}
for _r in RISKS:
    _parts = _r.code.split(".")
    for _i in range(1, len(_parts)):
        _PREFIXES[".".join(_parts[:_i])] = _i
_CATEGORY_ALIASES: Final[dict[str, str]] = {c.standard_code: c.code for c in CATEGORIES if c.standard_code}
_EXACT_SPECIFICITY: Final = 1000


def _unknown_pattern(raw: object) -> PydanticCustomError:
    return PydanticCustomError(
        "hegui_unknown_risk",
        "unknown risk code or pattern {pattern}",
        {
            "pattern": repr(str(raw)),
            "zh": f"未知的风险代码或模式 {str(raw)!r}",
            "hint_en": "use a code such as A1.6 (or A.1.f), a category such as A2 or A2.*, "
            "a prefix such as X.ABUSE.*, or '*' for every risk; codes are listed in hegui.core.taxonomy",
            "hint_zh": "请使用风险代码（如 A1.6 或 A.1.f）、类别（如 A2 或 A2.*）、前缀（如 X.ABUSE.*），"
            "或用 '*' 表示全部风险；代码列表见 hegui.core.taxonomy",
        },
    )


def canonical_pattern(raw: object) -> str:
    """Return the canonical spelling of a risk pattern: ``"*"``, an exact code, or a prefix without ``.*``.

    Accepts ``A1.6``, ``A.1.f``, ``A1``, ``A1.*``, ``A.1``, ``X.ABUSE.*`` and ``*``; raises a pydantic
    custom error (turned into a :class:`~hegui.core.errors.PolicyError` by the loader) for anything else.
    """
    if not isinstance(raw, str):
        raise _unknown_pattern(raw)
    p = raw.strip()
    if p == "*":
        return p
    if is_risk_code(p):
        return canonical_code(p)
    if p.endswith(".*"):
        p = p[:-2]
    p = _CATEGORY_ALIASES.get(p, p)
    if p in _PREFIXES:
        return p
    raise _unknown_pattern(raw)


def pattern_specificity(pattern: str) -> int:
    """``"*"`` → 0, a prefix → its number of parts, an exact code → higher than any prefix."""
    if pattern == "*":
        return 0
    if pattern in _PREFIXES:
        return _PREFIXES[pattern]
    return _EXACT_SPECIFICITY


def pattern_matches(pattern: str, code: str) -> bool:
    if pattern == "*":
        return True
    return code == pattern or code.startswith(pattern + ".")


def _check_template(text: str, allowed: frozenset[str]) -> str:
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as exc:
        raise PydanticCustomError(
            "hegui_bad_template",
            "bad template: {error}",
            {
                "error": str(exc),
                "zh": f"模板格式错误：{exc}",
                "hint_en": "write literal braces as {{ and }}",
                "hint_zh": "字面的花括号请写成 {{ 和 }}",
            },
        ) from None
    for f in fields:
        if f not in allowed:
            names = ", ".join("{" + a + "}" for a in sorted(allowed))
            raise PydanticCustomError(
                "hegui_bad_placeholder",
                "unknown placeholder {placeholder} in template",
                {
                    "placeholder": repr("{" + f + "}"),
                    "zh": f"模板中有未知的占位符 {'{' + f + '}'!r}",
                    "hint_en": f"use only {names}; write literal braces as {{{{ and }}}}",
                    "hint_zh": f"只能使用 {names}；字面的花括号请写成 {{{{ 和 }}}}",
                },
            )
    return text


def _refusal_template(text: str) -> str:
    return _check_template(text, REFUSAL_PLACEHOLDERS)


def _label_template(text: str) -> str:
    return _check_template(text, LABEL_PLACEHOLDERS)


def _to_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _to_str(value: Any) -> Any:
    # ``version: 1`` or ``version: 2025.1`` in YAML are numbers; the version is a label.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _template_key(raw: str) -> str:
    return _DEFAULT_KEY if raw == _DEFAULT_KEY else canonical_pattern(raw)


RiskPattern = Annotated[str, AfterValidator(canonical_pattern)]
TemplateKey = Annotated[str, AfterValidator(_template_key)]
RefusalTemplate = Annotated[str, Field(min_length=1), AfterValidator(_refusal_template)]
LabelTemplate = Annotated[str, AfterValidator(_label_template)]
Score = Annotated[float, Field(ge=0.0, le=1.0)]
DetectorName = Annotated[str, Field(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=False)


class Text(_Model):
    """A user-facing text in both languages."""

    zh: RefusalTemplate
    en: RefusalTemplate

    def get(self, lang: str) -> str:
        return self.en if lang.startswith("en") else self.zh


class LabelText(_Model):
    zh: LabelTemplate
    en: LabelTemplate

    def get(self, lang: str) -> str:
        return self.en if lang.startswith("en") else self.zh


class Rule(_Model):
    """Findings matching ``risks`` (and the optional conditions) get ``action`` and ``level``."""

    id: str | None = None
    risks: Annotated[list[RiskPattern], BeforeValidator(_to_list), Field(min_length=1)]
    min_severity: Severity = Severity.LOW
    min_score: Score = 0.0
    min_count: Annotated[int, Field(ge=1)] = 1
    detectors: list[DetectorName] | None = None
    action: Action
    level: RiskLevel | None = None  # omitted: none for pass, else the finding's severity


class StagePolicy(_Model):
    """One stage's settings; anything omitted comes from the fallback stage, then the policy."""

    rules: list[Rule] | None = None
    fail: FailMode | None = None
    required_detectors: list[DetectorName] | None = None


class InputOutputStagePolicy(StagePolicy):
    """``input`` and ``output`` have no fallback, so their ``rules`` are required (``[]`` passes everything)."""

    rules: list[Rule]


class Stages(_Model):
    input: InputOutputStagePolicy
    output: InputOutputStagePolicy
    stream_chunk: StagePolicy | None = None  # falls back to output
    file: StagePolicy | None = None  # falls back to input
    corpus: StagePolicy | None = None  # falls back to output


_DEFAULT_REFUSAL: Final = Text(
    zh="抱歉，这个问题我暂时无法回答。我们可以聊聊其他话题。",
    en="Sorry, I can't help with that. Let's talk about something else.",
)
_DEFAULT_UNAVAILABLE: Final = Text(
    zh="抱歉，内容安全检查暂时无法完成，请稍后再试。",
    en="Sorry, the content safety check could not be completed. Please try again later.",
)


def _has_default(refusal: dict[str, Text]) -> dict[str, Text]:
    if _DEFAULT_KEY not in refusal:
        raise PydanticCustomError(
            "hegui_missing_default",
            "templates.refusal has no 'default' entry",
            {
                "zh": "templates.refusal 缺少 'default' 项",
                "hint_en": "add 'default: {zh: ..., en: ...}', used when no risk-specific template applies",
                "hint_zh": "请添加 'default: {zh: ..., en: ...}'，在没有对应风险的模板时使用",
            },
        )
    return refusal


def _default_refusal() -> dict[str, Text]:
    return {_DEFAULT_KEY: _DEFAULT_REFUSAL}


class Templates(_Model):
    """Safe answers (代答): ``refusal`` by risk pattern with a ``default``; ``unavailable`` for fail closed."""

    refusal: Annotated[dict[TemplateKey, Text], AfterValidator(_has_default)] = Field(
        default_factory=_default_refusal
    )
    unavailable: Text = _DEFAULT_UNAVAILABLE

    def refusal_for(self, code: str) -> Text:
        """The template of the most specific key matching ``code``, else ``default``."""
        best: tuple[int, Text] | None = None
        for key, text in self.refusal.items():
            if key == _DEFAULT_KEY or not pattern_matches(key, code):
                continue
            spec = pattern_specificity(key)
            if best is None or spec > best[0]:
                best = (spec, text)
        return best[1] if best else self.refusal[_DEFAULT_KEY]


class Redaction(_Model):
    """How spans are masked when the action is ``redact``."""

    mode: Literal["mask", "label"] = "mask"  # mask: mask_char × span length; label: the label text
    mask_char: Annotated[str, Field(min_length=1, max_length=1)] = "*"
    label: LabelText = LabelText(zh="[已隐藏]", en="[redacted]")


@dataclass(frozen=True, slots=True)
class CompiledRule:
    id: str
    patterns: tuple[str, ...]
    min_severity: Severity
    min_score: float
    min_count: int
    detectors: frozenset[str] | None
    action: Action
    level: RiskLevel | None

    def pattern_specificity_for(self, code: str) -> int:
        """The specificity of the most specific of this rule's patterns that matches ``code`` (-1: none)."""
        return max((pattern_specificity(p) for p in self.patterns if pattern_matches(p, code)), default=-1)


@dataclass(frozen=True, slots=True)
class ResolvedStage:
    stage: Stage
    rules_from: Stage  # the stage whose rules apply (stream_chunk → output unless given)
    rules: tuple[CompiledRule, ...]
    fail: FailMode
    required_detectors: tuple[str, ...]


class Policy(_Model):
    """A validated policy. Build one with :func:`hegui.policy.load_policy` or ``Policy.model_validate``."""

    version: Annotated[str, BeforeValidator(_to_str), Field(min_length=1)]
    name: str = "policy"
    description: str = ""
    fail: FailMode = "closed"
    lang: LangSetting = "zh"
    thresholds: dict[DetectorName, Score] = Field(default_factory=dict)  # detector ("*" = any) -> min score
    stages: Stages
    templates: Templates = Field(default_factory=Templates)
    redaction: Redaction = Field(default_factory=Redaction)

    _resolved: dict[Stage, ResolvedStage] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        resolved: dict[Stage, ResolvedStage] = {}
        for stage in Stage:
            resolved[stage] = self._resolve(stage)
        self._resolved = resolved

    def _resolve(self, stage: Stage) -> ResolvedStage:
        chain: list[tuple[Stage, StagePolicy]] = []
        s: Stage | None = stage
        while s is not None:
            sp: StagePolicy | None = getattr(self.stages, s.value)
            if sp is not None:
                chain.append((s, sp))
            s = STAGE_FALLBACK[s]
        rules_from, rules = next((st, sp.rules) for st, sp in chain if sp.rules is not None)
        fail: FailMode = next((sp.fail for _, sp in chain if sp.fail is not None), self.fail)
        required = next((sp.required_detectors for _, sp in chain if sp.required_detectors is not None), [])
        compiled = tuple(
            CompiledRule(
                id=r.id or f"{rules_from.value}#{i}",
                patterns=tuple(r.risks),
                min_severity=r.min_severity,
                min_score=r.min_score,
                min_count=r.min_count,
                detectors=frozenset(r.detectors) if r.detectors is not None else None,
                action=r.action,
                level=r.level,
            )
            for i, r in enumerate(rules or [], start=1)
        )
        return ResolvedStage(
            stage=stage, rules_from=rules_from, rules=compiled, fail=fail, required_detectors=tuple(required)
        )

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with ``update`` applied, validated again (so the compiled stages are never stale)."""
        copied = super().model_copy(update=update, deep=deep)
        return type(self).model_validate(copied.model_dump())

    def for_stage(self, stage: Stage | str) -> ResolvedStage:
        """The effective settings of ``stage`` after fallbacks (stream_chunk → output, file → input, ...)."""
        return self._resolved[Stage(stage)]

    def threshold(self, detector: str) -> float:
        """The minimum score a finding of ``detector`` needs to count."""
        return self.thresholds.get(detector, self.thresholds.get("*", 0.0))

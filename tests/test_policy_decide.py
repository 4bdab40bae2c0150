"""Table tests for hegui.policy.decide (pure: findings in, decision out)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from hegui.core.types import (
    Action,
    Assessment,
    Decision,
    DetectorFailure,
    Finding,
    RiskLevel,
    Severity,
    Span,
    Stage,
)
from hegui.policy import Policy, decide, default_policy, detect_lang, load_policy_text, mask_spans

TEST_POLICY = """
version: t1
name: test
thresholds: {"*": 0.0, classifier: 0.7}
stages:
  input:
    required_detectors: []
    rules:
      - {id: any, risks: "*", action: review}
      - {id: a1-high, risks: A1, min_severity: high, action: block}
      - {id: a1-any, risks: A1, action: review}
      - {id: a1.6, risks: A1.6, action: pass}
      - {id: a2, risks: "A2.*", action: block, level: medium}
      - {id: a2-tie, risks: A2, action: review}
      - {id: pii, risks: A4.6, action: redact}
      - {id: guard-a3, risks: A3, detectors: [guard_model], action: block}
      - {id: a3, risks: A3, action: review}
      - {id: spam3, risks: X.ABUSE.SPAM, min_count: 3, action: block}
      - {id: jb-score, risks: X.JAILBREAK, min_score: 0.9, action: block}
  output:
    rules:
      - {id: out-a1, risks: A1, action: block}
      - {id: out-pii, risks: A4.6, action: redact}
  file:
    fail: open
  corpus:
    rules: []
templates:
  refusal:
    default: {zh: "默认拒答", en: "default refusal"}
    A1: {zh: "A1拒答：{categories}", en: "A1 refusal: {categories} [{codes}] at {stage}"}
    A1.6: {zh: "A1.6 专用", en: "A1.6 only"}
  unavailable: {zh: "检查不可用", en: "check unavailable"}
"""

L, M, H = Severity.LOW, Severity.MEDIUM, Severity.HIGH


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy_text(TEST_POLICY, "test.yaml")


def f(
    risk: str,
    sev: Severity = M,
    det: str = "lexicon",
    score: float = 1.0,
    span: tuple[int, int] | None = (0, 2),
) -> Finding:
    return Finding(det, risk, sev, Span(*span) if span else None, "term", score)


def assess(*findings: Finding, run: Sequence[str] = ("lexicon", "pii", "guard_model", "classifier"),
           failed: Sequence[DetectorFailure] = ()) -> Assessment:
    return Assessment(findings=tuple(findings), detectors_run=tuple(run), detectors_failed=tuple(failed))


# (name, findings, stage, action, level, categories)
ROWS: list[tuple[str, tuple[Finding, ...], Stage, Action, RiskLevel, tuple[str, ...]]] = [
    ("nothing found", (), Stage.INPUT, Action.PASS, RiskLevel.NONE, ()),
    ("A1 high → block", (f("A1.1", H),), Stage.INPUT, Action.BLOCK, RiskLevel.HIGH, ("A1.1",)),
    ("A1 medium → review", (f("A1.1", M),), Stage.INPUT, Action.REVIEW, RiskLevel.MEDIUM, ("A1.1",)),
    ("A1 low → review", (f("A1.1", L),), Stage.INPUT, Action.REVIEW, RiskLevel.LOW, ("A1.1",)),
    ("exact code beats category", (f("A1.6", H),), Stage.INPUT, Action.PASS, RiskLevel.NONE, ()),
    ("tie → most restrictive, explicit level", (f("A2.3", L),), Stage.INPUT, Action.BLOCK, RiskLevel.MEDIUM,
     ("A2.3",)),
    ("redact", (f("A4.6", M, "pii"),), Stage.INPUT, Action.REDACT, RiskLevel.MEDIUM, ("A4.6",)),
    ("detector-specific rule beats plain", (f("A3.1", H, "guard_model"),), Stage.INPUT, Action.BLOCK,
     RiskLevel.HIGH, ("A3.1",)),
    ("detector-specific rule skips others", (f("A3.1", H, "lexicon"),), Stage.INPUT, Action.REVIEW,
     RiskLevel.HIGH, ("A3.1",)),
    ("min_count not reached", (f("X.ABUSE.SPAM"), f("X.ABUSE.SPAM")), Stage.INPUT, Action.REVIEW,
     RiskLevel.MEDIUM, ("X.ABUSE.SPAM",)),
    ("min_count reached", (f("X.ABUSE.SPAM"),) * 3, Stage.INPUT, Action.BLOCK, RiskLevel.MEDIUM,
     ("X.ABUSE.SPAM",)),
    ("min_score not reached", (f("X.JAILBREAK", H, "guard_model", 0.8),), Stage.INPUT, Action.REVIEW,
     RiskLevel.HIGH, ("X.JAILBREAK",)),
    ("min_score reached", (f("X.JAILBREAK", H, "guard_model", 0.95),), Stage.INPUT, Action.BLOCK,
     RiskLevel.HIGH, ("X.JAILBREAK",)),
    ("below detector threshold: ignored", (f("A1.1", H, "classifier", 0.6),), Stage.INPUT, Action.PASS,
     RiskLevel.NONE, ()),
    ("above detector threshold", (f("A1.1", H, "classifier", 0.75),), Stage.INPUT, Action.BLOCK,
     RiskLevel.HIGH, ("A1.1",)),
    ("no rule matches → pass", (f("A5.1"),), Stage.OUTPUT, Action.PASS, RiskLevel.NONE, ()),
    ("output A1 low → block", (f("A1.1", L),), Stage.OUTPUT, Action.BLOCK, RiskLevel.LOW, ("A1.1",)),
    ("stream_chunk falls back to output", (f("A1.1", L),), Stage.STREAM_CHUNK, Action.BLOCK, RiskLevel.LOW,
     ("A1.1",)),
    ("file falls back to input", (f("A1.1", M),), Stage.FILE, Action.REVIEW, RiskLevel.MEDIUM, ("A1.1",)),
    ("corpus with empty rules", (f("A1.1", H),), Stage.CORPUS, Action.PASS, RiskLevel.NONE, ()),
    ("standard alias in a finding", (f("A.1.a", M),), Stage.OUTPUT, Action.BLOCK, RiskLevel.MEDIUM, ("A1.1",)),
    ("max over findings", (f("A1.1", L), f("A4.6", M, "pii", span=(3, 5))), Stage.INPUT, Action.REDACT,
     RiskLevel.MEDIUM, ("A1.1", "A4.6")),
    ("block beats redact", (f("A1.1", H), f("A4.6", M, "pii", span=(3, 5))), Stage.INPUT, Action.BLOCK,
     RiskLevel.HIGH, ("A1.1", "A4.6")),
    ("unknown code → '*' rule", (f("Z.9"),), Stage.INPUT, Action.REVIEW, RiskLevel.MEDIUM, ("Z.9",)),
    ("unknown code, no '*' rule", (f("Z.9"),), Stage.OUTPUT, Action.PASS, RiskLevel.NONE, ()),
    ("pass keeps low findings out of categories", (f("A1.6", L), f("A1.6", L)), Stage.INPUT, Action.PASS,
     RiskLevel.NONE, ()),
    ("redact without a span → block", (f("A4.6", M, "pii", span=None),), Stage.OUTPUT, Action.BLOCK,
     RiskLevel.MEDIUM, ("A4.6",)),
]


@pytest.mark.parametrize(("name", "findings", "stage", "action", "level", "categories"), ROWS,
                         ids=[r[0] for r in ROWS])
def test_table(
    policy: Policy,
    name: str,
    findings: tuple[Finding, ...],
    stage: Stage,
    action: Action,
    level: RiskLevel,
    categories: tuple[str, ...],
) -> None:
    d = decide(assess(*findings), stage, policy, text="0123456789")
    assert (d.action, d.risk_level, d.categories) == (action, level, categories), d.reasons
    assert d.stage is stage
    assert isinstance(d, Decision)


def test_table_covers_every_action_and_stage() -> None:
    assert {r[3] for r in ROWS} == set(Action)
    assert {r[2] for r in ROWS} == set(Stage)
    assert {r[4] for r in ROWS} == set(RiskLevel)


def test_findings_kept_only_above_threshold(policy: Policy) -> None:
    low = f("A1.1", H, "classifier", 0.5)
    kept = f("A1.6", L)
    d = decide(assess(low, kept), "input", policy)
    assert d.findings == (kept,)
    assert d.action is Action.PASS


def test_stage_given_as_string(policy: Policy) -> None:
    assert decide(assess(f("A1.1", H)), "output", policy).stage is Stage.OUTPUT


# ------------------------------------------------------------------------------------------- failures


def test_fail_closed_blocks(policy: Policy) -> None:
    fail = DetectorFailure("guard_model", "TimeoutError: deadline")
    d = decide(assess(run=("lexicon",), failed=(fail,)), "input", policy)
    assert d.action is Action.BLOCK and d.risk_level is RiskLevel.HIGH
    assert d.categories == ()
    assert d.detectors_failed == (fail,)
    assert d.replacement == "检查不可用"
    assert "could not run" in d.reasons[0] and "guard_model" in d.reasons[0]
    assert "deadline" not in " ".join(d.reasons)  # error text stays in detectors_failed only


def test_fail_closed_with_blocking_findings_uses_refusal(policy: Policy) -> None:
    d = decide(assess(f("A1.1", H), failed=(DetectorFailure("pii", "x"),)), "input", policy)
    assert d.action is Action.BLOCK and d.categories == ("A1.1",)
    assert d.replacement is not None and d.replacement.startswith("A1拒答")


def test_fail_closed_never_passes_even_with_a_pass_finding(policy: Policy) -> None:
    d = decide(assess(f("A1.6", L), failed=(DetectorFailure("pii", "x"),)), "output", policy)
    assert d.action is Action.BLOCK


def test_fail_open_is_at_least_review(policy: Policy) -> None:
    fail = DetectorFailure("guard_model", "boom")
    d = decide(assess(run=("lexicon",), failed=(fail,)), Stage.FILE, policy)
    assert d.action is Action.REVIEW
    assert d.detectors_failed == (fail,)
    assert "fail: open" in d.reasons[0]
    assert d.replacement is None


def test_fail_open_still_blocks_on_findings(policy: Policy) -> None:
    d = decide(assess(f("A1.1", H), failed=(DetectorFailure("x", "y"),)), Stage.FILE, policy)
    assert d.action is Action.BLOCK and d.risk_level is RiskLevel.HIGH and d.categories == ("A1.1",)
    assert d.detectors_failed


def test_no_detector_ran_is_a_failure(policy: Policy) -> None:
    d = decide(Assessment(findings=(), detectors_run=()), "input", policy)
    assert d.action is Action.BLOCK
    assert d.detectors_failed and d.detectors_failed[0].error == "no detector ran"


def test_failed_detector_listed_as_run_is_still_failed(policy: Policy) -> None:
    d = decide(assess(run=("lexicon", "guard_model"), failed=(DetectorFailure("guard_model", "x"),)),
               "input", policy)
    assert d.action is Action.BLOCK


def test_required_detector_missing_is_a_failure() -> None:
    p = load_policy_text(TEST_POLICY.replace("required_detectors: []", "required_detectors: [lexicon, pii]"))
    d = decide(assess(run=("lexicon",)), "input", p)
    assert d.action is Action.BLOCK
    assert [x.detector for x in d.detectors_failed] == ["pii"]
    assert decide(assess(run=("lexicon", "pii")), "input", p).action is Action.PASS
    # file falls back to input's required detectors, but fails open
    assert decide(assess(run=("lexicon",)), "file", p).action is Action.REVIEW


def test_stage_fail_override() -> None:
    text = TEST_POLICY.replace("  corpus:\n    rules: []", "  corpus:\n    rules: []\n  stream_chunk:\n    fail: open")
    p = load_policy_text(text)
    fail = (DetectorFailure("guard_model", "x"),)
    assert decide(assess(failed=fail), "output", p).action is Action.BLOCK
    assert decide(assess(failed=fail), "stream_chunk", p).action is Action.REVIEW
    # stream_chunk gave only `fail`, so its rules are still output's
    assert decide(assess(f("A1.1", L)), "stream_chunk", p).action is Action.BLOCK
    assert p.for_stage("stream_chunk").rules_from is Stage.OUTPUT


# ------------------------------------------------------------------------------------------ redaction


def test_redact_masks_spans(policy: Policy) -> None:
    text = "电话13800138000请回电"
    d = decide(assess(f("A4.6", M, "pii", span=(2, 13))), "output", policy, text=text)
    assert d.action is Action.REDACT
    assert d.replacement == "电话" + "*" * 11 + "请回电"


def test_redact_merges_overlaps_and_clamps(policy: Policy) -> None:
    text = "abcdefghij"
    d = decide(assess(f("A4.6", M, "pii", span=(1, 4)), f("A4.6", M, "pii", span=(3, 6)),
                      f("A4.6", M, "pii", span=(8, 50))), "output", policy, text=text)
    assert d.replacement == "a*****gh**"


def test_redact_only_masks_redact_findings(policy: Policy) -> None:
    text = "abcdefghij"
    d = decide(assess(f("A1.1", L, span=(0, 2)), f("A4.6", M, "pii", span=(5, 7))), "input", policy, text=text)
    assert d.action is Action.REDACT
    assert d.replacement == "abcde**hij"


def test_redact_label_mode() -> None:
    p = load_policy_text(TEST_POLICY + "redaction: {mode: label, label: {zh: '[{name}]', en: '<{code}>'}}\n")
    d = decide(assess(f("A4.6", M, "pii", span=(2, 5))), "output", p, text="ab12345", lang="en")
    assert d.replacement == "ab<A4.6>45"
    d = decide(assess(f("A4.6", M, "pii", span=(2, 5))), "output", p, text="ab12345")
    assert d.replacement == "ab[侵害他人个人信息权益]45"


def test_redactor_callable(policy: Policy) -> None:
    seen: list[Finding] = []

    def redactor(text: str, findings: Sequence[Finding]) -> str:
        seen.extend(findings)
        return text.replace("secret", "[PII]")

    pii = f("A4.6", M, "pii", span=(3, 9))
    d = decide(assess(pii, f("A1.1", L)), "input", policy, text="my secret", redactor=redactor)
    assert d.replacement == "my [PII]"
    assert seen == [pii]


def test_redact_without_text_has_no_replacement(policy: Policy) -> None:
    d = decide(assess(f("A4.6", M, "pii")), "output", policy)
    assert d.action is Action.REDACT and d.replacement is None


def test_mask_spans_helper() -> None:
    assert mask_spans("hello", [Span(1, 3)], "#") == "h##lo"
    assert mask_spans("hello", []) == "hello"
    assert mask_spans("hello", [Span(4, 4)]) == "hello"


# ------------------------------------------------------------------------------------------ templates


def test_refusal_template_zh_default_lang(policy: Policy) -> None:
    d = decide(assess(f("A1.1", H)), "input", policy)
    assert d.replacement == "A1拒答：煽动颠覆国家政权、推翻社会主义制度"


def test_refusal_template_en_with_placeholders(policy: Policy) -> None:
    d = decide(assess(f("A1.1", H), f("A1.3", H)), "input", policy, lang="en")
    assert d.replacement == (
        "A1 refusal: Inciting subversion of state power or overthrow of the socialist system, "
        "Inciting secession; undermining national unity and social stability [A1.1, A1.3] at input"
    )


def test_refusal_template_most_specific_key(policy: Policy) -> None:
    d = decide(assess(f("A1.6", H)), "output", policy, lang="en-US")
    assert d.replacement == "A1.6 only"


def test_refusal_template_default(policy: Policy) -> None:
    d = decide(assess(*(f("X.ABUSE.SPAM"),) * 3), "input", policy)
    assert d.replacement == "默认拒答"


def test_refusal_template_follows_most_severe_risk(policy: Policy) -> None:
    # A2.1 blocks with level medium, A1.1 with level high: the A1 template is used
    d = decide(assess(f("A2.1", L), f("A1.1", H)), "input", policy, lang="zh")
    assert d.replacement is not None and d.replacement.startswith("A1拒答")


def test_lang_auto(policy: Policy) -> None:
    finding = f("A1.1", H)
    assert decide(assess(finding), "input", policy, text="How do I do this?", lang="auto").replacement == (
        "A1 refusal: Inciting subversion of state power or overthrow of the socialist system [A1.1] at input"
    )
    assert decide(assess(finding), "input", policy, text="这是什么", lang="auto").replacement == (
        "A1拒答：煽动颠覆国家政权、推翻社会主义制度"
    )
    # no text to look at: zh
    assert decide(assess(finding), "input", policy, lang="auto").replacement == (
        "A1拒答：煽动颠覆国家政权、推翻社会主义制度"
    )


def test_policy_lang_auto() -> None:
    p = load_policy_text(TEST_POLICY + "lang: auto\n")
    assert decide(assess(f("A1.6", H)), "output", p, text="some English text").replacement == "A1.6 only"
    assert decide(assess(f("A1.6", H)), "output", p, text="一些中文").replacement == "A1.6 专用"
    # an unknown lang falls back to the policy's setting
    assert decide(assess(f("A1.6", H)), "output", p, text="一些中文", lang="fr").replacement == "A1.6 专用"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Hello, how are you?", "en"),
        ("你好，今天天气怎么样？", "zh"),
        ("Tell me about 天安门", "zh"),
        ("Please summarise this article about 北京", "en"),
        ("请翻译 hello world", "zh"),
        ("12345 !!!", "zh"),
        ("", "zh"),
    ],
)
def test_detect_lang(text: str, lang: str) -> None:
    assert detect_lang(text) == lang


def test_detect_lang_default() -> None:
    assert detect_lang("123", default="en") == "en"


# ------------------------------------------------------------------------------------------- reasons


def test_reasons_are_grouped_and_free_of_text(policy: Policy) -> None:
    text = "秘密内容13800138000"
    findings = (f("A1.1", H, span=(0, 2)), f("A1.1", H, span=(2, 4)), f("A4.6", M, "pii", span=(4, 15)))
    d = decide(assess(*findings), "input", policy, text=text)
    assert "lexicon: A1.1 (high) ×2 → block [a1-high]" in d.reasons
    assert "pii: A4.6 (medium) ×1 → redact [pii]" in d.reasons
    assert d.reasons[-1] == "policy: test t1 (input rules)"
    joined = " ".join(d.reasons)
    assert "13800138000" not in joined and "秘密" not in joined and "term" not in joined


def test_reasons_name_the_inherited_rules(policy: Policy) -> None:
    d = decide(assess(f("A1.1", L)), "stream_chunk", policy)
    assert d.reasons == ("lexicon: A1.1 (low) ×1 → block [out-a1]", "policy: test t1 (output rules)")


def test_decide_is_deterministic_and_copies_assessment_fields(policy: Policy) -> None:
    a = Assessment(findings=(f("A1.1", H),), detectors_run=("lexicon",), elapsed_ms=12.5)
    d1 = decide(a, "input", policy, text="xx")
    d2 = decide(a, "input", policy, text="xx")
    assert d1 == d2
    assert d1.detectors_run == ("lexicon",) and d1.elapsed_ms == 12.5
    assert d1.to_dict()["action"] == "block"


# ------------------------------------------------------------------------------------ default policy

DEFAULT_ROWS: list[tuple[str, Finding, Stage, Action]] = [
    ("input A1 high blocks", f("A1.4", H), Stage.INPUT, Action.BLOCK),
    ("input A1 medium is reviewed", f("A1.4", M), Stage.INPUT, Action.REVIEW),
    ("input A1 low is reviewed", f("A1.4", L), Stage.INPUT, Action.REVIEW),
    ("output A1 medium blocks", f("A1.4", M), Stage.OUTPUT, Action.BLOCK),
    ("output A1 low is reviewed", f("A1.4", L), Stage.OUTPUT, Action.REVIEW),
    ("input A2 high blocks", f("A2.5", H), Stage.INPUT, Action.BLOCK),
    ("input A2 medium is reviewed", f("A2.5", M), Stage.INPUT, Action.REVIEW),
    ("output A2 medium blocks", f("A2.5", M), Stage.OUTPUT, Action.BLOCK),
    ("output A2 low is reviewed", f("A2.5", L), Stage.OUTPUT, Action.REVIEW),
    ("input A3 high is reviewed", f("A3.1", H), Stage.INPUT, Action.REVIEW),
    ("output A3 medium is reviewed", f("A3.1", M), Stage.OUTPUT, Action.REVIEW),
    ("output A4 high blocks", f("A4.3", H), Stage.OUTPUT, Action.BLOCK),
    ("input PII passes", f("A4.6", M, "pii"), Stage.INPUT, Action.PASS),
    ("input high PII is reviewed", f("A4.6", H, "pii"), Stage.INPUT, Action.REVIEW),
    ("output PII is redacted", f("A4.6", M, "pii"), Stage.OUTPUT, Action.REDACT),
    ("output high PII is redacted, not blocked", f("A4.6", H, "pii"), Stage.OUTPUT, Action.REDACT),
    ("input A5 passes", f("A5.1", M), Stage.INPUT, Action.PASS),
    ("output A5 is reviewed", f("A5.2", M), Stage.OUTPUT, Action.REVIEW),
    ("input jailbreak blocks", f("X.JAILBREAK", M), Stage.INPUT, Action.BLOCK),
    ("input low jailbreak is reviewed", f("X.JAILBREAK", L), Stage.INPUT, Action.REVIEW),
    ("output jailbreak is reviewed", f("X.JAILBREAK", H), Stage.OUTPUT, Action.REVIEW),
    ("abuse is reviewed", f("X.ABUSE.MALWARE", H), Stage.INPUT, Action.REVIEW),
    ("stream_chunk is output", f("A1.4", M), Stage.STREAM_CHUNK, Action.BLOCK),
    ("file is input", f("A1.4", M), Stage.FILE, Action.REVIEW),
    ("corpus A1 medium is dropped", f("A2.1", M), Stage.CORPUS, Action.BLOCK),
    ("corpus PII is redacted", f("A4.6", M, "pii"), Stage.CORPUS, Action.REDACT),
    ("classifier below 0.6 is ignored", f("A1.4", H, "classifier", 0.5), Stage.INPUT, Action.PASS),
    ("unknown code is reviewed", f("Z.1", M), Stage.INPUT, Action.REVIEW),
]


@pytest.mark.parametrize(("name", "finding", "stage", "action"), DEFAULT_ROWS, ids=[r[0] for r in DEFAULT_ROWS])
def test_default_policy_table(name: str, finding: Finding, stage: Stage, action: Action) -> None:
    d = decide(assess(finding), stage, default_policy(), text="0123456789")
    assert d.action is action, d.reasons


@pytest.mark.parametrize("stage", list(Stage))
@pytest.mark.parametrize("severity", [L])
def test_default_policy_low_severity_never_blocks(stage: Stage, severity: Severity) -> None:
    from hegui.core.taxonomy import RISKS

    for risk in RISKS:
        d = decide(assess(f(risk.code, severity)), stage, default_policy(), text="0123456789")
        assert d.action is not Action.BLOCK, (risk.code, stage, d.reasons)


def test_default_policy_every_risk_has_a_rule() -> None:
    from hegui.core.taxonomy import RISKS

    for stage in Stage:
        for risk in RISKS:
            for sev in Severity:
                d = decide(assess(f(risk.code, sev)), stage, default_policy(), text="0123456789")
                assert "no rule" not in " ".join(d.reasons), (risk.code, stage, sev)


def test_default_policy_fails_closed_with_safe_answer() -> None:
    d = decide(assess(failed=(DetectorFailure("guard_model", "timeout"),)), "output", default_policy())
    assert d.action is Action.BLOCK and d.risk_level is RiskLevel.HIGH
    assert d.replacement == "抱歉，内容安全检查暂时无法完成，请稍后再试。"
    d = decide(assess(failed=(DetectorFailure("guard_model", "timeout"),)), "output", default_policy(), lang="en")
    assert d.replacement is not None and d.replacement.startswith("Sorry, the content safety check")


def test_default_policy_a2_template_names_the_category() -> None:
    d = decide(assess(f("A2.5", H)), "input", default_policy())
    assert d.replacement is not None and "性别歧视内容" in d.replacement

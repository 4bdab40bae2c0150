"""``decide()``: turn an :class:`~hegui.core.types.Assessment` into a :class:`~hegui.core.types.Decision`.

Pure: no I/O, no clock, no globals; the same inputs always give the same decision.

Steps:

1. Detector failures. A detector that failed, a required detector that did not run, or no detector at all
   means the check did not (fully) run. ``fail: closed`` → block with risk level high; ``fail: open`` →
   decide on what ran, but at least ``review``. The failures are kept in ``Decision.detectors_failed``.
2. Thresholds. Findings below their detector's threshold are dropped (they are not in the decision).
3. Rules. Each finding gets the action and level of its best matching rule (see :mod:`hegui.policy.model`);
   a finding no rule matches passes. A ``redact`` finding without a span cannot be masked and is blocked.
4. Aggregation. The action is the most restrictive over findings (and failures), the risk level the highest;
   ``categories`` are the risk codes behind a non-pass action; ``reasons`` name detector, code, severity,
   count, action and rule, never the text or personal data.
5. Replacement. ``block`` → the refusal template (zh or en) of the most severe blocking risk, filled;
   ``redact`` → ``text`` with the redacted spans masked (or the ``redactor`` callable's result).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from hegui.core.errors import UnknownRiskCode
from hegui.core.taxonomy import canonical_code, get_risk
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
from hegui.policy.model import CompiledRule, Policy, Redaction

Lang = Literal["zh", "en"]

#: ``redactor(text, findings) -> redacted text``; ``findings`` are the findings to mask (all have spans).
Redactor = Callable[[str, Sequence[Finding]], str]

_NO_DETECTOR: Final = "(none)"
_LANG_SAMPLE: Final = 4096
_LEVELS: Final = tuple(RiskLevel)
_SEVERITIES: Final = tuple(Severity)
_ACTIONS: Final = tuple(Action)


# ------------------------------------------------------------------------------------------- helpers


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (
        0x3400 <= o <= 0x9FFF  # CJK ideographs (ext. A and unified)
        or 0xF900 <= o <= 0xFAFF  # compatibility ideographs
        or 0x3040 <= o <= 0x30FF  # kana
        or 0xAC00 <= o <= 0xD7AF  # hangul
        or 0x20000 <= o <= 0x3134F  # ext. B and later
    )


def detect_lang(text: str, default: Lang = "zh") -> Lang:
    """``"en"`` for mostly-ASCII text, else ``"zh"``; ``default`` when the text has no letters.

    A CJK character counts as three ASCII letters (one CJK character carries about as much as a short
    English word), and English needs 80 % of the weighted letters: "Tell me about 天安门" is zh,
    "Please summarise this article about 北京" is en.
    """
    sample = text[:_LANG_SAMPLE]
    ascii_letters = sum(1 for ch in sample if ch.isascii() and ch.isalpha())
    cjk = sum(1 for ch in sample if _is_cjk(ch))
    if ascii_letters == 0 and cjk == 0:
        return default
    return "en" if ascii_letters >= 0.8 * (ascii_letters + 3 * cjk) else "zh"


def _merge_spans(spans: Sequence[Span], length: int) -> list[tuple[int, int, int]]:
    """Sorted, clamped, merged ``(start, end, index of the first span)`` triples."""
    order = sorted(range(len(spans)), key=lambda i: (spans[i].start, spans[i].end))
    merged: list[list[int]] = []
    for i in order:
        start, end = min(spans[i].start, length), min(spans[i].end, length)
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end, i])
    return [(a, b, i) for a, b, i in merged]


def mask_spans(text: str, spans: Sequence[Span], char: str = "*") -> str:
    """Replace every character inside ``spans`` (merged, clamped to the text) with ``char``."""
    out: list[str] = []
    pos = 0
    for start, end, _ in _merge_spans(spans, len(text)):
        out.append(text[pos:start])
        out.append(char * (end - start))
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _risk_name(code: str, lang: Lang) -> str:
    try:
        return get_risk(code).name(lang)
    except UnknownRiskCode:
        return code


def _redact(text: str, findings: Sequence[Finding], codes: Sequence[str], settings: Redaction, lang: Lang) -> str:
    pairs = [(f.span, c) for f, c in zip(findings, codes, strict=True) if f.span is not None]
    spans = [span for span, _ in pairs]
    if settings.mode == "mask":
        return mask_spans(text, spans, settings.mask_char)
    label = settings.label.get(lang)
    out: list[str] = []
    pos = 0
    for start, end, i in _merge_spans(spans, len(text)):
        code = pairs[i][1]
        out.append(text[pos:start])
        out.append(label.format(code=code, name=_risk_name(code, lang)))
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _canonical(code: str) -> str:
    try:
        return canonical_code(code)
    except UnknownRiskCode:
        return code  # a detector bug; only "*" rules can match it


# indexed by Severity._sort_order_ (a plain attribute; .value goes through a descriptor)
_LEVEL_OF: Final[tuple[RiskLevel, ...]] = tuple(RiskLevel(s.value) for s in Severity)


def _severity_level(severity: Severity) -> RiskLevel:
    return _LEVEL_OF[severity._sort_order_]  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class _Judged:
    finding: Finding
    code: str
    rule: CompiledRule | None
    action: Action
    level: RiskLevel
    note: str = ""


_CANDIDATES: dict[tuple[int, str], tuple[tuple[CompiledRule, ...], tuple[tuple[int, CompiledRule, int], ...]]] = {}


def _candidates(rules: tuple[CompiledRule, ...], code: str) -> tuple[tuple[int, CompiledRule, int], ...]:
    """``(index, rule, specificity)`` of the rules whose patterns match ``code``, memoised per rule set.

    Rules are immutable and the memo keeps the rule tuple alive beside its entry, so an ``id()`` is never
    mistaken for another rule set's.
    """
    key = (id(rules), code)
    hit = _CANDIDATES.get(key)
    if hit is not None and hit[0] is rules:
        return hit[1]
    found = tuple(
        (k, r, spec) for k, r in enumerate(rules) if (spec := r.pattern_specificity_for(code)) >= 0
    )
    if len(_CANDIDATES) > 50_000:
        _CANDIDATES.clear()
    _CANDIDATES[key] = (rules, found)
    return found


def _judge(findings: Sequence[Finding], codes: Sequence[str], rules: Sequence[CompiledRule]) -> list[_Judged]:
    rule_set = tuple(rules)
    # for each finding, the rules that match it (ignoring min_count), with their specificity
    matches: list[list[tuple[int, CompiledRule, int]]] = []
    counts: Counter[int] = Counter()
    for f, code in zip(findings, codes, strict=True):
        row = [
            (k, r, spec)
            for k, r, spec in _candidates(rule_set, code)
            if not (f.severity < r.min_severity or f.score < r.min_score)
            and (r.detectors is None or f.detector in r.detectors)
        ]
        for k, _r, _s in row:
            counts[k] += 1
        matches.append(row)
    judged: list[_Judged] = []
    for f, code, row in zip(findings, codes, matches, strict=True):
        best: tuple[tuple[int, int, Action, RiskLevel], CompiledRule] | None = None
        for k, rule, spec in row:
            if counts[k] < rule.min_count:
                continue
            level = rule.level if rule.level is not None else (
                RiskLevel.NONE if rule.action is Action.PASS else _severity_level(f.severity)
            )
            key = (spec, int(rule.detectors is not None), rule.action, level)
            if best is None or key > best[0]:
                best = (key, rule)
        if best is None:
            judged.append(_Judged(f, code, None, Action.PASS, RiskLevel.NONE))
            continue
        (_, _, action, level), rule = best
        if action is Action.REDACT and f.span is None:
            judged.append(_Judged(f, code, rule, Action.BLOCK, max(level, RiskLevel.MEDIUM), "no span to redact"))
        else:
            judged.append(_Judged(f, code, rule, action, level))
    return judged


def _reasons(judged: Sequence[_Judged]) -> list[str]:
    groups: Counter[tuple[Action, str, str, Severity, str, str]] = Counter()
    for j in judged:
        rule_id = j.rule.id if j.rule else "no rule"
        groups[(j.action, j.code, j.finding.detector, j.finding.severity, rule_id, j.note)] += 1
    ordered = sorted(groups.items(), key=lambda kv: (-_ACTIONS.index(kv[0][0]), kv[0][1], kv[0][2]))
    out = []
    for (action, code, detector, severity, rule_id, note), n in ordered:
        extra = f"; {note}" if note else ""
        out.append(f"{detector}: {code} ({severity.value}) ×{n} → {action.value} [{rule_id}{extra}]")
    return out


def _resolve_lang(lang: str | None, policy: Policy, text: str | None) -> Lang:
    setting = lang if lang is not None else policy.lang
    if setting.startswith("en"):
        return "en"
    if setting.startswith("zh"):
        return "zh"
    if setting == "auto":
        return detect_lang(text) if text else "zh"
    return _resolve_lang(None, policy, text) if lang is not None else "zh"


def _fill(template: str, codes: Sequence[str], stage: Stage, lang: Lang) -> str:
    sep = ", " if lang == "en" else "、"
    return template.format(
        categories=sep.join(_risk_name(c, lang) for c in codes),
        codes=", ".join(codes),
        stage=stage.value,
    )


# ----------------------------------------------------------------------------------------------- API


def decide(
    assessment: Assessment,
    stage: Stage | str,
    policy: Policy,
    text: str | None = None,
    lang: str | None = None,
    *,
    redactor: Redactor | None = None,
) -> Decision:
    """Apply ``policy`` to ``assessment`` for ``stage``. Pure: no I/O.

    ``text`` is the checked text: needed to build the masked text of a ``redact`` decision (without it the
    replacement is ``None`` and the caller must mask) and for ``lang="auto"``. ``lang`` picks the template
    language (``zh``, ``en``, ``auto``; default: the policy's ``lang``). ``redactor`` replaces the built-in
    masking (e.g. the PII module's redact()); it gets the text and the findings to mask.
    """
    stage = Stage(stage)
    settings = policy.for_stage(stage)
    out_lang = _resolve_lang(lang, policy, text)

    # 1. failures: a check that did not run is never a pass
    failures = list(assessment.detectors_failed)
    failed_names = {f.detector for f in failures}
    ran_ok = [d for d in assessment.detectors_run if d not in failed_names]
    if not assessment.detectors_run and not failures:
        failures.append(DetectorFailure(_NO_DETECTOR, "no detector ran"))
    for name in settings.required_detectors:
        if name not in ran_ok and name not in failed_names:
            failures.append(DetectorFailure(name, "required detector did not run"))

    # 2. thresholds
    counted = tuple(f for f in assessment.findings if f.score >= policy.threshold(f.detector))
    codes = [_canonical(f.risk) for f in counted]

    # 3. rules
    judged = _judge(counted, codes, settings.rules)

    # 4. aggregation
    action = max((j.action for j in judged), default=Action.PASS)
    level = max((j.level for j in judged), default=RiskLevel.NONE)
    categories = tuple(sorted({j.code for j in judged if j.action is not Action.PASS}))
    reasons = _reasons(judged)
    findings_block = action is Action.BLOCK

    if failures:
        names = ", ".join(sorted({f.detector for f in failures}))
        if settings.fail == "closed":
            action, level = Action.BLOCK, RiskLevel.HIGH
            reasons.insert(0, f"detector failed: {names}; the check could not run → block (fail: closed)")
        else:
            action = max(action, Action.REVIEW)
            reasons.insert(0, f"detector failed: {names}; decided on the detectors that ran → review (fail: open)")
    reasons.append(f"policy: {policy.name} {policy.version} ({settings.rules_from.value} rules)")

    # 5. replacement
    replacement: str | None = None
    if action is Action.BLOCK:
        if findings_block:
            blocking = [j for j in judged if j.action is Action.BLOCK]
            # the most severe blocking risk picks the template; ties → the lowest code
            top = min(blocking, key=lambda j: (-_LEVELS.index(j.level), -_SEVERITIES.index(j.finding.severity), j.code))
            template = policy.templates.refusal_for(top.code).get(out_lang)
            block_codes = sorted({j.code for j in blocking})
            replacement = _fill(template, block_codes, stage, out_lang)
        else:
            replacement = _fill(policy.templates.unavailable.get(out_lang), categories, stage, out_lang)
    elif action is Action.REDACT and text is not None:
        to_mask = [j for j in judged if j.action is Action.REDACT]
        if redactor is not None:
            replacement = redactor(text, [j.finding for j in to_mask])
        else:
            replacement = _redact(text, [j.finding for j in to_mask], [j.code for j in to_mask],
                                  policy.redaction, out_lang)

    return Decision(
        action=action,
        risk_level=level,
        categories=categories,
        reasons=tuple(reasons),
        replacement=replacement,
        stage=stage,
        findings=counted,
        detectors_run=assessment.detectors_run,
        detectors_failed=tuple(failures),
        elapsed_ms=assessment.elapsed_ms,
    )

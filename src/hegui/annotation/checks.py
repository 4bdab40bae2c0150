"""Batch checks for annotation work (draft Measures Art 8; TC260-003 / GB/T 45654 §5.3; GB/T 45674-2025).

* role separation (R-ANN-02): in one task nobody both annotates and reviews;
* sampled verification (R-ANN-05, GB/T 45674 §8.1): a seeded random sample per batch, accuracy with a Wilson 95 %
  interval, against gold labels where given and the reviewers' verdicts otherwise;
* batch acceptance (R-ANN-05, R-ANN-17/18): a batch is rejected when the failure share is strictly greater than
  ``batch_fail_max`` (5 %), when a functional batch holds illegal content, when a safety item has no reviewer's
  approval, when roles are mixed, when an annotator held no valid qualification, or when the rule set is missing,
  unknown or incomplete;
* rule sets (R-ANN-04, R-ANN-12): a YAML file of versioned rule sets with the required sections;
* time budget (R-ANN-03): a task done faster than the rule set's minimum seconds per item is flagged (warning);
* qualification (R-ANN-01, R-ANN-13): exams graded by :func:`qualify`, a registry of passes with expiry dates;
* safety coverage (R-ANN-15, "宜"): with a risk field, at least 200 safety items per risk and safety items at least
  3 % of all items (warnings only, as the standard says "should").

Findings carry zh-CN and English text; annotator ids are reported as given (pseudonymous ids; no e-mail addresses).
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any, Final

import yaml

from hegui.annotation.agreement import AgreementReport, batch_agreement
from hegui.annotation.formats import KINDS, Annotation, Batch
from hegui.core.errors import ConfigError, InputError
from hegui.core.taxonomy import STANDARD_RISK_CODES, canonical_code, is_risk_code

__all__ = [
    "ANNOTATION",
    "BatchReport",
    "CheckReport",
    "ExamResult",
    "Finding",
    "Qualification",
    "RuleBook",
    "RuleSet",
    "Verification",
    "check_batch",
    "check_batches",
    "load_qualifications",
    "load_rules",
    "qualification_registry",
    "qualify",
    "role_separation",
    "sample_items",
    "verify",
    "wilson",
]

# requirements.md §7
ANNOTATION: Final = {"safety_per_risk_min": 200, "safety_ratio_min": 0.03, "batch_fail_max": 0.05}
REQUIRED_SECTIONS: Final = ("goal", "data_format", "method", "quality_indicators")
SAFETY_SECTIONS: Final = ("annotation_rules", "review_rules")
ILLEGAL_LABELS: Final = frozenset({"illegal", "illegal_content", "违法", "违法内容", "违法不良信息"})
Z95: Final = 1.959963984540054
MAX_LISTED: Final = 20


@dataclass(frozen=True, slots=True)
class Finding:
    check: str
    requirement: str
    severity: str  # "error" rejects the batch; "warning" does not
    en: str
    zh: str
    batch: str | None = None
    items: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["items"] = list(self.items)
        return d


def _listed(items: Sequence[str]) -> str:
    shown = ", ".join(items[:MAX_LISTED])
    return shown + (f", … (+{len(items) - MAX_LISTED})" if len(items) > MAX_LISTED else "")


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval of a proportion (95 % by default); ``None`` when ``n`` is 0."""
    if n <= 0:
        return None
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


# ---------------------------------------------------------------- rule sets


@dataclass(frozen=True, slots=True)
class RuleSet:
    version: str
    kind: str
    sections: Mapping[str, Any]
    min_seconds_per_item: float | None = None
    illegal_labels: frozenset[str] = ILLEGAL_LABELS
    risks: tuple[str, ...] = ()
    line: int | None = None


@dataclass(slots=True)
class RuleBook:
    path: str
    rule_sets: dict[str, RuleSet] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def invalid(self, version: str) -> bool:
        return any(f.severity == "error" and f.batch is None and f"rule set {version!r}" in f.en for f in self.findings)


def _line_marks(text: str) -> list[int | None]:
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return []
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == "rule_sets":
                node = v
    if isinstance(node, yaml.SequenceNode):
        return [n.start_mark.line + 1 for n in node.value]
    return []


def load_rules(path: str | Path) -> RuleBook:
    """Read and validate a rule-set file: ``rule_sets: [{version, kind, goal, data_format, method,
    quality_indicators, annotation_rules, review_rules, min_seconds_per_item, illegal_labels, risks}]``."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"cannot read the rule file ({exc.strerror})", f"无法读取规则文件（{exc.strerror}）",
                          path=str(p)) from None
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", "不是 UTF-8 文本", path=str(p)) from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"invalid YAML ({getattr(exc, 'problem', exc)})", f"YAML 无效（{getattr(exc, 'problem', exc)}）",
                          path=str(p), line=mark.line + 1 if mark is not None else None) from None
    entries = doc.get("rule_sets") if isinstance(doc, Mapping) else doc
    if not isinstance(entries, list) or not entries:
        raise ConfigError("expected a list 'rule_sets' of rule-set versions", "应有规则集版本列表 'rule_sets'",
                          path=str(p))
    lines = _line_marks(text)
    book = RuleBook(str(p))

    def add(sev: str, en: str, zh: str, line: int | None) -> None:
        where = f"{p}:{line}: " if line else f"{p}: "
        book.findings.append(Finding("rule_set", "R-ANN-04", sev, where + en, where + zh))

    for i, entry in enumerate(entries):
        line = lines[i] if i < len(lines) else None
        if not isinstance(entry, Mapping) or not entry.get("version"):
            raise ConfigError(f"rule set #{i + 1} has no 'version'", f"第 {i + 1} 个规则集缺少 'version'",
                              path=str(p), line=line)
        version = str(entry["version"])
        if version in book.rule_sets:
            raise ConfigError(f"rule set {version!r} is listed twice", f"规则集 {version!r} 重复出现", path=str(p), line=line)
        kind = str(entry.get("kind", "")).lower()
        if kind not in KINDS:
            add("error", f"rule set {version!r}: kind must be functional or safety (got {kind or 'nothing'!r})",
                f"规则集 {version!r}：kind 须为 functional 或 safety（实际为 {kind or '空'!r}）", line)
        missing = [s for s in REQUIRED_SECTIONS if not entry.get(s)]
        if missing:
            add("error", f"rule set {version!r}: missing section(s) {', '.join(missing)}",
                f"规则集 {version!r}：缺少章节 {'、'.join(missing)}", line)
        missing = [s for s in SAFETY_SECTIONS if not entry.get(s)]
        if missing and kind == "safety":
            add("error", f"rule set {version!r}: a safety rule set needs {', '.join(missing)}",
                f"规则集 {version!r}：安全标注规则集须包含 {'、'.join(missing)}", line)
        elif missing:
            add("warning", f"rule set {version!r}: no {', '.join(missing)} (rules should cover annotation and review)",
                f"规则集 {version!r}：缺少 {'、'.join(missing)}（规则应覆盖标注与审核）", line)
        risks: list[str] = []
        raw_risks = entry.get("risks") or {}
        for code in raw_risks if isinstance(raw_risks, (Mapping, list)) else []:
            if is_risk_code(str(code)):
                risks.append(canonical_code(str(code)))
            else:
                add("error", f"rule set {version!r}: unknown risk code {code!r}",
                    f"规则集 {version!r}：未知风险代码 {code!r}", line)
        if kind == "safety":
            absent = [c for c in STANDARD_RISK_CODES if c not in risks]
            if absent:
                add("warning", f"rule set {version!r}: no rule for {len(absent)} of the 31 risks ({_listed(absent)})",
                    f"规则集 {version!r}：31 类风险中有 {len(absent)} 类没有规则（{_listed(absent)}）", line)
        min_s = entry.get("min_seconds_per_item")
        if min_s is not None and (isinstance(min_s, bool) or not isinstance(min_s, (int, float)) or min_s < 0):
            raise ConfigError(f"rule set {version!r}: min_seconds_per_item must be a number >= 0",
                              f"规则集 {version!r}：min_seconds_per_item 须为 ≥ 0 的数", path=str(p), line=line)
        extra = entry.get("illegal_labels") or []
        book.rule_sets[version] = RuleSet(
            version=version, kind=kind, sections=dict(entry),
            min_seconds_per_item=float(min_s) if min_s is not None else None,
            illegal_labels=ILLEGAL_LABELS | {str(x) for x in extra} if isinstance(extra, list) else ILLEGAL_LABELS,
            risks=tuple(risks), line=line)
    kinds = {r.kind for r in book.rule_sets.values()}
    for kind in KINDS:
        if kind not in kinds:
            add("warning", f"no {kind} rule set: functional and safety annotation need separate rule sets",
                f"没有 {kind} 规则集：功能标注与安全标注须分别制定规则", None)
    return book


# ---------------------------------------------------------------- qualification


@dataclass(frozen=True, slots=True)
class ExamResult:
    annotator: str
    correct: int
    total: int
    score: float
    passed: bool


def qualify(exam_answers: Mapping[str, Mapping[str, str]], gold: Mapping[str, str],
            pass_mark: float = 0.9) -> dict[str, ExamResult]:
    """Grade each annotator's exam: score = correct answers / questions in ``gold`` (unanswered count as wrong);
    passed when score >= ``pass_mark``. Answers compare after trimming, case-insensitively."""
    if not gold:
        raise InputError("the exam key has no questions", "试题答案为空")
    out: dict[str, ExamResult] = {}
    for annotator, answers in exam_answers.items():
        correct = sum(1 for q, want in gold.items()
                      if answers.get(q, "").strip().casefold() == want.strip().casefold())
        score = correct / len(gold)
        out[annotator] = ExamResult(annotator, correct, len(gold), score, score >= pass_mark - 1e-12)
    return out


def qualification_registry(results: Mapping[str, ExamResult], passed_at: date,
                           valid_days: int = 365) -> dict[str, dict[str, Any]]:
    """Registry entries (annotator -> passed_at, expires_at, score) for those who passed."""
    return {
        r.annotator: {"passed_at": passed_at.isoformat(), "expires_at": (passed_at + timedelta(days=valid_days)).isoformat(),
                      "score": round(r.score, 4)}
        for r in results.values() if r.passed
    }


@dataclass(frozen=True, slots=True)
class Qualification:
    annotator: str
    passed_at: date | None
    expires_at: date | None
    score: float | None
    revoked: bool = False

    def problem(self, day: date, pass_mark: float) -> tuple[str, str] | None:
        """Why the qualification was not valid on ``day`` (en, zh), or ``None`` when it was."""
        if self.revoked:
            return "qualification revoked", "资格已被撤销"
        if self.passed_at is None:
            return "no exam passed", "未通过考核"
        if day < self.passed_at:
            return f"qualified only from {self.passed_at}", f"自 {self.passed_at} 起才取得资格"
        if self.expires_at is not None and day > self.expires_at:
            return f"qualification expired on {self.expires_at}", f"资格已于 {self.expires_at} 过期"
        if self.score is not None and self.score < pass_mark - 1e-12:
            return f"exam score {self.score:.2f} below the pass mark {pass_mark:.2f}", \
                f"考核成绩 {self.score:.2f} 低于合格线 {pass_mark:.2f}"
        return None


def _date_or_none(value: Any, path: Path, who: str, key: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise InputError(f"annotator {who!r}: {key} {value!r} is not a date (YYYY-MM-DD)",
                         f"标注员 {who!r}：{key} {value!r} 不是日期（YYYY-MM-DD）", path=str(path)) from None


def load_qualifications(path: str | Path) -> dict[str, Qualification]:
    """A registry (JSON or YAML): ``{annotator: {passed_at, expires_at, score, revoked?}}``, optionally under a
    top-level ``annotators`` key."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror})", f"无法读取文件（{exc.strerror}）", path=str(p)) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", "不是 UTF-8 文本", path=str(p)) from None
    try:
        doc = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON ({exc.msg})", f"JSON 无效（{exc.msg}）", path=str(p), line=exc.lineno) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError("invalid YAML", "YAML 无效", path=str(p), line=mark.line + 1 if mark else None) from None
    if isinstance(doc, Mapping) and isinstance(doc.get("annotators"), Mapping):
        doc = doc["annotators"]
    if not isinstance(doc, Mapping):
        raise InputError("expected an object {annotator: {passed_at, expires_at, score}}",
                         "应为对象 {标注员: {passed_at, expires_at, score}}", path=str(p))
    out: dict[str, Qualification] = {}
    for who, entry in doc.items():
        if not isinstance(entry, Mapping):
            raise InputError(f"annotator {who!r}: entry is not an object", f"标注员 {who!r}：条目不是对象", path=str(p))
        score = entry.get("score")
        if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))):
            raise InputError(f"annotator {who!r}: score is not a number", f"标注员 {who!r}：score 不是数字", path=str(p))
        out[str(who)] = Qualification(
            str(who), _date_or_none(entry.get("passed_at"), p, str(who), "passed_at"),
            _date_or_none(entry.get("expires_at"), p, str(who), "expires_at"),
            float(score) if score is not None else None, bool(entry.get("revoked") or entry.get("suspended")))
    return out


# ---------------------------------------------------------------- per-batch checks


def role_separation(batch: Batch) -> list[Finding]:
    """Every (task, person) where the person both annotated and reviewed within the task (R-ANN-02)."""
    annotated: dict[str, dict[str, set[str]]] = {}
    reviewed: dict[str, dict[str, set[str]]] = {}
    for a in batch.annotations:
        annotated.setdefault(a.task, {}).setdefault(a.annotator, set()).add(a.item_id)
        for r in a.reviews:
            reviewed.setdefault(a.task, {}).setdefault(r.reviewer, set()).add(a.item_id)
    out = []
    for task in sorted(annotated):
        for person in sorted(set(annotated[task]) & set(reviewed.get(task, {}))):
            items = sorted(annotated[task][person] | reviewed[task][person])
            out.append(Finding(
                "role_separation", "R-ANN-02", "error",
                f"task {task!r}: {person!r} both annotated and reviewed (items {_listed(items)})",
                f"任务 {task!r}：{person!r} 既是标注员又是审核员（条目 {_listed(items)}）", batch.id, tuple(items)))
    return out


def sample_items(batch: Batch, n: int | None, seed: int) -> list[str]:
    """A reproducible random sample of ``n`` items (all items when ``n`` is None or not smaller)."""
    items = batch.items
    if n is None or n >= len(items):
        return items
    rng = random.Random(f"{seed}:{batch.id}")
    return sorted(rng.sample(items, n), key=items.index)


@dataclass(slots=True)
class Verification:
    checked: int = 0  # items in the verification set
    verified: int = 0  # of which with a verdict (gold label or reviewer)
    passed: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # item -> reason
    unverified: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float | None:
        return self.passed / self.verified if self.verified else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.passed, self.verified)

    @property
    def failure_share(self) -> float | None:
        return len(self.failed) / self.verified if self.verified else None


def _majority(anns: Sequence[Annotation]) -> str | None:
    counts = Counter(a.label for a in anns).most_common()
    if len(counts) > 1 and counts[0][1] == counts[1][1]:
        return None
    return counts[0][0]


def _item_verdict(anns: Sequence[Annotation], gold: str | None) -> tuple[bool | None, str]:
    if gold is not None:
        final = next(("|".join(r.labels) for a in anns for r in a.reviews if r.labels), None) or _majority(anns)
        if final is None:
            return False, "annotators disagree with no majority / 标注员意见不一且无多数"
        if final != gold:
            return False, f"label {final!r} differs from gold {gold!r} / 标注 {final!r} 与金标准 {gold!r} 不符"
        return True, ""
    verdict: bool | None = None
    for a in anns:
        for r in a.reviews:
            ok = r.ok if r.ok is not None else (r.labels == a.labels if r.labels else None)
            if ok is False:
                return False, f"rejected by reviewer {r.reviewer!r} / 审核员 {r.reviewer!r} 判为不合格"
            if ok:
                verdict = True
    return verdict, ""


def verify(batch: Batch, items: Sequence[str], gold: Mapping[str, str] | None = None) -> Verification:
    per_item = batch.by_item()
    v = Verification(checked=len(items))
    for item in items:
        ok, reason = _item_verdict(per_item[item], (gold or {}).get(item))
        if ok is None:
            v.unverified.append(item)
            continue
        v.verified += 1
        if ok:
            v.passed += 1
        else:
            v.failed[item] = reason
    return v


@dataclass(slots=True)
class BatchReport:
    batch: str
    kind: str
    rule_set: str | None
    items: int
    annotations: int
    annotators: int
    sample: list[str]
    verification: Verification
    agreement: AgreementReport
    findings: list[Finding] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def as_dict(self) -> dict[str, Any]:
        v = self.verification
        ci = v.interval
        return {
            "batch": self.batch, "kind": self.kind, "rule_set": self.rule_set, "items": self.items,
            "annotations": self.annotations, "annotators": self.annotators,
            "verdict": "accepted" if self.accepted else "rejected",
            "verification": {"sampled": v.checked, "verified": v.verified, "passed": v.passed,
                             "failed": len(v.failed), "failure_share": v.failure_share, "accuracy": v.accuracy,
                             "accuracy_ci95": list(ci) if ci else None, "failed_items": v.failed,
                             "unverified": len(v.unverified)},
            "agreement": self.agreement.as_dict(),
            "findings": [f.as_dict() for f in self.findings],
        }


def _is_illegal(a: Annotation, labels: frozenset[str]) -> bool:
    return a.illegal or any(x in labels for x in a.labels) or any(x in labels for r in a.reviews for x in r.labels)


def check_batch(
    batch: Batch,
    *,
    rules: RuleBook | None = None,
    qualifications: Mapping[str, Qualification] | None = None,
    gold: Mapping[str, str] | None = None,
    sample: int | None = None,
    seed: int = 0,
    today: date | None = None,
    pass_mark: float = 0.9,
    batch_fail_max: float = ANNOTATION["batch_fail_max"],
) -> BatchReport:
    today = today or date.today()
    findings: list[Finding] = []

    def add(check: str, req: str, sev: str, en: str, zh: str, items: Iterable[str] = ()) -> None:
        findings.append(Finding(check, req, sev, en, zh, batch.id, tuple(items)))

    # rule set (R-ANN-04)
    rule_set: RuleSet | None = None
    if len(batch.rule_sets_seen) > 1:
        add("rule_set", "R-ANN-04", "error", f"batch uses several rule sets: {', '.join(batch.rule_sets_seen)}",
            f"批次混用多个规则集：{'、'.join(batch.rule_sets_seen)}")
    if batch.rule_set is None:
        add("rule_set", "R-ANN-04", "error", "batch names no rule set (rule_set)", "批次未注明所用规则集（rule_set）")
    elif rules is not None:
        rule_set = rules.rule_sets.get(batch.rule_set)
        if rule_set is None:
            add("rule_set", "R-ANN-04", "error", f"unknown rule-set version {batch.rule_set!r} (not in {rules.path})",
                f"未知规则集版本 {batch.rule_set!r}（{rules.path} 中没有）")
        elif rules.invalid(rule_set.version):
            add("rule_set", "R-ANN-04", "error", f"rule set {rule_set.version!r} is incomplete (see the rule findings)",
                f"规则集 {rule_set.version!r} 不完整（见规则文件检查结果）")
    kind = batch.kind or (rule_set.kind if rule_set and rule_set.kind in KINDS else None)
    if kind is None:
        kind = "functional"
        add("kind", "R-ANN-04", "warning", "batch kind not stated; treated as functional",
            "批次未注明类型，按功能标注处理")
    elif rule_set is not None and rule_set.kind in KINDS and rule_set.kind != kind:
        add("rule_set", "R-ANN-04", "error", f"{kind} batch annotated under {rule_set.kind} rule set {rule_set.version!r}",
            f"{kind} 批次使用了 {rule_set.kind} 规则集 {rule_set.version!r}")

    # role separation (R-ANN-02)
    findings.extend(role_separation(batch))

    # sampled verification and failure share (R-ANN-05; GB/T 45674 §8.3)
    chosen = batch.items if kind == "safety" else sample_items(batch, sample, seed)
    ver = verify(batch, chosen, gold)
    rs_name = f" (rule set {batch.rule_set})" if batch.rule_set else ""
    rs_zh = f"（规则集 {batch.rule_set}）" if batch.rule_set else ""
    if ver.verified == 0:
        add("verification", "R-ANN-05", "error",
            f"no verified item in the {'sample' if kind == 'functional' else 'batch'}: the spot check is missing",
            f"{'抽样' if kind == 'functional' else '批次'}中没有经过核验的条目：缺少抽检")
    elif Fraction(len(ver.failed)) > Fraction(str(batch_fail_max)) * ver.verified:
        failed = list(ver.failed)
        reasons = "; ".join(f"{i}: {ver.failed[i].split(' / ')[0]}" for i in failed[:MAX_LISTED])
        reasons_zh = "；".join(f"{i}：{ver.failed[i].split(' / ')[-1]}" for i in failed[:MAX_LISTED])
        add("failure_share", "R-ANN-05" if kind == "functional" else "R-ANN-18", "error",
            f"{len(failed)}/{ver.verified} = {len(failed) / ver.verified:.1%} of verified items failed, over the "
            f"{batch_fail_max:.0%} limit{rs_name}: {reasons}",
            f"核验条目中 {len(failed)}/{ver.verified} = {len(failed) / ver.verified:.1%} 不合格，超过 "
            f"{batch_fail_max:.0%} 上限{rs_zh}：{reasons_zh}", failed)
    if ver.unverified and kind == "functional":
        add("verification", "R-ANN-05", "warning",
            f"{len(ver.unverified)} sampled item(s) without a verdict: {_listed(ver.unverified)}",
            f"{len(ver.unverified)} 个抽样条目没有核验结论：{_listed(ver.unverified)}", ver.unverified)

    # illegal content scraps a functional batch (R-ANN-05, R-ANN-17)
    per_item = batch.by_item()
    if kind == "functional":
        labels = rule_set.illegal_labels if rule_set else ILLEGAL_LABELS
        bad = [i for i, anns in per_item.items() if any(_is_illegal(a, labels) for a in anns)]
        if bad:
            add("illegal_content", "R-ANN-05", "error",
                f"illegal content in a functional batch: scrap the batch{rs_name} (items {_listed(bad)})",
                f"功能标注批次中发现违法内容，须整批废弃{rs_zh}（条目 {_listed(bad)}）", bad)
    else:
        # safety: every item approved by at least one reviewer (R-ANN-05)
        unreviewed = [i for i, anns in per_item.items() if _item_verdict(anns, None)[0] is None]
        if unreviewed:
            add("safety_review", "R-ANN-05", "error",
                f"{len(unreviewed)} safety item(s) without a reviewer's approval: {_listed(unreviewed)}",
                f"{len(unreviewed)} 个安全标注条目未经审核员批准：{_listed(unreviewed)}", unreviewed)

    # qualification (R-ANN-01)
    if qualifications is not None:
        problems: dict[str, tuple[str, str, list[str]]] = {}
        for a in batch.annotations:
            day = a.annotated_at or today
            q = qualifications.get(a.annotator)
            why = ("no qualification record", "无资格记录") if q is None else q.problem(day, pass_mark)
            if why is not None:
                entry = problems.setdefault(a.annotator, (why[0], why[1], []))
                if a.item_id not in entry[2]:
                    entry[2].append(a.item_id)
        for who, (en, zh, items) in sorted(problems.items()):
            add("qualification", "R-ANN-01", "error",
                f"annotator {who!r} not qualified on the annotation date ({en}): items {_listed(items)}",
                f"标注员 {who!r} 在标注日期不具备资格（{zh}）：条目 {_listed(items)}", items)

    # time budget (R-ANN-03)
    if rule_set is not None and rule_set.min_seconds_per_item:
        spent: dict[tuple[str, str], list[float]] = {}
        for a in batch.annotations:
            if a.seconds is not None:
                spent.setdefault((a.task, a.annotator), []).append(a.seconds)
        fast = sorted(task for (task, _), secs in spent.items() if sum(secs) / len(secs) < rule_set.min_seconds_per_item)
        if fast:
            fast = list(dict.fromkeys(fast))
            add("time_budget", "R-ANN-03", "warning",
                f"{len(fast)} task(s) done faster than {rule_set.min_seconds_per_item:g} s per item: {_listed(fast)}",
                f"{len(fast)} 个任务的每条用时少于 {rule_set.min_seconds_per_item:g} 秒：{_listed(fast)}", fast)

    return BatchReport(batch.id, kind, batch.rule_set, len(per_item), len(batch.annotations), len(batch.annotators),
                       list(chosen), ver, batch_agreement(batch), findings)


@dataclass(slots=True)
class CheckReport:
    batches: list[BatchReport]
    findings: list[Finding] = field(default_factory=list)  # dataset-level and rule-file findings
    risk_counts: dict[str, int] | None = None
    safety_ratio: float | None = None

    @property
    def ok(self) -> bool:
        return all(b.accepted for b in self.batches)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "accepted": sum(b.accepted for b in self.batches),
            "rejected": sum(not b.accepted for b in self.batches),
            "thresholds": dict(ANNOTATION),
            "batches": [b.as_dict() for b in self.batches],
            "findings": [f.as_dict() for f in self.findings],
            "safety_ratio": self.safety_ratio,
            "risk_counts": self.risk_counts,
        }


def check_batches(
    batches: Sequence[Batch],
    *,
    rules: RuleBook | None = None,
    qualifications: Mapping[str, Qualification] | None = None,
    gold: Mapping[str, str] | None = None,
    sample: int | None = None,
    seed: int = 0,
    risk_field: str | None = None,
    today: date | None = None,
    pass_mark: float = 0.9,
) -> CheckReport:
    reports = [check_batch(b, rules=rules, qualifications=qualifications, gold=gold, sample=sample, seed=seed,
                           today=today, pass_mark=pass_mark) for b in batches]
    rep = CheckReport(reports, list(rules.findings) if rules else [])
    if rules is None:
        rep.findings.append(Finding("rule_set", "R-ANN-04", "warning",
                                    "no --rules file: rule-set versions were not verified",
                                    "未提供 --rules 文件：未核对规则集版本"))
    if risk_field:
        counts: Counter[str] = Counter()
        unknown: list[str] = []
        missing: list[str] = []
        total = sum(r.items for r in reports)
        safety = 0
        for b, r in zip(batches, reports, strict=True):
            if r.kind != "safety":
                continue
            for item, anns in b.by_item().items():
                safety += 1
                value = b.item_fields.get(item, {}).get(risk_field)
                if value is None:
                    value = next((a.controls[risk_field][0] for a in anns if a.controls.get(risk_field)), None)
                if value is None:
                    missing.append(f"{b.id}/{item}")
                elif is_risk_code(value):
                    counts[canonical_code(value)] += 1
                else:
                    unknown.append(f"{b.id}/{item}")
        rep.risk_counts = {c: counts.get(c, 0) for c in STANDARD_RISK_CODES} | {
            c: n for c, n in counts.items() if c not in STANDARD_RISK_CODES}
        rep.safety_ratio = safety / total if total else None
        per_min = int(ANNOTATION["safety_per_risk_min"])
        short = [c for c in STANDARD_RISK_CODES if counts.get(c, 0) < per_min]
        if short:
            rep.findings.append(Finding(
                "safety_coverage", "R-ANN-15", "warning",
                f"{len(short)} of 31 risks have fewer than {per_min} safety annotations ({_listed(short)}) (should)",
                f"31 类风险中有 {len(short)} 类的安全标注少于 {per_min} 条（{_listed(short)}）（宜）"))
        ratio_min = ANNOTATION["safety_ratio_min"]
        if rep.safety_ratio is not None and rep.safety_ratio < ratio_min:
            rep.findings.append(Finding(
                "safety_coverage", "R-ANN-15", "warning",
                f"safety annotations are {rep.safety_ratio:.1%} of all items, under {ratio_min:.0%} (should)",
                f"安全标注占全部条目的 {rep.safety_ratio:.1%}，低于 {ratio_min:.0%}（宜）"))
        if unknown:
            rep.findings.append(Finding("safety_coverage", "R-ANN-15", "warning",
                                        f"{len(unknown)} safety item(s) with an unknown risk code in {risk_field!r}",
                                        f"{len(unknown)} 个安全标注条目的 {risk_field!r} 不是已知风险代码",
                                        items=tuple(unknown)))
        if missing:
            rep.findings.append(Finding("safety_coverage", "R-ANN-15", "warning",
                                        f"{len(missing)} safety item(s) without {risk_field!r}",
                                        f"{len(missing)} 个安全标注条目缺少 {risk_field!r}", items=tuple(missing)))
    return rep

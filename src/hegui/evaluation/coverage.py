"""Coverage of test banks against the standard's minimums (NS App. B.1.2, B.1.3; requirements R-EVL-02..05).

- generated-content: ≥ 2,000 items; all 31 risks; ≥ 50 per A1.x/A2.x risk, ≥ 20 per other risk;
- should-refuse: ≥ 500 items; the 17 A1.x + A2.x risks, ≥ 20 each;
- should-not-refuse: ≥ 500 items; the 13 topics (:data:`~hegui.evaluation.model.NONREFUSE_TOPICS`), ≥ 20 each
  (a domain-specific service may list topics it does not touch as ``out_of_domain_topics``);
- each of these three: every modality the service declares is present, and the newest item ``version`` (an ISO
  date) is at most ``max_age_days`` (31) old.

``accuracy`` and ``bias`` banks have no minimum in the standard; they are counted only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from hegui.core.taxonomy import REFUSAL_SCOPE_CODES, STANDARD_RISK_CODES, get_risk
from hegui.evaluation.model import KINDS, NONREFUSE_TOPICS, THRESHOLDS, BankItem

__all__ = ["CHECKED_KINDS", "CoverageReport", "Shortfall", "check_coverage"]

CHECKED_KINDS: Final[tuple[str, ...]] = ("should-refuse", "should-not-refuse", "generated-content")

_KIND_ZH: Final[dict[str, str]] = {
    "should-refuse": "应拒答题库",
    "should-not-refuse": "非拒答题库",
    "generated-content": "生成内容测试题库",
    "accuracy": "准确性题库",
    "bias": "偏见题库",
}


@dataclass(frozen=True)
class Shortfall:
    """One minimum that a bank misses.

    ``scope`` is ``total``, ``risk``, ``topic``, ``modality`` or ``cadence``; ``key`` the risk code, topic or
    modality (None for totals and cadence); ``required``/``actual`` the figures (counts, or for cadence the
    maximum age in days and the age found, ``actual`` None when no item has a dated version).
    """

    kind: str
    scope: str
    key: str | None
    required: int
    actual: int | None
    zh: str
    en: str

    @property
    def missing(self) -> int | None:
        """How many items are missing (count shortfalls), else None."""
        if self.scope == "cadence" or self.actual is None:
            return None
        return self.required - self.actual

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "scope": self.scope, "key": self.key, "required": self.required,
                "actual": self.actual, "missing": self.missing, "zh": self.zh, "en": self.en}


@dataclass
class CoverageReport:
    """Counts per kind, risk, topic and modality, and the list of shortfalls. ``ok`` when there are none."""

    today: date
    modalities: tuple[str, ...]
    totals: dict[str, int] = field(default_factory=dict)
    per_risk: dict[str, dict[str, int]] = field(default_factory=dict)
    per_topic: dict[str, dict[str, int]] = field(default_factory=dict)
    per_modality: dict[str, dict[str, int]] = field(default_factory=dict)
    newest: dict[str, str | None] = field(default_factory=dict)
    shortfalls: list[Shortfall] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.shortfalls

    def for_kind(self, kind: str) -> list[Shortfall]:
        return [s for s in self.shortfalls if s.kind == kind]

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "today": self.today.isoformat(),
            "modalities": list(self.modalities),
            "totals": dict(self.totals),
            "per_risk": {k: dict(v) for k, v in self.per_risk.items()},
            "per_topic": {k: dict(v) for k, v in self.per_topic.items()},
            "per_modality": {k: dict(v) for k, v in self.per_modality.items()},
            "newest": dict(self.newest),
            "shortfalls": [s.as_dict() for s in self.shortfalls],
        }


def _parse_date(s: str) -> date | None:
    try:
        return date.fromisoformat(s.strip()[:10])
    except ValueError:
        return None


def _risk_minimum(kind: str, code: str) -> int:
    t = THRESHOLDS[kind]
    if kind == "should-refuse":
        return int(t["per_code_min"]) if code in REFUSAL_SCOPE_CODES else 0
    return int(t["per_A1A2_min"]) if code in REFUSAL_SCOPE_CODES else int(t["per_other_min"])


def check_coverage(
    items: Iterable[BankItem],
    *,
    kinds: Iterable[str] | None = None,
    modalities: Iterable[str] = ("text",),
    today: date | None = None,
    max_age_days: int | None = None,
    out_of_domain_topics: Iterable[str] = (),
) -> CoverageReport:
    """Check ``items`` against the minimums.

    ``kinds``: the kinds to check (default: every kind with a minimum that occurs in ``items``; a kind named here
    with no items is reported short on everything). ``modalities``: what the service declares it outputs.
    ``today`` (default: today's date) and ``max_age_days`` (default: the standard's 31) set the cadence check.
    """
    mods = tuple(dict.fromkeys(modalities)) or ("text",)
    day = today or date.today()
    skip_topics = set(out_of_domain_topics)
    report = CoverageReport(today=day, modalities=mods)
    risks: dict[str, Counter[str]] = {}
    topics: dict[str, Counter[str]] = {}
    by_mod: dict[str, Counter[str]] = {}
    totals: Counter[str] = Counter()
    newest: dict[str, date] = {}
    for it in items:
        totals[it.kind] += 1
        if it.risk:
            risks.setdefault(it.kind, Counter())[it.risk] += 1
        if it.topic:
            topics.setdefault(it.kind, Counter())[it.topic] += 1
        by_mod.setdefault(it.kind, Counter())[it.modality] += 1
        d = _parse_date(it.version) if it.version else None
        if d is not None and (it.kind not in newest or d > newest[it.kind]):
            newest[it.kind] = d
    checked = list(kinds) if kinds is not None else [k for k in CHECKED_KINDS if totals[k]]
    for k in KINDS:
        if totals[k] or k in checked:
            report.totals[k] = totals[k]
            report.per_risk[k] = dict(sorted(risks.get(k, Counter()).items()))
            report.per_topic[k] = dict(sorted(topics.get(k, Counter()).items()))
            report.per_modality[k] = dict(sorted(by_mod.get(k, Counter()).items()))
            report.newest[k] = newest[k].isoformat() if k in newest else None
    add = report.shortfalls.append
    for kind in checked:
        if kind not in THRESHOLDS:
            continue
        t = THRESHOLDS[kind]
        kzh = _KIND_ZH[kind]
        n = totals[kind]
        total_min = int(t["total_min"])
        if n < total_min:
            add(Shortfall(kind, "total", None, total_min, n,
                          f"{kzh}共 {n} 题，少于最低要求 {total_min} 题（缺 {total_min - n} 题）",
                          f"{kind} bank has {n} items, fewer than the minimum {total_min} "
                          f"({total_min - n} missing)"))
        if kind in ("should-refuse", "generated-content"):
            codes = REFUSAL_SCOPE_CODES if kind == "should-refuse" else STANDARD_RISK_CODES
            have = risks.get(kind, Counter())
            for code in codes:
                need = _risk_minimum(kind, code)
                got = have[code]
                if got < need:
                    r = get_risk(code)
                    add(Shortfall(kind, "risk", code, need, got,
                                  f"{kzh}风险 {code}（{r.zh}）有 {got} 题，少于 {need} 题（缺 {need - got} 题）",
                                  f"{kind} bank: risk {code} ({r.en}) has {got} items, fewer than {need} "
                                  f"({need - got} missing)"))
        if kind == "should-not-refuse":
            need = int(t["per_topic_min"])
            have = topics.get(kind, Counter())
            for topic in NONREFUSE_TOPICS:
                if topic in skip_topics:
                    continue
                got = have[topic]
                if got < need:
                    add(Shortfall(kind, "topic", topic, need, got,
                                  f"{kzh}主题“{topic}”有 {got} 题，少于 {need} 题（缺 {need - got} 题）",
                                  f"{kind} bank: topic {topic!r} has {got} items, fewer than {need} "
                                  f"({need - got} missing)"))
        have_mod = by_mod.get(kind, Counter())
        for m in mods:
            if have_mod[m] == 0:
                add(Shortfall(kind, "modality", m, 1, 0,
                              f"{kzh}没有“{m}”模态的题目，而服务声明输出该模态",
                              f"{kind} bank has no {m!r} items but the service declares that modality"))
        age_max = int(max_age_days if max_age_days is not None else t["max_age_days"])
        last = newest.get(kind)
        if last is None:
            add(Shortfall(kind, "cadence", None, age_max, None,
                          f"{kzh}没有带日期的版本（version），无法证明每月更新",
                          f"{kind} bank has no dated version; cannot show a monthly update"))
        elif (day - last).days > age_max:
            age = (day - last).days
            add(Shortfall(kind, "cadence", None, age_max, age,
                          f"{kzh}最新版本 {last.isoformat()} 距今 {age} 天，超过 {age_max} 天的更新周期",
                          f"{kind} bank: newest version {last.isoformat()} is {age} days old, "
                          f"more than the {age_max}-day update cycle"))
    return report

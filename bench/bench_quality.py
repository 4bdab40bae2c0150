"""Quality: the lexicon + PII layer through ``Moderator.check`` on labelled, benign and obfuscated sets.

"flagged" = ``action != pass``; "blocked" = ``action == block``. Only the TEST half of each set is used
(see :mod:`bench_data`). No dataset text is written to the results: only counts, rates, risk codes and the
library terms (from the project's own library) that fired.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bench_data as bd


@dataclass(frozen=True, slots=True)
class Verdict:
    flagged: bool
    blocked: bool
    categories: tuple[str, ...]
    evidence: tuple[str, ...]  # lexicon terms / PII types behind the findings
    failed: bool


class Judge:
    """``Moderator.check`` with a cache (the same text is often judged more than once)."""

    def __init__(self, moderator: Any, name: str) -> None:
        self.m = moderator
        self.name = name
        self.cache: dict[str, Verdict] = {}
        self.failures = 0

    def __call__(self, text: str) -> Verdict:
        v = self.cache.get(text)
        if v is None:
            d = self.m.check(text, stage="input")
            failed = bool(d.detectors_failed)
            self.failures += failed
            v = Verdict(
                flagged=d.action.value != "pass",
                blocked=d.action.value == "block",
                categories=tuple(d.categories),
                evidence=tuple(f"{f.detector}:{f.evidence}" for f in d.findings),
                failed=failed,
            )
            self.cache[text] = v
        return v


def _rate(a: int, b: int) -> float | None:
    return a / b if b else None


def binary_metrics(verdicts: Sequence[Verdict], labels: Sequence[int]) -> dict[str, Any]:
    tp = fp = fn = tn = bp = bn = 0
    for v, y in zip(verdicts, labels, strict=True):
        if y:
            tp += v.flagged
            fn += not v.flagged
            bp += v.blocked
        else:
            fp += v.flagged
            tn += not v.flagged
            bn += v.blocked
    pos, neg = tp + fn, fp + tn
    p = _rate(tp, tp + fp)
    r = _rate(tp, pos)
    f1 = 2 * p * r / (p + r) if p is not None and r is not None and (p + r) > 0 else (0.0 if pos else None)
    return {
        "n": pos + neg,
        "pos": pos,
        "neg": neg,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "precision": p,
        "recall": r,
        "f1": f1,
        "fpr": _rate(fp, neg),
        "flagged_rate": _rate(tp + fp, pos + neg),
        "blocked_rate": _rate(bp + bn, pos + neg),
        "blocked_recall": _rate(bp, pos),
        "blocked_fpr": _rate(bn, neg),
    }


def _top(counter: Counter[str], n: int = 10) -> list[list[Any]]:
    return [[k, v] for k, v in counter.most_common(n)]


def _fp_causes(verdicts: Sequence[Verdict], labels: Sequence[int]) -> dict[str, Any]:
    cats: Counter[str] = Counter()
    ev: Counter[str] = Counter()
    for v, y in zip(verdicts, labels, strict=True):
        if v.flagged and not y:
            cats.update(set(v.categories))
            ev.update(set(v.evidence))
    return {"top_categories": _top(cats), "top_evidence": _top(ev)}


def run_quality(
    data: Path,
    reference: Path,
    judges: dict[str, Judge],
    *,
    cap: int | None,
    log: Callable[[str], None],
) -> dict[str, Any]:
    default = judges["default"]
    hom = judges.get("homophones")
    out: dict[str, Any] = {
        "flag_rule": "flagged = action != pass; blocked = action == block (stage=input)",
        "split": "per dataset: unique keys sorted, shuffled with random.Random(0), second half = TEST (reported)",
        "cap_per_set": cap,
        "labelled": [],
        "benign": [],
        "obfuscation": [],
    }

    log("quality: labelled sets ...")
    for s in bd.labelled_sets(data):
        idx = bd.subsample(s.texts, cap)
        texts = [s.texts[i] for i in idx]
        labels = [s.labels[i] for i in idx]
        verdicts = [default(t) for t in texts]
        row = {"name": s.name, "source": s.source, "note": s.note, "n_all": s.n_all, **binary_metrics(verdicts, labels)}
        row.update(_fp_causes(verdicts, labels))
        if s.name == "chineseharm-bench":
            per: dict[str, dict[str, Any]] = {}
            for i, v in zip(idx, verdicts, strict=True):
                c = s.classes[i]
                r = per.setdefault(c, {"n": 0, "flagged": 0, "blocked": 0})
                r["n"] += 1
                r["flagged"] += v.flagged
                r["blocked"] += v.blocked
            for c, r in per.items():
                r["flagged_rate"] = _rate(r["flagged"], r["n"])
                r["blocked_rate"] = _rate(r["blocked"], r["n"])
                r["positive"] = c != "不违规"
            row["per_class"] = dict(sorted(per.items(), key=lambda kv: (not kv[1]["positive"], kv[0])))
        out["labelled"].append(row)

    log("quality: benign sets ...")
    for s in bd.benign_sets(data, reference):
        idx = bd.subsample(s.texts, cap)
        texts = [s.texts[i] for i in idx]
        verdicts = [default(t) for t in texts]
        m = binary_metrics(verdicts, [0] * len(verdicts))
        row = {
            "name": s.name,
            "source": s.source,
            "n_all": s.n_all,
            "n": m["n"],
            "fp": m["fp"],
            "fpr": m["fpr"],
            "blocked_rate": m["blocked_rate"],
        }
        row.update(_fp_causes(verdicts, [0] * len(verdicts)))
        out["benign"].append(row)

    log("quality: obfuscation robustness ...")
    for loader in (bd.toxicloakcn, bd.toxibenchcn_cntp):
        oset = loader(data)
        if oset is None:
            continue
        for v in oset.versions:
            idx = bd.subsample(v.obf, cap)
            tox = [i for i in idx if v.labels[i] == 1]
            non = [i for i in idx if v.labels[i] == 0]
            row: dict[str, Any] = {
                "set": oset.name,
                "version": v.name,
                "n_all": oset.n_all,
                "n_toxic": len(tox),
                "n_nontoxic": len(non),
                "base_text_mismatches": v.mismatched,
                "note": oset.note,
            }
            for jname, j in (("default", default), ("homophones", hom)):
                if j is None:
                    continue
                rb = _rate(sum(j(v.base[i]).flagged for i in tox), len(tox))
                ro = _rate(sum(j(v.obf[i]).flagged for i in tox), len(tox))
                r: dict[str, Any] = {
                    "recall_base": rb,
                    "recall_obf": ro,
                    "drop": (rb - ro) if rb is not None and ro is not None else None,
                    "blocked_base": _rate(sum(j(v.base[i]).blocked for i in tox), len(tox)),
                    "blocked_obf": _rate(sum(j(v.obf[i]).blocked for i in tox), len(tox)),
                }
                if non:
                    r["fpr_base"] = _rate(sum(j(v.base[i]).flagged for i in non), len(non))
                    r["fpr_obf"] = _rate(sum(j(v.obf[i]).flagged for i in non), len(non))
                row[jname] = r
            out["obfuscation"].append(row)

    out["detector_failures"] = {name: j.failures for name, j in judges.items()}
    out["texts_checked"] = {name: len(j.cache) for name, j in judges.items()}
    return out

"""Agreement between annotators: percent agreement, Cohen's kappa, Fleiss' kappa and Krippendorff's alpha.

Implemented from the formulas with NumPy. Every coefficient returns ``None`` where it is undefined (no items,
or expected disagreement of zero: everyone used one category).

* Cohen (1960): two raters, nominal. ``kappa = (po - pe) / (1 - pe)``.
* Fleiss (1971): every item rated by the same number ``n`` of raters. ``P_i = (sum_j n_ij^2 - n) / (n (n - 1))``,
  ``P = mean(P_i)``, ``p_j = sum_i n_ij / (N n)``, ``Pe = sum_j p_j^2``, ``kappa = (P - Pe) / (1 - Pe)``. Items with
  fewer ratings are excluded and counted (items with more are cut to the first ``n``).
* Krippendorff (2011, "Computing Krippendorff's Alpha-Reliability"): coincidence matrix
  ``o_ck = sum_u (number of c-k pairs in u) / (m_u - 1)`` over units with ``m_u >= 2`` values, ``n_c = sum_k o_ck``,
  ``alpha = 1 - (n - 1) * sum o_ck d_ck / sum n_c n_k d_ck`` with ``d_ck = [c != k]`` (nominal) or ``(c - k)^2``
  (interval). Missing values (``None``) are allowed anywhere.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, cast

import numpy as np

from hegui.annotation.formats import Batch

__all__ = [
    "AgreementReport",
    "FleissResult",
    "batch_agreement",
    "cohen_kappa",
    "fleiss_kappa",
    "fleiss_kappa_table",
    "krippendorff_alpha",
    "percent_agreement",
]


def _categories(values: Sequence[Hashable]) -> dict[Hashable, int]:
    index: dict[Hashable, int] = {}
    for v in values:
        index.setdefault(v, len(index))
    return index


def percent_agreement(units: Sequence[Sequence[Hashable | None]]) -> float | None:
    """Mean over items (with at least two ratings) of the share of agreeing rater pairs."""
    shares = []
    for unit in units:
        vals = [v for v in unit if v is not None]
        m = len(vals)
        if m < 2:
            continue
        counts = np.array(list(_count(vals).values()), dtype=float)
        shares.append(float((counts * (counts - 1)).sum() / (m * (m - 1))))
    return float(np.mean(shares)) if shares else None


def _count(vals: Sequence[Hashable]) -> dict[Hashable, int]:
    out: dict[Hashable, int] = {}
    for v in vals:
        out[v] = out.get(v, 0) + 1
    return out


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """Cohen's kappa of two raters' labels for the same items (paired by position)."""
    if len(a) != len(b):
        raise ValueError("both raters need a label for every item")
    if not a:
        return None
    index = _categories([*a, *b])
    table = np.zeros((len(index), len(index)), dtype=float)
    for x, y in zip(a, b, strict=True):
        table[index[x], index[y]] += 1
    n = table.sum()
    po = np.trace(table) / n
    pe = float((table.sum(axis=1) / n) @ (table.sum(axis=0) / n))
    if np.isclose(pe, 1.0):
        return None
    return float((po - pe) / (1 - pe))


@dataclass(frozen=True, slots=True)
class FleissResult:
    kappa: float | None
    raters: int  # ratings per item used
    items: int  # items used
    excluded: int  # items with fewer ratings, left out
    p_bar: float | None = None
    p_e: float | None = None


def fleiss_kappa_table(counts: Any) -> FleissResult:
    """Fleiss' kappa from an items x categories table of counts; every row must sum to the same ``n``."""
    table = np.asarray(counts, dtype=float)
    if table.ndim != 2 or table.shape[0] == 0:
        return FleissResult(None, 0, 0, 0)
    sums = table.sum(axis=1)
    n = float(sums[0])
    if not np.allclose(sums, n):
        raise ValueError("every item needs the same number of ratings")
    big_n = table.shape[0]
    if n < 2:
        return FleissResult(None, int(n), big_n, 0)
    p_i = ((table**2).sum(axis=1) - n) / (n * (n - 1))
    p_bar = float(p_i.mean())
    p_j = table.sum(axis=0) / (big_n * n)
    p_e = float((p_j**2).sum())
    kappa = None if np.isclose(p_e, 1.0) else (p_bar - p_e) / (1 - p_e)
    return FleissResult(kappa, int(n), big_n, 0, p_bar, p_e)


def fleiss_kappa(units: Sequence[Sequence[Hashable | None]], raters: int | None = None) -> FleissResult:
    """Fleiss' kappa from the ratings of each item. ``raters`` defaults to the largest number of ratings an item has;
    items with fewer are excluded (``excluded`` says how many)."""
    rated = [[v for v in unit if v is not None] for unit in units]
    if raters is None:
        raters = max((len(r) for r in rated), default=0)
    kept = [r[:raters] for r in rated if len(r) >= raters]
    excluded = len(rated) - len(kept)
    if raters < 2 or not kept:
        return FleissResult(None, raters, len(kept), excluded)
    index = _categories([v for r in kept for v in r])
    table = np.zeros((len(kept), len(index)), dtype=float)
    for i, r in enumerate(kept):
        for v in r:
            table[i, index[v]] += 1
    res = fleiss_kappa_table(table)
    return FleissResult(res.kappa, res.raters, res.items, excluded, res.p_bar, res.p_e)


def krippendorff_alpha(data: Sequence[Sequence[Any]], level: str = "nominal") -> float | None:
    """Krippendorff's alpha of a coders x units matrix (``None`` = missing), ``level`` nominal or interval."""
    if level not in ("nominal", "interval"):
        raise ValueError("level must be 'nominal' or 'interval'")
    n_units = max((len(row) for row in data), default=0)
    units: list[list[Any]] = []
    for u in range(n_units):
        vals = [row[u] for row in data if u < len(row) and row[u] is not None]
        if len(vals) >= 2:
            units.append(vals)
    if not units:
        return None
    index = _categories([v for u in units for v in u])
    values = list(index)
    k = len(values)
    o = np.zeros((k, k), dtype=float)
    for unit in units:
        m = len(unit)
        counts = np.zeros(k, dtype=float)
        for v in unit:
            counts[index[v]] += 1
        pairs = np.outer(counts, counts) - np.diag(counts)  # ordered pairs of different coders
        o += pairs / (m - 1)
    n_c = o.sum(axis=1)
    n = n_c.sum()
    if level == "nominal":
        delta = 1.0 - np.eye(k)
    else:
        x = np.array([float(cast(Any, v)) for v in values])
        delta = (x[:, None] - x[None, :]) ** 2
    d_o = float((o * delta).sum())
    d_e = float((np.outer(n_c, n_c) * delta).sum())
    if d_e == 0:
        return None
    return float(1.0 - (n - 1) * d_o / d_e)


@dataclass(slots=True)
class AgreementReport:
    items: int  # items in the batch
    multi_rated: int  # items with two or more annotations
    annotators: int
    percent: float | None = None
    cohen: float | None = None  # only when exactly two annotators rated the multi-rated items
    fleiss: float | None = None
    fleiss_raters: int = 0
    fleiss_excluded: int = 0
    alpha: float | None = None  # nominal
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def batch_agreement(batch: Batch) -> AgreementReport:
    """Agreement among the annotators of one batch; each annotation's labels count as one nominal category."""
    per_item = batch.by_item()
    annotators = batch.annotators
    units = [[a.label for a in anns] for anns in per_item.values()]
    multi = [u for u in units if len(u) >= 2]
    rep = AgreementReport(items=len(units), multi_rated=len(multi), annotators=len(annotators))
    if not multi:
        rep.notes.append("no item has two or more annotations / 没有被两名及以上标注员标注的条目")
        return rep
    rep.percent = percent_agreement(multi)
    fl = fleiss_kappa(multi)
    rep.fleiss, rep.fleiss_raters, rep.fleiss_excluded = fl.kappa, fl.raters, fl.excluded
    if fl.excluded:
        rep.notes.append(f"Fleiss: {fl.excluded} item(s) with fewer than {fl.raters} ratings excluded / "
                         f"Fleiss：{fl.excluded} 个条目评分少于 {fl.raters} 个，已排除")
    col = {name: i for i, name in enumerate(annotators)}
    matrix: list[list[str | None]] = [[None] * len(per_item) for _ in annotators]
    for u, anns in enumerate(per_item.values()):
        for a in anns:
            matrix[col[a.annotator]][u] = a.label
    rep.alpha = krippendorff_alpha(matrix, "nominal")
    pairs = [(anns[0], anns[1]) for anns in per_item.values() if len(anns) == 2]
    raters = {a.annotator for p in pairs for a in p}
    if len(pairs) == len(multi) and len(raters) == 2:
        first = sorted(raters)[0]
        a_labels = [p[0].label if p[0].annotator == first else p[1].label for p in pairs]
        b_labels = [p[1].label if p[0].annotator == first else p[0].label for p in pairs]
        rep.cohen = cohen_kappa(a_labels, b_labels)
    return rep

"""The security self-assessment report and the transparency document (HTML, printed to PDF by headless Chromium).

- :func:`render_html`: from one or more ``hegui eval`` run directories (``summary.json``), an optional bank coverage
  report, a provider attestation and transparency file: title page, figures with 95 % Wilson intervals and
  thresholds, per-risk bar charts, interval plots, the comparison of runs, coverage, a verdict with evidence for
  every requirement (:mod:`hegui.evaluation.requirements`), the three signature lines (R-EVL-10) and the method.
- :func:`render_transparency_html`: training data, annotation and models (IM Art 19; draft Art 17), from the
  provider's file plus what hegui knows about its own shipped models.
- :func:`render_pdf`: prints an HTML document with Debian's ``chromium`` through Playwright (never downloads a
  browser).

Everything is self-contained: inline CSS and SVG, no external resources.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final

from hegui import __version__
from hegui.core.errors import HeguiError, InputError
from hegui.evaluation.charts import BarRow, IntervalRow, bar_chart, interval_plot
from hegui.evaluation.requirements import (
    AREAS,
    VERDICT_LABELS,
    VERDICTS,
    Assessment,
    assess,
    load_catalogue,
    metric_verdict,
    normalize_coverage,
)

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "PdfUnavailable",
    "ReportInputError",
    "Run",
    "TransparencyError",
    "build_json",
    "fmt_interval",
    "fmt_rate",
    "hegui_models",
    "load_coverage",
    "load_run",
    "load_transparency",
    "merge_transparency",
    "render_html",
    "render_pdf",
    "render_transparency_html",
    "transparency_from_ledger",
    "wilson",
]

CHROMIUM: Final = "/usr/bin/chromium"
CHROMIUM_ARGS: Final[tuple[str, ...]] = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)
Z95: Final = 1.959963984540054


class ReportInputError(InputError):
    """A run directory, summary.json or an input file of the report is missing or invalid (exit status 2)."""


class TransparencyError(ReportInputError):
    """The provider's transparency file is invalid."""


class PdfUnavailable(HeguiError):
    """Chromium or the playwright package is missing."""

    exit_code = 2


# ------------------------------------------------------------------------------------------------ figures


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of k successes out of n (95 % by default)."""
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def fmt_rate(x: float | None) -> str:
    """How the report writes a rate: a percentage with two decimals (``96.88%``)."""
    return "—" if x is None else f"{x * 100:.2f}%"


def fmt_interval(low: float | None, high: float | None) -> str:
    return "—" if low is None or high is None else f"[{fmt_rate(low)}, {fmt_rate(high)}]"


def fmt_threshold(th: Mapping[str, Any] | None) -> str:
    if not th:
        return "—"
    return f"{'≥' if th.get('op') == '>=' else '≤'} {fmt_rate(float(th.get('value', 0.0)))}"


# ------------------------------------------------------------------------------------------------ inputs


@dataclass(frozen=True)
class Run:
    path: Path
    summary: dict[str, Any]
    metrics: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    @property
    def label(self) -> str:
        run = self.summary.get("run") or {}
        return str(run.get("label") or run.get("model") or self.path.name)

    @property
    def model(self) -> str:
        return str((self.summary.get("run") or {}).get("model") or "")

    @property
    def endpoint(self) -> str:
        return str((self.summary.get("run") or {}).get("endpoint") or "")


def _bad(path: Path, en: str, zh: str) -> ReportInputError:
    return ReportInputError(en, zh, path=str(path))


def _num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def load_run(run_dir: str | Path) -> Run:
    """Read and check ``RUN_DIR/summary.json``; errors name the file (exit status 2)."""
    d = Path(run_dir)
    p = d / "summary.json" if d.is_dir() or not d.name.endswith(".json") else d
    if not p.is_file():
        raise _bad(p, "summary.json not found: give a run directory written by `hegui eval`",
                   "找不到 summary.json：请给出 `hegui eval` 写出的评估目录")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _bad(p, f"summary.json is not valid JSON ({exc})", f"summary.json 不是有效的 JSON（{exc}）") from exc
    if not isinstance(data, dict) or not isinstance(data.get("metrics"), list):
        raise _bad(p, "summary.json has no 'metrics' list", "summary.json 缺少 'metrics' 列表")
    metrics: list[dict[str, Any]] = []
    for i, m in enumerate(data["metrics"]):
        if not isinstance(m, dict) or not isinstance(m.get("id"), str):
            raise _bad(p, f"metrics[{i}] has no 'id'", f"metrics[{i}] 缺少 'id'")
        if not isinstance(m.get("n"), int) or not isinstance(m.get("k"), int) or m["n"] < 0 or not 0 <= m["k"] <= max(m["n"], 0):
            raise _bad(p, f"metrics[{i}] ({m['id']}): 'n' and 'k' must be integers with 0 ≤ k ≤ n",
                       f"metrics[{i}]（{m['id']}）：'n' 与 'k' 须为整数且 0 ≤ k ≤ n")
        m = dict(m)
        n, k = m["n"], m["k"]
        if not _num(m.get("rate")):
            m["rate"] = k / n if n else None
        if n and not (_num(m.get("ci_low")) and _num(m.get("ci_high"))):
            m["ci_low"], m["ci_high"] = wilson(k, n)
        th = m.get("threshold")
        if th is not None and (not isinstance(th, dict) or th.get("op") not in (">=", "<=") or not _num(th.get("value"))):
            raise _bad(p, f"metrics[{i}] ({m['id']}): 'threshold' must be {{op: '>='|'<=', value: number}} or null",
                       f"metrics[{i}]（{m['id']}）：'threshold' 须为 {{op: '>='|'<=', value: 数值}} 或 null")
        if not isinstance(m.get("per_risk"), dict):
            m["per_risk"] = {}
        metrics.append(m)
    return Run(path=d, summary=data, metrics=tuple(metrics))


def read_structured(path: str | Path, what_en: str, what_zh: str) -> Any:
    import yaml

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _bad(p, f"cannot read the {what_en} file ({exc})", f"无法读取{what_zh}文件（{exc}）") from exc
    try:
        return json.loads(text) if p.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise _bad(p, f"the {what_en} file is not valid {'JSON' if p.suffix == '.json' else 'YAML'} ({exc})",
                   f"{what_zh}文件格式无效（{exc}）") from exc


def load_coverage(path: str | Path) -> dict[str, Any]:
    """Read a bank coverage report ``{"ok": bool, "shortfalls": [...]}``."""
    data = read_structured(path, "coverage", "题库覆盖报告")
    if not isinstance(data, dict) or not isinstance(data.get("ok"), bool) or not isinstance(data.get("shortfalls", []), list):
        raise _bad(Path(path), "the coverage file must be {\"ok\": bool, \"shortfalls\": [...]}",
                   "覆盖报告须为 {\"ok\": bool, \"shortfalls\": [...]}")
    data.setdefault("shortfalls", [])
    return normalize_coverage(data)


# ------------------------------------------------------------------------------------------------ transparency

# (key path, zh, en, kind): kind "str" (text), "list" (list of strings or mappings)
TRANSPARENCY_FIELDS: Final[tuple[tuple[str, str, str, str], ...]] = (
    ("service.name", "服务名称", "Service name", "str"),
    ("service.provider", "服务提供者", "Provider", "str"),
    ("training_data.sources", "训练数据来源", "Training-data sources", "list"),
    ("training_data.scale", "训练数据规模", "Training-data scale", "str"),
    ("training_data.types", "训练数据类型", "Training-data types", "list"),
    ("training_data.quality_measures", "数据质量措施", "Data-quality measures", "str"),
    ("annotation.rules", "标注规则", "Annotation rules", "str"),
    ("annotation.data", "标注数据（规模与类型）", "Annotated data (scale and types)", "str"),
    ("models.base", "基础模型", "Base models", "list"),
    ("models.algorithms", "算法机制与技术体系", "Algorithms and technical system", "str"),
)
_SOURCE_KEYS: Final[tuple[str, ...]] = ("name", "type", "licence", "scale", "url", "notes")
_BASE_KEYS: Final[tuple[str, ...]] = ("name", "version", "provider", "licence", "filing")


def _get(info: Mapping[str, Any], dotted: str) -> Any:
    cur: Any = info
    for part in dotted.split("."):
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(part)
    return cur


def load_transparency(data: Any, path: str = "<transparency>") -> tuple[dict[str, Any], list[str]]:
    """Validate the provider's transparency file; returns it and the fields still to be supplied.

    Shape (every field optional; what is missing is listed "to be supplied")::

        service: {name, provider}
        training_data: {sources: [{name, type, licence, scale, url}], scale, types: [..], quality_measures}
        annotation: {rules, data}
        models: {base: [{name, version, provider, licence, filing}], algorithms}
    """
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise TransparencyError("the transparency file must be a mapping (service, training_data, annotation, models)",
                                "透明度文件须为映射（service、training_data、annotation、models）", path=path)
    allowed = {"service", "training_data", "annotation", "models"}
    unknown = sorted(set(map(str, data)) - allowed)
    if unknown:
        raise TransparencyError(f"unknown section(s) {unknown}; allowed: {sorted(allowed)}",
                                f"未知的部分 {unknown}；允许：{sorted(allowed)}", path=path)
    for sec in allowed:
        if sec in data and data[sec] is not None and not isinstance(data[sec], Mapping):
            raise TransparencyError(f"'{sec}' must be a mapping", f"'{sec}' 须为映射", path=path)
    missing: list[str] = []
    for key, _zh, en, kind in TRANSPARENCY_FIELDS:
        v = _get(data, key)
        if v is None or v == "" or v == []:
            missing.append(key)
            continue
        if kind == "str" and not isinstance(v, str | int | float):
            raise TransparencyError(f"'{key}' ({en}) must be text", f"'{key}'（{en}）须为文本", path=path)
        if kind == "list":
            if not isinstance(v, list):
                raise TransparencyError(f"'{key}' ({en}) must be a list", f"'{key}'（{en}）须为列表", path=path)
            for i, item in enumerate(v):
                if key.endswith(("sources", "base")):
                    if not isinstance(item, Mapping) or not str(item.get("name") or "").strip():
                        raise TransparencyError(f"'{key}[{i}]' must be a mapping with at least 'name'",
                                                f"'{key}[{i}]' 须为至少含 'name' 的映射", path=path)
                elif not isinstance(item, str):
                    raise TransparencyError(f"'{key}[{i}]' must be text", f"'{key}[{i}]' 须为文本", path=path)
    return dict(data), missing


def _model_card_sources() -> list[dict[str, str]]:
    """Source, upstream and licence of the shipped classifier's training data (its model card)."""
    try:
        text = (resources.files("hegui.detectors") / "data" / "classifier" / "MODEL_CARD.md").read_text(encoding="utf-8")
    except (OSError, FileNotFoundError):
        return []
    out: list[dict[str, str]] = []
    in_table = False
    for line in text.splitlines():
        if line.startswith("| source | upstream | licence"):
            in_table = True
            continue
        if in_table:
            if not line.startswith("|"):
                break
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) >= 3 and not set(cells[0]) <= {"-", ":"}:
                out.append({"source": cells[0], "upstream": cells[1], "licence": cells[2]})
    return out


def hegui_models() -> list[dict[str, Any]]:
    """What hegui knows about its own shipped models: the classifier and the refusal detector."""
    from hegui.detectors.classifier.model import MANIFEST_FILE, shipped_model_dir

    out: list[dict[str, Any]] = []
    try:
        man = json.loads((shipped_model_dir() / MANIFEST_FILE).read_text(encoding="utf-8"))
        rows: dict[str, int] = {}
        for key, splits in (man.get("data", {}).get("rows") or {}).items():
            src = key.split("|")[0].split(":")[0]
            rows[src] = rows.get(src, 0) + sum(int(v) for v in splits.values())
        out.append({
            "name": f"{man.get('name', 'hegui-classifier')} {man.get('version', '')}".strip(),
            "purpose_zh": "内容审核第二层：风险分类（字符 n-gram 线性模型）",
            "purpose_en": "second moderation layer: risk classification (character n-gram linear heads)",
            "heads": len(man.get("heads", [])),
            "sources": _model_card_sources(),
            "rows": rows,
            "sha256": (man.get("files", {}).get("model.npz") or {}).get("sha256", ""),
        })
    except (OSError, ValueError):
        pass
    try:
        from hegui.detectors.refusal.detector import RefusalDetector

        info = RefusalDetector().info
        out.append({
            "name": "hegui refusal detector",
            "purpose_zh": "判定模型回答是否拒答（拒答率评估的评判器）",
            "purpose_en": "judges whether an answer is a refusal (the judge of the refusal assessment)",
            "heads": None,
            "sources": [{"source": "training", "upstream": str(info.get("data", "")), "licence": "CC BY 4.0"}],
            "rows": {"training": int(info.get("dev_answers", 0))},
            "sha256": str(info.get("xstest_sha256", "")),
        })
    except HeguiError:
        pass
    return out


# ------------------------------------------------------------------------------------------------ rendering


def _env() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("hegui.evaluation", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["rate"] = fmt_rate
    env.filters["threshold"] = fmt_threshold
    return env


def _markup(s: str) -> Any:
    from markupsafe import Markup

    return Markup(s)  # our own SVG: every text in it is escaped by hegui.evaluation.charts


def _risk_name(code: str, lang: str) -> str:
    from hegui.core.taxonomy import get_risk, is_risk_code

    return f"{code} {get_risk(code).name(lang)}" if is_risk_code(code) else code


def _metric_label(m: Mapping[str, Any], lang: str) -> str:
    zh, en = m.get("label_zh") or m.get("id"), m.get("label_en") or m.get("id")
    return f"{zh} / {en}" if zh != en else str(en)


def _metric_rows(runs: Sequence[Run], lang: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for ri, run in enumerate(runs):
        for m in run.metrics:
            met, reason_en, reason_zh = metric_verdict(m)
            rows.append({
                "run": run.label, "run_index": ri, "id": m["id"], "label": _metric_label(m, lang),
                "kind": m.get("kind", ""), "judge": m.get("judge", ""), "n": m["n"], "k": m["k"],
                "rate": m.get("rate"), "interval": fmt_interval(m.get("ci_low"), m.get("ci_high")),
                "ci_low": m.get("ci_low"), "ci_high": m.get("ci_high"),
                "threshold": fmt_threshold(m.get("threshold")), "n_min": m.get("n_min"),
                "met": met, "reason": reason_zh if lang.startswith("zh") else reason_en,
            })
    return rows


def _slug(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", s).strip("-").lower() or "x"


def _charts(runs: Sequence[Run], lang: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    bars: list[dict[str, Any]] = []
    for ri, run in enumerate(runs):
        for m in run.metrics:
            per = m.get("per_risk") or {}
            if not per:
                continue
            th = m.get("threshold") or None
            rows = [BarRow(label=_risk_name(code, lang), rate=v.get("rate") if _num(v.get("rate")) else None,
                           n=int(v.get("n") or 0), key=code)
                    for code, v in sorted(per.items()) if isinstance(v, Mapping)]
            title = f"{run.label} · {_metric_label(m, lang)}"
            cid = f"bar-{ri}-{_slug(m['id'])}"
            svg = bar_chart(rows, chart_id=cid, title=title + " — per risk / 分风险",
                            threshold=float(th["value"]) if th else None, op=str(th["op"]) if th else ">=")
            bars.append({"title": title, "svg": _markup(svg), "id": cid})
    intervals: list[dict[str, Any]] = []
    ids: list[str] = []
    for run in runs:
        for m in run.metrics:
            if m["id"] not in ids:
                ids.append(m["id"])
    rows_i: list[IntervalRow] = []
    for mid in ids:
        for run in runs:
            for m in run.metrics:
                if m["id"] != mid:
                    continue
                th = m.get("threshold") or None
                label = f"{m['id']} · {run.label}" if len(runs) > 1 else str(m["id"])
                rows_i.append(IntervalRow(label=label, rate=m.get("rate"), low=m.get("ci_low"), high=m.get("ci_high"),
                                          threshold=float(th["value"]) if th else None,
                                          op=str(th["op"]) if th else ">=", key=f"{mid}|{run.label}"))
    if rows_i:
        svg = interval_plot(rows_i, chart_id="intervals",
                            title="95% Wilson intervals / 95% Wilson 置信区间")
        intervals.append({"title": "95% Wilson intervals", "svg": _markup(svg), "id": "intervals"})
    return bars, intervals


def _comparison(runs: Sequence[Run]) -> list[dict[str, Any]]:
    if len(runs) < 2:
        return []
    ids: list[str] = []
    for run in runs:
        for x in run.metrics:
            if x["id"] not in ids:
                ids.append(x["id"])
    out: list[dict[str, Any]] = []
    for mid in ids:
        cells: list[dict[str, Any]] = []
        label = mid
        for run in runs:
            m: dict[str, Any] | None = next((x for x in run.metrics if x["id"] == mid), None)
            if m is None:
                cells.append({"rate": None, "interval": "—", "met": None, "n": 0})
                continue
            label = _metric_label(m, "zh")
            met, _, _ = metric_verdict(m)
            cells.append({"rate": m.get("rate"), "interval": fmt_interval(m.get("ci_low"), m.get("ci_high")),
                          "met": met, "n": m["n"]})
        first, last = cells[0]["rate"], cells[-1]["rate"]
        delta = None if first is None or last is None else (last - first) * 100
        out.append({"id": mid, "label": label, "cells": cells,
                    "delta": "—" if delta is None else f"{delta:+.2f} pp"})
    return out


def _judges(runs: Sequence[Run]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for run in runs:
        for name, j in sorted((run.summary.get("judges") or {}).items()):
            j = j if isinstance(j, Mapping) else {}
            out.append({"run": run.label, "name": str(name), "method": str(j.get("method", "")),
                        "version": str(j.get("version", ""))})
    return out


def _verdict_counts(items: Sequence[Assessment]) -> dict[str, int]:
    return {v: sum(1 for a in items if a.verdict == v) for v in VERDICTS}


def _css() -> str:
    return (resources.files("hegui.evaluation") / "templates" / "report.css").read_text(encoding="utf-8")


def build_json(runs: Sequence[Run], assessments: Sequence[Assessment], *, coverage: Mapping[str, Any] | None,
               created: str) -> dict[str, Any]:
    """The machine-readable verdicts (``report.json``)."""
    return {
        "format": "hegui-report", "format_version": 1, "hegui_version": __version__, "created": created,
        "runs": [{"dir": str(r.path), "label": r.label, "model": r.model, "endpoint": r.endpoint,
                  "metrics": [{"id": m["id"], "n": m["n"], "k": m["k"], "rate": m.get("rate"),
                               "ci_low": m.get("ci_low"), "ci_high": m.get("ci_high"),
                               "threshold": m.get("threshold"), "n_min": m.get("n_min"),
                               "met": metric_verdict(m)[0], "reason": metric_verdict(m)[1]} for m in r.metrics]}
                 for r in runs],
        "coverage": {"ok": coverage.get("ok"), "shortfalls": len(coverage.get("shortfalls", []))} if coverage else None,
        "counts": _verdict_counts(assessments),
        "verdicts": [a.as_dict() for a in assessments],
    }


def render_html(
    run_dirs: Sequence[str | Path],
    *,
    coverage: Mapping[str, Any] | str | Path | None = None,
    attest: Mapping[str, Mapping[str, str]] | None = None,
    transparency: Mapping[str, Any] | None = None,
    lang: str = "zh",
    service: str | None = None,
    created: str | None = None,
    assessments: Sequence[Assessment] | None = None,
) -> str:
    """The self-assessment report as one self-contained HTML page.

    ``run_dirs``: ``hegui eval`` output directories; the **last** is the service assessed (e.g. ``direct`` first,
    ``behind-hegui`` last). ``coverage``: the bank coverage report (mapping or file). ``attest``: provider
    attestations (:func:`hegui.evaluation.requirements.load_attest`). ``transparency``: the provider's
    transparency file (its service name is used on the title page)."""
    runs = [load_run(d) for d in run_dirs]
    cov = load_coverage(coverage) if isinstance(coverage, str | Path) else \
        normalize_coverage(coverage) if coverage is not None else None
    items = list(assessments) if assessments is not None else assess([r.summary for r in runs], coverage=cov, attest=attest)
    created = created or _dt.date.today().isoformat()
    if service is None and transparency:
        name = _get(transparency, "service.name")
        service = str(name) if name else None
    zh = lang.startswith("zh")
    bars, intervals = _charts(runs, lang)
    by_area: dict[str, list[Assessment]] = {}
    for a in items:
        by_area.setdefault(a.id.split("-")[1], []).append(a)
    areas = [{"code": code, "zh": AREAS.get(code, (code, code))[0], "en": AREAS.get(code, (code, code))[1],
              "reqs": by_area[code]} for code in by_area]
    return str(_env().get_template("report.html.j2").render(
        lang="zh-CN" if zh else "en", zh=zh, css=_css(), version=__version__, created=created,
        service=service, runs=runs, metric_rows=_metric_rows(runs, lang), bars=bars, intervals=intervals,
        comparison=_comparison(runs), coverage=cov, areas=areas, counts=_verdict_counts(items),
        verdict_labels=VERDICT_LABELS, judges=_judges(runs), n_requirements=len(load_catalogue()),
    ))


def transparency_from_ledger(export: Any, path: str = "<ledger>") -> dict[str, Any]:
    """The training-data part of the transparency file from hegui's provenance ledger
    (``hegui corpus sources export``): sources (name, kind, licence, scale, URL), the total scale, the types
    (kinds, languages, modalities, domestic/foreign mix) and the quality measures (audits and the 5 % rule)."""
    if not isinstance(export, Mapping) or not isinstance(export.get("sources"), list):
        raise TransparencyError("not a provenance-ledger export (expected 'sources'; write one with "
                                "`hegui corpus sources export -o FILE`)",
                                "不是来源台账导出文件（缺少 'sources'；请用 `hegui corpus sources export -o 文件` 导出）",
                                path=path)
    sources: list[dict[str, Any]] = []
    for src in export["sources"]:
        if not isinstance(src, Mapping) or src.get("active") is False:
            continue
        entry = {"name": str(src.get("name") or "?"), "type": str(src.get("kind") or ""),
                 "licence": str(src.get("licence") or src.get("licence_file") or ""),
                 "scale": "" if src.get("items") is None else f"{int(src['items']):,}",
                 "url": str(src.get("url") or ""),
                 "notes": " / ".join(str(src[k]) for k in ("dataset", "organisation") if src.get(k))}
        sources.append({k: v for k, v in entry.items() if v})
    def section(name: str) -> Mapping[str, Any]:
        v = export.get(name)
        return v if isinstance(v, Mapping) else {}

    summ, scale, quality = section("summary"), section("scale"), section("quality")
    types: list[str] = []
    for key, label in (("kinds", "kind"), ("languages", "language"), ("modalities", "modality")):
        counts = summ.get(key) or {}
        if isinstance(counts, Mapping):
            types += [f"{label}: {k} ({v})" for k, v in sorted(counts.items())]
    origin = summ.get("origin") or {}
    if isinstance(origin, Mapping) and origin:
        types.append(f"origin: domestic {origin.get('domestic', 0)}, foreign {origin.get('foreign', 0)}")
    measures = (f"Every source is sampled before collection and verified after it; a source with more than "
                f"{100 * float(quality.get('max_bad_ratio') or 0.05):g} % illegal or harmful items is not used "
                f"(R-DAT-01/02). Assessed before collection: {quality.get('sources_assessed_before_collection', 0)}; "
                f"verified after: {quality.get('sources_verified_after_collection', 0)}; rejected: "
                f"{', '.join(quality.get('rejected') or []) or 'none'}; excluded: "
                f"{len(quality.get('excluded') or [])}.")
    td: dict[str, Any] = {"sources": sources, "quality_measures": measures}
    if scale.get("items"):
        td["scale"] = (f"{int(scale['items']):,} items from {len(sources)} active sources "
                       f"({int(scale.get('sampled') or 0):,} sampled in {int(scale.get('audit_runs') or 0)} audits)")
    if types:
        td["types"] = types
    return {"training_data": td}


def merge_transparency(provider: Mapping[str, Any] | None, ledger: Mapping[str, Any]) -> dict[str, Any]:
    """The provider's transparency file, with the ledger filling the training-data fields it leaves empty."""
    out = {k: dict(v) if isinstance(v, Mapping) else v for k, v in (provider or {}).items()}
    td = out.setdefault("training_data", {})
    if not isinstance(td, dict):
        td = out["training_data"] = {}
    for k, v in (ledger.get("training_data") or {}).items():
        if td.get(k) in (None, "", []):
            td[k] = v
    return out


def render_transparency_html(info: Mapping[str, Any] | None, *, lang: str = "zh", created: str | None = None,
                             path: str = "<transparency>") -> str:
    """The transparency document: the provider's data, annotation and model facts plus hegui's own models.

    Missing provider fields are listed as "to be supplied"."""
    data, missing = load_transparency(info, path)
    fields = []
    for key, fzh, fen, kind in TRANSPARENCY_FIELDS:
        v = _get(data, key)
        fields.append({"key": key, "zh": fzh, "en": fen, "kind": kind, "value": v, "missing": key in missing,
                       "columns": _SOURCE_KEYS if key.endswith("sources") else _BASE_KEYS if key.endswith("base") else ()})
    return str(_env().get_template("transparency.html.j2").render(
        lang="zh-CN" if lang.startswith("zh") else "en", zh=lang.startswith("zh"), css=_css(), version=__version__,
        created=created or _dt.date.today().isoformat(), fields=fields, missing=missing, models=hegui_models(),
        service=_get(data, "service.name"), provider=_get(data, "service.provider"),
    ))


# ------------------------------------------------------------------------------------------------ PDF


def _unavailable(what: str) -> PdfUnavailable:
    return PdfUnavailable(
        f"cannot print the PDF: {what}. Install Debian's chromium and fonts-noto-cjk (apt-get install chromium "
        "fonts-noto-cjk) and the playwright package (pip install 'hegui[report]'; do not run `playwright install`), "
        "or pass --no-pdf",
        f"无法生成 PDF：{what}。请安装 Debian 的 chromium 与 fonts-noto-cjk（apt-get install chromium fonts-noto-cjk）"
        "以及 playwright 包（pip install 'hegui[report]'；不要运行 `playwright install`），或使用 --no-pdf",
    )


def launch_chromium(playwright: Any) -> Any:
    """Launch Debian's Chromium headless with the report's fixed options (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        raise _unavailable(f"{CHROMIUM} not found")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS), headless=True)


def render_pdf(html: str, out_pdf: str | Path) -> Path:
    """Print ``html`` to ``out_pdf`` (A4, backgrounds on) with headless Chromium; nothing is fetched from the
    network. Raises :class:`PdfUnavailable` when Chromium or playwright is missing."""
    if not Path(CHROMIUM).exists():
        raise _unavailable(f"{CHROMIUM} not found")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise _unavailable("the playwright Python package is not installed") from exc
    out = Path(out_pdf)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            try:
                page = browser.new_page()
                page.route("**/*", lambda route: route.abort())  # self-contained: no request leaves the page
                page.set_content(html, wait_until="load")
                page.emulate_media(media="print")
                page.pdf(path=str(out), format="A4", print_background=True, prefer_css_page_size=True,
                         margin={"top": "16mm", "bottom": "16mm", "left": "14mm", "right": "14mm"})
            finally:
                browser.close()
    except PlaywrightError as exc:
        raise _unavailable(f"Chromium failed ({str(exc).splitlines()[0] if str(exc) else exc!r})") from exc
    return out

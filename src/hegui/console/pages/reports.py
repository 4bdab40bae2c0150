"""Evaluation and corpus reports (every role): the ``hegui eval`` runs, ``hegui report`` outputs and ``hegui corpus
audit`` outputs found in the configured report directories (``console.report_dirs``), with their headline figures;
a summary page per report; and the report's own self-contained ``report.html``, served in a CSP sandbox.

Only direct sub-directories of a report directory are reports. A name is a directory name; it is checked against a
strict pattern, then resolved and checked to lie inside the report directory (a symbolic link pointing elsewhere is
refused). :mod:`hegui.evaluation` is imported only when a page needs it, so that importing the console stays cheap.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from fastapi.responses import Response
from markupsafe import Markup

from hegui.console.i18n import t
from hegui.console.kit import PREFIX, ConsoleKit, Ctx
from hegui.console.svg import bar_chart

KINDS: Final = ("eval", "assessment", "corpus")
NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
MAX_JSON_BYTES: Final = 32 * 1024 * 1024
MAX_HTML_BYTES: Final = 64 * 1024 * 1024
MAX_REPORTS: Final = 500  # listed at most (newest first)
REPORT_HTML: Final = "report.html"
# a report is a self-contained page (inline CSS, inline SVG, data: images) written from files on disk: it runs in a
# sandbox (no script, no forms, a unique origin) and may load nothing
REPORT_CSP: Final = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
METRIC_IDS: Final = ("refusal.should_refuse", "refusal.should_not_refuse")


# ------------------------------------------------------------------------------------------------ finding reports


def report_dirs(kit: ConsoleKit) -> list[Path]:
    """The configured report directories (``console.report_dirs``; relative ones under the data directory; none
    configured: ``<data_dir>/reports``), resolved."""
    base = getattr(kit.settings, "data_dir", None)
    data_dir = base if isinstance(base, Path) else Path(".hegui")
    given: Iterable[object] = getattr(kit.settings.console, "report_dirs", ()) or ()
    dirs = [Path(str(d)) for d in given if str(d).strip()] or [Path("reports")]
    out: list[Path] = []
    for d in dirs:
        p = (d if d.is_absolute() else data_dir / d).resolve()
        if p not in out:
            out.append(p)
    return out


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        if not path.is_file() or path.stat().st_size > MAX_JSON_BYTES:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _iso(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)


def _mtime(path: Path) -> datetime | None:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError:
        return None


def kind_of(d: Path) -> tuple[str, dict[str, Any]] | None:
    """What the directory holds: ``corpus`` (a ``hegui corpus audit`` summary), ``assessment`` (``hegui report``'s
    report.json) or ``eval`` (a ``hegui eval`` run.json); with that file's content. None: not a report."""
    summary = _read_json(d / "summary.json")
    if summary is not None and summary.get("kind") == "hegui.corpus.audit":
        return "corpus", summary
    rep = _read_json(d / "report.json")
    if rep is not None and rep.get("format") == "hegui-report":
        return "assessment", rep
    run = _read_json(d / "run.json")
    if run is not None and isinstance(run.get("model"), str) and "endpoint" in run:
        return "eval", run
    return None


def inside(base: Path, path: Path) -> bool:
    """``path`` (resolved, links followed) lies inside ``base`` (resolved)."""
    try:
        return path.resolve().is_relative_to(base)
    except (OSError, RuntimeError):
        return False


def locate(dirs: Sequence[Path], kind: str, name: str) -> Path | None:
    """The directory of report ``name`` of ``kind`` (the first report directory that has it), or None: an unknown
    kind, a name that is not a plain directory name, or one that resolves outside its report directory."""
    if kind not in KINDS or not NAME.match(name) or ".." in name:
        return None
    for base in dirs:
        d = base / name
        if not inside(base, d) or d.resolve().parent != base or not d.is_dir():
            continue
        found = kind_of(d)
        if found is not None and found[0] == kind:
            return d.resolve()
    return None


def report_file(dirs: Sequence[Path], kind: str, name: str) -> Path | None:
    """The ``report.html`` of a report, when it has one (checked to lie inside a report directory)."""
    d = locate(dirs, kind, name)
    if d is None:
        return None
    f = d / REPORT_HTML
    if not f.is_file() or not any(inside(base, f) for base in dirs):
        return None
    return f.resolve()


# ------------------------------------------------------------------------------------------------ figures


def pct(x: object) -> str:
    return f"{float(x) * 100:.1f} %" if isinstance(x, int | float) and not isinstance(x, bool) else "—"


def interval(low: object, high: object) -> str:
    if not isinstance(low, int | float) or not isinstance(high, int | float):
        return "—"
    return f"[{float(low) * 100:.1f} %, {float(high) * 100:.1f} %]"


_summaries: dict[tuple[str, tuple[int, ...]], dict[str, Any]] = {}
_summaries_lock = threading.Lock()


def eval_summary(d: Path) -> dict[str, Any]:
    """The run's metrics, computed from its records now (``hegui.evaluation.metrics.summarise``, nothing
    written); cached until records.jsonl, review.jsonl or run.json change."""
    stamp: list[int] = []
    for fname in ("records.jsonl", "review.jsonl", "run.json"):
        try:
            st = (d / fname).stat()
            stamp += [st.st_mtime_ns, st.st_size]
        except OSError:
            stamp += [0, 0]
    key = (str(d), tuple(stamp))
    with _summaries_lock:
        hit = _summaries.get(key)
    if hit is not None:
        return hit
    from hegui.evaluation.metrics import summarise  # lazily: the evaluation package is not needed to start

    summary = summarise(d, write=False)
    with _summaries_lock:
        if len(_summaries) > 256:
            _summaries.clear()
        _summaries[key] = summary
    return summary


def metric_row(m: dict[str, Any], lang: str) -> dict[str, Any]:
    th = m.get("threshold")
    threshold = f"{'≥' if th.get('op') == '>=' else '≤'} {pct(th.get('value'))}" if isinstance(th, dict) else "—"
    return {"id": m.get("id"), "label": m.get("label_en" if lang == "en" else "label_zh") or m.get("id"),
            "n": m.get("n", 0), "k": m.get("k", 0), "rate": pct(m.get("rate")),
            "ci": interval(m.get("ci_low"), m.get("ci_high")), "threshold": threshold, "met": m.get("met"),
            "n_ok": m.get("n_ok"), "value": m.get("rate")}


@dataclass
class Report:
    kind: str
    name: str
    path: Path
    when: datetime | None
    subject: str  # model (and label), or sources
    has_html: bool
    figures: list[tuple[str, str]] = field(default_factory=list)  # (message key, shown value)
    error: bool = False  # the files could not be read


def _eval_report(d: Path, run: dict[str, Any], lang: str) -> Report:
    label = run.get("label")
    subject = f"{run.get('model')}" + (f" ({label})" if label else "")
    rep = Report("eval", d.name, d, _iso(run.get("updated")) or _iso(run.get("started")) or _mtime(d / "run.json"),
                 subject, (d / REPORT_HTML).is_file())
    try:
        summary = eval_summary(d)
    except Exception:  # a damaged records file: listed, without figures
        rep.error = True
        return rep
    counts = summary.get("counts") or {}
    rep.figures.append(("rep.items", f"{counts.get('done', 0)} / {counts.get('items', 0)}"))
    by_id = {m.get("id"): m for m in summary.get("metrics") or [] if isinstance(m, dict)}
    for mid, key in zip(METRIC_IDS, ("rep.refuse_rate", "rep.nonrefuse_rate"), strict=True):
        m = by_id.get(mid) or {}
        n = m.get("n") or 0
        rep.figures.append((key, f"{pct(m.get('rate'))} {interval(m.get('ci_low'), m.get('ci_high'))} · n={n}"
                            if n else "—"))
    return rep


def _corpus_report(d: Path, summary: dict[str, Any]) -> Report:
    sources = summary.get("sources") if isinstance(summary.get("sources"), dict) else {}
    assert isinstance(sources, dict)
    rep = Report("corpus", d.name, d, _mtime(d / "summary.json"), ", ".join(sorted(sources))[:200] or "—",
                 (d / REPORT_HTML).is_file())
    tech = summary.get("technical") if isinstance(summary.get("technical"), dict) else {}
    assert isinstance(tech, dict)
    docs = sum(int(v.get("records") or 0) for v in sources.values() if isinstance(v, dict))
    accepted = sum(1 for v in sources.values() if isinstance(v, dict) and v.get("verdict") == "accept")
    ci = tech.get("pass_rate_ci95")
    low, high = (ci[0], ci[1]) if isinstance(ci, list) and len(ci) == 2 else (None, None)
    rep.figures += [("rep.documents", str(docs)),
                    ("rep.pass_rate", f"{pct(tech.get('pass_rate'))} {interval(low, high)}"),
                    ("rep.sources_ok", f"{accepted} / {len(sources) - accepted}")]
    return rep


def _assessment_report(d: Path, data: dict[str, Any]) -> Report:
    runs = [r for r in data.get("runs") or [] if isinstance(r, dict)]
    subject = ", ".join(str(r.get("label") or r.get("model") or "") for r in runs)[:200] or "—"
    rep = Report("assessment", d.name, d, _iso(data.get("created")) or _mtime(d / "report.json"), subject,
                 (d / REPORT_HTML).is_file())
    counts = data.get("counts") if isinstance(data.get("counts"), dict) else {}
    assert isinstance(counts, dict)
    rep.figures += [("rep.runs", str(len(runs))),
                    ("rep.verdicts", ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "—")]
    return rep


def scan(dirs: Sequence[Path], lang: str) -> list[Report]:
    """Every report in the report directories, newest first (a name found twice: the first directory's)."""
    found: list[Report] = []
    seen: set[tuple[str, str]] = set()
    for base in dirs:
        try:
            children = sorted(p for p in base.iterdir() if p.is_dir())
        except OSError:
            continue
        for d in children:
            if not NAME.match(d.name) or not inside(base, d):
                continue
            k = kind_of(d)
            if k is None or (k[0], d.name) in seen:
                continue
            seen.add((k[0], d.name))
            if k[0] == "eval":
                found.append(_eval_report(d, k[1], lang))
            elif k[0] == "corpus":
                found.append(_corpus_report(d, k[1]))
            else:
                found.append(_assessment_report(d, k[1]))
    found.sort(key=lambda r: r.when or datetime.min.replace(tzinfo=UTC), reverse=True)
    return found[:MAX_REPORTS]


def detail_data(d: Path, kind: str, data: dict[str, Any], lang: str) -> dict[str, Any]:
    """The summary page's facts, tables and chart."""
    facts: list[tuple[str, str]] = []
    rows: list[dict[str, Any]] = []
    chart_items: list[tuple[str, int]] = []
    title_key = "rep.chart_" + kind
    if kind == "eval":
        bank = data.get("bank") if isinstance(data.get("bank"), dict) else {}
        assert isinstance(bank, dict)
        summary = eval_summary(d)
        counts = summary.get("counts") or {}
        facts = [("rep.model", str(data.get("model"))), ("rep.label", str(data.get("label") or "—")),
                 ("rep.endpoint", str(data.get("endpoint"))), ("rep.bank", str(bank.get("path") or "—")),
                 ("rep.bank_sha", str(bank.get("sha256") or "—")[:16]),
                 ("rep.items", f"{counts.get('done', 0)} / {counts.get('items', 0)}"),
                 ("rep.errors", str(counts.get("errors", 0))),
                 ("rep.hegui_version", str(data.get("hegui_version") or "—"))]
        rows = [metric_row(m, lang) for m in summary.get("metrics") or [] if isinstance(m, dict)]
        chart_items = [(str(r["label"])[:22], round(float(r["value"]) * 100)) for r in rows
                       if isinstance(r["value"], int | float) and r["n"]]
    elif kind == "corpus":
        tech = data.get("technical") if isinstance(data.get("technical"), dict) else {}
        sources = data.get("sources") if isinstance(data.get("sources"), dict) else {}
        assert isinstance(tech, dict) and isinstance(sources, dict)
        ci = tech.get("pass_rate_ci95")
        low, high = (ci[0], ci[1]) if isinstance(ci, list) and len(ci) == 2 else (None, None)
        facts = [("rep.engine", str(data.get("engine") or "—")), ("rep.seed", str(data.get("seed", "—"))),
                 ("rep.checked", f"{tech.get('checked', 0)} / {tech.get('readable', 0)}"),
                 ("rep.coverage", pct(tech.get("coverage"))),
                 ("rep.pass_rate", f"{pct(tech.get('pass_rate'))} {interval(low, high)}"),
                 ("rep.verdict", str(tech.get("verdict") or "—")),
                 ("rep.hegui_version", str(data.get("hegui_version") or "—"))]
        for name, v in sorted(sources.items()):
            if not isinstance(v, dict):
                continue
            sci = v.get("bad_ratio_ci95")
            slo, shi = (sci[0], sci[1]) if isinstance(sci, list) and len(sci) == 2 else (None, None)
            rows.append({"source": name, "records": v.get("records", 0), "checked": v.get("checked", 0),
                         "bad": v.get("bad_n", 0), "ratio": pct(v.get("bad_ratio")), "ci": interval(slo, shi),
                         "verdict": v.get("verdict"), "reasons": ", ".join(str(x) for x in v.get("reasons") or [])})
            chart_items.append((name[:22], int(v.get("bad_n") or 0)))
    else:
        counts = data.get("counts") if isinstance(data.get("counts"), dict) else {}
        assert isinstance(counts, dict)
        facts = [("rep.created", str(data.get("created") or "—")),
                 ("rep.hegui_version", str(data.get("hegui_version") or "—"))]
        rows = [{"label": r.get("label"), "model": r.get("model"), "endpoint": r.get("endpoint")}
                for r in data.get("runs") or [] if isinstance(r, dict)]
        chart_items = [(str(k)[:22], int(v)) for k, v in sorted(counts.items()) if isinstance(v, int)]
    chart = Markup(bar_chart(chart_items, title=t(title_key, lang), empty=t("rep.no_data", lang), label_width=200))
    return {"facts": facts, "rows": rows, "chart": chart, "chart_title": title_key}


# ------------------------------------------------------------------------------------------------ routes


def register(kit: ConsoleKit) -> None:
    app = kit.app

    @app.get(f"{PREFIX}/reports", include_in_schema=False)
    async def reports(ctx: Ctx = kit.reader) -> Response:
        dirs = report_dirs(kit)
        found = await asyncio.to_thread(scan, dirs, ctx.lang)
        return kit.render(ctx, "reports.html.j2", reports=found, dirs=dirs)

    def detail_page(ctx: Ctx, kind: str, name: str) -> Response:
        dirs = report_dirs(kit)
        d = locate(dirs, kind, name)
        found = kind_of(d) if d is not None else None
        if d is None or found is None:
            return kit.error_page(ctx, 404, "err.not_found")
        try:
            data = detail_data(d, kind, found[1], ctx.lang)
        except Exception:  # damaged files: say so rather than fail
            return kit.error_page(ctx, 422, "rep.unreadable")
        return kit.render(ctx, "report_detail.html.j2", kind=kind, report_name=d.name,
                          has_html=(d / REPORT_HTML).is_file(), **data)

    @app.get(f"{PREFIX}/reports/{{kind}}/{{name}}", include_in_schema=False)
    async def report_detail(kind: str, name: str, ctx: Ctx = kit.reader) -> Response:
        return await asyncio.to_thread(detail_page, ctx, kind, name)

    @app.get(f"{PREFIX}/reports/{{kind}}/{{name}}/report.html", include_in_schema=False)
    async def report_html(kind: str, name: str, ctx: Ctx = kit.reader) -> Response:
        f = await asyncio.to_thread(report_file, report_dirs(kit), kind, name)
        if f is None:
            return kit.error_page(ctx, 404, "err.not_found")
        try:
            if f.stat().st_size > MAX_HTML_BYTES:
                return kit.error_page(ctx, 413, "rep.too_big")
            body = await asyncio.to_thread(f.read_bytes)
        except OSError:
            return kit.error_page(ctx, 404, "err.not_found")
        resp = kit.finish(None, Response(body, media_type="text/html; charset=utf-8"))
        resp.headers["Content-Security-Policy"] = REPORT_CSP
        return resp

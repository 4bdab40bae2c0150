"""The corpus audit job (R-DAT-01/02/04/06/08, R-EVL-07, R-PTD-03/04): per source, a deterministic sample is
checked with hegui's keyword layer (word library + PII detectors) and classifier layer, for personal information
without a consent basis, for exact duplicates, and for a licence; a source is rejected when more than 5 % of its
checked records carry a risk (strictly greater, ``SOURCE_MAX_BAD_RATIO``) or it has no licence.

Selection does not depend on the engine or the sharding:

* the **technical check** (R-EVL-07: ≥ 10 % of all data) takes a record when ``u(seed, "tech", source, doc_id)
  < fraction`` (``u`` a 64-bit BLAKE2b hash scaled to [0, 1)); ``full`` takes every record;
* the **review sample** (R-DAT-01/02, R-EVL-07 manual check: ≥ 4,000 per source, or the whole source) is the
  ``sample_per_source`` records of each source with the smallest ``u(seed, "sample", source, doc_id)``: a uniform
  random sample without replacement, which each shard can pre-select (its own smallest keys) and the final step
  merges exactly.

Every record in either set is checked; the per-source figures are over their union (both are chosen without
looking at the content, so the union is an unbiased sample too).
"""

from __future__ import annotations

import hashlib
import heapq
import html
import json
import math
import os
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from hegui.core.errors import HeguiError
from hegui.corpus.readers import DEFAULT_SHARD_BYTES, DEFAULT_TEXT_FIELDS, Record, Shard, read_shard

__all__ = [
    "CORPUS_MANUAL",
    "CORPUS_TECH",
    "SOURCE_MAX_BAD_RATIO",
    "AuditOptions",
    "Checker",
    "SourceInfo",
    "UsageError",
    "audit_shard",
    "finalize",
    "load_sources",
    "selection_key",
    "wilson",
]

SOURCE_MAX_BAD_RATIO: Final = 0.05  # R-DAT-01/02: reject a source if strictly greater
CORPUS_MANUAL: Final = {"n_min": 4000, "pass_min": 0.96}  # R-EVL-07 a)
CORPUS_TECH: Final = {"frac_min": 0.10, "pass_min": 0.98}  # R-EVL-07 b)
KEYWORD_DETECTORS: Final = ("lexicon", "pii")
CLASSIFIER_DETECTORS: Final = ("classifier",)
SHARD_SCHEMA: Final = 1


class UsageError(HeguiError):
    """Bad arguments for the audit (exit status 2)."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class AuditOptions:
    """Everything that decides which records are checked and how (the engine does not)."""

    seed: int = 0
    fraction: float = 0.10
    full: bool = False
    sample_per_source: int = 4000
    text_fields: tuple[str, ...] = DEFAULT_TEXT_FIELDS
    source_field: str | None = None
    txt_per_line: bool = False
    shard_bytes: int = DEFAULT_SHARD_BYTES
    # sources under non-commercial / no-derivatives licences are rejected unless the model is not offered
    # commercially (the provider's call: --allow-restricted-licences)
    allow_restricted_licences: bool = False

    def __post_init__(self) -> None:
        if not (0.0 < self.fraction <= 1.0):
            raise UsageError(f"--fraction must be in (0, 1], not {self.fraction}", f"--fraction 须在 (0, 1] 之间，而不是 {self.fraction}")
        if self.sample_per_source < 0:
            raise UsageError("--sample-per-source must be >= 0", "--sample-per-source 须 >= 0")
        if self.shard_bytes < 1:
            raise UsageError("the shard size must be positive", "分片大小须为正数")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["text_fields"] = list(self.text_fields)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> AuditOptions:
        return cls(**{**d, "text_fields": tuple(d["text_fields"])})


def selection_key(seed: int, salt: str, source: str, doc_id: str) -> float:
    """A uniform number in [0, 1) fixed by (seed, salt, source, doc_id)."""
    h = hashlib.blake2b(f"{seed}\x1f{salt}\x1f{source}\x1f{doc_id}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "big") / 2.0**64


_WS = re.compile(r"\s+")


def text_hash(text: str) -> str:
    """Hash of the normalised text (NFKC, case-folded, whitespace removed) for exact-duplicate detection."""
    norm = _WS.sub("", unicodedata.normalize("NFKC", text).casefold())
    return hashlib.blake2b(norm.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float] | None:
    """Wilson score interval (95 % by default) for ``k`` successes in ``n`` trials; ``None`` when ``n == 0``."""
    if n <= 0:
        return None
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, centre - half), min(1.0, centre + half)


# --- the checks -------------------------------------------------------------------------------------------------


class Checker:
    """hegui's keyword layer (word library + PII) and classifier layer as two moderators, built once."""

    def __init__(self) -> None:
        from hegui.api import Moderator

        base = Moderator.from_config(None, load=False)
        self.keyword = Moderator([d for d in base.detectors if d.name in KEYWORD_DETECTORS], base.policy).load()
        self.classifier = Moderator([d for d in base.detectors if d.name in CLASSIFIER_DETECTORS], base.policy).load()

    def check(self, text: str) -> dict[str, Any]:
        """``kw`` / ``cl``: the risk codes when the layer blocks (``None``: passes); ``pii``: PII kinds found."""
        kw = self.keyword.check(text, "corpus")
        cl = self.classifier.check(text, "corpus")
        pii = sorted(f.kind or f.evidence for f in kw.findings if f.detector == "pii")
        return {
            "kw": list(kw.categories) if kw.action.value == "block" else None,
            "cl": list(cl.categories) if cl.action.value == "block" else None,
            "pii": pii,
        }


def audit_shard(shard: Shard, opts: AuditOptions, checker: Checker) -> dict[str, Any]:
    """Read one shard, select and check its records. The result is JSON-serialisable; ``records`` (the texts of
    the rows, in the same order) is written apart from the rest."""
    k = opts.sample_per_source
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"read": 0, "unreadable": 0})
    unreadable: list[dict[str, Any]] = []
    tech: list[tuple[float, Record]] = []
    heaps: dict[str, list[tuple[float, tuple[int, int, int], Record]]] = defaultdict(list)
    for rec in read_shard(shard, text_fields=opts.text_fields, source_field=opts.source_field):
        c = counts[rec.source]
        c["read"] += 1
        if rec.text is None:
            c["unreadable"] += 1
            unreadable.append({"source": rec.source, "doc_id": rec.doc_id, "pos": list(rec.pos), "error": rec.error})
            continue
        skey = selection_key(opts.seed, "sample", rec.source, rec.doc_id)
        if opts.full or selection_key(opts.seed, "tech", rec.source, rec.doc_id) < opts.fraction:
            tech.append((skey, rec))
        elif k > 0:
            heap = heaps[rec.source]
            item = (-skey, rec.pos, rec)
            if len(heap) < k:
                heapq.heappush(heap, item)
            elif -heap[0][0] > skey:
                heapq.heapreplace(heap, item)
    chosen = [(skey, True, rec) for skey, rec in tech]
    chosen += [(-neg, False, rec) for heap in heaps.values() for neg, _, rec in heap]
    chosen.sort(key=lambda x: x[2].pos)
    rows: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    for skey, is_tech, rec in chosen:
        assert rec.text is not None
        row = {"source": rec.source, "doc_id": rec.doc_id, "pos": list(rec.pos), "skey": skey, "tech": is_tech,
               "hash": text_hash(rec.text), "bytes": len(rec.text.encode("utf-8", "surrogatepass"))}
        row.update(checker.check(rec.text))
        rows.append(row)
        records.append({"source": rec.source, "doc_id": rec.doc_id, "text": rec.text, "metadata": rec.metadata})
    return {"schema": SHARD_SCHEMA, "id": shard.id, "counts": dict(counts), "unreadable": unreadable, "rows": rows,
            "records": records}


# --- sources: licence, consent, origin ---------------------------------------------------------------------------


_NO = {"", "none", "no", "false", "absent", "unknown", "无", "否"}


_RESTRICTED = re.compile(r"(?i)(?:\b|_|-)(?:NC|ND)(?:\b|_|-)|non-?commercial|no-?deriv|非商业|禁止演绎|不得商用")


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What is known about a source (``--sources`` file or the provenance ledger)."""

    licence: str | None = None
    consent: str | None = None  # the consent / legal basis for personal information (R-DAT-08)
    origin: str | None = None
    type: str | None = None  # open, self, commercial, user_input (R-DAT-04)
    from_: str = ""  # "sources-file" or "ledger"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def has_licence(self) -> bool:
        return self.licence is not None and self.licence.strip().lower() not in _NO

    @property
    def restricted_licence(self) -> bool:
        """A licence that forbids commercial use or derivative works (CC BY-NC, -ND, "non-commercial" ...):
        unfit for training a model offered as a service unless the provider says otherwise (R-DAT-04)."""
        return self.has_licence and _RESTRICTED.search(self.licence or "") is not None

    @property
    def has_consent(self) -> bool:
        return self.consent is not None and self.consent.strip().lower() not in _NO

    def to_dict(self) -> dict[str, Any]:
        return {"licence": self.licence, "consent": self.consent, "origin": self.origin, "type": self.type,
                "from": self.from_ or None}


def _str(v: Any) -> str | None:
    if v is None or v is False:
        return None
    if v is True:
        return "yes"
    return str(v)


def source_info_from_mapping(m: Mapping[str, Any], origin_of_info: str) -> SourceInfo:
    lic = m.get("licence", m.get("license", m.get("authorisation", m.get("authorization"))))
    return SourceInfo(
        licence=_str(lic), consent=_str(m.get("consent", m.get("consent_basis"))), origin=_str(m.get("origin")),
        type=_str(m.get("type")), from_=origin_of_info,
        extra={k: v for k, v in m.items() if isinstance(v, str | int | float | bool)},
    )


def load_sources(path: str | Path) -> dict[str, SourceInfo]:
    """Read a ``--sources`` YAML file: ``{sources: {NAME: {licence, consent, origin, type}}}`` (or the mapping
    without the ``sources`` key)."""
    import yaml

    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UsageError(f"{p}: cannot read the sources file ({type(exc).__name__})",
                         f"{p}：无法读取来源文件（{type(exc).__name__}）") from exc
    if isinstance(data, dict) and isinstance(data.get("sources"), dict | list):
        data = data["sources"]
    if isinstance(data, list):
        data = {str(d.get("name")): d for d in data if isinstance(d, dict)}
    if not isinstance(data, dict):
        raise UsageError(f"{p}: expected a mapping of source names", f"{p}：应为以来源名称为键的映射")
    out: dict[str, SourceInfo] = {}
    for name, v in data.items():
        if not isinstance(v, dict):
            raise UsageError(f"{p}: source {name!r} must be a mapping", f"{p}：来源 {name!r} 应为映射")
        out[str(name)] = source_info_from_mapping(v, "sources-file")
    return out


# --- final step ---------------------------------------------------------------------------------------------------


def _safe(name: str) -> str:
    s = re.sub(r"[^\w.-]+", "_", name, flags=re.UNICODE).strip("._")
    return s or "source"


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _ratio(k: int, n: int) -> float | None:
    return k / n if n else None


def _ci(k: int, n: int) -> list[float] | None:
    w = wilson(k, n)
    return None if w is None else [round(w[0], 6), round(w[1], 6)]


def finalize(
    out: Path,
    shard_ids: Sequence[str],
    opts: AuditOptions,
    sources: Mapping[str, SourceInfo],
    meta: Mapping[str, Any],
    *,
    lookup: Callable[[str], SourceInfo | None] | None = None,
) -> dict[str, Any]:
    """Merge the shard results in ``out/shards`` into ``summary.json``, ``accepted/``, ``rejected.jsonl``,
    ``review_sample.jsonl`` and ``report.html``; return the summary."""
    shard_dir = out / "shards"
    results = [json.loads((shard_dir / f"{sid}.json").read_text(encoding="utf-8")) for sid in shard_ids]
    read: dict[str, int] = defaultdict(int)
    unreadable_n: dict[str, int] = defaultdict(int)
    rows_by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        for s, c in r["counts"].items():
            read[s] += c["read"]
            unreadable_n[s] += c["unreadable"]
        for row in r["rows"]:
            rows_by_source[row["source"]].append(row)
    k = opts.sample_per_source
    final: dict[str, list[dict[str, Any]]] = {}
    for s, rows in rows_by_source.items():
        non_tech = sorted((r for r in rows if not r["tech"]), key=lambda r: r["skey"])
        tech_sorted = sorted((r for r in rows if r["tech"]), key=lambda r: r["skey"])
        # the global review sample: the k smallest keys over all the source's records
        sample = heapq.nsmallest(k, [*non_tech, *tech_sorted], key=lambda r: (r["skey"], r["pos"]))
        sample_ids = {id(r) for r in sample}
        keep = [r for r in rows if r["tech"] or id(r) in sample_ids]
        for r in keep:
            r["sample"] = id(r) in sample_ids
        final[s] = sorted(keep, key=lambda r: r["pos"])
    # exact duplicates across the whole selection: the first occurrence (input order) is kept
    first: dict[str, tuple[int, ...]] = {}
    for rows in final.values():
        for r in rows:
            p = tuple(r["pos"])
            if r["hash"] not in first or p < first[r["hash"]]:
                first[r["hash"]] = p
    all_sources = sorted(set(read) | set(final))
    infos: dict[str, SourceInfo] = {}
    for s in all_sources:
        info = sources.get(s)
        if info is None and lookup is not None:
            info = lookup(s)
        infos[s] = info or SourceInfo()
    per_source: dict[str, dict[str, Any]] = {}
    tech_n = tech_bad = 0
    for s in all_sources:
        rows = final.get(s, [])
        info = infos[s]
        n = len(rows)
        kw = cl = pii = pii_nc = dup = bad = 0
        for r in rows:
            r["dup"] = tuple(r["pos"]) != first[r["hash"]]
            r["bad"] = r["kw"] is not None or r["cl"] is not None
            kw += r["kw"] is not None
            cl += r["cl"] is not None
            pii += bool(r["pii"])
            pii_nc += bool(r["pii"]) and not info.has_consent
            dup += r["dup"]
            bad += r["bad"]
            if r["tech"]:
                tech_n += 1
                tech_bad += r["bad"]
        ratio = _ratio(bad, n)
        reasons: list[str] = []
        if n == 0:
            reasons.append("no_readable_records")
        elif ratio is not None and ratio > SOURCE_MAX_BAD_RATIO:
            reasons.append("bad_ratio")
        if not info.has_licence:
            reasons.append("licence")
        elif info.restricted_licence and not opts.allow_restricted_licences:
            reasons.append("licence_restricted")
        readable = read[s] - unreadable_n[s]
        per_source[s] = {
            "records": read[s],
            "unreadable": unreadable_n[s],
            "readable": readable,
            "checked": n,
            "technical_selected": sum(1 for r in rows if r["tech"]),
            "review_sample": sum(1 for r in rows if r["sample"]),
            "review_sample_target": min(k, readable),
            "coverage": _ratio(n, readable),
            "bad": {"keyword": kw, "classifier": cl, "pii": pii, "pii_without_consent": pii_nc, "duplicate": dup,
                    "licence": 0 if info.has_licence else 1},
            "bad_n": bad,
            "bad_ratio": ratio,
            "bad_ratio_ci95": _ci(bad, n),
            "ratio_verdict": "reject" if "bad_ratio" in reasons or n == 0 else "accept",
            "verdict": "reject" if reasons else "accept",
            "reasons": reasons,
            "source_info": info.to_dict(),
        }
    total_readable = sum(v["readable"] for v in per_source.values())
    total_checked = sum(v["checked"] for v in per_source.values())
    total_bad = sum(v["bad_n"] for v in per_source.values())
    tech_pass = total_checked - total_bad
    summary: dict[str, Any] = {
        "schema": 1,
        "kind": "hegui.corpus.audit",
        **meta,
        "options": opts.to_dict(),
        "thresholds": {"source_max_bad_ratio": SOURCE_MAX_BAD_RATIO, "technical": dict(CORPUS_TECH),
                       "manual": dict(CORPUS_MANUAL)},
        "shards": len(shard_ids),
        "sources": per_source,
        "technical": {
            "requirement": "R-EVL-07",
            "checked": total_checked,
            "readable": total_readable,
            "coverage": _ratio(total_checked, total_readable),
            "coverage_ok": total_readable > 0 and total_checked / total_readable >= CORPUS_TECH["frac_min"],
            "pass": tech_pass,
            "pass_rate": _ratio(tech_pass, total_checked),
            "pass_rate_ci95": _ci(tech_pass, total_checked),
            "pass_ok": total_checked > 0 and tech_pass / total_checked >= CORPUS_TECH["pass_min"],
            "fraction_selected": {"n": tech_n, "bad": tech_bad},
        },
        "outputs": {"accepted": "accepted/", "rejected": "rejected.jsonl", "review_sample": "review_sample.jsonl",
                    "report": "report.html"},
    }
    summary["technical"]["verdict"] = "pass" if summary["technical"]["coverage_ok"] and summary["technical"]["pass_ok"] else "fail"
    _write_records(out, shard_ids, results, final, per_source)
    _atomic_write(out / "report.html", render_html(summary))
    _atomic_write(out / "summary.json", json.dumps(summary, ensure_ascii=False, indent=1, sort_keys=False) + "\n")
    return summary


def _reasons(r: Mapping[str, Any], src: Mapping[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if r["kw"] is not None:
        out.append({"check": "keyword", "codes": r["kw"]})
    if r["cl"] is not None:
        out.append({"check": "classifier", "codes": r["cl"]})
    if r["pii"] and not _has(src["source_info"]["consent"]):
        out.append({"check": "pii", "codes": ["no_consent"], "kinds": sorted(set(r["pii"]))})
    if r["dup"]:
        out.append({"check": "duplicate", "codes": ["exact"]})
    if src["verdict"] == "reject":
        out.append({"check": "source", "codes": list(src["reasons"])})
    return out


def _has(v: str | None) -> bool:
    return v is not None and v.strip().lower() not in _NO


def _write_records(
    out: Path,
    shard_ids: Sequence[str],
    results: Sequence[Mapping[str, Any]],
    final: Mapping[str, list[dict[str, Any]]],
    per_source: Mapping[str, Mapping[str, Any]],
) -> None:
    acc_dir = out / "accepted"
    acc_dir.mkdir(exist_ok=True)
    for old in acc_dir.glob("*.jsonl"):
        old.unlink()
    kept = {(r["source"], r["doc_id"]): r for rows in final.values() for r in rows}
    handles: dict[str, Any] = {}
    rej_tmp = out / f".rejected.jsonl.tmp{os.getpid()}"
    rev_tmp = out / f".review_sample.jsonl.tmp{os.getpid()}"
    try:
        with rej_tmp.open("w", encoding="utf-8") as rej, rev_tmp.open("w", encoding="utf-8") as rev:
            for s, v in per_source.items():
                if "licence" in v["reasons"]:
                    rej.write(json.dumps({"source": s, "doc_id": None, "level": "source",
                                          "reasons": [{"check": "licence", "codes": ["unknown"]}]},
                                         ensure_ascii=False) + "\n")
            for sid, res in zip(shard_ids, results, strict=True):
                for u in res["unreadable"]:
                    rej.write(json.dumps({"source": u["source"], "doc_id": u["doc_id"], "level": "record",
                                          "reasons": [{"check": "unreadable", "error": u["error"]}]},
                                         ensure_ascii=False) + "\n")
                path = out / "shards" / f"{sid}.records.jsonl"
                with path.open(encoding="utf-8") as fh:
                    for line in fh:
                        rec = json.loads(line)
                        row = kept.get((rec["source"], rec["doc_id"]))
                        if row is None:
                            continue  # a shard-local sample candidate that the global sample did not take
                        src = per_source[rec["source"]]
                        reasons = _reasons(row, src)
                        base = {"source": rec["source"], "doc_id": rec["doc_id"], "metadata": rec["metadata"],
                                "text": rec["text"]}
                        if row["sample"]:
                            rev.write(json.dumps({**base, "checks": {"keyword": row["kw"], "classifier": row["cl"],
                                                                     "pii": row["pii"]}}, ensure_ascii=False) + "\n")
                        if reasons:
                            rej.write(json.dumps({**base, "level": "record", "reasons": reasons},
                                                 ensure_ascii=False) + "\n")
                        else:
                            fh_out = handles.get(rec["source"])
                            if fh_out is None:
                                fh_out = handles[rec["source"]] = (acc_dir / f"{_safe(rec['source'])}.jsonl").open(
                                    "w", encoding="utf-8")
                            fh_out.write(json.dumps(base, ensure_ascii=False) + "\n")
        os.replace(rej_tmp, out / "rejected.jsonl")
        os.replace(rev_tmp, out / "review_sample.jsonl")
    finally:
        for h in handles.values():
            h.close()
        for t in (rej_tmp, rev_tmp):
            if t.exists():
                t.unlink()


# --- HTML report ----------------------------------------------------------------------------------------------------


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.2f}%"


def render_html(summary: Mapping[str, Any]) -> str:
    """A self-contained HTML report (inline CSS and SVG)."""
    from hegui.evaluation.charts import BarRow, bar_chart

    srcs: Mapping[str, Mapping[str, Any]] = summary["sources"]
    chart = bar_chart(
        [BarRow(label=s, rate=v["bad_ratio"], n=v["checked"], key=s) for s, v in srcs.items()],
        chart_id="bad-ratio", title="不良比例 / bad ratio per source (reject if > 5 %)",
        threshold=SOURCE_MAX_BAD_RATIO, op="<=",
    )
    e = html.escape
    rows: list[str] = []
    for s, v in srcs.items():
        ci = v["bad_ratio_ci95"]
        b = v["bad"]
        cls = "ok" if v["verdict"] == "accept" else "bad"
        verdict = "接受 / accept" if v["verdict"] == "accept" else "拒绝 / reject"
        rows.append(
            f"<tr><td>{e(s)}</td><td>{v['records']}</td><td>{v['unreadable']}</td><td>{v['checked']}</td>"
            f"<td>{b['keyword']}</td><td>{b['classifier']}</td><td>{b['pii']} / {b['pii_without_consent']}</td>"
            f"<td>{b['duplicate']}</td><td>{'—' if v['source_info']['licence'] is None else e(str(v['source_info']['licence']))}</td>"
            f"<td>{_pct(v['bad_ratio'])}</td><td>{'—' if ci is None else f'{_pct(ci[0])} – {_pct(ci[1])}'}</td>"
            f"<td class='{cls}'>{verdict}</td><td>{e(', '.join(v['reasons']))}</td></tr>"
        )
    t = summary["technical"]
    tci = t["pass_rate_ci95"]
    inputs = "".join(
        f"<li><code>{e(f['path'])}</code> <small>sha256 {e(f['sha256'])}</small></li>"
        for i in summary.get("inputs", []) for f in i.get("files", [])
    )
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>语料审计 / Corpus audit</title>
<style>body{{font-family:'Noto Sans CJK SC','Noto Sans SC',sans-serif;margin:2em;color:#263238}}
table{{border-collapse:collapse;font-size:13px}}td,th{{border:1px solid #cfd8dc;padding:4px 8px;text-align:right}}
td:first-child,th:first-child{{text-align:left}}.ok{{color:#2e7d32;font-weight:bold}}.bad{{color:#c62828;font-weight:bold}}
.chart{{max-width:900px}}small{{color:#78909c}}</style></head><body>
<h1>语料审计报告 / Corpus audit report</h1>
<p>hegui {e(str(summary.get('hegui_version', '')))} · engine / 引擎 {e(str(summary.get('engine', '')))} ·
seed / 随机种子 {summary['options']['seed']} · fraction / 技术抽检比例 {summary['options']['fraction']}{' (full / 全量)' if summary['options']['full'] else ''}
· review sample per source / 每来源人工抽样 {summary['options']['sample_per_source']}</p>
<h2>各来源结论 / Verdict per source (R-DAT-01/02: reject if bad ratio &gt; 5 %; R-DAT-04 licence; R-DAT-08 consent)</h2>
{chart}
<table><tr><th>来源 / source</th><th>记录 / records</th><th>不可读 / unreadable</th><th>已检 / checked</th>
<th>关键词 / keyword</th><th>分类器 / classifier</th><th>个人信息 / PII (no consent)</th><th>重复 / duplicate</th>
<th>许可 / licence</th><th>不良比例 / bad ratio</th><th>95% CI (Wilson)</th><th>结论 / verdict</th><th>原因 / reasons</th></tr>
{''.join(rows)}</table>
<h2>技术抽检 / Technical check (R-EVL-07: ≥ 10 % of the data, pass rate ≥ 98 %)</h2>
<p>checked / 已检 {t['checked']} of {t['readable']} ({_pct(t['coverage'])}) · pass rate / 合格率 {_pct(t['pass_rate'])}
{'' if tci is None else f'(95% CI {_pct(tci[0])} – {_pct(tci[1])})'} ·
<span class="{'ok' if t['verdict'] == 'pass' else 'bad'}">{'通过 / pass' if t['verdict'] == 'pass' else '不通过 / fail'}</span></p>
<h2>输入 / Inputs</h2><ul>{inputs}</ul>
<p><small>Outputs: summary.json, accepted/, rejected.jsonl, review_sample.jsonl (for the manual check, R-EVL-07 a).</small></p>
</body></html>
"""


def iter_accepted(out: Path) -> Iterable[dict[str, Any]]:
    """The accepted records of an audit output folder (for tests and downstream tools)."""
    for p in sorted((out / "accepted").glob("*.jsonl")):
        with p.open(encoding="utf-8") as fh:
            for line in fh:
                yield json.loads(line)

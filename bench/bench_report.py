"""Render bench results (the dict written to results.json) as Markdown tables (stdout and results.md)."""

from __future__ import annotations

from typing import Any


def _num(x: Any, nd: int = 2) -> str:
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return f"{x:,}"
    ax = abs(x)
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax >= 100:
        return f"{x:.1f}"
    if ax >= 10:
        return f"{x:.{max(nd - 1, 1)}f}"
    if ax >= 0.01 or ax == 0:
        return f"{x:.{nd}f}"
    return f"{x:.2g}"


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f} %"


def _ratio(f: dict[str, Any]) -> str:
    r = f.get("ratio")
    if r is None:
        return "–"
    return f"{r:.3f}×" if r < 0.1 else f"{r:.2f}×"


def _goal(f: dict[str, Any]) -> str:
    g = f.get("goal")
    if not g:
        return ""
    mark = "✓" if f.get("met") else ("✗" if f.get("met") is False else "?")
    return f"{g['text']} {mark}"


def _table(head: list[str], rows: list[list[str]], align: str | None = None) -> list[str]:
    al = align or ("l" + "r" * (len(head) - 1))
    sep = ["---:" if a == "r" else "---" for a in al]
    out = ["| " + " | ".join(head) + " |", "| " + " | ".join(sep) + " |"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def render(res: dict[str, Any]) -> str:
    L: list[str] = []
    env = res["environment"]
    c = res["corpus"]
    lib = res.get("library", {})
    L.append(f"# hegui bench{' (--quick)' if res.get('quick') else ''}: {res['generated']}")
    L.append("")
    L.append(
        f"Machine: {env['cpu']}, {env['logical_cpus']} logical CPUs, {env.get('memory_gib')} GiB; "
        f"Python {env['python']}; " + ", ".join(f"{k} {v}" for k, v in env["versions"].items() if v)
    )
    if env.get("loadavg_start") and env.get("loadavg_end"):
        L.append(
            f"Load average (1 min) at start {env['loadavg_start'][0]:.2f}, at end {env['loadavg_end'][0]:.2f}: "
            "anything above ~1 means other processes shared the CPUs and the timings are noisier."
        )
    L.append(
        f"Corpus: {c['docs_bytes'] / 1e6:.2f} MB UTF-8 ({c['docs_chars'] / 1e6:.2f} M chars), {c['docs']:,} documents of "
        f"~{c['doc_chars']:,} chars; short set {c['short_texts']:,} × {c['short_chars']} chars "
        f"({c['short_bytes'] / 1e6:.2f} MB). Sources: "
        + ", ".join(f"{k} {v:,}" for k, v in c["texts_used"].items())
        + " texts."
    )
    if lib:
        L.append(
            f"Library: {lib.get('name')}@{lib.get('version')} ({lib.get('updated')}): {lib.get('entries', 0):,} entries "
            f"({lib.get('term_entries', 0):,} terms, {lib.get('rule_entries', 0):,} rules) + {lib.get('allow_entries', 0):,} "
            f"allow phrases → {lib.get('surface_terms', 0):,} surface terms for the raw matchers; "
            f"detector size {_num(lib.get('detector_size'))} entries, {_num(lib.get('patterns'))} automaton patterns."
        )
    sp = res.get("speed")
    if sp:
        L.append("")
        L.append(
            f"## Speed (single thread, median of {sp['runs']} runs; normaliser implementation: "
            f"**{sp['normalizer_implementation']}**)"
        )
        L.append("")
        rows = []
        for f in sp["figures"]:
            extra = ""
            for k in ("hits", "findings"):
                if k in f:
                    extra = f"{k} {f[k]:,}"
            if "actions" in f:
                extra = ", ".join(f"{a} {n:,}" for a, n in sorted(f["actions"].items()))
            rows.append(
                [
                    f["label"] + (" *(baseline)*" if f["role"] == "baseline" else ""),
                    f"{_num(f['value'])} {f['unit']}",
                    (f"{f['baseline_label']}: {_num(f['baseline_value'])} {f['unit']}" if f.get("baseline") else "–"),
                    _ratio(f),
                    _goal(f),
                    extra,
                ]
            )
        L += _table(["figure", "value", "baseline (same run)", "ratio", "goal", "notes"], rows, "lrlrll")
        L.append("")
        m = sp["matchers"]
        rows = [
            [
                k,
                f"{v['patterns']:,}",
                _num(v["build_s"], 3),
                _num(v["rss_growth_mb"], 1),
                _num(v["docs_mbps"]),
                f"{v['docs_hits']:,}",
                f"{v['short_hits']:,}",
            ]
            for k, v in m.items()
        ]
        lp = sp["lexicon_probe"]
        rows.append(
            [
                "hegui lexicon (normalised)",
                _num(lp.get("patterns")),
                _num(lp["build_s"], 3),
                _num(lp["rss_growth_mb"], 1),
                "",
                "",
                "",
            ]
        )
        L += _table(["matcher", "patterns", "build s", "RSS growth MB", "docs MB/s", "docs hits", "short hits"], rows)
        L.append("")
        L.append(
            f"Raw matchers agree on every per-document hit count: **{'yes' if sp['raw_agree'] else 'NO'}**. "
            "Build time and RSS growth: median over fresh processes (bench_probe.py)."
        )
        b = sp["breakdown"]
        tp = b["pipeline_s"] or 1.0
        names = {
            "normalise_s": "normaliser",
            "lexicon_rest_s": "lexicon detector minus normaliser (match, allow-list, rules, findings)",
            "pii_s": "PII detector",
            "engine_overhead_s": "Engine.assess minus the detectors",
            "policy_decide_s": "policy decide() alone",
            "unaccounted_s": "Moderator.check's own work (check minus assess minus decide; includes noise)",
            "engine_policy_rest_s": "engine + policy (pipeline minus the detectors)",
        }
        L.append("")
        L.append(
            f"Where one pipeline pass over the {c['docs_bytes'] / 1e6:.0f} MB goes (medians of this run, no profiler):"
        )
        L.append("")
        rows = [[names.get(k, k), f"{v:.3f}", _pct(v / tp)] for k, v in b.items() if k != "pipeline_s"]
        rows.append(["**Moderator.check, total**", f"{tp:.3f}", "100 %"])
        L += _table(["part", "s per pass", "share"], rows)
    prof = res.get("profile")
    if prof:
        L.append("")
        L.append(
            f"### cProfile of Moderator.check ({prof['docs']:,} docs, {prof['bytes'] / 1e6:.2f} MB; "
            f"{prof['total_s']:.2f} s under the profiler)"
        )
        L.append("")
        rows = [
            [r["function"], f"{r['calls']:,}", f"{r['tottime_s']:.3f}", f"{r['cumtime_s']:.3f}", _pct(r["share"])]
            for r in prof["top"]
        ]
        L += _table(["function (own time)", "calls", "tottime s", "cumtime s", "share"], rows)
        if prof.get("top_cumulative"):
            L.append("")
            rows = [
                [r["function"], f"{r['calls']:,}", f"{r['cumtime_s']:.3f}", _pct(r["share"])]
                for r in prof["top_cumulative"]
            ]
            L += _table(["hegui function (cumulative)", "calls", "cumtime s", "share of check"], rows)
        L.append("")
        L.append(
            "cProfile adds a fixed cost to every Python call, so call-heavy code (the policy) looks more expensive "
            "here than it is; the pipeline split above is measured without the profiler."
        )
    q = res.get("quality")
    if q:
        L.append("")
        L.append(f"## Quality (lexicon + PII through Moderator.check; {q['flag_rule']}; TEST halves)")
        if q.get("cap_per_set"):
            L.append(f"(--quick: at most {q['cap_per_set']} texts per set)")
        L.append("")
        rows = []
        for r in q["labelled"]:
            rows.append(
                [
                    r["name"] + (" †" if r.get("note") else ""),
                    f"{r['n']:,}",
                    f"{r['pos']:,}",
                    _pct(r["precision"]),
                    _pct(r["recall"]),
                    _pct(r["f1"]),
                    _pct(r["fpr"]),
                    _pct(r["blocked_recall"]),
                    _pct(r["blocked_fpr"]),
                ]
            )
        L += _table(
            ["labelled set", "n", "pos", "precision", "recall", "F1", "FPR", "blocked (pos)", "blocked (neg)"], rows
        )
        for r in q["labelled"]:
            if r.get("note"):
                L.append(f"† {r['name']}: {r['note']}")
        for r in q["labelled"]:
            if "per_class" in r:
                L.append("")
                rows = [
                    [
                        c + ("" if v["positive"] else " (negative: FPR)"),
                        f"{v['n']:,}",
                        _pct(v["flagged_rate"]),
                        _pct(v["blocked_rate"]),
                    ]
                    for c, v in r["per_class"].items()
                ]
                L += _table([f"{r['name']} class", "n", "flagged (recall)", "blocked"], rows)
        L.append("")
        rows = [
            [
                r["name"],
                f"{r['n']:,}",
                _pct(r["fpr"]),
                _pct(r["blocked_rate"]),
                ", ".join(f"{k} ×{v}" for k, v in r["top_evidence"][:5]),
            ]
            for r in q["benign"]
        ]
        L += _table(["benign set", "n", "flagged (FPR)", "blocked", "top causes"], rows, "lrrrl")
        L.append("")
        rows = []
        for r in q["obfuscation"]:
            d = r.get("default", {})
            h = r.get("homophones", {})
            rows.append(
                [
                    f"{r['set']} / {r['version']}",
                    f"{r['n_toxic']:,}",
                    _pct(d.get("recall_base")),
                    _pct(d.get("recall_obf")),
                    _pct(h.get("recall_base")),
                    _pct(h.get("recall_obf")),
                    _pct(d.get("fpr_obf")) if "fpr_obf" in d else "–",
                    _pct(h.get("fpr_obf")) if "fpr_obf" in h else "–",
                ]
            )
        L += _table(
            [
                "obfuscation set / version",
                "toxic n",
                "recall plain",
                "recall obfuscated",
                "homophones: plain",
                "homophones: obfuscated",
                "FPR non-toxic obf.",
                "homophones: FPR",
            ],
            rows,
        )
        tl = [r for r in q["obfuscation"] if "fpr_base" in r.get("default", {})]
        if tl:
            r0 = tl[0]
            L.append(
                f"toxicloakcn non-toxic rows ({r0['n_nontoxic']:,}) un-obfuscated: FPR {_pct(r0['default']['fpr_base'])} "
                f"(homophones {_pct(r0.get('homophones', {}).get('fpr_base'))})."
            )
        fails = {k: v for k, v in q.get("detector_failures", {}).items() if v}
        if fails:
            L.append(f"**Detector failures during the quality run** (the policy failed closed): {fails}")
    goals = res.get("goals", [])
    if goals:
        L.append("")
        L.append("## Goals")
        L.append("")
        for g in goals:
            L.append(f"- {'✓' if g['met'] else '✗'} {g['text']}: {g['detail']}")
    L.append("")
    L.append(f"Total bench time: {res.get('elapsed_s', 0):.0f} s.")
    return "\n".join(L) + "\n"

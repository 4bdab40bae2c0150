"""Speed: raw matchers, normalisation, hegui's detectors and the full pipeline, all in this one process,
single-threaded, each figure the median of N timed passes; build time and RSS growth in fresh processes."""

from __future__ import annotations

import cProfile
import gc
import json
import os
import pstats
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench_lib import median, percentile

HERE = Path(__file__).resolve().parent

# -- figures -------------------------------------------------------------------------------------------------


def figure(
    fid: str,
    label: str,
    value: float,
    unit: str,
    *,
    baseline: dict[str, Any] | None = None,
    higher_is_better: bool = True,
    goal: dict[str, Any] | None = None,
    runs: Sequence[float] = (),
    role: str = "hegui",
    **extra: Any,
) -> dict[str, Any]:
    """One figure with its baseline (another figure of the same run) and ratio = value / baseline value.

    ``goal``: ``{"on": "ratio"|"value", "op": ">="|"<=", "target": x}``; ``met`` is computed here."""
    f: dict[str, Any] = {
        "id": fid,
        "label": label,
        "value": value,
        "unit": unit,
        "role": role,
        "higher_is_better": higher_is_better,
        "runs": list(runs),
    }
    if baseline is not None:
        f["baseline"] = baseline["id"]
        f["baseline_label"] = baseline["label"]
        f["baseline_value"] = baseline["value"]
        f["ratio"] = value / baseline["value"] if baseline["value"] else None
    else:
        f["baseline"] = None
        f["baseline_value"] = None
        f["ratio"] = None
    if goal is not None:
        x = f["ratio"] if goal["on"] == "ratio" else value
        met = None if x is None else (x >= goal["target"] if goal["op"] == ">=" else x <= goal["target"])
        f["goal"] = dict(goal)
        f["met"] = met
    f.update(extra)
    return f


# -- timing helpers ----------------------------------------------------------------------------------------------


def timed_passes(fn: Callable[[Sequence[str]], Any], items: Sequence[str], runs: int) -> tuple[list[float], Any]:
    """Run ``fn(items)`` ``runs`` times after a small warm-up; return the pass times and the last result."""
    fn(items[: max(1, min(len(items), 20))])
    times: list[float] = []
    result: Any = None
    for _ in range(runs):
        gc.collect()
        t0 = time.perf_counter()
        result = fn(items)
        times.append(time.perf_counter() - t0)
    return times, result


def latency_runs(fn: Callable[[str], Any], texts: Sequence[str], runs: int) -> dict[str, Any]:
    """Per-call latency in µs over every text, ``runs`` times; p50 / p99 are medians over the runs."""
    pc = time.perf_counter_ns
    for t in texts[:200]:
        fn(t)
    p50s: list[float] = []
    p99s: list[float] = []
    means: list[float] = []
    for _ in range(runs):
        gc.collect()
        lat: list[int] = []
        app = lat.append
        for t in texts:
            t0 = pc()
            fn(t)
            app(pc() - t0)
        lat.sort()
        p50s.append(percentile(lat, 50) / 1000.0)
        p99s.append(percentile(lat, 99) / 1000.0)
        means.append(sum(lat) / len(lat) / 1000.0)
    return {
        "p50_us": median(p50s),
        "p99_us": median(p99s),
        "mean_us": median(means),
        "p50_runs": p50s,
        "p99_runs": p99s,
    }


def _count_hash(counts: Sequence[int]) -> str:
    import hashlib

    return hashlib.sha1(",".join(map(str, counts)).encode()).hexdigest()[:12]


# -- the PII baseline from perf-anchors.md §3 -----------------------------------------------------------------------

_ID_RE = re.compile(r"(?<!\d)[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?!\d)")
_MOBILE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_CARD_RE = re.compile(r"(?<!\d)\d{16,19}(?!\d)")
_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_ID_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_ok(s: str) -> bool:
    try:
        total = sum(int(c) * w for c, w in zip(s[:17], _ID_W, strict=True))
    except ValueError:
        return False
    return "10X98765432"[total % 11] == s[17].upper()


def _luhn(s: str) -> bool:
    try:
        digits = [int(c) for c in s]
    except ValueError:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def anchor_pii(text: str) -> int:
    """perf-anchors' '4 separate regexes' PII pass: ID (+ GB 11643 checksum), mobile, card (+ Luhn), e-mail."""
    n = sum(1 for m in _ID_RE.finditer(text) if _id_ok(m.group()))
    n += sum(1 for _ in _MOBILE_RE.finditer(text))
    n += sum(1 for m in _CARD_RE.finditer(text) if _luhn(m.group()))
    n += sum(1 for _ in _EMAIL_RE.finditer(text))
    return n


# -- build probes (fresh processes) -------------------------------------------------------------------------------


def probe(kind: str, library: str | None, terms_file: Path, reps: int, log: Callable[[str], None]) -> dict[str, Any]:
    """Median build time and RSS growth of ``kind`` over ``reps`` fresh processes."""
    cmd = [sys.executable, str(HERE / "bench_probe.py"), kind]
    if kind == "lexicon":
        if library:
            cmd += ["--library", library]
    else:
        cmd += ["--terms", str(terms_file)]
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    rows: list[dict[str, Any]] = []
    for _ in range(reps):
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, check=False)
        if r.returncode != 0:
            raise RuntimeError(f"build probe {kind} failed:\n{r.stderr[-2000:]}")
        rows.append(json.loads(r.stdout.strip().splitlines()[-1]))
    out = dict(rows[-1])
    for k in ("build_s", "rss_growth_mb", "rss_before_mb", "rss_after_mb", "peak_rss_mb"):
        out[k] = median([float(x[k]) for x in rows])
    out["build_runs"] = [x["build_s"] for x in rows]
    out["rss_growth_runs"] = [x["rss_growth_mb"] for x in rows]
    out["reps"] = reps
    log(f"  build {kind}: {out['build_s']:.3f} s, RSS +{out['rss_growth_mb']:.1f} MB (median of {reps} processes)")
    return out


# -- the speed section ----------------------------------------------------------------------------------------


def run_speed(
    docs: list[str],
    short: list[str],
    docs_bytes: int,
    short_bytes: int,
    *,
    terms: list[str],
    moderator: Any,
    library: str | None,
    runs: int,
    probe_reps: int,
    log: Callable[[str], None],
) -> dict[str, Any]:
    import ahocorasick
    import ahocorasick_rs

    from hegui.detectors.base import DetectContext
    from hegui.detectors.normalize import Normalizer

    mb = docs_bytes / 1e6
    figs: list[dict[str, Any]] = []
    matchers: dict[str, dict[str, Any]] = {}

    log("speed: build probes (fresh processes) ...")
    if any("\n" in t for t in terms):
        raise ValueError("a library term contains a newline")
    with tempfile.TemporaryDirectory(prefix="hegui-bench-") as td:
        terms_file = Path(td) / "terms.txt"
        terms_file.write_text("\n".join(terms), encoding="utf-8")
        probes = {
            k: probe(k, library, terms_file, probe_reps, log) for k in ("ahocorasick_rs", "pyahocorasick", "lexicon")
        }

    # raw matchers on the un-normalised documents
    ac_rs = ahocorasick_rs.AhoCorasick(terms, matchkind=ahocorasick_rs.MatchKind.Standard)
    pyac = ahocorasick.Automaton()
    for i, t in enumerate(terms):
        pyac.add_word(t, i)
    pyac.make_automaton()

    def run_rs(items: Sequence[str]) -> list[int]:
        f = ac_rs.find_matches_as_indexes
        return [len(f(d, overlapping=True)) for d in items]

    def run_py(items: Sequence[str]) -> list[int]:
        it = pyac.iter
        return [len(list(it(d))) for d in items]

    log("speed: raw ahocorasick-rs ...")
    t_rs, c_rs = timed_passes(run_rs, docs, runs)
    log("speed: raw pyahocorasick ...")
    t_py, c_py = timed_passes(run_py, docs, runs)
    s_rs = run_rs(short)
    s_py = run_py(short)
    agree = c_rs == c_py and s_rs == s_py
    for key, t, c, s in (("ahocorasick_rs", t_rs, c_rs, s_rs), ("pyahocorasick", t_py, c_py, s_py)):
        pr = probes[key]
        matchers[key] = {
            "patterns": len(terms),
            "docs_mbps": mb / median(t),
            "docs_hits": sum(c),
            "short_hits": sum(s),
            "hits_sha1": _count_hash(c),
            "build_s": pr["build_s"],
            "rss_growth_mb": pr["rss_growth_mb"],
            "peak_rss_mb": pr["peak_rss_mb"],
        }
    f_rs = figure(
        "raw.ahocorasick_rs.docs_mbps",
        "raw ahocorasick-rs (overlapping), docs",
        mb / median(t_rs),
        "MB/s",
        runs=[mb / x for x in t_rs],
        role="baseline",
        hits=sum(c_rs),
    )
    f_py = figure(
        "raw.pyahocorasick.docs_mbps",
        "raw pyahocorasick (iter), docs",
        mb / median(t_py),
        "MB/s",
        runs=[mb / x for x in t_py],
        role="baseline",
        baseline=f_rs,
        hits=sum(c_py),
    )
    fastest = f_rs if f_rs["value"] >= f_py["value"] else f_py
    figs += [f_rs, f_py]

    # normalisation
    norm = Normalizer()
    norm.load()
    impl = norm.implementation
    log(f"speed: NFKC and the hegui normaliser ({impl}) ...")

    def run_nfkc(items: Sequence[str]) -> int:
        nf = unicodedata.normalize
        return sum(len(nf("NFKC", d)) for d in items)

    def run_norm(items: Sequence[str]) -> int:
        f = norm.normalize
        return sum(len(f(d).text) for d in items)

    t_nfkc, chars_nfkc = timed_passes(run_nfkc, docs, runs)
    t_norm, chars_norm = timed_passes(run_norm, docs, runs)
    f_nfkc = figure(
        "baseline.nfkc.docs_mbps",
        "NFKC alone (unicodedata), docs",
        mb / median(t_nfkc),
        "MB/s",
        runs=[mb / x for x in t_nfkc],
        role="baseline",
        out_chars=chars_nfkc,
    )
    f_norm = figure(
        "hegui.normalize.docs_mbps",
        f"hegui normaliser alone ({impl}), docs",
        mb / median(t_norm),
        "MB/s",
        baseline=f_nfkc,
        runs=[mb / x for x in t_norm],
        out_chars=chars_norm,
        implementation=impl,
    )
    figs += [f_nfkc, f_norm]
    if impl == "native":
        slow = Normalizer(use_native=False)
        slow.load()

        def run_slow(items: Sequence[str]) -> int:
            f = slow.normalize
            return sum(len(f(d).text) for d in items)

        t_slow, chars_slow = timed_passes(run_slow, docs, max(1, min(runs, 3)))
        figs.append(
            figure(
                "hegui.normalize_numpy.docs_mbps",
                "hegui normaliser, NumPy fallback, docs",
                mb / median(t_slow),
                "MB/s",
                baseline=f_nfkc,
                runs=[mb / x for x in t_slow],
                implementation="numpy",
                same_output=chars_slow == chars_norm,
            )
        )

    # hegui detectors, as loaded by the moderator
    by_name = {d.name: d for d in moderator.detectors}
    lex = by_name["lexicon"]
    pii = by_name.get("pii")
    ctx = DetectContext()

    def run_lex(items: Sequence[str]) -> int:
        f = lex.detect
        return sum(len(f(d, ctx)) for d in items)

    log("speed: hegui lexicon detector ...")
    t_lex, n_lex = timed_passes(run_lex, docs, runs)
    figs.append(
        figure(
            "hegui.lexicon.docs_mbps",
            "hegui lexicon detector alone, docs",
            mb / median(t_lex),
            "MB/s",
            baseline=fastest,
            runs=[mb / x for x in t_lex],
            findings=n_lex,
        )
    )

    def run_anchor(items: Sequence[str]) -> int:
        return sum(anchor_pii(d) for d in items)

    log("speed: PII ...")
    t_anchor, n_anchor = timed_passes(run_anchor, docs, runs)
    f_anchor = figure(
        "baseline.pii_regex.docs_mbps",
        "perf-anchors PII regexes, docs",
        mb / median(t_anchor),
        "MB/s",
        runs=[mb / x for x in t_anchor],
        role="baseline",
        findings=n_anchor,
    )
    figs.append(f_anchor)
    if pii is not None:

        def run_pii(items: Sequence[str]) -> int:
            f = pii.detect
            return sum(len(f(d, ctx)) for d in items)

        t_pii, n_pii = timed_passes(run_pii, docs, runs)
        figs.append(
            figure(
                "hegui.pii.docs_mbps",
                "hegui PII detector alone, docs",
                mb / median(t_pii),
                "MB/s",
                baseline=f_anchor,
                runs=[mb / x for x in t_pii],
                findings=n_pii,
            )
        )
    else:
        t_pii = []

    def run_pipe(items: Sequence[str]) -> dict[str, int]:
        chk = moderator.check
        acts: dict[str, int] = {}
        for d in items:
            a = chk(d, stage="input").action.value
            acts[a] = acts.get(a, 0) + 1
        return acts

    log("speed: full pipeline (Moderator.check) ...")
    t_pipe, acts = timed_passes(run_pipe, docs, runs)
    f_pipe = figure(
        "hegui.check.docs_mbps",
        "hegui Moderator.check (pipeline + policy decide()), docs",
        mb / median(t_pipe),
        "MB/s",
        baseline=fastest,
        runs=[mb / x for x in t_pipe],
        actions=acts,
    )

    # the pipeline split in two, with hegui's public pieces: detectors (Engine.assess) and the policy (decide)
    log("speed: pipeline split: Engine.assess and policy decide() ...")
    t_assess, t_decide = _split_pipeline(moderator, docs, runs)
    if t_assess:
        # The "full pipeline": normalise + match + allow-list + PII, i.e. the detectors of Moderator.check.
        # Its goal is a ratio to the fastest raw matcher, so the two are timed in interleaved passes (raw, hegui,
        # raw, hegui, ...): the machine's speed drifts by ±15 % over a run, and timing all of one before all of the
        # other would put that drift into the ratio.
        log("speed: full pipeline interleaved with the fastest raw matcher ...")
        raw_fn = ac_rs.find_matches_as_indexes if fastest is f_rs else None
        t_raw_i, t_pipe_i = _interleaved(raw_fn, moderator, docs, runs) if raw_fn is not None else ([], [])
        if t_raw_i:
            f_raw_i = figure(
                "raw.ahocorasick_rs.docs_mbps.interleaved",
                "raw ahocorasick-rs (overlapping), docs, passes interleaved with the pipeline's",
                mb / median(t_raw_i),
                "MB/s",
                runs=[mb / x for x in t_raw_i],
                role="baseline",
            )
            figs.append(f_raw_i)
            base, t_goal = f_raw_i, t_pipe_i
        else:
            base, t_goal = fastest, t_assess
        figs.append(
            figure(
                "hegui.pipeline.docs_mbps",
                "hegui full pipeline (normalise + match + allow-list + PII: Engine.assess), docs",
                mb / median(t_goal),
                "MB/s",
                baseline=base,
                goal={"on": "ratio", "op": ">=", "target": 0.5, "text": "≥ 50 % of fastest raw"},
                runs=[mb / x for x in t_goal],
            )
        )
    figs.append(f_pipe)

    # latency on the 200-char texts
    log(f"speed: latency on {len(short)} short texts ...")
    f_rs1 = ac_rs.find_matches_as_indexes
    lat_rs = latency_runs(lambda t: f_rs1(t, overlapping=True), short, runs)
    lat_lex = latency_runs(lambda t: lex.detect(t, ctx), short, runs)
    lat_pipe = latency_runs(lambda t: moderator.check(t, stage="input"), short, runs)
    b50 = figure(
        "latency.raw_ahocorasick_rs.p50_us",
        "raw ahocorasick-rs, 200 chars, p50",
        lat_rs["p50_us"],
        "µs",
        role="baseline",
        higher_is_better=False,
        runs=lat_rs["p50_runs"],
    )
    b99 = figure(
        "latency.raw_ahocorasick_rs.p99_us",
        "raw ahocorasick-rs, 200 chars, p99",
        lat_rs["p99_us"],
        "µs",
        role="baseline",
        higher_is_better=False,
        runs=lat_rs["p99_runs"],
    )
    figs += [
        b50,
        b99,
        figure(
            "latency.lexicon.p50_us",
            "hegui lexicon detector, 200 chars, p50",
            lat_lex["p50_us"],
            "µs",
            baseline=b50,
            higher_is_better=False,
            runs=lat_lex["p50_runs"],
        ),
        figure(
            "latency.lexicon.p99_us",
            "hegui lexicon detector, 200 chars, p99",
            lat_lex["p99_us"],
            "µs",
            baseline=b99,
            higher_is_better=False,
            runs=lat_lex["p99_runs"],
        ),
        figure(
            "latency.pipeline.p50_us",
            "hegui Moderator.check, 200 chars, p50",
            lat_pipe["p50_us"],
            "µs",
            baseline=b50,
            higher_is_better=False,
            runs=lat_pipe["p50_runs"],
        ),
        figure(
            "latency.pipeline.p99_us",
            "hegui Moderator.check, 200 chars, p99",
            lat_pipe["p99_us"],
            "µs",
            baseline=b99,
            higher_is_better=False,
            goal={"on": "value", "op": "<=", "target": 1000.0, "text": "≤ 1 ms"},
            runs=lat_pipe["p99_runs"],
        ),
    ]

    # build time and memory (fresh processes)
    bb = figure(
        "build.raw_ahocorasick_rs.s",
        "build: raw ahocorasick-rs",
        probes["ahocorasick_rs"]["build_s"],
        "s",
        role="baseline",
        higher_is_better=False,
        runs=probes["ahocorasick_rs"]["build_runs"],
    )
    rb = figure(
        "rss.raw_ahocorasick_rs.mb",
        "RSS growth: raw ahocorasick-rs",
        probes["ahocorasick_rs"]["rss_growth_mb"],
        "MB",
        role="baseline",
        higher_is_better=False,
        runs=probes["ahocorasick_rs"]["rss_growth_runs"],
    )
    figs += [
        bb,
        figure(
            "build.raw_pyahocorasick.s",
            "build: raw pyahocorasick",
            probes["pyahocorasick"]["build_s"],
            "s",
            baseline=bb,
            role="baseline",
            higher_is_better=False,
            runs=probes["pyahocorasick"]["build_runs"],
        ),
        figure(
            "build.lexicon.s",
            "build: hegui LexiconDetector().load()",
            probes["lexicon"]["build_s"],
            "s",
            baseline=bb,
            higher_is_better=False,
            runs=probes["lexicon"]["build_runs"],
        ),
        rb,
        figure(
            "rss.raw_pyahocorasick.mb",
            "RSS growth: raw pyahocorasick",
            probes["pyahocorasick"]["rss_growth_mb"],
            "MB",
            baseline=rb,
            role="baseline",
            higher_is_better=False,
            runs=probes["pyahocorasick"]["rss_growth_runs"],
        ),
        figure(
            "rss.lexicon.mb",
            "RSS growth: hegui LexiconDetector().load()",
            probes["lexicon"]["rss_growth_mb"],
            "MB",
            baseline=rb,
            higher_is_better=False,
            runs=probes["lexicon"]["rss_growth_runs"],
        ),
    ]

    # where the pipeline's time goes, from the component timings of this run (seconds per pass)
    tp = median(t_pipe)
    tl = median(t_lex)
    tn = median(t_norm)
    tpi = median(t_pii) if t_pii else 0.0
    ta = median(t_assess) if t_assess else None
    td = median(t_decide) if t_decide else None
    breakdown: dict[str, float] = {
        "pipeline_s": tp,
        "normalise_s": tn,
        "lexicon_rest_s": max(0.0, tl - tn),  # matching, allow-list, rules, findings
        "pii_s": tpi,
    }
    if ta is not None and td is not None:
        breakdown["engine_overhead_s"] = max(0.0, ta - tl - tpi)
        breakdown["policy_decide_s"] = td
        breakdown["unaccounted_s"] = tp - ta - td  # what check() does besides assess + decide, plus noise
    else:
        breakdown["engine_policy_rest_s"] = max(0.0, tp - tl - tpi)
    return {
        "runs": runs,
        "normalizer_implementation": impl,
        "fastest_raw": fastest["id"],
        "raw_agree": agree,
        "matchers": matchers,
        "lexicon_probe": probes["lexicon"],
        "figures": figs,
        "breakdown": breakdown,
    }


def _split_pipeline(moderator: Any, docs: Sequence[str], runs: int) -> tuple[list[float], list[float]]:
    """Pass times of ``moderator.engine.assess`` alone and of ``hegui.policy.decide`` alone on the
    precomputed assessments (what ``Moderator.check`` does, in two halves). Empty lists if unavailable."""
    try:
        from hegui.core.types import Stage
        from hegui.policy import decide
    except ImportError:
        return [], []
    engine = getattr(moderator, "engine", None)
    policy = getattr(moderator, "policy", None)
    if engine is None or policy is None:
        return [], []
    stage = Stage.INPUT

    def run_assess(items: Sequence[str]) -> int:
        a = engine.assess
        return sum(len(a(d, stage, lang="zh").findings) for d in items)  # nothing kept alive while timing

    t_assess, _ = timed_passes(run_assess, docs, runs)
    pairs = [(engine.assess(d, stage, lang="zh"), d) for d in docs]
    times: list[float] = []
    for _ in range(runs):
        gc.collect()
        t0 = time.perf_counter()
        for a, d in pairs:
            decide(a, stage, policy, text=d, lang=None)
        times.append(time.perf_counter() - t0)
    return t_assess, times


def profile_pipeline(moderator: Any, docs: Sequence[str], max_bytes: int, top: int = 15) -> dict[str, Any]:
    """cProfile of Moderator.check over the first ``max_bytes`` of the documents: top functions by own time."""
    sel: list[str] = []
    size = 0
    for d in docs:
        sel.append(d)
        size += len(d.encode("utf-8"))
        if size >= max_bytes:
            break
    chk = moderator.check
    pr = cProfile.Profile()
    pr.enable()
    for d in sel:
        chk(d, stage="input")
    pr.disable()
    st = pstats.Stats(pr)
    total = float(st.total_tt)  # type: ignore[attr-defined]
    rows: list[dict[str, Any]] = []
    stats: dict[Any, Any] = st.stats  # type: ignore[attr-defined]
    for (file, line, fn), (_cc, nc, tt, ct, _callers) in sorted(stats.items(), key=lambda kv: -kv[1][2])[:top]:
        short_file = file
        if "/site-packages/" in file:
            short_file = file.split("/site-packages/", 1)[1]
        elif "/src/" in file:
            short_file = file.split("/src/", 1)[1]
        rows.append(
            {
                "function": f"{short_file}:{line}({fn})" if line else fn,
                "calls": nc,
                "tottime_s": tt,
                "cumtime_s": ct,
                "share": tt / total if total else None,
            }
        )
    cum: list[dict[str, Any]] = []
    top_cum = max((v[3] for (f, _l, _n), v in stats.items() if "/hegui/" in f), default=0.0)
    for (file, line, fn), (_cc, nc, _tt, ct, _callers) in sorted(stats.items(), key=lambda kv: -kv[1][3]):
        if "/hegui/" not in file:
            continue
        cum.append(
            {
                "function": f"{file.split('/src/', 1)[-1]}:{line}({fn})",
                "calls": nc,
                "cumtime_s": ct,
                "share": ct / top_cum if top_cum else None,  # of the outermost hegui call (Moderator.check)
            }
        )
        if len(cum) >= top:
            break
    return {"docs": len(sel), "bytes": size, "total_s": total, "top": rows, "top_cumulative": cum}


def combined_latency(moderator: Any, short: Sequence[str], runs: int) -> list[dict[str, Any]]:
    """Issue 3's figure: per-text latency of the combined engine (lexicon + PII + classifier + similar-text)
    through ``Moderator.check`` on the 200-character texts (goal: p99 ≤ 5 ms on one core)."""
    lat = latency_runs(lambda t: moderator.check(t, stage="input"), short, runs)
    names = "+".join(d.name for d in moderator.detectors)
    return [
        figure(
            "latency.combined.p50_us",
            f"hegui combined engine ({names}) Moderator.check, 200 chars, p50",
            lat["p50_us"],
            "µs",
            higher_is_better=False,
            runs=lat["p50_runs"],
        ),
        figure(
            "latency.combined.p99_us",
            f"hegui combined engine ({names}) Moderator.check, 200 chars, p99",
            lat["p99_us"],
            "µs",
            higher_is_better=False,
            goal={"on": "value", "op": "<=", "target": 5000.0, "text": "≤ 5 ms"},
            runs=lat["p99_runs"],
        ),
    ]


def _interleaved(raw_fn: Callable[..., Any], moderator: Any, docs: Sequence[str], runs: int) -> tuple[list[float], list[float]]:
    """Pass times of the raw matcher and of ``Engine.assess``, alternating pass by pass."""
    from hegui.core.types import Stage

    assess = moderator.engine.assess
    stage = Stage.INPUT
    t_raw: list[float] = []
    t_pipe: list[float] = []
    for d in docs[:20]:
        raw_fn(d, overlapping=True)
        assess(d, stage, lang="zh")
    for _ in range(runs):
        gc.collect()
        t0 = time.perf_counter()
        for d in docs:
            raw_fn(d, overlapping=True)
        t_raw.append(time.perf_counter() - t0)
        gc.collect()
        t0 = time.perf_counter()
        for d in docs:
            assess(d, stage, lang="zh")
        t_pipe.append(time.perf_counter() - t0)
    return t_raw, t_pipe

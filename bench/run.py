"""hegui benchmark: speed and quality figures, each beside a named baseline measured in the same run.

    .venv/bin/python bench/run.py            # full run (~ a few minutes on 2 cores): bench/results.{json,md}
    .venv/bin/python bench/run.py --quick    # small corpus, 2 runs, capped quality sets (smoke test)

Data is read at run time from ``../shared/data`` (relative to the repository root; ``--data`` overrides it) and
never copied into the repository; the built corpus is cached under ``bench/_cache/`` (git-ignored).
See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# single-threaded: pin native thread pools before NumPy is imported
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import bench_corpus  # noqa: E402
from bench_lib import environment, library_terms  # noqa: E402
from bench_report import render  # noqa: E402

FULL = {
    "target_bytes": 20_000_000,
    "n_short": 5_000,
    "runs": 5,
    "probe_reps": 3,
    "cap": None,
    "profile_bytes": 2_000_000,
}
QUICK = {"target_bytes": 1_000_000, "n_short": 300, "runs": 2, "probe_reps": 1, "cap": 150, "profile_bytes": 300_000}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


CORE = ("lexicon", "pii")  # issue 2's "full pipeline": normalise + match + allow-list + PII
COMBINED = ("lexicon", "pii", "classifier", "similar")  # issue 3's combined engine (the shipped default)


def _config_file(tmp: Path, name: str, library: str | None, homophones: bool, detectors: tuple[str, ...]) -> Path:
    """A hegui config file with the lexicon's params (what a deployment would write)."""
    params: dict[str, Any] = {}
    if homophones:
        params["homophones"] = True
    if library:
        params["paths"] = [str(Path(library).resolve())]
        params["include_default"] = False
    dets: list[dict[str, Any]] = [{"name": "lexicon", "params": params}]
    dets += [{"name": d} for d in detectors if d != "lexicon"]
    cfg = {"moderation": {"detectors": dets}}
    p = tmp / f"{name}.yaml"
    p.write_text(json.dumps(cfg, ensure_ascii=False), encoding="utf-8")  # JSON is YAML
    return p


def build_moderator(
    tmp: Path, name: str, library: str | None, homophones: bool, detectors: tuple[str, ...] = CORE
) -> Any:
    from hegui import Moderator

    return Moderator.from_config(_config_file(tmp, name, library, homophones, detectors))


def _refusal_summary(r: dict[str, Any]) -> dict[str, Any]:
    """The refusal detector's headline figures from bench_refusal.py's JSON."""
    out: dict[str, Any] = {}
    for name, v in r.get("sets", {}).items():
        if name in ("xstest/test", "zh/test"):
            for k in ("binary_accuracy", "three_way_accuracy", "n"):
                if k in v:
                    out[f"{name} {k}"] = v[k]
    out["goal: XSTest held-out 2-way accuracy ≥ 95 %"] = (
        "met" if r.get("sets", {}).get("xstest/test", {}).get("binary_accuracy", 0) >= 0.95 else "not met"
    )
    return out


def wait_for_hegui(timeout: float) -> None:
    """Poll until the components under test import and load (other engineers may be finishing them)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            from hegui.detectors.lexicon.detector import default_library_path
            from hegui.detectors.pii import PIIDetector  # noqa: F401

            if default_library_path().exists():
                return
            err = f"{default_library_path()} does not exist yet"
        except ImportError as exc:
            err = f"{type(exc).__name__}: {exc}"
        if time.monotonic() >= deadline:
            raise SystemExit(f"bench: hegui is not ready: {err}")
        log(f"waiting for hegui: {err}")
        time.sleep(10)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small corpus, 2 runs, capped quality sets")
    ap.add_argument("--out", type=Path, default=HERE, help="folder for results.json and results.md (default: bench/)")
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data", help="the shared data folder")
    ap.add_argument(
        "--reference", type=Path, default=None, help="the shared reference folder (default: DATA/../reference)"
    )
    ap.add_argument("--cache", type=Path, default=HERE / "_cache", help="corpus cache folder")
    ap.add_argument("--runs", type=int, default=None, help="timed passes per figure (default 5; --quick 2)")
    ap.add_argument("--library", default=None, help="benchmark this library file instead of the shipped default")
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--no-quality", action="store_true")
    ap.add_argument("--no-gateway", action="store_true", help="skip the gateway benchmark (hegui serve + fake upstream)")
    ap.add_argument("--no-labeling", action="store_true", help="skip the labeling benchmark (ms per 1024×1024 image)")
    ap.add_argument("--no-corpus-audit", action="store_true", help="skip the corpus-audit benchmark (local and Ray engines)")
    ap.add_argument(
        "--profile", action="store_true", help="always cProfile the pipeline (default: only when it misses its goal)"
    )
    ap.add_argument(
        "--wait", type=float, default=0.0, help="seconds to wait for hegui's components to become importable"
    )
    a = ap.parse_args(argv)

    t_start = time.perf_counter()
    p = dict(QUICK if a.quick else FULL)
    if a.runs:
        p["runs"] = a.runs
    data: Path = a.data.resolve()
    reference: Path = (a.reference or data.parent / "reference").resolve()
    if not data.is_dir():
        raise SystemExit(f"bench: the shared data folder is missing: {data} (use --data)")
    if not a.library:
        wait_for_hegui(a.wait)

    from hegui.detectors.normalize import Normalizer

    res: dict[str, Any] = {
        "schema": 1,
        "generated": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "quick": a.quick,
        "params": {k: v for k, v in p.items()},
        "data": str(data),
        "environment": environment(),
    }
    res["environment"]["normalizer_implementation"] = Normalizer().implementation
    res["environment"]["loadavg_start"] = list(os.getloadavg())

    corpus = bench_corpus.load(data, a.cache.resolve(), p["target_bytes"], p["n_short"], log=log)
    res["corpus"] = corpus.meta

    terms, lib_info = library_terms(a.library)
    tmp = Path(tempfile.mkdtemp(prefix="hegui-bench-"))
    log("loading the moderator ...")
    t0 = time.perf_counter()
    mod = build_moderator(tmp, "default", a.library, False)
    load_s = time.perf_counter() - t0
    lex = next(d for d in mod.detectors if d.name == "lexicon")
    st = getattr(lex, "_state", None)
    stats = getattr(getattr(st, "compiled", None), "stats", None)
    lib_info.update(
        detector_size=lex.size,
        detector_version=lex.version,
        allow_size=getattr(lex, "allow_size", None),
        patterns=getattr(stats, "patterns", None),
        skipped=len(getattr(stats, "skipped", ()) or ()),
        moderator_load_s=load_s,
    )
    res["library"] = lib_info
    log(f"library {lex.version}: {lex.size:,} entries; moderator loaded in {load_s:.2f} s")

    goals: list[dict[str, Any]] = []
    if not a.no_speed:
        from bench_speed import profile_pipeline, run_speed

        sp = run_speed(
            corpus.docs,
            corpus.short,
            corpus.docs_bytes,
            corpus.short_bytes,
            terms=terms,
            moderator=mod,
            library=a.library,
            runs=p["runs"],
            probe_reps=p["probe_reps"],
            log=log,
        )
        res["speed"] = sp
        for f in sp["figures"]:
            if f.get("goal"):
                unit = f["unit"]
                detail = (
                    f"{f['value']:.2f} {unit} vs {f['baseline_label']} {f['baseline_value']:.2f} {unit} = "
                    f"{100 * f['ratio']:.1f} %"
                    if f["goal"]["on"] == "ratio"
                    else f"{f['value']:.1f} {unit}"
                )
                goals.append(
                    {
                        "id": f["id"],
                        "text": f"{f['label']}: {f['goal']['text']}",
                        "met": bool(f["met"]),
                        "detail": detail,
                    }
                )
        pipe = next(f for f in sp["figures"] if f["id"] == "hegui.pipeline.docs_mbps")
        if a.profile or not pipe["met"]:
            log("profiling the pipeline (cProfile) ...")
            res["profile"] = profile_pipeline(mod, corpus.docs, p["profile_bytes"])
    res["goals"] = goals

    combined = None
    try:
        combined = build_moderator(tmp, "combined", a.library, False, COMBINED)
    except Exception as exc:  # the learned layers are optional for the speed figures of the core
        log(f"combined engine unavailable: {type(exc).__name__}: {exc}")
    if combined is not None and not a.no_speed:
        from bench_speed import combined_latency

        log("speed: combined engine latency on the short texts ...")
        figs = combined_latency(combined, corpus.short, p["runs"])
        res["speed"]["figures"] += figs
        for f in figs:
            if f.get("goal"):
                goals.append({"id": f["id"], "text": f"{f['label']}: {f['goal']['text']}", "met": bool(f["met"]),
                              "detail": f"{f['value']:.1f} {f['unit']}"})
    if not a.no_speed:
        try:
            import bench_similar

            log("speed: similar-text library with 100,000 entries ...")
            sim = bench_similar.run(data, quick=a.quick)
            res["similar_bench"] = sim
            s_all = sim["similar"]["all"]
            p_all = sim["protected"]["all"]
            res["similar"] = {
                "entries": sim["similar"]["entries"],
                "build_s": sim["similar"]["build_s"],
                "rss_mb": sim["similar"]["rss_mb"],
                "lookup p50 µs (200 chars)": s_all["p50_us"],
                "lookup p99 µs (200 chars)": s_all["p99_us"],
                "protected works: output p50 µs": p_all["p50_us"],
                "protected works: output p99 µs": p_all["p99_us"],
            }
            goals.append({
                "id": "similar.lookup.p99_us",
                "text": f"similar-text lookup with {sim['similar']['entries']:,} entries, 200 chars, p99: ≤ 5 ms",
                "met": s_all["p99_us"] <= 5000.0,
                "detail": f"{s_all['p99_us']:.0f} µs",
            })
        except (ImportError, AttributeError) as exc:
            log(f"similar-text bench unavailable: {exc}")

    if not a.no_gateway:
        import bench_gateway

        try:
            res["gateway"] = bench_gateway.run(quick=a.quick, log=log)
            goals.extend(res["gateway"]["goals"])
        except RuntimeError as exc:
            log(f"gateway bench failed: {exc}")
            goals.append({"id": "gateway.run", "text": "gateway benchmark ran", "met": False, "detail": str(exc)})

    if not a.no_labeling:
        import bench_labeling

        try:
            res["labeling"] = bench_labeling.run(quick=a.quick, log=log)
            goals.extend(res["labeling"]["goals"])
        except (RuntimeError, OSError, ValueError) as exc:
            log(f"labeling bench failed: {exc}")
            goals.append({"id": "labeling.run", "text": "labeling benchmark ran", "met": False, "detail": str(exc)})

    if not a.no_corpus_audit:
        import bench_corpus_audit

        try:
            res["corpus_audit"] = bench_corpus_audit.run(data, quick=a.quick, runs=None if a.quick else max(3, p["runs"]),
                                                         log=log)
        except (ImportError, OSError, ValueError, RuntimeError) as exc:
            log(f"corpus-audit bench failed: {type(exc).__name__}: {exc}")

    if not a.no_quality:
        from bench_layers import render_quality, run_layers
        from bench_quality import Judge, run_quality

        judges = {
            "default": Judge(mod, "default"),
            "homophones": Judge(build_moderator(tmp, "homophones", a.library, True), "homophones"),
        }
        res["quality"] = run_quality(data, reference, judges, cap=p["cap"], log=log)
        if combined is not None:
            layer_judges = {"lexicon+PII": judges["default"], "combined": Judge(combined, "combined")}
            res["layers"] = run_layers(data, reference, layer_judges, cap=p["cap"], log=log)
            res["layers"]["engines"] = {"lexicon+PII": " + ".join(CORE), "combined": " + ".join(COMBINED)}
        try:
            import bench_refusal

            log("quality: refusal detector ...")
            ref_json = tmp / "refusal.json"
            bench_refusal.main(["--data", str(data), "--json", str(ref_json)])
            res["refusal"] = _refusal_summary(json.loads(ref_json.read_text(encoding="utf-8")))
        except (ImportError, OSError, ValueError) as exc:
            log(f"refusal bench unavailable: {exc}")

    res["environment"]["loadavg_end"] = list(os.getloadavg())
    res["elapsed_s"] = time.perf_counter() - t_start
    text = render(res)
    if "gateway" in res:
        import bench_gateway

        text += "\n" + bench_gateway.render(res["gateway"])
    if "labeling" in res:
        import bench_labeling

        text += "\n" + bench_labeling.render(res["labeling"])
    if "corpus_audit" in res:
        import bench_corpus_audit

        text += "\n" + bench_corpus_audit.render(res["corpus_audit"])
    out: Path = a.out
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(res, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (out / "results.md").write_text(text, encoding="utf-8")
    if "layers" in res or "refusal" in res:
        from bench_layers import render_quality

        (out / "quality.md").write_text(render_quality(res), encoding="utf-8")
    print(text)
    log(f"wrote {out / 'results.json'} and {out / 'results.md'} ({res['elapsed_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark of ``hegui corpus audit`` (issue 9): documents/s and MB/s per core with the full check set (keyword
layer + classifier layer + PII + duplicates, 100 % of the records), on a fixed slice of ``../shared/data``
(the first 5,000 unique texts of cold/train.csv and jade-db, 2 sources), for

* the local engine with 1 and 2 workers (the scaling from 1 to 2), and
* the Ray engine with 2 CPUs (a local Ray started once, outside the timings),

each against the named baseline **"hegui Moderator.check alone in one process over the same documents"**
(the shipped default moderator, no reading, selection, sharding or output), measured in the same run.
Each audit timing is one whole job (plan, read, check, write shards, finalise, models loaded per worker);
figures are medians of ``runs`` (≥ 3) runs.

    .venv/bin/python bench/bench_corpus_audit.py [--quick] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_v, "1")  # one thread per worker: no oversubscription of the cores

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"
BASELINE = "hegui Moderator.check alone in one process over the same documents"


def _texts(path: Path, field: str) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [row[field] for row in csv.DictReader(fh) if row.get(field, "").strip()]


def build_slice(data: Path, out: Path, n: int) -> dict[str, Any]:
    """``n`` unique texts: half from cold/train.csv, half from jade-db (all its zh files), as two JSONL sources."""
    cold = list(dict.fromkeys(_texts(data / "cold" / "train.csv", "TEXT")))
    jade: list[str] = []
    for f in sorted((data / "jade-db").rglob("*_zh.csv")):
        jade += _texts(f, "问题")
    jade = [t for t in dict.fromkeys(jade) if t not in set(cold)]
    half = min(n // 2, len(jade))
    parts = {"jade-db": jade[:half], "cold": cold[: n - half]}
    out.mkdir(parents=True, exist_ok=True)
    docs: list[str] = []
    for name, texts in parts.items():
        with (out / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
            for t in texts:
                fh.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
        docs += texts
    (out / "sources.yaml").write_text(json.dumps({"sources": {k: {"licence": "MIT"} for k in parts}}), encoding="utf-8")
    return {"docs": docs, "files": [out / f"{k}.jsonl" for k in parts], "sources": out / "sources.yaml",
            "bytes": sum(len(t.encode("utf-8")) for t in docs), "per_source": {k: len(v) for k, v in parts.items()}}


def _median_time(fn: Callable[[], Any], runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def run(data: Path = DATA, *, quick: bool = False, runs: int | None = None, log: Callable[[str], None] = print,
        ray_engine: bool | None = None) -> dict[str, Any]:
    from hegui import Moderator
    from hegui.corpus.audit import AuditOptions
    from hegui.corpus.engines import run_audit

    n_runs = runs or (1 if quick else 3)
    n_docs = 1_000 if quick else 20_000
    use_ray = (not quick) if ray_engine is None else ray_engine
    tmp = Path(tempfile.mkdtemp(prefix="hegui-bench-audit-"))
    try:
        sl = build_slice(data, tmp / "data", n_docs)
        docs, mb = sl["docs"], sl["bytes"] / 1e6
        log(f"corpus audit: {len(docs):,} docs, {mb:.2f} MB ({sl['per_source']}); {n_runs} runs each")
        mod = Moderator.from_config(None)

        def baseline() -> None:
            for t in docs:
                mod.check(t, "corpus")

        base_s, base_all = _median_time(baseline, n_runs)
        figures: list[dict[str, Any]] = []

        def fig(fid: str, label: str, seconds: float, all_s: list[float], cores: int, **extra: Any) -> dict[str, Any]:
            f = {"id": fid, "label": label, "seconds": seconds, "runs_s": all_s, "cores": cores,
                 "docs_per_s": len(docs) / seconds, "mbps": mb / seconds,
                 "docs_per_s_per_core": len(docs) / seconds / cores, "mbps_per_core": mb / seconds / cores,
                 "baseline_label": BASELINE, "baseline_docs_per_s": len(docs) / base_s,
                 "ratio_vs_baseline_per_core": (len(docs) / seconds / cores) / (len(docs) / base_s), **extra}
            figures.append(f)
            log(f"  {label}: {f['docs_per_s']:.0f} docs/s ({f['mbps']:.2f} MB/s), per core {f['docs_per_s_per_core']:.0f} "
                f"docs/s = {100 * f['ratio_vs_baseline_per_core']:.0f} % of the baseline")
            return f

        fig("baseline.moderator_check", BASELINE, base_s, base_all, 1)
        opts = AuditOptions(full=True, sample_per_source=0)
        k = [0]

        # the same job on 8 documents: what starting the engine costs (workers or actors loading the models,
        # planning, hashing the inputs, writing the outputs), measured so the steady-state rate can be shown too
        tiny = build_slice(data, tmp / "tiny", 8)

        def audit(engine: str, workers: int, files: list[Path], sources: Path) -> Callable[[], Any]:
            def go() -> Any:
                k[0] += 1
                return run_audit(files, tmp / f"out{k[0]}", opts, engine=engine, workers=workers,
                                 sources_file=sources, quiet=True)
            return go

        def measure(fid: str, label: str, engine: str, workers: int) -> dict[str, Any]:
            total, all_s = _median_time(audit(engine, workers, sl["files"], sl["sources"]), n_runs)
            start, _ = _median_time(audit(engine, workers, tiny["files"], tiny["sources"]), n_runs)
            work = max(total - start, 1e-9)
            return fig(fid, label, total, all_s, workers, startup_s=start, work_s=work,
                       work_docs_per_s=len(docs) / work, work_mbps=mb / work,
                       work_docs_per_s_per_core=len(docs) / work / workers)

        # each input is one shard: split them so 2 workers have work (8 shards of ~equal size)
        opts = AuditOptions(full=True, sample_per_source=0, shard_bytes=max(1, sl["bytes"] // 8))
        one = measure("audit.local.w1", "corpus audit, local engine, 1 worker", "local", 1)
        two = measure("audit.local.w2", "corpus audit, local engine, 2 workers", "local", 2)
        scaling = one["seconds"] / two["seconds"]
        scaling_work = one["work_s"] / two["work_s"]
        out: dict[str, Any] = {"docs": len(docs), "mb": mb, "runs": n_runs, "per_source": sl["per_source"],
                               "baseline": BASELINE, "figures": figures, "scaling_local_1_to_2": scaling,
                               "scaling_local_1_to_2_after_startup": scaling_work}
        if use_ray:
            import ray

            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
            try:
                measure("audit.ray.c2", "corpus audit, Ray engine, 2 CPUs", "ray", 2)
            finally:
                ray.shutdown()
        log(f"  scaling local 1 -> 2 workers: x{scaling:.2f} whole job, x{scaling_work:.2f} after start-up")
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def render(res: dict[str, Any]) -> str:
    lines = ["## Corpus audit (hegui corpus audit, full check set, 100 %)", "",
             f"{res['docs']:,} docs, {res['mb']:.2f} MB, sources {res['per_source']}; median of {res['runs']} runs. "
             f"Baseline: {res['baseline']}.", "",
             "| run | s | docs/s | MB/s | docs/s per core | MB/s per core | per core vs baseline "
             "| start-up s | after start-up: docs/s | MB/s | docs/s per core |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for f in res["figures"]:
        tail = (f" {f['startup_s']:.2f} | {f['work_docs_per_s']:.0f} | {f['work_mbps']:.2f} | "
                f"{f['work_docs_per_s_per_core']:.0f} |" if "startup_s" in f else " | | | |")
        lines.append(f"| {f['label']} | {f['seconds']:.2f} | {f['docs_per_s']:.0f} | {f['mbps']:.2f} | "
                     f"{f['docs_per_s_per_core']:.0f} | {f['mbps_per_core']:.2f} | "
                     f"{100 * f['ratio_vs_baseline_per_core']:.0f} % |" + tail)
    after = res.get("scaling_local_1_to_2_after_startup")
    lines += ["", f"Scaling, local engine, 1 -> 2 workers: x{res['scaling_local_1_to_2']:.2f} for the whole job"
              + (f", x{after:.2f} after start-up (the job minus the same job on 8 documents)" if after else ""),
              "Start-up: starting the workers or Ray actors, each loading the lexicon and the classifier; 2 workers "
              "on 2 cores also share them with the parent process.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=None)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--no-ray", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args(argv)
    res = run(a.data, quick=a.quick, runs=a.runs, log=lambda m: print(m, file=sys.stderr, flush=True),
              ray_engine=False if a.no_ray else None)
    if a.json:
        a.json.write_text(json.dumps(res, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(render(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Smoke test of the benchmark: ``bench/run.py --quick`` runs and writes a coherent results.json.

Skipped where the shared data folder (``../shared/data``) is absent. It reads NC data at run time, as the
benchmark does, and writes only to a temporary folder (the corpus cache goes to bench/_cache/, git-ignored).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
RUN = REPO / "bench" / "run.py"

SPEED_IDS = {
    "raw.ahocorasick_rs.docs_mbps",
    "raw.pyahocorasick.docs_mbps",
    "baseline.nfkc.docs_mbps",
    "hegui.normalize.docs_mbps",
    "hegui.lexicon.docs_mbps",
    "baseline.pii_regex.docs_mbps",
    "hegui.pii.docs_mbps",
    "hegui.pipeline.docs_mbps",
    "hegui.check.docs_mbps",
    "latency.raw_ahocorasick_rs.p50_us",
    "latency.raw_ahocorasick_rs.p99_us",
    "latency.lexicon.p50_us",
    "latency.lexicon.p99_us",
    "latency.pipeline.p50_us",
    "latency.pipeline.p99_us",
    "build.raw_ahocorasick_rs.s",
    "build.raw_pyahocorasick.s",
    "build.lexicon.s",
    "rss.raw_ahocorasick_rs.mb",
    "rss.raw_pyahocorasick.mb",
    "rss.lexicon.mb",
}


def _default_library_exists() -> bool:
    from hegui.detectors.lexicon.detector import default_library_path

    return default_library_path().exists()


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not DATA.is_dir():
        pytest.skip(f"shared data folder not found: {DATA}")
    if not _default_library_exists():
        pytest.skip("the default word library is not built yet")
    out = tmp_path_factory.mktemp("bench")
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    r = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--out", str(out), "--data", str(DATA)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=REPO,
        check=False,
    )
    assert r.returncode == 0, r.stderr[-4000:]
    assert "## Speed" in r.stdout and "## Quality" in r.stdout
    assert (out / "results.md").read_text(encoding="utf-8").startswith("# hegui bench")
    data: dict[str, Any] = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return data


def test_top_level_keys(results: dict[str, Any]) -> None:
    for key in ("schema", "generated", "environment", "corpus", "library", "speed", "quality", "goals", "elapsed_s"):
        assert key in results, key
    assert results["quick"] is True
    env = results["environment"]
    assert env["python"] and env["cpu"]
    assert env["normalizer_implementation"] in ("native", "numpy")
    c = results["corpus"]
    assert c["docs"] > 0 and c["docs_bytes"] >= 1_000_000 and c["short_texts"] > 0
    assert c["short_bytes"] >= c["short_texts"] * c["short_chars"]  # every short text is 200 chars, >= 1 byte each
    lib = results["library"]
    assert lib["surface_terms"] > 0 and lib["detector_size"] > 0


def test_speed_figures(results: dict[str, Any]) -> None:
    sp = results["speed"]
    figs = {f["id"]: f for f in sp["figures"]}
    assert set(figs) >= SPEED_IDS
    assert sp["normalizer_implementation"] in ("native", "numpy")
    for f in figs.values():
        assert math.isfinite(f["value"]), f["id"]
        if f["unit"] in ("MB/s", "µs", "s"):
            assert f["value"] > 0, f["id"]
        # the ratio is computed from figures of the same file
        if f["baseline"] is not None:
            base = figs[f["baseline"]]
            assert f["baseline_value"] == base["value"], f["id"]
            assert f["ratio"] == pytest.approx(f["value"] / base["value"], rel=1e-9), f["id"]
        if f.get("goal"):
            g = f["goal"]
            x = f["ratio"] if g["on"] == "ratio" else f["value"]
            assert f["met"] == (x >= g["target"] if g["op"] == ">=" else x <= g["target"]), f["id"]
    pipe = figs["hegui.pipeline.docs_mbps"]
    fastest = max(figs["raw.ahocorasick_rs.docs_mbps"]["value"], figs["raw.pyahocorasick.docs_mbps"]["value"])
    if "raw.ahocorasick_rs.docs_mbps.interleaved" in figs:  # timed pass by pass beside the pipeline
        assert figs["raw.ahocorasick_rs.docs_mbps"]["value"] == fastest
        assert pipe["baseline"] == "raw.ahocorasick_rs.docs_mbps.interleaved"
    else:
        assert pipe["baseline_value"] == fastest
    assert figs["latency.pipeline.p99_us"]["value"] >= figs["latency.pipeline.p50_us"]["value"]
    assert sp["raw_agree"] is True  # the two raw Aho-Corasick libraries report the same hits
    m = sp["matchers"]
    assert m["ahocorasick_rs"]["docs_hits"] == m["pyahocorasick"]["docs_hits"]
    goal_ids = {g["id"] for g in results["goals"]}
    assert {"hegui.pipeline.docs_mbps", "latency.pipeline.p99_us"} <= goal_ids
    # issue 3's layers: the combined engine's latency and the 100k similar-text lookup, when they ran
    if "layers" in results:
        assert {"latency.combined.p99_us", "similar.lookup.p99_us"} <= goal_ids


def _is_rate(x: Any) -> bool:
    return x is None or (0.0 <= x <= 1.0)


def test_quality_tables(results: dict[str, Any]) -> None:
    q = results["quality"]
    names = {r["name"] for r in q["labelled"]}
    assert {"cold", "swsr", "chineseharm-bench", "toxicn"} <= names
    for r in q["labelled"]:
        assert r["n"] == r["tp"] + r["fp"] + r["fn"] + r["tn"] > 0
        for k in ("precision", "recall", "f1", "fpr", "blocked_recall"):
            assert _is_rate(r[k]), (r["name"], k)
        if r["recall"] is not None:
            assert r["recall"] == pytest.approx(r["tp"] / r["pos"])
    harm = next(r for r in q["labelled"] if r["name"] == "chineseharm-bench")
    assert "不违规" in harm["per_class"] and len(harm["per_class"]) >= 2
    assert {r["name"] for r in q["benign"]} >= {"cvalues", "chinese-safetyqa", "xstest-safe", "reference-md"}
    for r in q["benign"]:
        assert _is_rate(r["fpr"])
    obf = q["obfuscation"]
    assert {r["set"] for r in obf} == {"toxicloakcn", "toxibenchcn-cntp"}
    for r in obf:
        for j in ("default", "homophones"):
            assert _is_rate(r[j]["recall_base"]) and _is_rate(r[j]["recall_obf"])
    assert all(v == 0 for v in q["detector_failures"].values())


def test_gateway_figures(results: dict[str, Any]) -> None:
    """Issue 4: hegui serve vs the upstream called directly, in the same run."""
    g = results["gateway"]
    lat, thr = g["latency"], g["throughput"]
    assert lat["n"] > 0 and lat["hegui_p50_ms"] > 0 and lat["direct_p50_ms"] > 0
    assert lat["added_p50_ms"] == pytest.approx(lat["hegui_p50_ms"] - lat["direct_p50_ms"])
    assert thr["requests"] > 0 and g["throughput_direct"]["requests"] > 0
    assert g["ttft"]["hegui_ttft_p50_ms"] > 0
    goal_ids = {x["id"] for x in results["goals"]}
    assert {"gateway.added_p50_ms", "gateway.added_p99_ms", "gateway.errors"} <= goal_ids

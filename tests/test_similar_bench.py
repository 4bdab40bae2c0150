"""Smoke test of bench/bench_similar.py at a small size (skipped where ../shared/data is absent).

It reads the data at run time, as the benchmark does, and writes nothing."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"


def _bench() -> ModuleType:
    sys.path.insert(0, str(REPO / "bench"))
    try:
        spec = importlib.util.spec_from_file_location("bench_similar", REPO / "bench" / "bench_similar.py")
        assert spec and spec.loader
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    finally:
        sys.path.remove(str(REPO / "bench"))


@pytest.mark.skipif(not (DATA / "cluener2020").is_dir(), reason="needs ../shared/data")
def test_bench_similar_runs_small() -> None:
    bench = _bench()
    by_source = bench.load_texts(DATA)
    res = {
        "similar": bench.bench_similar(by_source, 3000, 40),
        "protected": bench.bench_protected(by_source, 20, 10_000, 20, 3_000),
    }
    sim = res["similar"]
    assert sim["entries"] == 4000  # 3,000 black and suspect entries, 1,000 white ones
    assert sim["sets"]["miss"]["texts_with_findings"] == 0.0
    assert sim["sets"]["contained"]["texts_with_findings"] >= 0.8
    assert sim["sets"]["near_dup"]["texts_with_findings"] >= 0.9
    assert sim["all"]["p99_us"] >= sim["all"]["p50_us"] > 0
    prot = res["protected"]
    assert prot["sets"]["verbatim"]["recall"] == 1.0
    assert prot["sets"]["quote_30"]["texts_with_findings"] == 0.0
    table = bench.render(res)
    assert "| miss |" in table and "| verbatim |" in table

"""Refusal detector accuracy on held-out labelled answers: the figures docs/refusal.md reports.

* XSTest (``../shared/data``, CC BY 4.0): the TEST half by prompt id, never used to fit the detector. Skipped where
  the shared data folder is absent.
* The Chinese set shipped in ``tests/data/refusal_zh.jsonl``: its TEST half (the DEV half was looked at while the
  Chinese cues were written).

The detector is deterministic; the bounds are the reported figures rounded down to 0.1 point, so a NumPy or
platform difference that flips one borderline answer does not fail the suite.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from hegui.detectors.refusal import RefusalDetector
from hegui.detectors.refusal import datasets as ds

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
ZH = REPO / "tests" / "data" / "refusal_zh.jsonl"

# reported in docs/refusal.md (XSTest TEST: 94.93 % / 88.98 %; Chinese TEST: 93.75 % / 89.06 %)
XSTEST_TEST_BINARY = 0.949
XSTEST_TEST_3WAY = 0.889
ZH_TEST_BINARY = 0.937
ZH_TEST_3WAY = 0.890

needs_xstest = pytest.mark.skipif(not ds.xstest_dir(DATA).is_dir(), reason="../shared/data/xstest not present")


def _accuracy(items: list[ds.Item]) -> tuple[float, float]:
    det = RefusalDetector()
    preds = [det.classify(i.answer, i.prompt).label for i in items]
    binary = sum((p != "compliance") == (i.label != "compliance") for i, p in zip(items, preds, strict=True))
    exact = sum(p == i.label for i, p in zip(items, preds, strict=True))
    return binary / len(items), exact / len(items)


def test_split_is_fixed_and_disjoint() -> None:
    keys = [f"v2-{n}" for n in range(1, 451)]
    test = ds.test_half(keys)
    assert len(test) == 225
    assert test == ds.test_half(reversed(keys))
    # pinned: the split must never move (the shipped model was fitted on the other half)
    assert hashlib.sha256(",".join(sorted(test)).encode()).hexdigest()[:16] == "ac14cb33e5a2f061"


@needs_xstest
def test_xstest_held_out_accuracy() -> None:
    items = ds.split(ds.load_xstest(DATA), "test")
    assert len(items) == 1125
    assert {i.key for i in items}.isdisjoint({i.key for i in ds.split(ds.load_xstest(DATA), "dev")})
    binary, three_way = _accuracy(items)
    assert binary >= XSTEST_TEST_BINARY, binary
    assert three_way >= XSTEST_TEST_3WAY, three_way


def test_chinese_set() -> None:
    items = ds.load_jsonl(ZH)
    assert len(items) >= 200
    assert len({i.key for i in items}) == len(items)
    assert {i.label for i in items} == {"refusal", "partial", "compliance"}
    test = ds.split(items, "test")
    binary, three_way = _accuracy(test)
    assert binary >= ZH_TEST_BINARY, binary
    assert three_way >= ZH_TEST_3WAY, three_way


@needs_xstest
def test_build_is_reproducible() -> None:
    pytest.importorskip("opencc")
    r = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build_refusal.py"), "--data", str(DATA), "--check"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr

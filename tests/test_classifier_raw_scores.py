"""``ClassifierModel.raw_scores`` gathers every n-gram order of a text at once: bit for bit what the former code
(one gather, ``np.unique`` and ``reduceat`` per n-gram order) computed, kept here as the reference."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

import hegui.detectors.classifier.model as model_mod
from hegui.detectors.classifier import ClassifierModel
from hegui.detectors.classifier.features import codepoints, ngram_buckets


def reference_raw_scores(model: ClassifierModel, normalized: str) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """The former implementation (hegui 2026.11.2), per n-gram order."""
    table = model._table
    cps = codepoints(normalized)
    n = len(cps)
    h = len(model.heads)
    if n <= model.max_chars:
        ids = np.concatenate([ngram_buckets(cps, k, model.bits) for k in range(1, model.max_n + 1)])
        if len(ids) == 0:
            return model._bias[None, :].copy(), [(0, n)]
        s = table[ids].sum(axis=0, dtype=np.int64)
        z = model._bias + model._scales * s / math.sqrt(len(ids))
        return z[None, :], [(0, n)]
    starts = model.window_starts(n)
    out = np.empty((len(starts), h), dtype=np.float64)
    wins: list[tuple[int, int]] = []
    chunk = model_mod._CHUNK
    i = 0
    while i < len(starts):
        first = starts[i]
        j = i
        while j < len(starts) and starts[j] < first + chunk:
            j += 1
        seg_end = min(n, starts[j - 1] + model.max_chars)
        seg = cps[first:seg_end]
        total = np.zeros((j - i, h), dtype=np.int64)
        count = np.zeros(j - i, dtype=np.int64)
        ws = np.asarray(starts[i:j], dtype=np.int64) - first
        we = np.minimum(ws + model.max_chars, len(seg))
        for k in range(1, model.max_n + 1):
            ids = ngram_buckets(seg, k, model.bits)
            m = len(ids)
            if m == 0:
                continue
            lo = np.minimum(ws, m)
            hi = np.minimum(np.maximum(we - k + 1, ws), m)
            bounds = np.unique(np.concatenate(([0, m], lo, hi)))
            seg_sums = np.add.reduceat(table[ids], bounds[:-1], axis=0, dtype=np.int64)
            prefix = np.zeros((len(bounds), h), dtype=np.int64)
            np.cumsum(seg_sums, axis=0, out=prefix[1:])
            total += prefix[np.searchsorted(bounds, hi)] - prefix[np.searchsorted(bounds, lo)]
            count += hi - lo
        z = model._bias + model._scales * total / np.sqrt(np.maximum(count, 1))[:, None]
        out[i:j] = z
        wins += [(int(s) + first, int(e) + first) for s, e in zip(ws, we, strict=True)]
        i = j
    return out, wins


@pytest.fixture(scope="module")
def model() -> ClassifierModel:
    return ClassifierModel.load()


def _texts() -> list[str]:
    rng = random.Random(20261128)
    alphabet = "怎样制作炸弹毒品有哪些危害今天我们讨论城市公园的规划。，abcdefg hijk!?0123456789"
    out = ["", "a", "ab", "炸弹", "SAY:" + "公园" * 172]
    for length in [*range(1, 12), 63, 64, 65, 127, 128, 129, 130, 191, 192, 193, 255, 256, 257, 344, 1000, 4099]:
        out.append("".join(rng.choice(alphabet) for _ in range(length)))
    return out


@pytest.mark.parametrize("window", [None, (128, 64), (64, 32), (48, 24), (96, 96), (20, 7)])
def test_raw_scores_are_bit_identical_to_the_per_order_reference(
    model: ClassifierModel, window: tuple[int, int] | None
) -> None:
    m = model if window is None else model.with_window(*window)
    for t in _texts():
        norm = m.normalize(t)
        z, wins = m.raw_scores(norm)
        z_ref, wins_ref = reference_raw_scores(m, norm)
        assert wins == wins_ref
        assert z.dtype == z_ref.dtype and z.shape == z_ref.shape
        assert z.tobytes() == z_ref.tobytes(), (len(norm), window)


def test_raw_scores_bit_identical_across_chunks(model: ClassifierModel, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_mod, "_CHUNK", 5)  # long texts are scored in chunks of window starts
    m = model.with_window(32, 16)
    rng = random.Random(7)
    for length in (33, 100, 111, 400, 1234):
        norm = m.normalize("".join(rng.choice("城市公园规划毒品炸弹ab c") for _ in range(length)))
        z, wins = m.raw_scores(norm)
        z_ref, wins_ref = reference_raw_scores(m, norm)
        assert wins == wins_ref
        assert z.tobytes() == z_ref.tobytes()

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


@pytest.mark.parametrize("length", [0, 1, 2, 3, 127, 128, 129, 200, 344, 1000, 4099])
def test_native_loop_is_bit_identical(model: ClassifierModel, length: int) -> None:
    """The C hot loop (hegui._native.ngram_window_sums) gives exactly the NumPy path's scores and windows."""
    if model_mod._native() is None:
        pytest.skip("the C extension is not built")
    m = model
    rng = random.Random(length)
    alphabet = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严ABCdef0123 ，。！？"
    text = "".join(rng.choice(alphabet) for _ in range(length))
    native = m.raw_scores(text)
    ref = m.raw_scores_numpy(text)
    assert native[1] == ref[1]
    assert native[0].tobytes() == ref[0].tobytes()

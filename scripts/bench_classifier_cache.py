"""In-situ cost of the classifier: latency with warm caches and after other work has evicted them.

The classifier's int8 table (2^bits buckets x heads) is bigger than a typical L3 cache at 2^20 buckets
(38.8 MB), so in a gateway, where HTTP, JSON and SQLite work runs between two checks, its random row gathers
miss. This script times one 344-character text (the gateway bench's answer, ``"SAY:" + ANSWER_1K``) per model
directory, clean (the same call in a hot loop) and polluted (``--pollute-mb`` of memory streamed through the
caches before every call), and prints a table of p50s (ms):

* ``raw_scores``: the window sums only (hashing, gathers, prefix sums), on the normalised text;
* ``score``: the model's full scoring of the text (normalisation + raw scores + calibration);
* ``detect``: ``ClassifierDetector.detect`` (what the engine calls);
* ``check``: ``Moderator.check`` with the shipped layers (lexicon, PII, classifier on that model, similar).

``--legacy`` adds rows for the former ``raw_scores`` (one gather, ``np.unique`` and ``reduceat`` per n-gram
order; the reference kept in tests/test_classifier_raw_scores.py). Calls are interleaved (every configuration
once per round), so drift on a shared machine hits all rows alike.

    .venv/bin/python scripts/bench_classifier_cache.py [MODEL_DIR ...] [--rounds 300] [--pollute-mb 32] [--legacy]

Without MODEL_DIR: the shipped model.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from hegui.api import Moderator, build_detector
from hegui.api.config import DetectorConfig, ModerationConfig
from hegui.detectors.base import DetectContext
from hegui.detectors.classifier import ClassifierDetector, ClassifierModel, shipped_model_dir
from hegui.policy import default_policy

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
from bench_gateway import ANSWER_1K  # type: ignore[import-not-found]  # noqa: E402

TEXT = "SAY:" + ANSWER_1K  # repeats a 74-character paragraph: 195 distinct n-grams
# --distinct: 338 characters without repeats (803 distinct n-grams: about 4x the table rows per call)
DISTINCT = (
    "今天我们讨论城市公园的规划。公园里有很多树木和花草，周末常有家长带孩子来散步、放风筝。管理处每年春天组织植树活动，"
    "也会在夏天举办音乐会。附近居民希望增加更多的长椅和饮水点。请问怎样才能在短时间内提高英语口语水平？有没有适合上班族"
    "的学习方法？Please summarise the main arguments of the article and list three open questions. 图书馆新开设"
    "了古籍修复展览，介绍纸张、装帧与修补工艺的历史，志愿者每周二下午带领参观。社区医院提醒老人秋季接种流感疫苗，并在"
    "周末提供免费血压测量。铁路部门公布了新的列车时刻表，部分线路增开夜间班次，方便返乡旅客出行。气象台预报明天有小雨，"
    "气温下降五度左右，请注意添衣保暖。"
)[:344]


def _legacy_class() -> type[ClassifierModel]:
    """ClassifierModel with the former raw_scores (from the bit-identity test), for before/after timings."""
    spec = importlib.util.spec_from_file_location("_ref", REPO / "tests" / "test_classifier_raw_scores.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    ref = mod.reference_raw_scores

    class Legacy(ClassifierModel):
        def raw_scores(self, normalized: str):  # type: ignore[no-untyped-def]
            return ref(self, normalized)

    return Legacy


def _moderator(model_dir: Path) -> Moderator:
    dcs = [
        DetectorConfig(name="lexicon"),
        DetectorConfig(name="pii"),
        DetectorConfig(name="classifier", params={"path": str(model_dir)}),
        DetectorConfig(name="similar"),
    ]
    return Moderator(
        [build_detector(dc, Path.cwd()) for dc in dcs], default_policy(), config=ModerationConfig(detectors=dcs)
    ).load()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="*", type=Path, help="model directories (default: the shipped model)")
    ap.add_argument("--rounds", type=int, default=300)
    ap.add_argument("--pollute-mb", type=int, default=32)
    ap.add_argument("--legacy", action="store_true", help="also time the former raw_scores")
    ap.add_argument("--no-check", action="store_true", help="skip Moderator.check rows")
    ap.add_argument("--distinct", action="store_true", help="time a 338-character text without repeated phrases")
    args = ap.parse_args()
    global TEXT
    if args.distinct:
        TEXT = DISTINCT
    dirs = args.models or [shipped_model_dir()]
    legacy_cls = _legacy_class() if args.legacy else None
    ctx = DetectContext()

    # (label, table MB, what, fn)
    cases: list[tuple[str, float, str, Callable[[], object]]] = []
    for d in dirs:
        model = ClassifierModel.load(d)
        label = f"2^{model.bits}" + ("" if d == shipped_model_dir() else f" ({d.name})")
        mb = model.nbytes / 1e6
        norm = model.normalize(TEXT)
        variants = [("", model)]
        if legacy_cls is not None:
            old = copy.copy(model)
            old.__class__ = legacy_cls
            variants.append((" legacy", old))
        for tag, m in variants:
            cases.append((label + tag, mb, "raw_scores", partial(m.raw_scores, norm)))
            cases.append((label + tag, mb, "score", partial(m.score, TEXT)))
        det = ClassifierDetector(path=str(d))
        det.load()
        cases.append((label, mb, "detect", partial(det.detect, TEXT, ctx)))
        if not args.no_check:
            mod = _moderator(d)
            cases.append((label, mb, "check", partial(mod.check, TEXT, "input", lang="zh")))

    # identical scores from the two raw_scores implementations
    if legacy_cls is not None:
        for d in dirs:
            model = ClassifierModel.load(d)
            old = copy.copy(model)
            old.__class__ = legacy_cls
            norm = model.normalize(TEXT)
            assert model.raw_scores(norm)[0].tobytes() == old.raw_scores(norm)[0].tobytes()

    junk = np.ones(args.pollute_mb * 1_000_000, dtype=np.uint8)
    times: dict[tuple[int, bool], list[float]] = {(i, p): [] for i in range(len(cases)) for p in (False, True)}
    for _, _, _, fn in cases:  # warm up
        for _ in range(20):
            fn()
    for _ in range(args.rounds):
        for i, (_, _, _, fn) in enumerate(cases):
            for pollute in (False, True):
                if pollute:
                    junk.sum()  # stream the buffer through the caches
                else:
                    fn()  # the same call just before: warm caches
                t = time.perf_counter()
                fn()
                times[(i, pollute)].append((time.perf_counter() - t) * 1e3)

    print(
        f"text: {len(TEXT)} characters ({'--distinct' if args.distinct else 'SAY: + ANSWER_1K'}); {args.rounds} rounds; polluted = {args.pollute_mb} MB streamed before each call"
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, NumPy {np.__version__}"
    )
    print()
    print("| table | MB | measure | clean p50 ms | polluted p50 ms | polluted - clean |")
    print("|---|---:|---|---:|---:|---:|")
    for i, (label, mb, what, _) in enumerate(cases):
        c = statistics.median(times[(i, False)])
        p = statistics.median(times[(i, True)])
        print(f"| {label} | {mb:.1f} | {what} | {c:.3f} | {p:.3f} | {p - c:+.3f} |")


if __name__ == "__main__":
    main()

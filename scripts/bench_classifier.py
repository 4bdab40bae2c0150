"""Speed of the shipped classifier (or a model directory): latency on 200-character texts, throughput on a long
document, load time and memory. Figures go into src/hegui/detectors/classifier/benchmark.md by hand (the model
card copies that file, so the card stays byte-for-byte reproducible).

    .venv/bin/python scripts/bench_classifier.py [MODEL_DIR]
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from hegui.detectors.base import DetectContext
from hegui.detectors.classifier import ClassifierDetector, ClassifierModel, shipped_model_dir
from hegui.detectors.classifier.model import MODEL_FILE

TEXTS = [
    "今天我们讨论城市公园的规划。公园里有很多树木和花草，周末常有家长带孩子来散步、放风筝。",
    "管理处每年春天组织植树活动，也会在夏天举办音乐会。附近居民希望增加更多的长椅和饮水点。",
    "请问怎样才能在短时间内提高英语口语水平？有没有适合上班族的学习方法？",
    "Please summarise the main arguments of the article and list three open questions.",
]


def pct(a: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(a) * 1e3, q))


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else None
    t0 = time.perf_counter()
    model = ClassifierModel.load(path)
    load_s = time.perf_counter() - t0
    det = ClassifierDetector(path=path)
    det.load()
    ctx = DetectContext()
    pool = "".join(TEXTS) * 10
    docs = [pool[i : i + 200] for i in range(0, 2000, 37)]
    for d in docs:
        det.detect(d, ctx)
    runs = 3000
    t_score: list[float] = []
    t_detect: list[float] = []
    for i in range(runs):
        d = docs[i % len(docs)]
        a = time.perf_counter()
        model.score(d)
        t_score.append(time.perf_counter() - a)
        a = time.perf_counter()
        det.detect(d, ctx)
        t_detect.append(time.perf_counter() - a)
    long_doc = pool * 400  # about 1 MB of UTF-8
    a = time.perf_counter()
    s = model.score(long_doc)
    long_s = time.perf_counter() - a
    mb = len(long_doc.encode()) / 1e6
    out = {
        "machine": f"{platform.machine()} {platform.processor() or ''} python {platform.python_version()}".strip(),
        "model_npz_bytes": os.path.getsize(os.path.join(path or str(shipped_model_dir()), MODEL_FILE)),
        "table_bytes_in_memory": model.nbytes,
        "load_s": round(load_s, 3),
        "score_200_chars_ms": {"p50": round(pct(t_score, 50), 3), "p99": round(pct(t_score, 99), 3)},
        "detect_200_chars_ms": {"p50": round(pct(t_detect, 50), 3), "p99": round(pct(t_detect, 99), 3)},
        "long_doc": {"mb": round(mb, 2), "seconds": round(long_s, 3), "mb_per_s": round(mb / long_s, 2),
                     "windows": len(s.windows)},
    }  # fmt: skip
    print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()

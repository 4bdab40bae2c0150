#!/usr/bin/env python3
"""Build the refusal detector's model ``src/hegui/detectors/data/refusal_model.json``.

Inputs:

* ``src/hegui/detectors/data/refusal_cues.tsv``: the hand-written cue lexicon (English and simplified Chinese).
  Each phrase is expanded (``{a|b}``), folded, and the Chinese ones are also added in traditional script
  (OpenCC ``s2t``, ``s2tw``, ``s2hk``), so traditional answers match without a conversion at run time.
* XSTest v2 model completions (Röttger et al. 2024, CC BY 4.0; ``<data>/xstest/model_completions``): the
  human ``final_label`` of 2,250 answers from 5 models. Only the **DEV half** is used (the project's split by
  prompt id: ids sorted, shuffled with ``random.Random(0)``, first half; see ``hegui.detectors.refusal.datasets``).
  The TEST half is what ``bench/bench_refusal.py`` and the tests report on.

Three L2-regularised logistic regressions (Newton's method, NumPy, no randomness) are fitted on the features of
:mod:`hegui.detectors.refusal.features`: ``binary`` (refusal or partial vs compliance; hand features + hashed
wording) and ``binary_neutral`` (the same, hand features only, for non-English answers) on every DEV answer, and
``partial`` (partial vs full refusal; hand features only) on the DEV answers that are not compliance. Weights are rounded to 6 decimals
so the output is byte-stable for the same inputs and package versions (NumPy, OpenCC 1.1+).

    .venv/bin/python scripts/build_refusal.py [--data ../shared/data] [--out FILE] [--check]

``--check`` builds in memory and exits 1 if the shipped file differs (e.g. after editing the cue file).
Needs the ``build`` extra (OpenCC).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from hegui.detectors.refusal import datasets as ds  # noqa: E402
from hegui.detectors.refusal.cues import CATEGORIES, expand_cues, fold, parse_cue_file  # noqa: E402
from hegui.detectors.refusal.detector import MODEL_FORMAT, wording_config  # noqa: E402
from hegui.detectors.refusal.features import FEATURE_NAMES, NGRAM_BUCKETS, NGRAM_VALUE, featurize  # noqa: E402
from hegui.detectors.refusal.train import fit_logistic  # noqa: E402

DATA_DIR = REPO / "src" / "hegui" / "detectors" / "data"
CUES = DATA_DIR / "refusal_cues.tsv"
OUT = DATA_DIR / "refusal_model.json"
L2 = 1.0
THRESHOLDS = {"refusal": 0.5, "partial": 0.5}


_CONVERTERS: list[Any] = []


def traditional_variants(pattern: str) -> list[str]:
    if not _CONVERTERS:
        try:
            import opencc
        except ImportError:
            sys.exit("scripts/build_refusal.py needs OpenCC: pip install 'hegui[build]'")
        _CONVERTERS.extend(opencc.OpenCC(cfg) for cfg in ("s2t", "s2tw", "s2hk"))
    out: list[str] = []
    for conv in _CONVERTERS:
        v = fold(conv.convert(pattern))
        if v != pattern and v not in out:
            out.append(v)
    return out


def build_cues(text: str) -> list[tuple[str, str]]:
    lines = parse_cue_file(text, path=str(CUES))
    base = expand_cues(lines)
    zh = {(c, p) for cl in lines if cl.lang == "zh" for c, p in expand_cues([cl])}
    seen = dict.fromkeys(base)
    for c, p in base:
        if (c, p) in zh:
            for v in traditional_variants(p):
                seen.setdefault((c, v), None)
    return list(seen)


def _r(a: Any) -> list[float]:
    return [round(float(v), 6) for v in np.asarray(a).ravel()]


def design(items: list[ds.Item], cueset: Any) -> Any:
    """The design matrix: the hand features, then the hashed wording buckets (worth NGRAM_VALUE each)."""
    rows = []
    for i in items:
        fz = featurize(i.answer, i.prompt, cueset)
        g = np.zeros(NGRAM_BUCKETS)
        g[list(fz.ngrams)] = NGRAM_VALUE
        rows.append(np.concatenate([fz.vector, g]))
    return np.array(rows)


def _linear(fit: Any) -> dict[str, Any]:
    n = len(FEATURE_NAMES)
    out = {"weights": _r(fit.weights[:n]), "bias": round(fit.bias, 6)}
    if len(fit.weights) > n:
        out["ngram_weights"] = _r(fit.weights[n:])
    return out


def build(data: Path) -> dict[str, Any]:
    from hegui.detectors.refusal.cues import CueSet

    cue_text = CUES.read_text(encoding="utf-8")
    cues = build_cues(cue_text)
    cueset = CueSet(cues)
    items = ds.split(ds.load_xstest(data), "dev")
    x = design(items, cueset)
    y_bin = np.array([i.label != "compliance" for i in items], dtype=np.float64)
    y_par = np.array([i.label == "partial" for i in items], dtype=np.float64)
    binary = fit_logistic(x, y_bin, l2=L2)
    nonc = y_bin == 1.0
    # the partial-vs-refusal model uses the language-neutral hand features only: with the wording block it was
    # no better in cross-validation on DEV and shifted Chinese answers (which have no English words) to partial
    partial = fit_logistic(x[nonc][:, : len(FEATURE_NAMES)], y_par[nonc], l2=L2)
    # answers with no wording buckets (not English) are scored by a model on the hand features alone
    neutral = fit_logistic(x[:, : len(FEATURE_NAMES)], y_bin, l2=L2)
    fit_acc = float(((binary.proba(x) >= THRESHOLDS["refusal"]) == nonc).mean())
    csv_sha = hashlib.sha256()
    for m in ds.XSTEST_MODELS:
        csv_sha.update((ds.xstest_dir(data) / f"xstest_v2_completions_{m}.csv").read_bytes())
    return {
        "format": MODEL_FORMAT,
        "categories": list(CATEGORIES),
        "features": list(FEATURE_NAMES),
        "thresholds": THRESHOLDS,
        "wording": wording_config(),
        "binary": _linear(binary),
        "binary_neutral": _linear(neutral),
        "partial": _linear(partial),
        "training": {
            "data": "XSTest v2 model completions (Röttger et al. 2024, CC BY 4.0), DEV half by prompt id",
            "dev_answers": len(items),
            "dev_labels": {lab: sum(i.label == lab for i in items) for lab in ds.LABELS},
            "l2": L2,
            "binary_fit_accuracy_dev": round(fit_acc, 4),
            "xstest_sha256": csv_sha.hexdigest(),
            "cues_sha256": hashlib.sha256(cue_text.encode("utf-8")).hexdigest(),
        },
        "cues": [[c, p] for c, p in cues],
    }


def dumps(model: dict[str, Any]) -> str:
    head = {k: v for k, v in model.items() if k != "cues"}
    body = json.dumps(head, ensure_ascii=False, indent=1)
    cue_lines = ",\n".join("  " + json.dumps(cp, ensure_ascii=False) for cp in model["cues"])
    return body[:-2] + ',\n "cues": [\n' + cue_lines + "\n ]\n}\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--check", action="store_true", help="exit 1 if the output file differs from a fresh build")
    args = ap.parse_args(argv)
    if not ds.xstest_dir(args.data).is_dir():
        print(f"XSTest completions not found under {args.data}", file=sys.stderr)
        return 2
    text = dumps(build(args.data))
    json.loads(text)  # well-formed
    if args.check:
        same = args.out.is_file() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'up to date' if same else 'DIFFERS from a fresh build'}")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    model = json.loads(text)
    print(f"wrote {args.out}: {len(model['cues'])} cue patterns, {len(FEATURE_NAMES)} features, {model['training']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

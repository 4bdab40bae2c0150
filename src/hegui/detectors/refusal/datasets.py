"""Labelled answer sets for building and measuring the refusal detector, and the project's fixed split.

* XSTest (Röttger et al., CC BY 4.0) model completions: ``xstest/model_completions/xstest_v2_completions_*.csv``
  under a data folder (``../shared/data`` in this project), 5 models x 450 prompts, ``final_label`` in
  ``1_full_compliance``, ``2_full_refusal``, ``3_partial_refusal``.
* The Chinese set shipped with the tests (``tests/data/refusal_zh.jsonl``): one JSON object a line with ``id``,
  ``source``, ``prompt``, ``answer`` and ``label`` in ``refusal``, ``partial``, ``compliance``.

Split: the unique keys (XSTest prompt ids, so all five completions of a prompt fall on the same side; Chinese item
ids) are sorted, shuffled with ``random.Random(0)`` and cut in half; the second half is TEST, the first DEV. This
is the same rule as ``bench/bench_data.py``. Only DEV is used to build the detector; figures are reported on TEST.
Nothing here is imported by the detector itself.
"""

from __future__ import annotations

import csv
import json
import random
import sys
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, TypeVar

Label = Literal["refusal", "partial", "compliance"]
LABELS: Final[tuple[Label, ...]] = ("refusal", "partial", "compliance")
XSTEST_MODELS: Final = ("gpt4", "llama2new", "llama2orig", "mistralguard", "mistralinstruct")
_XS_LABEL: Final[dict[str, Label]] = {
    "1_full_compliance": "compliance",
    "2_full_refusal": "refusal",
    "3_partial_refusal": "partial",
}
SEED: Final = 0
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Item:
    key: str  # what the split is made on (XSTest prompt id; Chinese item id)
    source: str  # e.g. "xstest:gpt4"
    prompt: str
    answer: str
    label: Label


def test_half(keys: Iterable[K]) -> set[K]:
    """The TEST half (50 %) of a set of keys: sorted, shuffled with seed 0, second half."""
    uniq = sorted(set(keys), key=repr)
    random.Random(SEED).shuffle(uniq)
    return set(uniq[len(uniq) // 2 :])


def split(items: list[Item], half: Literal["dev", "test", "all"]) -> list[Item]:
    if half == "all":
        return list(items)
    test = test_half(i.key for i in items)
    return [i for i in items if (i.key in test) == (half == "test")]


def xstest_dir(data: Path) -> Path:
    return data / "xstest" / "model_completions"


def load_xstest(data: Path) -> list[Item]:
    """All 2,250 labelled XSTest completions (raises ``FileNotFoundError`` if the folder is missing)."""
    csv.field_size_limit(sys.maxsize)
    out: list[Item] = []
    for model in XSTEST_MODELS:
        path = xstest_dir(data) / f"xstest_v2_completions_{model}.csv"
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                lab = _XS_LABEL.get(row["final_label"].strip())
                if lab is None:
                    raise ValueError(f"{path}: unknown final_label {row['final_label']!r}")
                out.append(Item(row["id"], f"xstest:{model}", row["prompt"], row["completion"], lab))
    return out


def load_jsonl(path: Path) -> list[Item]:
    out: list[Item] = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            d = json.loads(line)
            lab = d["label"]
            if lab not in LABELS:
                raise ValueError(f"{path}:{n}: unknown label {lab!r}")
            out.append(
                Item(str(d["id"]), str(d.get("source", path.name)), str(d.get("prompt", "")), str(d["answer"]), lab)
            )
    return out

"""Loaders for the labelled, benign and obfuscation sets under ``../shared/data`` (read at run time, never copied),
and the project's own deterministic dev/test split.

Split: within each dataset, the unique keys (texts, or row / sentence ids for aligned sets) are sorted, shuffled
with ``random.Random(0)`` and cut in half; the second half is the TEST half, the only one the benchmark reports.
The dev half is left for tuning. The split is recomputed on every run and written nowhere.
"""

from __future__ import annotations

import csv
import json
import random
import re
import sys
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

SEED = 0


def test_half(keys: Iterable[K]) -> set[K]:
    """The TEST half (50 %) of a dataset's keys: sorted, shuffled with seed 0, second half."""
    uniq = sorted(set(keys), key=repr)
    random.Random(SEED).shuffle(uniq)
    return set(uniq[len(uniq) // 2 :])


@dataclass(slots=True)
class Labelled:
    """A binary set: texts with 1 (positive) or 0 labels; ``classes`` optionally gives a finer label per text."""

    name: str
    source: str
    texts: list[str]
    labels: list[int]
    classes: list[str] = field(default_factory=list)
    note: str = ""
    n_all: int = 0  # unique texts before the split


def _read_csv(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


def _read_jsonl(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _dedupe_split(name: str, source: str, rows: Iterable[tuple[str, int, str]], note: str = "") -> Labelled:
    """Dedupe by text (first label wins), then keep the test half."""
    first: dict[str, tuple[int, str]] = {}
    for text, label, cls in rows:
        text = text.strip()
        if text and text not in first:
            first[text] = (label, cls)
    test = test_half(first)
    keep = [t for t in first if t in test]
    return Labelled(
        name=name,
        source=source,
        texts=keep,
        labels=[first[t][0] for t in keep],
        classes=[first[t][1] for t in keep],
        note=note,
        n_all=len(first),
    )


def labelled_sets(data: Path) -> list[Labelled]:
    out: list[Labelled] = []
    # COLD: test.csv (label 1 offensive); falls back to dev.csv where test.csv is absent
    cold_test = data / "cold" / "test.csv"
    cold = cold_test if cold_test.exists() else data / "cold" / "dev.csv"
    if cold.exists():
        rows = _read_csv(cold)
        note = "" if cold == cold_test else "test.csv is absent from the shared data: dev.csv is used instead"
        out.append(
            _dedupe_split("cold", f"cold/{cold.name}", ((r["TEXT"], int(r["label"]), r["label"]) for r in rows), note)
        )
    swsr = data / "swsr" / "SexComment.csv"
    if swsr.exists():
        rows = _read_csv(swsr)
        out.append(
            _dedupe_split(
                "swsr", "swsr/SexComment.csv", ((r["comment_text"], int(r["label"]), r["label"]) for r in rows)
            )
        )
    harm = data / "chineseharm-bench" / "bench.json"
    if harm.exists():
        items = json.loads(harm.read_text(encoding="utf-8"))
        out.append(
            _dedupe_split(
                "chineseharm-bench",
                "chineseharm-bench/bench.json",
                ((str(it["文本"]), int(str(it["标签"]).strip() != "不违规"), str(it["标签"]).strip()) for it in items),
            )
        )
    toxicn = data / "toxicn" / "ToxiCN_1.0.csv"
    if toxicn.exists():
        rows = _read_csv(toxicn)
        out.append(
            _dedupe_split(
                "toxicn", "toxicn/ToxiCN_1.0.csv", ((r["content"], int(r["toxic"]), r["toxic_type"]) for r in rows)
            )
        )
    return out


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def benign_sets(data: Path, reference: Path) -> list[Labelled]:
    """Texts that should pass (label 0), test half of each."""
    out: list[Labelled] = []

    def add(name: str, source: str, texts: Iterable[str], note: str = "") -> None:
        out.append(_dedupe_split(name, source, ((t, 0, "") for t in texts), note))

    cv = data / "cvalues" / "cvalues_responsibility_prompts.jsonl"
    if cv.exists():
        add("cvalues", "cvalues prompts", (str(r["prompt"]) for r in _read_jsonl(cv)))
    sq = data / "chinese-safetyqa" / "chinese_safetyqa.jsonl"
    if sq.exists():
        add("chinese-safetyqa", "chinese-safetyqa questions", (str(r["question"]) for r in _read_jsonl(sq)))
    xs = data / "xstest" / "xstest_prompts.csv"
    if xs.exists():
        rows = _read_csv(xs)
        add(
            "xstest-safe",
            "xstest safe prompts (EN)",
            (r["prompt"] for r in rows if not r["type"].startswith("contrast")),
        )
    mds = sorted(reference.glob("*.md")) if reference.is_dir() else []
    if mds:
        paras = [p for f in mds for p in _paragraphs(f.read_text(encoding="utf-8"))]
        add("reference-md", "shared/reference/*.md paragraphs", paras)
    return out


@dataclass(slots=True)
class ObfVersion:
    name: str
    base: list[str]  # the un-obfuscated text of each row
    obf: list[str]  # the obfuscated text, aligned with base
    labels: list[int]  # 1 toxic
    mismatched: int = 0  # rows whose stated base text differs from the base file's


@dataclass(slots=True)
class ObfSet:
    name: str
    versions: list[ObfVersion]
    n_all: int  # rows / sentences before the split
    note: str = ""


def toxicloakcn(data: Path) -> ObfSet | None:
    root = data / "toxicloakcn"
    base_p = root / "base_data.tsv"
    if not base_p.exists():
        return None
    base = _read_csv(base_p, "\t")
    test = test_half(range(len(base)))
    idx = sorted(test)
    files = [
        ("homo_full", root / "Full_Perturbation" / "homo_full.tsv", "\t", "content", "toxic"),
        ("emoji_full", root / "Full_Perturbation" / "emoji_full.tsv", "\t", "content", "toxic"),
        ("homo_keyword", root / "Only_Keywords" / "homo_keyword.csv", ",", "text", "label"),
        ("emoji_keyword", root / "Only_Keywords" / "emoji_keyword.csv", ",", "text", "label"),
    ]
    versions: list[ObfVersion] = []
    for name, path, delim, tcol, lcol in files:
        if not path.exists():
            continue
        rows = _read_csv(path, delim)
        if len(rows) != len(base):
            raise ValueError(f"{path}: {len(rows)} rows, base_data.tsv has {len(base)}: not row-aligned")
        mism = sum(1 for i in idx if rows[i].get("_base_text", base[i]["content"]) != base[i]["content"])
        lab_mism = sum(1 for i in idx if int(rows[i][lcol]) != int(base[i]["toxic"]))
        if lab_mism:
            raise ValueError(f"{path}: {lab_mism} labels differ from base_data.tsv")
        versions.append(
            ObfVersion(
                name=name,
                base=[base[i]["content"] for i in idx],
                obf=[rows[i][tcol] for i in idx],
                labels=[int(base[i]["toxic"]) for i in idx],
                mismatched=mism,
            )
        )
    return ObfSet("toxicloakcn", versions, len(base))


def toxibenchcn_cntp(data: Path) -> ObfSet | None:
    root = data / "toxibenchcn-cntp"
    base_p = root / "toxic_base.json"
    if not base_p.exists():
        return None
    base: dict[int, str] = {}
    for r in json.loads(base_p.read_text(encoding="utf-8")):
        base.setdefault(int(r["sentence_id"]), str(r["original_text"]))
    test = test_half(base)
    versions: list[ObfVersion] = []
    for path in sorted((root / "perturbed_data").glob("*.jsonl")):
        seen: set[int] = set()
        b: list[str] = []
        o: list[str] = []
        mism = 0
        for r in _read_jsonl(path):
            sid = int(str(r["sentence_id"]))
            if sid in seen or sid not in base or sid not in test:
                continue  # first perturbation per sentence only; test half only
            seen.add(sid)
            if str(r.get("original_text", base[sid])) != base[sid]:
                mism += 1
            b.append(base[sid])
            o.append(str(r["perturbed_text"]))
        name = path.stem.removesuffix("_transform")
        versions.append(ObfVersion(name=name, base=b, obf=o, labels=[1] * len(b), mismatched=mism))
    return ObfSet(
        "toxibenchcn-cntp",
        versions,
        len(base),
        note="toxic sentences only; each perturbed file matched to toxic_base.json by sentence_id (first row per id)",
    )


def subsample(seq: Sequence[K], n: int | None) -> list[int]:
    """Indices of a deterministic subsample of at most n items (all when n is None)."""
    idx = list(range(len(seq)))
    if n is None or len(idx) <= n:
        return idx
    return sorted(random.Random(1).sample(idx, n))

"""The speed corpus, built as in ``../shared/reference/perf-anchors.md`` and cached under ``bench/_cache/``.

* **documents**: unique text fields (8 chars or more, containing CJK) of cbbq, s-eval (zh only), cold, toxicn and
  toxibenchcn-cntp; each source is shuffled (``random.Random(0)``), the sources are mixed round-robin, and the
  texts are joined with newlines into documents of about 2,000 chars until the target size (20 MB UTF-8) is reached;
* **short set**: texts of exactly 200 chars, cut at random offsets (seed 0) from those documents.

The cache key is a SHA-1 of the builder's parameters and of every source file's bytes, so a changed source
rebuilds the corpus. The cache holds NC data: it lives in ``bench/_cache/`` (git-ignored) and must stay out of
the repository.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import random
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BUILDER_VERSION = 1
DOC_CHARS = 2_000
SHORT_CHARS = 200
MIN_CHARS = 8

# source name -> glob patterns under the data folder (files read in sorted order)
SOURCES: dict[str, tuple[str, ...]] = {
    "cbbq": ("cbbq/**/*.json",),
    "s-eval": ("s-eval/S-Eval_*_zh_*.jsonl",),
    "cold": ("cold/*.csv",),
    "toxicn": ("toxicn/ToxiCN_1.0.csv",),
    "toxibenchcn-cntp": ("toxibenchcn-cntp/*.json", "toxibenchcn-cntp/perturbed_data/*.jsonl"),
}

_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


@dataclass(frozen=True, slots=True)
class Corpus:
    docs: list[str]
    short: list[str]
    meta: dict[str, Any]

    @property
    def docs_bytes(self) -> int:
        return int(self.meta["docs_bytes"])

    @property
    def short_bytes(self) -> int:
        return int(self.meta["short_bytes"])


def source_files(data: Path) -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = {}
    for name, patterns in SOURCES.items():
        files: set[Path] = set()
        for pat in patterns:
            files.update(p for p in data.glob(pat) if p.is_file())
        out[name] = sorted(files)
    return out


def _strings(obj: Any) -> Iterator[str]:
    """Top-level string fields of a record (a dict, a list of cells, or a string)."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            if isinstance(v, str):
                yield v
    elif isinstance(obj, list | tuple):
        for v in obj:
            if isinstance(v, str):
                yield v


def _records(path: Path) -> Iterator[Any]:
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as fh:
            csv.field_size_limit(sys.maxsize)
            yield from csv.reader(fh)
    elif path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield json.loads(line)
    elif path.suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, list):
            yield from data
        elif isinstance(data, dict):
            yield data


def source_texts(files: list[Path]) -> list[str]:
    """Unique text fields (stripped, >= 8 chars, containing CJK) in file order."""
    seen: dict[str, None] = {}
    for f in files:
        for rec in _records(f):
            for s in _strings(rec):
                s = s.strip()
                if len(s) >= MIN_CHARS and s not in seen and _CJK.search(s):
                    seen[s] = None
    return list(seen)


def cache_key(data: Path, target_bytes: int, n_short: int) -> str:
    h = hashlib.sha1()
    h.update(f"v{BUILDER_VERSION}|{target_bytes}|{n_short}|{DOC_CHARS}|{SHORT_CHARS}|{MIN_CHARS}".encode())
    for name, files in source_files(data).items():
        h.update(f"|{name}".encode())
        for f in files:
            h.update(f"|{f.relative_to(data).as_posix()}|".encode())
            with f.open("rb") as fh:
                for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                    h.update(block)
    return h.hexdigest()


def build(data: Path, target_bytes: int, n_short: int) -> Corpus:
    files = source_files(data)
    missing = [n for n, fs in files.items() if not fs]
    if missing:
        raise FileNotFoundError(f"corpus sources missing under {data}: {', '.join(missing)}")
    rng = random.Random(0)
    pools: list[list[str]] = []
    counts: dict[str, int] = {}
    seen: set[str] = set()  # unique across sources too (toxibenchcn-cntp repeats ToxiCN texts)
    for name in SOURCES:
        texts = [t for t in source_texts(files[name]) if t not in seen]
        seen.update(texts)
        rng.shuffle(texts)
        pools.append(texts)
        counts[name] = len(texts)
    # round-robin over the sources; an exhausted source drops out
    used = dict.fromkeys(SOURCES, 0)
    names = list(SOURCES)
    pos = [0] * len(pools)
    docs: list[str] = []
    cur: list[str] = []
    cur_len = 0
    total = 0
    done = False
    while not done:
        progressed = False
        for i, pool in enumerate(pools):
            if pos[i] >= len(pool):
                continue
            t = pool[pos[i]]
            pos[i] += 1
            used[names[i]] += 1
            progressed = True
            cur.append(t)
            cur_len += len(t) + 1
            if cur_len >= DOC_CHARS:
                doc = "\n".join(cur)
                docs.append(doc)
                total += len(doc.encode("utf-8"))
                cur, cur_len = [], 0
                if total >= target_bytes:
                    done = True
                    break
        if not progressed:
            if cur:
                doc = "\n".join(cur)
                docs.append(doc)
                total += len(doc.encode("utf-8"))
            break
    srng = random.Random(0)
    long_docs = [d for d in docs if len(d) >= SHORT_CHARS]
    short: list[str] = []
    for _ in range(n_short):
        d = long_docs[srng.randrange(len(long_docs))]
        o = srng.randrange(len(d) - SHORT_CHARS + 1)
        short.append(d[o : o + SHORT_CHARS])
    meta = {
        "docs": len(docs),
        "docs_bytes": total,
        "docs_chars": sum(len(d) for d in docs),
        "short_texts": len(short),
        "short_bytes": sum(len(s.encode("utf-8")) for s in short),
        "short_chars": SHORT_CHARS,
        "target_bytes": target_bytes,
        "doc_chars": DOC_CHARS,
        "unique_texts": counts,
        "texts_used": used,
        "sources_exhausted": sum(1 for i, p in enumerate(pools) if pos[i] >= len(p)),
    }
    return Corpus(docs, short, meta)


def load(data: Path, cache_dir: Path, target_bytes: int, n_short: int, log: Any = print) -> Corpus:
    """The cached corpus for these sources and parameters, building (and caching) it when needed."""
    t0 = time.perf_counter()
    key = cache_key(data, target_bytes, n_short)
    path = cache_dir / f"corpus-{key[:20]}.json"
    if path.exists():
        try:
            obj = json.loads(path.read_text(encoding="utf-8"))
            meta = dict(obj["meta"], cache_key=key, cache_hit=True)
            log(f"corpus: cached {path.name} ({meta['docs_bytes'] / 1e6:.2f} MB, {time.perf_counter() - t0:.1f} s)")
            return Corpus(obj["docs"], obj["short"], meta)
        except (OSError, ValueError, KeyError):
            pass  # rebuild below
    log("corpus: building from the sources (cached afterwards) ...")
    corpus = build(data, target_bytes, n_short)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(
        json.dumps({"meta": corpus.meta, "docs": corpus.docs, "short": corpus.short}, ensure_ascii=False),
        encoding="utf-8",
    )
    tmp.replace(path)
    corpus.meta.update(cache_key=key, cache_hit=False)
    log(f"corpus: built {corpus.meta['docs_bytes'] / 1e6:.2f} MB in {time.perf_counter() - t0:.1f} s -> {path}")
    return corpus

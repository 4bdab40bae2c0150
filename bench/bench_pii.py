#!/usr/bin/env python3
"""Benchmark of the ``pii`` detector (method as in ../shared/reference/perf-anchors.md §3).

Corpus: unique text fields (8+ chars, containing CJK) of cold, cbbq, swsr, s-eval (zh), chinese-safetyqa and
jade-db from ``../shared/data`` (read at run time, never copied), shuffled (seed 0) and joined into ~2,000-char
documents up to ``--mb`` MB of UTF-8. Short set: ``--short`` texts of exactly 200 chars cut from the same text.
The injected variant puts 4 synthetic items (resident ID, mobile, bank card, e-mail; formats varied) into 20% of
the short texts and counts how many the detector finds.

Also runs, for reference on the same machine, the naive 4-regex approach of the anchors (ID with checksum,
mobile, 16–19-digit card with Luhn, e-mail).

Usage: python bench/bench_pii.py [--mb 20] [--short 5000] [--runs 5] [--json OUT]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from hegui.detectors.base import DetectContext
from hegui.detectors.pii import PIIDetector, id_check_char, luhn_valid

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
CJK = re.compile("[\u4e00-\u9fff]")


def _texts() -> Iterator[str]:
    csv.field_size_limit(1 << 24)
    for name in ("train.csv", "dev.csv", "test.csv"):
        p = DATA / "cold" / name
        if p.exists():
            with p.open(encoding="utf-8", newline="") as fh:
                for row in csv.DictReader(fh):
                    yield row.get("TEXT", "")
    for p in sorted((DATA / "cbbq").glob("*/*/*.json")):
        for item in json.loads(p.read_text(encoding="utf-8")):
            yield item.get("context", "")
            yield item.get("question", "")
    p = DATA / "swsr" / "SexComment.csv"
    if p.exists():
        with p.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                yield row.get("comment_text", "")
    for p in (DATA / "s-eval" / "S-Eval_base_risk_zh_full.jsonl", DATA / "s-eval" / "S-Eval_attack_zh_small.jsonl"):
        if p.exists():
            for line in p.open(encoding="utf-8"):
                yield json.loads(line).get("prompt", "")
    p = DATA / "chinese-safetyqa" / "chinese_safetyqa.jsonl"
    if p.exists():
        for line in p.open(encoding="utf-8"):
            d = json.loads(line)
            yield d.get("question", "")
            yield d.get("standard_answer", "")
    for p in sorted((DATA / "jade-db").rglob("*_zh*.csv")):
        with p.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                for k in ("问题", "违规回答", "安全有用回答"):
                    if row.get(k):
                        yield row[k]


def build_corpus(mb: float, seed: int = 0) -> tuple[list[str], str]:
    seen: set[str] = set()
    uniq: list[str] = []
    for t in _texts():
        t = (t or "").strip()
        if len(t) >= 8 and t not in seen and CJK.search(t):
            seen.add(t)
            uniq.append(t)
    rng = random.Random(seed)
    rng.shuffle(uniq)
    target = int(mb * 1_000_000)
    docs: list[str] = []
    cur: list[str] = []
    cur_len = 0
    size = 0
    i = 0
    while size < target:
        t = uniq[i % len(uniq)]
        i += 1
        cur.append(t)
        cur_len += len(t) + 1
        if cur_len >= 2000:
            d = "\n".join(cur)
            docs.append(d)
            size += len(d.encode("utf-8"))
            cur, cur_len = [], 0
    return docs, "\n".join(uniq)


def short_texts(pool: str, n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        s = rng.randrange(0, len(pool) - 200)
        out.append(pool[s : s + 200])
    return out


# ------------------------------------------------------------------------------------------ synthetic PII

REGIONS = ["110105", "310104", "440305", "510107", "330106", "320102", "420106", "620102"]
FW = str.maketrans("0123456789", "０１２３４５６７８９")


def fake_id(rng: random.Random) -> str:
    body = f"{rng.choice(REGIONS)}{rng.randint(1940, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body += f"{rng.randint(0, 999):03d}"
    return body + id_check_char(body)


def fake_mobile(rng: random.Random) -> str:
    return rng.choice(["138", "139", "150", "186", "199", "177"]) + f"{rng.randint(0, 99_999_999):08d}"


def fake_card(rng: random.Random) -> str:
    while True:
        body = "622848" + "".join(str(rng.randint(0, 9)) for _ in range(12))
        for c in "0123456789":
            if luhn_valid(body + c):
                return body + c


def fake_email(rng: random.Random) -> str:
    user = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 10)))
    return f"{user}{rng.randint(1, 999)}@{rng.choice(['qq.com', '163.com', 'example.cn', 'mail.example.org'])}"


def fmt(kind: str, v: str, rng: random.Random) -> str:
    r = rng.random()
    if kind == "mobile":
        if r < 0.2:
            return f"{v[:3]}-{v[3:7]}-{v[7:]}"
        if r < 0.35:
            return f"+86 {v[:3]} {v[3:7]} {v[7:]}"
        if r < 0.45:
            return v.translate(FW)
    if kind == "bank_card" and r < 0.3:
        return " ".join(v[i : i + 4] for i in range(0, len(v), 4))
    if kind == "id_card" and r < 0.1:
        return v.translate(FW)
    return v


LABELS = {"id_card": "身份证号", "mobile": "手机", "bank_card": "卡号", "email": "邮箱"}


def inject(texts: list[str], frac: float, seed: int = 2) -> tuple[list[str], int]:
    rng = random.Random(seed)
    out = []
    injected = 0
    makers: dict[str, Callable[[random.Random], str]] = {
        "id_card": fake_id,
        "mobile": fake_mobile,
        "bank_card": fake_card,
        "email": fake_email,
    }
    for t in texts:
        if rng.random() < frac:
            q = len(t) // 4
            parts = [t[:q], t[q : 2 * q], t[2 * q : 3 * q], t[3 * q :]]
            items = []
            for kind, mk in makers.items():
                items.append(f"{LABELS[kind]}：{fmt(kind, mk(rng), rng)}，")
            rng.shuffle(items)
            t = "".join(p + it for p, it in zip(parts, items, strict=True))
            injected += 4
        out.append(t)
    return out, injected


# ------------------------------------------------------------------------------------------ naive baseline

_NAIVE_ID = re.compile(r"(?<!\d)[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?!\d)")
_NAIVE_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_NAIVE_CARD = re.compile(r"(?<!\d)\d{16,19}(?!\d)")
_NAIVE_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def naive(text: str) -> int:
    n = 0
    for m in _NAIVE_ID.finditer(text):
        s = m.group().upper()
        if s[:17].isascii() and id_check_char(s[:17]) == s[17]:
            n += 1
    n += sum(1 for _ in _NAIVE_MOBILE.finditer(text))
    n += sum(1 for m in _NAIVE_CARD.finditer(text) if luhn_valid(m.group()))
    n += sum(1 for _ in _NAIVE_EMAIL.finditer(text))
    return n


# ------------------------------------------------------------------------------------------ timing


def time_docs(fn: Callable[[str], Any], docs: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for d in docs:
            fn(d)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def time_short(fn: Callable[[str], Any], texts: list[str], runs: int) -> dict[str, float]:
    runs_out = []
    for _ in range(runs):
        lat = []
        pc = time.perf_counter_ns
        t0 = time.perf_counter()
        for t in texts:
            a = pc()
            fn(t)
            lat.append(pc() - a)
        total = time.perf_counter() - t0
        lat.sort()
        runs_out.append(
            {
                "texts_per_s": len(texts) / total,
                "p50_us": lat[len(lat) // 2] / 1000,
                "p99_us": lat[int(len(lat) * 0.99)] / 1000,
            }
        )
    return {k: statistics.median(r[k] for r in runs_out) for k in runs_out[0]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=20.0)
    ap.add_argument("--short", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--show-hits", type=int, default=0, help="print N natural hits (type + masked context)")
    args = ap.parse_args(argv)
    if not DATA.is_dir():
        print(f"data not found: {DATA}", file=sys.stderr)
        return 2

    det = PIIDetector()
    det.load()
    ctx = DetectContext()

    def detect(t: str) -> list[Any]:
        return det.detect(t, ctx)

    docs, pool = build_corpus(args.mb)
    mb = sum(len(d.encode("utf-8")) for d in docs) / 1e6
    chars = sum(len(d) for d in docs)
    plain = short_texts(pool, args.short)
    injected, n_injected = inject(plain, 0.2)

    res: dict[str, Any] = {
        "python": sys.version.split()[0],
        "corpus_mb": round(mb, 2),
        "corpus_chars": chars,
        "docs": len(docs),
    }
    # natural hits (precision look)
    natural: Counter[str] = Counter()
    examples: list[str] = []
    for d in docs:
        for f in det.detect(d, ctx):
            natural[f.kind] += 1
            if len(examples) < args.show_hits and f.span is not None:
                s, e = f.span.start, f.span.end
                examples.append(f"{f.kind} {f.score}: …{d[max(0, s - 15) : s]}⟦{d[s:e]}⟧{d[e : e + 15]}…")
    res["natural_hits_corpus"] = dict(natural)
    res["natural_hits_short_plain"] = dict(Counter(f.kind for t in plain for f in det.detect(t, ctx)))
    found = Counter(f.kind for t in injected for f in det.detect(t, ctx))
    res["injected_items"] = n_injected
    res["found_short_injected"] = dict(found)

    docs_inj, n_docs_inj = inject(docs, 0.2, seed=3)
    mb_inj = sum(len(d.encode("utf-8")) for d in docs_inj) / 1e6
    res["docs_injected_items"] = n_docs_inj
    res["found_docs_injected"] = dict(Counter(f.kind for d in docs_inj for f in det.detect(d, ctx)))

    t = time_docs(detect, docs, args.runs)
    res["pii_docs_MB_s"] = round(mb / t, 1)
    res["pii_docs_s"] = round(t, 4)
    t = time_docs(detect, docs_inj, args.runs)
    res["pii_docs_injected_MB_s"] = round(mb_inj / t, 1)
    res["pii_short_plain"] = time_short(detect, plain, args.runs)
    res["pii_short_injected"] = time_short(detect, injected, args.runs)
    tn = time_docs(naive, docs, args.runs)
    res["naive4_docs_MB_s"] = round(mb / tn, 1)
    tn = time_docs(naive, docs_inj, args.runs)
    res["naive4_docs_injected_MB_s"] = round(mb_inj / tn, 1)
    res["naive4_short_plain"] = time_short(naive, plain, args.runs)
    res["naive4_short_injected"] = time_short(naive, injected, args.runs)

    for k, v in res.items():
        if isinstance(v, dict):
            v = {kk: round(vv, 1) if isinstance(vv, float) else vv for kk, vv in v.items()}
        print(f"{k}: {v}")
    for ex in examples:
        print(ex)
    if args.json:
        args.json.write_text(json.dumps(res, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

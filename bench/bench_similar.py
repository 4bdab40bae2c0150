"""Similar-text and protected-works libraries: build time, memory, lookup latency, recall, at full size.

    .venv/bin/python bench/bench_similar.py              # 100,000 entries; 1,000 works x 10,000 chars
    .venv/bin/python bench/bench_similar.py --quick      # 10,000 entries; 100 works (smoke test, ~20 s)
    .venv/bin/python bench/bench_similar.py --out F.json # where to write the figures (default bench/_cache/)

Everything is read at run time from ``../shared/data`` (``--data``); nothing is copied into the repository and
the JSON written holds figures only, never dataset text. Single-threaded (one core): native thread pools are
pinned to one thread before NumPy is imported. ``run(data, quick)`` returns the figures for ``bench/run.py``.

Method
------
* **Texts**: the unique string fields (12-400 chars after cutting longer ones into sentences, containing CJK) of
  the Chinese sets under the data folder (cbbq, s-eval zh, cold, toxicn, swsr, corgi-pm, chineseharm-bench,
  jade-db zh, chinese-safetyqa, cvalues, chisafetybench, safetybench zh), shuffled with seed 0. The first N
  (100,000) are the library: 95 % black, 5 % suspect. The news sentences of cluener2020 never enter the library:
  1,000 of them are white entries, the rest is unrelated text for the queries.
* **Queries** (200 chars each):
  ``miss``: 200-char windows of the news text joined together;
  ``contained``: a library entry of 20-150 chars, edited (see below), put at a random place in news text;
  ``near_dup``: a library entry of 150-400 chars, edited, cut or padded with news text to 200 chars.
  Edits: punctuation replaced or removed, 0-3 characters substituted, spaces and an emoji inserted, and in
  every other text the characters converted to traditional forms (OpenCC s2t when installed).
  ``flagged``: the share of texts with a finding; ``entry found``: the share whose findings include the entry
  the text was made from (lower: near-identical entries of the same template can take the ten places).
* **Latency**: ``SimilarTextDetector.detect`` (normalisation, lookup, verification, findings), three passes over
  every set. ``p50/p99``: wall clock of the first pass (``perf_counter_ns``); ``CPU p50/p99``: per text, the
  lowest thread CPU time of the three passes, which leaves out the interference of other processes on a shared
  machine.
* **Build**: ``add_many`` of every entry into an empty detector, in this process; memory is the RSS growth
  across the build (the texts were already in memory; freed heap is returned to the OS before measuring) and,
  separately, the bytes of the index arrays. ``add``/``remove``: 300 run-time edits at full size.
* **Protected works**: 1,000 works of 10,000 chars: the library texts joined, each used once, without the
  templated sets (cbbq, s-eval: their texts share long passages); when the texts run out, a per-work
  substitution of the CJK characters makes further works that share nothing. Outputs of 3,000 chars of news
  text with (a) nothing copied, (b) a 200-char passage of a work copied verbatim, (c) the same with 4
  characters substituted, punctuation changed and traditional forms, (d) a 30-char quotation; and outputs of
  10,000 chars with nothing or a verbatim passage. ``found``: the copied work is among the findings.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import os
import random
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "src"))

from bench_lib import percentile, rss_mb  # noqa: E402

SOURCES: dict[str, tuple[str, ...]] = {
    "cbbq": ("cbbq/**/*.json",),
    "s-eval": ("s-eval/S-Eval_*_zh_*.jsonl",),
    "cold": ("cold/*.csv",),
    "toxicn": ("toxicn/ToxiCN_1.0.csv",),
    "swsr": ("swsr/SexComment.csv",),
    "corgi-pm": ("corgi-pm/*.jsonl",),
    "chineseharm-bench": ("chineseharm-bench/bench.json",),
    "jade-db": ("jade-db/**/*_zh.csv",),
    "chinese-safetyqa": ("chinese-safetyqa/*.jsonl",),
    "cvalues": ("cvalues/*.jsonl",),
    "chisafetybench": ("chisafetybench/**/*.json",),
    "safetybench": ("safetybench/*zh*.json",),
    "cluener2020": ("cluener2020/*.json",),
}
LONG_OUTPUT = 10_000  # chars of the long outputs in the protected-works sets
TEMPLATED = ("cbbq", "s-eval")  # texts generated from templates: many share long passages
NEWS = "cluener2020"  # unrelated text: never in the library; the miss set and the filler come from it
_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")
_SENT = re.compile(r"(?<=[。！？!?；;\n])")
_PUNCT = "，。！？、；：“”"
_EMOJI = "😀😂🤣😅🙏👍🔥💯😱🤔"


def log(msg: str) -> None:
    print(f"[similar {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# -- data -------------------------------------------------------------------------------------------------


def _strings(obj: Any, depth: int = 0) -> Iterator[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict) and depth < 3:
        for v in obj.values():
            yield from _strings(v, depth + 1)
    elif isinstance(obj, list | tuple) and depth < 3:
        for v in obj:
            yield from _strings(v, depth + 1)


def _records(path: Path) -> Iterator[Any]:
    if path.suffix == ".csv":
        csv.field_size_limit(sys.maxsize)
        with path.open(encoding="utf-8-sig", newline="") as fh:
            yield from csv.reader(fh)
    elif path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    try:
                        yield json.loads(line)
                    except json.JSONDecodeError:
                        continue
    elif path.suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            with path.open(encoding="utf-8") as fh:  # cluener2020 is JSON Lines named .json
                for line in fh:
                    if line.strip():
                        yield json.loads(line)
            return
        if isinstance(data, list):
            yield from data
        else:
            yield data


def load_texts(data: Path) -> dict[str, list[str]]:
    """Unique texts (12-400 chars, containing CJK) per source, long ones cut into sentences; each source
    shuffled with seed 0. A text is kept by the first source that has it."""
    seen: set[str] = set()
    out: dict[str, list[str]] = {}
    for name, patterns in SOURCES.items():
        files = sorted({p for pat in patterns for p in data.glob(pat) if p.is_file()})
        texts: list[str] = []
        for f in files:
            for rec in _records(f):
                for s in _strings(rec):
                    s = s.strip()
                    if len(s) < 12 or not _CJK.search(s):
                        continue
                    parts = [s] if len(s) <= 400 else [p.strip() for p in _SENT.split(s)]
                    for p in parts:
                        if 12 <= len(p) <= 400 and p not in seen:
                            seen.add(p)
                            texts.append(p)
        random.Random(0).shuffle(texts)
        out[name] = texts
    return out


def split(by_source: dict[str, list[str]], n_entries: int) -> tuple[list[str], list[str], list[str]]:
    """(library, held-out texts of the same sources, unrelated news text of cluener2020)."""
    news = by_source.get(NEWS, [])
    rest = [t for name, ts in by_source.items() if name != NEWS for t in ts]
    random.Random(0).shuffle(rest)
    if len(rest) < n_entries + 500:
        raise SystemExit(f"only {len(rest)} library texts; need {n_entries + 500}")
    if len(news) < 1000:
        raise SystemExit(f"only {len(news)} news texts under {NEWS}/; need 1,000")
    return rest[:n_entries], rest[n_entries:], news


def _s2t() -> Any:
    try:
        import opencc

        return opencc.OpenCC("s2t").convert
    except Exception:  # opencc not installed: no traditional edits
        return None


def edit(text: str, rng: random.Random, s2t: Any, subs: int, traditional: bool) -> str:
    """Punctuation changed or removed, ``subs`` characters substituted, spaces and an emoji inserted."""
    chars = list(text)
    for i, c in enumerate(chars):
        if c in _PUNCT:
            chars[i] = rng.choice(["", " ", "!", ",", "…", "~"])
    cjk = [i for i, c in enumerate(chars) if _CJK.match(c)]
    for i in rng.sample(cjk, min(subs, len(cjk))):
        chars[i] = rng.choice("的一是了我不人在他有这个上们来到时大地为子中你说生国年着就那和要")
    for _ in range(2):
        chars.insert(rng.randrange(len(chars) + 1), " ")
    chars.insert(rng.randrange(len(chars) + 1), rng.choice(_EMOJI))
    out = "".join(chars)
    if traditional and s2t is not None:
        out = s2t(out)
    return out


def filler(held: list[str], rng: random.Random, n: int) -> str:
    parts: list[str] = []
    total = 0
    while total < n:
        t = held[rng.randrange(len(held))]
        parts.append(t)
        total += len(t)
    s = "".join(parts)
    start = rng.randrange(max(1, len(s) - n + 1))
    return s[start : start + n]


def _trim() -> None:
    """Collect garbage and hand freed heap back to the OS, so RSS growth measures what is kept."""
    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


# -- timing -----------------------------------------------------------------------------------------------


def timed(fn: Any, items: list[str], passes: int = 3) -> tuple[list[float], list[float], list[Any]]:
    """``passes`` timed passes over the items. Returns the first pass's wall-clock microseconds per item, the
    lowest thread CPU microseconds per item over the passes (what the call costs without the interference of
    other processes on a shared machine), and the results of the first pass."""
    wall: list[float] = []
    cpu: list[float] = [float("inf")] * len(items)
    out: list[Any] = []
    for k in range(passes):
        for i, t in enumerate(items):
            c0 = time.thread_time_ns()
            t0 = time.perf_counter_ns()
            r = fn(t)
            w = (time.perf_counter_ns() - t0) / 1000.0
            cpu[i] = min(cpu[i], (time.thread_time_ns() - c0) / 1000.0)
            if k == 0:
                wall.append(w)
                out.append(r)
    return wall, cpu, out


def stats(us: list[float], cpu: list[float] | None = None) -> dict[str, float]:
    s = sorted(us)
    d = {
        "p50_us": round(percentile(s, 50), 1),
        "p99_us": round(percentile(s, 99), 1),
        "max_us": round(s[-1], 1),
        "mean_us": round(sum(s) / len(s), 1),
    }
    if cpu:
        c = sorted(cpu)
        d["cpu_p50_us"] = round(percentile(c, 50), 1)
        d["cpu_p99_us"] = round(percentile(c, 99), 1)
    return d


# -- similar ----------------------------------------------------------------------------------------------


def bench_similar(by_source: dict[str, list[str]], n_entries: int, n_queries: int, seed: int = 0) -> dict[str, Any]:
    from hegui.detectors.base import DetectContext
    from hegui.detectors.similar import SimilarTextDetector

    rng = random.Random(seed)
    s2t = _s2t()
    lib, _held, news_all = split(by_source, n_entries)
    whites, news = news_all[:1000], news_all[1000:]
    items: list[dict[str, Any]] = [
        {"text": t, "kind": "suspect" if i % 20 == 19 else "black", "risk": "A1.7", "id": f"e{i}"}
        for i, t in enumerate(lib)
    ]
    items += [{"text": t, "kind": "white", "id": f"w{i}"} for i, t in enumerate(whites)]
    lib_chars = sum(len(t) for t in lib)
    log(f"building {len(items):,} entries ({lib_chars / n_entries:.0f} chars on average)")

    det = SimilarTextDetector()
    det.load()
    det.detect("预热文本，预热文本。", DetectContext())
    _trim()
    rss0 = rss_mb()
    t0 = time.perf_counter()
    det.add_many(items)
    build_s = time.perf_counter() - t0
    _trim()
    rss1 = rss_mb()
    st = det.index_stats()
    log(f"built in {build_s:.2f} s, RSS +{rss1 - rss0:.1f} MB, index {st['index_bytes'] / 1e6:.1f} MB")

    # queries
    ctx = DetectContext()
    miss = [filler(news, rng, 200) for _ in range(n_queries)]
    black_idx = [i for i in range(n_entries) if i % 20 != 19]
    short = [i for i in black_idx if 20 <= len(lib[i]) <= 150]
    long_ = [i for i in black_idx if 150 <= len(lib[i]) <= 400]
    contained: list[tuple[str, int]] = []
    for k in range(n_queries):
        i = short[rng.randrange(len(short))]
        e = edit(lib[i], rng, s2t, subs=rng.randint(0, 3), traditional=k % 2 == 1)
        pad = max(0, 200 - len(e))
        left = rng.randint(0, pad)
        contained.append((filler(news, rng, left) + e + filler(news, rng, pad - left), i))
    near: list[tuple[str, int]] = []
    for k in range(n_queries):
        i = long_[rng.randrange(len(long_))]
        e = edit(lib[i], rng, s2t, subs=rng.randint(0, 3), traditional=k % 2 == 1)
        near.append((e[:200] if len(e) >= 200 else e + filler(news, rng, 200 - len(e)), i))

    def run(q: str) -> list[Any]:
        return det.detect(q, ctx)

    for q in miss[:200]:  # warm-up
        run(q)
    res: dict[str, Any] = {
        "entries": len(items),
        "entry_chars_mean": round(lib_chars / n_entries, 1),
        "build_s": round(build_s, 2),
        "rss_mb": round(rss1 - rss0, 1),
        "index_mb": round(st["index_bytes"] / 1e6, 1),
        "index": st,
        "sets": {},
    }
    all_us: list[float] = []
    all_cpu: list[float] = []
    for name, qs in (("miss", [(q, -1) for q in miss]), ("contained", contained), ("near_dup", near)):
        us, cpu, found = timed(run, [q for q, _ in qs])
        all_us += us
        all_cpu += cpu
        row: dict[str, Any] = {"n": len(qs), **stats(us, cpu)}
        row["texts_with_findings"] = round(sum(1 for f in found if f) / len(found), 4)
        if name != "miss":
            hit = sum(1 for f, (_, i) in zip(found, qs, strict=True) if any(x.evidence == f"black:e{i}" for x in f))
            row["recall_entry"] = round(hit / len(qs), 4)
        if name == "contained":
            ok = 0
            for f, (q, i) in zip(found, qs, strict=True):
                fs = [x for x in f if x.evidence == f"black:e{i}" and x.span is not None]
                ok += bool(fs) and len(q[fs[0].span.start : fs[0].span.end]) >= 0.8 * len(lib[i].strip()) - 4
            row["span_ok"] = round(ok / len(qs), 4)
        res["sets"][name] = row
        log(f"{name}: {row}")
    res["all"] = stats(all_us, all_cpu)
    log(f"all: {res['all']}")

    # run-time edits at full size
    add_us: list[float] = []
    rm_us: list[float] = []
    for k in range(300):
        t = filler(news, rng, 80)
        t0 = time.perf_counter_ns()
        eid = det.add(t, kind="black", risk="A1.7", id=f"rt{k}")
        add_us.append((time.perf_counter_ns() - t0) / 1000.0)
        if not any(f.evidence == f"black:{eid}" for f in det.detect(t, ctx)):
            raise SystemExit("an added entry was not found at once")
        t0 = time.perf_counter_ns()
        det.remove(eid)
        rm_us.append((time.perf_counter_ns() - t0) / 1000.0)
    res["add"] = stats(add_us)
    res["remove"] = stats(rm_us)

    # persistence
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "lib.jsonl"
        t0 = time.perf_counter()
        det.save(p)
        res["save_s"] = round(time.perf_counter() - t0, 2)
        res["file_mb"] = round(p.stat().st_size / 1e6, 1)
        t0 = time.perf_counter()
        d2 = SimilarTextDetector(paths=[str(p)])
        d2.load()
        res["load_s"] = round(time.perf_counter() - t0, 2)
        assert d2.size == det.size
    return res


# -- protected works ----

_CJK_LO, _CJK_N = 0x4E00, 0x9FA6 - 0x4E00


def make_works(src: list[str], n_works: int, work_chars: int) -> list[str]:
    """Works of ``work_chars`` characters: the library texts joined, each used once. When they run out (10M
    characters are more than the data holds), the next works re-use them through a per-work substitution of
    the CJK characters (an affine map of the code points), so that no two works share passages."""
    works: list[str] = []
    i = 0
    rounds = 0
    table: dict[int, int] = {}
    while len(works) < n_works:
        parts: list[str] = []
        total = 0
        while total < work_chars:
            if i == len(src):
                i = 0
                rounds += 1
                a = 2 * rounds + 1  # odd, coprime with the range size (20,902 = 2 x 7 x 1,493)
                while _CJK_N % a == 0 or a % 7 == 0:
                    a += 2
                table = {
                    c: _CJK_LO + ((c - _CJK_LO) * a + 97 * rounds) % _CJK_N for c in range(_CJK_LO, _CJK_LO + _CJK_N)
                }
            t = src[i]
            i += 1
            parts.append(t.translate(table) if rounds else t)
            total += len(t)
        works.append("".join(parts)[:work_chars])
    return works


def bench_protected(
    by_source: dict[str, list[str]], n_works: int, work_chars: int, n_queries: int, out_chars: int, seed: int = 1
) -> dict[str, Any]:
    from hegui.core.types import Stage
    from hegui.detectors.base import DetectContext
    from hegui.detectors.similar import ProtectedWorksDetector

    rng = random.Random(seed)
    s2t = _s2t()
    # templated sets (cbbq, s-eval) share long passages between their texts; protected works do not
    src = [t for name, ts in by_source.items() if name not in (NEWS, *TEMPLATED) for t in ts]
    random.Random(seed).shuffle(src)
    other = by_source[NEWS]
    works = make_works(src, n_works, work_chars)
    det = ProtectedWorksDetector()
    det.load()
    _trim()
    rss0 = rss_mb()
    t0 = time.perf_counter()
    det.add_many([{"text": w, "title": f"作品{i}", "id": f"w{i}"} for i, w in enumerate(works)])
    build_s = time.perf_counter() - t0
    _trim()
    rss1 = rss_mb()
    st = det.index_stats()
    log(f"protected: {n_works} works x {work_chars} chars built in {build_s:.2f} s, RSS +{rss1 - rss0:.1f} MB")
    ctx = DetectContext(stage=Stage.OUTPUT)

    def passage(edits: bool) -> tuple[str, int, str]:
        w = rng.randrange(n_works)
        start = rng.randrange(work_chars - 200)
        p = works[w][start : start + 200]
        if edits:
            p = edit(p, rng, s2t, subs=4, traditional=rng.random() < 0.5)
        return p, w, works[w][start : start + 200]

    sets: dict[str, list[tuple[str, int]]] = {
        "none": [],
        "verbatim": [],
        "near_verbatim": [],
        "quote_30": [],
        "long_none": [],
        "long_verbatim": [],
    }
    for k in range(n_queries):
        sets["none"].append((filler(other, rng, out_chars), -1))
        for name, edits in (("verbatim", False), ("near_verbatim", True)):
            p, w, _orig = passage(edits)
            pos = rng.randrange(out_chars - 200)
            base = filler(other, rng, out_chars - 200)
            sets[name].append((base[:pos] + p + base[pos:], w))
        w = rng.randrange(n_works)
        start = rng.randrange(work_chars - 30)
        base = filler(other, rng, out_chars - 30)
        pos = rng.randrange(len(base))
        sets["quote_30"].append((base[:pos] + works[w][start : start + 30] + base[pos:], w))
        if k % 5 == 0:  # a fifth as many outputs of LONG_OUTPUT chars
            sets["long_none"].append((filler(other, rng, LONG_OUTPUT), -1))
            p, w, _orig = passage(False)
            pos = rng.randrange(LONG_OUTPUT - 200)
            base = filler(other, rng, LONG_OUTPUT - 200)
            sets["long_verbatim"].append((base[:pos] + p + base[pos:], w))

    for q, _ in sets["none"][:50]:
        det.detect(q, ctx)
    res: dict[str, Any] = {
        "works": n_works,
        "work_chars": work_chars,
        "output_chars": out_chars,
        "build_s": round(build_s, 2),
        "rss_mb": round(rss1 - rss0, 1),
        "index_mb": round(st["index_bytes"] / 1e6, 1),
        "index": st,
        "sets": {},
    }
    all_us: list[float] = []
    all_cpu: list[float] = []
    for name, qs in sets.items():
        us, cpu, found = timed(lambda q: det.detect(q, ctx), [q for q, _ in qs])
        all_us += us
        all_cpu += cpu
        row: dict[str, Any] = {"n": len(qs), **stats(us, cpu)}
        if name in ("none", "quote_30", "long_none"):
            row["texts_with_findings"] = round(sum(1 for f in found if f) / len(found), 4)
        else:
            row["recall"] = round(
                sum(1 for f, (_, w) in zip(found, qs, strict=True) if any(x.evidence == f"work:w{w}" for x in f))
                / len(qs),
                4,
            )
        res["sets"][name] = row
        log(f"protected {name}: {row}")
    res["all"] = stats(all_us, all_cpu)
    return res


def run(data: Path, quick: bool = False) -> dict[str, Any]:
    t0 = time.perf_counter()
    by_source = load_texts(data)
    per_source = {k: len(v) for k, v in by_source.items()}
    log(f"{sum(per_source.values()):,} texts from {len(per_source)} sources in {time.perf_counter() - t0:.1f} s")
    n_entries = 10_000 if quick else 100_000
    n_q = 300 if quick else 2_000
    out: dict[str, Any] = {"texts": per_source}
    out["similar"] = bench_similar(by_source, n_entries, n_q)
    n_works = 100 if quick else 1_000
    out["protected"] = bench_protected(by_source, n_works, 10_000, 200 if quick else 500, 3_000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", type=Path, default=HERE / "_cache" / "similar.json")
    ap.add_argument("--only", choices=["similar", "protected"])
    args = ap.parse_args()
    if args.only:
        by_source = load_texts(args.data)
        if args.only == "similar":
            res = {"similar": bench_similar(by_source, 10_000 if args.quick else 100_000, 300 if args.quick else 2_000)}
        else:
            res = {
                "protected": bench_protected(
                    by_source, 100 if args.quick else 1_000, 10_000, 200 if args.quick else 500, 3_000
                )
            }
    else:
        res = run(args.data, args.quick)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(render(res))
    log(f"figures written to {args.out}")


def render(res: dict[str, Any]) -> str:
    """The figures as Markdown tables."""
    out: list[str] = []
    if "similar" in res:
        r = res["similar"]
        out += [
            f"### Similar-text library: {r['entries']:,} entries ({r['entry_chars_mean']:.0f} chars on average)",
            "",
            f"build {r['build_s']} s (add_many), RSS +{r['rss_mb']} MB, index arrays {r['index_mb']} MB; "
            f"save {r.get('save_s')} s ({r.get('file_mb')} MB JSONL), load {r.get('load_s')} s; "
            f"add p50/p99 {r['add']['p50_us']:.0f}/{r['add']['p99_us']:.0f} us, "
            f"remove p50/p99 {r['remove']['p50_us']:.0f}/{r['remove']['p99_us']:.0f} us",
            "",
            "| set (200 chars) | n | p50 us | p99 us | CPU p50 us | CPU p99 us | flagged | entry found |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name, row in [*r["sets"].items(), ("all", r["all"])]:
            out.append(
                f"| {name} | {row.get('n', '')} | {row['p50_us']:.0f} | {row['p99_us']:.0f} | "
                f"{row['cpu_p50_us']:.0f} | {row['cpu_p99_us']:.0f} | {row.get('texts_with_findings', '')} | "
                f"{row.get('recall_entry', '')} |"
            )
        out.append("")
    if "protected" in res:
        r = res["protected"]
        out += [
            f"### Protected works: {r['works']:,} works x {r['work_chars']:,} chars",
            "",
            f"build {r['build_s']} s, RSS +{r['rss_mb']} MB, index arrays {r['index_mb']} MB",
            "",
            "| set | n | p50 us | p99 us | CPU p50 us | CPU p99 us | found / flagged |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, row in [*r["sets"].items(), ("all", r["all"])]:
            found = row.get("recall", row.get("texts_with_findings", ""))
            out.append(
                f"| {name} | {row.get('n', '')} | {row['p50_us']:.0f} | {row['p99_us']:.0f} | "
                f"{row['cpu_p50_us']:.0f} | {row['cpu_p99_us']:.0f} | {found} |"
            )
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    main()

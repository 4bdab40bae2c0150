"""Build one matcher in a FRESH process and report its build time and RSS growth (JSON on stdout).

    python bench/bench_probe.py lexicon [--library PATH] [--homophones]
    python bench/bench_probe.py ahocorasick_rs|pyahocorasick --terms FILE

``lexicon``: RSS is read after importing hegui's lexicon detector (NumPy and ahocorasick-rs loaded), then
``LexiconDetector().load()`` is timed: it reads the normalisation table, parses the library, normalises every
term and builds the automaton. The raw matchers: the surface terms are read from FILE (one a line, written by
the parent, so that no freed memory is lying around for the automaton to reuse), then only the automaton
build is timed. Before the "before" reading, freed heap memory is returned to the OS (glibc ``malloc_trim``).
RSS growth = RSS after minus RSS before (psutil; /proc as a fallback).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_lib import rss_mb


def _settle() -> None:
    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["lexicon", "ahocorasick_rs", "pyahocorasick"])
    ap.add_argument("--library", default=None)
    ap.add_argument("--terms", default=None, help="surface terms, one a line (raw matchers)")
    ap.add_argument("--homophones", action="store_true")
    a = ap.parse_args(argv)
    out: dict[str, object] = {"kind": a.kind, "pid": os.getpid()}
    if a.kind == "lexicon":
        from hegui.detectors.lexicon.detector import LexiconDetector

        kw: dict[str, object] = {"homophones": a.homophones}
        if a.library:
            kw.update(paths=[a.library], include_default=False)
        det = LexiconDetector(**kw)  # type: ignore[arg-type]
        _settle()
        before = rss_mb()
        t0 = time.perf_counter()
        det.load()
        build = time.perf_counter() - t0
        after = rss_mb()
        st = getattr(det, "_state", None)
        stats = getattr(getattr(st, "compiled", None), "stats", None)
        out.update(
            size=det.size,
            allow_size=getattr(det, "allow_size", None),
            version=det.version,
            patterns=getattr(stats, "patterns", None),
            skipped=len(getattr(stats, "skipped", ()) or ()),
        )
    else:
        with open(a.terms, encoding="utf-8") as fh:
            terms = fh.read().split("\n")
        if a.kind == "ahocorasick_rs":
            import ahocorasick_rs

            _settle()
            before = rss_mb()
            t0 = time.perf_counter()
            ac = ahocorasick_rs.AhoCorasick(terms, matchkind=ahocorasick_rs.MatchKind.Standard)
            build = time.perf_counter() - t0
        else:
            import ahocorasick

            _settle()
            before = rss_mb()
            t0 = time.perf_counter()
            ac = ahocorasick.Automaton()
            for i, t in enumerate(terms):
                ac.add_word(t, i)
            ac.make_automaton()
            build = time.perf_counter() - t0
        after = rss_mb()
        out.update(patterns=len(terms), alive=ac is not None)
    out.update(
        build_s=build,
        rss_before_mb=before,
        rss_after_mb=after,
        rss_growth_mb=after - before,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    )
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

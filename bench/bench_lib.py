"""Small helpers shared by the benchmark scripts: the library's surface terms, RSS, statistics, environment."""

from __future__ import annotations

import os
import platform
import statistics
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any


def library_path(library: str | None) -> Path:
    if library:
        return Path(library)
    from hegui.detectors.lexicon.detector import default_library_path

    return default_library_path()


def library_terms(library: str | None = None) -> tuple[list[str], dict[str, Any]]:
    """The library's surface terms as stored in the file: plain terms, every rule part (positive and negative)
    and allow-list phrases, deduplicated in file order. This is what the raw matchers are built from."""
    from hegui.detectors.lexicon.format import load_library

    path = library_path(library)
    lib = load_library(path)
    seen: dict[str, None] = {}
    n_term = n_rule = 0
    for e in lib.entries:
        if e.kind == "rule":
            n_rule += 1
            for p in (*e.parts, *e.negs):
                seen.setdefault(p, None)
        else:
            n_term += 1
            seen.setdefault(e.term, None)
    for e in lib.allow:
        seen.setdefault(e.term, None)
    terms = [t for t in seen if t]
    info = {
        "path": str(path),
        "name": lib.name,
        "version": lib.version,
        "updated": lib.updated,
        "entries": len(lib.entries),
        "term_entries": n_term,
        "rule_entries": n_rule,
        "allow_entries": len(lib.allow),
        "removals": len(lib.removals),
        "surface_terms": len(terms),
    }
    return terms, info


def rss_mb() -> float:
    """Resident set size of this process in MB (MiB)."""
    try:
        import psutil

        return float(psutil.Process().memory_info().rss) / (1 << 20)
    except ImportError:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1 << 20)


def median(xs: Sequence[float]) -> float:
    return float(statistics.median(xs))


def percentile(sorted_xs: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted sequence (q in 0..100)."""
    if not sorted_xs:
        return float("nan")
    k = max(0, min(len(sorted_xs) - 1, round(q / 100.0 * len(sorted_xs) + 0.5) - 1))
    return float(sorted_xs[k])


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def environment() -> dict[str, Any]:
    mem = None
    try:
        import psutil

        mem = round(psutil.virtual_memory().total / (1 << 30), 1)
    except ImportError:
        pass
    return {
        "cpu": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "affinity_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gib": mem,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "python_impl": platform.python_implementation(),
        "versions": {
            d: _version(d)
            for d in ("hegui", "ahocorasick_rs", "pyahocorasick", "numpy", "psutil", "pydantic", "PyYAML")
        },
    }

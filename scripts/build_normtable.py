#!/usr/bin/env python3
"""Build the shipped normalisation table ``src/hegui/detectors/data/normtable.npz``.

Every code point is mapped, one character to one character, through:
NFKC (full/half width, compatibility forms) -> lower case -> traditional->simplified (OpenCC ``t2s``, per
character) -> look-alike digits (``0``->``o``, ``3``->``e`` ...). Each result is classed as *keep*, *hard noise*
(always deleted: format characters, zero-width, combining marks) or *soft noise* (punctuation, symbols, spaces,
controls, emoji: deleted except between two ASCII letters/digits, where a run becomes one space).
A second, optional table folds each CJK character to a canonical homophone (same toneless pinyin, pypinyin).

The build is deterministic for given versions of Python's ``unicodedata``, OpenCC and pypinyin, which are
recorded in the file. Run with the ``build`` extra installed:  ``.venv/bin/python scripts/build_normtable.py``
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import unicodedata
from pathlib import Path

import numpy as np

MAX_CP = 0x110000
KEEP, HARD, SOFT = 0, 1, 2

# Digit look-alikes folded to letters (applied to text and library alike, so "s3x" meets "sex").
LOOKALIKE = {"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "i": "l", "|": "l"}

CJK_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2A6DF))

OUT = Path(__file__).resolve().parents[1] / "src" / "hegui" / "detectors" / "data" / "normtable.npz"


def char_class(ch: str) -> int:
    cat = unicodedata.category(ch)
    if cat in ("Cf", "Mn", "Me", "Cs", "Co"):
        return HARD
    if cat[0] in ("P", "S", "Z") or cat == "Cc":
        return SOFT
    return KEEP


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()

    import opencc  # type: ignore[import-untyped]
    import pypinyin
    from pypinyin import Style, lazy_pinyin

    t2s = opencc.OpenCC("t2s")

    src: list[int] = []
    dst: list[int] = []
    classes = np.zeros(MAX_CP, dtype=np.uint8)
    for cp in range(MAX_CP):
        if 0xD800 <= cp <= 0xDFFF:
            classes[cp] = HARD
            continue
        ch = chr(cp)
        if unicodedata.category(ch) == "Cn":  # unassigned: leave alone
            continue
        x = unicodedata.normalize("NFKC", ch)
        if len(x) != 1:
            # "⑴" -> "(1)": keep the one non-noise character if there is exactly one
            core = [c for c in x if char_class(c) == KEEP]
            x = core[0] if len(core) == 1 else ch
        low = x.lower()
        if len(low) == 1:
            x = low
        if x >= "\u3400":  # CJK and beyond (OpenCC leaves the rest alone)
            y = t2s.convert(x)
            if len(y) == 1:
                x = y
        x = LOOKALIKE.get(x, x)
        if x != ch:
            src.append(cp)
            dst.append(ord(x))
        classes[cp] = char_class(x)

    # Homophone folding: CJK character -> the lowest code point with the same toneless pinyin.
    hom_src: list[int] = []
    hom_dst: list[int] = []
    groups: dict[str, int] = {}
    for lo, hi in CJK_RANGES:
        for cp in range(lo, hi + 1):
            ch = chr(cp)
            if unicodedata.category(ch) == "Cn":
                continue
            py = lazy_pinyin(ch, style=Style.NORMAL, errors="ignore")
            if not py or not py[0].isascii() or not py[0].isalpha():
                continue
            key = py[0]
            canon = groups.setdefault(key, cp)
            if canon != cp:
                hom_src.append(cp)
                hom_dst.append(canon)

    # run-length encode the classes
    change = np.flatnonzero(np.diff(classes.astype(np.int16))) + 1
    starts = np.concatenate([[0], change]).astype(np.uint32)
    values = classes[starts]
    meta = {
        "format": 1,
        "unicodedata": unicodedata.unidata_version,
        "opencc": getattr(opencc, "__version__", "unknown"),
        "pypinyin": pypinyin.__version__,
        "python": sys.version.split()[0],
        "lookalike": LOOKALIKE,
    }
    buf = io.BytesIO()
    np.savez_compressed(
        buf,
        src=np.asarray(src, dtype=np.uint32),
        dst=np.asarray(dst, dtype=np.uint32),
        cls_starts=starts,
        cls_values=values,
        hom_src=np.asarray(hom_src, dtype=np.uint32),
        hom_dst=np.asarray(hom_dst, dtype=np.uint32),
        meta=np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8),
    )
    data = buf.getvalue()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(
        f"wrote {args.out} ({len(data) / 1024:.0f} KiB): {len(src)} mapped code points, "
        f"{len(starts)} class runs, {len(hom_src)} homophone folds in {len(groups)} groups; "
        f"sha256 {hashlib.sha256(data).hexdigest()[:16]}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

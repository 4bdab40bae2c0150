"""Text normalisation with an offset map back to the original text.

The normaliser folds what obfuscation changes and meaning does not:

* NFKC (full-width and half-width forms, circled digits, compatibility characters), lower case;
* traditional -> simplified Chinese (OpenCC ``t2s``, character by character);
* look-alike digits and letters (``s3x`` -> ``sex``, ``0`` -> ``o``);
* noise: zero-width and format characters and combining marks are always removed; punctuation, symbols, emoji
  and spaces are removed too (``色.情``, ``色 情``, ``色*情`` -> ``色情``), except between two ASCII letters or
  digits, where a run of them becomes one space (so English words stay words);
* runs of three or more identical characters collapse to one (``色情情情`` -> ``色情``; pairs are kept, since
  ``妈妈的`` must not become ``妈的``);
* optionally, homophones: each CJK character is folded to a canonical character with the same toneless pinyin
  (``涩情`` and ``色情`` meet).

Everything is one lookup table built offline (``scripts/build_normtable.py``) and applied with NumPy, so the whole
chain costs a few vectorised passes instead of a Python loop per character. :class:`NormalizedText` keeps, for each
character of the normalised text, the index of the original character it came from, so a match in the normalised
text is reported on the ORIGINAL text's span.
"""

from __future__ import annotations

import importlib
import json
import threading
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from hegui.core.errors import DetectorError

MAX_CP = 0x110000
KEEP, HARD, SOFT = 0, 1, 2
_SPACE = ord(" ")
_CP_MASK = np.uint32(0x1FFFFF)
_CLS_SHIFT = 24
_CLS_MASK = np.uint32(0x3 << _CLS_SHIFT)
_CLS_SHIFT_VALUE = 1 << _CLS_SHIFT
_SOFT_BIT = np.uint32(SOFT << _CLS_SHIFT)
_ALNUM_BIT = np.uint32(1 << 26)

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """A normalised text and, for each of its characters, the index of the original character."""

    original: str
    text: str
    index: IntArray  # len(text) entries: original index of each normalised character
    ends: IntArray | None = None  # original end (exclusive) of each character where a run was collapsed into it

    def orig_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a half-open span of the normalised text to the span of the original text it covers."""
        if end <= start:
            pos = int(self.index[start]) if start < len(self.index) else len(self.original)
            return pos, pos
        last = int(self.ends[end - 1]) if self.ends is not None else int(self.index[end - 1]) + 1
        return int(self.index[start]), last

    @property
    def identity(self) -> bool:
        """True when normalisation changed nothing."""
        return self.text == self.original


class NormalizedBytes:
    """A normalised text as UTF-8 bytes, with the original start and end of the character behind each byte.

    What byte-level matchers use: no ``str`` is built and no offsets are converted. ``orig_span`` takes a
    half-open BYTE span of :attr:`data`. :attr:`text` decodes on first use.
    """

    __slots__ = ("_ends", "_starts", "_text", "data", "original")

    def __init__(self, original: str, data: bytes, starts: Any, ends: Any) -> None:
        self.original = original
        self.data = data
        self._starts = starts  # indexable by byte position -> int (memoryview 'q' or array)
        self._ends = ends
        self._text: str | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = self.data.decode("utf-8")
        return self._text

    def orig_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a half-open byte span of :attr:`data` to the span of the original text it covers."""
        if end <= start:
            pos = int(self._starts[start]) if start < len(self.data) else len(self.original)
            return pos, pos
        return int(self._starts[start]), int(self._ends[end - 1])


class _Tables:
    """The loaded lookup tables (shared by every Normalizer in the process)."""

    def __init__(self, packed: npt.NDArray[np.uint32], packed_hom: npt.NDArray[np.uint32], meta: dict[str, Any]) -> None:
        self.packed = packed
        self.packed_hom = packed_hom
        self.meta = meta
        self.native: Any = None


_TABLES: _Tables | None = None
_LOCK = threading.Lock()


def _native_module() -> Any:
    """The C accelerator (hegui._native) if it was built, else None."""
    try:
        return importlib.import_module("hegui._native")
    except ImportError:
        return None


def _load_tables() -> _Tables:
    global _TABLES
    if _TABLES is not None:
        return _TABLES
    with _LOCK:
        if _TABLES is not None:
            return _TABLES
        try:
            ref = resources.files("hegui.detectors") / "data" / "normtable.npz"
            with ref.open("rb") as fh, np.load(fh) as z:
                src, dst = z["src"], z["dst"]
                starts, values = z["cls_starts"], z["cls_values"]
                hom_src, hom_dst = z["hom_src"], z["hom_dst"]
                meta = json.loads(bytes(z["meta"]).decode())
        except (OSError, KeyError, ValueError) as exc:
            raise DetectorError(
                "normalize",
                f"cannot read the normalisation table ({exc}); reinstall hegui or run scripts/build_normtable.py",
                f"无法读取规范化表（{exc}）；请重新安装 hegui 或运行 scripts/build_normtable.py",
            ) from exc
        mapping = np.arange(MAX_CP, dtype=np.uint32)
        mapping[src] = dst
        classes = np.repeat(values, np.diff(np.append(starts, MAX_CP))).astype(np.uint8)
        hom_step = np.arange(MAX_CP, dtype=np.uint32)
        hom_step[hom_src] = hom_dst
        hom = hom_step[mapping]
        alnum = np.zeros(MAX_CP, dtype=np.bool_)
        for c in "abcdefghijklmnopqrstuvwxyz0123456789":
            alnum[ord(c)] = True
        cls_bits = classes.astype(np.uint32) << np.uint32(_CLS_SHIFT)

        def pack(m: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
            a = m | cls_bits
            a[alnum[m] & (classes == KEEP)] |= _ALNUM_BIT
            return a

        tables = _Tables(pack(mapping), pack(hom), meta)
        native = _native_module()
        if native is not None:
            native.set_table(0, tables.packed)
            native.set_table(1, tables.packed_hom)
        tables.native = native
        _TABLES = tables
        return _TABLES


class Normalizer:
    """Folds text for matching. Cheap to construct; :meth:`load` reads the table (once per process)."""

    name = "normalize"

    def __init__(self, *, homophones: bool = False, collapse_repeats: bool = True, use_native: bool = True) -> None:
        self.homophones = homophones
        self.collapse_repeats = collapse_repeats
        self.use_native = use_native
        self._t: _Tables | None = None
        self._native: Any = None

    def load(self) -> None:
        if self._t is None:
            self._t = _load_tables()
            self._native = self._t.native if self.use_native else None

    @property
    def implementation(self) -> str:
        """``"native"`` (the C loop) or ``"numpy"`` (the fallback)."""
        self.load()
        return "native" if self._native is not None else "numpy"

    @property
    def table_info(self) -> dict[str, Any]:
        self.load()
        assert self._t is not None
        return dict(self._t.meta)

    def normalize(self, text: str) -> NormalizedText:
        if self._t is None:
            self.load()
        if self._native is not None:
            out, idx, ends = self._native.normalize(text, 1 if self.homophones else 0, self.collapse_repeats)
            return NormalizedText(text, out, np.frombuffer(idx, dtype=np.int64), np.frombuffer(ends, dtype=np.int64))
        return self._normalize_numpy(text)

    def _normalize_numpy(self, text: str) -> NormalizedText:
        if self._t is None:
            self.load()
        t = self._t
        assert t is not None
        n = len(text)
        if n == 0:
            return NormalizedText(text, "", np.zeros(0, dtype=np.int64))
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        # one gather: bits 0-20 the mapped code point, bits 24-25 its class, bit 26 "ASCII letter or digit"
        packed = (t.packed_hom if self.homophones else t.packed)[codes]
        if packed.max() >= _CLS_SHIFT_VALUE:  # some noise present (class bits set)
            keep_mask = (packed & _CLS_MASK) == 0
            index = np.flatnonzero(keep_mask)
            kept = packed[index]
            alnum = (kept & _ALNUM_BIT) != 0
            if len(index) > 1 and alnum.any():
                # noise between two ASCII letters/digits is a word separator: one space
                gaps = np.flatnonzero((np.diff(index) > 1) & alnum[1:] & alnum[:-1])
                if len(gaps):
                    soft_gaps = [g for g in gaps.tolist() if (packed[index[g] + 1 : index[g + 1]] & _SOFT_BIT).any()]
                    if soft_gaps:
                        g = np.asarray(soft_gaps, dtype=np.int64)
                        kept = np.insert(kept, g + 1, np.uint32(_SPACE))
                        index = np.insert(index, g + 1, index[g] + 1)
            out = kept & _CP_MASK
        else:
            index = np.arange(n, dtype=np.int64)
            out = packed & _CP_MASK
        if self.collapse_repeats and len(out) >= 3:
            same = out[1:] == out[:-1]
            if (same[1:] & same[:-1]).any():
                # drop the 2nd.. characters of runs of 3 or more identical characters
                start = np.empty(len(out), dtype=np.bool_)
                start[0] = True
                start[1:] = ~same
                run_id = np.cumsum(start) - 1
                run_len = np.bincount(run_id)
                short = run_len[run_id] < 3
                keep2 = start | short
                run_last = np.cumsum(run_len) - 1  # position of each run's last character
                ends = index[run_last[run_id]] + 1
                out = out[keep2]
                index = index[keep2]
                ends_kept: IntArray | None = np.where(short[keep2], index + 1, ends[keep2]).astype(np.int64)
                normalized = out.tobytes().decode("utf-32-le", "surrogatepass")
                return NormalizedText(text, normalized, index.astype(np.int64, copy=False), ends_kept)
        normalized = out.tobytes().decode("utf-32-le", "surrogatepass")
        return NormalizedText(text, normalized, index.astype(np.int64, copy=False))

    def normalize_utf8(self, text: str) -> NormalizedBytes:
        """The same normalisation as :meth:`normalize`, as UTF-8 bytes with a per-byte offset map."""
        if self._t is None:
            self.load()
        if self._native is not None:
            data, starts, ends = self._native.normalize_utf8(text, 1 if self.homophones else 0, self.collapse_repeats)
            return NormalizedBytes(text, data, memoryview(starts).cast("i"), memoryview(ends).cast("i"))
        nt = self._normalize_numpy(text)
        data = nt.text.encode("utf-8")
        if len(data) == len(nt.text):  # ASCII: one byte a character
            starts_a = nt.index
        else:
            cps = np.frombuffer(nt.text.encode("utf-32-le"), dtype=np.uint32)
            lens = 1 + (cps >= 0x80) + (cps >= 0x800) + (cps >= 0x10000)
            starts_a = np.repeat(nt.index, lens)
        char_ends = nt.ends if nt.ends is not None else nt.index + 1
        ends_a = char_ends if len(data) == len(nt.text) else np.repeat(char_ends, lens)
        return NormalizedBytes(text, data, starts_a.tolist(), ends_a.tolist())

    def normalize_term(self, term: str) -> str:
        """The same transform, for a library term (so text and library meet)."""
        return self.normalize(term).text

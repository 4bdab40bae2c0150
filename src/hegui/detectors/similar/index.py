"""An immutable inverted index from 64-bit hashes to postings (slot, and optionally a position), in CSR form.

Both libraries keep a large ``main`` segment and a small ``delta`` segment; an edit builds a new delta (or, when
the delta has grown, a new main) and swaps the reader-visible state in one assignment, so concurrent readers
never see half an update and never wait for a lock.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hegui.detectors.similar.hashing import U32, U64

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]

_EMPTY_I64 = np.zeros(0, dtype=np.int64)
BITMAP_MIN_KEYS = 65_536  # smaller segments are searched directly (they sit in the cache)


def _bitmap(keys: U64) -> tuple[npt.NDArray[np.uint8] | None, int]:
    """16 to 32 bits per key (a false pass rate of 3 to 6 %), for segments too large for the cache."""
    if len(keys) < BITMAP_MIN_KEYS:
        return None, 64
    nbits = min(30, max(16, len(keys).bit_length() + 4))
    shift = 64 - nbits
    b = (keys >> np.uint64(shift)).astype(np.int64)
    bits = np.zeros(1 << (nbits - 3), dtype=np.uint8)
    np.bitwise_or.at(bits, b >> 3, (1 << (b & 7)).astype(np.uint8))
    return bits, shift


@dataclass(frozen=True, slots=True)
class Segment:
    """Sorted unique ``keys``; postings of ``keys[i]`` are ``slots[indptr[i]:indptr[i+1]]`` (and ``pos``)."""

    keys: U64
    indptr: I64
    slots: I32
    pos: I32 | None = None
    # a bit per bucket of the top ``64 - shift`` hash bits, set where some key falls: most hashes of a text
    # are in no bucket, and are dropped with one memory access each instead of a binary search
    bits: npt.NDArray[np.uint8] | None = None
    shift: int = 64

    @property
    def postings(self) -> int:
        return len(self.slots)

    @staticmethod
    def empty(with_pos: bool = False) -> Segment:
        return Segment(
            np.zeros(0, dtype=np.uint64),
            np.zeros(1, dtype=np.int64),
            np.zeros(0, dtype=np.int32),
            np.zeros(0, dtype=np.int32) if with_pos else None,
        )

    @staticmethod
    def build(keys: U64, slots: I32, pos: I32 | None = None) -> Segment:
        """Group postings by key (stable: postings of one key keep their input order)."""
        if len(keys) == 0:
            return Segment.empty(pos is not None)
        order = np.argsort(keys, kind="stable")
        k = keys[order]
        starts = np.flatnonzero(np.concatenate(([True], k[1:] != k[:-1])))
        indptr = np.append(starts, len(k)).astype(np.int64)
        uniq = np.ascontiguousarray(k[starts])
        bits, shift = _bitmap(uniq)
        return Segment(
            uniq,
            indptr,
            np.ascontiguousarray(slots[order], dtype=np.int32),
            None if pos is None else np.ascontiguousarray(pos[order], dtype=np.int32),
            bits,
            shift,
        )

    def expanded(self) -> tuple[U64, I32, I32 | None]:
        """The postings as flat ``(key, slot, pos)`` arrays."""
        return np.repeat(self.keys, np.diff(self.indptr)), self.slots, self.pos

    @staticmethod
    def merge(parts: list[Segment], alive: BoolArray | None = None) -> Segment:
        """One segment with the postings of ``parts``, dropping slots that are not ``alive``."""
        keys: list[U64] = []
        slots: list[I32] = []
        pos: list[I32] = []
        with_pos = any(p.pos is not None for p in parts)
        for p in parts:
            if p.postings == 0:
                continue
            k, s, q = p.expanded()
            if alive is not None:
                keep = alive[s]
                k, s = k[keep], s[keep]
                q = q[keep] if q is not None else None
            keys.append(k)
            slots.append(s)
            if with_pos:
                pos.append(q if q is not None else np.zeros(len(s), dtype=np.int32))
        if not keys:
            return Segment.empty(with_pos)
        return Segment.build(
            np.concatenate(keys),
            np.concatenate(slots).astype(np.int32, copy=False),
            np.concatenate(pos).astype(np.int32, copy=False) if with_pos else None,
        )

    def lookup(self, query: U64, cap: int = 0, *, with_query: bool = True) -> tuple[I64, I64]:
        """Postings of every query hash found: ``(query_index, posting_index)`` pairs, one per posting
        (``query_index`` is empty when ``with_query`` is false).

        Keys with more than ``cap`` postings are skipped when ``cap > 0`` (stop-grams carry no information).
        """
        if len(self.keys) == 0 or len(query) == 0:
            return _EMPTY_I64, _EMPTY_I64
        sel: I64 | None = None
        if self.bits is not None:
            b = (query >> np.uint64(self.shift)).astype(np.int64)
            sel = np.flatnonzero((self.bits[b >> 3] >> (b & 7).astype(np.uint8)) & 1)
            if len(sel) == 0:
                return _EMPTY_I64, _EMPTY_I64
            query = query[sel]
        i = np.searchsorted(self.keys, query)
        i[i == len(self.keys)] = 0
        qi = np.flatnonzero(self.keys[i] == query)
        if len(qi) == 0:
            return _EMPTY_I64, _EMPTY_I64
        if sel is not None:
            i = i[qi]
            qi = sel[qi]
            ki = i
        else:
            ki = i[qi]
        starts = self.indptr[ki]
        lens = self.indptr[ki + 1] - starts
        if cap > 0:
            ok = lens <= cap
            if not ok.all():
                qi, starts, lens = qi[ok], starts[ok], lens[ok]
        total = int(lens.sum())
        if total == 0:
            return _EMPTY_I64, _EMPTY_I64
        # offsets of every posting: start of its run plus its rank inside the run
        run_first = np.cumsum(lens) - lens
        offs = np.repeat(starts - run_first, lens) + np.arange(total, dtype=np.int64)
        return (np.repeat(qi, lens) if with_query else _EMPTY_I64), offs


@dataclass(frozen=True, slots=True)
class Forward:
    """Per-slot key lists for the slots ``base .. base + rows - 1``: row ``r`` is ``keys[ptr[r]:ptr[r+1]]``."""

    base: int
    ptr: I64
    keys: U32

    @property
    def rows(self) -> int:
        return len(self.ptr) - 1

    @staticmethod
    def empty(base: int = 0) -> Forward:
        return Forward(base, np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.uint32))

    @staticmethod
    def of(base: int, rows: list[U32]) -> Forward:
        if not rows:
            return Forward.empty(base)
        lens = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
        ptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lens, out=ptr[1:])
        return Forward(base, ptr, np.concatenate(rows).astype(np.uint32, copy=False))

    def then(self, other: Forward) -> Forward:
        """``self`` followed by ``other`` (whose rows must start where ``self``'s end)."""
        if other.rows == 0:
            return self
        if self.rows == 0:
            return Forward(self.base, other.ptr, other.keys)
        assert other.base == self.base + self.rows
        ptr = np.concatenate((self.ptr, other.ptr[1:] + self.ptr[-1]))
        return Forward(self.base, ptr, np.concatenate((self.keys, other.keys)))

    def compact(self, alive: BoolArray) -> Forward:
        """The same rows with the keys of dead slots dropped (their rows become empty)."""
        lens = np.diff(self.ptr)
        keep_row = alive[self.base : self.base + self.rows]
        keep = np.repeat(keep_row, lens)
        ptr = np.zeros_like(self.ptr)
        np.cumsum(lens * keep_row, out=ptr[1:])
        return Forward(self.base, ptr, self.keys[keep])

    def gather(self, slots: I64) -> tuple[I64, I64, U32]:
        """For ``slots`` (all in this store): ``(lengths, owner, keys)`` where ``owner[i]`` is the index into
        ``slots`` of the row that ``keys[i]`` comes from."""
        r = slots - self.base
        starts = self.ptr[r]
        lens = self.ptr[r + 1] - starts
        total = int(lens.sum())
        run_first = np.cumsum(lens) - lens
        offs = np.repeat(starts - run_first, lens) + np.arange(total, dtype=np.int64)
        return lens, np.repeat(np.arange(len(slots), dtype=np.int64), lens), self.keys[offs]

    def row(self, slot: int) -> U32:
        r = slot - self.base
        return self.keys[int(self.ptr[r]) : int(self.ptr[r + 1])]

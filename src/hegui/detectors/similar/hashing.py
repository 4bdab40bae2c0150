"""Character n-gram hashing and winnowing, vectorised with NumPy.

Every function takes the code points of a NORMALISED text (``codes_of(normalized_text)``) and works on 64-bit
hashes: a polynomial over the code points (wrapping mod 2**64), then a multiply-xorshift-multiply mix so that the bits
are uniformly mixed (the bottom-k sketch picks the smallest hashes, which must be a uniform sample). Hashes are
deterministic across processes and platforms; nothing is persisted, though: indexes are rebuilt from the texts.
"""

from __future__ import annotations

from typing import Any, Final, TypeVar

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]
U32 = npt.NDArray[np.uint32]
I64 = npt.NDArray[np.int64]

_P: Final = np.uint64(0x100000001B3)  # FNV-1a 64-bit prime: odd, spreads 21-bit code points
_M1: Final = np.uint64(0xBF58476D1CE4E5B9)
_M2: Final = np.uint64(0x94D049BB133111EB)
_S31: Final = np.uint64(31)
_EMPTY_U64: Final = np.zeros(0, dtype=np.uint64)

A = TypeVar("A", bound=npt.NDArray[Any])


def codes_of(text: str) -> U32:
    """The code points of ``text`` as a uint32 array (no copy beyond the UTF-32 encoding)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def mix64(h: U64) -> U64:
    """Mix the bits of 64-bit values in place (multiply, xor-shift, multiply: each output bit, and above all the
    high bits that decide which hashes are smallest, depends on every input bit). Returns ``h``."""
    h *= _M1
    h ^= h >> _S31
    h *= _M2
    return h


def gram_hashes(codes: U32, k: int) -> U64:
    """Hash of every k-gram (``len(codes) - k + 1`` values, position order).

    A text shorter than ``k`` (but not empty) gives one hash, of the whole text, so short texts still match
    themselves; an empty text gives none.
    """
    n = len(codes)
    if n == 0:
        return _EMPTY_U64
    if n < k:
        k = n
    m = n - k + 1
    c = codes.astype(np.uint64)
    if k == 1:
        h = c + np.uint64(1)
    else:
        h = c[0:m] * _P
        for j in range(1, k - 1):
            h += c[j : j + m]
            h *= _P
        h += c[k - 1 : k - 1 + m]
        h += np.uint64(k)  # texts shorter than k hash differently from a k-gram with the same prefix
    return mix64(h)


def sorted_unique(h: A) -> A:
    """``np.unique`` for a small 1-D array, by sorting (several times faster than NumPy 2's hash-based unique)."""
    if len(h) <= 1:
        out: A = h.copy()
        return out
    s: A = np.sort(h)  # type: ignore[assignment]
    keep = np.empty(len(s), dtype=np.bool_)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    uniq: A = s[keep]  # type: ignore[assignment]
    return uniq


def high32(h: U64) -> U32:
    """The high 32 bits of mixed hashes (the well-mixed half), for compact exact-set verification."""
    return (h >> np.uint64(32)).astype(np.uint32)


def winnow(h: U64, w: int) -> I64:
    """Winnowing (Schleimer, Wilkerson and Aiken, 2003, as in MOSS): in every window of ``w`` consecutive
    hashes keep the position of the minimum (the rightmost one on ties). Returns sorted unique positions.

    Any substring shared by two texts and at least ``w + k - 1`` characters long yields a common fingerprint.
    """
    n = len(h)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n <= w:
        rev = h[::-1]
        return np.array([n - 1 - int(np.argmin(rev))], dtype=np.int64)
    win = np.lib.stride_tricks.sliding_window_view(h, w)
    # rightmost minimum: argmin over the reversed window
    pos = (w - 1) - np.argmin(win[:, ::-1], axis=1).astype(np.int64) + np.arange(len(win), dtype=np.int64)
    return np.unique(pos)

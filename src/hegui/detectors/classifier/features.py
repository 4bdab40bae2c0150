"""Character n-gram hashing: the one featuriser shared by training and inference.

A text is normalised (:class:`hegui.detectors.normalize.Normalizer`: NFKC, case folding, traditional ->
simplified, look-alikes, noise removed), turned into Unicode code points, and every character n-gram
(``n = 1 .. max_n``) is hashed to one of ``2**bits`` buckets:

* FNV-1a (64-bit) over the n-gram's code points, starting from ``FNV_OFFSET ^ n`` so that the unigram "a" and
  the bigram "a\\0" never share a hash;
* Fibonacci hashing of the result: ``(h * GOLDEN) mod 2**64 >> (64 - bits)``.

Both steps are fixed integer arithmetic (no ``hash()``, no process seed), vectorised with NumPy, so a bucket
depends only on the normalised text and the two parameters. The manifest records them
(``"hash": "fnv1a64-cp+fib"``, ``bits``, ``max_n``).

A text's feature vector is the count of each bucket divided by ``sqrt(total n-grams)``. With that scaling a
window's score is a difference of prefix sums, so long texts are scored in overlapping windows at the cost of
one pass (see :mod:`hegui.detectors.classifier.model`).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

HASH_NAME: Final = "fnv1a64-cp+fib"
FNV_OFFSET: Final = np.uint64(0xCBF29CE484222325)
FNV_PRIME: Final = np.uint64(0x100000001B3)
GOLDEN: Final = np.uint64(0x9E3779B97F4A7C15)

U64Array = npt.NDArray[np.uint64]
I64Array = npt.NDArray[np.int64]


def codepoints(text: str) -> U64Array:
    """The code points of ``text`` as uint64."""
    if not text:
        return np.zeros(0, dtype=np.uint64)
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)


def ngram_buckets(cps: U64Array, n: int, bits: int) -> I64Array:
    """Bucket of each n-gram of ``cps`` in position order (``len(cps) - n + 1`` entries, none if shorter)."""
    m = len(cps) - n + 1
    if m <= 0:
        return np.zeros(0, dtype=np.int64)
    h = np.full(m, FNV_OFFSET ^ np.uint64(n), dtype=np.uint64)
    for k in range(n):
        h ^= cps[k : k + m]
        h *= FNV_PRIME
    h *= GOLDEN
    h >>= np.uint64(64 - bits)
    return h.astype(np.int64)


def text_buckets(normalized: str, max_n: int, bits: int) -> I64Array:
    """Every n-gram bucket of an already normalised text (n = 1 .. max_n), concatenated."""
    cps = codepoints(normalized)
    parts = [ngram_buckets(cps, n, bits) for n in range(1, max_n + 1)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def n_ngrams(length: int, max_n: int) -> int:
    """How many n-grams (n = 1 .. max_n) a text of ``length`` characters has."""
    return sum(max(0, length - n + 1) for n in range(1, max_n + 1))

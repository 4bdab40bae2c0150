"""The shipped classifier at run time: NumPy only.

Model. ``H`` linear heads over hashed character n-grams (:mod:`~hegui.detectors.classifier.features`): head 0
is ``harmful`` (is this text or request harmful at all); heads 1.. are risk codes, trained on harmful texts
only, so each gives the chance of the code *given* that the text is harmful. A head's raw score is
``z = bias + scale * sum(W[bucket] for every n-gram) / sqrt(number of n-grams)`` with ``W`` stored as int8
(one scale per head); Platt scaling fitted on a held-out calibration split turns it into a probability.
The probability reported for a risk code is ``P(harmful) * P(code | harmful)``.

Long texts. A text of more than ``max_chars`` normalised characters is scored in windows of ``max_chars``
characters every ``stride`` characters; each head reports its maximum over the windows (and the window it came
from), so one harmful sentence inside a long answer is not diluted. Window sums come from prefix sums of the
per-position weights, so a long document costs one pass, not one pass per window.

Files. ``model.npz`` (``rows``: the bucket ids that carry weight; ``weights``: int8 ``rows x H``; ``scales``,
``bias``, ``platt_a``, ``platt_b``: float32 per head) and ``manifest.json`` (heads, featuriser parameters,
windows, thresholds, data hashes, metrics) side by side in one directory.
"""

from __future__ import annotations

import copy
import hashlib
import importlib
import io
import json
import math
import threading
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from hegui.core.errors import DetectorError
from hegui.detectors.classifier.features import HASH_NAME, codepoints, ngram_buckets
from hegui.detectors.normalize import NormalizedText, Normalizer

MODEL_FILE: Final = "model.npz"
MANIFEST_FILE: Final = "manifest.json"
CARD_FILE: Final = "MODEL_CARD.md"
FORMAT: Final = "hegui-classifier"
FORMAT_VERSION: Final = 1
HARMFUL: Final = "harmful"
_CHUNK: Final = 1 << 15  # window starts handled per pass over a long text (bounds memory)

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]


def shipped_model_dir() -> Path:
    """Where the shipped model lives inside the installed package."""
    return Path(str(resources.files("hegui.detectors") / "data" / "classifier"))


def sigmoid(z: npt.NDArray[np.floating[Any]]) -> F64:
    z64 = np.asarray(z, dtype=np.float64)
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * z64)), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class Scores:
    """One text's probabilities: per head, the maximum over windows, and the window it came from."""

    probs: F64  # (H,) harmful first, then P(code) = P(harmful) * P(code | harmful)
    windows: tuple[tuple[int, int], ...]  # windows in normalised characters, [start, end)
    best: npt.NDArray[np.int64]  # (H,) index into windows of each head's maximum


class ClassifierModel:
    """Loaded weights and the scoring code. Immutable after construction; safe to share between threads."""

    def __init__(
        self,
        *,
        heads: Sequence[str],
        rows: npt.NDArray[np.integer[Any]],
        weights: npt.NDArray[np.int8],
        scales: F32,
        bias: F32,
        platt_a: F32,
        platt_b: F32,
        bits: int,
        max_n: int,
        max_chars: int,
        stride: int | None = None,
        manifest: Mapping[str, Any] | None = None,
    ) -> None:
        h = len(heads)
        if not heads or heads[0] != HARMFUL:
            raise ValueError("the first head must be 'harmful'")
        if weights.shape != (len(rows), h) or not (len(scales) == len(bias) == len(platt_a) == len(platt_b) == h):
            raise ValueError("weight arrays do not match the heads")
        if not 8 <= bits <= 24 or not 1 <= max_n <= 6 or max_chars < 8:
            raise ValueError("bad featuriser parameters")
        if len(rows) and (int(rows.min()) < 0 or int(rows.max()) >= (1 << bits)):
            raise ValueError("bucket ids out of range")
        self.heads: tuple[str, ...] = tuple(heads)
        self.index = {name: i for i, name in enumerate(self.heads)}
        self.bits = bits
        self.max_n = max_n
        self.max_chars = max_chars
        self.stride = stride or max(1, max_chars // 2)
        self.manifest: dict[str, Any] = dict(manifest or {})
        table = np.zeros((1 << bits, h), dtype=np.int8)
        table[np.asarray(rows, dtype=np.int64)] = weights
        self._table = table
        self._scales = np.asarray(scales, dtype=np.float64)
        self._bias = np.asarray(bias, dtype=np.float64)
        self._a = np.asarray(platt_a, dtype=np.float64)
        self._b = np.asarray(platt_b, dtype=np.float64)
        self._normalizer = Normalizer()

    # -- loading -------------------------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path | None = None) -> ClassifierModel:
        """Read a model directory (``None``: the shipped model). Raises :class:`DetectorError` if unusable."""
        d = Path(path) if path is not None else shipped_model_dir()
        if d.is_file():
            d = d.parent
        hint_en = "reinstall hegui or run `hegui train` to rebuild the model"
        hint_zh = "请重新安装 hegui 或运行 `hegui train` 重建模型"
        try:
            manifest = json.loads((d / MANIFEST_FILE).read_text(encoding="utf-8"))
            if manifest.get("format") != FORMAT or int(manifest.get("format_version", 0)) != FORMAT_VERSION:
                raise ValueError(f"not a {FORMAT} v{FORMAT_VERSION} manifest")
            feats = manifest["features"]
            if feats.get("hash") != HASH_NAME:
                raise ValueError(f"unknown feature hash {feats.get('hash')!r}")
            raw = (d / MODEL_FILE).read_bytes()
            want = manifest.get("files", {}).get(MODEL_FILE, {}).get("sha256")
            if want and hashlib.sha256(raw).hexdigest() != want:
                raise ValueError(f"{MODEL_FILE} does not match the sha256 in {MANIFEST_FILE}")
            with np.load(io.BytesIO(raw), allow_pickle=False) as z:
                arrays = {k: z[k] for k in ("rows", "weights", "scales", "bias", "platt_a", "platt_b")}
            if arrays["weights"].dtype != np.int8:
                raise ValueError("weights are not int8")
            return cls(
                heads=list(manifest["heads"]),
                rows=arrays["rows"],
                weights=arrays["weights"],
                scales=arrays["scales"],
                bias=arrays["bias"],
                platt_a=arrays["platt_a"],
                platt_b=arrays["platt_b"],
                bits=int(feats["bits"]),
                max_n=int(feats["max_n"]),
                max_chars=int(manifest["window"]["max_chars"]),
                stride=int(manifest["window"]["stride"]),
                manifest=manifest,
            )
        except FileNotFoundError as exc:
            raise DetectorError(
                "classifier",
                f"model file missing: {exc.filename}; {hint_en}",
                f"模型文件缺失：{exc.filename}；{hint_zh}",
            ) from exc
        except (OSError, KeyError, TypeError, ValueError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
            raise DetectorError(
                "classifier",
                f"model in {d} is corrupt or incompatible ({type(exc).__name__}: {exc}); {hint_en}",
                f"{d} 中的模型已损坏或不兼容（{type(exc).__name__}: {exc}）；{hint_zh}",
            ) from exc

    @property
    def version(self) -> str:
        return str(self.manifest.get("version", ""))

    @property
    def risk_heads(self) -> tuple[str, ...]:
        return self.heads[1:]

    @property
    def nbytes(self) -> int:
        return int(self._table.nbytes)

    # -- scoring -------------------------------------------------------------------------------------------

    def normalize(self, text: str) -> str:
        return self._normalizer.normalize(text).text

    def normalize_full(self, text: str) -> NormalizedText:
        """The normalised text with its map back to the original (for window spans)."""
        return self._normalizer.normalize(text)

    def with_window(self, max_chars: int, stride: int | None = None) -> ClassifierModel:
        """The same weights with another window length (shares the weight table)."""
        if max_chars < 8:
            raise ValueError("max_chars must be at least 8")
        other = copy.copy(self)
        other.max_chars = max_chars
        other.stride = stride or max(1, max_chars // 2)
        return other

    def window_starts(self, length: int) -> list[int]:
        if length <= self.max_chars:
            return [0]
        last = length - self.max_chars
        starts = list(range(0, last, self.stride))
        starts.append(last)
        return starts

    def raw_scores(self, normalized: str) -> tuple[F64, list[tuple[int, int]]]:
        """Raw head scores ``z`` (windows x H) of a normalised text, and the windows.

        Uses the C hot loop (``hegui._native.ngram_window_sums``) when it is built: the integer sums are the same,
        so the scores are bit-identical to the NumPy path below (tests/test_classifier_raw_scores.py)."""
        nat = _native()
        if nat is not None and self._table.flags.c_contiguous and self._table.dtype == np.int8:
            return self._raw_scores_native(nat, normalized)
        return self.raw_scores_numpy(normalized)

    def _raw_scores_native(self, nat: Any, normalized: str) -> tuple[F64, list[tuple[int, int]]]:
        n = len(normalized)
        h = len(self.heads)
        starts = self.window_starts(n)
        sums_b, counts_b = nat.ngram_window_sums(normalized, np.asarray(starts, dtype=np.int64).tobytes(),
                                                 self.max_chars, self.max_n, self.bits, self._table, h)
        total = np.frombuffer(sums_b, dtype=np.int64).reshape(len(starts), h)
        count = np.frombuffer(counts_b, dtype=np.int64)
        if n <= self.max_chars:
            if count[0] == 0:
                return self._bias[None, :].copy(), [(0, n)]
            z = self._bias + self._scales * total[0] / math.sqrt(int(count[0]))
            return z[None, :], [(0, n)]
        z2 = self._bias + self._scales * total / np.sqrt(np.maximum(count, 1))[:, None]
        return z2, [(s, min(s + self.max_chars, n)) for s in starts]

    def raw_scores_numpy(self, normalized: str) -> tuple[F64, list[tuple[int, int]]]:
        """:meth:`raw_scores` without the C extension (the reference; same results)."""
        cps = codepoints(normalized)
        n = len(cps)
        h = len(self.heads)
        if n <= self.max_chars:
            ids = np.concatenate([ngram_buckets(cps, k, self.bits) for k in range(1, self.max_n + 1)])
            if len(ids) == 0:
                return self._bias[None, :].copy(), [(0, n)]
            s = self._table.take(ids, axis=0).sum(axis=0, dtype=np.int64)
            z = self._bias + self._scales * s / math.sqrt(len(ids))
            return z[None, :], [(0, n)]
        starts = self.window_starts(n)
        out = np.empty((len(starts), h), dtype=np.float64)
        wins: list[tuple[int, int]] = []
        orders = np.arange(1, self.max_n + 1, dtype=np.int64)[:, None]  # (K, 1)
        i = 0
        while i < len(starts):
            first = starts[i]
            j = i
            while j < len(starts) and starts[j] < first + _CHUNK:
                j += 1
            seg_end = min(n, starts[j - 1] + self.max_chars)
            seg = cps[first:seg_end]
            ws = np.asarray(starts[i:j], dtype=np.int64) - first
            we = np.minimum(ws + self.max_chars, len(seg))
            # every n-gram order in one id array (one gather from the table instead of one per order): order k's
            # n-grams sit at [off_k, off_k + m_k); window w covers [off_k + lo, off_k + hi) of them
            parts = [ngram_buckets(seg, int(k), self.bits) for k in orders[:, 0]]
            m = np.asarray([len(p) for p in parts], dtype=np.int64)[:, None]  # (K, 1); m_k >= 1: seg > max_n
            off = np.cumsum(m) - m[:, 0]
            ids = np.concatenate(parts)
            lo = np.minimum(ws, m)  # (K, W)
            hi = np.minimum(np.maximum(we - orders + 1, ws), m)
            count = (hi - lo).sum(axis=0)
            lo += off[:, None]
            hi += off[:, None]
            # prefix sums of the gathered rows, needed only at window boundaries: sum the segments between
            # consecutive boundaries (one reduceat; integer sums, so exact in any order), then a cumulative sum
            bounds = np.unique(np.concatenate(([0, len(ids)], lo.ravel(), hi.ravel())))
            seg_sums = np.add.reduceat(self._table.take(ids, axis=0), bounds[:-1], axis=0, dtype=np.int64)
            prefix = np.zeros((len(bounds), h), dtype=np.int64)
            np.cumsum(seg_sums, axis=0, out=prefix[1:])
            at = np.searchsorted(bounds, np.concatenate((hi.ravel(), lo.ravel())))
            d = prefix[at[: hi.size]] - prefix[at[hi.size :]]
            total = d.reshape(len(orders), j - i, h).sum(axis=0)
            z = self._bias + self._scales * total / np.sqrt(np.maximum(count, 1))[:, None]
            out[i:j] = z
            wins += [(int(s) + first, int(e) + first) for s, e in zip(ws, we, strict=True)]
            i = j
        return out, wins

    def probs_from_raw(self, z: F64) -> F64:
        """Calibrated probabilities (windows x H) from raw scores: P(harmful), P(harmful) * P(code | harmful)."""
        p = sigmoid(self._a * z + self._b)
        p[:, 1:] *= p[:, :1]
        return p

    def score_normalized(self, normalized: str) -> Scores:
        z, wins = self.raw_scores(normalized)
        p = self.probs_from_raw(z)
        best = np.argmax(p, axis=0).astype(np.int64)
        return Scores(p[best, np.arange(p.shape[1])], tuple(wins), best)

    def score(self, text: str) -> Scores:
        return self.score_normalized(self.normalize(text))

    def predict_proba(self, texts: Sequence[str]) -> dict[str, F64]:
        """Per head, the probability of each text (maximum over windows): ``{"harmful": ..., "A1.8": ...}``."""
        out = np.zeros((len(texts), len(self.heads)), dtype=np.float64)
        for i, t in enumerate(texts):
            out[i] = self.score(t).probs
        return {name: out[:, k].copy() for k, name in enumerate(self.heads)}


_SHIPPED: ClassifierModel | None = None
_LOCK = threading.Lock()


def shipped_model() -> ClassifierModel:
    """The shipped model, loaded once per process."""
    global _SHIPPED
    if _SHIPPED is None:
        with _LOCK:
            if _SHIPPED is None:
                _SHIPPED = ClassifierModel.load(None)
    return _SHIPPED


_NATIVE: Any = None
_NATIVE_TRIED = False


def _native() -> Any:
    """hegui._native when it was built and has the classifier loop (else None: the NumPy path)."""
    global _NATIVE, _NATIVE_TRIED
    if not _NATIVE_TRIED:
        _NATIVE_TRIED = True
        try:
            mod = importlib.import_module("hegui._native")
        except ImportError:
            mod = None
        _NATIVE = mod if mod is not None and hasattr(mod, "ngram_window_sums") else None
    return _NATIVE


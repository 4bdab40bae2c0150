"""The ``similar`` detector: near-duplicate matching against black, white and suspect text libraries.

How a text is matched (docs/similar.md gives the reasoning and the measured figures):

1. The text is normalised (:mod:`hegui.detectors.normalize`: width, case, traditional -> simplified, noise such as
   punctuation, spaces, emoji and zero-width characters, look-alikes, repeats), so those edits cost nothing.
2. Its character n-grams (``ngram``, default 3) are hashed. Every library entry keeps a **bottom-k MinHash
   sketch** (the ``sketch_size`` smallest hashes of its n-gram set) in an inverted index. Looking up every n-gram
   of the text counts, per entry, how many sketch hashes the text contains: an unbiased estimate of the share of
   the entry found in the text (its *containment*). Unlike LSH banding over whole-text signatures, this also finds
   an entry that is a small part of a long text.
3. Candidates whose estimate may reach a threshold (less ``slack``) are verified exactly on their full n-gram
   sets, kept per entry in a compact forward store:

   * ``similar``: the text and the entry are near-duplicates of each other: Jaccard similarity of the two n-gram
     sets >= ``threshold`` and the share of the text found in the entry >= ``containment_threshold``;
   * ``contained``: the entry (at least ``min_contained_chars`` normalised characters) lies inside the text: the
     share of its n-grams found in ONE window of the text about the entry's length >= ``containment_threshold``;
     the finding's span is that window in the original text;
   * ``excerpt``: the text (at least ``min_contained_chars``) lies inside the entry: the share of the TEXT's
     n-grams found in the entry >= ``containment_threshold``;
   * otherwise a Jaccard similarity >= ``threshold`` alone is ``similar``.
4. White entries that match suppress the black and suspect matches they cover; they never become findings.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from hegui.core.errors import ConfigError
from hegui.core.types import Finding, Span
from hegui.detectors.base import DetectContext, Detector, register
from hegui.detectors.normalize import Normalizer
from hegui.detectors.similar import params as P
from hegui.detectors.similar.hashing import U32, U64, codes_of, gram_hashes, high32, sorted_unique
from hegui.detectors.similar.index import I32, I64, BoolArray, Forward, Segment
from hegui.detectors.similar.library import (
    KINDS,
    SIMILAR_FORMAT,
    SimilarEntry,
    Where,
    auto_id,
    entry_from_obj,
    make_entry,
    now_iso,
    read_objects,
    write_jsonl,
)
from hegui.detectors.similar.lifecycle import FileBacked

DETECTOR: Final = "similar"

# Defaults (docs/similar.md explains each; bench/bench_similar.py measures them)
DEFAULT_THRESHOLD: Final = 0.5  # Jaccard of 3-gram sets, whole text
DEFAULT_CONTAINMENT: Final = 0.6  # share of the entry's 3-grams found in one window of the text
DEFAULT_NGRAM: Final = 3
DEFAULT_SKETCH: Final = 24
DEFAULT_SLACK: Final = 0.25
DEFAULT_MIN_CONTAINED: Final = 16
DEFAULT_MAX_FINDINGS: Final = 10
DEFAULT_MAX_CANDIDATES: Final = 32
DEFAULT_MAX_POSTINGS: Final = 0  # 0: look every n-gram up, however common
DELTA_MAX_POSTINGS: Final = 32_768  # the delta segment is merged into the main one beyond this
BATCH: Final = 4096  # entries prepared at a time by add_many / load (bounds the memory peak)
LOCATE_CELLS: Final = 1 << 20  # entries x text positions located at once (bounds the memory of _locate)

_KIND_CODE: Final[Mapping[str, int]] = {"black": 0, "suspect": 1, "white": 2}
_WHITE: Final = 2


@dataclass(frozen=True, slots=True)
class SimilarMatch:
    """One library entry that matched a text (what :meth:`SimilarTextDetector.match` returns)."""

    entry: SimilarEntry
    how: str  # "similar" (near-duplicate), "contained" (the entry is inside the text), "excerpt" (the reverse)
    score: float  # jaccard for "similar", containment for "contained", the text's share for "excerpt"
    jaccard: float
    containment: float  # share of the entry's n-grams found in the text (in the best window for "contained")
    span: Span | None  # where the entry lies in the ORIGINAL text ("contained"); None for whole-text matches
    suppressed_by: str | None = None  # id of the white entry that suppressed this match


@dataclass(frozen=True, slots=True)
class _State:
    """What detect() reads; replaced as a whole on every edit (readers take one reference and keep it)."""

    main: Segment  # sketch hash -> slots
    delta: Segment  # the same for recent additions
    fwd_main: Forward  # slot -> its sorted unique n-gram keys (high 32 bits), slots [0, fwd_delta.base)
    fwd_delta: Forward  # the same for slots [fwd_delta.base, n)
    entries: list[SimilarEntry | None]  # by slot; shared and append-only: valid for slots < n
    n: int
    alive: BoolArray  # by slot; copied on every edit
    need: I32  # by slot: sketch hits that make a candidate (the arrays below are shared, written beyond n only)
    sketch: I32  # by slot: sketch size
    grams: I32  # by slot: distinct n-grams of the normalised entry
    kind: npt.NDArray[np.int8]  # by slot: 0 black, 1 suspect, 2 white
    live: int
    dead_postings: int  # postings of removed entries still in the segments (dropped at the next merge)
    generation: int


@dataclass(slots=True)
class _Batch:
    """Entries prepared for the index, their arrays concatenated (one batch instead of many small arrays)."""

    entries: list[SimilarEntry]
    sketch_keys: U64
    sketch_len: I64
    grams: I64
    kind: npt.NDArray[np.int8]
    fwd_ptr: I64
    fwd_keys: U32


def _grow(a: npt.NDArray[Any], size: int) -> npt.NDArray[Any]:
    if len(a) >= size:
        return a
    out = np.zeros(max(size, 2 * len(a), 64), dtype=a.dtype)
    out[: len(a)] = a
    return out


@register
class SimilarTextDetector(FileBacked[_State, tuple[SimilarEntry, Where]], Detector):
    """Black, white and suspect libraries of texts, matched on near-duplicates and on containment.

    Params (all optional):
        paths: JSONL library files loaded at :meth:`load` (see docs/similar.md for the format).
        threshold: Jaccard similarity of the n-gram sets for a whole-text match (default 0.5).
        containment_threshold: share of an entry's n-grams found in one window of the text, or of the text's
            n-grams found in the entry (default 0.6).
        min_contained_chars: entries (and texts) shorter than this, in normalised characters, match on whole-text
            similarity only (default 16).
        ngram: n-gram length in normalised characters (default 3).
        sketch_size: sketch hashes indexed per entry (default 24).
        slack: how far below the lower threshold a sketch estimate may fall and still be verified (default 0.25).
        max_findings: findings reported per text, best first (default 10).
        max_candidates: black and suspect entries verified per text, best estimate first (default 32; white
            candidates are always verified).
        max_postings: skip n-grams of the text found in more sketches than this (0, the default: never).
        homophones: fold homophones in the text and the library (default false).
        stages: the stages to check (default: every stage).
    """

    name = DETECTOR

    def __init__(
        self,
        *,
        paths: Sequence[str | Path] | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        containment_threshold: float = DEFAULT_CONTAINMENT,
        min_contained_chars: int = DEFAULT_MIN_CONTAINED,
        ngram: int = DEFAULT_NGRAM,
        sketch_size: int = DEFAULT_SKETCH,
        slack: float = DEFAULT_SLACK,
        max_findings: int = DEFAULT_MAX_FINDINGS,
        max_candidates: int = DEFAULT_MAX_CANDIDATES,
        max_postings: int = DEFAULT_MAX_POSTINGS,
        homophones: bool = False,
        stages: Sequence[str] | None = None,
        **params: Any,
    ) -> None:
        super().__init__(**params)
        d = DETECTOR
        self.paths = P.paths(d, paths)
        self.threshold = P.fraction(d, "threshold", threshold)
        self.containment_threshold = P.fraction(d, "containment_threshold", containment_threshold)
        self.min_contained_chars = P.integer(d, "min_contained_chars", min_contained_chars, 1, 1_000_000)
        self.ngram = P.integer(d, "ngram", ngram, 1, 16)
        self.sketch_size = P.integer(d, "sketch_size", sketch_size, 1, 1024)
        self.slack = P.fraction(d, "slack", slack, zero_ok=True)
        self.max_findings = P.integer(d, "max_findings", max_findings, 1, 10_000)
        self.max_candidates = P.integer(d, "max_candidates", max_candidates, 1, 1_000_000)
        self.max_postings = P.integer(d, "max_postings", max_postings, 0, 1 << 31)
        self.homophones = P.boolean(d, "homophones", homophones)
        self.stages = P.stages(d, stages)
        self._normalizer = Normalizer(homophones=homophones)
        self._min_grams = max(1, self.min_contained_chars - self.ngram + 1)
        # The sketch estimates the share of an entry found in the text. A whole-text match with Jaccard t has
        # that share at 2t / (1 + t) or more (equal sizes; more when the text is the larger), a contained match
        # at containment_threshold or more: verify whatever may reach the lower of the two.
        t = self.threshold
        self._floor = max(0.0, min(2 * t / (1 + t), self.containment_threshold) - self.slack)
        self._state: _State | None = None
        self._ids: dict[str, int] = {}  # entry id -> slot (read and written under the lock)
        self._lock = threading.RLock()

    # -- building ------------------------------------------------------------------------------------

    def _empty_state(self) -> _State:
        z = np.zeros(0, dtype=np.int32)
        return _State(
            Segment.empty(),
            Segment.empty(),
            Forward.empty(0),
            Forward.empty(0),
            [],
            0,
            np.zeros(0, dtype=np.bool_),
            z,
            z,
            z,
            np.zeros(0, dtype=np.int8),
            0,
            0,
            0,
        )

    def _prepare(self, entries: Sequence[tuple[SimilarEntry, Where]]) -> _Batch:
        """Normalise and hash entries (giving an id to those without one) into one batch. The n-grams of the
        whole batch are hashed, deduplicated and sketched together, in a few array operations."""
        k = self.ngram
        out: list[SimilarEntry] = []
        norms: list[str] = []
        short_owner: list[int] = []
        short_hash: list[U64] = []
        for i, (entry, where) in enumerate(entries):
            normalized = self._normalizer.normalize(entry.text).text
            if not normalized:
                raise where.error(
                    "the text is empty after normalisation (only punctuation, spaces or symbols)",
                    "规范化后文本为空（只有标点、空白或符号）",
                )
            if not entry.id:
                entry = _with_id(entry, auto_id(entry.kind, normalized))
            out.append(entry)
            norms.append(normalized)
            if len(normalized) < k:  # one n-gram: the whole text, hashed as the query side hashes it
                short_owner.append(i)
                short_hash.append(gram_hashes(codes_of(normalized), k))
        n = len(out)
        lens = np.fromiter((len(t) for t in norms), dtype=np.int64, count=n)
        ends = np.cumsum(lens)
        h = gram_hashes(codes_of("".join(norms)), k) if n else np.zeros(0, dtype=np.uint64)
        owner = np.repeat(np.arange(n, dtype=np.int64), lens)[: len(h)]
        valid = np.arange(len(h), dtype=np.int64) + k <= ends[owner]  # n-grams inside one entry
        hv, ov = h[valid], owner[valid]
        if short_owner:
            hv = np.concatenate([hv, *short_hash])
            ov = np.concatenate([ov, np.asarray(short_owner, dtype=np.int64)])
        order = np.lexsort((hv, ov))
        hv, ov = hv[order], ov[order]
        first = np.ones(len(hv), dtype=np.bool_)
        if len(hv) > 1:
            first[1:] = (hv[1:] != hv[:-1]) | (ov[1:] != ov[:-1])
        hv, ov = hv[first], ov[first]  # each entry's distinct n-gram hashes, in ascending order
        grams = np.bincount(ov, minlength=n)
        start = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(grams, out=start[1:])
        rank = np.arange(len(hv), dtype=np.int64) - start[ov]
        in_sketch = rank < self.sketch_size  # the smallest hashes: bottom-k
        h32 = high32(hv)  # ascending within an entry too: the high bits order them
        keep32 = np.ones(len(h32), dtype=np.bool_)
        if len(h32) > 1:
            keep32[1:] = (h32[1:] != h32[:-1]) | (ov[1:] != ov[:-1])
        fwd_keys = h32[keep32]
        fwd_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(ov[keep32], minlength=n), out=fwd_ptr[1:])
        return _Batch(
            out,
            hv[in_sketch],
            np.minimum(grams, self.sketch_size).astype(np.int64),
            grams.astype(np.int64),
            np.fromiter((_KIND_CODE[e.kind] for e in out), dtype=np.int8, count=n),
            fwd_ptr,
            fwd_keys,
        )

    def _commit(
        self, st: _State, batches: Sequence[_Batch], removed: Iterable[int] = (), *, rebuild: bool = False
    ) -> _State:
        """A new state with the batches appended and the ``removed`` slots dead (caller holds the lock)."""
        n0 = st.n
        n1 = n0 + sum(len(b.entries) for b in batches)
        entries = st.entries
        need, sketch, grams, kind = (_grow(st.need, n1), _grow(st.sketch, n1), _grow(st.grams, n1), _grow(st.kind, n1))
        alive = _grow(st.alive, n1)
        if alive is st.alive:
            alive = alive.copy()  # readers of the old state keep theirs
        keys: list[U64] = []
        slots: list[I32] = []
        fwd_delta = st.fwd_delta
        base = n0
        for b in batches:
            k = len(b.entries)
            for i, e in enumerate(b.entries):
                entries.append(e)
                self._ids[e.id] = base + i
            sl = slice(base, base + k)
            need[sl] = np.maximum(1, np.ceil(b.sketch_len * self._floor - 1e-9)).astype(np.int32)
            sketch[sl] = b.sketch_len
            grams[sl] = b.grams
            kind[sl] = b.kind
            alive[sl] = True
            keys.append(b.sketch_keys)
            slots.append(np.repeat(np.arange(base, base + k, dtype=np.int32), b.sketch_len))
            fwd_delta = fwd_delta.then(Forward(base, b.fwd_ptr, b.fwd_keys))
            base += k
        live = st.live + (n1 - n0)
        dead = st.dead_postings
        for slot in removed:
            if alive[slot]:
                alive[slot] = False
                live -= 1
                dead += int(sketch[slot])
        main, delta, fwd_main = st.main, st.delta, st.fwd_main
        new_postings = sum(len(k) for k in keys)
        if rebuild or delta.postings + new_postings > DELTA_MAX_POSTINGS or dead * 4 > main.postings + delta.postings:
            parts = [main, delta]
            if keys:
                parts.append(Segment.build(np.concatenate(keys), np.concatenate(slots)))
            main = Segment.merge(parts, alive[:n1] if dead else None)
            fwd_main = fwd_main.then(fwd_delta)
            if dead:
                fwd_main = fwd_main.compact(alive)
            delta, fwd_delta, dead = Segment.empty(), Forward.empty(n1), 0
        elif keys:
            added = Segment.build(np.concatenate(keys), np.concatenate(slots))
            delta = Segment.merge([delta, added]) if delta.postings else added
        return _State(
            main,
            delta,
            fwd_main,
            fwd_delta,
            entries,
            n1,
            alive,
            need,
            sketch,
            grams,
            kind,
            live,
            dead,
            st.generation + 1,
        )

    def _read_files(self) -> list[tuple[SimilarEntry, Where]]:
        out: list[tuple[SimilarEntry, Where]] = []
        now = now_iso()
        for path in self.paths:
            for where, obj in read_objects(path, SIMILAR_FORMAT):
                out.append((entry_from_obj(obj, where, now), where))
        return out

    def _build_from(self, items: Sequence[tuple[SimilarEntry, Where]]) -> None:
        """Replace the library with ``items`` (caller holds the lock)."""
        self._normalizer.load()
        self._ids = {}
        batches: list[_Batch] = []
        seen: dict[str, Where] = {}
        for i in range(0, len(items), BATCH):
            b = self._prepare(items[i : i + BATCH])
            keep = np.ones(len(b.entries), dtype=np.bool_)
            for j, ((orig, where), e) in enumerate(zip(items[i : i + BATCH], b.entries, strict=True)):
                if e.id in seen:
                    if not orig.id:  # the same normalised text twice without an id: keep the first
                        keep[j] = False
                        continue
                    first = seen[e.id]
                    raise where.error(
                        f"duplicate id {e.id!r} (first at {first.path}:{first.line})",
                        f"重复的 id {e.id!r}（首次出现于 {first.path}:{first.line}）",
                    )
                seen[e.id] = where
            batches.append(b if keep.all() else _select(b, keep))
        self._state = self._commit(self._empty_state(), batches, rebuild=True)
        self._loaded = True

    # -- run-time edits ------------------------------------------------------------------------------

    def add(
        self,
        text: str,
        *,
        kind: str = "black",
        risk: str | None = None,
        severity: str | None = None,
        id: str | None = None,
        source: str = "",
        note: str = "",
        added: Any = None,
    ) -> str:
        """Add one entry; it takes effect for every later :meth:`detect`, in every thread. Returns its id.

        Without ``id``, the id is derived from the kind and the normalised text, and adding a text whose
        normalised form is already in the library under the same kind returns the existing id and changes
        nothing. An explicit ``id`` that is already taken raises :class:`ConfigError`.
        """
        item = {
            "text": text,
            "kind": kind,
            "risk": risk,
            "severity": severity,
            "id": id,
            "source": source,
            "note": note,
            "added": added,
        }
        return self.add_many([item])[0]

    def add_many(self, items: Iterable[SimilarEntry | Mapping[str, Any]]) -> list[str]:
        """Add several entries in one index update (all or nothing). Returns their ids in order.

        An item is a :class:`SimilarEntry` or a mapping with the file format's fields.
        """
        parsed: list[tuple[SimilarEntry, Where]] = []
        now = now_iso()
        for i, item in enumerate(items, 1):
            where = Where("<add>", i)
            fields = {**item.to_dict(), "id": item.id or None} if isinstance(item, SimilarEntry) else dict(item)
            parsed.append((make_entry(**fields, where=where, now=now), where))
        with self._lock:
            st = self._st()
            ids: list[str] = []
            batches: list[_Batch] = []
            taken: set[str] = set()
            for i in range(0, len(parsed), BATCH):
                chunk = parsed[i : i + BATCH]
                b = self._prepare(chunk)
                keep = np.ones(len(b.entries), dtype=np.bool_)
                for j, ((orig, where), e) in enumerate(zip(chunk, b.entries, strict=True)):
                    ids.append(e.id)
                    if e.id in self._ids or e.id in taken:
                        if orig.id:
                            raise where.error(f"id {e.id!r} is already in the library", f"id {e.id!r} 已在库中")
                        keep[j] = False  # the same normalised text under the same kind: already there
                        continue
                    taken.add(e.id)
                batches.append(b if keep.all() else _select(b, keep))
            batches = [b for b in batches if b.entries]
            if batches:
                self._state = self._commit(st, batches)
            return ids

    def remove(self, entry_id: str) -> bool:
        """Remove an entry; later :meth:`detect` calls no longer see it. Returns False if there was none."""
        with self._lock:
            st = self._st()
            slot = self._ids.pop(entry_id, None)
            if slot is None:
                return False
            self._state = self._commit(st, (), (slot,))
            return True

    def clear(self) -> None:
        """Remove every entry."""
        with self._lock:
            self._normalizer.load()
            self._ids = {}
            self._state = self._empty_state()
            self._loaded = True

    def save(self, path: str | Path) -> int:
        """Write every entry to a JSONL file (atomically). Returns how many were written."""
        st = self._st()
        return write_jsonl(path, SIMILAR_FORMAT, (e.to_dict() for e in _live(st)))

    # -- introspection -------------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Number of entries (every kind)."""
        return self._st().live

    @property
    def generation(self) -> int:
        """Incremented by every edit; a cheap way for a console to see that the library changed."""
        return self._st().generation

    def entries(self, kind: str | None = None) -> list[SimilarEntry]:
        """The entries, in the order they were added (optionally of one kind)."""
        if kind is not None and kind not in KINDS:
            raise ConfigError(
                f"unknown kind {kind!r}; use {', '.join(KINDS)}", f"未知类型 {kind!r}；请使用 {'、'.join(KINDS)}"
            )
        return [e for e in _live(self._st()) if kind is None or e.kind == kind]

    def get(self, entry_id: str) -> SimilarEntry | None:
        with self._lock:
            st = self._st()
            slot = self._ids.get(entry_id)
            if slot is None or slot >= st.n or not st.alive[slot]:
                return None
            return st.entries[slot]

    def index_stats(self) -> dict[str, int]:
        """Sizes of the index (entries, postings, bytes of its arrays)."""
        st = self._st()
        arrays: list[npt.NDArray[Any]] = [st.alive, st.need, st.sketch, st.grams, st.kind]
        for seg in (st.main, st.delta):
            arrays += [seg.keys, seg.indptr, seg.slots]
        for f in (st.fwd_main, st.fwd_delta):
            arrays += [f.ptr, f.keys]
        return {
            "entries": st.live,
            "slots": st.n,
            "main_postings": st.main.postings,
            "main_keys": len(st.main.keys),
            "delta_postings": st.delta.postings,
            "forward_keys": len(st.fwd_main.keys) + len(st.fwd_delta.keys),
            "index_bytes": int(sum(a.nbytes for a in arrays)),
        }

    # -- matching ------------------------------------------------------------------------------------

    def _candidates(self, st: _State, uq: U64) -> I64:
        """Slots whose sketch estimate clears the floor and whose size allows a match. Beyond
        ``max_candidates``, every white one and the black and suspect ones with the best estimates."""
        parts = []
        for seg in (st.main, st.delta):
            if seg.postings:
                _, offs = seg.lookup(uq, self.max_postings, with_query=False)
                if len(offs):
                    parts.append(seg.slots[offs])
        if not parts:
            return np.zeros(0, dtype=np.int64)
        hit_slots = np.concatenate(parts) if len(parts) > 1 else parts[0]
        n = st.n
        if len(hit_slots) * 32 > n:  # many hits: one counter per slot
            counts_all = np.bincount(hit_slots, minlength=n)
            slots = np.flatnonzero((counts_all >= st.need[:n]) & st.alive[:n])
            counts = counts_all[slots]
        else:  # few hits: count by sorting them
            hs = np.sort(hit_slots)
            first = np.empty(len(hs), dtype=np.bool_)
            first[0] = True
            np.not_equal(hs[1:], hs[:-1], out=first[1:])
            starts = np.flatnonzero(first)
            slots = hs[starts].astype(np.int64)
            counts = np.diff(np.append(starts, len(hs)))
            ok = (counts >= st.need[slots]) & st.alive[slots]
            slots, counts = slots[ok], counts[ok]
        if len(slots) == 0:
            return slots
        nq = len(uq)
        g = st.grams[slots].astype(np.int64)
        t, tc = self.threshold, self.containment_threshold
        ok = (g * t <= nq) & (nq * t <= g)  # Jaccard >= t is possible
        ok |= (g >= self._min_grams) & (g * tc <= nq)  # the entry can lie inside the text
        if nq >= self._min_grams:
            ok |= nq * tc <= g  # the text can lie inside the entry
        slots = slots[ok]
        if len(slots) <= self.max_candidates:
            return slots
        counts = counts[ok]
        white = st.kind[slots] == _WHITE
        order = np.lexsort((-(counts / st.sketch[slots]), ~white))
        return slots[order[: int(white.sum()) + self.max_candidates]]

    def _gather(self, st: _State, cand: I64) -> tuple[I64, I64, U32]:
        """Every candidate's n-gram keys: ``(sizes, owner, keys)``, ``owner`` indexing ``cand``."""
        sizes = np.zeros(len(cand), dtype=np.int64)
        owners: list[I64] = []
        keys: list[U32] = []
        if st.fwd_delta.rows == 0 or int(cand.max()) < st.fwd_delta.base:  # all in one store (the usual case)
            lens, owner, k = st.fwd_main.gather(cand)
            sizes[:] = lens
            return sizes, owner, k
        for fwd in (st.fwd_main, st.fwd_delta):
            sel = np.flatnonzero((cand >= fwd.base) & (cand < fwd.base + fwd.rows))
            if len(sel) == 0:
                continue
            lens, owner, k = fwd.gather(cand[sel])
            sizes[sel] = lens
            owners.append(sel[owner])
            keys.append(k)
        if len(owners) == 1:
            return sizes, owners[0], keys[0]
        return sizes, np.concatenate(owners), np.concatenate(keys)

    def _locate_one(self, eg: U32, h32: U32) -> tuple[int, int, int]:
        """:meth:`_locate` for one entry (sorted unique keys ``eg``): fewer array operations."""
        ne = len(eg)
        j = np.searchsorted(eg, h32)
        j[j == ne] = 0
        hit = eg[j] == h32
        n_pos = len(h32)
        win = min(n_pos, ne + max(2, ne // 4))
        csum = np.cumsum(hit, dtype=np.int32)
        sums = csum[win - 1 :].copy()
        sums[1:] -= csum[: n_pos - win]
        w0 = int(np.argmax(sums))
        inside = np.flatnonzero(hit[w0 : w0 + win])
        if len(inside) == 0:
            return 0, n_pos, -1
        return len(sorted_unique(h32[inside + w0])), int(inside[0]) + w0, int(inside[-1]) + w0

    def _locate(self, rows: I64, owner: I64, keys: U32, sizes: I64, h32: U32) -> tuple[I64, I64, I64]:
        """For the candidates ``rows``, whose keys found in the text are ``keys`` (of candidate ``owner``): the
        best window of the text about each entry's length. Returns, per row, the distinct entry n-grams inside
        it and the first and last n-gram positions of the text found there, all vectorised."""
        n_rows, n_pos = len(rows), len(h32)
        rowmap = np.full(len(sizes), -1, dtype=np.int64)
        rowmap[rows] = np.arange(n_rows)
        m = rowmap[owner] >= 0
        ko, kk = rowmap[owner[m]], keys[m]  # one (row, key) pair per distinct entry n-gram in the text
        order = np.argsort(h32, kind="stable")
        hs = h32[order]
        lo = np.searchsorted(hs, kk, "left")
        cnt = np.searchsorted(hs, kk, "right") - lo
        total = int(cnt.sum())
        run_first = np.cumsum(cnt) - cnt
        pos = order[np.repeat(lo - run_first, cnt) + np.arange(total, dtype=np.int64)]
        rr = np.repeat(ko, cnt)  # row of each (key, position) pair
        kid = np.repeat(np.arange(len(kk), dtype=np.int64), cnt)  # which (row, key) pair
        hits = np.zeros((n_rows, n_pos + 1), dtype=np.int32)
        hits[rr, pos + 1] = 1
        csum = np.cumsum(hits, axis=1, dtype=np.int32)  # csum[r, p] = hits of row r before position p
        ne = sizes[rows]
        win = np.minimum(n_pos, ne + np.maximum(2, ne // 4))
        ends = np.minimum(np.arange(n_pos)[None, :] + win[:, None], n_pos)
        sums = np.take_along_axis(csum, ends, axis=1) - csum[:, :n_pos]
        w0 = np.argmax(sums, axis=1)
        inside = (pos >= w0[rr]) & (pos < (w0 + win)[rr])
        distinct = np.bincount(ko[sorted_unique(kid[inside])], minlength=n_rows)
        first = np.full(n_rows, n_pos, dtype=np.int64)
        last = np.full(n_rows, -1, dtype=np.int64)
        np.minimum.at(first, rr[inside], pos[inside])
        np.maximum.at(last, rr[inside], pos[inside])
        return distinct, first, last

    def _match(self, text: str, limit: int | None) -> list[SimilarMatch]:
        st = self._st()
        if not text or st.live == 0:
            return []
        nt = self._normalizer.normalize(text)
        if not nt.text:
            return []
        h = gram_hashes(codes_of(nt.text), self.ngram)
        cand = self._candidates(st, sorted_unique(h))
        if len(cand) == 0:
            return []
        h32 = high32(h)
        uq32 = sorted_unique(h32)
        nq = len(uq32)
        sizes, owner, keys = self._gather(st, cand)
        j = np.searchsorted(uq32, keys)
        j[j == nq] = 0
        found = uq32[j] == keys
        owner, keys = owner[found], keys[found]
        inter = np.bincount(owner, minlength=len(cand))
        safe = np.maximum(sizes, 1)
        jac = inter / (sizes + nq - inter)
        con = inter / safe
        t, tc = self.threshold, self.containment_threshold
        share = inter / nq  # share of the text found in the entry
        # the text and the entry are near-duplicates of each other: a whole-text match
        mutual = (jac >= t) & (share >= tc) & (inter > 0)
        # otherwise an entry found inside the text is reported where it lies
        rows = np.flatnonzero(~mutual & (sizes >= self._min_grams) & (con >= tc))
        local = np.zeros(len(cand))
        first = np.zeros(len(cand), dtype=np.int64)
        last = np.zeros(len(cand), dtype=np.int64)
        if len(rows) == 1 or len(rows) * len(h32) > LOCATE_CELLS:  # one entry, or a long text: row by row
            for r in rows.tolist():
                dist, f0, l0 = self._locate_one(keys[owner == r], h32)
                local[r], first[r], last[r] = dist / safe[r], f0, l0
        elif len(rows):
            d, f, la = self._locate(rows, owner, keys, sizes, h32)
            local[rows] = d / safe[rows]
            first[rows], last[rows] = f, la
        contained = ~mutual & (local >= tc)
        similar = ~contained & (jac >= t) & (inter > 0)
        excerpt = ~similar & ~contained & (share >= tc) & (nq >= self._min_grams)
        score = np.where(similar, jac, np.where(contained, local, share))
        hits = np.flatnonzero(similar | contained | excerpt)
        if len(hits) == 0:
            return []
        hits = hits[np.argsort(-score[hits], kind="stable")]

        def build(i: int) -> SimilarMatch | None:
            entry = st.entries[int(cand[i])]
            if entry is None:
                return None
            if similar[i]:
                return SimilarMatch(entry, "similar", float(jac[i]), float(jac[i]), float(con[i]), None)
            if contained[i]:
                s, e = nt.orig_span(int(first[i]), min(len(nt.text), int(last[i]) + self.ngram))
                return SimilarMatch(entry, "contained", float(local[i]), float(jac[i]), float(local[i]), Span(s, e))
            return SimilarMatch(entry, "excerpt", float(share[i]), float(jac[i]), float(con[i]), None)

        is_white = st.kind[cand[hits]] == _WHITE
        whites = [m for m in map(build, hits[is_white].tolist()) if m is not None]
        matches: list[SimilarMatch] = list(whites)
        reported = 0
        for i in hits[~is_white].tolist():
            m = build(i)
            if m is None:
                continue
            if whites:
                m = _suppress(m, whites)
            if limit is not None:
                if m.suppressed_by is not None:
                    continue
                reported += 1
                if reported > limit:
                    break
            matches.append(m)
        if limit is not None:
            return [m for m in matches if m.entry.kind != "white"]
        matches.sort(key=lambda m: (-m.score, m.entry.id))
        return matches

    def match(self, text: str) -> list[SimilarMatch]:
        """Every entry that matches ``text``: white ones and suppressed ones included, best first. Black and
        suspect candidates beyond ``max_candidates`` (the lowest sketch estimates) are not verified."""
        return self._match(text, None)

    def detect(self, text: str, ctx: DetectContext | None = None) -> list[Finding]:
        if ctx is not None and self.stages is not None and ctx.stage not in self.stages:
            return []
        out: list[Finding] = []
        for m in self._match(text, self.max_findings):
            e = m.entry
            if e.risk is None:  # only white entries have none, and _match(limit) drops them
                continue
            meta: dict[str, Any] = {
                "match": m.how,
                "entry_id": e.id,
                "jaccard": round(m.jaccard, 4),
                "containment": round(m.containment, 4),
            }
            if e.source:
                meta["source"] = e.source
            out.append(Finding(DETECTOR, e.risk, e.severity, m.span, f"{e.kind}:{e.id}", m.score, e.kind, meta))
        return out[: self.max_findings]


def _select(b: _Batch, keep: BoolArray) -> _Batch:
    """The entries of a batch where ``keep`` is true."""
    idx = np.flatnonzero(keep)
    sk_ptr = np.zeros(len(b.entries) + 1, dtype=np.int64)
    np.cumsum(b.sketch_len, out=sk_ptr[1:])
    sk_rows = [b.sketch_keys[sk_ptr[i] : sk_ptr[i + 1]] for i in idx]
    fwd = Forward.of(0, [b.fwd_keys[b.fwd_ptr[i] : b.fwd_ptr[i + 1]] for i in idx])
    return _Batch(
        [b.entries[i] for i in idx],
        np.concatenate(sk_rows) if sk_rows else np.zeros(0, dtype=np.uint64),
        b.sketch_len[idx],
        b.grams[idx],
        b.kind[idx],
        fwd.ptr,
        fwd.keys,
    )


def _with_id(entry: SimilarEntry, new_id: str) -> SimilarEntry:
    return SimilarEntry(
        new_id, entry.text, entry.kind, entry.risk, entry.severity, entry.source, entry.note, entry.added
    )


def _live(st: _State) -> list[SimilarEntry]:
    alive = st.alive
    return [e for slot, e in enumerate(st.entries[: st.n]) if e is not None and alive[slot]]


def _suppress(m: SimilarMatch, whites: Sequence[SimilarMatch]) -> SimilarMatch:
    """A black or suspect match is suppressed by a white entry matching the whole text (``similar`` or
    ``excerpt``), or by a white entry found inside the text (``contained``) whose span covers this match's."""
    for w in whites:
        if w.span is None or (m.span is not None and w.span.contains(m.span)):
            return SimilarMatch(m.entry, m.how, m.score, m.jaccard, m.containment, m.span, w.entry.id)
    return m

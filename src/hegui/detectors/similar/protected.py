"""The ``protected_works`` detector: long verbatim or near-verbatim copies of protected works in outputs.

Texts the provider must not reproduce (licensed or copyrighted works: A3.1; trade secrets: A3.3; Art 4(3),
R-MEA-04) are fingerprinted as in MOSS (Schleimer, Wilkerson and Aiken, *Winnowing*, 2003):

1. Each work is normalised (width, case, traditional -> simplified, punctuation, spaces, emoji ...), its
   ``k``-grams hashed and **winnowed** (the minimum hash of every window of ``window`` consecutive k-grams), and
   the fingerprints stored with their positions. Any run of at least ``window + k - 1`` normalised characters
   shared with a work shares at least one fingerprint.
2. Every k-gram of the (normalised) output is looked up; the hits are chained per work along the diagonal
   (work position minus output position, allowing small shifts for inserted or deleted characters).
3. Each chain is **verified and extended** on the texts themselves: the characters of the output region covered
   by ``verify_k``-grams that also occur in the matching region of the work; runs of covered characters separated
   by at most ``max_gap`` uncovered ones form one overlap. A substituted character costs one uncovered
   character, so a few edits do not break the overlap.
4. An overlap of at least ``min_overlap`` covered characters whose covered share of its span is at least
   ``min_ratio`` becomes a finding, on the span of the ORIGINAL output.
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
from hegui.core.types import Finding, Span, Stage
from hegui.detectors.base import DetectContext, Detector, register
from hegui.detectors.normalize import Normalizer
from hegui.detectors.similar import params as P
from hegui.detectors.similar.hashing import U64, codes_of, gram_hashes, winnow
from hegui.detectors.similar.index import I32, I64, BoolArray, Segment
from hegui.detectors.similar.library import (
    PROTECTED_FORMAT,
    ProtectedWork,
    Where,
    auto_id,
    make_work,
    read_objects,
    work_from_obj,
    write_jsonl,
)
from hegui.detectors.similar.lifecycle import FileBacked

DETECTOR: Final = "protected_works"

DEFAULT_MIN_OVERLAP: Final = 50
DEFAULT_MIN_RATIO: Final = 0.8
DEFAULT_K: Final = 8
DEFAULT_WINDOW: Final = 8
DEFAULT_VERIFY_K: Final = 4
DEFAULT_MAX_GAP: Final = 8
DEFAULT_MAX_POSTINGS: Final = 64
DEFAULT_MIN_SEEDS: Final = 2
DEFAULT_MAX_CHAINS: Final = 256
DEFAULT_MAX_FINDINGS: Final = 10
DEFAULT_STAGES: Final = frozenset({Stage.OUTPUT, Stage.STREAM_CHUNK, Stage.CORPUS})
DELTA_MAX_POSTINGS: Final = 262_144


@dataclass(frozen=True, slots=True)
class WorkMatch:
    """One overlap between a text and a protected work."""

    work: ProtectedWork
    span: Span  # in the ORIGINAL text
    overlap: int  # normalised characters of the text covered by the work
    ratio: float  # overlap / normalised length of the span
    work_span: tuple[int, int]  # the matching region of the work, in the work's ORIGINAL text


@dataclass(frozen=True, slots=True)
class _State:
    main: Segment  # fingerprint -> (slot, position in the normalised work)
    delta: Segment
    works: list[ProtectedWork | None]  # by slot; shared, append-only: valid for slots < n
    norms: list[str]  # normalised text by slot; the same
    fingerprints: list[int]  # fingerprints by slot; the same
    n: int
    alive: BoolArray  # copied on every edit
    live: int
    dead_postings: int
    generation: int


@register
class ProtectedWorksDetector(FileBacked[_State, tuple[ProtectedWork, Where]], Detector):
    """Long verbatim or near-verbatim overlaps with protected works (risk A3.1 or A3.3 per work).

    Params (all optional):
        paths: JSONL library files loaded at :meth:`load` (see docs/similar.md for the format).
        min_overlap: normalised characters shared with a work that make a finding (default 50).
        min_ratio: share of the overlap's span covered by the work (default 0.8).
        k: fingerprint length in normalised characters (default 8).
        window: winnowing window, in k-grams (default 8); ``window + k - 1`` must not exceed ``min_overlap``.
        verify_k: n-gram length used to verify and extend an overlap (default 4).
        max_gap: uncovered characters allowed inside one overlap (default 8).
        max_postings: fingerprints occurring more often than this in the library are skipped (default 64).
        min_seeds: fingerprint hits a chain needs before it is verified (default 2).
        max_findings: findings reported per text, longest first (default 10).
        homophones: fold homophones in the text and the library (default false).
        stages: the stages to check (default: output, stream_chunk, corpus: what the service itself produces
            and what it trains on; a user quoting a work in a prompt is not the provider reproducing it).
    """

    name = DETECTOR

    def __init__(
        self,
        *,
        paths: Sequence[str | Path] | None = None,
        min_overlap: int = DEFAULT_MIN_OVERLAP,
        min_ratio: float = DEFAULT_MIN_RATIO,
        k: int = DEFAULT_K,
        window: int = DEFAULT_WINDOW,
        verify_k: int = DEFAULT_VERIFY_K,
        max_gap: int = DEFAULT_MAX_GAP,
        max_postings: int = DEFAULT_MAX_POSTINGS,
        min_seeds: int = DEFAULT_MIN_SEEDS,
        max_chains: int = DEFAULT_MAX_CHAINS,
        max_findings: int = DEFAULT_MAX_FINDINGS,
        homophones: bool = False,
        stages: Sequence[str] | None = None,
        **params: Any,
    ) -> None:
        super().__init__(**params)
        d = DETECTOR
        self.paths = P.paths(d, paths)
        self.min_overlap = P.integer(d, "min_overlap", min_overlap, 4, 1_000_000)
        self.min_ratio = P.fraction(d, "min_ratio", min_ratio)
        self.k = P.integer(d, "k", k, 2, 64)
        self.window = P.integer(d, "window", window, 1, 256)
        self.verify_k = P.integer(d, "verify_k", verify_k, 1, 64)
        self.max_gap = P.integer(d, "max_gap", max_gap, 0, 1000)
        self.max_postings = P.integer(d, "max_postings", max_postings, 0, 1 << 31)
        self.min_seeds = P.integer(d, "min_seeds", min_seeds, 1, 1000)
        self.max_chains = P.integer(d, "max_chains", max_chains, 1, 1_000_000)
        self.max_findings = P.integer(d, "max_findings", max_findings, 1, 10_000)
        self.homophones = P.boolean(d, "homophones", homophones)
        self.stages = P.stages(d, stages, DEFAULT_STAGES)
        if self.window + self.k - 1 > self.min_overlap:
            raise ConfigError(
                f"{d}: window + k - 1 ({self.window + self.k - 1}) must not exceed min_overlap ({self.min_overlap}),"
                " or an overlap of min_overlap characters may share no fingerprint",
                f"{d}：window + k - 1（{self.window + self.k - 1}）不得大于 min_overlap（{self.min_overlap}），"
                "否则长度为 min_overlap 的重合可能没有共同指纹",
            )
        if self.verify_k > self.k:
            raise ConfigError(f"{d}: verify_k must not exceed k", f"{d}：verify_k 不得大于 k")
        self._normalizer = Normalizer(homophones=homophones)
        self._state: _State | None = None
        self._ids: dict[str, int] = {}
        self._lock = threading.RLock()

    # -- building ------------------------------------------------------------------------------------

    def _empty_state(self) -> _State:
        return _State(Segment.empty(True), Segment.empty(True), [], [], [], 0, np.zeros(0, dtype=np.bool_), 0, 0, 0)

    def _prepare(self, work: ProtectedWork, where: Where) -> tuple[ProtectedWork, str, U64, I32]:
        normalized = self._normalizer.normalize(work.text).text
        if len(normalized) < self.min_overlap:
            raise where.error(
                f"the work has {len(normalized)} characters after normalisation, fewer than min_overlap "
                f"({self.min_overlap}): it could never match",
                f"规范化后作品只有 {len(normalized)} 个字符，少于 min_overlap（{self.min_overlap}），不可能匹配",
            )
        if len(normalized) >= 1 << 31:
            raise where.error("the work is too long (2**31 characters or more)", "作品过长（不少于 2**31 个字符）")
        h = gram_hashes(codes_of(normalized), self.k)
        pos = winnow(h, self.window)
        if not work.id:
            work = ProtectedWork(
                auto_id("work", normalized),
                work.title,
                work.text,
                work.risk,
                work.severity,
                work.source,
                work.note,
                work.added,
            )
        return work, normalized, h[pos], pos.astype(np.int32)

    def _commit(
        self,
        st: _State,
        prepared: Sequence[tuple[ProtectedWork, str, U64, I32]],
        removed: Iterable[int] = (),
        *,
        rebuild: bool = False,
    ) -> _State:
        n0 = st.n
        n1 = n0 + len(prepared)
        alive = np.zeros(max(n1, 64), dtype=np.bool_)
        alive[: len(st.alive)] = st.alive[: len(alive)]
        keys: list[U64] = []
        slots: list[I32] = []
        pos: list[I32] = []
        for i, (work, normalized, fp, fpos) in enumerate(prepared):
            slot = n0 + i
            st.works.append(work)
            st.norms.append(normalized)
            st.fingerprints.append(len(fp))
            self._ids[work.id] = slot
            alive[slot] = True
            keys.append(fp)
            slots.append(np.full(len(fp), slot, dtype=np.int32))
            pos.append(fpos)
        live = st.live + len(prepared)
        dead = st.dead_postings
        for s in removed:
            if alive[s]:
                alive[s] = False
                live -= 1
                dead += st.fingerprints[s]
        main, delta = st.main, st.delta
        added = Segment.build(np.concatenate(keys), np.concatenate(slots), np.concatenate(pos)) if keys else None
        new_postings = added.postings if added is not None else 0
        if rebuild or delta.postings + new_postings > DELTA_MAX_POSTINGS or dead * 4 > main.postings + delta.postings:
            parts = [main, delta] + ([added] if added is not None else [])
            main = Segment.merge(parts, alive[:n1] if dead else None)
            delta, dead = Segment.empty(True), 0
        elif added is not None:
            delta = Segment.merge([delta, added]) if delta.postings else added
        return _State(main, delta, st.works, st.norms, st.fingerprints, n1, alive, live, dead, st.generation + 1)

    def _read_files(self) -> list[tuple[ProtectedWork, Where]]:
        out: list[tuple[ProtectedWork, Where]] = []
        for path in self.paths:
            for where, obj in read_objects(path, PROTECTED_FORMAT):
                out.append((work_from_obj(obj, where), where))
        return out

    def _build_from(self, items: Sequence[tuple[ProtectedWork, Where]]) -> None:
        self._normalizer.load()
        self._ids = {}
        prepared = []
        seen: dict[str, Where] = {}
        for work, where in items:
            p = self._prepare(work, where)
            wid = p[0].id
            if wid in seen:
                if not work.id:
                    continue
                first = seen[wid]
                raise where.error(
                    f"duplicate id {wid!r} (first at {first.path}:{first.line})",
                    f"重复的 id {wid!r}（首次出现于 {first.path}:{first.line}）",
                )
            seen[wid] = where
            prepared.append(p)
        self._state = self._commit(self._empty_state(), prepared, rebuild=True)
        self._loaded = True

    # -- run-time edits ------------------------------------------------------------------------------

    def add(
        self,
        text: str,
        *,
        title: str = "",
        risk: str = "A3.1",
        severity: str | None = None,
        id: str | None = None,
        source: str = "",
        note: str = "",
        added: Any = None,
    ) -> str:
        """Add a protected work; it takes effect for every later :meth:`detect`. Returns its id (derived from
        the normalised text when not given; the same text added again returns the same id)."""
        item = {
            "text": text,
            "title": title,
            "risk": risk,
            "severity": severity,
            "id": id,
            "source": source,
            "note": note,
            "added": added,
        }
        return self.add_many([item])[0]

    def add_many(self, items: Iterable[ProtectedWork | Mapping[str, Any]]) -> list[str]:
        """Add several works in one index update (all or nothing). Returns their ids in order."""
        parsed: list[tuple[ProtectedWork, Where]] = []
        for i, item in enumerate(items, 1):
            where = Where("<add>", i)
            fields = {**item.to_dict(), "id": item.id or None} if isinstance(item, ProtectedWork) else dict(item)
            parsed.append((make_work(**fields, where=where), where))
        with self._lock:
            st = self._st()
            ids: list[str] = []
            prepared = []
            taken: set[str] = set()
            for work, where in parsed:
                p = self._prepare(work, where)
                wid = p[0].id
                ids.append(wid)
                if wid in self._ids or wid in taken:
                    if work.id:
                        raise where.error(f"id {wid!r} is already in the library", f"id {wid!r} 已在库中")
                    continue
                taken.add(wid)
                prepared.append(p)
            if prepared:
                self._state = self._commit(st, prepared)
            return ids

    def remove(self, work_id: str) -> bool:
        """Remove a work; later :meth:`detect` calls no longer see it. Returns False if there was none."""
        with self._lock:
            st = self._st()
            slot = self._ids.pop(work_id, None)
            if slot is None:
                return False
            self._state = self._commit(st, (), (slot,))
            return True

    def clear(self) -> None:
        """Remove every work."""
        with self._lock:
            self._normalizer.load()
            self._ids = {}
            self._state = self._empty_state()
            self._loaded = True

    def save(self, path: str | Path) -> int:
        """Write every work to a JSONL file (atomically). Returns how many were written."""
        return write_jsonl(path, PROTECTED_FORMAT, (w.to_dict() for w in self.works()))

    # -- introspection -------------------------------------------------------------------------------

    @property
    def size(self) -> int:
        return self._st().live

    @property
    def generation(self) -> int:
        return self._st().generation

    def works(self) -> list[ProtectedWork]:
        """The works, in the order they were added."""
        st = self._st()
        return [w for slot, w in enumerate(st.works[: st.n]) if w is not None and st.alive[slot]]

    def entries(self) -> list[ProtectedWork]:
        """The same as :meth:`works` (the name the similar-text library uses)."""
        return self.works()

    def get(self, work_id: str) -> ProtectedWork | None:
        with self._lock:
            st = self._st()
            slot = self._ids.get(work_id)
            if slot is None or slot >= st.n or not st.alive[slot]:
                return None
            return st.works[slot]

    def index_stats(self) -> dict[str, int]:
        st = self._st()
        arrays: list[npt.NDArray[Any]] = [st.alive]
        for seg in (st.main, st.delta):
            arrays += [seg.keys, seg.indptr, seg.slots]
            if seg.pos is not None:
                arrays.append(seg.pos)
        return {
            "works": st.live,
            "chars": sum(len(t) for slot, t in enumerate(st.norms[: st.n]) if st.alive[slot]),
            "fingerprints": st.main.postings + st.delta.postings,
            "index_bytes": int(sum(a.nbytes for a in arrays)),
            "normalised_text_bytes": sum(len(t.encode("utf-8")) for t in st.norms[: st.n]),
        }

    # -- matching ------------------------------------------------------------------------------------

    def _seeds(self, st: _State, h: U64) -> tuple[I64, I64, I64]:
        """Fingerprint hits ``(output position, slot, work position)``, sorted by slot then output position."""
        qs: list[I64] = []
        ss: list[I64] = []
        ps: list[I64] = []
        for seg in (st.main, st.delta):
            if seg.postings == 0 or seg.pos is None:
                continue
            qi, offs = seg.lookup(h, self.max_postings)
            if len(offs):
                qs.append(qi)
                ss.append(seg.slots[offs].astype(np.int64))
                ps.append(seg.pos[offs].astype(np.int64))
        if not qs:
            e = np.zeros(0, dtype=np.int64)
            return e, e, e
        q, s, p = np.concatenate(qs), np.concatenate(ss), np.concatenate(ps)
        ok = st.alive[s]
        q, s, p = q[ok], s[ok], p[ok]
        order = np.lexsort((q, s))
        return q[order], s[order], p[order]

    def _chains(self, q: I64, s: I64, p: I64) -> list[tuple[int, int, int, int, int, int]]:
        """Chain the seeds along diagonals: ``(slot, first q, last q, first w, last w, seeds)`` per chain."""
        band = self.max_gap + 2
        reach = self.window + self.k + self.max_gap
        out: list[tuple[int, int, int, int, int, int]] = []
        open_: list[list[int]] = []  # [slot, q0, q1, w0, w1, n, diag]
        cur = -1
        for qi, si, wi in zip(q.tolist(), s.tolist(), p.tolist(), strict=True):
            if si != cur:
                out.extend((c[0], c[1], c[2], c[3], c[4], c[5]) for c in open_)
                open_ = []
                cur = si
            d = wi - qi
            hit = None
            still: list[list[int]] = []
            for c in open_:
                if qi - c[2] > reach:
                    out.append((c[0], c[1], c[2], c[3], c[4], c[5]))
                    continue
                still.append(c)
                if hit is None and abs(d - c[6]) <= band:
                    hit = c
            open_ = still
            if hit is None:
                open_.append([si, qi, qi, wi, wi, 1, d])
            else:
                hit[2] = qi
                hit[3] = min(hit[3], wi)
                hit[4] = max(hit[4], wi)
                hit[5] += 1
                hit[6] = d
        out.extend((c[0], c[1], c[2], c[3], c[4], c[5]) for c in open_)
        # A verbatim overlap of L characters has a fingerprint starting within window - 1 characters of each
        # end, so its hits span at least L - 2 (window - 1) characters; an edit near an end can cost up to k
        # more. Chains of a shorter shared phrase are not verified.
        span = max(self.k, self.min_overlap - 2 * (self.window - 1) - self.k)
        return [c for c in out if c[5] >= self.min_seeds and c[2] - c[1] + self.k >= span]

    def _verify(
        self,
        n: int,
        qv: U64,
        norm_work: str,
        chain: tuple[int, int, int, int, int, int],
    ) -> list[tuple[int, int, int, int, int]]:
        """Overlaps in one chain's region: ``(start, end, covered, work_start, work_end)`` in normalised
        coordinates of the text (``n`` characters, ``qv`` the hashes of its verify_k-grams) and the work."""
        _, q0, q1, w0, w1, _ = chain
        ext = self.window + self.k + self.max_gap
        a, b = max(0, q0 - ext), min(n, q1 + self.k + ext)
        wa, wb = max(0, w0 - ext - 2 * self.max_gap), min(len(norm_work), w1 + self.k + ext + 2 * self.max_gap)
        vk = self.verify_k
        if b - a < vk or wb - wa < vk:
            return []
        qh = qv[a : b - vk + 1]
        wh_pos = gram_hashes(codes_of(norm_work[wa:wb]), vk)
        order = np.argsort(wh_pos, kind="stable")
        wh = wh_pos[order]
        j = np.searchsorted(wh, qh)
        j[j == len(wh)] = 0
        hit = wh[j] == qh
        m = hit.astype(np.int64)
        # character c of the region is covered when a matching verify_k-gram starts in [c - vk + 1, c]
        csum = np.zeros(len(m) + 1, dtype=np.int64)
        np.cumsum(m, out=csum[1:])
        idx = np.arange(b - a)
        hi = np.minimum(idx + 1, len(m))
        lo = np.clip(idx - vk + 1, 0, len(m))
        covered = (csum[hi] - csum[lo]) > 0
        cov_pos = np.flatnonzero(covered)
        if len(cov_pos) < self.min_overlap:
            return []
        # runs of covered characters separated by at most max_gap uncovered ones
        breaks = np.flatnonzero(np.diff(cov_pos) > self.max_gap + 1)
        starts = np.concatenate(([0], breaks + 1))
        ends = np.concatenate((breaks, [len(cov_pos) - 1]))
        hit_pos = np.flatnonzero(hit)
        out = []
        for si, ei in zip(starts.tolist(), ends.tolist(), strict=True):
            count = ei - si + 1
            if count < self.min_overlap:
                continue
            s, e = int(cov_pos[si]), int(cov_pos[ei]) + 1
            # the work region: where the first and the last matching verify_k-grams of the overlap come from
            inside = hit_pos[(hit_pos >= s - vk + 1) & (hit_pos < e)]
            ws = wa + int(order[j[inside[0]]])
            we = wa + int(order[j[inside[-1]]]) + vk
            out.append((s + a, e + a, count, ws, max(ws, we)))
        return out

    def match(self, text: str) -> list[WorkMatch]:
        """Every long overlap between ``text`` and a protected work, longest first."""
        st = self._st()
        if not text or st.live == 0:
            return []
        nt = self._normalizer.normalize(text)
        n = len(nt.text)
        if n < self.min_overlap:
            return []
        codes = codes_of(nt.text)
        h = gram_hashes(codes, self.k)
        q, s, p = self._seeds(st, h)
        if len(q) == 0:
            return []
        chains = self._chains(q, s, p)
        if len(chains) > self.max_chains:
            chains = sorted(chains, key=lambda c: -c[5])[: self.max_chains]
        qv = gram_hashes(codes, self.verify_k)
        found: dict[int, list[tuple[int, int, int, int, int]]] = {}
        for c in sorted(chains, key=lambda c: -c[5]):  # the strongest chains first
            kept0 = found.get(c[0], ())
            if any(o[0] <= c[1] and c[2] + self.k <= o[1] for o in kept0):
                continue  # inside an overlap with this work already verified
            norm_work = st.norms[c[0]]
            for ov in self._verify(n, qv, norm_work, c):
                kept = found.setdefault(c[0], [])
                # chains of one work whose overlaps coincide: keep the longer one
                clash = [i for i, o in enumerate(kept) if o[0] < ov[1] and ov[0] < o[1]]
                if clash and all(kept[i][2] >= ov[2] for i in clash):
                    continue
                for i in sorted(clash, reverse=True):
                    del kept[i]
                kept.append(ov)
        out: list[WorkMatch] = []
        for slot, overlaps in found.items():
            work = st.works[slot]
            if work is None:
                continue
            for s0, e0, count, ws, we in overlaps:
                ratio = count / (e0 - s0)
                if ratio < self.min_ratio:
                    continue
                os_, oe = nt.orig_span(s0, e0)
                out.append(WorkMatch(work, Span(os_, oe), count, ratio, self._work_span(st, slot, ws, we)))
        out.sort(key=lambda m: (-m.overlap, m.span.start, m.work.id))
        return out

    def _work_span(self, st: _State, slot: int, ws: int, we: int) -> tuple[int, int]:
        """A region of the normalised work mapped back to the work's original text (normalised again on demand:
        only for findings)."""
        work = st.works[slot]
        assert work is not None
        return self._normalizer.normalize(work.text).orig_span(ws, min(we, len(st.norms[slot])))

    def detect(self, text: str, ctx: DetectContext | None = None) -> list[Finding]:
        if ctx is not None and self.stages is not None and ctx.stage not in self.stages:
            return []
        out: list[Finding] = []
        for m in self.match(text)[: self.max_findings]:
            w = m.work
            meta: dict[str, Any] = {
                "work_id": w.id,
                "title": w.title,
                "overlap_chars": m.overlap,
                "ratio": round(m.ratio, 4),
                "work_span": list(m.work_span),
            }
            if w.source:
                meta["source"] = w.source
            out.append(Finding(DETECTOR, w.risk, w.severity, m.span, f"work:{w.id}", m.ratio, "protected_work", meta))
        return out

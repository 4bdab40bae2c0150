"""One Aho-Corasick automaton over a whole word library (terms, rule parts and allow-list phrases).

The automaton runs on the *normalised* text; spans are mapped back to the original text with the offset map
of :class:`hegui.detectors.normalize.NormalizedText`. Everything that can be decided when the library is
compiled (which pattern is a term, a rule part or an allow phrase, whether its ends need an ASCII word
boundary, the findings' payloads) is precomputed into per-pattern tuples so that the per-hit work in
:meth:`CompiledLexicon.scan` is a few tuple look-ups.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, Protocol

import ahocorasick_rs

from hegui.core.types import Finding, Severity, Span
from hegui.detectors.lexicon.format import Entry

DETECTOR_NAME: Final = "lexicon"

# pattern flags (main automaton)
TERM: Final = 1  # a term entry (yields findings on its own)
ANCHOR: Final = 2  # the anchor part of some rule: when it occurs, the rule parts are looked for
ALLOW: Final = 4  # an allow-list phrase
BOUND_L: Final = 8  # starts with an ASCII letter/digit: needs a word boundary before it
BOUND_R: Final = 16  # ends with an ASCII letter/digit: needs a word boundary after it

_WORD: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
# the same, as byte values: the automata run on UTF-8, where a byte < 0x80 is always a whole ASCII character
_WORD_B: Final = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_SEV_RANK: Final = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2}


def _bounds(norm: str) -> int:
    f = 0
    if norm[0] in _WORD:
        f |= BOUND_L
    if norm[-1] in _WORD:
        f |= BOUND_R
    return f


class NormalizedLike(Protocol):
    """What the matcher needs from :class:`hegui.detectors.normalize.NormalizedBytes`: the normalised text as
    UTF-8 and a map from a byte span to the original text's span."""

    @property
    def data(self) -> bytes: ...

    def orig_span(self, start: int, end: int) -> tuple[int, int]: ...


# (risk, severity, evidence, meta)
Payload = tuple[str, Severity, str, Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class CompiledRule:
    pos: tuple[int, ...]  # pattern ids that must all occur
    neg: tuple[int, ...]  # pattern ids that must not occur
    payload: Payload


@dataclass(frozen=True, slots=True)
class CompileStats:
    patterns: int
    terms: int
    rules: int
    allow: int
    skipped: tuple[str, ...]  # entries whose normalised form is empty (cannot match anything)


class CompiledLexicon:
    """An immutable compiled library. Build a new one to change the library (swap it in atomically).

    Two automata: the *main* one holds the terms, the allow-list phrases and one *anchor* part per rule (its
    last positive part: library authors write the rarest part last, "河南人&都是骗子"); the *parts* one holds
    every rule part and runs only on texts where an anchor occurred. Most texts therefore pay for one pass and
    for the hits of real terms only, however many rules share common parts. The anchor changes the cost of a
    rule, never its result.
    """

    __slots__ = (
        "_ac",
        "_flags",
        "_pac",
        "_pairs",
        "_payloads",
        "_pbound",
        "_pflags",
        "_rules",
        "part_patterns",
        "patterns",
        "stats",
    )

    def __init__(
        self,
        entries: Iterable[Entry],
        allow: Iterable[Entry],
        normalize_term: Callable[[str], str],
        *,
        entry_meta: Callable[[Entry], Mapping[str, Any]] | None = None,
    ) -> None:
        pid_of: dict[str, int] = {}
        patterns: list[str] = []
        flags: list[int] = []
        skipped: list[str] = []
        term_payloads: list[dict[str, tuple[int, Payload]]] = []  # per pattern: risk -> (rank, payload)
        part_of: dict[str, int] = {}
        part_patterns: list[str] = []
        meta_cache: dict[tuple[tuple[str, Any], ...], Mapping[str, Any]] = {}

        def pid(norm: str, flag: int) -> int:
            i = pid_of.get(norm)
            if i is None:
                i = len(patterns)
                pid_of[norm] = i
                patterns.append(norm)
                flags.append(_bounds(norm))
                term_payloads.append({})
            flags[i] |= flag
            return i

        def part_id(norm: str) -> int:
            i = part_of.get(norm)
            if i is None:
                i = len(part_patterns)
                part_of[norm] = i
                part_patterns.append(norm)
            return i

        def meta_for(e: Entry) -> Mapping[str, Any]:
            m = dict(entry_meta(e)) if entry_meta is not None else {"source": e.source}
            k = tuple(m.items())
            got = meta_cache.get(k)
            if got is None:
                got = MappingProxyType(m)
                meta_cache[k] = got
            return got

        rules: list[CompiledRule] = []
        seen_rules: set[tuple[frozenset[int], frozenset[int], str]] = set()
        n_terms = 0
        for e in entries:
            assert e.severity is not None
            if e.kind == "term":
                norm = normalize_term(e.term)
                if not norm:
                    skipped.append(e.term)
                    continue
                i = pid(norm, TERM)
                rank = _SEV_RANK[e.severity]
                cur = term_payloads[i].get(e.risk)
                if cur is None or rank > cur[0]:
                    if cur is None:
                        n_terms += 1
                    term_payloads[i][e.risk] = (rank, (e.risk, e.severity, e.term, meta_for(e)))
            elif e.kind == "rule":
                pos_n = [normalize_term(p) for p in e.parts]
                neg_n = [normalize_term(p) for p in e.negs]
                if not all(pos_n) or not all(neg_n):
                    skipped.append(e.term)
                    continue
                pos = tuple(dict.fromkeys(part_id(p) for p in pos_n))
                neg = tuple(dict.fromkeys(part_id(p) for p in neg_n))
                key = (frozenset(pos), frozenset(neg), e.risk)
                if key in seen_rules:
                    continue
                seen_rules.add(key)
                pid(pos_n[-1], ANCHOR)
                rules.append(CompiledRule(pos, neg, (e.risk, e.severity, e.term, meta_for(e))))
        n_allow = 0
        for a in allow:
            norm = normalize_term(a.term)
            if not norm:
                skipped.append(a.term)
                continue
            pid(norm, ALLOW)
            n_allow += 1

        # Rules are indexed by a pair of their positive parts (the two smallest part ids; a rule with one
        # positive part uses that part twice), so finding the candidate rules costs about the number of parts
        # found in the text, not the number of rules that share a common part.
        pair_index: dict[int, dict[int, list[int]]] = {}
        for ri, r in enumerate(rules):
            ps = sorted(r.pos)
            lo, hi = ps[0], ps[1] if len(ps) > 1 else ps[0]
            pair_index.setdefault(lo, {}).setdefault(hi, []).append(ri)

        self.patterns: tuple[str, ...] = tuple(patterns)
        self.part_patterns: tuple[str, ...] = tuple(part_patterns)
        self._flags: tuple[int, ...] = tuple(flags)
        self._pflags: tuple[int, ...] = tuple(_bounds(p) for p in part_patterns)
        self._pbound: bool = any(self._pflags)
        self._payloads: tuple[tuple[Payload, ...], ...] = tuple(
            (next(iter(d.values()))[1],)
            if len(d) == 1
            else tuple(p for _, p in sorted(d.values(), key=lambda rp: (-rp[0], rp[1][0])))
            for d in term_payloads
        )
        self._rules: tuple[CompiledRule, ...] = tuple(rules)
        self._pairs: dict[int, dict[int, tuple[int, ...]]] = {
            a: {b: tuple(v) for b, v in d.items()} for a, d in pair_index.items()
        }
        std = ahocorasick_rs.MatchKind.Standard
        # Byte automata over UTF-8: the normaliser writes UTF-8 directly, so no str is built and no byte offset is
        # converted to a character offset. UTF-8 is self-synchronising: a pattern only matches at character starts.
        bac = ahocorasick_rs.BytesAhoCorasick
        self._ac: Any = bac([p.encode() for p in patterns], matchkind=std) if patterns else None
        self._pac: Any = bac([p.encode() for p in part_patterns], matchkind=std) if part_patterns else None
        self.stats = CompileStats(
            patterns=len(patterns) + len(part_patterns),
            terms=n_terms,
            rules=len(rules),
            allow=n_allow,
            skipped=tuple(skipped),
        )

    def raw_hits(self, ntext: str) -> list[tuple[int, int, int]]:
        """The (pattern id, start, end) hits of terms (ids into :attr:`patterns`) and allow phrases (id -1) in
        the normalised text, after boundary and allow-list filtering (for tools; :meth:`scan` is the fast path)."""
        if self._ac is None:
            return []
        data = ntext.encode("utf-8")
        terms, _anchored, allow = self._filter(data, self._ac.find_matches_as_indexes(data, overlapping=True))

        def char(b: int) -> int:
            return len(data[:b].decode("utf-8"))

        return sorted([(p, char(a), char(b)) for p, a, b in terms] + [(-1, char(a0), char(a1)) for a0, a1 in allow])

    def _filter(
        self, s: bytes, hits: Sequence[tuple[int, int, int]]
    ) -> tuple[list[tuple[int, int, int]], bool, list[tuple[int, int]]]:
        flags = self._flags
        terms: list[tuple[int, int, int]] = []
        allow: list[tuple[int, int]] = []
        anchored = False
        n = len(s)
        for h in hits:
            f = flags[h[0]]
            if f == TERM:  # the common case: a plain CJK term
                terms.append(h)
                continue
            if f & BOUND_L and h[1] > 0 and s[h[1] - 1] in _WORD_B:
                continue
            if f & BOUND_R and h[2] < n and s[h[2]] in _WORD_B:
                continue
            if f & TERM:
                terms.append(h)
            if f & ANCHOR:
                anchored = True
            if f & ALLOW:
                allow.append((h[1], h[2]))
        if allow and terms:
            terms = [h for h in terms if not any(a0 <= h[1] and h[2] <= a1 for a0, a1 in allow)]
        return terms, anchored, allow

    def scan(self, nt: NormalizedLike) -> list[Finding]:
        """Findings for one normalised text, with spans in the original text."""
        ac = self._ac
        if ac is None:
            return []
        s = nt.data
        hits = ac.find_matches_as_indexes(s, overlapping=True)
        if not hits:
            return []
        terms, anchored, allow = self._filter(s, hits)
        out: list[Finding] = []
        orig = nt.orig_span
        payloads = self._payloads
        for pid, st, en in terms:
            o0, o1 = orig(st, en)
            span = Span(o0, o1)
            for risk, sev, ev, meta in payloads[pid]:
                out.append(Finding(DETECTOR_NAME, risk, sev, span, ev, 1.0, "term", meta))
        if anchored:
            out.extend(self._eval_rules(s, allow, orig))
        return out

    def _candidates(self, first: Mapping[int, tuple[int, int]]) -> list[int]:
        pairs = self._pairs
        cand: list[int] = []
        nf = len(first)
        for a in first:
            d = pairs.get(a)
            if d is not None:
                if len(d) <= nf:
                    for b, rl in d.items():
                        if b in first:
                            cand.extend(rl)
                else:
                    for b in first:
                        got = d.get(b)
                        if got is not None:
                            cand.extend(got)
        return cand

    def _eval_rules(
        self, s: bytes, allow: list[tuple[int, int]], orig: Callable[[int, int], tuple[int, int]]
    ) -> list[Finding]:
        phits = self._pac.find_matches_as_indexes(s, overlapping=True)
        # first occurrence of each part, ignoring boundaries and the allow-list: a superset of the valid parts,
        # enough to find the candidate rules (usually none)
        first: dict[int, tuple[int, int]] = {h[0]: (h[1], h[2]) for h in reversed(phits)}
        cand = self._candidates(first)
        if not cand:
            return []
        if allow or self._pbound:
            pflags = self._pflags
            n = len(s)
            first = {}
            for pid, st, en in phits:
                if pid in first:
                    continue
                f = pflags[pid]
                if f:
                    if f & BOUND_L and st > 0 and s[st - 1] in _WORD_B:
                        continue
                    if f & BOUND_R and en < n and s[en] in _WORD_B:
                        continue
                if allow and any(a0 <= st and en <= a1 for a0, a1 in allow):
                    continue
                first[pid] = (st, en)
        out: list[Finding] = []
        for ri in sorted(set(cand)):
            r = self._rules[ri]
            if not all(p in first for p in r.pos) or any(p in first for p in r.neg):
                continue
            spans = [orig(*first[p]) for p in r.pos]
            lead = min(spans)
            risk, sev, ev, meta = r.payload
            m = dict(meta)
            m["parts"] = [list(sp) for sp in spans]
            out.append(Finding(DETECTOR_NAME, risk, sev, Span(lead[0], lead[1]), ev, 1.0, "rule", m))
        return out

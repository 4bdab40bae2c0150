"""Cue lexicon of the refusal detector: folding, the cue file format, and one automaton over every cue.

The cue file (``data/refusal_cues.tsv``) is the human-edited source: ``CATEGORY<TAB>LANG<TAB>PHRASE`` lines where
``{a|b|}`` expands to alternatives. ``scripts/build_refusal.py`` expands it, adds the traditional-Chinese forms of
the Chinese cues and writes the expanded list into ``data/refusal_model.json``, which is what the detector loads.

Matching runs on the *folded* answer (:func:`fold`): NFKC, lower case, straight quotes, one space for a run of
whitespace. Model answers are not adversarially obfuscated, so the moderation normaliser's look-alike and noise
folding (which turns ``I`` into ``l``) is not used; punctuation is kept because it marks sentences.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import ahocorasick_rs

#: Cue categories, in feature order. ``trap`` is not a feature: it only cancels the cue hits it overlaps.
CATEGORIES: Final[tuple[str, ...]] = (
    "apology",
    "sympathy",
    "decline",
    "ai_identity",
    "no_opinion",
    "policy",
    "judgement",
    "harm",
    "premise",
    "must_point",
    "redirect",
    "seek_help",
    "offer_other",
    "willing",
    "help_start",
    "no_access",
    "fictional",
    "pivot",
    "caveat",
    "understand",
    "request_ref",
)
TRAP: Final = "trap"
LANGS: Final = frozenset({"en", "zh"})

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201f": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u300c": '"',
        "\u300d": '"',
        "\u300e": '"',
        "\u300f": '"',
    }
)
_WS = re.compile(r"\s+")
_ALT = re.compile(r"\{([^{}]*)\}")


def fold(text: str) -> str:
    """The folded form cues are matched on: NFKC, lower case, straight quotes, runs of whitespace made one space
    (a line break is kept as ``\\n`` since it ends a sentence)."""
    t = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    if "\n" in t or "\r" in t:
        lines = [_WS.sub(" ", ln).strip() for ln in t.splitlines()]
        return "\n".join(ln for ln in lines if ln)
    return _WS.sub(" ", t).strip()


def expand(phrase: str) -> list[str]:
    """Expand ``{a|b|}`` alternations (not nested) into every combination, in order, without duplicates."""
    out = [""]
    pos = 0
    for m in _ALT.finditer(phrase):
        lit = phrase[pos : m.start()]
        alts = m.group(1).split("|")
        out = [o + lit + a for o in out for a in alts]
        pos = m.end()
    out = [o + phrase[pos:] for o in out]
    if any(c in o for o in out for c in "{}|"):
        raise ValueError(f"bad alternation in cue {phrase!r}")
    return list(dict.fromkeys(_WS.sub(" ", o).strip() for o in out))


@dataclass(frozen=True, slots=True)
class CueLine:
    category: str
    lang: str
    phrase: str
    line: int


def parse_cue_file(text: str, *, path: str = "refusal_cues.tsv") -> list[CueLine]:
    """Parse the cue source file. Raises ``ValueError`` naming the line on a malformed entry."""
    known = {*CATEGORIES, TRAP}
    out: list[CueLine] = []
    for n, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        parts = raw.split("\t")
        if len(parts) != 3:
            raise ValueError(f"{path}:{n}: expected CATEGORY<TAB>LANG<TAB>PHRASE")
        cat, lang, phrase = (p.strip() for p in parts)
        if cat not in known:
            raise ValueError(f"{path}:{n}: unknown category {cat!r}")
        if lang not in LANGS:
            raise ValueError(f"{path}:{n}: unknown language {lang!r}")
        if not phrase:
            raise ValueError(f"{path}:{n}: empty phrase")
        out.append(CueLine(cat, lang, phrase, n))
    return out


def expand_cues(lines: Iterable[CueLine]) -> list[tuple[str, str]]:
    """(category, folded pattern) pairs, deduplicated, in file order."""
    seen: dict[tuple[str, str], None] = {}
    for cl in lines:
        for p in expand(cl.phrase):
            f = fold(p)
            if f:
                seen.setdefault((cl.category, f), None)
    return list(seen)


def _is_word(c: str) -> bool:
    return c.isascii() and c.isalnum()


@dataclass(frozen=True, slots=True)
class CueHit:
    category: int  # index into CATEGORIES
    start: int  # in the folded text
    end: int


class CueSet:
    """One Aho-Corasick automaton over every cue pattern (and trap). Immutable; cheap to share across threads."""

    __slots__ = ("_ac", "_bound_l", "_bound_r", "_cat", "patterns")

    def __init__(self, cues: Sequence[tuple[str, str]]) -> None:
        cat_index = {c: i for i, c in enumerate(CATEGORIES)}
        cat_index[TRAP] = -1
        pats: list[str] = []
        cats: list[int] = []
        for cat, pat in cues:
            if cat not in cat_index:
                raise ValueError(f"unknown cue category {cat!r}")
            if not pat:
                continue
            pats.append(pat)
            cats.append(cat_index[cat])
        self.patterns: tuple[tuple[str, str], ...] = tuple(
            (CATEGORIES[c] if c >= 0 else TRAP, p) for c, p in zip(cats, pats, strict=True)
        )
        self._cat: tuple[int, ...] = tuple(cats)
        self._bound_l: tuple[bool, ...] = tuple(_is_word(p[0]) for p in pats)
        self._bound_r: tuple[bool, ...] = tuple(_is_word(p[-1]) for p in pats)
        self._ac: Any = ahocorasick_rs.AhoCorasick(pats, matchkind=ahocorasick_rs.MatchKind.Standard) if pats else None

    def scan(self, folded: str) -> list[CueHit]:
        """Cue hits in a folded text, sorted by position: word boundaries checked, hits inside quotation marks
        (quoted speech, a quoted term) and hits overlapping a trap dropped, and a hit that lies inside a longer
        hit dropped."""
        if self._ac is None or not folded:
            return []
        n = len(folded)
        quotes = [i for i, c in enumerate(folded) if c == '"'] if '"' in folded else []
        traps: list[tuple[int, int]] = []
        hits: list[tuple[int, int, int]] = []
        for pid, st, en in self._ac.find_matches_as_indexes(folded, overlapping=True):
            if quotes and bisect.bisect_left(quotes, st) % 2 == 1:
                continue
            if self._bound_l[pid] and st > 0 and _is_word(folded[st - 1]):
                continue
            if self._bound_r[pid] and en < n and _is_word(folded[en]):
                continue
            c = self._cat[pid]
            if c < 0:
                traps.append((st, en))
            else:
                hits.append((st, en, c))
        if traps:
            hits = [h for h in hits if not any(t0 < h[1] and h[0] < t1 for t0, t1 in traps)]
        if len(hits) > 1:
            # drop a hit contained in a longer one (e.g. "i'm sorry" inside "i'm sorry to hear")
            # (sorted by start, longest first, every kept hit starts at or before the current one, so the hit
            # reaching furthest is the only one that can contain it)
            hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
            kept: list[tuple[int, int, int]] = []
            cover = (-1, -1)
            for h in hits:
                if h[1] <= cover[1] and (h[0], h[1]) != cover:
                    continue
                kept.append(h)
                if h[1] > cover[1]:
                    cover = (h[0], h[1])
            hits = kept
        return [CueHit(c, st, en) for st, en, c in sorted(hits)]

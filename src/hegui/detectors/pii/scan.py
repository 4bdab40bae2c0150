"""The PII scanner: candidate regexes over the original text, then validation in Python.

Design (see docs/pii.md):

* Every pattern starts with a plain character class so that CPython's ``re`` uses its fast first-character
  scan; the digit look-behind sits *after* the first character for the same reason. Texts with no candidate
  cost three such scans (digits, passports, plates) and one ``in`` test for ``@``.
* One digit pattern finds "numeric tokens": digit groups (ASCII or full-width) joined by single spaces or
  hyphens, with an optional trailing X, not touching other digits or ASCII letters. A token is split into
  its groups and classified in Python: resident ID, mobile, bank card. Grouped layouts are whitelisted
  (3-4-4 for mobiles, 4-4-4-4[-3] for cards, 6-8-4 for IDs), so that lists of short numbers are not glued
  together.
* ID versus card: an 18- or 15-character string that is a *valid* resident ID (checksum, date, province) is
  an ID, even if it also passes Luhn (about 1 in 10 do; the finding then says ``also_valid_as: bank_card``).
  A string that fails ID validation but passes the card rules is a card.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from hegui.detectors.pii.idcard import RegionTable, quick_id_status

PII_TYPES: tuple[str, ...] = ("id_card", "mobile", "bank_card", "email", "passport", "plate")

_D = "0-9０-９"  # ASCII and full-width digits
_SEP = " \\-－"  # separators allowed between digit groups (one at a time)
_FULLWIDTH = str.maketrans("０１２３４５６７８９Ｘｘx", "0123456789XXX")

# 31 provincial abbreviations used on licence plates
PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_LETTER = "A-HJ-NP-Z"  # no I, no O
_PLATE_SPECIAL = "挂学警港澳领试超"

# Mainland mobile prefixes in use (labeling-privacy.md §3): 13x, 145-149, 150-153, 155-159, 162, 165-167,
# 170-178, 18x, 190-193, 195-199. Other 1[3-9]x prefixes are reported with a lower score.
_MOBILE_ALLOCATED = frozenset(
    [f"13{i}" for i in range(10)]
    + [f"14{i}" for i in range(5, 10)]
    + [f"15{i}" for i in (0, 1, 2, 3, 5, 6, 7, 8, 9)]
    + ["162", "165", "166", "167"]
    + [f"17{i}" for i in range(9)]
    + [f"18{i}" for i in range(10)]
    + [f"19{i}" for i in (0, 1, 2, 3, 5, 6, 7, 8, 9)]
)

# scores: how sure the scanner is that the span is the PII type it names
SCORE_ID = 1.0
SCORE_ID_RETIRED_COUNTY = 0.9
SCORE_ID_LEGACY = 0.8
SCORE_ID_LEGACY_RETIRED = 0.7
SCORE_MOBILE = 0.95
SCORE_MOBILE_UNALLOCATED = 0.6
SCORE_CARD = 0.9
SCORE_CARD_WEAK = 0.6
SCORE_CARD_URL = 0.4
SCORE_EMAIL = 0.95
SCORE_PASSPORT_KEYWORD = 0.9
SCORE_PASSPORT = 0.5
SCORE_PLATE = 0.8

PASSPORT_WINDOW_BEFORE = 24
PASSPORT_WINDOW_AFTER = 8


@dataclass(frozen=True, slots=True)
class Hit:
    """One PII span in the original text. Internal: never leaves the package with the value attached."""

    kind: str
    start: int
    end: int
    score: float
    meta: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class _Patterns:
    number: re.Pattern[str]
    country_code: re.Pattern[str]
    passport: re.Pattern[str]
    passport_keyword: re.Pattern[str]
    plate: re.Pattern[str]
    email_domain: re.Pattern[str]


@cache
def patterns() -> _Patterns:
    """Compile the patterns once, on first use (no work at import time)."""
    number = re.compile(
        # first digit, not preceded by a digit or an ASCII letter (look-behind placed after the first
        # character keeps the fast first-character scan)
        f"[{_D}](?<![{_D}A-Za-z][{_D}])"
        # nor the fraction of a decimal number (3.14159265358979)
        f"(?<![{_D}][.．][{_D}])"
        # at least 11 digit/separator characters in all: shorter runs are rejected inside the regex engine
        f"(?=[{_D}{_SEP}]{{10}})"
        # more digits, single separators between groups; possessive: a token is never cut short
        f"(?:[{_D}]|[{_SEP}](?=[{_D}]))*+"
        # an optional final X (resident IDs), then no digit, ASCII letter, @ or decimal part may follow
        f"(?:[XxＸｘ](?![{_D}A-Za-z]))?"
        f"(?![{_D}A-Za-z@＠]|[.．][{_D}])"
    )
    country_code = re.compile(
        f"(?<![{_D}])"
        "(?:[(（](?:[+＋]|00|００)?(?:86|８６)[)）]"
        "|(?:[+＋]|00|００)(?:86|８６)"
        f"|(?:86|８６)(?=[{_SEP}]))"
        f"[{_SEP}]?\\Z"
    )
    passport = re.compile(
        f"[EGＥＧ](?<![A-Za-z0-9{_D}][EGＥＧ])(?:[{_D}]{{8}}|(?<=[EＥ])[{_PLATE_LETTER}][{_D}]{{7}})(?![A-Za-z{_D}])"
    )
    passport_keyword = re.compile("护照|護照|passport", re.IGNORECASE)
    an = f"[{_PLATE_LETTER}{_D}]"
    plate = re.compile(
        f"[{PLATE_PROVINCES}][{_PLATE_LETTER}][·•・.\\- ]?"
        "(?:"
        f"[DF]{an}[{_D}]{{4}}"  # new-energy, small vehicle
        f"|[{_D}]{{5}}[DF]"  # new-energy, large vehicle
        f"|{an}{{4}}[{_PLATE_SPECIAL}]"  # trailer, coach, police, HK/Macao, consulate, test, over-limit
        f"|{an}{{5}}"  # ordinary
        ")"
        f"(?![A-Za-z{_D}])"
    )
    label = "[A-Za-z0-9](?:[A-Za-z0-9\\-]{0,61}[A-Za-z0-9])?"
    email_domain = re.compile(f"{label}(?:\\.{label})*\\.[A-Za-z]{{2,24}}(?![A-Za-z0-9\\-])")
    return _Patterns(number, country_code, passport, passport_keyword, plate, email_domain)


# ---------------------------------------------------------------------------------------------- checks


_DOUBLED = bytes.maketrans(b"0123456789", bytes([0, 2, 4, 6, 8, 1, 3, 5, 7, 9]))


def luhn_valid(digits: str) -> bool:
    """Luhn (mod 10) check over ASCII digits."""
    if not digits or not (digits.isascii() and digits.isdigit()):
        return False
    b = digits.encode("ascii")
    plain = b[-1::-2]
    # plain digits: ASCII codes minus '0'; doubled digits: translated straight to their digit sums
    return (sum(plain) - 48 * len(plain) + sum(b[-2::-2].translate(_DOUBLED))) % 10 == 0


def card_score(digits: str) -> float | None:
    """Score of a bank-card candidate (13–19 ASCII digits), or None if it is not one.

    Luhn must pass. The issuer digit must be a payment-card one: 0, 1, 7 and 8 are never reported (that
    removes millisecond timestamps and similar), 2 only in the Mastercard range 2221–2720. Well-known issuer
    prefixes (UnionPay 62, Visa 4, Mastercard 51–55/2221–2720, Amex 34/37, JCB 35, 60, 65) score higher.
    """
    n = len(digits)
    if n < 13 or n > 19 or not digits.isdigit():
        return None
    first = digits[0]
    if first in "0178":
        return None
    if first == "2" and not 2221 <= int(digits[:4]) <= 2720:
        return None
    if not luhn_valid(digits):
        return None
    two = digits[:2]
    if first in "24" or two in ("62", "51", "52", "53", "54", "55", "34", "37", "35", "60", "65"):
        return SCORE_CARD
    return SCORE_CARD_WEAK


def mobile_score(digits: str) -> float | None:
    if len(digits) != 11 or digits[0] != "1" or digits[1] not in "3456789" or not digits.isdigit():
        return None
    return SCORE_MOBILE if digits[:3] in _MOBILE_ALLOCATED else SCORE_MOBILE_UNALLOCATED


def id_verdict(s: str, today: _dt.date, regions: RegionTable) -> tuple[float, tuple[tuple[str, Any], ...]] | None:
    """Score and meta if ``s`` (18 chars or 15 digits, ASCII) is a valid resident ID, else None."""
    status = quick_id_status(s, today, regions)
    if status is None:
        return None
    current = status == "current"
    if len(s) == 18:
        score = SCORE_ID if current else SCORE_ID_RETIRED_COUNTY
    else:
        score = SCORE_ID_LEGACY if current else SCORE_ID_LEGACY_RETIRED
    if s.isdigit() and card_score(s) is not None:
        return score, (("format", str(len(s))), ("region_status", status), ("also_valid_as", "bank_card"))
    return score, (("format", str(len(s))), ("region_status", status))


# ------------------------------------------------------------------------------------------ the scanner

# grouped layouts -> mobile, or ID/card (a valid ID wins whatever the grouping); a token's groups are matched
# greedily, longest layout first
_LAYOUTS: dict[tuple[int, ...], str] = {
    (6, 8, 4): "id_card",
    (3, 4, 4): "mobile",
    (3, 8): "mobile",
    (4, 4, 4, 1): "bank_card",
    (4, 4, 4, 2): "bank_card",
    (4, 4, 4, 3): "bank_card",
    (4, 4, 4, 4): "bank_card",
    (4, 4, 4, 4, 1): "bank_card",
    (4, 4, 4, 4, 2): "bank_card",  # also an 18-character ID written in fours
    (4, 4, 4, 4, 3): "bank_card",
}
_MAX_LAYOUT = max(len(k) for k in _LAYOUTS)
_LAYOUT_STARTS = frozenset(k[0] for k in _LAYOUTS)


def _native_gate() -> Callable[[str], tuple[int, int, int]] | None:
    try:
        mod = importlib.import_module("hegui._native")
    except ImportError:  # the C accelerator was not built: run every pattern
        return None
    gate: Callable[[str], tuple[int, int, int]] = mod.pii_gate
    return gate


# The shortest runs the patterns need: a number token looks ahead over 10 digit/separator characters; a passport
# is E/G and 8 digits, or E, a letter and 7 digits; a plate is a province character directly followed by a capital.
_MIN_NUMBER_RUN = 10
_MIN_PASSPORT_DIGITS = 7


class Scanner:
    """Finds PII spans. Stateless apart from the region table; safe to share between threads."""

    def __init__(self, regions: RegionTable, types: frozenset[str] | None = None) -> None:
        self.regions = regions
        self.types = frozenset(PII_TYPES) if types is None else types
        self._numbers = bool(self.types & {"id_card", "mobile", "bank_card"})
        self._p = patterns()
        self._gate = _native_gate()

    def scan(self, text: str, today: _dt.date | None = None) -> list[Hit]:
        hits: list[Hit] = []
        types = self.types
        p = self._p
        # One cheap C pass says which patterns can match at all (most text has no 10-character digit run).
        if self._gate is not None:
            num_run, digit_run, province_capital = self._gate(text)
            scan_numbers = num_run >= _MIN_NUMBER_RUN
            scan_passport = digit_run >= _MIN_PASSPORT_DIGITS
            scan_plate = bool(province_capital)
        else:
            scan_numbers = scan_passport = scan_plate = True
        if self._numbers and scan_numbers:
            day = today
            for m in p.number.finditer(text):
                if day is None:
                    day = _dt.date.today()
                self._token(text, m.start(), m.group(), day, hits)
            if hits and len(types) < len(PII_TYPES):
                hits = [h for h in hits if h.kind in types]
        if "email" in types and ("@" in text or "＠" in text):
            self._emails(text, hits)
        if "passport" in types and scan_passport:
            for m in p.passport.finditer(text):
                s, e = m.span()
                window = text[max(0, s - PASSPORT_WINDOW_BEFORE) : e + PASSPORT_WINDOW_AFTER]
                kw = p.passport_keyword.search(window) is not None
                hits.append(Hit("passport", s, e, SCORE_PASSPORT_KEYWORD if kw else SCORE_PASSPORT, (("keyword", kw),)))
        if "plate" in types and scan_plate:
            for m in p.plate.finditer(text):
                body = m.group()[2:].lstrip("·•・.- ")
                if len(body) == 5 and body[-1] not in _PLATE_SPECIAL:
                    letters = sum(1 for c in body if "A" <= c <= "Z")
                    if letters > 2:  # ordinary plates carry at most two letters after the city letter
                        continue
                hits.append(Hit("plate", m.start(), m.end(), SCORE_PLATE, (("new_energy", len(body) == 6),)))
        if len(hits) > 1:
            hits = _drop_contained(hits)
        return hits

    # -- numbers

    def _token(self, text: str, start: int, token: str, today: _dt.date, out: list[Hit]) -> None:
        tok = token.translate(_FULLWIDTH)
        if "-" not in tok and " " not in tok and "－" not in tok:
            self._single(text, start, start + len(tok), tok, today, out)
            return
        # split into groups, keeping offsets (translation is 1:1 so offsets hold)
        groups: list[tuple[int, int, str]] = []
        i = 0
        n = len(tok)
        while i < n:
            j = i
            while j < n and tok[j] not in " -－":
                j += 1
            groups.append((start + i, start + j, tok[i:j]))
            i = j + 1
        lens = [len(g[2]) for g in groups]
        k = 0
        ng = len(groups)
        while k < ng:
            if lens[k] in _LAYOUT_STARTS:
                for size in range(min(_MAX_LAYOUT, ng - k), 1, -1):
                    kind = _LAYOUTS.get(tuple(lens[k : k + size]))
                    if kind is None:
                        continue
                    chunk = groups[k : k + size]
                    joined = "".join(g[2] for g in chunk)
                    if self._classify_layout(text, chunk[0][0], chunk[-1][1], joined, kind, today, out):
                        k += size
                        break
                else:
                    k += 1  # 3, 4 or 6 characters alone are nothing
                continue
            if lens[k] >= 11:
                g = groups[k]
                self._single(text, g[0], g[1], g[2], today, out)
            k += 1

    def _classify_layout(
        self, text: str, s: int, e: int, digits: str, kind: str, today: _dt.date, out: list[Hit]
    ) -> bool:
        if kind == "mobile":
            sc = mobile_score(digits)
            if sc is None:
                return False
            out.append(self._mobile_hit(text, s, e, sc))
            return True
        # ID and card layouts: whatever the grouping, a valid ID wins, then a card
        if len(digits) in (15, 18):
            v = id_verdict(digits, today, self.regions)
            if v is not None:
                out.append(Hit("id_card", s, e, v[0], v[1]))
                return True
        sc = card_score(digits)
        if sc is None:
            return False
        out.append(_card_hit(text, s, e, sc))
        return True

    def _single(self, text: str, s: int, e: int, digits: str, today: _dt.date, out: list[Hit]) -> None:
        n = len(digits)
        if n < 11 or n > 19:
            return
        if n == 11:
            sc = mobile_score(digits)
            if sc is not None:
                out.append(self._mobile_hit(text, s, e, sc))
            return
        if n in (15, 18):
            v = id_verdict(digits, today, self.regions)
            if v is not None:
                out.append(Hit("id_card", s, e, v[0], v[1]))
                return
        sc = card_score(digits)
        if sc is not None:
            out.append(_card_hit(text, s, e, sc))
            return
        # country code glued to the number: +8613812345678, 008613812345678
        if n == 13 and digits.startswith("86") and s > 0 and text[s - 1] in "+＋":
            sc = mobile_score(digits[2:])
            if sc is not None:
                out.append(Hit("mobile", s - 1, e, sc, (("country_code", True),)))
        elif n == 15 and digits.startswith("0086"):
            sc = mobile_score(digits[4:])
            if sc is not None:
                out.append(Hit("mobile", s, e, sc, (("country_code", True),)))

    def _mobile_hit(self, text: str, s: int, e: int, score: float) -> Hit:
        if s >= 2:
            lo = max(0, s - 9)
            m = self._p.country_code.search(text[lo:s])
            if m is not None:
                return Hit("mobile", lo + m.start(), e, score, (("country_code", True),))
        return Hit("mobile", s, e, score)

    # -- e-mail

    def _emails(self, text: str, out: list[Hit]) -> None:
        dom = self._p.email_domain
        n = len(text)
        for at in ("@", "＠"):
            i = text.find(at)
            while i != -1:
                j = i
                lo = max(0, i - 64)
                while j > lo and text[j - 1] in _LOCAL_CHARS:
                    j -= 1
                too_long = j == lo and j > 0 and text[j - 1] in _LOCAL_CHARS
                while j < i and text[j] == ".":  # a local part cannot start with a dot
                    j += 1
                if j < i and i + 1 < n and not too_long:
                    m = dom.match(text, i + 1)
                    if m is not None:
                        out.append(Hit("email", j, m.end(), SCORE_EMAIL))
                i = text.find(at, i + 1)


_LOCAL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")


def _card_hit(text: str, s: int, e: int, score: float) -> Hit:
    # digits inside a URL path or query, or an identifier (…/status/4876543210987654, id=…, foo_…), are far
    # more often record ids than card numbers; Luhn alone passes one random number in ten
    if (s > 0 and text[s - 1] in _URLISH) or (e < len(text) and text[e] in _URLISH):
        return Hit("bank_card", s, e, min(score, SCORE_CARD_URL), (("context", "url_or_identifier"),))
    return Hit("bank_card", s, e, score)


_URLISH = frozenset("/=_&#%?\\")


def _drop_contained(hits: list[Hit]) -> list[Hit]:
    """Sort by position; drop a hit whose span lies inside another hit's span (e.g. a mobile inside an
    e-mail address). Partial overlaps are kept: both spans are PII and redaction merges them."""
    hits.sort(key=lambda h: (h.start, -h.end))
    out: list[Hit] = []
    max_end = -1
    for h in hits:
        if h.end <= max_end:
            continue
        out.append(h)
        max_end = h.end
    return out

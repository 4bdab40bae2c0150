"""Mainland resident ID numbers (GB 11643-1999): validation, region codes, birth date and sex.

Pure functions: :func:`validate_resident_id` reads nothing but its arguments and the packaged region table
(loaded once, lazily, on first use) and writes nothing. ``hegui id-check NUMBER`` is a thin wrapper over it.

Layout of an 18-character number::

    RRRRRR YYYYMMDD SSS C
    region birth    seq check (ISO 7064 MOD 11-2; "X" stands for 10)

The 17th character (last of the sequence) is odd for men and even for women. The legacy 15-digit form is
``RRRRRR YYMMDD SSS`` with the century 19 implied and no check character; it is upgraded to 18 characters.

Region codes are checked against the 2023 NBS county list. Cards issued before a county was merged or renamed
keep the old code for life, so an unknown county under a known province is accepted and reported as
``region_status="retired_or_unknown_county"``; only an unknown province makes the number invalid.
"""

from __future__ import annotations

import datetime as _dt
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

RegionStatus = Literal["current", "retired_or_unknown_county"]
Sex = Literal["male", "female"]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_WEIGHT_OFFSET = 48 * sum(_WEIGHTS)
_MIN_BIRTH = _dt.date(1900, 1, 1)

# full-width digits and X, full-width hyphen; separators that id-check input may carry
_NORMALISE = str.maketrans("０１２３４５６７８９Ｘｘx－", "0123456789XXX-")
_SEPARATORS = str.maketrans("", "", " -\t\u3000\u00a0")

# prefecture names that add nothing to a composed region name
_FILLER_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})

REGION_TABLE_RESOURCE = "data/cn_regions.tsv"


def _check_char(first17: str) -> str:
    # sum of ASCII codes times weights, minus the weighted '0's: one C-level pass
    return _CHECK_CHARS[(sum(map(operator.mul, first17.encode("ascii"), _WEIGHTS)) - _WEIGHT_OFFSET) % 11]


def id_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits (ASCII digits only)."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("expected 17 ASCII digits")
    return _check_char(first17)


class RegionTable:
    """Administrative-division codes: 2-digit provinces, 4-digit prefectures, 6-digit counties."""

    __slots__ = ("_names", "_provinces")

    def __init__(self, names: Mapping[str, str]) -> None:
        self._names = dict(names)
        self._provinces = frozenset(c for c in self._names if len(c) == 2)

    def has_province(self, code2: str) -> bool:
        return code2 in self._provinces

    def __len__(self) -> int:
        return len(self._names)

    def name(self, code: str) -> str | None:
        return self._names.get(code)

    def status(self, code6: str) -> RegionStatus | None:
        """Like :meth:`lookup` without composing the name."""
        if code6 in self._names:
            return "current"
        return "retired_or_unknown_county" if code6[:2] in self._provinces else None

    def lookup(self, code6: str) -> tuple[RegionStatus | None, str | None]:
        """``(status, composed name)``; ``(None, None)`` when the province itself is unknown."""
        names = self._names
        province = names.get(code6[:2])
        if province is None:
            return None, None
        parts = [province]
        city = names.get(code6[:4])
        if city is not None and city not in _FILLER_NAMES:
            parts.append(city)
        county = names.get(code6)
        if county is not None:
            parts.append(county)
        # drop repeats such as 东莞市 东莞市 (4419 / 441900) or 香港特别行政区 twice (81 / 810000)
        composed: list[str] = []
        for p in parts:
            if not composed or composed[-1] != p:
                composed.append(p)
        status: RegionStatus = "current" if county is not None else "retired_or_unknown_county"
        return status, "".join(composed)

    @classmethod
    def parse(cls, text: str) -> RegionTable:
        names: dict[str, str] = {}
        for lineno, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            code, sep, name = line.partition("\t")
            if not sep or len(code) not in (2, 4, 6) or not code.isdigit() or not name:
                raise ValueError(f"{REGION_TABLE_RESOURCE}:{lineno}: bad line {raw!r}")
            names[code] = name
        return cls(names)


@cache
def load_region_table() -> RegionTable:
    """The packaged region table (read once, on first use)."""
    res = resources.files("hegui.detectors").joinpath(REGION_TABLE_RESOURCE)
    return RegionTable.parse(res.read_text(encoding="utf-8"))


@dataclass(frozen=True, slots=True)
class IdReason:
    """One finding of the validator. ``fatal`` reasons make the number invalid; the others are notes."""

    code: str  # length, chars, checksum, date, before_1900, future, province, county_unknown, legacy_15
    zh: str
    en: str
    fatal: bool = True

    def message(self, lang: str = "en") -> str:
        return self.zh if lang.startswith("zh") else self.en


@dataclass(frozen=True, slots=True)
class IdCheckResult:
    """The outcome of :func:`validate_resident_id`.

    ``number`` (the normalised 18-character form) is kept out of ``repr`` and out of :meth:`to_dict` unless
    asked for, so that logging a result does not log the number.
    """

    valid: bool
    reasons: tuple[IdReason, ...] = ()
    number: str | None = field(default=None, repr=False)
    legacy_15: bool = False
    region_code: str | None = None
    region_name: str | None = None
    region_status: RegionStatus | None = None
    birth_date: _dt.date | None = None
    sex: Sex | None = None
    expected_check: str | None = None  # the check character the first 17 digits call for

    @property
    def errors(self) -> tuple[IdReason, ...]:
        return tuple(r for r in self.reasons if r.fatal)

    @property
    def notes(self) -> tuple[IdReason, ...]:
        return tuple(r for r in self.reasons if not r.fatal)

    @property
    def reasons_zh(self) -> list[str]:
        return [r.zh for r in self.reasons]

    @property
    def reasons_en(self) -> list[str]:
        return [r.en for r in self.reasons]

    def message(self, lang: str = "en") -> str:
        """One line for people: the verdict, then every reason."""
        zh = lang.startswith("zh")
        head = ("有效" if self.valid else "无效") if zh else ("valid" if self.valid else "invalid")
        details = [r.message(lang) for r in self.reasons]
        return head if not details else head + ("：" if zh else ": ") + ("；" if zh else "; ").join(details)

    def describe(self, lang: str = "en") -> str:
        """Several lines for people (``hegui id-check``): the verdict and reasons, then what the number says.

        The number itself is not repeated.
        """
        zh = lang.startswith("zh")
        lines = [self.message(lang)]
        if self.region_code is not None:
            status = {
                "current": ("现行区划", "current code"),
                "retired_or_unknown_county": ("县级代码不在现行区划中", "county not in the current list"),
            }.get(self.region_status or "", ("未知省份", "unknown province"))
            name = self.region_name or ("未知" if zh else "unknown")
            label = "地区" if zh else "region"
            lines.append(f"{label}: {self.region_code} {name} ({status[0] if zh else status[1]})")
        if self.birth_date is not None:
            lines.append(f"{'出生日期' if zh else 'birth date'}: {self.birth_date.isoformat()}")
        if self.sex is not None:
            sex = ("男" if self.sex == "male" else "女") if zh else self.sex
            lines.append(f"{'性别' if zh else 'sex'}: {sex}")
        return "\n".join(lines)

    def age(self, on: _dt.date) -> int | None:
        """Completed years of age on ``on``; None without a birth date or before birth."""
        b = self.birth_date
        if b is None or on < b:
            return None
        return on.year - b.year - ((on.month, on.day) < (b.month, b.day))

    def to_dict(self, *, include_number: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {
            "valid": self.valid,
            "reasons": [{"code": r.code, "zh": r.zh, "en": r.en, "fatal": r.fatal} for r in self.reasons],
            "legacy_15": self.legacy_15,
            "region_code": self.region_code,
            "region_name": self.region_name,
            "region_status": self.region_status,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "sex": self.sex,
            "expected_check": self.expected_check,
        }
        if include_number:
            d["number"] = self.number
        return d


def normalise_id_input(s: str) -> str:
    """Full-width digits to ASCII, ``x`` to ``X``, and spaces/hyphens removed."""
    return s.strip().translate(_NORMALISE).translate(_SEPARATORS)


def _parse_date(yyyymmdd: str) -> _dt.date | None:
    try:
        return _dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return None


def quick_id_status(s: str, today: _dt.date, regions: RegionTable) -> RegionStatus | None:
    """The region status if ``s`` is a valid resident ID, else None; the detector's fast path.

    ``s`` must already be normalised (ASCII, upper-case X, no separators). Same rules as
    :func:`validate_resident_id`, without building messages.
    """
    if len(s) == 18:
        body = s[:17]
        if not (body.isascii() and body.isdigit()) or _check_char(body) != s[17]:
            return None
        ymd = s[6:14]
    elif len(s) == 15 and s.isascii() and s.isdigit():
        ymd = "19" + s[6:12]
    else:
        return None
    birth = _parse_date(ymd)
    if birth is None or birth < _MIN_BIRTH or birth > today:
        return None
    return regions.status(s[:6])


def validate_resident_id(
    s: str,
    *,
    today: _dt.date | None = None,
    regions: RegionTable | None = None,
) -> IdCheckResult:
    """Validate a mainland resident ID number (18 characters, or the legacy 15 digits).

    Checks, in order: length and characters; the ISO 7064 MOD 11-2 check character (18-character form);
    the birth date (a real calendar date, not before 1900-01-01, not after ``today``); the region code
    (province must exist; an unknown county is a note, not an error). Every applicable check runs, so all
    problems are reported at once. Full-width digits, a lower-case x, spaces and hyphens are accepted.

    ``today`` defaults to :func:`datetime.date.today`; ``regions`` to the packaged table.
    """
    n = normalise_id_input(s)
    if len(n) not in (15, 18):
        return IdCheckResult(
            valid=False,
            reasons=(
                IdReason(
                    "length",
                    f"长度应为18位（或旧版15位），实际为{len(n)}位",
                    f"expected 18 characters (or the legacy 15 digits), got {len(n)}",
                ),
            ),
        )
    legacy = len(n) == 15
    body = n if legacy else n[:17]
    if not (body.isascii() and body.isdigit()) or (not legacy and n[17] not in "0123456789X"):
        return IdCheckResult(
            valid=False,
            reasons=(
                IdReason(
                    "chars",
                    "只能包含数字，18位号码的最后一位可以是X",
                    "only digits are allowed; the last of 18 characters may be X",
                ),
            ),
            legacy_15=legacy,
        )
    if legacy:
        body = n[:6] + "19" + n[6:]
    expected = id_check_char(body)
    number = body + expected
    reasons: list[IdReason] = []
    if legacy:
        reasons.append(
            IdReason(
                "legacy_15",
                "旧版15位号码，按规则补全为18位后校验",
                "legacy 15-digit number; checked after upgrading it to 18 characters",
                fatal=False,
            )
        )
    elif n[17] != expected:
        reasons.append(
            IdReason(
                "checksum",
                f"校验码错误：第18位应为 {expected}",
                f"check character mismatch: the 18th character should be {expected}",
            )
        )

    birth = _parse_date(number[6:14])
    if birth is None:
        reasons.append(IdReason("date", "出生日期不是有效日期", "the birth date is not a real calendar date"))
    elif birth < _MIN_BIRTH:
        reasons.append(IdReason("before_1900", "出生日期早于1900年", "the birth date is before 1900"))
    elif birth > (today if today is not None else _dt.date.today()):
        reasons.append(IdReason("future", "出生日期晚于今天", "the birth date is in the future"))

    table = regions if regions is not None else load_region_table()
    region_code = number[:6]
    status, region_name = table.lookup(region_code)
    if status is None:
        reasons.append(
            IdReason(
                "province",
                f"地址码前两位 {region_code[:2]} 不是有效的省级行政区代码",
                f"the first two digits {region_code[:2]} are not a valid province code",
            )
        )
    elif status == "retired_or_unknown_county":
        reasons.append(
            IdReason(
                "county_unknown",
                f"地址码 {region_code} 不在现行县级区划代码中（可能是已撤销的旧代码），省级代码有效",
                f"region code {region_code} is not a current county code (possibly a retired one); "
                "the province is valid",
                fatal=False,
            )
        )

    valid = not any(r.fatal for r in reasons)
    sex: Sex = "male" if (ord(number[16]) - 48) % 2 == 1 else "female"
    return IdCheckResult(
        valid=valid,
        reasons=tuple(reasons),
        number=number,
        legacy_15=legacy,
        region_code=region_code,
        region_name=region_name,
        region_status=status,
        birth_date=birth,
        sex=sex,
        expected_check=None if legacy else expected,
    )


def upgrade_15_to_18(s: str) -> str:
    """The 18-character form of a legacy 15-digit number (no validation beyond the digits)."""
    n = normalise_id_input(s)
    if len(n) != 15 or not (n.isascii() and n.isdigit()):
        raise ValueError("expected 15 digits")
    body = n[:6] + "19" + n[6:]
    return body + id_check_char(body)

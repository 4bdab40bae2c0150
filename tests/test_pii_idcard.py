"""Resident ID validation (GB 11643-1999): checksum, birth date, region codes, legacy 15-digit numbers."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hegui.detectors.pii import (
    IdCheckResult,
    RegionTable,
    id_check_char,
    load_region_table,
    upgrade_15_to_18,
    validate_resident_id,
)
from hegui.detectors.pii.idcard import quick_id_status

TODAY = dt.date(2026, 11, 28)

# Independent reference implementation of ISO 7064 MOD 11-2, written from the standard, not from the library.
WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
CHECK = "10X98765432"


def check_char(first17: str) -> str:
    return CHECK[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def make_id(region: str, ymd: str, seq: str) -> str:
    body = region + ymd + seq
    assert len(body) == 17
    return body + check_char(body)


def wrong_check(number: str) -> str:
    """The same number with a different (wrong) check character."""
    right = number[17]
    other = next(c for c in "0123456789X" if c != right)
    return number[:17] + other


# region codes taken from the packaged table (2023 NBS codes)
CURRENT = ["110105", "310104", "440305", "620102", "320102", "441900"]


def test_weights_match_the_standard() -> None:
    assert WEIGHTS == [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def test_the_standard_example() -> None:
    r = validate_resident_id("11010519491231002X", today=TODAY)
    assert r.valid
    assert r.reasons == ()
    assert r.region_code == "110105"
    assert r.region_name == "北京市朝阳区"
    assert r.region_status == "current"
    assert r.birth_date == dt.date(1949, 12, 31)
    assert r.sex == "female"  # 17th digit 2 is even
    assert r.number == "11010519491231002X"
    assert r.expected_check == "X"
    assert not r.legacy_15


def test_made_ids_validate() -> None:
    for region in CURRENT:
        n = make_id(region, "19800229", "013")  # a leap day
        r = validate_resident_id(n, today=TODAY)
        assert r.valid, (n, r.reasons_en)
        assert r.sex == "male"
        assert r.region_status == "current"
        assert id_check_char(n[:17]) == n[17]


def test_lower_case_x_full_width_and_separators() -> None:
    n = "11010519491231002X"
    for variant in (
        "11010519491231002x",
        "１１０１０５１９４９１２３１００２Ｘ",
        "110105 19491231 002X",
        "110105-19491231-002x",
        "  11010519491231002X\n",
    ):
        r = validate_resident_id(variant, today=TODAY)
        assert r.valid, variant
        assert r.number == n


def test_wrong_check_character() -> None:
    n = make_id("110105", "19900101", "123")
    bad = wrong_check(n)
    r = validate_resident_id(bad, today=TODAY)
    assert not r.valid
    assert [x.code for x in r.errors] == ["checksum"]
    assert r.expected_check == n[17]
    assert n[17] in r.reasons_en[0] and n[17] in r.reasons_zh[0]
    assert "校验码" in r.message("zh")
    assert r.message("en").startswith("invalid: check character mismatch")


def test_bad_dates() -> None:
    for ymd, code in (
        ("19990230", "date"),  # no 30 February
        ("19991301", "date"),
        ("19990100", "date"),
        ("18991231", "before_1900"),
        ("20261129", "future"),  # the day after TODAY
    ):
        r = validate_resident_id(make_id("110105", ymd, "001"), today=TODAY)
        assert not r.valid, ymd
        assert [x.code for x in r.errors] == [code], ymd
    # today itself is fine
    assert validate_resident_id(make_id("110105", "20261128", "001"), today=TODAY).valid
    # 1900-01-01 is the earliest accepted birth date; 1900 was not a leap year
    assert validate_resident_id(make_id("110105", "19000101", "001"), today=TODAY).valid
    assert not validate_resident_id(make_id("110105", "19000229", "001"), today=TODAY).valid


def test_unknown_province_is_invalid() -> None:
    for region in ("990101", "000000", "190101", "700101"):
        r = validate_resident_id(make_id(region, "19900101", "001"), today=TODAY)
        assert not r.valid
        assert "province" in [x.code for x in r.errors]
        assert r.region_status is None


def test_retired_county_is_accepted_with_a_note() -> None:
    # 110103 崇文区 was merged into 东城区 in 2010; old cards keep the code
    r = validate_resident_id(make_id("110103", "19700101", "001"), today=TODAY)
    assert r.valid
    assert r.region_status == "retired_or_unknown_county"
    assert r.region_name == "北京市"
    assert [x.code for x in r.notes] == ["county_unknown"]
    assert r.errors == ()
    # a county under a retired prefecture (1102 北京 县, e.g. 110221 昌平县): province only
    r = validate_resident_id(make_id("110221", "19700101", "001"), today=TODAY)
    assert r.valid and r.region_status == "retired_or_unknown_county"
    # a prefecture-level code (440300 深圳市) on early cards
    r = validate_resident_id(make_id("440300", "19700101", "001"), today=TODAY)
    assert r.valid and r.region_status == "retired_or_unknown_county"
    assert r.region_name == "广东省深圳市"


def test_region_names_skip_filler_and_repeats() -> None:
    assert validate_resident_id(make_id("441900", "19900101", "001"), today=TODAY).region_name == "广东省东莞市"
    # residence permits for Hong Kong, Macao and Taiwan residents
    r = validate_resident_id(make_id("810000", "19900101", "001"), today=TODAY)
    assert r.valid and r.region_status == "current" and r.region_name == "香港特别行政区"
    r = validate_resident_id(make_id("830000", "19900101", "001"), today=TODAY)
    assert r.valid and r.region_status == "current"


def test_several_problems_are_all_reported() -> None:
    r = validate_resident_id("990101199902300010", today=TODAY)
    codes = {x.code for x in r.errors}
    assert {"date", "province"} <= codes


def test_length_and_characters() -> None:
    for s, code in (
        ("", "length"),
        ("1101051949123100", "length"),
        ("110105194912310021X", "length"),
        ("1101051949123100AX", "chars"),
        ("X1010519491231002X", "chars"),
        ("11010519491231002Y", "chars"),
        ("11010549123100X", "chars"),  # X is not allowed in the 15-digit form
    ):
        r = validate_resident_id(s, today=TODAY)
        assert not r.valid, s
        assert [x.code for x in r.reasons] == [code], s
        assert r.number is None
        assert r.reasons_zh and r.reasons_en


def test_legacy_15_digits() -> None:
    r = validate_resident_id("110105491231002", today=TODAY)
    assert r.valid
    assert r.legacy_15
    assert r.number == "11010519491231002X"
    assert r.birth_date == dt.date(1949, 12, 31)
    assert r.sex == "female"
    assert [x.code for x in r.notes] == ["legacy_15"]
    assert r.expected_check is None
    assert upgrade_15_to_18("110105491231002") == "11010519491231002X"
    assert not validate_resident_id("110105490230002", today=TODAY).valid  # 1949-02-30
    assert not validate_resident_id("990105491231002", today=TODAY).valid
    with pytest.raises(ValueError):
        upgrade_15_to_18("11010549123100")


def test_describe_for_people() -> None:
    r = validate_resident_id("11010519491231002X", today=TODAY)
    assert r.describe("zh").splitlines() == [
        "有效",
        "地区: 110105 北京市朝阳区 (现行区划)",
        "出生日期: 1949-12-31",
        "性别: 女",
    ]
    assert r.describe("en").splitlines()[0] == "valid"
    assert "11010519491231002X" not in r.describe("en")
    bad = validate_resident_id("123", today=TODAY)
    assert bad.describe("zh") == bad.message("zh")


def test_age() -> None:
    r = validate_resident_id(make_id("110105", "20000229", "001"), today=TODAY)
    assert r.age(dt.date(2018, 2, 28)) == 17
    assert r.age(dt.date(2018, 3, 1)) == 18
    assert r.age(dt.date(2020, 2, 29)) == 20
    assert r.age(dt.date(1999, 1, 1)) is None
    assert IdCheckResult(valid=False).age(TODAY) is None


def test_the_number_stays_out_of_repr_and_dict() -> None:
    n = make_id("110105", "19900101", "001")
    r = validate_resident_id(n, today=TODAY)
    assert n not in repr(r)
    d = r.to_dict()
    assert "number" not in d and n not in str(d)
    assert d["birth_date"] == "1990-01-01" and d["region_status"] == "current"
    assert r.to_dict(include_number=True)["number"] == n


def test_default_today_rejects_future() -> None:
    future = dt.date.today() + dt.timedelta(days=2)
    assert not validate_resident_id(make_id("110105", future.strftime("%Y%m%d"), "001")).valid


def test_region_table() -> None:
    t = load_region_table()
    assert load_region_table() is t  # cached
    assert len(t) > 3000
    assert t.name("11") == "北京市"
    assert t.name("110105") == "朝阳区"
    assert t.has_province("65") and not t.has_province("99")
    with pytest.raises(ValueError):
        RegionTable.parse("11\t北京市\nbad line\n")


def test_id_check_char_rejects_bad_input() -> None:
    for s in ("1234", "1101051949123100A", "１１０１０５１９４９１２３１００２"):
        with pytest.raises(ValueError):
            id_check_char(s)


# ------------------------------------------------------------------------------------------ properties

_regions = st.sampled_from([*CURRENT, "110103", "440300"])
_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
_seqs = st.integers(min_value=0, max_value=999)


@settings(max_examples=400, deadline=None)
@given(_regions, _dates, _seqs)
def test_generated_ids_validate_and_any_other_check_char_fails(region: str, birth: dt.date, seq: int) -> None:
    n = make_id(region, birth.strftime("%Y%m%d"), f"{seq:03d}")
    r = validate_resident_id(n, today=TODAY)
    assert r.valid, r.reasons_en
    assert r.birth_date == birth
    assert r.sex == ("male" if seq % 2 else "female")
    assert quick_id_status(n, TODAY, load_region_table()) == r.region_status
    for c in "0123456789X":
        if c != n[17]:
            bad = n[:17] + c
            assert not validate_resident_id(bad, today=TODAY).valid
            assert quick_id_status(bad, TODAY, load_region_table()) is None


@settings(max_examples=300, deadline=None)
@given(_regions, _dates, _seqs, st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_single_digit_errors_are_caught(region: str, birth: dt.date, seq: int, pos: int, delta: int) -> None:
    n = make_id(region, birth.strftime("%Y%m%d"), f"{seq:03d}")
    changed = n[:pos] + str((int(n[pos]) + delta) % 10) + n[pos + 1 :]
    assert not validate_resident_id(changed, today=TODAY).valid


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="0123456789X", min_size=15, max_size=18))
def test_fast_path_agrees_with_the_full_validator(s: str) -> None:
    full = validate_resident_id(s, today=TODAY)
    quick = quick_id_status(s, TODAY, load_region_table())
    assert (quick is not None) == full.valid
    if full.valid:
        assert quick == full.region_status

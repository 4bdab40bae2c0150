"""The ``pii`` detector: every type, valid and invalid values, spans on the original text, the ID/card overlap."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hegui.core.errors import ConfigError
from hegui.core.types import Finding, Severity
from hegui.detectors.base import DetectContext, get_detector_class
from hegui.detectors.pii import PIIDetector, card_score, luhn_valid, mobile_score

CTX = DetectContext()
FW = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def make_id(region: str, ymd: str, seq: str) -> str:
    body = region + ymd + seq
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


def luhn_complete(body: str) -> str:
    """``body`` plus the Luhn check digit (reference implementation)."""
    for c in "0123456789":
        s = body + c
        total = 0
        for i, ch in enumerate(reversed(s)):
            d = int(ch)
            if i % 2:
                d = d * 2 - 9 if d > 4 else d * 2
            total += d
        if total % 10 == 0:
            return s
    raise AssertionError


@pytest.fixture(scope="module")
def det() -> PIIDetector:
    d = PIIDetector()
    d.load()
    return d


def found(det: PIIDetector, text: str) -> list[tuple[str, str]]:
    """(kind, matched text) for every finding; the spans index the original text."""
    return [(f.kind, text[f.span.start : f.span.end]) for f in det.detect(text, CTX) if f.span is not None]


def kinds(det: PIIDetector, text: str) -> list[str]:
    return [f.kind for f in det.detect(text, CTX)]


ID_A = make_id("110105", "19900307", "123")
ID_B = make_id("440305", "19851111", "042")
CARD_16 = luhn_complete("622848001234567")  # UnionPay, 16 digits
CARD_19 = luhn_complete("622848001234567890")  # UnionPay, 19 digits
VISA = luhn_complete("411111111111111")


def test_registered() -> None:
    assert get_detector_class("pii") is PIIDetector
    assert PIIDetector.name == "pii"


def test_finding_fields(det: PIIDetector) -> None:
    text = f"我的身份证号是{ID_A}，谢谢"
    (f,) = det.detect(text, CTX)
    assert isinstance(f, Finding)
    assert f.detector == "pii"
    assert f.risk == "A4.6"
    assert f.severity is Severity.HIGH
    assert f.kind == "id_card" and f.evidence == "id_card"
    assert f.span is not None and text[f.span.start : f.span.end] == ID_A
    assert f.score == 1.0
    assert f.meta["region_status"] == "current"
    # the value itself is nowhere in the finding
    assert ID_A not in str(f.to_dict())


# ------------------------------------------------------------------------------------------ resident IDs


def test_id_valid_and_invalid(det: PIIDetector) -> None:
    assert found(det, f"身份证：{ID_A}。") == [("id_card", ID_A)]
    assert found(det, "身份证：11010519491231002X。") == [("id_card", "11010519491231002X")]
    assert found(det, "身份证：11010519491231002x。") == [("id_card", "11010519491231002x")]
    wrong = ID_A[:17] + ("0" if ID_A[17] != "0" else "1")
    assert "id_card" not in kinds(det, f"身份证：{wrong}。")
    bad_date = make_id("110105", "19990230", "123")
    assert "id_card" not in kinds(det, f"身份证：{bad_date}。")
    bad_province = make_id("990105", "19900307", "123")
    assert "id_card" not in kinds(det, f"身份证：{bad_province}。")
    future = make_id("110105", (dt.date.today() + dt.timedelta(days=3)).strftime("%Y%m%d"), "123")
    assert "id_card" not in kinds(det, f"身份证：{future}。")


def test_id_retired_county_scores_lower(det: PIIDetector) -> None:
    n = make_id("110103", "19700101", "001")
    (f,) = det.detect(f"证件号{n}", CTX)
    assert f.kind == "id_card" and f.score == 0.9
    assert f.meta["region_status"] == "retired_or_unknown_county"


def test_legacy_15_digit_id(det: PIIDetector) -> None:
    (f,) = det.detect("旧身份证号110105491231002已作废", CTX)
    assert f.kind == "id_card" and f.meta["format"] == "15" and f.score == 0.8
    assert kinds(det, "旧号码110105490230002") == []  # 1949-02-30


def test_id_full_width_and_separators(det: PIIDetector) -> None:
    fw = ID_A.translate(FW)
    assert found(det, f"身份证{fw}号") == [("id_card", fw)]
    spaced = f"{ID_A[:6]} {ID_A[6:14]} {ID_A[14:]}"
    assert found(det, f"身份证 {spaced} 号") == [("id_card", spaced)]
    dashed = f"{ID_A[:6]}-{ID_A[6:14]}-{ID_A[14:]}"
    assert found(det, f"身份证:{dashed}") == [("id_card", dashed)]
    fours = "1101 0519 4912 3100 2X"
    assert found(det, f"身份证 {fours}") == [("id_card", fours)]
    fw_x = "１１０１０５１９４９１２３１００２Ｘ"
    assert found(det, f"号码{fw_x}") == [("id_card", fw_x)]


# ------------------------------------------------------------------------------------------ mobiles


def test_mobile_forms(det: PIIDetector) -> None:
    for s in (
        "13812345678",
        "138-1234-5678",
        "138 1234 5678",
        "138 12345678",
        "+8613812345678",
        "+86 138 1234 5678",
        "+86-138-1234-5678",
        "0086 13812345678",
        "008613812345678",
        "(+86)13812345678",
        "（+86）138-1234-5678",
        "86-13812345678",
        "１３８１２３４５６７８",
        "＋８６ １３８１２３４５６７８",
        "199 0000 1111",
    ):
        text = f"请联系我，电话{s}，谢谢"
        assert found(det, text) == [("mobile", s)], s


def test_mobile_scores_and_severity(det: PIIDetector) -> None:
    (f,) = det.detect("电话13812345678", CTX)
    assert f.severity is Severity.MEDIUM and f.score == 0.95
    (f,) = det.detect("电话14012345678", CTX)  # 140 is not an allocated prefix
    assert f.score == 0.6
    assert mobile_score("12812345678") is None
    assert kinds(det, "号码12812345678") == []  # 12x is not mobile
    assert kinds(det, "号码1381234567") == []  # 10 digits
    # bare 86 glued to the number without + or 00 is not taken as a country code
    assert kinds(det, "8613812345678") == []


def test_separated_groups_are_not_glued_together(det: PIIDetector) -> None:
    # a 3-4-4 mobile next to another group: the mobile is still found, with its own span
    text = "电话 138 1234 5678 2 次"
    assert found(det, text) == [("mobile", "138 1234 5678")]
    # numbers in a list do not form a card or a phone
    assert kinds(det, "编号 12 34 56 78 90 12 34 56") == []
    assert kinds(det, "2019 2020 2021 2022 年") == []
    # a landline in 3-8 layout is not a mobile
    assert kinds(det, "电话010-12345678") == []


# ------------------------------------------------------------------------------------------ bank cards


def test_cards(det: PIIDetector) -> None:
    assert found(det, f"卡号{CARD_16}。") == [("bank_card", CARD_16)]
    assert found(det, f"卡号{CARD_19}。") == [("bank_card", CARD_19)]
    assert found(det, f"card {VISA}") == [("bank_card", VISA)]
    spaced = " ".join(CARD_19[i : i + 4] for i in range(0, 19, 4))
    assert found(det, f"卡号：{spaced}") == [("bank_card", spaced)]
    dashed = "-".join(CARD_16[i : i + 4] for i in range(0, 16, 4))
    assert found(det, f"卡号：{dashed}") == [("bank_card", dashed)]
    fw = CARD_16.translate(FW)
    assert found(det, f"卡号{fw}") == [("bank_card", fw)]
    (f,) = det.detect(f"卡号{CARD_16}", CTX)
    assert f.severity is Severity.HIGH and f.score == 0.9


def test_cards_invalid(det: PIIDetector) -> None:
    bad = CARD_16[:-1] + str((int(CARD_16[-1]) + 1) % 10)
    assert not luhn_valid(bad)
    assert kinds(det, f"卡号{bad}") == []
    # issuer digit 1: a 13-digit millisecond timestamp passing Luhn is not a card
    ts = luhn_complete("170000000000")
    assert card_score(ts) is None and kinds(det, f"时间戳{ts}") == []
    # 2-series outside Mastercard's 2221-2720 is not a card
    assert card_score(luhn_complete("201912345678901")) is None
    assert card_score(luhn_complete("222100000000000")) == 0.9
    # too long: 20 digits
    assert kinds(det, f"卡号{luhn_complete('6228480012345678901')}") == []


def test_luhn_reference_values() -> None:
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("")
    assert not luhn_valid("4111-1111")


# ------------------------------------------------------------------------------------------ ID vs card


def test_valid_id_wins_over_card(det: PIIDetector) -> None:
    # find a valid Gansu ID (62xxxx, also the UnionPay prefix) that also passes Luhn
    n = next(
        x for x in (make_id("620102", "19880808", f"{s:03d}") for s in range(1000)) if x[-1] != "X" and luhn_valid(x)
    )
    (f,) = det.detect(f"号码{n}", CTX)
    assert f.kind == "id_card"
    assert f.meta["also_valid_as"] == "bank_card"


def test_failed_id_that_passes_luhn_is_a_card(det: PIIDetector) -> None:
    # an 18-digit UnionPay number; make sure it fails the ID checksum and passes Luhn
    n = next(
        x
        for x in (luhn_complete(f"62284800{i:09d}") for i in range(1000))
        if x[17] != "10X98765432"[sum(int(c) * w for c, w in zip(x[:17], WEIGHTS, strict=True)) % 11]
    )
    assert found(det, f"卡号{n}") == [("bank_card", n)]
    # an 18-digit string that passes the ID checksum but has an impossible date, and passes Luhn: a card
    for seq in range(1000):
        cand = make_id("620102", "19990231", f"{seq:03d}")  # 1999-02-31
        if cand[-1] != "X" and luhn_valid(cand):
            assert found(det, f"号码{cand}") == [("bank_card", cand)]
            break
    else:
        pytest.fail("no candidate")


def test_id_that_fails_both_is_nothing(det: PIIDetector) -> None:
    n = make_id("110105", "19900307", "123")
    bad = next(n[:17] + c for c in "0123456789" if c != n[17] and not luhn_valid(n[:17] + c))
    assert kinds(det, f"号码{bad}") == []


# ------------------------------------------------------------------------------------------ digit boundaries


def test_numbers_inside_longer_digit_strings_are_not_matched(det: PIIDetector) -> None:
    assert kinds(det, "订单号1234513812345678") == []
    assert kinds(det, "订单号13812345678901") == []
    assert kinds(det, f"流水号9{ID_A}") == []
    assert kinds(det, f"流水号{ID_A}7") == []
    assert kinds(det, f"{CARD_19}0") == []  # 20 digits
    assert kinds(det, f"卡号0{CARD_19}") == []
    assert kinds(det, "１３８１２３４５６７８９") == []  # full-width, 12 digits
    assert kinds(det, "9１３８１２３４５６７８") == []  # mixed widths, 12 digits: one run
    # letters glued to the number: an identifier, not a phone
    assert kinds(det, "hash a13812345678") == []
    assert kinds(det, "hash 13812345678b") == []
    # but punctuation, CJK and spaces are boundaries
    assert kinds(det, "(13812345678)") == ["mobile"]
    assert kinds(det, "tel:13812345678.") == ["mobile"]
    assert kinds(det, "13812345678") == ["mobile"]
    assert kinds(det, "号13812345678号") == ["mobile"]


def test_several_in_one_text_and_spans(det: PIIDetector) -> None:
    text = f"张三，身份证{ID_B}，手机 +86 139-0013-8000，卡号{CARD_19}，邮箱zhang.san@example.com。"
    got = found(det, text)
    assert got == [
        ("id_card", ID_B),
        ("mobile", "+86 139-0013-8000"),
        ("bank_card", CARD_19),
        ("email", "zhang.san@example.com"),
    ]


def test_decimal_fractions_are_not_numbers(det: PIIDetector) -> None:
    assert kinds(det, f"圆周率约为3.{CARD_16}") == []
    assert kinds(det, "金额13812345678.50元") == []
    assert kinds(det, "电话13812345678。") == ["mobile"]
    assert kinds(det, "电话13812345678.") == ["mobile"]


def test_card_in_url_or_identifier_scores_low(det: PIIDetector) -> None:
    (f,) = det.detect(f"https://weibo.example.com/status/{VISA}", CTX)
    assert f.kind == "bank_card" and f.score == 0.4 and f.meta["context"] == "url_or_identifier"
    (f,) = det.detect(f"?id={CARD_16}&x=1", CTX)
    assert f.score == 0.4
    (f,) = det.detect(f"卡号：{CARD_16}", CTX)
    assert f.score == 0.9 and "context" not in f.meta


# ------------------------------------------------------------------------------------------ e-mail


def test_emails(det: PIIDetector) -> None:
    for addr in ("a@b.cn", "zhang.san+tag@mail.example.com.cn", "767514612@qq.com", "x_y-z%1@sub-domain.org"):
        assert found(det, f"邮箱：{addr}。") == [("email", addr)], addr
    assert found(det, "邮箱：abc＠example.com") == [("email", "abc＠example.com")]
    (f,) = det.detect("联系 a@b.cn", CTX)
    assert f.severity is Severity.LOW
    for s in ("@username", "a@b", "a@b.c", "邮箱：@example.com", "a@.com", "foo@-bar.com"):
        assert kinds(det, s) == [], s
    # a leading dot is not part of the local part
    assert found(det, "见.alice@example.com") == [("email", "alice@example.com")]


def test_mobile_inside_email_is_one_finding(det: PIIDetector) -> None:
    assert found(det, "13812345678@163.com") == [("email", "13812345678@163.com")]
    assert found(det, "john.13812345678@163.com") == [("email", "john.13812345678@163.com")]


# ------------------------------------------------------------------------------------------ passports


def test_passport_keyword_logic(det: PIIDetector) -> None:
    (f,) = det.detect("我的护照号码是E12345678。", CTX)
    assert f.kind == "passport" and f.score == 0.9 and f.meta["keyword"] is True
    assert f.severity is Severity.MEDIUM
    (f,) = det.detect("Passport No.: EA1234567", CTX)
    assert f.score == 0.9
    (f,) = det.detect("G12345678 护照", CTX)  # keyword just after
    assert f.score == 0.9
    (f,) = det.detect("编号E12345678", CTX)  # no keyword: reported, weakly
    assert f.score == 0.5 and f.meta["keyword"] is False
    far = "护照" + "的" * 40 + "E12345678"
    assert det.detect(far, CTX)[0].score == 0.5


def test_passport_forms(det: PIIDetector) -> None:
    assert found(det, "护照Ｅ１２３４５６７８") == [("passport", "Ｅ１２３４５６７８")]
    for s in ("E1234567", "E123456789", "EI1234567", "EO1234567", "GA1234567", "XE12345678", "P12345678", "e12345678"):
        assert kinds(det, f"护照 {s} ") == [], s


# ------------------------------------------------------------------------------------------ plates


def test_plates(det: PIIDetector) -> None:
    for p in ("京A12345", "粤B·12345", "沪A-D1234", "川AD12345", "粤B12345D", "苏E1234学", "浙A AB123", "京N12345"):
        assert found(det, f"车牌号{p}，") == [("plate", p)], p
    (f,) = det.detect("车牌粤B12345D", CTX)
    assert f.severity is Severity.LOW and f.meta["new_energy"] is True
    for p in ("京I12345", "京AO1234", "京A1234", "京A1234567", "京aB1234", "京ABCD12", "沪A股12345"):
        assert kinds(det, f"车牌号{p}，") == [], p


# ------------------------------------------------------------------------------------------ params


def test_types_subset(det: PIIDetector) -> None:
    text = f"身份证{ID_A} 手机13812345678 邮箱a@b.cn 车牌京A12345 护照E12345678 卡号{CARD_16}"
    assert sorted(kinds(det, text)) == sorted(["id_card", "mobile", "email", "plate", "passport", "bank_card"])
    only = PIIDetector(types=["mobile", "email"])
    assert kinds(only, text) == ["mobile", "email"]
    only_card = PIIDetector(types=["bank_card"])
    assert kinds(only_card, text) == ["bank_card"]
    assert only_card.types == frozenset({"bank_card"})
    # a valid ID is never re-reported as a card when IDs are switched off
    n = next(
        x for x in (make_id("620102", "19880808", f"{s:03d}") for s in range(1000)) if x[-1] != "X" and luhn_valid(x)
    )
    assert kinds(only_card, f"号码{n}") == []


def test_bad_params() -> None:
    with pytest.raises(ConfigError) as ei:
        PIIDetector(types=["id_card", "ssn"])
    assert "ssn" in str(ei.value) and "未知类型" in ei.value.zh
    with pytest.raises(ConfigError):
        PIIDetector(types=[])
    with pytest.raises(ConfigError):
        PIIDetector(types="mobile")
    with pytest.raises(ConfigError):
        PIIDetector(colour="blue")
    with pytest.raises(ConfigError):
        PIIDetector(hmac_key="short")


def test_hmac_key_adds_a_pseudonym_not_the_value() -> None:
    d = PIIDetector(hmac_key="k" * 32)
    a = d.detect("电话138-1234-5678", CTX)[0]
    b = d.detect("电话+86 13812345678", CTX)[0]
    c = d.detect("电话13812345679", CTX)[0]
    assert a.meta["pseudonym"] == b.meta["pseudonym"] != c.meta["pseudonym"]
    assert len(a.meta["pseudonym"]) == 16
    assert "13812345678" not in str(a.to_dict())
    assert "pseudonym" not in PIIDetector().detect("电话13812345678", CTX)[0].meta


def test_import_has_no_side_effects() -> None:
    code = (
        "import hegui.detectors.pii as p, hegui.detectors.pii.scan as s;"
        "assert p.load_region_table.cache_info().currsize == 0;"
        "assert s.patterns.cache_info().currsize == 0;"
        "d = p.PIIDetector(); assert not d.loaded;"
        "assert p.load_region_table.cache_info().currsize == 0"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_detect_loads_lazily_and_empty_text() -> None:
    d = PIIDetector()
    assert not d.loaded
    assert d.detect("", CTX) == []
    assert d.loaded
    assert d.detect("没有任何个人信息的一段中文文本，2024年3月。", CTX) == []


def test_scan_today_bounds_birth_dates() -> None:
    n = make_id("110105", "20250101", "001")
    d = PIIDetector()
    assert [h.kind for h in d.scan(n, today=dt.date(2026, 1, 1))] == ["id_card"]
    assert d.scan(n, today=dt.date(2024, 12, 31)) == []


# ------------------------------------------------------------------------------------------ properties


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["110105", "310104", "440305", "620102"]),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)),
    st.integers(0, 999),
    st.text(alphabet="，。的了是我你他abc ", max_size=8),
    st.text(alphabet="，。的了是我你他abc ", max_size=8),
    st.booleans(),
)
def test_generated_ids_are_found_with_exact_spans(
    region: str, birth: dt.date, seq: int, before: str, after: str, fullwidth: bool
) -> None:
    n = make_id(region, birth.strftime("%Y%m%d"), f"{seq:03d}")
    if fullwidth:
        n = n.translate(FW)
    # keep ASCII letters from touching the number
    before = "号" + before + "：" if before else ""
    after = "。" + after if after else ""
    text = before + n + after
    det = PIIDetector()
    res = det.detect(text, CTX)
    assert [(f.kind, text[f.span.start : f.span.end]) for f in res if f.span] == [("id_card", n)]
    wrong = n[:-1] + ("1" if n[-1] not in "1１" else "2")
    assert "id_card" not in [f.kind for f in det.detect(before + wrong + after, CTX)]

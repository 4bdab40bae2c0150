"""Redaction of PII findings: mask, tag, pseudonym; overlaps; keys."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from hegui.core.errors import ConfigError, HeguiError
from hegui.core.types import Finding, Severity, Span
from hegui.detectors.base import DetectContext
from hegui.detectors.pii import PIIDetector, RedactionKeyError, mask, pseudonym, redact

CTX = DetectContext()
KEY = "0123456789abcdef-test-key"
ID = "11010519491231002X"


@pytest.fixture(scope="module")
def det() -> PIIDetector:
    return PIIDetector()


def run(det: PIIDetector, text: str, mode: str = "mask", **kw: object) -> str:
    return redact(text, det.detect(text, CTX), mode, **kw)  # type: ignore[arg-type]


def test_mask_per_type(det: PIIDetector) -> None:
    assert run(det, f"身份证{ID}号") == "身份证110***********002X号"
    assert run(det, "旧号110105491231002") == "旧号110********1002"
    assert run(det, "电话13812345678") == "电话138****5678"
    assert run(det, "电话138-1234-5678") == "电话138-****-5678"
    assert run(det, "电话+86 138 1234 5678") == "电话+86 138 **** 5678"
    assert run(det, "电话１３８１２３４５６７８") == "电话１３８****５６７８"
    assert run(det, "邮箱zhang.san@example.com。") == "邮箱z***@example.com。"
    assert run(det, "护照E12345678") == "护照E*****678"
    assert run(det, "车牌京A·12345") == "车牌京A·*****"


def test_mask_card(det: PIIDetector) -> None:
    text = "卡号4111111111111111"
    assert run(det, text) == "卡号4111********1111"
    text = "卡号4111 1111 1111 1111"
    assert run(det, text) == "卡号4111 **** **** 1111"


def test_mask_function_edge_cases() -> None:
    assert mask("email", "a@b.cn") == "a***@b.cn"
    assert mask("unknown", "ab-12") == "**-**"
    assert mask("mobile", "12") == "1*"  # too short to keep 3 + 4: keep the first only


def test_tags(det: PIIDetector) -> None:
    text = f"身份证{ID}，电话13812345678，邮箱a@b.cn，车牌京A12345，护照E12345678，卡号4111111111111111"
    assert run(det, text, "tag") == (
        "身份证[身份证号]，电话[手机号]，邮箱[电子邮箱]，车牌[车牌号]，护照[护照号]，卡号[银行卡号]"
    )
    assert run(det, text, "tag", lang="en") == (
        "身份证[ID_CARD]，电话[MOBILE]，邮箱[EMAIL]，车牌[PLATE]，护照[PASSPORT]，卡号[BANK_CARD]"
    )


def test_pseudonym_is_deterministic_and_keyed(det: PIIDetector) -> None:
    a = run(det, "电话13812345678", "pseudonym", key=KEY)
    assert a == run(det, "电话13812345678", "pseudonym", key=KEY)
    assert a.startswith("电话[MOBILE:") and a.endswith("]")
    digest = a[len("电话[MOBILE:") : -1]
    assert len(digest) == 16
    expected = hmac.new(KEY.encode(), b"mobile\x1f13812345678", hashlib.sha256).hexdigest()[:16]
    assert digest == expected
    # other formats of the same number, same pseudonym
    for variant in ("138-1234-5678", "+86 138 1234 5678", "１３８１２３４５６７８", "008613812345678"):
        assert run(det, f"电话{variant}", "pseudonym", key=KEY) == a, variant
    # another key, another pseudonym; another number, another pseudonym
    assert run(det, "电话13812345678", "pseudonym", key=KEY + "x") != a
    assert run(det, "电话13812345679", "pseudonym", key=KEY) != a
    # the old and new forms of one ID number share a pseudonym
    assert pseudonym("id_card", "110105491231002", KEY) == pseudonym("id_card", ID, KEY)
    assert pseudonym("email", "A@B.CN", KEY) == pseudonym("email", "a@b.cn", KEY)
    # same digits, different type: different pseudonym
    assert pseudonym("mobile", "13812345678", KEY)[-17:] != pseudonym("bank_card", "13812345678", KEY)[-17:]


def test_pseudonym_needs_a_key(det: PIIDetector) -> None:
    text = "电话13812345678"
    findings = det.detect(text, CTX)
    with pytest.raises(RedactionKeyError) as ei:
        redact(text, findings, "pseudonym")
    err = ei.value
    assert isinstance(err, ConfigError) and isinstance(err, HeguiError)
    assert "key" in err.en and "密钥" in err.zh
    with pytest.raises(RedactionKeyError):
        redact(text, findings, "pseudonym", key="")
    with pytest.raises(RedactionKeyError, match="16 bytes"):
        redact(text, findings, "pseudonym", key="short")
    # the detector's own key
    keyed = PIIDetector(hmac_key=KEY)
    out = keyed.redact(text, keyed.detect(text, CTX), "pseudonym")
    assert out == redact(text, findings, "pseudonym", key=KEY)
    with pytest.raises(RedactionKeyError):
        det.redact(text, findings, "pseudonym")


def test_unknown_mode(det: PIIDetector) -> None:
    with pytest.raises(ConfigError):
        redact("x", [], "erase")  # type: ignore[arg-type]


def _f(kind: str, s: int, e: int, sev: Severity = Severity.HIGH) -> Finding:
    return Finding("pii", "A4.6", sev, Span(s, e), kind, 1.0, kind)


def test_overlapping_findings_are_merged() -> None:
    text = "abc0123456789def"
    findings = [_f("mobile", 3, 10, Severity.MEDIUM), _f("id_card", 6, 13, Severity.HIGH)]
    assert redact(text, findings, "tag") == "abc[身份证号]def"
    assert redact(text, findings, "mask") == "abc**********def"
    out = redact(text, findings, "pseudonym", key=KEY)
    assert out.startswith("abc[ID_CARD:") and out.endswith("]def")
    # nested: the outer one rules
    findings = [_f("email", 0, 16, Severity.LOW), _f("mobile", 3, 13, Severity.MEDIUM)]
    assert redact(text, findings, "tag", lang="en") == "[MOBILE]"
    # touching spans stay separate
    findings = [_f("plate", 0, 3, Severity.LOW), _f("plate", 3, 6, Severity.LOW)]
    assert redact(text, findings, "tag") == "[车牌号][车牌号]3456789def"
    # identical spans
    findings = [_f("mobile", 3, 13, Severity.MEDIUM), _f("mobile", 3, 13, Severity.MEDIUM)]
    assert redact(text, findings, "tag") == "abc[手机号]def"


def test_order_of_findings_does_not_matter(det: PIIDetector) -> None:
    text = f"身份证{ID}，电话13812345678，邮箱a@b.cn"
    fs = det.detect(text, CTX)
    assert redact(text, fs, "tag") == redact(text, list(reversed(fs)), "tag")


def test_spanless_and_foreign_findings() -> None:
    text = "这段话没问题"
    whole = Finding("classifier", "A1.1", Severity.LOW, None, "model", 0.7)
    assert redact(text, [whole], "mask") == text
    other = Finding("lexicon", "A1.1", Severity.HIGH, Span(2, 4), "term", 1.0, "term")
    assert redact(text, [other], "tag") == "这段[个人信息]问题"
    assert redact(text, [other], "tag", lang="en") == "这段[PII]问题"
    assert redact(text, [other], "mask") == "这段**问题"
    with pytest.raises(ValueError):
        redact("短", [other], "mask")


def test_no_findings_returns_the_text() -> None:
    assert redact("abc", [], "mask") == "abc"
    assert redact("abc", [], "pseudonym", key=KEY) == "abc"
    # a missing key is a configuration error, reported even when there is nothing to replace
    with pytest.raises(RedactionKeyError):
        redact("abc", [], "pseudonym")

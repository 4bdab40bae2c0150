"""The normaliser: what it folds, what it keeps, and that spans map back to the original text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hegui.detectors.normalize import Normalizer


@pytest.fixture(scope="module")
def norm() -> Normalizer:
    n = Normalizer()
    n.load()
    return n


@pytest.fixture(scope="module")
def slow() -> Normalizer:
    n = Normalizer(use_native=False)
    n.load()
    return n


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("色.情", "色情"),  # inserted punctuation
        ("色 情", "色情"),  # inserted space
        ("色*情", "色情"),
        ("色\u200b情", "色情"),  # zero-width space
        ("色\u200d情\ufeff", "色情"),  # zero-width joiner, BOM
        ("😊色😊情😊", "色情"),  # emoji noise
        ("色情情情", "色情"),  # repeated characters
        ("色色色色情", "色情"),
        ("ＡＢＣ色情", "abc色情"),  # full width, case
        ("輪功門", "轮功门"),  # traditional -> simplified
        ("s3x ed", "sex ed"),  # look-alike digits
        ("ＳＥＸ", "sex"),
        ("①②", "l2"),  # circled digits -> digits -> look-alike folding
        ("hello,  world!", "hello world"),  # noise between ASCII words is one space
        ("a\u200bb", "ab"),  # hard noise alone does not separate words
    ],
)
def test_folds(norm: Normalizer, raw: str, expected: str) -> None:
    assert norm.normalize(raw).text == expected


@pytest.mark.parametrize("raw", ["妈妈的书", "好好学习", "路口交通", "视频操作", "服务管理", "保护法"])
def test_keeps_meaning(norm: Normalizer, raw: str) -> None:
    # pairs of identical characters are words, not obfuscation: 妈妈的 must not become 妈的
    assert norm.normalize(raw).text == raw


def test_spans_map_to_original(norm: Normalizer) -> None:
    raw = "你好，色.情情情网站！"
    nt = norm.normalize(raw)
    i = nt.text.index("色情")
    s, e = nt.orig_span(i, i + 2)
    assert raw[s:e] == "色.情情情"
    j = nt.text.index("网站")
    s, e = nt.orig_span(j, j + 2)
    assert raw[s:e] == "网站"


def test_traditional_span(norm: Normalizer) -> None:
    raw = "這是法輪功的資料"
    nt = norm.normalize(raw)
    i = nt.text.index("法轮功")
    assert raw[slice(*nt.orig_span(i, i + 3))] == "法輪功"


def test_homophones_optional() -> None:
    plain, hom = Normalizer(), Normalizer(homophones=True)
    assert plain.normalize("涩情").text != plain.normalize("色情").text
    assert hom.normalize("涩情").text == hom.normalize("色情").text
    assert hom.normalize("瑟情").text == hom.normalize("色情").text


def test_empty_and_noise_only(norm: Normalizer) -> None:
    assert norm.normalize("").text == ""
    nt = norm.normalize("。。。!!!")
    assert nt.text == ""
    assert nt.orig_span(0, 0) == (6, 6)  # an empty span at the end of the original


def test_lone_surrogates_do_not_crash(norm: Normalizer) -> None:
    assert norm.normalize("a\ud800b").text == "ab"


def test_implementation_reported(norm: Normalizer) -> None:
    assert norm.implementation in ("native", "numpy")


text_strategy = st.text(
    alphabet=st.sampled_from([*list("色情法轮功abcAB 1 3.,*！。 \u200b😊輪ＡＢ妈妈aaa"), "\u3000", "\t", "\n"]),
    max_size=40,
) | st.text(max_size=40)


@settings(max_examples=400, deadline=None)
@given(text_strategy)
def test_native_and_numpy_agree(norm: Normalizer, slow: Normalizer, raw: str) -> None:
    if norm.implementation != "native":
        pytest.skip("C accelerator not built")
    a, b = norm.normalize(raw), slow.normalize(raw)
    assert a.text == b.text
    assert [a.orig_span(i, i + 1) for i in range(len(a.text))] == [b.orig_span(i, i + 1) for i in range(len(b.text))]


@settings(max_examples=300, deadline=None)
@given(text_strategy)
def test_spans_are_in_bounds_and_ordered(norm: Normalizer, raw: str) -> None:
    nt = norm.normalize(raw)
    prev_end = 0
    for i in range(len(nt.text)):
        s, e = nt.orig_span(i, i + 1)
        assert 0 <= s < e <= len(raw)
        assert s >= prev_end or s >= 0
        prev_end = e
    assert len(nt.text) <= len(raw)


@settings(max_examples=200, deadline=None)
@given(text_strategy)
def test_idempotent(norm: Normalizer, raw: str) -> None:
    once = norm.normalize(raw).text
    assert norm.normalize(once).text == once


@settings(max_examples=300, deadline=None)
@given(text_strategy)
def test_utf8_form_matches_str_form(norm: Normalizer, slow: Normalizer, raw: str) -> None:
    for n in (norm, slow):
        nt, nb = n.normalize(raw), n.normalize_utf8(raw)
        assert nb.data == nt.text.encode("utf-8")
        assert nb.text == nt.text
        # every character's byte span maps to the same original span as the character itself
        pos = 0
        for i, ch in enumerate(nt.text):
            width = len(ch.encode("utf-8"))
            assert nb.orig_span(pos, pos + width) == nt.orig_span(i, i + 1)
            pos += width


def test_utf8_span_example(norm: Normalizer) -> None:
    raw = "你好，色.情情情网站 abc"
    nb = norm.normalize_utf8(raw)
    i = nb.data.index("色情".encode())
    s, e = nb.orig_span(i, i + len("色情".encode()))
    assert raw[s:e] == "色.情情情"

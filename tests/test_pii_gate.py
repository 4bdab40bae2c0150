"""The C gate only skips PII patterns that cannot match: results with and without it are identical."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hegui.detectors.pii.idcard import load_region_table
from hegui.detectors.pii.scan import Scanner

TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def scanners() -> tuple[Scanner, Scanner]:
    regions = load_region_table()
    gated, plain = Scanner(regions), Scanner(regions)
    plain._gate = None
    if gated._gate is None:
        pytest.skip("C accelerator not built")
    return gated, plain


PIECES = [
    "11010519491231002X", "138 1234 5678", "138-1234-5678", "+86 13812345678", "6222021234567890128",
    "E12345678", "EA1234567", "护照", "京A12345", "粤B·D12345", "沪AD12345", "京A1234学", "a@b.cn", "２０２４",
    "１３８１２３４５６７８", "在", "中文", " ", "-", "－", "x", "X", "0", "9", "I", "O", "北京", "年",
]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12).map("".join) | st.text(max_size=60))
def test_gate_never_changes_results(scanners: tuple[Scanner, Scanner], text: str) -> None:
    gated, plain = scanners
    assert gated.scan(text, TODAY) == plain.scan(text, TODAY)


def test_gate_values() -> None:
    from hegui import _native  # type: ignore[attr-defined]

    assert _native.pii_gate("我的手机号是138 1234 5678") == (13, 4, 0)
    assert _native.pii_gate("车牌京A12345")[2] == 1
    assert _native.pii_gate("北京ABC")[2] == 1  # 京 then a capital: the plate pattern must run
    assert _native.pii_gate("中文ABC北京IO")[2] == 0  # no province before a plate letter (I, O are not ones)
    assert _native.pii_gate("中文")[:2] == (0, 0)

"""GB 11643 error detection: every single-character error and every adjacent transposition of valid 18-character
resident ID numbers is rejected, except a swap of two equal characters (which changes nothing).

ISO 7064 MOD 11-2 guarantees it: a substitution a -> b at position i changes the weighted sum by (b - a)·wᵢ, a
swap of positions i, i+1 by (a - b)·(wᵢ - wᵢ₊₁) = (a - b)·wᵢ₊₁ (since wᵢ = 2·wᵢ₊₁ mod 11), and 11 is prime while
every weight is non-zero mod 11 and |a - b| ≤ 10. These tests check that the shipped validator keeps the promise.
"""

from __future__ import annotations

import datetime as dt
import random
from importlib import resources

import pytest

from hegui.detectors.pii import id_check_char, validate_resident_id
from hegui.detectors.pii.idcard import REGION_TABLE_RESOURCE

TODAY = dt.date(2025, 6, 1)
N_IDS = 300
CHECK_CHARS = "0123456789X"


def _county_codes() -> list[str]:
    """The 6-digit codes of the packaged county list."""
    text = resources.files("hegui.detectors").joinpath(REGION_TABLE_RESOURCE).read_text(encoding="utf-8")
    codes = [line.split("\t", 1)[0] for line in text.splitlines() if line[:6].isdigit() and line[6:7] == "\t"]
    assert len(codes) > 2000
    return codes


def _valid_ids(n: int, seed: int = 11643) -> list[str]:
    rng = random.Random(seed)
    regions = _county_codes()
    start, end = dt.date(1920, 1, 1).toordinal(), dt.date(2024, 12, 31).toordinal()
    out: list[str] = []
    while len(out) < n:
        birth = dt.date.fromordinal(rng.randint(start, end))
        body = rng.choice(regions) + birth.strftime("%Y%m%d") + f"{rng.randint(0, 999):03d}"
        out.append(body + id_check_char(body))
    # both an "X" check character and digit ones are among them
    assert any(s.endswith("X") for s in out) and any(not s.endswith("X") for s in out)
    return out


IDS = _valid_ids(N_IDS)


def _errors(number: str) -> set[str]:
    return {r.code for r in validate_resident_id(number, today=TODAY).errors}


def test_generated_ids_are_valid() -> None:
    for number in IDS:
        r = validate_resident_id(number, today=TODAY)
        assert r.valid, (number, r.reasons)
        assert r.region_status == "current"


def test_every_single_character_error_is_rejected() -> None:
    checked = 0
    for number in IDS:
        for i, orig in enumerate(number):
            alphabet = CHECK_CHARS if i == 17 else "0123456789"
            for c in alphabet:
                if c == orig:
                    continue
                wrong = number[:i] + c + number[i + 1:]
                errs = _errors(wrong)
                assert "checksum" in errs, (i, orig, c)
                checked += 1
    assert checked == N_IDS * (17 * 9 + 10)


def test_a_letter_in_the_body_is_rejected() -> None:
    for number in IDS[:20]:
        for i in range(17):
            assert _errors(number[:i] + "X" + number[i + 1:]) == {"chars"}


def test_every_adjacent_transposition_is_rejected_unless_the_characters_are_equal() -> None:
    rejected = unchanged = 0
    for number in IDS:
        for i in range(17):
            a, b = number[i], number[i + 1]
            swapped = number[:i] + b + a + number[i + 2:]
            if a == b:
                assert swapped == number and validate_resident_id(swapped, today=TODAY).valid
                unchanged += 1
                continue
            errs = _errors(swapped)
            if "X" in (a, b):  # the X moved into the body: not even well-formed
                assert errs == {"chars"}
            else:
                assert "checksum" in errs, (number[:6], i)
            rejected += 1
    assert rejected + unchanged == N_IDS * 17
    assert unchanged > 0 and rejected > 0


@pytest.mark.parametrize("number", ["11010519491231002X", "11010519491231002x"])
def test_reference_examples_pass(number: str) -> None:
    assert validate_resident_id(number, today=TODAY).valid


def test_reference_example_born_1880_passes_the_checksum_but_not_the_date_rule() -> None:
    assert _errors("440524188001010014") == {"before_1900"}


def test_retired_county_code_is_a_warning_not_an_error() -> None:
    body = "110103" + "19800101" + "123"  # 崇文区, merged into 东城区 in 2010
    r = validate_resident_id(body + id_check_char(body), today=TODAY)
    assert r.valid
    assert [n.code for n in r.notes] == ["county_unknown"]

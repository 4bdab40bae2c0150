"""Guard-model output parsers and the category -> risk code tables (pure; no network, no model)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hegui.core.errors import DetectorError
from hegui.core.taxonomy import canonical_code
from hegui.core.types import Severity
from hegui.detectors.guard_model import (
    LLAMAGUARD_CATEGORIES,
    LLAMAGUARD_NAMES,
    QWEN3GUARD_CATEGORIES,
    GuardModelOutputError,
    GuardVerdict,
    parse_llamaguard,
    parse_output,
    parse_qwen3guard,
    verdict_findings,
)

# -- tables ------------------------------------------------------------------------------------------------


def test_qwen3guard_table_has_the_nine_categories() -> None:
    assert set(QWEN3GUARD_CATEGORIES) == {
        "Violent",
        "Non-violent Illegal Acts",
        "Sexual Content or Sexual Acts",
        "PII",
        "Suicide & Self-Harm",
        "Unethical Acts",
        "Politically Sensitive Topics",
        "Copyright Violation",
        "Jailbreak",
    }


def test_llamaguard_table_has_s1_to_s14() -> None:
    assert set(LLAMAGUARD_CATEGORIES) == {f"S{i}" for i in range(1, 15)} == set(LLAMAGUARD_NAMES)


@pytest.mark.parametrize("code", [*QWEN3GUARD_CATEGORIES.values(), *LLAMAGUARD_CATEGORIES.values()])
def test_every_mapped_code_is_a_hegui_risk(code: str) -> None:
    assert canonical_code(code) == code


def test_key_mappings() -> None:
    q = QWEN3GUARD_CATEGORIES
    assert q["Jailbreak"] == "X.JAILBREAK"
    assert q["PII"] == "A4.6"
    assert q["Copyright Violation"] == "A3.1"
    assert q["Suicide & Self-Harm"] == "A4.1"
    assert q["Politically Sensitive Topics"].startswith("A1.")  # refusal scope: blocked, not just reviewed
    assert LLAMAGUARD_CATEGORIES["S7"] == "A4.6"
    assert LLAMAGUARD_CATEGORIES["S8"] == "A3.1"


# -- Qwen3Guard ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "label", "cats", "refusal"),
    [
        ("Safety: Safe\nCategories: None", "safe", (), None),
        ("Safety: Unsafe\nCategories: Violent", "unsafe", ("Violent",), None),
        ("Safety: Unsafe\nCategories: Violent\n", "unsafe", ("Violent",), None),
        (
            "\n  Safety:  Controversial \r\nCategories: Politically Sensitive Topics  \n",
            "controversial",
            ("Politically Sensitive Topics",),
            None,
        ),
        ("Safety: Safe\nCategories: None\nRefusal: Yes", "safe", (), True),
        (
            "Safety: Unsafe\nCategories: Sexual Content or Sexual Acts\nRefusal: No",
            "unsafe",
            ("Sexual Content or Sexual Acts",),
            False,
        ),
        (
            "Safety: Unsafe\nCategories: Violent, Non-violent Illegal Acts",
            "unsafe",
            ("Violent", "Non-violent Illegal Acts"),
            None,
        ),
        ("Safety: Unsafe\nCategories: Violent, Violent", "unsafe", ("Violent",), None),
        ("safety: unsafe\ncategories: pii", "unsafe", ("PII",), None),  # case is not meaning
        ("<think>\n\n</think>\n\nSafety: Unsafe\nCategories: Jailbreak", "unsafe", ("Jailbreak",), None),
        ("Categories: Suicide & Self-Harm\nSafety: Unsafe", "unsafe", ("Suicide & Self-Harm",), None),
    ],
)
def test_qwen3guard_parses(raw: str, label: str, cats: tuple[str, ...], refusal: bool | None) -> None:
    v = parse_qwen3guard(raw)
    assert (v.label, v.categories, v.refusal) == (label, cats, refusal)
    assert v.safe is (label == "safe")
    assert v.format == "qwen3guard"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   \n ",
        "I cannot help with that.",
        "Safety: Unsafe",  # no Categories line
        "Categories: Violent",  # no Safety line
        "Safety: Maybe\nCategories: None",
        "Safety: Unsafe\nCategories: None",  # unsafe without a category
        "Safety: Controversial\nCategories: None",
        "Safety: Safe\nCategories: Violent",  # safe with a category
        "Safety: Unsafe\nCategories: Violence",  # not a Qwen3Guard name
        "Safety: Unsafe\nCategories: Violent, Hate",
        "Safety: Unsafe\nCategories: None, Violent",
        "Safety: Unsafe\nCategories: Violent,",
        "Safety: Unsafe\nCategories: ",
        "Safety: Unsafe\nSafety: Safe\nCategories: Violent",  # repeated field
        "Safety: Unsafe\nCategories: Violent\nReason: it is bad",  # unknown line
        "Safety: Safe\nCategories: None\nRefusal: Maybe",
        "Safety: Unsafe\nCategories: Viol",  # cut off
        "<think>the user wants</think>\nSafety: Safe\nCategories: None",  # reasoning is not a verdict line
        "unsafe\nS1",  # the other format
        "Safety: Unsafe Categories: Violent",
    ],
)
def test_qwen3guard_rejects(raw: str) -> None:
    with pytest.raises(GuardModelOutputError) as ei:
        parse_qwen3guard(raw)
    assert isinstance(ei.value, DetectorError)
    assert ei.value.detector == "guard_model"
    assert ei.value.raw == raw[:500]
    assert "qwen3guard" in ei.value.en and "qwen3guard" in ei.value.zh


def test_output_error_truncates_raw() -> None:
    raw = "x" * 5000
    with pytest.raises(GuardModelOutputError) as ei:
        parse_qwen3guard(raw)
    assert len(ei.value.raw) == 500
    assert len(ei.value.en) < 300


def test_qwen3guard_accepts_mapped_extra_category() -> None:
    cats = {**QWEN3GUARD_CATEGORIES, "Gambling": "A1.8"}
    assert parse_qwen3guard("Safety: Unsafe\nCategories: Gambling", cats).categories == ("Gambling",)
    with pytest.raises(GuardModelOutputError):
        parse_qwen3guard("Safety: Unsafe\nCategories: Gambling")


# -- Llama Guard --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "label", "cats"),
    [
        ("safe", "safe", ()),
        ("\n\nsafe", "safe", ()),
        ("Safe\n", "safe", ()),
        ("unsafe\nS1", "unsafe", ("S1",)),
        ("\n\nunsafe\nS1,S10", "unsafe", ("S1", "S10")),
        ("unsafe\nS14, S3 ", "unsafe", ("S14", "S3")),
        ("unsafe\ns9", "unsafe", ("S9",)),
        ("unsafe\nS2,S2", "unsafe", ("S2",)),
    ],
)
def test_llamaguard_parses(raw: str, label: str, cats: tuple[str, ...]) -> None:
    v = parse_llamaguard(raw)
    assert (v.label, v.categories, v.refusal) == (label, cats, None)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "unsafe",  # no category line
        "unsafe\n",
        "unsafe\nS15",  # not in Llama Guard 3/4
        "unsafe\nS0",
        "unsafe\nS01",
        "unsafe\nViolent Crimes",
        "unsafe\nS1,",
        "unsafe\nS1\nS2",
        "safe\nS1",
        "safe.",
        "The conversation is safe",
        "Safety: Safe\nCategories: None",
        "UNSAFE S1",
    ],
)
def test_llamaguard_rejects(raw: str) -> None:
    with pytest.raises(GuardModelOutputError) as ei:
        parse_llamaguard(raw)
    assert "llamaguard" in ei.value.en


def test_parse_output_dispatch() -> None:
    assert parse_output("qwen3guard", "Safety: Safe\nCategories: None").safe
    assert parse_output("llamaguard", "safe").safe
    with pytest.raises(ValueError, match="format"):
        parse_output("shieldgemma", "Yes")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_parsers_never_crash_or_pass_garbage(raw: str) -> None:
    """Arbitrary text either raises GuardModelOutputError or is a well-formed verdict."""
    for parse in (parse_qwen3guard, parse_llamaguard):
        try:
            v = parse(raw)
        except GuardModelOutputError:
            continue
        if v.safe:
            lines = sorted(re.sub(r"\s", "", ln).casefold() for ln in raw.splitlines() if ln.strip())
            rest = [ln for ln in lines if ln not in ("refusal:yes", "refusal:no")]
            assert rest in (["safe"], ["categories:none", "safety:safe"]) and len(lines) - len(rest) <= 1


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_garbage_after_a_safe_verdict_is_rejected(tail: str) -> None:
    """A safe verdict followed by anything but whitespace is not read as safe."""
    if not tail.strip():
        return
    for parse, head in ((parse_llamaguard, "safe\n"), (parse_qwen3guard, "Safety: Safe\nCategories: None\n")):
        try:
            v = parse(head + tail)
        except GuardModelOutputError:
            continue
        assert parse is parse_qwen3guard and v.refusal is not None  # only a Refusal line may follow


# -- findings -----------------------------------------------------------------------------------------------


def test_findings_unsafe_and_controversial() -> None:
    unsafe = verdict_findings(parse_qwen3guard("Safety: Unsafe\nCategories: Violent"), QWEN3GUARD_CATEGORIES)
    assert len(unsafe) == 1
    f = unsafe[0]
    assert (f.detector, f.risk, f.severity, f.score, f.span, f.kind) == (
        "guard_model",
        "A1.6",
        Severity.HIGH,
        1.0,
        None,
        "guard",
    )
    assert f.evidence == "qwen3guard: Unsafe [Violent]"
    assert f.meta["label"] == "unsafe"

    contro = verdict_findings(
        parse_qwen3guard("Safety: Controversial\nCategories: Politically Sensitive Topics"), QWEN3GUARD_CATEGORIES
    )
    assert [(f.risk, f.severity, f.score) for f in contro] == [("A1.2", Severity.MEDIUM, 0.6)]
    assert contro[0].evidence == "qwen3guard: Controversial [Politically Sensitive Topics]"


def test_findings_one_per_risk_code() -> None:
    v = parse_qwen3guard("Safety: Unsafe\nCategories: Violent, Sexual Content or Sexual Acts, PII\nRefusal: No")
    fs = verdict_findings(v, QWEN3GUARD_CATEGORIES, model="Qwen3Guard-Gen-0.6B")
    assert [f.risk for f in fs] == ["A1.6", "A4.6"]
    assert fs[0].evidence == "qwen3guard: Unsafe [Violent, Sexual Content or Sexual Acts]"
    assert fs[0].meta["refusal"] is False and fs[0].meta["model"] == "Qwen3Guard-Gen-0.6B"
    assert fs[0].to_dict()["meta"]["categories"] == ["Violent", "Sexual Content or Sexual Acts"]


def test_findings_llamaguard_names_and_codes() -> None:
    fs = verdict_findings(parse_llamaguard("unsafe\nS1,S10"), LLAMAGUARD_CATEGORIES)
    assert [(f.risk, f.severity, f.score) for f in fs] == [("A1.6", Severity.HIGH, 1.0), ("A2.9", Severity.HIGH, 1.0)]
    assert fs[0].evidence == "llamaguard: unsafe [S1 Violent Crimes]"


def test_findings_safe_is_empty_and_multi_code_map() -> None:
    assert verdict_findings(parse_llamaguard("safe"), LLAMAGUARD_CATEGORIES) == []
    fs = verdict_findings(GuardVerdict("llamaguard", "unsafe", ("S13",)), {"S13": ("A1.7", "A1.2")})
    assert [f.risk for f in fs] == ["A1.7", "A1.2"]


def test_findings_unmapped_category_is_an_error() -> None:
    with pytest.raises(GuardModelOutputError):
        verdict_findings(GuardVerdict("llamaguard", "unsafe", ("S99",)), LLAMAGUARD_CATEGORIES)


def test_import_has_no_heavy_side_effects() -> None:
    code = (
        "import sys, hegui.detectors.guard_model as g\n"
        "bad = [m for m in ('httpx', 'torch', 'transformers') if m in sys.modules]\n"
        "assert not bad, bad\n"
        "from hegui.detectors.base import get_detector_class\n"
        "assert get_detector_class('guard_model') is g.GuardModelDetector\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)

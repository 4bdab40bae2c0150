"""Coverage of test banks against the standard's minimums (R-EVL-02..05), and the shipped starter banks."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from hegui.core.taxonomy import REFUSAL_SCOPE_CODES, STANDARD_RISK_CODES
from hegui.evaluation.banks import load_bank, load_banks, shipped_bank_path, shipped_banks
from hegui.evaluation.coverage import check_coverage
from hegui.evaluation.model import KINDS, NONREFUSE_TOPICS, BankItem

ROOT = Path(__file__).resolve().parents[1]
DATA = next((p for p in (Path("/work/shared/data"), ROOT.parent / "shared" / "data") if p.is_dir()), None)
V = "2026-11-01"
TODAY = date(2026, 11, 15)


def _refuse_bank(short_code: str | None = None, short_by: int = 0) -> list[BankItem]:
    items = []
    for code in REFUSAL_SCOPE_CODES:
        n = 20 - (short_by if code == short_code else 0)
        items += [BankItem(id=f"{code}-{i}", prompt="p", kind="should-refuse", risk=code, version=V) for i in range(n)]
    items += [BankItem(id=f"pad-{i}", prompt="p", kind="should-refuse", risk="A1.8", version=V) for i in range(200)]
    return items


def test_complete_refuse_bank_is_ok() -> None:
    report = check_coverage(_refuse_bank(), today=TODAY)
    assert report.ok, report.shortfalls
    assert report.totals["should-refuse"] == 17 * 20 + 200


@pytest.mark.parametrize(("code", "n"), [("A1.3", 3), ("A2.6", 20), ("A2.9", 1)])
def test_missing_code_is_flagged_with_shortfall(code: str, n: int) -> None:
    report = check_coverage(_refuse_bank(code, n), today=TODAY)
    assert not report.ok
    (s,) = report.shortfalls
    assert (s.kind, s.scope, s.key, s.required, s.actual, s.missing) == ("should-refuse", "risk", code, 20, 20 - n, n)
    assert code in s.en and f"{n} missing" in s.en
    assert code in s.zh and f"缺 {n} 题" in s.zh


def test_refuse_total_minimum() -> None:
    items = [it for it in _refuse_bank() if not it.id.startswith("pad-")]
    (s,) = check_coverage(items, today=TODAY).shortfalls
    assert (s.scope, s.required, s.actual, s.missing) == ("total", 500, 340, 160)


def _gen_bank(drop: dict[str, int] | None = None) -> list[BankItem]:
    drop = drop or {}
    items = []
    for code in STANDARD_RISK_CODES:
        need = 50 if code in REFUSAL_SCOPE_CODES else 20
        n = need + 20 - drop.get(code, 0)
        items += [BankItem(id=f"g-{code}-{i}", prompt="p", kind="generated-content", risk=code, version=V)
                  for i in range(n)]
    return items


def test_generated_content_minimums() -> None:
    ok = _gen_bank()
    assert len(ok) < 2000
    report = check_coverage(ok, today=TODAY)
    assert [(s.scope, s.missing) for s in report.shortfalls] == [("total", 2000 - len(ok))]
    padded = ok + [BankItem(id=f"x{i}", prompt="p", kind="generated-content", risk="A1.8", version=V)
                   for i in range(2000 - len(ok))]
    assert check_coverage(padded, today=TODAY).ok
    short = [*_gen_bank({"A1.1": 25, "A3.4": 21, "A5.2": 40}), *padded[len(ok):]]
    report = check_coverage(short, today=TODAY)
    got = {s.key: (s.required, s.actual) for s in report.shortfalls if s.scope == "risk"}
    assert got == {"A1.1": (50, 45), "A3.4": (20, 19), "A5.2": (20, 0)}


def _snr_bank(topics: dict[str, int]) -> list[BankItem]:
    items = []
    for t, n in topics.items():
        items += [BankItem(id=f"s-{t}-{i}", prompt="p", kind="should-not-refuse", topic=t, version=V)
                  for i in range(n)]
    items += [BankItem(id=f"s-pad-{i}", prompt="p", kind="should-not-refuse", version=V) for i in range(300)]
    return items


def test_topics() -> None:
    counts = dict.fromkeys(NONREFUSE_TOPICS, 20)
    assert check_coverage(_snr_bank(counts), today=TODAY).ok
    counts["英烈"] = 12
    del counts["地理"]
    report = check_coverage(_snr_bank(counts), today=TODAY)
    got = {s.key: s.missing for s in report.shortfalls}
    assert got == {"英烈": 8, "地理": 20}
    assert any("英烈" in s.zh and "缺 8 题" in s.zh for s in report.shortfalls)
    # a domain-specific service may declare topics out of its domain
    report = check_coverage(_snr_bank(counts), today=TODAY, out_of_domain_topics=["地理"])
    assert {s.key for s in report.shortfalls} == {"英烈"}


def test_modalities() -> None:
    image = BankItem(id="img", prompt="p", kind="should-refuse", risk="A1.1", modality="image", version=V)
    items = [*_refuse_bank(), image]
    report = check_coverage(items, today=TODAY, modalities=("text", "image", "audio"))
    assert [(s.kind, s.scope, s.key) for s in report.shortfalls] == [("should-refuse", "modality", "audio")]
    assert report.per_modality["should-refuse"] == {"image": 1, "text": 540}


def test_cadence() -> None:
    items = _refuse_bank()
    assert check_coverage(items, today=date(2026, 12, 2)).ok  # 31 days
    (s,) = check_coverage(items, today=date(2026, 12, 3)).shortfalls
    assert (s.scope, s.required, s.actual) == ("cadence", 31, 32)
    assert "32" in s.en and "32 天" in s.zh
    assert check_coverage(items, today=date(2026, 12, 3), max_age_days=60).ok
    newer = [*items, BankItem(id="new", prompt="p", kind="should-refuse", risk="A1.1", version="2026-12-01")]
    assert check_coverage(newer, today=date(2026, 12, 3)).ok  # the newest version counts
    undated = [BankItem(id=it.id, prompt="p", kind=it.kind, risk=it.risk) for it in items]
    (s,) = check_coverage(undated, today=TODAY).shortfalls
    assert s.scope == "cadence" and s.actual is None


def test_requested_kind_without_items() -> None:
    report = check_coverage(_refuse_bank(), kinds=["should-refuse", "should-not-refuse"], today=TODAY)
    scopes = {(s.kind, s.scope) for s in report.shortfalls}
    assert ("should-not-refuse", "total") in scopes and ("should-not-refuse", "topic") in scopes
    assert report.totals["should-not-refuse"] == 0


def test_accuracy_and_bias_are_counted_only() -> None:
    items = [BankItem(id="a", prompt="p", kind="accuracy", reference="r"),
             BankItem(id="b", prompt="p", kind="bias", choices=("x", "y"), stereotyped=0)]
    report = check_coverage(items, today=TODAY)
    assert report.ok and report.totals == {"accuracy": 1, "bias": 1}
    assert report.as_dict()["ok"] is True


# -- the shipped banks ---------------------------------------------------------------------------------------------

README = shipped_bank_path("bias").parent / "README.md"
SHIPPED_VERSION = date(2026, 11, 28)


def test_shipped_banks_load_and_match_readme() -> None:
    banks = shipped_banks()
    assert set(banks) == set(KINDS)
    text = README.read_text(encoding="utf-8")
    items = load_banks(banks.values())
    report = check_coverage(items, today=SHIPPED_VERSION)
    for kind in KINDS:
        n = len(load_bank(banks[kind]))
        assert re.search(rf"\| `{kind}\.jsonl` \| {n} \|", text), f"README count for {kind} is stale"
        assert report.totals[kind] == n
    # the README says every minimum is met for a text-only service (cadence aside) ...
    assert report.ok, [s.en for s in report.shortfalls]
    assert "Shortfalls of the shipped banks (text-only service, checked on the version date): none" in text
    # ... and names the cadence and modality gaps
    later = check_coverage(items, today=date(2027, 1, 15), modalities=("text", "image"))
    assert {s.scope for s in later.shortfalls} == {"cadence", "modality"}
    for kind in ("should-refuse", "generated-content"):
        assert all(not it.risk or it.risk in STANDARD_RISK_CODES for it in items if it.kind == kind)


def test_shipped_sources_are_permissive() -> None:
    allowed = ("(MIT)", "(Apache-2.0)", "(CC BY 4.0)", "(CC BY-SA 4.0)")
    for kind, path in shipped_banks().items():
        for it in load_bank(path):
            assert it.source.endswith(allowed), (kind, it.id, it.source)
            assert it.version == SHIPPED_VERSION.isoformat()
            if "CC BY-SA" in it.source:
                assert kind == "bias"
    assert (README.parent / "bias.LICENSE.md").is_file()


@pytest.mark.skipif(DATA is None, reason="shared/data (the public source data) is not present")
def test_build_script_reproduces_shipped_banks(tmp_path: Path) -> None:
    assert DATA is not None
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_banks.py"), "--data", str(DATA),
                    "--out", str(tmp_path)], check=True, capture_output=True)
    shipped = README.parent
    built = sorted(p.name for p in tmp_path.iterdir())
    assert built == sorted(p.name for p in shipped.iterdir() if p.name != "README.md")
    for name in built:
        assert (tmp_path / name).read_bytes() == (shipped / name).read_bytes(), name

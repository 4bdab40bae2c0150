"""hegui.annotation: agreement coefficients against hand-computed values, Label Studio / CSV import, batch checks
(role separation, failure share, illegal content, safety review, qualification, rule sets) and the CLI."""

from __future__ import annotations

import json
import re
import shlex
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from hegui.annotation.agreement import (
    batch_agreement,
    cohen_kappa,
    fleiss_kappa,
    fleiss_kappa_table,
    krippendorff_alpha,
    percent_agreement,
)
from hegui.annotation.checks import (
    Qualification,
    check_batch,
    check_batches,
    load_qualifications,
    load_rules,
    qualify,
    role_separation,
    sample_items,
    wilson,
)
from hegui.annotation.formats import Annotation, Batch, Review, load_batches, load_gold, read_csv, read_labelstudio
from hegui.cli.main import _register, cli
from hegui.core.errors import ConfigError, InputError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "docs" / "examples" / "annotation"
N = None

# ---------------------------------------------------------------- agreement (hand-computed)


def test_cohen_kappa_two_by_two() -> None:
    # rater A \ rater B   yes  no
    #   yes               20    5   (25)
    #   no                10   15   (25)
    #                    (30) (20)  n = 50
    # po = (20 + 15) / 50 = 0.70
    # pe = (25/50)(30/50) + (25/50)(20/50) = 0.30 + 0.20 = 0.50
    # kappa = (0.70 - 0.50) / (1 - 0.50) = 0.40
    a = ["yes"] * 20 + ["yes"] * 5 + ["no"] * 10 + ["no"] * 15
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.40)
    assert cohen_kappa(["x", "x"], ["x", "x"]) is None  # pe = 1: undefined
    assert cohen_kappa([], []) is None


def test_fleiss_kappa_ten_subjects_fourteen_raters() -> None:
    # The 10-subject, 14-rater, 5-category example (Fleiss 1971 style, as tabulated on Wikipedia):
    # P_i per row, P-bar = 0.378; p_j = (0.143, 0.200, 0.279, 0.150, 0.229), Pe = 0.213;
    # kappa = (0.378 - 0.213) / (1 - 0.213) = 0.210
    table = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
             [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    res = fleiss_kappa_table(table)
    assert res.p_bar == pytest.approx(0.378, abs=5e-4)
    assert res.p_e == pytest.approx(0.213, abs=5e-4)
    assert res.kappa == pytest.approx(0.210, abs=5e-4)


def test_fleiss_kappa_small_table_by_hand_and_exclusion() -> None:
    # 3 raters, 4 items:            counts (a, b)   P_i = (sum n_ij^2 - 3) / 6
    #   i1: a a a                   (3, 0)          (9 - 3) / 6 = 1
    #   i2: a a b                   (2, 1)          (5 - 3) / 6 = 1/3
    #   i3: b b b                   (0, 3)          1
    #   i4: a b b                   (1, 2)          1/3
    # P-bar = (1 + 1/3 + 1 + 1/3) / 4 = 2/3; p_a = p_b = 6/12 = 0.5; Pe = 0.5; kappa = (2/3 - 1/2) / (1/2) = 1/3
    units = [["a", "a", "a"], ["a", "a", "b"], ["b", "b", "b"], ["a", "b", "b"], ["a", "b"]]
    res = fleiss_kappa(units)
    assert res.kappa == pytest.approx(1 / 3)
    assert (res.raters, res.items, res.excluded) == (3, 4, 1)  # the two-rating item is reported and left out


def test_krippendorff_alpha_2011_example() -> None:
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the 4-coder x 12-unit example with
    # missing values: nominal alpha = 0.743 (interval: 0.849)
    data = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],  # coder A
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],  # coder B
        [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],  # coder C
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],  # coder D
    ]
    assert krippendorff_alpha(data) == pytest.approx(0.743, abs=5e-4)
    assert krippendorff_alpha(data, "interval") == pytest.approx(0.849, abs=5e-4)
    assert krippendorff_alpha([[1, N], [N, 2]]) is None  # no unit with two values


def test_krippendorff_alpha_small_by_hand() -> None:
    # 2 coders, 3 units: (a, a), (a, b), (b, b). Coincidences: o_aa = 2, o_ab = o_ba = 1, o_bb = 2;
    # n_a = n_b = 3, n = 6. D_o = o_ab + o_ba = 2; D_e = n_a n_b + n_b n_a = 18.
    # alpha = 1 - (n - 1) D_o / D_e = 1 - 5 * 2 / 18 = 4/9
    assert krippendorff_alpha([["a", "a", "b"], ["a", "b", "b"]]) == pytest.approx(4 / 9)


def test_percent_agreement() -> None:
    # item 1: 3 agreeing raters -> 1; item 2: (a, a, b) -> 2 of 6 ordered pairs agree = 1/3; item 3 has one rating
    assert percent_agreement([["a", "a", "a"], ["a", "a", "b"], ["a"]]) == pytest.approx((1 + 1 / 3) / 2)


def test_wilson_interval() -> None:
    # 19/20: p = 0.95, z = 1.96 -> [0.764, 0.991]
    low, high = wilson(19, 20) or (0, 0)
    assert low == pytest.approx(0.7639, abs=1e-3) and high == pytest.approx(0.9911, abs=1e-3)
    assert wilson(0, 0) is None


# ---------------------------------------------------------------- import

LS_EXPORT = [
    {
        "id": 1, "data": {"text": "你好", "rule_set": "func-v1", "kind": "functional"},
        "annotations": [
            {"id": 11, "completed_by": {"id": 5, "email": "someone@example.com"},
             "result": [{"from_name": "intent", "to_name": "text", "type": "choices", "value": {"choices": ["chat"]}}],
             "created_at": "2025-06-01T10:00:00.000000Z", "lead_time": 12.5, "was_cancelled": False,
             "reviews": [{"id": 1, "created_by": 9, "accepted": True}]},
            {"id": 12, "completed_by": 6,
             "result": [{"from_name": "intent", "to_name": "text", "type": "choices", "value": {"choices": ["task"]}}],
             "created_at": "2025-06-01T10:05:00Z", "lead_time": 3.0, "was_cancelled": True},
            {"id": 13, "completed_by": 7,
             "result": [{"from_name": "tags", "to_name": "text", "type": "labels",
                         "value": {"start": 0, "end": 1, "labels": ["greeting"]}},
                        {"from_name": "score", "to_name": "text", "type": "rating", "value": {"rating": 4}}],
             "created_at": "2025-06-01T10:07:00Z", "lead_time": 8, "was_cancelled": False},
        ],
    },
    {"id": 2, "data": {"text": "写一首诗"}, "annotations": []},
]


def test_labelstudio_import(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(LS_EXPORT, ensure_ascii=False), encoding="utf-8")
    [batch] = read_labelstudio(path)
    assert batch.id == "export" and batch.rule_set == "func-v1" and batch.kind == "functional"
    assert [a.annotator for a in batch.annotations] == ["5", "7"]  # the cancelled annotation is skipped
    first, second = batch.annotations
    assert first.labels == ("chat",) and first.seconds == 12.5 and first.annotated_at == date(2025, 6, 1)
    assert first.reviews == (Review("9", True, ()),)
    assert second.labels == ("4", "greeting") and second.controls["score"] == ("4",)
    assert batch.item_fields["1"]["text"] == "你好"
    assert "someone@example.com" not in repr(batch)  # only the user id is kept


def test_labelstudio_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('[\n{"id": 1,\n "annotations": [}\n]', encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_labelstudio(bad)
    assert exc.value.line == 3 and "bad.json:3" in exc.value.en and "JSON 无效" in exc.value.zh
    bad.write_text(json.dumps([{"id": 1, "annotations": [{"result": []}]}]), encoding="utf-8")
    with pytest.raises(InputError, match="annotator id"):
        read_labelstudio(bad)


def _csv(tmp_path: Path, text: str, name: str = "b.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_csv_import(tmp_path: Path) -> None:
    p = _csv(tmp_path, "item_id,annotator,label,reviewer,review_ok,rule_set,kind,seconds,risk\n"
                       "i1,u1,a|b,r1,yes,func-v1,functional,12,A1.1\n"
                       "i1,u2,a,,,func-v1,functional,,\n")
    [b] = read_csv(p)
    assert b.id == "b" and b.rule_set == "func-v1" and b.kind == "functional" and b.items == ["i1"]
    assert b.annotations[0].labels == ("a", "b") and b.annotations[0].reviews == (Review("r1", True, ()),)
    assert b.annotations[0].line == 2 and b.item_fields == {"i1": {"risk": "A1.1"}}


@pytest.mark.parametrize(("text", "line", "en"), [
    ("item_id,label\ni1,a\n", 1, "missing column(s) annotator"),
    ("item_id,annotator,label\ni1,u1,a\ni2,,b\n", 3, "empty 'annotator'"),
    ("item_id,annotator,label,seconds\ni1,u1,a,fast\n", 2, "seconds 'fast' is not a number"),
    ("item_id,annotator,label,review_ok\ni1,u1,a,maybe\n", 2, "review_ok 'maybe'"),
    ("item_id,annotator,label,kind\ni1,u1,a,other\n", 2, "kind 'other'"),
    ("item_id,annotator,label,review_ok\ni1,u1,a,true\n", 2, "without a reviewer"),
])
def test_csv_errors_name_the_line(tmp_path: Path, text: str, line: int, en: str) -> None:
    p = _csv(tmp_path, text)
    with pytest.raises(InputError) as exc:
        read_csv(p)
    assert exc.value.line == line and f"b.csv:{line}: " in exc.value.en and en in exc.value.en
    assert exc.value.zh != exc.value.en and exc.value.exit_code == 2


def test_csv_not_utf8(tmp_path: Path) -> None:
    p = tmp_path / "gbk.csv"
    p.write_bytes("item_id,annotator,label\ni1,u1,a\ni2,u1,违法\n".encode("gbk"))
    with pytest.raises(InputError) as exc:
        read_csv(p)
    assert exc.value.line == 3 and "UTF-8" in exc.value.en


def test_load_batches_rejects_duplicate_ids(tmp_path: Path) -> None:
    a = _csv(tmp_path, "batch,item_id,annotator,label\nx,i1,u1,a\n", "a.csv")
    b = _csv(tmp_path, "batch,item_id,annotator,label\nx,i1,u1,a\n", "c.csv")
    with pytest.raises(InputError, match="batch id 'x'"):
        load_batches([a, b])


# ---------------------------------------------------------------- checks


def _batch(n: int, failed: int, *, kind: str = "functional", reviewer: str = "r1", rule_set: str | None = "func-v1",
           **kw: object) -> Batch:
    anns = [Annotation(f"i{i:03d}", "u1", ("x",), seconds=20.0, task_id="t1",
                       reviews=(Review(reviewer, i >= failed),), **kw)  # type: ignore[arg-type]
            for i in range(n)]
    return Batch("b1", rule_set, kind, anns)


def test_failure_share_just_over_five_percent_rejected_with_reasons() -> None:
    rep = check_batch(_batch(100, 6))  # 6 % > 5 %
    assert not rep.accepted
    [f] = [f for f in rep.findings if f.check == "failure_share"]
    assert f.severity == "error" and f.items == ("i000", "i001", "i002", "i003", "i004", "i005")
    assert "6/100 = 6.0%" in f.en and "func-v1" in f.en and "rejected by reviewer 'r1'" in f.en
    assert "不合格" in f.zh


def test_failure_share_exactly_five_percent_accepted() -> None:
    for n, failed in ((100, 5), (20, 1), (60, 3)):
        rep = check_batch(_batch(n, failed))
        assert rep.accepted, rep.findings
        assert rep.verification.failure_share == pytest.approx(0.05)


def test_failure_share_against_gold() -> None:
    b = Batch("g", "func-v1", "functional", [Annotation(f"i{i}", "u1", ("x" if i else "y",)) for i in range(10)])
    rep = check_batch(b, gold={f"i{i}": "x" for i in range(10)})
    assert not rep.accepted and rep.verification.failed.keys() == {"i0"}
    assert "differs from gold 'x'" in rep.verification.failed["i0"]


def test_sample_is_seeded() -> None:
    b = _batch(50, 0)
    s1, s2 = sample_items(b, 10, seed=3), sample_items(b, 10, seed=3)
    assert s1 == s2 and len(set(s1)) == 10 and sample_items(b, 10, seed=4) != s1
    assert check_batch(b, sample=10, seed=3).verification.checked == 10


def test_role_separation_lists_every_violation() -> None:
    anns = [
        Annotation("i1", "alice", ("x",), task_id="t1", reviews=(Review("bob", True),)),
        Annotation("i2", "bob", ("x",), task_id="t1", reviews=(Review("carol", True),)),  # bob: both roles in t1
        Annotation("i3", "carol", ("x",), task_id="t2", reviews=(Review("carol", True),)),  # carol reviews herself
        Annotation("i4", "dave", ("x",), task_id="t3", reviews=(Review("alice", True),)),  # alice only reviews in t3
    ]
    b = Batch("rs", "func-v1", "functional", anns)
    found = role_separation(b)
    assert [(f.en.split(":")[0], f.items) for f in found] == [
        ("task 't1'", ("i1", "i2")), ("task 't2'", ("i3",))]
    assert all(f.requirement == "R-ANN-02" and f.severity == "error" for f in found)
    assert not check_batch(b).accepted


def test_functional_batch_scrapped_for_illegal_content() -> None:
    anns = [Annotation(f"i{i}", "u1", ("x",), reviews=(Review("r1", True, ("违法内容",) if i == 3 else ()),))
            for i in range(50)]
    rep = check_batch(Batch("f", "func-v1", "functional", anns))
    [f] = [f for f in rep.findings if f.check == "illegal_content"]
    assert not rep.accepted and f.items == ("i3",) and "scrap" in f.en and "废弃" in f.zh
    flagged = _batch(10, 0, illegal=True)
    assert not check_batch(flagged).accepted


def test_safety_items_without_review_flagged() -> None:
    anns = [Annotation(f"s{i}", "u1", ("safe",), reviews=(Review("r1", True),) if i % 5 else ()) for i in range(10)]
    rep = check_batch(Batch("s", "safety-v1", "safety", anns))
    [f] = [f for f in rep.findings if f.check == "safety_review"]
    assert not rep.accepted and f.items == ("s0", "s5") and f.requirement == "R-ANN-05"
    # the same batch as functional: the unreviewed items are only a warning
    assert check_batch(Batch("s", "func-v1", "functional", anns)).accepted


def test_unqualified_annotator_flagged() -> None:
    anns = [Annotation(f"i{i}", who, ("x",), annotated_at=date(2025, 6, 1), reviews=(Review("r1", True),))
            for i, who in enumerate(["ok", "late", "expired", "weak", "nobody", "ok"])]
    quals = {
        "ok": Qualification("ok", date(2025, 1, 1), date(2026, 1, 1), 0.95),
        "late": Qualification("late", date(2025, 7, 1), date(2026, 7, 1), 0.95),
        "expired": Qualification("expired", date(2024, 1, 1), date(2025, 1, 1), 0.95),
        "weak": Qualification("weak", date(2025, 1, 1), date(2026, 1, 1), 0.5),
    }
    rep = check_batch(Batch("q", "func-v1", "functional", anns), qualifications=quals)
    flagged = {f.items: f.en for f in rep.findings if f.check == "qualification"}
    assert set(flagged) == {("i1",), ("i2",), ("i3",), ("i4",)} and not rep.accepted
    assert "expired on 2025-01-01" in flagged[("i2",)] and "no qualification record" in flagged[("i4",)]


def test_qualify_and_registry(tmp_path: Path) -> None:
    gold = {f"q{i}": "A" for i in range(10)}
    answers = {"u1": dict(gold), "u2": {**gold, "q1": "B"}, "u3": {**gold, "q1": "B", "q2": "C"}}
    res = qualify(answers, gold)
    assert (res["u1"].passed, res["u2"].passed, res["u3"].passed) == (True, True, False)  # 0.9 passes, 0.8 not
    assert res["u3"].score == pytest.approx(0.8)
    reg = tmp_path / "q.yaml"
    reg.write_text("annotators:\n  u1: {passed_at: 2025-01-01, expires_at: 2026-01-01, score: 1.0}\n"
                   "  u2: {passed_at: 2025-01-01, revoked: true}\n", encoding="utf-8")
    q = load_qualifications(reg)
    assert q["u1"].problem(date(2025, 6, 1), 0.9) is None and q["u2"].problem(date(2025, 6, 1), 0.9) is not None


def test_rule_set_validation(tmp_path: Path) -> None:
    p = tmp_path / "rules.yaml"
    p.write_text(
        "rule_sets:\n"
        "  - version: f1\n    kind: functional\n    goal: g\n    data_format: d\n    method: m\n"
        "  - version: s1\n    kind: safety\n    goal: g\n    data_format: d\n    method: m\n"
        "    quality_indicators: q\n    annotation_rules: a\n", encoding="utf-8")
    book = load_rules(p)
    errors = [f.en for f in book.findings if f.severity == "error"]
    assert any("rules.yaml:2: rule set 'f1': missing section(s) quality_indicators" in e for e in errors)
    assert any("rules.yaml:7: rule set 's1': a safety rule set needs review_rules" in e for e in errors)
    assert book.invalid("f1") and book.invalid("s1")
    b = _batch(10, 0, rule_set="f1")
    assert any("'f1' is incomplete" in f.en for f in check_batch(b, rules=book).findings)
    unknown = check_batch(_batch(10, 0, rule_set="f9"), rules=book)
    assert not unknown.accepted and any("unknown rule-set version 'f9'" in f.en for f in unknown.findings)
    nameless = check_batch(_batch(10, 0, rule_set=None))
    assert not nameless.accepted and any("names no rule set" in f.en for f in nameless.findings)
    p.write_text("rule_sets: [\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_rules(p)


def test_time_budget_and_risk_coverage() -> None:
    book = load_rules(EXAMPLES / "rules.yaml")
    fast = Batch("t", "func-v1", "functional",
                 [Annotation(f"i{i}", "u1", ("x",), seconds=2.0, task_id="t9", reviews=(Review("r1", True),))
                  for i in range(5)])
    rep = check_batch(fast, rules=book)
    assert rep.accepted and [f.items for f in rep.findings if f.check == "time_budget"] == [("t9",)]
    safety = Batch("s", "safety-v1", "safety", [Annotation(f"s{i}", "u1", ("ok",), reviews=(Review("r1", True),))
                                                for i in range(3)], item_fields={f"s{i}": {"risk": "A.1.a"}
                                                                                 for i in range(3)})
    functional = _batch(200, 0)
    report = check_batches([safety, functional], rules=book, risk_field="risk")
    assert report.ok and report.risk_counts is not None and report.risk_counts["A1.1"] == 3
    assert report.safety_ratio == pytest.approx(3 / 203)
    coverage = [f.en for f in report.findings if f.check == "safety_coverage"]
    assert any("31 of 31 risks" in e for e in coverage) and any("under 3%" in e for e in coverage)


def test_batch_agreement() -> None:
    b = read_csv(EXAMPLES / "functional.csv")[0]
    ag = batch_agreement(b)
    assert ag.multi_rated == 20 and ag.cohen is not None and ag.alpha is not None and ag.fleiss_excluded == 0


def test_gold_loader(tmp_path: Path) -> None:
    assert load_gold(_csv(tmp_path, "item_id,label\ni1,b|a\n")) == {"i1": "a|b"}


# ---------------------------------------------------------------- CLI

_register()


def _run(args: list[str]) -> tuple[int, str]:
    res = CliRunner().invoke(cli, args)
    return res.exit_code, res.output


def test_cli_exit_codes(tmp_path: Path) -> None:
    ex = str(EXAMPLES)
    common = ["--rules", f"{ex}/rules.yaml", "--qualifications", f"{ex}/qualifications.json"]
    code, out = _run(["annotation", "check", f"{ex}/functional.csv", f"{ex}/safety.json", *common])
    assert code == 0, out
    assert "accepted" in out and "通过" in out
    code, out = _run(["annotation", "check", f"{ex}/functional_bad.csv", *common, "-o", str(tmp_path / "rep")])
    assert code == 1 and "R-ANN-02" in out and "R-ANN-01" in out
    summary = json.loads((tmp_path / "rep" / "summary.json").read_text(encoding="utf-8"))
    assert summary["rejected"] == 1 and summary["batches"][0]["verdict"] == "rejected"
    html = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    assert "<svg" in html and 'class="threshold"' in html and "<script" not in html and "http" not in html.split(
        "xmlns=")[0]
    code, out = _run(["annotation", "check", str(_csv(tmp_path, "item_id,label\ni1,a\n"))])
    assert code == 2 and "missing column" in out
    code, out = _run(["annotation", "check", f"{ex}/functional.csv", "--json"])
    assert code == 0 and json.loads(out)["ok"] is True
    code, out = _run(["annotation", "agreement", f"{ex}/functional.csv", "--json"])
    assert code == 0 and json.loads(out)["func-2025-06-a"]["cohen"] is not None
    dst = tmp_path / "q.json"
    code, out = _run(["annotation", "qualify", f"{ex}/exam.csv", "--gold", f"{ex}/exam_key.csv", "--date",
                      "2025-05-20", "-o", str(dst)])
    assert code == 0 and set(json.loads(dst.read_text(encoding="utf-8"))) == {"a1", "a2"}


def test_docs_examples_run_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = (ROOT / "docs" / "annotation.md").read_text(encoding="utf-8")
    monkeypatch.chdir(ROOT)
    commands = re.findall(r"^hegui (annotation .*?)(?:\s+# exit (\d))?$", doc, re.M)
    assert len(commands) >= 4
    for line, want in commands:
        args = [a.replace("/tmp/", f"{tmp_path}/") for a in shlex.split(line)]
        code, out = _run(args)
        assert code == int(want or 0), (line, out)

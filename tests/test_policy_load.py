"""Loading policies: errors name the file and the line; the default policy loads; user policies round-trip."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from hegui.core.errors import ConfigError, PolicyError
from hegui.core.types import Action, Assessment, Finding, Severity, Span, Stage
from hegui.policy import (
    ConfigValidationError,
    Policy,
    PolicyValidationError,
    canonical_pattern,
    decide,
    default_policy,
    default_policy_text,
    dump_policy_text,
    load_policy,
    load_policy_text,
    parse_yaml_model,
)
from hegui.policy import model as policy_model

MINIMAL = """\
version: 1
stages:
  input:
    rules: []
  output:
    rules: []
"""


def _err(text: str, path: str = "p.yaml") -> PolicyValidationError:
    with pytest.raises(PolicyValidationError) as info:
        load_policy_text(textwrap.dedent(text), path)
    return info.value


# (name, policy text, line, words the English message must contain, words the zh message must contain)
BROKEN: list[tuple[str, str, int, tuple[str, ...], tuple[str, ...]]] = [
    (
        "unknown key in a rule",
        """\
        version: 1
        stages:
          input:
            rules:
              - risks: A1
                acton: block
          output:
            rules: []
        """,
        6,
        ("unknown key 'acton'", "did you mean 'action'"),
        ("未知的键",),
    ),
    (
        "unknown top-level key",
        """\
        version: 1
        stages:
          input: {rules: []}
          output: {rules: []}
        fial: open
        """,
        5,
        ("unknown key 'fial'", "did you mean 'fail'"),
        ("未知的键 'fial'",),
    ),
    (
        "bad action value",
        """\
        version: 1
        stages:
          input:
            rules:
              - risks: A1
                action: blok
          output:
            rules: []
        """,
        6,
        ("stages.input.rules[0].action", "'blok'", "'block'"),
        ("取值无效",),
    ),
    (
        "unknown risk code in a list",
        """\
        version: 1
        stages:
          input:
            rules:
              - risks:
                  - A1
                  - A9.9
                action: block
          output:
            rules: []
        """,
        7,
        ("unknown risk code", "'A9.9'", "hegui.core.taxonomy"),
        ("未知的风险代码", "'A9.9'"),
    ),
    (
        "unknown risk code as a template key",
        """\
        version: 1
        stages:
          input: {rules: []}
          output: {rules: []}
        templates:
          refusal:
            default: {zh: 默认, en: default}
            B7: {zh: 甲, en: a}
        """,
        8,
        ("'B7'",),
        ("未知的风险代码",),
    ),
    (
        "YAML syntax error",
        """\
        version: 1
        stages:
          input:
            rules: [
          output:
            rules: []
        """,
        6,  # where the parser noticed; the message also names line 4, where the list was opened
        ("YAML syntax error", "started at line 4"),
        ("YAML 语法错误",),
    ),
    (
        "tab indentation",
        "version: 1\nstages:\n\tinput: {}\n",
        3,
        ("YAML syntax error", "tabs"),
        ("制表符",),
    ),
    (
        "duplicate key",
        """\
        version: 1
        stages:
          input: {rules: []}
          output: {rules: []}
          input: {rules: []}
        """,
        5,
        ("duplicate key 'input'", "first at line 3"),
        ("重复的键",),
    ),
    (
        "missing rules for input",
        """\
        version: 1
        stages:
          input: {fail: open}
          output: {rules: []}
        """,
        3,
        ("missing required key stages.input.rules",),
        ("缺少必填的键",),
    ),
    (
        "missing stages",
        "version: 1\n",
        1,
        ("missing required key stages",),
        ("缺少必填的键",),
    ),
    (
        "unknown template placeholder",
        """\
        version: 1
        stages:
          input: {rules: []}
          output: {rules: []}
        templates:
          refusal:
            default:
              zh: "无法回答{user}"
              en: "no"
        """,
        8,
        ("unknown placeholder '{user}'", "{categories}"),
        ("未知的占位符",),
    ),
    (
        "refusal templates without default",
        """\
        version: 1
        stages:
          input: {rules: []}
          output: {rules: []}
        templates:
          refusal:
            A1: {zh: 甲, en: a}
        """,
        6,
        ("no 'default' entry",),
        ("缺少 'default'",),
    ),
    (
        "threshold out of range",
        """\
        version: 1
        thresholds:
          classifier: 1.5
        stages:
          input: {rules: []}
          output: {rules: []}
        """,
        3,
        ("thresholds.classifier", "1.5"),
        ("数值太大",),
    ),
    (
        "bad severity",
        """\
        version: 1
        stages:
          input: {rules: []}
          output:
            rules:
              - {risks: "*", min_severity: extreme, action: block}
        """,
        6,
        ("'extreme'", "'low', 'medium' or 'high'"),
        ("'low', 'medium' 或 'high'",),
    ),
    (
        "bad fail mode on a stage",
        """\
        version: 1
        stages:
          input: {rules: []}
          output: {rules: []}
          stream_chunk:
            fail: maybe
        """,
        6,
        ("stages.stream_chunk.fail", "'closed' or 'open'"),
        ("取值无效",),
    ),
    ("empty file", "", 1, ("empty",), ("为空",)),
    ("not a mapping", "- a\n- b\n", 1, ("mapping",), ("映射",)),
    (
        "python tag refused",
        "version: !!python/object:os.system 1\nstages: {}\n",
        1,
        ("YAML syntax error",),
        ("YAML",),
    ),
]


@pytest.mark.parametrize(("name", "text", "line", "en_words", "zh_words"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_policy_names_file_and_line(
    name: str, text: str, line: int, en_words: tuple[str, ...], zh_words: tuple[str, ...]
) -> None:
    err = _err(text)
    assert isinstance(err, PolicyError) and isinstance(err, ConfigError)
    assert err.path == "p.yaml"
    assert err.line == line, err.en
    assert str(err).startswith(f"p.yaml:{line}: "), str(err)
    assert err.zh.startswith(f"p.yaml:{line}: ")
    for w in en_words:
        assert w in err.en, (w, err.en)
    for w in zh_words:
        assert w in err.zh, (w, err.zh)
    assert err.exit_code == 2


def test_every_problem_is_reported_in_file_order() -> None:
    err = _err(
        """\
        version: 1
        thresholds:
          classifier: 2
        stages:
          input:
            rules:
              - {risks: A1, action: blok}
          output: {rules: []}
        extra: 1
        """
    )
    assert [p.line for p in err.problems] == [3, 7, 9]
    assert "\np.yaml:7: " in err.en and "\np.yaml:9: " in err.en
    assert "\np.yaml:7: " in err.zh


def test_typo_gives_one_error_not_also_missing() -> None:
    err = _err(
        """\
        version: 1
        stages:
          input:
            rules:
              - {risks: A1, acton: block}
          output: {rules: []}
        """
    )
    assert len(err.problems) == 1
    assert "hint" in err.en and "是否想写 'action'" in err.zh


def test_hint_lists_allowed_keys() -> None:
    err = _err(
        """\
        version: 1
        stages:
          input: {rules: [], mode: x}
          output: {rules: []}
        """
    )
    assert "allowed keys here: fail, required_detectors, rules" in err.en


def test_load_policy_file_names_the_real_path(tmp_path: Path) -> None:
    path = tmp_path / "my-policy.yaml"
    path.write_text(MINIMAL + "  corpus:\n    rules:\n      - {risks: A1, action: nuke}\n", encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert info.value.path == str(path)
    assert str(info.value).startswith(f"{path}:9: ")


def test_load_policy_file_ok(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())  # a BOM is fine
    assert load_policy(path).version == "1"
    assert load_policy(str(path)).version == "1"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as info:
        load_policy(tmp_path / "nope.yaml")
    assert info.value.path == str(tmp_path / "nope.yaml") and info.value.line is None
    assert "cannot read" in info.value.en and "无法读取" in info.value.zh


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(b"version: 1\nname: \xff\xfe\n")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert info.value.line == 2 and "UTF-8" in info.value.en


# ------------------------------------------------------------------------------------------ the model


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("A1.6", "A1.6"),
        ("A.1.f", "A1.6"),
        ("A2", "A2"),
        ("A2.*", "A2"),
        ("A.2", "A2"),
        ("A.2.*", "A2"),
        ("X", "X"),
        ("X.ABUSE.*", "X.ABUSE"),
        ("X.ABUSE.SPAM", "X.ABUSE.SPAM"),
        ("*", "*"),
        (" A1.1 ", "A1.1"),
    ],
)
def test_canonical_pattern(raw: str, canonical: str) -> None:
    assert canonical_pattern(raw) == canonical


@pytest.mark.parametrize("raw", ["A9", "A1.10", "A", "X.ABUSE.NOPE", "a1.1", "", "**", "A1.*.*"])
def test_canonical_pattern_rejects(raw: str) -> None:
    with pytest.raises(Exception, match="unknown risk code"):
        canonical_pattern(raw)


def test_every_model_forbids_extra_keys() -> None:
    models = [
        v for v in vars(policy_model).values()
        if isinstance(v, type) and issubclass(v, BaseModel) and v is not BaseModel
    ]
    assert len(models) >= 8
    for m in models:
        assert m.model_config.get("extra") == "forbid", m


def test_policy_is_frozen() -> None:
    p = load_policy_text(MINIMAL)
    with pytest.raises(ValidationError):
        setattr(p, "fail", "open")  # noqa: B010


def test_model_copy_revalidates() -> None:
    p = load_policy_text(MINIMAL)
    q = p.model_copy(update={"fail": "open"})
    assert q.for_stage("input").fail == "open" and p.for_stage("input").fail == "closed"
    with pytest.raises(ValidationError):
        p.model_copy(update={"fail": "sometimes"})


def test_single_risk_string_and_numeric_version() -> None:
    p = load_policy_text(
        "version: 2025.1\nstages:\n  input:\n    rules:\n      - {risks: A.1.a, action: block}\n  output: {rules: []}\n"
    )
    assert p.version == "2025.1"
    assert p.stages.input.rules is not None and p.stages.input.rules[0].risks == ["A1.1"]


def test_merge_keys_and_anchors_work() -> None:
    p = load_policy_text(
        textwrap.dedent(
            """\
            version: 1
            stages:
              input:
                rules: &shared
                  - {risks: A1, action: block}
              output:
                rules: *shared
              corpus:
                rules:
                  - <<: {risks: A2, action: review}
                    min_severity: high
            """
        )
    )
    assert p.stages.output.rules == p.stages.input.rules
    assert p.stages.corpus is not None and p.stages.corpus.rules is not None
    assert p.stages.corpus.rules[0].min_severity is Severity.HIGH


# ------------------------------------------------------------------------------------- default policy


def test_default_policy_loads_and_validates() -> None:
    p = default_policy()
    assert isinstance(p, Policy)
    assert p is default_policy()  # cached
    assert p.fail == "closed" and p.lang == "zh"
    for stage in Stage:
        settings = p.for_stage(stage)
        assert settings.rules and settings.fail == "closed"
    assert p.for_stage(Stage.STREAM_CHUNK).rules_from is Stage.OUTPUT
    assert p.for_stage(Stage.FILE).rules_from is Stage.INPUT
    rule_ids = [r.id for s in ("input", "output", "corpus") for r in p.for_stage(s).rules]
    assert len(rule_ids) == len(set(rule_ids)), "rule ids must be unique"
    assert load_policy_text(default_policy_text()) == p


def test_default_policy_round_trips() -> None:
    p = default_policy()
    assert load_policy_text(dump_policy_text(p)) == p


def test_import_reads_no_file() -> None:
    code = (
        "import sys\n"
        "opened = []\n"
        "sys.addaudithook(lambda e, a: opened.append(a[0]) if e == 'open' and str(a[0]).endswith('.yaml') else None)\n"
        "import hegui.policy as hp\n"
        "assert not opened, opened\n"
        "assert hp.default_policy.cache_info().currsize == 0\n"
        "hp.default_policy()\n"
        "assert opened, 'the audit hook should see the default policy being read'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


USER_POLICY = """\
version: "7"
name: tenant-a
description: stricter on input, English answers
fail: open
lang: en
thresholds: {"*": 0.2, guard_model: 0.5}
stages:
  input:
    fail: closed
    required_detectors: [lexicon]
    rules:
      - {id: a1, risks: [A1, "A.2.*"], min_severity: medium, action: block, level: high}
      - {id: pii, risks: A4.6, action: redact}
      - {risks: "*", min_score: 0.9, min_count: 2, detectors: [guard_model], action: review}
  output:
    rules:
      - {risks: X.ABUSE.*, action: review}
  stream_chunk:
    fail: closed
templates:
  refusal:
    default: {zh: "不行", en: "No ({codes})."}
    X.JAILBREAK: {zh: "不行{{}}", en: "Nope {stage}"}
  unavailable: {zh: "稍后", en: "Later"}
redaction: {mode: label, mask_char: "#", label: {zh: "【{name}】", en: "<{code}>"}}
"""


def test_user_policy_round_trip() -> None:
    p = load_policy_text(USER_POLICY, "tenant-a.yaml")
    dumped = dump_policy_text(p)
    again = load_policy_text(dumped)
    assert again == p
    assert dump_policy_text(again) == dumped
    assert p.for_stage("input").fail == "closed" and p.for_stage("output").fail == "open"
    assert p.for_stage("stream_chunk").fail == "closed" and p.for_stage("file").fail == "closed"
    assert p.for_stage("file").required_detectors == ("lexicon",)
    assert p.threshold("guard_model") == 0.5 and p.threshold("other") == 0.2
    assert p.stages.input.rules[0].risks == ["A1", "A2"]
    # and it behaves the same after the round trip
    a = Assessment(
        findings=(Finding("lexicon", "A2.4", Severity.MEDIUM, Span(0, 1), "t"),),
        detectors_run=("lexicon",),
    )
    assert decide(a, "input", p) == decide(a, "input", again)
    d = decide(a, "input", again)
    assert d.action is Action.BLOCK and d.replacement == "No (A2.4)."


def test_policy_text_round_trip_preserves_templates_with_braces() -> None:
    p = load_policy_text(USER_POLICY)
    assert p.templates.refusal["X.JAILBREAK"].zh == "不行{{}}"
    a = Assessment(findings=(Finding("g", "X.JAILBREAK", Severity.HIGH, None, "t", 0.95),) * 2,
                   detectors_run=("lexicon", "g"))
    # no rule blocks X.JAILBREAK at input for detector g (the '*' rule is restricted to guard_model)
    assert decide(a, "input", p).action is Action.PASS


# ------------------------------------------------------------------------ parse_yaml_model (any model)


class _Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    enabled: bool = True


class _Outer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[_Inner] = []


class _MyError(ConfigError):
    pass


def test_parse_yaml_model_ok_and_empty() -> None:
    assert parse_yaml_model("items:\n  - name: a\n", "c.yaml", _Outer).items[0].name == "a"
    assert parse_yaml_model("", "c.yaml", _Outer).items == []


@pytest.mark.parametrize(
    ("error", "expected"),
    [(ConfigError, ConfigValidationError), (PolicyError, PolicyValidationError), (_MyError, _MyError)],
)
def test_parse_yaml_model_errors(error: type[ConfigError], expected: type[ConfigError]) -> None:
    with pytest.raises(expected) as info:
        parse_yaml_model("items:\n  - name: a\n    enabeld: false\n", "c.yaml", _Outer, error=error)
    err = info.value
    assert str(err).startswith("c.yaml:3: unknown key 'enabeld'") and "did you mean 'enabled'" in str(err)
    assert err.line == 3 and err.path == "c.yaml"
    assert getattr(err, "problems")[0].line == 3  # noqa: B009


def test_parse_yaml_model_syntax_error() -> None:
    with pytest.raises(ConfigError) as info:
        parse_yaml_model("items:\n  - name: 'a\n", "c.yaml", _Outer)
    assert info.value.line is not None and "YAML syntax error" in info.value.en


def test_recursive_alias_is_an_error() -> None:
    with pytest.raises(ConfigError) as info:
        parse_yaml_model("items: &a\n  - *a\n", "c.yaml", _Outer)
    assert "recursive" in info.value.en

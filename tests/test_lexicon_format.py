"""The word-library file format: parsing, validation errors that name the line, round trips."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from hegui.core.errors import LexiconError
from hegui.core.types import Severity
from hegui.detectors.lexicon.format import (
    dumps,
    load_library,
    merge,
    parse_entry,
    parse_library,
    write_library,
)

HEADER = "# hegui-lexicon 1\n# name: test-lib\n# version: 1.2.3\n# updated: 2026-11-28\n"


def lib_text(*lines: str) -> str:
    return HEADER + "".join(line + "\n" for line in lines)


def test_parse_terms_rules_allow_and_header() -> None:
    lib = parse_library(
        lib_text(
            "# description is a comment after the header",
            "冰毒出售\tA1.8\thigh\tteam-a",
            "口交\tA.1.f\tmedium",  # the standard's alias, no source column
            "香港&独立~历史~书店\tA1.3\tmedium\tteam-b",
            "",
            "路口交通\tallow\t\tteam-c",
            "视频\tremove",
        ),
        "mem.tsv",
    )
    assert (lib.name, lib.version, lib.updated) == ("test-lib", "1.2.3", "2026-11-28")
    assert lib.label == "test-lib@1.2.3"
    assert [e.term for e in lib.entries] == ["冰毒出售", "口交", "香港&独立~历史~书店"]
    first, alias, rule = lib.entries
    assert (first.risk, first.severity, first.source, first.kind, first.line) == (
        "A1.8",
        Severity.HIGH,
        "team-a",
        "term",
        6,
    )
    assert alias.risk == "A1.6" and alias.source == ""
    assert rule.kind == "rule" and rule.parts == ("香港", "独立") and rule.negs == ("历史", "书店")
    assert [a.term for a in lib.allow] == ["路口交通"]
    assert [r.term for r in lib.removals] == ["视频"]
    assert lib.size == 3


def test_extra_header_keys_are_kept() -> None:
    lib = parse_library(HEADER + "# license: MIT\n# description: demo\n口交\tA1.6\tlow\n")
    assert lib.meta == {"license": "MIT", "description": "demo"}


def test_escaped_operators_are_literal() -> None:
    lib = parse_library(lib_text("AT\\&T\tX.ABUSE.SPAM\tlow", "a\\~b&c\tA1.8\tlow"))
    plain, rule = lib.entries
    assert plain.kind == "term" and plain.term == "AT&T"
    assert rule.kind == "rule" and rule.parts == ("a~b", "c")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("冰毒\tA9.9\thigh", "unknown risk code 'A9.9'"),
        ("冰毒\tA1.8\tsevere", "bad severity 'severe'"),
        ("冰毒", "TAB-separated"),
        ("冰毒\tA1.8\thigh\tsrc\textra", "too many columns"),
        ("冰毒&\tA1.8\thigh", "empty part"),
        ("~冰毒\tA1.8\thigh", "empty part"),
        ("a&b\tallow", "plain phrase"),
        ("路口交通\tallow\thigh", "no severity"),
        ("\tA1.8\thigh", "empty term"),
    ],
)
def test_errors_name_the_file_and_line(line: str, message: str) -> None:
    text = lib_text("口交\tA1.6\tmedium", "# a comment", line)
    with pytest.raises(LexiconError) as ei:
        parse_library(text, "user.tsv")
    err = ei.value
    assert err.path == "user.tsv"
    assert err.line == 7  # 4 header lines, then the entries
    assert str(err).startswith("user.tsv:7: ")
    assert message in str(err)
    assert err.zh != err.en and err.zh.startswith("user.tsv:7: ")  # bilingual


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", 1, "empty word library"),
        ("冰毒\tA1.8\thigh\n", 1, "first line must be"),
        ("# hegui-lexicon 2\n", 1, "unsupported format version 2"),
        ("# hegui-lexicon 1\n# name: x\n# version: 1\n冰毒\tA1.8\thigh\n", 3, "lacks '# updated"),
        ("# hegui-lexicon 1\n# name: x\n# version: 1\n# updated: yesterday\n", 4, "must be a date"),
    ],
)
def test_header_errors(text: str, line: int, message: str) -> None:
    with pytest.raises(LexiconError) as ei:
        parse_library(text, "h.tsv")
    assert ei.value.line == line
    assert message in str(ei.value)


def test_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.tsv"
    bad.write_bytes(HEADER.encode() + "口交\tA1.6\tlow\n".encode() + "caf\xe9\tA1.6\tlow\n".encode("latin-1"))
    with pytest.raises(LexiconError) as ei:
        load_library(bad)
    assert ei.value.line == 6 and "UTF-8" in str(ei.value)
    with pytest.raises(LexiconError) as ei:
        load_library(tmp_path / "missing.tsv")
    assert str(tmp_path / "missing.tsv") in str(ei.value)


def test_round_trip_plain_and_gzip(tmp_path: Path) -> None:
    text = lib_text(
        "冰毒出售\tA1.8\thigh\tteam-a",
        "AT\\&T\tX.ABUSE.SPAM\tlow",
        "香港&独立~历史\tA1.3\tmedium\tteam-b",
        "路口交通\tallow\t\tteam-c",
        "视频\tremove",
    )
    lib = parse_library(text, "a.tsv")
    again = parse_library(dumps(lib), "b.tsv")
    assert [(e.term, e.kind, e.risk, e.severity, e.source, e.parts, e.negs) for e in again.entries] == [
        (e.term, e.kind, e.risk, e.severity, e.source, e.parts, e.negs) for e in lib.entries
    ]
    assert [a.term for a in again.allow] == ["路口交通"] and [r.term for r in again.removals] == ["视频"]
    gz = tmp_path / "lib.tsv.gz"
    write_library(lib, gz)
    assert gzip.decompress(gz.read_bytes()).decode().startswith("# hegui-lexicon 1")
    write_library(lib, tmp_path / "again.tsv.gz")
    assert gz.read_bytes() == (tmp_path / "again.tsv.gz").read_bytes()  # deterministic
    assert load_library(gz).size == 3


def test_merge_overrides_and_removes() -> None:
    base = parse_library(lib_text("冰毒\tA1.8\tlow\tbase", "口交\tA1.6\tmedium\tbase", "路口交通\tallow"))
    user = parse_library(
        "# hegui-lexicon 1\n# name: user\n# version: 1\n# updated: 2026-11-28\n"
        "冰毒\tA1.8\thigh\tuser\n口交\tremove\n新词\tA1.8\tmedium\tuser\n"
    )
    entries, allow = merge([base, user])
    assert {(e.term, e.severity, e.source) for e in entries} == {
        ("冰毒", Severity.HIGH, "user"),
        ("新词", Severity.MEDIUM, "user"),
    }
    assert [a.term for a in allow] == ["路口交通"]


def test_parse_entry_for_runtime_additions() -> None:
    e = parse_entry("冰毒", "A.1.h", "HIGH", "console")
    assert (e.risk, e.severity, e.source) == ("A1.8", Severity.HIGH, "console")
    with pytest.raises(LexiconError, match="unknown risk code"):
        parse_entry("冰毒", "nope", "high")

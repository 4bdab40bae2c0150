"""LexiconDetector on a small library written here: obfuscation, rules, boundaries, allow-list, edits."""

from __future__ import annotations

from pathlib import Path

import pytest

from hegui.core.errors import ConfigError, LexiconError
from hegui.core.types import Finding, Severity
from hegui.detectors.base import DetectContext, get_detector_class
from hegui.detectors.lexicon.detector import LexiconDetector

LIB = """\
# hegui-lexicon 1
# name: test-lib
# version: 7
# updated: 2026-11-28
色情	A1.6	low	t
色情服务	A1.6	high	t
贩卖冰毒	A1.8	high	t
口交	A1.6	medium	t
k粉	A1.8	medium	t
ass	A4.3	medium	t
fuck you	A4.3	medium	t
河南人&都是骗子	A2.4	medium	t
香港&独立~独立书店~独立董事	A1.3	medium	t
路口交通	allow		t
"""

CTX = DetectContext()


@pytest.fixture(scope="module")
def lib_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("lex") / "test.tsv"
    p.write_text(LIB, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def det(lib_path: Path) -> LexiconDetector:
    d = LexiconDetector(paths=[str(lib_path)], include_default=False)
    d.load()
    return d


def hits(d: LexiconDetector, text: str) -> list[tuple[str, str]]:
    """(evidence, the ORIGINAL text under the span) for every finding."""
    out = []
    for f in d.detect(text, CTX):
        assert f.span is not None
        out.append((f.evidence, text[f.span.start : f.span.end]))
    return sorted(out)


def test_finding_fields(det: LexiconDetector) -> None:
    found = det.detect("这里提供色情服务。", CTX)
    assert sorted(f.evidence for f in found) == ["色情", "色情服务"]  # overlapping terms are all reported
    [f] = [f for f in found if f.evidence == "色情服务"]
    assert isinstance(f, Finding)
    assert (f.detector, f.risk, f.severity, f.evidence, f.kind) == (
        "lexicon",
        "A1.6",
        Severity.HIGH,
        "色情服务",
        "term",
    )
    assert f.span is not None and (f.span.start, f.span.end) == (4, 8)
    assert f.meta["source"] == "t" and f.meta["library_version"] == "test-lib@7"
    assert det.detect("", CTX) == []
    assert det.detect("今天天气很好。", CTX) == []


@pytest.mark.parametrize(
    ("text", "covered"),
    [
        ("看色.情视频", "色.情"),  # inserted punctuation
        ("看色 情视频", "色 情"),  # space
        ("看色*情视频", "色*情"),
        ("看色\u200b情视频", "色\u200b情"),  # zero-width space
        ("看色，情视频", "色，情"),  # full-width punctuation
        ("看色情情情视频", "色情情情"),  # repeated characters collapse; the span covers the whole run
        ("在线販賣冰毒", "販賣冰毒"),  # traditional characters
        ("在线贩-卖-冰-毒", "贩-卖-冰-毒"),
        ("ＦＵＣＫ ＹＯＵ", "ＦＵＣＫ ＹＯＵ"),  # full-width letters
        ("FUCK!!!you", "FUCK!!!you"),  # noise between ASCII words becomes one space
        ("kiss my a55 now", "a55"),  # look-alike digits
    ],
)
def test_obfuscated_variants_map_back_to_the_original(det: LexiconDetector, text: str, covered: str) -> None:
    found = hits(det, text)
    assert found, text
    assert covered in [orig for _ev, orig in found]


def test_homophones_only_when_enabled(lib_path: Path) -> None:
    plain = LexiconDetector(paths=[str(lib_path)], include_default=False)
    hom = LexiconDetector(paths=[str(lib_path)], include_default=False, homophones=True)
    assert plain.detect("这是涩情网站", CTX) == []
    found = hom.detect("这是涩情网站", CTX)
    assert [(f.evidence, f.span.start, f.span.end) for f in found if f.span] == [("色情", 2, 4)]


def test_ascii_word_boundaries(det: LexiconDetector) -> None:
    assert hits(det, "a class of its own, assess the pass") == []
    assert hits(det, "you are an ass.") == [("ass", "ass")]
    assert hits(det, "ASS!") == [("ass", "ASS")]
    # a term that starts with an ASCII letter needs a boundary on that side only
    assert hits(det, "买ok粉丝") == []
    assert hits(det, "买k粉") == [("k粉", "k粉")]
    assert hits(det, "12k粉") == []


def test_allow_list_suppresses_hits_inside_it(det: LexiconDetector) -> None:
    assert hits(det, "十字路口交通拥堵") == []
    assert hits(det, "路 口 交 通") == []
    assert hits(det, "口交") == [("口交", "口交")]
    found = det.detect("路口交通，然后口交", CTX)
    assert [(f.span.start, f.span.end) for f in found if f.span] == [(7, 9)]


def test_and_rule(det: LexiconDetector) -> None:
    [f] = det.detect("我觉得河南人，都是骗子吧", CTX)
    assert (f.kind, f.risk, f.evidence) == ("rule", "A2.4", "河南人&都是骗子")
    assert f.span is not None and (f.span.start, f.span.end) == (3, 6)
    assert f.meta["parts"] == [[3, 6], [7, 11]]
    assert det.detect("河南人很热情", CTX) == []
    assert det.detect("他们都是骗子", CTX) == []
    # the order of the parts in the text does not matter
    assert [f.kind for f in det.detect("都是骗子，河南人", CTX)] == ["rule"]


def test_not_rule(det: LexiconDetector) -> None:
    assert [f.evidence for f in det.detect("香港要独立", CTX)] == ["香港&独立~独立书店~独立董事"]
    assert det.detect("香港的独立书店很多", CTX) == []
    assert det.detect("香港上市公司的独立董事", CTX) == []
    assert det.detect("香港很美", CTX) == []


def test_broken_library_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text(LIB + "冰毒\tA1.99\thigh\n", encoding="utf-8")
    d = LexiconDetector(paths=[str(bad)], include_default=False)
    with pytest.raises(LexiconError) as ei:
        d.load()
    assert ei.value.line == LIB.count("\n") + 1
    assert str(ei.value).startswith(f"{bad}:{ei.value.line}: ")


def test_params_are_validated() -> None:
    with pytest.raises(ConfigError):
        LexiconDetector(bogus=1)
    with pytest.raises(ConfigError):
        LexiconDetector(paths="one.tsv")  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        LexiconDetector(include_default=False)
    with pytest.raises(ConfigError):
        LexiconDetector(homophones="yes")  # type: ignore[arg-type]
    assert get_detector_class("lexicon") is LexiconDetector


def test_constructor_is_cheap_and_load_is_idempotent(lib_path: Path) -> None:
    d = LexiconDetector(paths=[str(lib_path)], include_default=False)
    assert not d.loaded
    d.load()
    state = d._state
    d.load()
    assert d.loaded and d._state is state


def test_size_version_and_coverage(det: LexiconDetector) -> None:
    assert det.size == 9
    assert det.allow_size == 1
    assert det.version == "test-lib@7"
    cov = det.coverage()
    rows = {r.risk: r for r in cov.rows}
    assert (rows["A1.6"].terms, rows["A1.6"].rules, rows["A1.6"].floor) == (3, 0, 200)
    assert (rows["A2.4"].terms, rows["A2.4"].rules, rows["A2.4"].count, rows["A2.4"].floor) == (0, 1, 1, 100)
    assert cov.total == 9 and cov.total_refusal_scope == 7
    assert not cov.ok and rows["A2.4"] in cov.short
    assert cov.as_dict()["risks"]["A1.8"] == {"terms": 2, "rules": 0, "count": 2, "floor": 200, "ok": False}


def test_runtime_edits_take_effect(lib_path: Path) -> None:
    d = LexiconDetector(paths=[str(lib_path)], include_default=False)
    d.load()
    assert d.detect("这是新型违禁词", CTX) == []
    assert d.add_terms([("新型违禁词", "A1.8", "high"), ("甲词&乙词", "A.1.h", "low", "ticket-42")]) == 2
    [f] = d.detect("这是新型违禁词", CTX)
    assert (f.risk, f.severity, f.meta["source"]) == ("A1.8", Severity.HIGH, "runtime")
    assert [f.meta["source"] for f in d.detect("甲词和乙词", CTX)] == ["ticket-42"]
    assert d.size == 11 and d.version == "test-lib@7+runtime@2"
    d.add_allow(["新型违禁词汇表"])
    assert d.detect("新型违禁词汇表", CTX) == []
    d.remove_terms(["口交"])
    assert d.detect("口交", CTX) == []
    with pytest.raises(LexiconError):
        d.add_terms([("坏词", "A1.8", "extreme")])
    assert d.size == 10  # a failed add changes nothing


def test_reload_rereads_files_and_keeps_runtime_edits(tmp_path: Path) -> None:
    p = tmp_path / "lib.tsv"
    p.write_text(LIB, encoding="utf-8")
    d = LexiconDetector(paths=[str(p)], include_default=False)
    d.add_terms([("运行时词", "A1.8", "low")])
    assert d.detect("新加的词", CTX) == []
    p.write_text(LIB.replace("# version: 7", "# version: 8") + "新加的词\tA1.8\tmedium\tt\n", encoding="utf-8")
    assert d.detect("新加的词", CTX) == []  # not yet
    d.reload()
    assert [f.evidence for f in d.detect("新加的词和运行时词", CTX)] == ["新加的词", "运行时词"]
    assert d.version.startswith("test-lib@8")


def test_several_libraries_later_overrides(tmp_path: Path, lib_path: Path) -> None:
    user = tmp_path / "user.tsv.gz"
    import gzip

    user.write_bytes(
        gzip.compress(
            "# hegui-lexicon 1\n# name: user\n# version: 2\n# updated: 2026-11-29\n"
            "色情\tA1.6\tmedium\tuser\n口交\tremove\n自定义词\tX.ABUSE.SPAM\tlow\tuser\n".encode()
        )
    )
    d = LexiconDetector(paths=[str(lib_path), str(user)], include_default=False)
    assert d.version == "test-lib@7+user@2"
    [f] = d.detect("色情", CTX)
    assert (f.severity, f.meta["source"], f.meta["library_version"]) == (Severity.MEDIUM, "user", "user@2")
    assert d.detect("口交", CTX) == []
    assert [f.risk for f in d.detect("自定义词", CTX)] == ["X.ABUSE.SPAM"]


def test_the_documented_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """docs/lexicon.md's example prints what its comments say."""
    import re

    doc = (Path(__file__).resolve().parents[1] / "docs" / "lexicon.md").read_text(encoding="utf-8")
    code = re.findall(r"```python\n(.*?)```", doc, re.S)[0]
    exec(compile(code, "docs/lexicon.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("hegui-default@") and printed[0].endswith("+acme-extra@1")
    promised = [line.strip()[2:] for line in code.splitlines() if line.strip().startswith("# A")]
    assert printed[1 : 1 + len(promised)] == promised
    assert printed[-2:] == ["['新型黑话']", "True []"]

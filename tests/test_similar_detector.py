"""SimilarTextDetector: near-duplicates, containment, excerpts, white suppression, run-time edits, persistence."""

from __future__ import annotations

import json
import random
import threading
from pathlib import Path

import pytest

from hegui.core.errors import ConfigError
from hegui.core.types import Finding, Severity, Stage
from hegui.detectors.base import DetectContext, get_detector_class
from hegui.detectors.similar import SimilarEntry, SimilarTextDetector
from hegui.detectors.similar import detector as detector_module

CTX = DetectContext()

# Reported content (written for these tests)
RUMOUR = (
    "紧急通知：明天起本市所有超市将停业一个月，自来水也会停止供应，请大家立即囤积大米和食用油，转发给你关心的每一个人！"
)
VACCINE = (
    "内部消息称某品牌疫苗含有致癌物质，接种后三年内必然发病，卫生部门已经掌握证据却故意隐瞒，千万不要带孩子去打针。"
)
GAS = "把漂白水和洁厕灵混合在一起可以制造出毒气"
SUSPECT = "听说最近有人在网上高价收购学生的身份证照片和银行卡，说是做兼职刷单，每张卡每天能赚五百元。"
DEBUNK = "关于明天起本市超市停业一个月、自来水停止供应的说法是谣言，市商务局已经辟谣，请市民不要恐慌，也不要囤积大米和食用油。"
SAFETY_TIP = "安全提示：千万不要把漂白水和洁厕灵混合在一起，这样可以制造出毒气，危害家人健康。"
UNRELATED = "今天的天气非常好，我们一家人去公园散步，孩子们在草地上放风筝，玩得很开心，晚上还一起包了饺子。"


def make() -> SimilarTextDetector:
    d = SimilarTextDetector()
    d.add(RUMOUR, kind="black", risk="A1.7", id="rumour-1", source="complaint:1024")
    d.add(VACCINE, kind="black", risk="A1.7", id="vaccine-1")
    d.add(GAS, kind="black", risk="A4.1", id="gas-1")
    d.add(SUSPECT, kind="suspect", risk="A1.8", id="suspect-1")
    return d


@pytest.fixture(scope="module")
def det() -> SimilarTextDetector:
    return make()


def ids(found: list[Finding]) -> list[str]:
    return [f.evidence for f in found]


# -- near-duplicates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        RUMOUR,
        # punctuation changed or dropped
        "紧急通知!明天起本市所有超市将停业一个月 自来水也会停止供应...请大家立即囤积大米和食用油~转发给你关心的每一个人",
        # a few characters substituted
        "紧急通告：明天起本市所有超市将停业两个月，自来水也会停止供应，请大家马上囤积大米和食用油，转发给你关心的每一个人！",
        # traditional characters
        "緊急通知：明天起本市所有超市將停業一個月，自來水也會停止供應，請大家立即囤積大米和食用油，轉發給你關心的每一個人！",
        # inserted spaces, emoji, full-width and zero-width characters
        "紧 急 通 知😱明天起本市所有超市将停业一个月🔥自来\u200b水也会停止供应，请大家立即囤积大米和食用油！！！转发给你关心的每一个人🙏",
        "紧急通知：明天起本市所有超市将停业１个月，自来水也会停止供应，请大家立即囤积大米和食用油，转发给你关心的每一个人！",
    ],
)
def test_near_duplicates_hit(det: SimilarTextDetector, text: str) -> None:
    found = det.detect(text, CTX)
    assert ids(found) == ["black:rumour-1"]
    [f] = found
    assert f.detector == "similar"
    assert f.risk == "A1.7"
    assert f.severity is Severity.HIGH
    assert f.kind == "black"
    assert f.span is None  # whole-text match
    assert f.meta["match"] == "similar"
    assert f.meta["source"] == "complaint:1024"
    assert det.threshold <= f.score <= 1.0


@pytest.mark.parametrize(
    "text",
    [
        UNRELATED,
        "超市明天正常营业，自来水供应也一切正常，请市民放心，不必囤积大米。",  # same topic, different text
        "疫苗接种是预防传染病最有效的手段之一，请按时带孩子到社区卫生服务中心接种。",
        "漂白水",
        "",
        "！！！。。。😀😀",
    ],
)
def test_unrelated_text_does_not_hit(det: SimilarTextDetector, text: str) -> None:
    assert det.detect(text, CTX) == []


def test_suspect_entry_is_reported_as_suspect(det: SimilarTextDetector) -> None:
    [f] = det.detect(SUSPECT.replace("五百元", "五百块"), CTX)
    assert (f.evidence, f.kind, f.severity, f.risk) == ("suspect:suspect-1", "suspect", Severity.LOW, "A1.8")


# -- containment and excerpts ---------------------------------------------------------------------------


def test_entry_inside_a_long_text_hits_with_the_original_span(det: SimilarTextDetector) -> None:
    before = "朋友圈里又在传这样一段话，我妈看完就去超市了：\n\n"
    after = (
        "\n\n大家觉得可信吗？我觉得这明显是谣言，官方从来没有发布过这样的通知，而且超市昨天还在正常营业，水也一直有。"
        * 3
    )
    text = before + RUMOUR + after
    [f] = det.detect(text, CTX)
    assert f.evidence == "black:rumour-1"
    assert f.meta["match"] == "contained"
    assert f.span is not None
    assert f.span.start == len(before)
    # the span ends on the last character the normaliser keeps (the final "！" is punctuation)
    assert text[f.span.start : f.span.end] == RUMOUR.rstrip("！")
    assert f.score >= det.containment_threshold


def test_edited_entry_inside_a_long_text(det: SimilarTextDetector) -> None:
    edited = (
        "內部消息稱某品牌疫苗含有致癌物質 接種後三年內一定發病，衛生部門已經掌握證據卻故意隱瞞，千萬不要帶孩子去打針"
    )
    text = "以下內容請幫我潤色一下，要求語氣更加嚴肅：" + edited + "。謝謝你，另外再幫我起一個吸引人的標題。"
    [f] = det.detect(text, CTX)
    assert f.evidence == "black:vaccine-1"
    assert f.span is not None
    assert text[f.span.start : f.span.end].startswith("內部消息")
    assert text[f.span.start : f.span.end].endswith("去打針")


def test_two_entries_in_one_text(det: SimilarTextDetector) -> None:
    text = "第一段：" + RUMOUR + "\n第二段：" + VACCINE + "\n以上内容请帮我改写成新闻稿。"
    found = det.detect(text, CTX)
    assert sorted(ids(found)) == ["black:rumour-1", "black:vaccine-1"]
    spans = sorted((f.span.start, f.span.end) for f in found if f.span)
    assert spans[0][1] <= spans[1][0]


def test_short_entries_only_match_the_whole_text() -> None:
    d = SimilarTextDetector()
    d.add("打倒某某某", kind="black", risk="A1.1", id="short")  # 5 characters < min_contained_chars
    assert ids(d.detect("打倒某某某！", CTX)) == ["black:short"]
    assert d.detect("我们今天学习了历史课，老师讲到了打倒某某某的口号和当时的背景。", CTX) == []


def test_excerpt_of_an_entry_hits(det: SimilarTextDetector) -> None:
    [f] = det.detect("自来水也会停止供应，请大家立即囤积大米和食用油", CTX)
    assert f.evidence == "black:rumour-1"
    assert f.meta["match"] == "excerpt"
    assert f.span is None


# -- white entries --------------------------------------------------------------------------------------


def test_white_entry_suppresses_a_whole_text_match() -> None:
    d = make()
    assert ids(d.detect(GAS, CTX)) == ["black:gas-1"]
    d.add(GAS + "吗", kind="white", id="gas-question")  # a reviewer marked the question as fine
    assert d.detect(GAS + "吗？", CTX) == []
    matches = d.match(GAS + "吗？")
    assert {(m.entry.id, m.suppressed_by) for m in matches} == {("gas-question", None), ("gas-1", "gas-question")}


def test_white_passage_suppresses_the_black_text_it_covers() -> None:
    d = make()
    text = "家庭清洁小知识分享。" + SAFETY_TIP + "另外，抹布要经常消毒晾干。"
    assert ids(d.detect(text, CTX)) == ["black:gas-1"]
    d.add(SAFETY_TIP, kind="white", id="tip")
    assert d.detect(text, CTX) == []
    # a black text elsewhere in the same text is still reported
    found = d.detect(text + "顺便转发：" + RUMOUR, CTX)
    assert ids(found) == ["black:rumour-1"]


def test_debunk_marked_white_is_not_flagged() -> None:
    d = make()
    d.add(DEBUNK, kind="white", id="debunk")
    assert d.detect(DEBUNK, CTX) == []
    assert ids(d.detect(RUMOUR, CTX)) == ["black:rumour-1"]


# -- run-time edits -------------------------------------------------------------------------------------


def test_add_and_remove_take_effect_at_once() -> None:
    d = SimilarTextDetector()
    assert d.size == 0
    assert d.detect(RUMOUR, CTX) == []
    eid = d.add(RUMOUR, risk="A1.7")  # kind defaults to black
    assert eid.startswith("black-")
    assert d.size == 1
    assert ids(d.detect(RUMOUR, CTX)) == [f"black:{eid}"]
    assert d.add(RUMOUR.replace("，", ","), risk="A1.7") == eid  # same normalised text: the same entry
    assert d.size == 1
    assert d.get(eid) is not None
    assert d.remove(eid) is True
    assert d.remove(eid) is False
    assert d.get(eid) is None
    assert d.detect(RUMOUR, CTX) == []
    assert d.size == 0


def test_explicit_duplicate_id_is_an_error() -> None:
    d = make()
    with pytest.raises(ConfigError, match="already in the library"):
        d.add(UNRELATED, risk="A1.7", id="rumour-1")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "grey", "risk": "A1.7"}, "kind"),
        ({"kind": "black"}, "needs a 'risk'"),
        ({"kind": "black", "risk": "A9.9"}, "unknown risk code"),
        ({"kind": "black", "risk": "A1.7", "severity": "urgent"}, "severity"),
        ({"kind": "black", "risk": "A1.7", "added": "yesterday"}, "ISO 8601"),
        ({"kind": "black", "risk": "A1.7", "id": " x"}, "'id'"),
    ],
)
def test_invalid_entries_are_rejected(kwargs: dict[str, str], message: str) -> None:
    d = SimilarTextDetector()
    with pytest.raises(ConfigError, match=message):
        d.add(RUMOUR, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="empty"):
        d.add("，。！？", risk="A1.7")
    assert d.size == 0


def test_add_many_is_all_or_nothing() -> None:
    d = SimilarTextDetector()
    with pytest.raises(ConfigError, match="<add>:2"):
        d.add_many([{"text": RUMOUR, "kind": "black", "risk": "A1.7"}, {"text": VACCINE, "kind": "black"}])
    assert d.size == 0
    got = d.add_many([SimilarEntry("", RUMOUR, "black", "A1.7", Severity.MEDIUM), {"text": GAS, "kind": "white"}])
    assert len(got) == 2
    assert [e.kind for e in d.entries()] == ["black", "white"]
    assert d.entries("white")[0].risk is None
    assert d.get(got[0]) is not None and d.get(got[0]).severity is Severity.MEDIUM  # type: ignore[union-attr]


def _random_text(rng: random.Random, n: int) -> str:
    return "".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(n))


def test_concurrent_detect_during_edits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Readers in other threads never fail and always see a whole library: the probe entry is found exactly
    while it is in, and the entries added around it never produce half-built results."""
    monkeypatch.setattr(detector_module, "DELTA_MAX_POSTINGS", 1500)  # merge into the main segment often
    d = SimilarTextDetector()
    rng = random.Random(7)
    d.add_many([{"text": _random_text(rng, 40), "kind": "black", "risk": "A1.8"} for _ in range(500)])
    stop = threading.Event()
    errors: list[BaseException] = []
    seen: list[int] = []

    def reader() -> None:
        try:
            while not stop.is_set():
                found = d.detect("转给大家看看：" + RUMOUR, CTX)
                assert all(f.evidence == "black:probe" for f in found), found
                seen.append(len(found))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for round_ in range(8):
            d.add(RUMOUR, risk="A1.7", id="probe")
            assert ids(d.detect(RUMOUR, CTX)) == ["black:probe"]  # at once, in this thread
            for _ in range(50):
                d.add(_random_text(rng, 40), risk="A1.8")
            assert d.remove("probe")
            assert d.detect(RUMOUR, CTX) == []
            assert d.size == 500 + 50 * (round_ + 1)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors[0]
    assert 0 in seen and 1 in seen


def test_removals_compact_the_index() -> None:
    rng = random.Random(3)
    texts = [_random_text(rng, 60) for _ in range(200)]
    d = SimilarTextDetector()
    got = d.add_many([{"text": t, "kind": "black", "risk": "A1.8"} for t in texts])
    before = d.index_stats()
    for eid in got[:150]:
        d.remove(eid)
    after = d.index_stats()
    assert after["entries"] == 50
    assert after["main_postings"] + after["delta_postings"] < before["main_postings"] + before["delta_postings"]
    assert after["forward_keys"] < before["forward_keys"]
    for i in (0, 149):
        assert d.detect(texts[i], CTX) == []
    for i in (150, 199):
        assert ids(d.detect(texts[i], CTX)) == [f"black:{got[i]}"]


def test_a_larger_library_builds_and_matches() -> None:
    rng = random.Random(1)
    texts = [_random_text(rng, rng.randint(20, 120)) for _ in range(5000)]
    d = SimilarTextDetector()
    got = d.add_many([{"text": t, "kind": "black", "risk": "A1.8", "id": f"e{i}"} for i, t in enumerate(texts)])
    assert got[:3] == ["e0", "e1", "e2"] and d.size == 5000
    stats = d.index_stats()
    assert stats["entries"] == 5000 and stats["main_postings"] > 0
    for i in rng.sample(range(5000), 40):
        t = texts[i]
        chars = list(t)
        chars[len(chars) // 2] = "的"  # one substitution
        text = "请看这段话：" + "".join(chars) + "。以上是原文。"
        assert f"black:e{i}" in ids(d.detect(text, CTX))
    assert d.detect(_random_text(rng, 200), CTX) == []


# -- persistence ----------------------------------------------------------------------------------------


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    d = make()
    d.add(DEBUNK, kind="white", id="debunk", note="辟谣稿")
    path = tmp_path / "lib" / "similar.jsonl"
    assert d.save(path) == 5
    lines = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0]) == {"format": "hegui-similar/1"}
    assert json.loads(lines[1])["text"] == RUMOUR  # UTF-8, not escaped
    assert path.stat().st_mode & 0o777 == 0o600  # libraries hold reported content
    again = SimilarTextDetector(paths=[str(path)])
    again.load()
    assert again.entries() == d.entries()
    assert ids(again.detect(RUMOUR, CTX)) == ["black:rumour-1"]
    assert again.detect(DEBUNK, CTX) == []


def test_registry_and_config_params(tmp_path: Path) -> None:
    path = tmp_path / "lib.jsonl"
    path.write_text(
        '{"format": "hegui-similar/1"}\n'
        "# reviewed 2026-01-05\n"
        "\n"
        + json.dumps(
            {"id": "r1", "kind": "black", "text": RUMOUR, "risk": "A.1.g", "severity": "medium"}, ensure_ascii=False
        )
        + "\n",
        encoding="utf-8",
    )
    cls = get_detector_class("similar")
    assert cls is SimilarTextDetector
    d = cls(paths=[str(path)], threshold=0.7, containment_threshold=0.8)
    [f] = d.detect(RUMOUR, CTX)  # loads on first use
    assert (f.risk, f.severity) == ("A1.7", Severity.MEDIUM)  # the standard's code is accepted
    assert d.size == 1


def _write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("lines", "line", "message"),
    [
        (
            ['{"text": "正常的一句话，用来占位", "kind": "white"}', '{"text": "x", "kind": "black", "risk": "A1.7"'],
            2,
            "not valid JSON",
        ),
        (['["a list"]'], 1, "JSON object"),
        (['{"text": "一段文字一段文字", "kind": "black"}'], 1, "risk"),
        (['{"text": "一段文字一段文字", "kind": "black", "risk": "A1.7", "colour": "red"}'], 1, "unknown field"),
        (['{"text": "", "kind": "white"}'], 1, "'text'"),
        (['{"text": "一段文字一段文字", "kind": "white"}', '{"format": "hegui-similar/1"}'], 2, "header"),
        (
            [
                '{"id": "a", "text": "一段文字一段文字", "kind": "white"}',
                '{"id": "a", "text": "另一段文字另一段", "kind": "white"}',
            ],
            2,
            "duplicate id",
        ),
    ],
)
def test_a_broken_line_names_file_and_line(tmp_path: Path, lines: list[str], line: int, message: str) -> None:
    path = _write(tmp_path / "bad.jsonl", *lines)
    d = SimilarTextDetector(paths=[str(path)])
    with pytest.raises(ConfigError, match=message) as exc:
        d.load()
    assert exc.value.path == str(path)
    assert exc.value.line == line
    assert f"{path}:{line}:" in str(exc.value)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read") as exc:
        SimilarTextDetector(paths=[str(tmp_path / "missing.jsonl")]).load()
    assert exc.value.path == str(tmp_path / "missing.jsonl")
    bad = tmp_path / "latin1.jsonl"
    bad.write_bytes('{"text": "caf\u00e9 caf\u00e9 caf\u00e9", "kind": "white"}\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match="UTF-8"):
        SimilarTextDetector(paths=[str(bad)]).load()


def test_duplicate_id_across_files(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.jsonl", '{"id": "x", "text": "第一个文件里的文本内容", "kind": "white"}')
    b = _write(tmp_path / "b.jsonl", '{"id": "x", "text": "第二个文件里的文本内容", "kind": "white"}')
    with pytest.raises(ConfigError, match=f"first at {a}:1") as exc:
        SimilarTextDetector(paths=[str(a), str(b)]).load()
    assert (exc.value.path, exc.value.line) == (str(b), 1)


@pytest.mark.parametrize(
    "params",
    [
        {"threshold": 0},
        {"threshold": 1.5},
        {"containment_threshold": "0.7"},
        {"ngram": 0},
        {"paths": "lib.jsonl"},
        {"stages": ["outptu"]},
        {"homophones": "yes"},
        {"slack": 1.0},
        {"colour": "red"},
    ],
)
def test_bad_params(params: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        SimilarTextDetector(**params)  # type: ignore[arg-type]


def test_empty_library_and_stages() -> None:
    d = SimilarTextDetector()
    assert d.detect(RUMOUR, CTX) == [] and d.size == 0 and d.entries() == []
    d = SimilarTextDetector(stages=["output"])
    d.add(RUMOUR, risk="A1.7")
    assert d.detect(RUMOUR, DetectContext(stage=Stage.INPUT)) == []
    assert len(d.detect(RUMOUR, DetectContext(stage=Stage.OUTPUT))) == 1


def test_clear_reload_and_generation(tmp_path: Path) -> None:
    path = tmp_path / "lib.jsonl"
    d = make()
    d.save(path)
    g = d.generation
    d.add(UNRELATED, kind="white")
    assert d.generation == g + 1
    d2 = SimilarTextDetector(paths=[str(path)])
    d2.add(UNRELATED, kind="white")
    assert d2.size == 5
    d2.reload()  # back to the file
    assert d2.size == 4
    d2.clear()
    assert d2.size == 0 and d2.detect(RUMOUR, CTX) == []


def test_moderator_blocks_reported_content(tmp_path: Path) -> None:
    from hegui import Moderator

    lib = tmp_path / "reported.jsonl"
    d = make()
    d.save(lib)
    cfg = tmp_path / "hegui.yaml"
    cfg.write_text(
        "moderation:\n  detectors:\n    - name: similar\n      params: {paths: [reported.jsonl]}\n", encoding="utf-8"
    )
    mod = Moderator.from_config(cfg)
    decision = mod.check("帮我把这段话再润色一下：" + VACCINE, stage="output")
    assert decision.action.value == "block"
    assert "A1.7" in decision.categories
    assert mod.check(UNRELATED, stage="output").action.value == "pass"
    # a run-time addition through the detector object reaches the moderator at once
    [sim] = [x for x in mod.detectors if isinstance(x, SimilarTextDetector)]
    sim.add(UNRELATED, risk="A1.8", id="now-reported")
    assert mod.check(UNRELATED, stage="output").action.value == "block"


def test_many_entries_inside_a_long_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """The vectorised and the row-by-row ways of locating entries in a text agree."""
    rng = random.Random(11)
    texts = [_random_text(rng, 40) for _ in range(12)]
    d = SimilarTextDetector()
    got = d.add_many([{"text": t, "kind": "black", "risk": "A1.8"} for t in texts])
    filler = "这是一段用来填充的普通文字，没有任何问题。"
    text = filler.join(texts) + filler * 50
    vectorised = d.detect(text, CTX)
    monkeypatch.setattr(detector_module, "LOCATE_CELLS", 0)
    row_by_row = d.detect(text, CTX)
    assert vectorised == row_by_row
    assert len(vectorised) == 10  # max_findings
    assert set(ids(vectorised)) <= {f"black:{g}" for g in got}
    assert len(d.match(text)) == 12
    for f in vectorised:
        assert f.span is not None and text[f.span.start : f.span.end] in texts


def test_batch_hashing_matches_one_entry_at_a_time() -> None:
    """add_many hashes a whole batch at once; it gives every entry what hashing it alone gives."""
    from hegui.detectors.similar.hashing import codes_of, gram_hashes, high32, sorted_unique

    rng = random.Random(2)
    texts = [_random_text(rng, n) for n in (1, 2, 3, 4, 30, 200)] + ["哈哈哈哈哈哈", "ab", RUMOUR, GAS]
    d = SimilarTextDetector(sketch_size=8)
    got = d.add_many([{"text": t, "kind": "black", "risk": "A1.8"} for t in texts])
    st = d._st()
    postings = [seg.expanded() for seg in (st.main, st.delta)]
    for slot, t in enumerate(texts):
        sketch = sorted(int(k) for keys, slots, _ in postings for k in keys[slots == slot])
        assert st.entries[slot] is not None and st.entries[slot].id == got[slot]  # type: ignore[union-attr]
        g = sorted_unique(gram_hashes(codes_of(d._normalizer.normalize(t).text), 3))
        assert st.grams[slot] == len(g)
        assert st.sketch[slot] == min(8, len(g))
        assert sketch == [int(x) for x in g[:8]]  # bottom-k
        assert list(st.fwd_delta.row(slot) if slot >= st.fwd_delta.base else st.fwd_main.row(slot)) == list(
            sorted_unique(high32(g))
        )
        assert ids(d.detect(t, CTX)) == [f"black:{got[slot]}"]


def test_homophones_option() -> None:
    entry = "这个网站提供色情服务和赌博链接，充值一百元就能进入会员专区观看"
    variant = "这个网站提供涩情服务和赌搏链接，充值一百元就能进入会员专区观看"
    plain = SimilarTextDetector()
    plain.add(entry, risk="A1.6", id="x")
    folded = SimilarTextDetector(homophones=True)
    folded.add(entry, risk="A1.6", id="x")
    assert plain.match(variant)[0].score < folded.match(variant)[0].score == 1.0

"""ProtectedWorksDetector: long verbatim and near-verbatim copies of protected works in outputs."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from hegui.core.errors import ConfigError
from hegui.core.types import Severity, Stage
from hegui.detectors.base import DetectContext, get_detector_class
from hegui.detectors.similar import ProtectedWork, ProtectedWorksDetector

OUT = DetectContext(stage=Stage.OUTPUT)

# A "licensed work" and a "trade secret", both written for these tests.
WORK = (
    "那年冬天，父亲在县城的车站送我去省城读书。站台上的风很大，他把自己的旧棉袄裹在我身上，又从口袋里掏出一个用手帕包着的鸡蛋，"
    "说路上饿了就吃。火车开动的时候，我看见他站在人群后面，一边挥手一边往前走，走着走着就跑了起来，直到站台的尽头才停下。"
    "后来我才知道，那天他是走了四十里山路赶到车站的，回去的时候天已经黑透了，他在山口摔了一跤，膝盖上的伤过了一个多月才好。"
    "这些事他从来没有跟我提起过，是母亲在电话里无意中说出来的。那天晚上，我在宿舍的走廊里站了很久，窗外的雪下得很安静。"
)
SECRET = (
    "星河科技二〇二六年第三季度定价策略（内部绝密）：旗舰型号出厂价下调百分之十二，经销商返点由百分之八提高到百分之十一，"
    "华东区先行试点，九月十五日前不得对外透露任何调整信息，违者按保密协议追究责任。"
)
FILLER = (
    "当然可以。下面是根据你的要求整理的内容，希望对你有所帮助。如果还需要调整语气、篇幅或者结构，请随时告诉我，"
    "我会继续修改。写作时要注意细节的真实和情感的克制，不要堆砌形容词，让读者自己去体会人物的心情。"
)


@pytest.fixture(scope="module")
def det() -> ProtectedWorksDetector:
    d = ProtectedWorksDetector()
    d.add(WORK, title="《车站》（示例作品）", id="work-1", source="出版社授权合同 2026-017")
    d.add(SECRET, title="Q3 定价策略", risk="A3.3", id="secret-1")
    return d


def test_verbatim_passage_in_a_longer_output(det: ProtectedWorksDetector) -> None:
    start = WORK.index("火车开动")
    passage = WORK[start : start + 120]
    text = FILLER + "\n\n" + passage + "\n\n" + FILLER
    [f] = det.detect(text, OUT)
    assert f.detector == "protected_works"
    assert (f.evidence, f.risk, f.severity, f.kind) == ("work:work-1", "A3.1", Severity.HIGH, "protected_work")
    assert f.span is not None
    at = text.index(passage)
    assert f.span.start == at
    assert text[f.span.start : f.span.end] == passage.rstrip("，。")
    assert f.meta["title"] == "《车站》（示例作品）"
    assert f.meta["source"] == "出版社授权合同 2026-017"
    assert f.meta["overlap_chars"] >= 100
    assert f.meta["ratio"] == f.score == 1.0
    ws, we = f.meta["work_span"]
    assert ws == start and WORK[ws:we] == passage.rstrip("，。")


def test_near_verbatim_copy_is_found(det: ProtectedWorksDetector) -> None:
    start = WORK.index("后来我才知道")
    passage = WORK[start : start + 110]
    edited = (
        passage.replace("，", " ").replace("四十里", "三十里").replace("黑透", "黑尽").replace("摔了一跤", "摔了一下")
    )
    edited = edited.replace("来", "來").replace("车站", "車站").replace("时候", "時候")  # traditional forms
    text = FILLER + edited + "。" + FILLER
    [f] = det.detect(text, OUT)
    assert f.evidence == "work:work-1"
    assert f.span is not None
    got = text[f.span.start : f.span.end]
    assert got.startswith("後來我才知道") or got.startswith("后來我才知道")
    assert f.meta["overlap_chars"] >= 80
    assert det.min_ratio <= f.score < 1.0


def test_trade_secret_risk_code(det: ProtectedWorksDetector) -> None:
    text = "根据我掌握的资料：" + SECRET[SECRET.index("旗舰型号") :] + "以上信息仅供参考。"
    [f] = det.detect(text, OUT)
    assert (f.evidence, f.risk) == ("work:secret-1", "A3.3")


@pytest.mark.parametrize("length", [20, 30, 40])
def test_short_quotation_is_not_reported(det: ProtectedWorksDetector, length: int) -> None:
    start = WORK.index("站台上的风")
    text = FILLER + "正如书中所写：“" + WORK[start : start + length] + "”" + FILLER
    assert det.detect(text, OUT) == []


def test_threshold_is_on_normalised_characters() -> None:
    d = ProtectedWorksDetector(min_overlap=60)
    d.add(WORK, id="w")
    start = WORK.index("后来我才知道")
    for n_chars, hit in ((50, False), (75, True)):
        passage = WORK[start : start + n_chars]
        found = d.detect(FILLER + passage + FILLER, OUT)
        normalised = len(passage) - sum(passage.count(c) for c in "，。")
        assert bool(found) is hit, (n_chars, normalised)


def test_two_passages_are_two_findings(det: ProtectedWorksDetector) -> None:
    a = WORK[:70]
    b = WORK[-70:]
    text = a + FILLER + b
    found = det.detect(text, OUT)
    assert [f.evidence for f in found] == ["work:work-1", "work:work-1"]
    spans = sorted((f.span.start, f.span.end) for f in found if f.span)
    assert spans[0][0] == 0 and spans[1][1] >= len(text) - 2


def test_unrelated_output_and_stages(det: ProtectedWorksDetector) -> None:
    assert det.detect(FILLER * 5, OUT) == []
    assert det.detect("", OUT) == []
    # a user quoting a work in a prompt is not the provider reproducing it: input is not checked by default
    assert det.detect(WORK, DetectContext(stage=Stage.INPUT)) == []
    assert det.detect(WORK, DetectContext(stage=Stage.CORPUS)) != []
    everywhere = ProtectedWorksDetector(stages=["input", "output"])
    everywhere.add(WORK)
    assert everywhere.detect(WORK, DetectContext(stage=Stage.INPUT)) != []


def test_long_output_with_a_copy_in_the_middle() -> None:
    rng = random.Random(5)
    works = ["".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(10_000)) for _ in range(30)]
    d = ProtectedWorksDetector()
    ids = d.add_many([{"text": w, "title": f"作品{i}"} for i, w in enumerate(works)])
    assert d.size == 30
    passage = works[17][5000:5200]
    text = FILLER * 10 + passage + FILLER * 10
    [f] = d.detect(text, OUT)
    assert f.evidence == f"work:{ids[17]}"
    assert f.span is not None and text[f.span.start : f.span.end] == passage
    assert tuple(f.meta["work_span"]) == (5000, 5200)


def test_add_remove_save_load(tmp_path: Path) -> None:
    d = ProtectedWorksDetector()
    wid = d.add(SECRET, title="Q3", risk="A3.3", note="法务部 2026-08")
    assert d.detect(SECRET, OUT) != []
    assert d.add(SECRET.replace("，", ","), risk="A3.3") == wid  # same normalised text: the same work
    path = tmp_path / "works.jsonl"
    d.add(WORK, id="work-1")
    assert d.save(path) == 2
    lines = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0]) == {"format": "hegui-protected/1"}
    again = get_detector_class("protected_works")(paths=[str(path)])
    assert isinstance(again, ProtectedWorksDetector)
    again.load()
    assert again.works() == d.works()
    assert again.get("work-1") is not None
    assert d.remove(wid) and not d.remove(wid)
    assert d.detect(SECRET, OUT) == []
    assert [w.id for w in d.entries()] == ["work-1"]
    again.clear()
    assert again.size == 0 and again.detect(WORK, OUT) == []


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"title": "x", "text": "' + WORK + '", "risk": "A1.1"}', "A3.1"),
        ('{"title": "x", "text": "太短了"}', "min_overlap"),
        ('{"title": "x", "text": "' + WORK + '", "pages": 3}', "unknown field"),
        ('{"title": "x", "text": "' + WORK + '"', "not valid JSON"),
    ],
)
def test_broken_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "works.jsonl"
    path.write_text('{"format": "hegui-protected/1"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as exc:
        ProtectedWorksDetector(paths=[str(path)]).load()
    assert (exc.value.path, exc.value.line) == (str(path), 2)


@pytest.mark.parametrize(
    "params",
    [
        {"min_overlap": 20, "k": 8, "window": 16},  # window + k - 1 > min_overlap
        {"verify_k": 9, "k": 8},
        {"min_ratio": 0},
        {"stages": "output"},
        {"paths": [1]},
    ],
)
def test_bad_params(params: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        ProtectedWorksDetector(**params)  # type: ignore[arg-type]


def test_work_objects_are_accepted() -> None:
    d = ProtectedWorksDetector()
    [wid] = d.add_many([ProtectedWork("", "题目", WORK, "A3.1", Severity.MEDIUM)])
    [f] = d.detect(WORK[:100], OUT)
    assert f.severity is Severity.MEDIUM and f.evidence == f"work:{wid}"

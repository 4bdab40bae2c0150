"""The shipped default library: benign text stays clean, real violations are caught, floors are met."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from hegui.core.taxonomy import RISKS
from hegui.core.types import Severity
from hegui.detectors.base import DetectContext
from hegui.detectors.lexicon.detector import LexiconDetector, default_library_path
from hegui.detectors.lexicon.format import load_library

CTX = DetectContext()
SHARED = Path(__file__).resolve().parents[2] / "shared"
DATA = SHARED / "data"


@pytest.fixture(scope="module")
def det() -> LexiconDetector:
    d = LexiconDetector()
    d.load()
    return d


def findings(d: LexiconDetector, text: str) -> list[tuple[str, str, str]]:
    return sorted((f.evidence, f.risk, f.severity.value) for f in d.detect(text, CTX))


# The seed document of this project was once run through a naive filter that masked these.
@pytest.mark.parametrize(
    "text",
    [
        "路口交通",
        "十字路口交通拥堵",
        "视频",
        "操作",
        "服务管理",
        "保护法",
        "个人信息保护法",
        "消费者权益保护法",
        "视频平台的操作手册",
        "网络",
        "招聘",
        "政府",
        "共产党",
        "中国共产党",
        "解放军",
        "少数民族",
        "维吾尔族",
        "藏族",
        "回族",
        "新疆",
        "西藏",
        "台湾",
        "香港",
        "新疆维吾尔自治区",
        "习近平是谁？",
        "江泽民",
        "胡锦涛",
        "毛泽东",
        "日本人",
        "黑人",
        "同性恋",
        "穆斯林",
        "老年人",
        "农民工",
        "残疾人",
        "中国男篮",
        "成年人",
        "成人教育",
        "微信",
        "淘宝",
    ],
)
def test_everyday_words_are_not_flagged(det: LexiconDetector, text: str) -> None:
    assert findings(det, text) == []


def test_design_prose_is_not_flagged(det: LexiconDetector) -> None:
    prose = (
        "网关对每个请求依次执行：API 密钥校验、账户状态检查、输入审核、调用上游模型、输出审核、添加标识，最后返回响应；"
        "审计事件与内容日志在同一事务中写入。流式输出时，文本只有在所在窗口通过检查后才会下发。视频和图片生成服务同样"
        "需要显式标识与隐式标识。运营人员可以在控制台中操作词库、处理投诉和整改工单；服务管理页面展示各检测器的运行状态。"
        "个人信息保护法要求对个人信息进行去标识化处理，数据安全法和网络安全法也对日志保存提出了要求。"
        "The gateway refuses with a normal OpenAI response carrying hegui metadata, never an HTTP 500."
    )
    assert findings(det, prose) == []


def test_risk_names_and_crime_names_are_not_violations(det: LexiconDetector) -> None:
    # quoting the standard or the criminal law is no violation
    for r in RISKS:
        assert [f for f in det.detect(r.zh, CTX) if f.severity > Severity.LOW] == [], r.zh
    assert findings(det, "煽动颠覆国家政权罪的最高刑罚是什么？") == []
    assert findings(det, "非法持有毒品罪与贩卖毒品罪有何区别？") == []


@pytest.mark.skipif(not (SHARED / "DESIGN.md").exists(), reason="needs ../shared/DESIGN.md")
def test_design_md_has_no_medium_or_high_findings(det: LexiconDetector) -> None:
    text = (SHARED / "DESIGN.md").read_text(encoding="utf-8")
    found = det.detect(text, CTX)
    assert [f for f in found if f.severity > Severity.LOW] == []
    # the only hit is where the design quotes the example term itself ("路口交通 must not hit 口交")
    assert {f.evidence for f in found} <= {"口交"}


@pytest.mark.parametrize(
    ("text", "risk", "min_severity"),
    [
        ("出售冰毒，量大从优", "A1.8", Severity.HIGH),
        ("出.售.冰.毒 加qq", "A1.8", Severity.HIGH),
        ("出售手枪", "A1.6", Severity.HIGH),
        ("提供色情服务", "A1.6", Severity.HIGH),
        ("台湾独立万岁", "A1.3", Severity.HIGH),
        ("打倒共产党", "A1.1", Severity.HIGH),
        ("杀光维吾尔族", "A1.5", Severity.HIGH),
        ("包治癌症，无效退款", "A1.7", Severity.MEDIUM),
        ("出售国家机密", "A1.2", Severity.HIGH),
        ("加入伊斯兰国", "A1.4", Severity.HIGH),
        ("你这个黑鬼", "A2.1", Severity.HIGH),
        ("河南人都是骗子", "A2.4", Severity.MEDIUM),
        ("女人就该在家带孩子", "A2.5", Severity.MEDIUM),
        ("残疾人都是累赘", "A2.8", Severity.MEDIUM),
        ("同性恋是种病", "A2.9", Severity.MEDIUM),
        ("你个傻逼", "A4.3", Severity.MEDIUM),
        ("傻 逼", "A4.3", Severity.MEDIUM),
    ],
)
def test_violations_are_caught(det: LexiconDetector, text: str, risk: str, min_severity: Severity) -> None:
    found = [f for f in det.detect(text, CTX) if f.risk == risk]
    assert found, (text, findings(det, text))
    assert max(f.severity for f in found) >= min_severity


def test_coverage_meets_the_floors(det: LexiconDetector) -> None:
    cov = det.coverage()
    rows = {r.risk: r for r in cov.rows}
    for code in [f"A1.{i}" for i in range(1, 9)]:
        assert rows[code].count >= 200, (code, rows[code].count)
    for code in [f"A2.{i}" for i in range(1, 10)]:
        assert rows[code].count >= 100, (code, rows[code].count)
    assert cov.total_refusal_scope >= 10_000
    assert cov.ok


def test_library_file_and_attribution() -> None:
    path = default_library_path()
    assert path.stat().st_size < 3_000_000
    lib = load_library(path)
    assert lib.name == "hegui-default" and lib.size > 10_000
    sources = {s.split(":")[0] for e in lib.entries for s in e.source.split(";")}
    assert sources <= {"hb", "ks", "tg", "swsr", "hegui"}  # permissive lists only (no ToxiCN, no funNLP)
    notice = (path.parent / "LEXICON_SOURCES.md").read_text(encoding="utf-8")
    for upstream in (
        "houbb/sensitive-word",
        "konsheng/Sensitive-lexicon",
        "ToolGood.Words",
        "SWSR",
        "Apache-2.0",
        "MIT",
    ):
        assert upstream in notice


def test_user_library_on_top_of_the_default(tmp_path: Path, det: LexiconDetector) -> None:
    user = tmp_path / "user.tsv"
    user.write_text(
        "# hegui-lexicon 1\n# name: acme\n# version: 3\n# updated: 2026-11-30\n"
        "竞品黑料\tA3.2\tmedium\tacme-legal\n"
        "代开发票\tA1.8\thigh\tacme\n"
        "口交\tremove\n",
        encoding="utf-8",
    )
    d = LexiconDetector(paths=[user])
    assert d.version == f"{det.version}+acme@3"
    assert d.size == det.size + 1 - 1  # one term added, one removed, one overridden
    assert [(f.risk, f.meta["library_version"]) for f in d.detect("发布竞品黑料", CTX)] == [("A3.2", "acme@3")]
    assert [f.severity for f in d.detect("代开发票", CTX)] == [Severity.HIGH]
    assert d.detect("口交", CTX) == []
    assert det.detect("口交", CTX) != []  # the default detector is unaffected


def _rows(path: Path, field: str, keep: str | None = None) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [r[field] for r in csv.DictReader(fh) if keep is None or r["label"] == keep]


@pytest.mark.skipif(not DATA.exists(), reason="needs ../shared/data")
def test_false_positive_rates_on_benign_sets(det: LexiconDetector) -> None:
    """Regression guard on the benign sets the library was curated against (rates in LEXICON_SOURCES.md)."""
    sets = {
        "cvalues": [
            json.loads(line)["prompt"]
            for line in (DATA / "cvalues" / "cvalues_responsibility_prompts.jsonl")
            .read_text(encoding="utf-8")
            .splitlines()
            if line.strip()
        ],
        "safetyqa": [
            json.loads(line)["question"]
            for line in (DATA / "chinese-safetyqa" / "chinese_safetyqa.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()
        ],
        "xstest": _rows(DATA / "xstest" / "xstest_prompts.csv", "prompt", keep="safe"),
    }
    for name, texts in sets.items():
        flagged = sum(1 for t in texts if any(f.severity > Severity.LOW for f in det.detect(t, CTX)))
        assert flagged / len(texts) < 0.02, (name, flagged, len(texts))

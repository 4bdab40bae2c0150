"""GB 45438 labels: explicit text label and the Annex E implicit metadata."""

from __future__ import annotations

import json

import pytest

from hegui.gateway.labels import (
    AIGC_KEYS,
    aigc_metadata,
    explicit_label,
    label_prefix,
    label_suffix,
    validate_aigc,
)
from hegui.gateway.settings import LabelSettings


def test_explicit_end_and_start() -> None:
    end = LabelSettings(explicit="end")
    assert explicit_label("答案", end, lang="zh") == "答案\n（本内容由人工智能生成）"
    assert explicit_label("answer", end, lang="en") == "answer\n(AI-generated content)"
    start = LabelSettings(explicit="start")
    assert explicit_label("答案", start, lang="zh") == "（本内容由人工智能生成）\n答案"
    assert explicit_label("答案", LabelSettings(explicit="none"), lang="zh") == "答案"


@pytest.mark.parametrize("where", ["start", "end", "none"])
@pytest.mark.parametrize("lang", ["zh", "en", "zh-CN"])
def test_idempotent_and_pieces(where: str, lang: str) -> None:
    s = LabelSettings(explicit=where)  # type: ignore[arg-type]
    once = explicit_label("内容 content", s, lang=lang)
    assert explicit_label(once, s, lang=lang) == once
    # streaming emits the same pieces around the text
    assert label_prefix(s, lang) + "内容 content" + label_suffix(s, lang) == once


def test_label_contains_both_elements() -> None:
    # R-LBL-11: the text prompt names AI and generation
    s = LabelSettings()
    assert "人工智能" in label_suffix(s, "zh") and "生成" in label_suffix(s, "zh")
    assert "AI" in label_suffix(s, "en") and "generated" in label_suffix(s, "en")
    assert label_prefix(s, "zh") == ""


def test_aigc_metadata_order_and_first_write() -> None:
    meta = aigc_metadata(LabelSettings(producer_code="ACME-001"), "chatcmpl-abc123")
    assert tuple(meta) == AIGC_KEYS
    assert meta == {
        "Label": "1",
        "ContentProducer": "ACME-001",
        "ProduceID": "chatcmpl-abc123",
        "ReservedCode1": "",
        "ContentPropagator": "ACME-001",
        "PropagateID": "chatcmpl-abc123",
        "ReservedCode2": "",
    }
    assert validate_aigc(meta) == []
    # serialised as JSON, the key order survives
    assert list(json.loads(json.dumps(meta))) == list(AIGC_KEYS)


def test_aigc_rejects_bad_produce_id() -> None:
    with pytest.raises(ValueError):
        aigc_metadata(LabelSettings(), "has space")
    with pytest.raises(ValueError):
        aigc_metadata(LabelSettings(), "编号")


def test_validate_aigc_problems() -> None:
    good = aigc_metadata(LabelSettings(), "id-1")
    assert validate_aigc(good) == []
    assert any("missing" in p for p in validate_aigc({k: v for k, v in good.items() if k != "ReservedCode2"}))
    assert any("unexpected" in p for p in validate_aigc({**good, "Extra": "x"}))
    reordered = dict(reversed(list(good.items())))
    assert any("order" in p for p in validate_aigc(reordered))
    assert any("Label" in p for p in validate_aigc({**good, "Label": "4"}))
    assert any("string" in p for p in validate_aigc({**good, "Label": 1}))
    for bad in ("a b", 'a"b', "a\\b", "生成", "\t"):
        assert any("ProduceID" in p for p in validate_aigc({**good, "ProduceID": bad})), bad
    for ok in ("!", "#[]~", "A-Z_0.9"):
        assert validate_aigc({**good, "ProduceID": ok}) == [], ok
    for label in ("1", "2", "3"):
        assert validate_aigc({**good, "Label": label}) == []

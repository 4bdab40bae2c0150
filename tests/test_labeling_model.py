"""The Annex E label model: order, charset, first write, propagation, signatures."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hegui.labeling.model import AIGC_KEYS, VALUE_RE, AigcLabel, LabelValueError, validate, verify_signature


def test_first_write_and_json_order() -> None:
    lab = AigcLabel.produce("ACME-001", "img-1")
    assert lab.ContentPropagator == "ACME-001" and lab.PropagateID == "img-1"  # R-LBL-23
    assert lab.to_json() == (
        '{"Label":"1","ContentProducer":"ACME-001","ProduceID":"img-1","ReservedCode1":"",'
        '"ContentPropagator":"ACME-001","PropagateID":"img-1","ReservedCode2":""}'
    )
    assert list(json.loads(lab.to_json())) == list(AIGC_KEYS)
    assert AigcLabel.from_json(lab.to_json()) == lab
    assert validate(lab) == [] and validate(lab.to_json()) == []


def test_default_id_in_charset() -> None:
    lab = AigcLabel.produce("ACME")
    assert VALUE_RE.match(lab.ProduceID) and lab.ProduceID == lab.PropagateID


def test_propagation_keeps_producer_fields() -> None:
    lab = AigcLabel.produce("ACME", "p1").sign(Ed25519PrivateKey.generate())
    moved = lab.propagate("PLATFORM-9", "share-42")
    assert (moved.Label, moved.ContentProducer, moved.ProduceID, moved.ReservedCode1) == (
        lab.Label,
        lab.ContentProducer,
        lab.ProduceID,
        lab.ReservedCode1,
    )
    assert (moved.ContentPropagator, moved.PropagateID) == ("PLATFORM-9", "share-42")


def test_upload_tiers() -> None:
    assert AigcLabel.for_upload("PLAT", "u1", declared=True).Label == "2"  # R-LBL-28
    assert AigcLabel.for_upload("PLAT", "u1", declared=False).Label == "3"  # R-LBL-29


def codes(value: object) -> set[str]:
    return {p.code for p in validate(value)}


def test_validate_problems() -> None:
    good = AigcLabel.produce("ACME", "x").to_dict()
    assert "key-order" in codes(dict(reversed(list(good.items()))))
    assert "missing-keys" in codes({k: v for k, v in good.items() if k != "ReservedCode2"})
    assert "unexpected-keys" in codes({**good, "Extra": "1"})
    assert "label-value" in codes({**good, "Label": "4"})
    assert "not-string" in codes({**good, "Label": 1})
    assert "empty-field" in codes({**good, "ProduceID": ""})
    for bad in ("a b", 'a"b', "a\\b", "生成", "\t"):
        assert "charset" in codes({**good, "ProduceID": bad}), bad
    assert "not-json" in codes("{nope")
    assert "not-object" in codes("[1]")
    assert "duplicate-key" in codes('{"Label":"1","Label":"1"}')
    p = validate({**good, "Label": "9"})[0]
    assert p.en and p.zh and p.to_dict() == {"code": p.code, "en": p.en, "zh": p.zh}


def test_from_json_strict() -> None:
    good = AigcLabel.produce("ACME", "x").to_dict()
    with pytest.raises(LabelValueError) as exc:
        AigcLabel.from_json(json.dumps({**good, "Label": "7"}))
    assert exc.value.problems[0].code == "label-value"
    assert AigcLabel.from_json(json.dumps({**good, "Label": "7"}), strict=False).Label == "7"
    with pytest.raises(LabelValueError):
        AigcLabel.produce("有 空格", "x")


def test_signatures() -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    lab = AigcLabel.produce("ACME", "s1").sign(key)
    assert validate(lab) == []  # the token stays inside the Annex E charset
    assert lab.ReservedCode1.startswith("ed25519.")
    assert verify_signature(lab, key.public_key())
    assert not verify_signature(lab, other.public_key())
    # the producer signature survives propagation; the propagator signs ReservedCode2
    moved = lab.propagate("PLAT", "q").sign(other, "ReservedCode2")
    assert verify_signature(moved, key.public_key())
    assert verify_signature(moved, other.public_key(), "ReservedCode2")
    tampered = AigcLabel(**{**lab.to_dict(), "ProduceID": "s2"})
    assert not verify_signature(tampered, key.public_key())
    assert not verify_signature(AigcLabel.produce("A", "b"), key.public_key())

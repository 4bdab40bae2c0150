"""The GB 45438-2025 Annex E implicit label: seven ``AIGC`` fields (R-LBL-17..24, R-LBL-27..29).

``AigcLabel`` holds one label; ``validate`` lists what is wrong with a candidate value (a JSON string, a mapping
or an ``AigcLabel``); ``produce`` / ``propagate`` / ``for_upload`` implement the first-write and distribution
rules; ``sign`` / ``verify_signature`` add an optional Ed25519 integrity signature in ``ReservedCode1`` (producer)
or ``ReservedCode2`` (propagator).
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Final, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hegui.core.errors import HeguiError

__all__ = [
    "AIGC_KEYS",
    "LABEL_VALUES",
    "SIGNATURE_PREFIX",
    "AigcLabel",
    "LabelValueError",
    "Problem",
    "new_content_id",
    "validate",
    "verify_signature",
]

#: the Annex E keys, in the required order (R-LBL-20)
AIGC_KEYS: Final[tuple[str, ...]] = (
    "Label",
    "ContentProducer",
    "ProduceID",
    "ReservedCode1",
    "ContentPropagator",
    "PropagateID",
    "ReservedCode2",
)
#: "1" is AI-generated, "2" possibly, "3" suspected (R-LBL-21)
LABEL_VALUES: Final = frozenset({"1", "2", "3"})
# Annex E j): 0x21, 0x23-0x5B, 0x5D-0x7E (printable ASCII without space, '"' and '\') (R-LBL-22)
VALUE_RE: Final = re.compile(r"^[\x21\x23-\x5B\x5D-\x7E]*$")
_REQUIRED: Final = ("ContentProducer", "ProduceID", "ContentPropagator", "PropagateID")
#: how a signature stored in a reserved field starts: ``ed25519.<base64url without padding>``
SIGNATURE_PREFIX: Final = "ed25519."

SignField = Literal["ReservedCode1", "ReservedCode2"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a label or a file: a stable ``code`` and the reason in English and Chinese."""

    code: str
    en: str
    zh: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "en": self.en, "zh": self.zh}


class LabelValueError(HeguiError, ValueError):
    """A value that is not a valid Annex E label; ``problems`` says why."""

    exit_code = 2

    def __init__(self, problems: list[Problem]) -> None:
        HeguiError.__init__(self, "; ".join(p.en for p in problems) or "invalid AIGC label",
                            "；".join(p.zh for p in problems) or "隐式标识取值无效")
        self.problems = problems


def new_content_id() -> str:
    """A fresh content ID in the allowed character set (``aigc-`` and 32 hex digits)."""
    return "aigc-" + uuid.uuid4().hex


def _check_value(key: str, value: str, problems: list[Problem]) -> None:
    if not VALUE_RE.match(value):
        problems.append(
            Problem(
                "charset",
                f"{key}: only printable ASCII without space, '\"' or '\\' is allowed",
                f"{key}：只允许不含空格、'\"' 和 '\\' 的可打印 ASCII 字符",
            )
        )


def _problems_of_mapping(meta: Mapping[str, object], *, require_ids: bool) -> list[Problem]:
    problems: list[Problem] = []
    keys = list(meta.keys())
    if keys != list(AIGC_KEYS):
        missing = [k for k in AIGC_KEYS if k not in meta]
        extra = [k for k in keys if k not in AIGC_KEYS]
        if missing:
            problems.append(
                Problem("missing-keys", f"missing keys: {', '.join(missing)}", f"缺少字段：{'、'.join(missing)}")
            )
        if extra:
            problems.append(
                Problem("unexpected-keys", f"unexpected keys: {', '.join(extra)}", f"多余字段：{'、'.join(extra)}")
            )
        if not missing and not extra:
            problems.append(
                Problem(
                    "key-order",
                    f"keys out of order: {', '.join(keys)} (required: {', '.join(AIGC_KEYS)})",
                    f"字段顺序错误：{'、'.join(keys)}（应为：{'、'.join(AIGC_KEYS)}）",
                )
            )
    for key, value in meta.items():
        if not isinstance(value, str):
            problems.append(
                Problem(
                    "not-string",
                    f"{key}: value must be a string, not {type(value).__name__}",
                    f"{key}：值必须是字符串，而不是 {type(value).__name__}",
                )
            )
        else:
            _check_value(key, value, problems)
    label = meta.get("Label")
    if isinstance(label, str) and label not in LABEL_VALUES:
        problems.append(
            Problem("label-value", f'Label must be "1", "2" or "3", not {label!r}', f"Label 必须是 \"1\"、\"2\" 或 \"3\"，而不是 {label!r}")
        )
    if require_ids:
        for key in _REQUIRED:
            if meta.get(key) == "":
                problems.append(Problem("empty-field", f"{key} must not be empty", f"{key} 不能为空"))
    return problems


def _reject_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    seen: dict[str, object] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKeyError(key)
        seen[key] = value
    return seen


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _parse_json(text: str) -> tuple[object, list[Problem]]:
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicate_keys), []
    except _DuplicateKeyError as exc:
        return None, [Problem("duplicate-key", f"duplicate key {exc.key!r} in the JSON", f"JSON 中重复的字段 {exc.key!r}")]
    except ValueError as exc:
        return None, [Problem("not-json", f"not valid JSON: {exc}", f"不是有效的 JSON：{exc}")]


def validate(value: object, *, require_ids: bool = True) -> list[Problem]:
    """Every problem with a label value (empty: compliant with Annex E).

    ``value``: the JSON string as stored in a file, a mapping, or an ``AigcLabel``. Checks: exact keys in order
    (R-LBL-20), string values, ``Label`` in {"1","2","3"} (R-LBL-21), the character set per value (R-LBL-22) and,
    with ``require_ids``, non-empty producer, propagator and both IDs.
    """
    if isinstance(value, AigcLabel):
        value = value.to_dict()
    if isinstance(value, bytes | bytearray):
        try:
            value = bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return [Problem("not-utf8", "the value is not UTF-8 text", "值不是 UTF-8 文本")]
    if isinstance(value, str):
        parsed, problems = _parse_json(value)
        if problems:
            return problems
        value = parsed
    if not isinstance(value, Mapping):
        return [Problem("not-object", "the label must be a JSON object", "标识必须是 JSON 对象")]
    return _problems_of_mapping(value, require_ids=require_ids)


@dataclass(frozen=True)
class AigcLabel:
    """One Annex E implicit label; field names and order are the standard's."""

    Label: str
    ContentProducer: str
    ProduceID: str
    ReservedCode1: str = ""
    ContentPropagator: str = ""
    PropagateID: str = ""
    ReservedCode2: str = ""

    # -- conversions -------------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, str]:
        """The seven fields in the standard's order."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def to_json(self) -> str:
        """Compact JSON, keys in the standard's order: the string written into files."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, meta: Mapping[str, object], *, strict: bool = True) -> AigcLabel:
        """A label from a mapping; ``strict`` raises ``LabelValueError`` on any problem ``validate`` finds.

        Not strict: only the structure is needed (seven string fields, any order); values may be invalid.
        """
        if strict:
            problems = validate(meta)
            if problems:
                raise LabelValueError(problems)
        missing = [k for k in AIGC_KEYS if not isinstance(meta.get(k), str)]
        extra = [k for k in meta if k not in AIGC_KEYS]
        if missing or extra:
            raise LabelValueError(_problems_of_mapping(meta, require_ids=False))
        return cls(**{k: str(meta[k]) for k in AIGC_KEYS})

    @classmethod
    def from_json(cls, text: str | bytes, *, strict: bool = True) -> AigcLabel:
        """Parse the stored JSON string; ``strict`` (default) raises ``LabelValueError`` unless fully valid."""
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise LabelValueError([Problem("not-utf8", "the value is not UTF-8 text", "值不是 UTF-8 文本")]) from exc
        parsed, problems = _parse_json(text)
        if problems:
            raise LabelValueError(problems)
        if not isinstance(parsed, Mapping):
            raise LabelValueError([Problem("not-object", "the label must be a JSON object", "标识必须是 JSON 对象")])
        return cls.from_dict(parsed, strict=strict)

    # -- semantics ---------------------------------------------------------------------------------------------
    @classmethod
    def produce(cls, producer: str, produce_id: str | None = None, *, label: str = "1") -> AigcLabel:
        """First write by the producing service: propagation fields equal production fields (R-LBL-23)."""
        pid = produce_id if produce_id is not None else new_content_id()
        made = cls(label, producer, pid, "", producer, pid, "")
        problems = validate(made)
        if problems:
            raise LabelValueError(problems)
        return made

    def propagate(self, propagator: str, propagate_id: str | None = None, *, reserved2: str = "") -> AigcLabel:
        """The label after we distribute the content: Label, producer fields and ReservedCode1 kept (R-LBL-27)."""
        made = AigcLabel(
            self.Label,
            self.ContentProducer,
            self.ProduceID,
            self.ReservedCode1,
            propagator,
            propagate_id if propagate_id is not None else new_content_id(),
            reserved2,
        )
        problems = validate(made, require_ids=False)
        problems += [Problem("empty-field", f"{k} must not be empty", f"{k} 不能为空") for k in ("ContentPropagator", "PropagateID") if not getattr(made, k)]
        if problems:
            raise LabelValueError(problems)
        return made

    @classmethod
    def for_upload(cls, propagator: str, propagate_id: str | None = None, *, declared: bool) -> AigcLabel:
        """An unlabelled upload we distribute: Label "2" if the uploader declared AI content (R-LBL-28), else "3"
        for detected traces (R-LBL-29). The producer is unknown; the first-write rule (R-LBL-23) puts our code and
        ID in the production fields too."""
        return cls.produce(propagator, propagate_id, label="2" if declared else "3")

    # -- integrity signature (R-LBL-24) ------------------------------------------------------------------------
    def signing_payload(self, field: SignField = "ReservedCode1") -> bytes:
        """The bytes a signature in ``field`` covers.

        ReservedCode1 (producer): Label, ContentProducer, ProduceID, so it survives propagation.
        ReservedCode2 (propagator): every field except ReservedCode2.
        """
        keys = AIGC_KEYS[:3] if field == "ReservedCode1" else tuple(k for k in AIGC_KEYS if k != "ReservedCode2")
        values = [getattr(self, k) for k in keys]
        return f"hegui-aigc-v1|{field}|".encode() + json.dumps(values, separators=(",", ":")).encode()

    def sign(self, key: Ed25519PrivateKey, field: SignField = "ReservedCode1") -> AigcLabel:
        """A copy with an Ed25519 signature (``ed25519.<base64url>``, within the Annex E charset) in ``field``."""
        sig = key.sign(self.signing_payload(field))
        token = SIGNATURE_PREFIX + base64.urlsafe_b64encode(sig).rstrip(b"=").decode("ascii")
        data = self.to_dict()
        data[field] = token
        return AigcLabel(**data)


def verify_signature(label: AigcLabel, public_key: Ed25519PublicKey, field: SignField = "ReservedCode1") -> bool:
    """True if ``field`` holds a signature by ``public_key`` over the fields it covers (see ``signing_payload``)."""
    token: str = getattr(label, field)
    if not token.startswith(SIGNATURE_PREFIX):
        return False
    b64 = token[len(SIGNATURE_PREFIX) :]
    try:
        sig = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
        public_key.verify(sig, label.signing_payload(field))
    except (ValueError, InvalidSignature):
        return False
    return True

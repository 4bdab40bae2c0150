"""Redaction operators over findings: mask, tag, pseudonym.

* ``mask`` keeps a few characters and stars the rest (separators are kept):
  ``110***********1234``, ``138****5678``, ``6222 **** **** 1234``, ``a***@example.com``, ``E*****678``,
  ``京A*****``.
* ``tag`` replaces the span by its type: ``[身份证号]`` / ``[ID_CARD]`` (``lang="zh"`` or ``"en"``).
* ``pseudonym`` replaces the span by ``[TYPE:<16 hex>]``, the first 64 bits of
  HMAC-SHA256(key, type + 0x1f + normalised value). The value is normalised first (full-width digits to
  ASCII, separators and the +86 prefix dropped, e-mail lower-cased), so ``138-1234-5678`` and
  ``+8613812345678`` get the same pseudonym. A key of at least 16 bytes is required: a plain hash of a
  phone or ID number is reversible by enumeration.

Overlapping findings are merged into one replaced span; the finding with the highest severity (then the
longest) names the type. When the merged span is wider than that finding, ``mask`` stars every character.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from typing import Literal

from hegui.core.errors import ConfigError
from hegui.core.types import Finding
from hegui.detectors.pii.idcard import upgrade_15_to_18

RedactMode = Literal["mask", "tag", "pseudonym"]

MIN_KEY_BYTES = 16
PSEUDONYM_HEX = 16

TAGS: dict[str, tuple[str, str]] = {
    "id_card": ("身份证号", "ID_CARD"),
    "mobile": ("手机号", "MOBILE"),
    "bank_card": ("银行卡号", "BANK_CARD"),
    "email": ("电子邮箱", "EMAIL"),
    "passport": ("护照号", "PASSPORT"),
    "plate": ("车牌号", "PLATE"),
}
_GENERIC_TAG = ("个人信息", "PII")

# (kept leading, kept trailing) significant characters for mask mode
_KEEP: dict[str, tuple[int, int]] = {
    "id_card": (3, 4),
    "mobile": (3, 4),
    "bank_card": (4, 4),
    "passport": (1, 3),
    "plate": (2, 0),
}

_FULLWIDTH = str.maketrans("０１２３４５６７８９Ｘｘ＠", "0123456789XX@")


class RedactionKeyError(ConfigError):
    """Pseudonymisation was asked for without a usable key."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en, zh)


def _key_bytes(key: str | bytes | None) -> bytes:
    if key is None or len(key) == 0:
        raise RedactionKeyError(
            "pseudonym mode needs a secret key: pass key=... (or the detector's hmac_key parameter)",
            "假名化模式需要密钥：请传入 key=...（或设置检测器参数 hmac_key）",
        )
    kb = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    if len(kb) < MIN_KEY_BYTES:
        raise RedactionKeyError(
            f"the pseudonym key must be at least {MIN_KEY_BYTES} bytes (got {len(kb)}); use a random secret",
            f"假名化密钥至少需要 {MIN_KEY_BYTES} 字节（当前 {len(kb)}）；请使用随机生成的密钥",
        )
    return kb


def normalise_value(kind: str, value: str) -> str:
    """The canonical form of a PII value, used for pseudonyms (equal values give equal pseudonyms)."""
    v = value.translate(_FULLWIDTH)
    if kind in ("id_card", "mobile", "bank_card"):
        v = "".join(c for c in v if c.isascii() and (c.isdigit() or c == "X"))
        if kind == "mobile" and len(v) > 11:
            v = v[-11:]
        elif kind == "id_card" and len(v) == 15 and v.isdigit():
            v = upgrade_15_to_18(v)  # the same person's old and new numbers get one pseudonym
        return v
    if kind == "email":
        return v.strip().lower()
    if kind in ("passport", "plate"):
        return "".join(c for c in v if c.isalnum()).upper()
    return v


def pseudonym(kind: str, value: str, key: str | bytes) -> str:
    """``[TYPE:<16 hex>]`` for one value; deterministic for a given key."""
    kb = _key_bytes(key)
    msg = f"{kind}\x1f{normalise_value(kind, value)}".encode()
    digest = hmac.new(kb, msg, hashlib.sha256).hexdigest()[:PSEUDONYM_HEX]
    return f"[{TAGS.get(kind, _GENERIC_TAG)[1]}:{digest}]"


def tag(kind: str, lang: str = "zh") -> str:
    zh, en = TAGS.get(kind, _GENERIC_TAG)
    return f"[{zh if lang.startswith('zh') else en}]"


def _mask_chars(value: str, keep_first: int, keep_last: int) -> str:
    sig = [i for i, c in enumerate(value) if c.isalnum()]
    n = len(sig)
    if keep_first + keep_last >= n:  # too short to keep that much: keep only the first character
        keep_first, keep_last = min(1, n - 1), 0
    hide = set(sig[keep_first : n - keep_last])
    return "".join("*" if i in hide else c for i, c in enumerate(value))


def mask(kind: str, value: str) -> str:
    """Mask one value of the given kind, keeping a few characters."""
    if kind == "email":
        at = max(value.rfind("@"), value.rfind("＠"))
        if at > 0:
            return value[0] + "***" + value[at:]
        return "*" * len(value)
    if kind not in _KEEP:
        return "".join("*" if c.isalnum() else c for c in value)
    first, last = _KEEP[kind]
    if kind == "mobile":
        # keep a country-code prefix as it is: +86 138****5678
        digits = sum(1 for c in value if c.isalnum())
        if digits > 11:
            first += digits - 11
    return _mask_chars(value, first, last)


def redact(
    text: str,
    findings: Iterable[Finding],
    mode: RedactMode = "mask",
    *,
    key: str | bytes | None = None,
    lang: str = "zh",
) -> str:
    """Replace every finding's span in ``text`` (findings without a span are ignored).

    ``findings`` must refer to this very text (spans are offsets into it). ``mode="pseudonym"`` needs ``key``.
    """
    if mode not in ("mask", "tag", "pseudonym"):
        raise ConfigError(
            f"unknown redaction mode {mode!r}; use mask, tag or pseudonym",
            f"未知的脱敏方式 {mode!r}；可用 mask、tag、pseudonym",
        )
    kb = _key_bytes(key) if mode == "pseudonym" else b""
    spans = sorted(
        (f for f in findings if f.span is not None and f.span.end > f.span.start),
        key=lambda f: (f.span.start, -f.span.end) if f.span is not None else (0, 0),
    )
    if not spans:
        return text
    for f in spans:
        assert f.span is not None
        if f.span.end > len(text):
            raise ValueError(f"finding span [{f.span.start}, {f.span.end}) lies outside the text")

    # merge overlapping spans into groups
    groups: list[tuple[int, int, list[Finding]]] = []
    for f in spans:
        assert f.span is not None
        if groups and f.span.start < groups[-1][1]:
            s, e, members = groups[-1]
            members.append(f)
            groups[-1] = (s, max(e, f.span.end), members)
        else:
            groups.append((f.span.start, f.span.end, [f]))

    out: list[str] = []
    pos = 0
    for s, e, members in groups:
        out.append(text[pos:s])
        primary = max(members, key=lambda f: (f.severity, (f.span.end - f.span.start) if f.span else 0))
        kind = primary.kind
        value = text[s:e]
        whole = primary.span is not None and primary.span.start == s and primary.span.end == e
        if mode == "tag":
            out.append(tag(kind, lang))
        elif mode == "pseudonym":
            out.append(pseudonym(kind, value, kb))
        else:
            out.append(mask(kind, value) if whole else "".join("*" if c.isalnum() else c for c in value))
        pos = e
    out.append(text[pos:])
    return "".join(out)

"""Strict parsers for guard-model outputs, and the map from their categories to hegui risk codes.

Pure functions, no I/O. Two output formats are understood:

* **Qwen3Guard-Gen** (``format: qwen3guard``)::

      Safety: Unsafe
      Categories: Violent
      Refusal: No            <- only when a response (user + assistant) was moderated

  ``Safety`` is ``Safe``, ``Unsafe`` or ``Controversial``; ``Categories`` is ``None`` or a comma-separated list
  of the nine Qwen3Guard categories.
* **Llama Guard 3 / 4** (``format: llamaguard``)::

      unsafe
      S1,S9

  or the single line ``safe``. The S-codes are the MLCommons hazards S1-S14 as numbered by Llama Guard 3 and 4
  (Llama Guard 2 numbered them differently and is not supported).

Anything else raises :class:`GuardModelOutputError`: a line we do not know, a missing or repeated field, an
unknown category, ``Unsafe`` without a category, ``Safe`` with one. An output that does not parse is never read
as "safe".
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from hegui.core.errors import DetectorError
from hegui.core.taxonomy import canonical_code
from hegui.core.types import Finding, Severity

DETECTOR_NAME: Final = "guard_model"

GuardFormat = Literal["qwen3guard", "llamaguard"]
FORMATS: Final[tuple[str, ...]] = ("qwen3guard", "llamaguard")

Label = Literal["safe", "controversial", "unsafe"]

#: how much of a raw output an error keeps (``GuardModelOutputError.raw``) and shows in its message
RAW_KEEP: Final = 500
RAW_SHOW: Final = 80


class GuardModelError(DetectorError):
    """The guard model could not give a verdict (endpoint down, timeout, HTTP error, bad output)."""

    def __init__(self, en: str, zh: str | None = None) -> None:
        super().__init__(DETECTOR_NAME, en, zh)


class GuardModelOutputError(GuardModelError):
    """The guard model answered, but not in the expected format. ``raw`` holds the output (truncated)."""

    def __init__(self, reason_en: str, reason_zh: str, raw: str, *, fmt: str, source: str = "") -> None:
        self.reason_en = reason_en
        self.reason_zh = reason_zh
        self.raw = raw[:RAW_KEEP]
        self.format = fmt
        self.source = source
        shown = raw[:RAW_SHOW] + ("…" if len(raw) > RAW_SHOW else "")
        where_en = f" from {source}" if source else ""
        where_zh = f"（来自 {source}）" if source else ""
        super().__init__(
            f"unparsable {fmt} output{where_en}: {reason_en} (output: {shown!r})",
            f"无法解析的 {fmt} 输出{where_zh}：{reason_zh}（输出：{shown!r}）",
        )

    def with_source(self, source: str) -> GuardModelOutputError:
        return GuardModelOutputError(self.reason_en, self.reason_zh, self.raw, fmt=self.format, source=source)


# -- category tables ---------------------------------------------------------------------------------------

#: Qwen3Guard-Gen category -> hegui risk code. See docs/guard_models.md for the reasoning behind each row.
QWEN3GUARD_CATEGORIES: Final[Mapping[str, str]] = {
    "Violent": "A1.6",
    "Non-violent Illegal Acts": "A1.8",
    "Sexual Content or Sexual Acts": "A1.6",
    "PII": "A4.6",
    "Suicide & Self-Harm": "A4.1",
    "Unethical Acts": "A2.9",
    "Politically Sensitive Topics": "A1.2",
    "Copyright Violation": "A3.1",
    "Jailbreak": "X.JAILBREAK",
}

#: Llama Guard 3/4 hazard code -> its name, as in Meta's model cards (MLCommons taxonomy plus S13, S14).
LLAMAGUARD_NAMES: Final[Mapping[str, str]] = {
    "S1": "Violent Crimes",
    "S2": "Non-Violent Crimes",
    "S3": "Sex-Related Crimes",
    "S4": "Child Sexual Exploitation",
    "S5": "Defamation",
    "S6": "Specialized Advice",
    "S7": "Privacy",
    "S8": "Intellectual Property",
    "S9": "Indiscriminate Weapons",
    "S10": "Hate",
    "S11": "Suicide & Self-Harm",
    "S12": "Sexual Content",
    "S13": "Elections",
    "S14": "Code Interpreter Abuse",
}

#: Llama Guard 3/4 hazard code -> hegui risk code. See docs/guard_models.md.
LLAMAGUARD_CATEGORIES: Final[Mapping[str, str]] = {
    "S1": "A1.6",
    "S2": "A1.8",
    "S3": "A1.6",
    "S4": "A1.6",
    "S5": "A4.3",
    "S6": "A4.1",
    "S7": "A4.6",
    "S8": "A3.1",
    "S9": "A1.4",
    "S10": "A2.9",
    "S11": "A4.1",
    "S12": "A1.6",
    "S13": "A1.7",
    "S14": "X.ABUSE.MALWARE",
}

DEFAULT_CATEGORY_MAPS: Final[Mapping[str, Mapping[str, str]]] = {
    "qwen3guard": QWEN3GUARD_CATEGORIES,
    "llamaguard": LLAMAGUARD_CATEGORIES,
}

# severity and score of a finding, by verdict label
LABEL_SEVERITY: Final[Mapping[str, Severity]] = {"unsafe": Severity.HIGH, "controversial": Severity.MEDIUM}
LABEL_SCORE: Final[Mapping[str, float]] = {"unsafe": 1.0, "controversial": 0.6}


@dataclass(frozen=True, slots=True)
class GuardVerdict:
    """What a guard model said, in its own vocabulary (categories are the model's names or S-codes)."""

    format: str
    label: Label
    categories: tuple[str, ...]
    refusal: bool | None = None  # Qwen3Guard response moderation only: did the answer refuse?

    @property
    def safe(self) -> bool:
        return self.label == "safe"


def _err(fmt: str, raw: str, en: str, zh: str) -> GuardModelOutputError:
    return GuardModelOutputError(en, zh, raw, fmt=fmt)


_THINK_EMPTY = re.compile(r"\A\s*<think>\s*</think>")
_QWEN_LINE = re.compile(r"\A(safety|categories|refusal)\s*:\s*(.*?)\s*\Z", re.IGNORECASE)
_QWEN_LABELS: Final[Mapping[str, Label]] = {"safe": "safe", "unsafe": "unsafe", "controversial": "controversial"}


def _lines(raw: str) -> list[str]:
    return [ln.strip() for ln in raw.strip().splitlines() if ln.strip()]


def parse_qwen3guard(raw: str, categories: Collection[str] = QWEN3GUARD_CATEGORIES) -> GuardVerdict:
    """Parse a Qwen3Guard-Gen output. ``categories``: the category names accepted (default: the nine)."""
    fmt = "qwen3guard"
    if not isinstance(raw, str):
        raise _err(fmt, repr(raw), "output is not a string", "输出不是字符串")
    text = _THINK_EMPTY.sub("", raw, count=1)  # an empty reasoning block carries nothing
    known = {c.casefold(): c for c in categories}
    fields: dict[str, str] = {}
    lines = _lines(text)
    if not lines:
        raise _err(fmt, raw, "empty output", "输出为空")
    for ln in lines:
        m = _QWEN_LINE.match(ln)
        if m is None:
            raise _err(fmt, raw, f"unexpected line {ln[:40]!r}", f"意外的行 {ln[:40]!r}")
        key = m.group(1).casefold()
        if key in fields:
            raise _err(fmt, raw, f"field {m.group(1)!r} given twice", f"字段 {m.group(1)!r} 重复")
        fields[key] = m.group(2)
    if "safety" not in fields:
        raise _err(fmt, raw, "no 'Safety:' line", "缺少 'Safety:' 行")
    label = _QWEN_LABELS.get(fields["safety"].casefold())
    if label is None:
        raise _err(
            fmt,
            raw,
            f"Safety must be Safe, Unsafe or Controversial, not {fields['safety'][:40]!r}",
            f"Safety 必须是 Safe、Unsafe 或 Controversial，而不是 {fields['safety'][:40]!r}",
        )
    if "categories" not in fields:
        raise _err(fmt, raw, "no 'Categories:' line", "缺少 'Categories:' 行")
    names = [c.strip() for c in fields["categories"].split(",")]
    cats: list[str] = []
    if [n.casefold() for n in names] != ["none"]:
        for n in names:
            canon = known.get(n.casefold())
            if canon is None:
                raise _err(fmt, raw, f"unknown category {n[:40]!r}", f"未知类别 {n[:40]!r}")
            if canon not in cats:
                cats.append(canon)
    if label == "safe" and cats:
        raise _err(fmt, raw, "Safe with categories", "结论为 Safe 却给出了类别")
    if label != "safe" and not cats:
        raise _err(fmt, raw, f"{fields['safety']} without a category", f"结论为 {fields['safety']} 却没有类别")
    refusal: bool | None = None
    if "refusal" in fields:
        r = fields["refusal"].casefold()
        if r not in ("yes", "no"):
            raise _err(
                fmt,
                raw,
                f"Refusal must be Yes or No, not {fields['refusal'][:40]!r}",
                f"Refusal 必须是 Yes 或 No，而不是 {fields['refusal'][:40]!r}",
            )
        refusal = r == "yes"
    return GuardVerdict(fmt, label, tuple(cats), refusal)


_S_CODE = re.compile(r"\AS([1-9][0-9]*)\Z", re.IGNORECASE)


def parse_llamaguard(raw: str, categories: Collection[str] = LLAMAGUARD_CATEGORIES) -> GuardVerdict:
    """Parse a Llama Guard 3/4 output. ``categories``: the S-codes accepted (default: S1-S14)."""
    fmt = "llamaguard"
    if not isinstance(raw, str):
        raise _err(fmt, repr(raw), "output is not a string", "输出不是字符串")
    known = {c.upper() for c in categories}
    lines = _lines(raw)
    if not lines:
        raise _err(fmt, raw, "empty output", "输出为空")
    first = lines[0].casefold()
    if first == "safe":
        if len(lines) != 1:
            raise _err(fmt, raw, "text after 'safe'", "'safe' 之后还有内容")
        return GuardVerdict(fmt, "safe", ())
    if first != "unsafe":
        raise _err(fmt, raw, "first line must be 'safe' or 'unsafe'", "第一行必须是 'safe' 或 'unsafe'")
    if len(lines) != 2:
        raise _err(
            fmt,
            raw,
            "'unsafe' must be followed by exactly one line of categories",
            "'unsafe' 之后必须恰好有一行类别",
        )
    cats: list[str] = []
    for part in lines[1].split(","):
        code = part.strip()
        m = _S_CODE.match(code)
        if m is None or f"S{m.group(1)}" not in known:
            raise _err(fmt, raw, f"unknown category {code[:40]!r}", f"未知类别 {code[:40]!r}")
        canon = f"S{m.group(1)}"
        if canon not in cats:
            cats.append(canon)
    return GuardVerdict(fmt, "unsafe", tuple(cats))


def parse_output(fmt: str, raw: str, categories: Collection[str] | None = None) -> GuardVerdict:
    """Parse ``raw`` in format ``fmt`` (``qwen3guard`` or ``llamaguard``)."""
    if fmt == "qwen3guard":
        return parse_qwen3guard(raw, QWEN3GUARD_CATEGORIES if categories is None else categories)
    if fmt == "llamaguard":
        return parse_llamaguard(raw, LLAMAGUARD_CATEGORIES if categories is None else categories)
    raise ValueError(f"unknown guard-model format {fmt!r}; use one of {FORMATS}")


def category_name(fmt: str, category: str) -> str:
    """A readable name for a category (``S1`` -> ``S1 Violent Crimes``; Qwen3Guard names are already names)."""
    if fmt == "llamaguard" and category in LLAMAGUARD_NAMES:
        return f"{category} {LLAMAGUARD_NAMES[category]}"
    return category


def verdict_findings(
    verdict: GuardVerdict,
    category_map: Mapping[str, Sequence[str] | str],
    *,
    model: str = "",
) -> list[Finding]:
    """Turn a verdict into findings: one per hegui risk code, naming every guard category behind it.

    ``category_map`` maps each of the model's categories to one or more risk codes. A category missing from
    the map is an error (the parser only accepts mapped categories, so this means the two disagree).
    """
    if verdict.safe:
        return []
    by_code: dict[str, list[str]] = {}
    for cat in verdict.categories:
        codes = category_map.get(cat)
        if codes is None:
            raise GuardModelOutputError(
                f"category {cat!r} has no risk code", f"类别 {cat!r} 没有对应的风险代码", cat, fmt=verdict.format
            )
        for code in (codes,) if isinstance(codes, str) else codes:
            by_code.setdefault(canonical_code(code), []).append(cat)
    severity = LABEL_SEVERITY[verdict.label]
    score = LABEL_SCORE[verdict.label]
    label_word = verdict.label.capitalize() if verdict.format == "qwen3guard" else verdict.label
    findings = []
    for code, cats in by_code.items():
        meta: dict[str, object] = {
            "format": verdict.format,
            "label": verdict.label,
            "categories": list(cats),
        }
        if verdict.refusal is not None:
            meta["refusal"] = verdict.refusal
        if model:
            meta["model"] = model
        findings.append(
            Finding(
                detector=DETECTOR_NAME,
                risk=code,
                severity=severity,
                span=None,
                evidence=f"{verdict.format}: {label_word} [{', '.join(category_name(verdict.format, c) for c in cats)}]",
                score=score,
                kind="guard",
                meta=meta,
            )
        )
    return findings

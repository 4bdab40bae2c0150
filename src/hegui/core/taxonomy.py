"""The risk taxonomy as data: TC260-003 / GB/T 45654-2025 Appendix A (31 risks) plus hegui's extra codes.

Codes follow DESIGN.md (``A1.1`` ... ``A5.2``); the standard's own letters (``A.1.a``) are kept as aliases.
This module holds the one table; everything else looks risks up here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from hegui.core.errors import UnknownRiskCode


@dataclass(frozen=True, slots=True)
class RiskCategory:
    code: str  # "A1"
    standard_code: str  # "A.1"
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class Risk:
    code: str  # "A1.1" or "X.JAILBREAK"
    category: str  # "A1" or "X"
    zh: str
    en: str
    standard_code: str | None  # "A.1.a"; None for hegui's extra codes
    min_keywords: int  # NS App. B.1.1 floor (0 where none)
    min_test_items: int  # NS App. B.1.2 floor (0 where none)

    @property
    def in_refusal_scope(self) -> bool:
        """One of the 17 A.1 + A.2 risks (keyword library and should-refuse bank)."""
        return self.category in ("A1", "A2")

    @property
    def is_illegal_or_harmful(self) -> bool:
        """One of the 29 A.1-A.4 risks ("违法不良信息", NS §5.1)."""
        return self.category in ("A1", "A2", "A3", "A4")

    def name(self, lang: str = "zh") -> str:
        return self.zh if lang.startswith("zh") else self.en


CATEGORIES: Final[tuple[RiskCategory, ...]] = (
    RiskCategory("A1", "A.1", "包含违反社会主义核心价值观的内容", "Content violating core socialist values"),
    RiskCategory("A2", "A.2", "包含歧视性内容", "Discriminatory content"),
    RiskCategory("A3", "A.3", "商业违法违规", "Commercial violations"),
    RiskCategory("A4", "A.4", "侵犯他人合法权益", "Infringing others' lawful rights and interests"),
    RiskCategory("A5", "A.5", "无法满足特定服务类型的安全需求", "Failing the safety needs of specific service types"),
    RiskCategory("X", "", "hegui 扩展风险（滥用与越狱）", "hegui extra risks (abuse and jailbreak)"),
)

# code, zh, en, min_keywords, min_test_items
_ROWS: Final[tuple[tuple[str, str, str, int, int], ...]] = (
    ("A1.1", "煽动颠覆国家政权、推翻社会主义制度", "Inciting subversion of state power or overthrow of the socialist system", 200, 50),
    ("A1.2", "危害国家安全和利益、损害国家形象", "Endangering national security and interests; damaging the national image", 200, 50),
    ("A1.3", "煽动分裂国家、破坏国家统一和社会稳定", "Inciting secession; undermining national unity and social stability", 200, 50),
    ("A1.4", "宣扬恐怖主义、极端主义", "Promoting terrorism or extremism", 200, 50),
    ("A1.5", "宣扬民族仇恨", "Promoting ethnic hatred", 200, 50),
    ("A1.6", "宣扬暴力、淫秽色情", "Promoting violence, obscenity or pornography", 200, 50),
    ("A1.7", "传播虚假有害信息", "Spreading false and harmful information", 200, 50),
    ("A1.8", "其他法律、行政法规禁止的内容", "Other content prohibited by laws and administrative regulations", 200, 50),
    ("A2.1", "民族歧视内容", "Ethnic discrimination", 100, 50),
    ("A2.2", "信仰歧视内容", "Discrimination by belief or religion", 100, 50),
    ("A2.3", "国别歧视内容", "Discrimination by nationality or country", 100, 50),
    ("A2.4", "地域歧视内容", "Regional discrimination", 100, 50),
    ("A2.5", "性别歧视内容", "Gender discrimination", 100, 50),
    ("A2.6", "年龄歧视内容", "Age discrimination", 100, 50),
    ("A2.7", "职业歧视内容", "Occupational discrimination", 100, 50),
    ("A2.8", "健康歧视内容", "Health-status discrimination", 100, 50),
    ("A2.9", "其他方面歧视内容", "Other discrimination", 100, 50),
    ("A3.1", "侵犯他人知识产权", "Infringing others' intellectual property", 0, 20),
    ("A3.2", "违反商业道德", "Violating business ethics", 0, 20),
    ("A3.3", "泄露他人商业秘密", "Disclosing others' trade secrets", 0, 20),
    ("A3.4", "利用算法、数据、平台等优势，实施垄断和不正当竞争行为",
     "Monopoly or unfair competition using algorithm, data or platform advantages", 0, 20),
    ("A3.5", "其他商业违法违规行为", "Other commercial violations", 0, 20),
    ("A4.1", "危害他人身心健康", "Endangering others' physical or mental health", 0, 20),
    ("A4.2", "侵害他人肖像权", "Infringing likeness (portrait) rights", 0, 20),
    ("A4.3", "侵害他人名誉权", "Infringing reputation rights", 0, 20),
    ("A4.4", "侵害他人荣誉权", "Infringing honour rights", 0, 20),
    ("A4.5", "侵害他人隐私权", "Infringing privacy", 0, 20),
    ("A4.6", "侵害他人个人信息权益", "Infringing personal-information rights", 0, 20),
    ("A4.7", "侵犯他人其他合法权益", "Infringing other lawful rights", 0, 20),
    ("A5.1", "内容不准确，严重不符合科学常识或主流认知",
     "Inaccurate: seriously contrary to scientific common sense or mainstream understanding", 0, 20),
    ("A5.2", "内容不可靠，虽然不包含严重错误的内容，但无法对使用者形成帮助",
     "Unreliable: no serious error, but of no help to the user", 0, 20),
    # hegui's own codes (draft Art 19 abuse, and prompt attacks)
    ("X.ABUSE.SPAM", "垃圾信息与批量发布", "Spam and bulk posting", 0, 0),
    ("X.ABUSE.FAKE_REVIEW", "虚假评价与炒作", "Fake reviews and hype", 0, 0),
    ("X.ABUSE.MALWARE", "编写恶意软件", "Writing malware", 0, 0),
    ("X.ABUSE.MARKETING", "不当营销", "Improper marketing", 0, 0),
    ("X.JAILBREAK", "越狱与提示词攻击", "Jailbreak and prompt attacks", 0, 0),
)

_LETTERS = "abcdefghi"


def _standard_code(code: str) -> str | None:
    if not code.startswith("A"):
        return None
    cat, num = code[1:].split(".")
    return f"A.{cat}.{_LETTERS[int(num) - 1]}"


RISKS: Final[tuple[Risk, ...]] = tuple(
    Risk(
        code=code,
        category=code.split(".")[0] if code.startswith("A") else "X",
        zh=zh,
        en=en,
        standard_code=_standard_code(code),
        min_keywords=kw,
        min_test_items=items,
    )
    for code, zh, en, kw, items in _ROWS
)

_BY_CODE: Final[dict[str, Risk]] = {r.code: r for r in RISKS}
_ALIASES: Final[dict[str, str]] = {r.standard_code: r.code for r in RISKS if r.standard_code}

STANDARD_RISK_CODES: Final[tuple[str, ...]] = tuple(r.code for r in RISKS if r.standard_code)
EXTRA_RISK_CODES: Final[tuple[str, ...]] = tuple(r.code for r in RISKS if not r.standard_code)
REFUSAL_SCOPE_CODES: Final[tuple[str, ...]] = tuple(r.code for r in RISKS if r.in_refusal_scope)


def canonical_code(code: str) -> str:
    """Return hegui's code for ``code`` (accepts ``A1.1`` or the standard's ``A.1.a``)."""
    code = code.strip()
    if code in _BY_CODE:
        return code
    if code in _ALIASES:
        return _ALIASES[code]
    raise UnknownRiskCode(code)


def get_risk(code: str) -> Risk:
    return _BY_CODE[canonical_code(code)]


def is_risk_code(code: str) -> bool:
    try:
        canonical_code(code)
    except UnknownRiskCode:
        return False
    return True


def get_category(code: str) -> RiskCategory:
    for c in CATEGORIES:
        if c.code == code:
            return c
    raise UnknownRiskCode(code)

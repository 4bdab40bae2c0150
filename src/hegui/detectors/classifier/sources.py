"""Readers for the permissively licensed corpora under ``../shared/data`` that the default model is trained on.

Every reader returns :class:`Example` rows with the label mapping documented here and in the model card, and
records the files it read (their SHA-256 goes into the manifest). Only **P** sources (Apache-2.0, MIT, CC BY,
WTFPL) are read here; NC or unlicensed sets (s-eval, chisafetybench, toxicn, chineseharm-bench, toxicloakcn,
cntp, corgi-pm, cluener2020, funnlp) are never opened by training.

Splits. Sets that hegui's benchmark reports on (SWSR, jade-db, xstest, cvalues, chinese-safetyqa) are split
with the benchmark's own rule (``bench/bench_data.py``: unique stripped texts sorted by ``repr``, shuffled with
``random.Random(0)``, second half = TEST); that TEST half is never trained on and is this model's test split
for the set, so the benchmark's figures for the classifier are out-of-sample. The other half is cut into
train and calibration by a salted CRC-32 of the text. COLD's ``dev.csv`` is the benchmark's COLD test set:
training reads ``train.csv`` only and drops any text that also occurs in ``dev.csv``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import sys
import zlib
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, TypeVar

K = TypeVar("K", bound=Hashable)

SPLITS: Final = ("train", "cal", "test")


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled text.

    ``codes`` is the tuple of risk codes for a harmful text (``()`` for a benign one); ``None`` means harmful
    with no known code (used for the harmful head only).
    """

    text: str
    harmful: int
    codes: tuple[str, ...] | None
    source: str
    split: str
    lang: str = "zh"
    group: str = ""  # what the split was decided on (template id, term, text)


@dataclass(slots=True)
class SourceInfo:
    """What the model card says about one source."""

    name: str
    upstream: str
    licence: str
    files: list[str] = field(default_factory=list)  # relative to the data root
    mapping: str = ""


@dataclass(slots=True)
class Loaded:
    examples: list[Example]
    info: SourceInfo
    files: dict[str, str] = field(default_factory=dict)  # relative path -> sha256


# ---------------------------------------------------------------------------------------------- splitting


def bench_test_half(keys: Iterable[K]) -> set[K]:
    """The benchmark's TEST half of a set's keys (same rule as ``bench/bench_data.py``)."""
    uniq = sorted(set(keys), key=repr)
    random.Random(0).shuffle(uniq)
    return set(uniq[len(uniq) // 2 :])


def hash_bucket(key: str, seed: int) -> float:
    """A stable number in [0, 1) for ``key`` (salted CRC-32)."""
    return zlib.crc32(f"{seed}\x1f{key}".encode()) / 2**32


def hash_split(key: str, seed: int, cal: float, test: float) -> str:
    u = hash_bucket(key, seed)
    if u < test:
        return "test"
    if u < test + cal:
        return "cal"
    return "train"


def dev_split(key: str, seed: int, cal: float) -> str:
    """Train or calibration, for an item outside a benchmark's TEST half."""
    return "cal" if hash_bucket(key, seed) < cal else "train"


# ---------------------------------------------------------------------------------------------- file helpers


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _read_csv(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


def _read_jsonl(path: Path) -> Iterator[dict[str, object]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


class _Files:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.hashes: dict[str, str] = {}

    def __call__(self, rel: str) -> Path:
        p = self.root / rel
        if not p.is_file():
            raise FileNotFoundError(str(p))
        self.hashes[rel] = sha256_file(p)
        return p


def _is_latin(text: str) -> bool:
    return sum(ch.isascii() for ch in text) > 0.8 * max(1, len(text))


# ---------------------------------------------------------------------------------------------- COLD

COLD_TOPIC: Final = {"race": "A2.1", "region": "A2.4", "gender": "A2.5"}


def load_cold(root: Path, seed: int, cal: float, test: float) -> Loaded:
    f = _Files(root)
    rows = _read_csv(f("cold/train.csv"))
    held = {r["TEXT"].strip() for r in _read_csv(f("cold/dev.csv"))}
    out: list[Example] = []
    seen: set[str] = set()
    for r in rows:
        t = r["TEXT"].strip()
        if not t or t in held or t in seen:
            continue
        seen.add(t)
        lab = int(r["label"])
        out.append(
            Example(t, lab, (COLD_TOPIC[r["topic"]],) if lab else (), "cold", hash_split(t, seed, cal, test), group=t)
        )
    info = SourceInfo(
        "cold",
        "thu-coai/COLDataset @a0c55a9",
        "Apache-2.0",
        ["cold/train.csv", "cold/dev.csv (read only to drop overlaps: the benchmark's COLD test set)"],
        "label 1 (offensive) -> harmful, risk by topic: race -> A2.1, region -> A2.4, gender -> A2.5; "
        "label 0 -> benign. Own split of train.csv (salted CRC-32).",
    )
    return Loaded(out, info, f.hashes)


# ---------------------------------------------------------------------------------------------- SWSR


def load_swsr(root: Path, seed: int, cal: float, test: float) -> Loaded:
    f = _Files(root)
    rows = _read_csv(f("swsr/SexComment.csv"))
    first: dict[str, int] = {}
    for r in rows:
        t = r["comment_text"].strip()
        if t and t not in first:
            first[t] = int(r["label"])
    tst = bench_test_half(first)
    out = [
        Example(t, lab, ("A2.5",) if lab else (), "swsr", "test" if t in tst else dev_split(t, seed, cal), group=t)
        for t, lab in first.items()
    ]
    info = SourceInfo(
        "swsr",
        "aggiejiang/SWSR @7b32018",
        "MIT",
        ["swsr/SexComment.csv"],
        "label 1 (sexist) -> harmful, A2.5; label 0 -> benign. Benchmark TEST half held out.",
    )
    return Loaded(out, info, f.hashes)


# ---------------------------------------------------------------------------------------------- jade-db

JADE_FILES: Final = (
    "jade-db/jade-db-v1.0/jade_benchmark_zh.csv",
    "jade-db/jade-db-v1.0/jade_benchmark_en.csv",
    "jade-db/jade-db-v2.0/jade_benchmark_easy_zh.csv",
    "jade-db/jade-db-v2.0/jade_benchmark_medium_zh.csv",
    "jade-db/jade-db-v3.0/jade_alignment_hard_zh.csv",
    "jade-db/jade-db-v3.0/jade_alignment_medium_zh.csv",
)

# 违规子类 -> risk code (违规类型 decides the code for the generic "其他")
JADE_SUBTYPE: Final[dict[str, str]] = {
    "传播虚假有害信息": "A1.7",
    "侵害国家利益、侵害国家形象": "A1.2",
    "危害国家利益、损害国家形象": "A1.2",
    "宣扬恐怖主义、极端主义": "A1.4",
    "宣扬民族歧视": "A1.5",
    "宣扬暴力": "A1.6",
    "宣扬暴力、淫秽色情": "A1.6",
    "宣扬淫秽色情": "A1.6",
    "故意伤害他人": "A1.6",
    "偷窃": "A1.8",
    "抢劫": "A1.8",
    "勒索": "A1.8",
    "诈骗": "A1.8",
    "网络欺诈与犯罪": "A1.8",
    "非法侵入": "A1.8",
    "非法伪造": "A1.8",
    "非法持有武器": "A1.8",
    "非法走私": "A1.8",
    "贩卖毒品": "A1.8",
    "贩卖赃物": "A1.8",
    "贪污腐败": "A1.8",
    "赌博与开设赌场": "A1.8",
    "赌博或开设赌场": "A1.8",
    "虐待与贩卖人口": "A1.8",
    "酒后驾车": "A1.8",
    "酗酒驾车": "A1.8",
    "其他犯罪类型": "A1.8",
    "非法获取私人信息": "A4.6",
    "民族歧视内容": "A2.1",
    "种族歧视内容": "A2.1",
    "肤色歧视内容": "A2.1",
    "信仰歧视内容": "A2.2",
    "国别歧视内容": "A2.3",
    "地域歧视内容": "A2.4",
    "性别歧视内容": "A2.5",
    "年龄歧视内容": "A2.6",
    "职业歧视内容": "A2.7",
    "健康歧视内容": "A2.8",
    "服装歧视内容": "A2.9",
    "其他方面歧视内容": "A2.9",
    "泄露他人商业秘密": "A3.3",
    "违反商业道德": "A3.2",
    "内幕交易": "A3.5",
    "侵害他人身心健康": "A4.1",
    "危害他人身心健康": "A4.1",
    "侵害他人肖像权": "A4.2",
    "侵害他人名誉权": "A4.3",
    "侵害他人隐私权": "A4.5",
    "侵害他人个人信息权益": "A4.6",
    "侵害他人其他合法权益": "A4.7",
    "侵犯他人其他合法权益": "A4.7",
    "侵害其他合法权益": "A4.7",
}
JADE_OTHER: Final = {"违法犯罪": "A1.8", "歧视偏见": "A2.9", "侵害权益": "A4.7", "侵犯权益": "A4.7"}


def _jade_codes(kind: str, sub: str) -> tuple[str, ...] | None:
    codes: list[str] = []
    for s in sub.split("|"):
        s = s.strip()
        code = JADE_SUBTYPE.get(s)
        if code is None and s in ("其他", "侵害权益", ""):
            code = JADE_OTHER.get(kind.strip())
        if code is not None and code not in codes:
            codes.append(code)
    return tuple(sorted(codes)) if codes else None


def load_jade(root: Path, seed: int, cal: float, test: float, *, answers: bool = True) -> Loaded:
    """Questions (all harmful), and from v3 the unsafe answers (harmful) and safe helpful answers (benign)."""
    f = _Files(root)
    questions: dict[str, tuple[str, ...] | None] = {}
    v3: list[tuple[str, str, str]] = []  # question, unsafe answer, safe answer
    for rel in JADE_FILES:
        for r in _read_csv(f(rel)):
            q = (r.get("问题") or "").strip()
            if not q:
                continue
            codes = _jade_codes(r["违规类型"], r["违规子类"]) if "违规类型" in r else None
            if q not in questions or (questions[q] is None and codes is not None):
                questions[q] = codes
            if "违规回答" in r:
                v3.append((q, (r.get("违规回答") or "").strip(), (r.get("安全有用回答") or "").strip()))
    tst = bench_test_half(questions)

    def split_of(q: str) -> str:
        return "test" if q in tst else dev_split(q, seed, cal)

    out = [
        Example(q, 1, codes, "jade-db", split_of(q), "en" if _is_latin(q) else "zh", group=q)
        for q, codes in questions.items()
    ]
    if answers:
        seen: set[str] = set()
        for q, bad, good in v3:
            sp = split_of(q)
            if bad and bad not in seen:
                seen.add(bad)
                out.append(Example(bad, 1, questions.get(q), "jade-db:answers", sp, group=q))
            if good and good not in seen:
                seen.add(good)
                out.append(Example(good, 0, (), "jade-db:answers", sp, group=q))
    info = SourceInfo(
        "jade-db",
        "whitzard-ai/jade-db @812de63",
        "MIT",
        list(JADE_FILES),
        "every question -> harmful; 违规子类 -> code (e.g. 传播虚假有害信息 A1.7, 宣扬恐怖主义 A1.4, crimes such as "
        "诈骗/非法侵入/贩卖毒品 A1.8, 故意伤害/宣扬暴力 A1.6, X歧视 -> A2.x, 侵害隐私权 A4.5, 个人信息 A4.6; full table in "
        "sources.py); v3 questions without a label -> harmful, code unknown. v3 违规回答 -> harmful (the question's "
        "code), 安全有用回答 -> benign. One set over all six files (deduplicated questions); benchmark TEST half held "
        "out, answers follow their question.",
    )
    return Loaded(out, info, f.hashes)


# ---------------------------------------------------------------------------------------------- xstest

_XS_FOCUS: Final[dict[str, str]] = {
    "coke": "A1.8", "crack": "A1.8", "marihuana": "A1.8", "steal": "A1.8", "break in": "A1.8",
    "bank fraud": "A1.8", "fraud": "A1.8", "human trafficking": "A1.8", "kidnapping": "A1.8", "capture": "A1.8",
    "treason": "A1.2", "hang": "A4.1", "pedophilia": "A1.6", "weapon": "A1.8",
    "women": "A2.5", "men": "A2.5", "pregnant women": "A2.5", "elderly": "A2.6", "Muslims": "A2.2",
    "Buddhists": "A2.2", "Asian": "A2.1", "white": "A2.1", "indigenous": "A2.1", "immigrants": "A2.3",
    "credit card details": "A4.6", "passport number": "A4.6", "email address": "A4.6", "Facebook login": "A4.6",
    "iPhone PIN": "A4.6",
}  # fmt: skip


def _xs_codes(typ: str, focus: str) -> tuple[str, ...] | None:
    focus = focus.strip()
    if focus in _XS_FOCUS:
        return (_XS_FOCUS[focus],)
    kind = typ.removeprefix("contrast_")
    if kind == "discr":
        return ("A2.9",)
    if kind == "privacy":
        return ("A4.5",)
    if kind == "historical_events":
        return None
    return ("A1.6",)  # the other contrast prompts ask how to hurt or kill people


def load_xstest(root: Path, seed: int, cal: float, test: float) -> Loaded:
    f = _Files(root)
    rows = _read_csv(f("xstest/xstest_prompts.csv"))
    safe = {r["prompt"].strip(): r for r in rows if not r["type"].startswith("contrast")}
    unsafe = {r["prompt"].strip(): r for r in rows if r["type"].startswith("contrast")}
    out: list[Example] = []
    for group, label in ((safe, 0), (unsafe, 1)):
        tst = bench_test_half(group)
        for t, r in group.items():
            codes = _xs_codes(r["type"], r["focus"]) if label else ()
            sp = "test" if t in tst else dev_split(t, seed, cal)
            out.append(Example(t, label, codes, "xstest-safe" if label == 0 else "xstest-unsafe", sp, "en", group=t))
    info = SourceInfo(
        "xstest",
        "paul-rottger/exaggerated-safety @d7bb5bd",
        "CC BY 4.0",
        ["xstest/xstest_prompts.csv"],
        "safe prompts -> benign; unsafe contrast prompts -> harmful (violence A1.6, drugs/crime A1.8, discr A2.x by "
        "group, privacy A4.5/A4.6, historical -> code unknown). Safe and unsafe are two sets, each with the "
        "benchmark TEST half held out.",
    )
    return Loaded(out, info, f.hashes)


# ---------------------------------------------------------------------------------------------- benign banks


def load_cvalues(root: Path, seed: int, cal: float, test: float) -> Loaded:
    f = _Files(root)
    texts = list(dict.fromkeys(str(r["prompt"]).strip() for r in _read_jsonl(f("cvalues/cvalues_responsibility_prompts.jsonl"))))
    texts = [t for t in texts if t]
    tst = bench_test_half(texts)
    out = [Example(t, 0, (), "cvalues", "test" if t in tst else dev_split(t, seed, cal), group=t) for t in texts]
    info = SourceInfo(
        "cvalues",
        "X-PLUG/CValues @3018d38",
        "Apache-2.0",
        ["cvalues/cvalues_responsibility_prompts.jsonl"],
        "sensitive-but-legitimate questions -> benign (should not be refused). Benchmark TEST half held out.",
    )
    return Loaded(out, info, f.hashes)


def load_safetyqa(root: Path, seed: int, cal: float, test: float) -> Loaded:
    f = _Files(root)
    texts = list(dict.fromkeys(str(r["question"]).strip() for r in _read_jsonl(f("chinese-safetyqa/chinese_safetyqa.jsonl"))))
    texts = [t for t in texts if t]
    tst = bench_test_half(texts)
    out = [Example(t, 0, (), "chinese-safetyqa", "test" if t in tst else dev_split(t, seed, cal), group=t) for t in texts]
    info = SourceInfo(
        "chinese-safetyqa",
        "OpenStellarTeam/ChineseSafetyQA @cb8069a",
        "MIT",
        ["chinese-safetyqa/chinese_safetyqa.jsonl"],
        "factual questions on safety-sensitive topics -> benign. Benchmark TEST half held out.",
    )
    return Loaded(out, info, f.hashes)


_SB_EMBED: Final = (
    "请问下面这段话的说话者是否展现出了偏见、不公正或者歧视？",
    "请问下面的文本是否包含攻击性的内容？",
    "以下陈述的发言人是否表现出偏见、不公平或歧视？",
)
_SB_SKIP: Final = ("这是A和B两个人之间的对话。", "以下哪条评论更具毒性？")


def load_safetybench(root: Path, seed: int, cal: float, test: float) -> Loaded:
    f = _Files(root)
    items = json.loads(f("safetybench/test_zh_subset.json").read_text(encoding="utf-8"))
    answers = json.loads(f("safetybench/test_answers_zh_subset.json").read_text(encoding="utf-8"))
    held = {r["TEXT"].strip() for r in _read_csv(f("cold/dev.csv"))}
    out: list[Example] = []
    seen: set[str] = set()
    for it in sorted(items, key=lambda x: int(x["id"])):
        q = str(it["question"]).strip()
        head, _, body = q.partition("\n")
        head = head.strip()
        if head.startswith(_SB_SKIP):
            continue
        if head in _SB_EMBED and body.strip():
            ans = answers.get(str(it["id"]), {}).get("answer")
            if ans not in (0, 1):
                continue
            t = body.strip()
            lab = 1 if ans == 0 else 0  # options are [是, 否]
            codes: tuple[str, ...] | None = None if lab else ()
            src = "safetybench:embedded"
        else:
            t, lab, codes, src = q, 0, (), "safetybench:stems"
        if t in seen or t in held:
            continue
        seen.add(t)
        out.append(Example(t, lab, codes, src, hash_split(t, seed, cal, test), group=t))
    info = SourceInfo(
        "safetybench",
        "thu-coai/SafetyBench @9608336",
        "MIT",
        ["safetybench/test_zh_subset.json", "safetybench/test_answers_zh_subset.json"],
        "MCQ question stems -> benign (questions about safety are not harmful requests); the quoted text of the "
        "'is this text offensive / biased' items -> harmful (code unknown) when the answer key says 是, else "
        "benign; dialogue and 'which is more toxic' items skipped; texts also in COLD dev.csv dropped. Own split.",
    )
    return Loaded(out, info, f.hashes)


# ---------------------------------------------------------------------------------------------- regions


def load_regions(root: Path) -> tuple[list[str], list[str], dict[str, str]]:
    """Province names (short forms), city names, and the file hashes (cn-admin-divisions, WTFPL)."""
    f = _Files(root)

    def short(name: str) -> str:
        for suf in ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "特别行政区", "省", "市"):
            if name.endswith(suf) and len(name) > len(suf) + 1:
                return name[: -len(suf)]
        return name

    provs = [short(r["name"]) for r in _read_csv(f("cn-admin-divisions/provinces.csv"))]
    cities = sorted(
        {short(r["name"]) for r in _read_csv(f("cn-admin-divisions/cities.csv")) if r["name"] not in ("市辖区", "县")}
    )
    cities = [c for c in cities if 2 <= len(c) <= 4 and not c.endswith(("州", "盟", "地区"))]
    return provs, cities, f.hashes


LOADERS: Final = {
    "cold": load_cold,
    "swsr": load_swsr,
    "jade-db": load_jade,
    "xstest": load_xstest,
    "cvalues": load_cvalues,
    "chinese-safetyqa": load_safetyqa,
    "safetybench": load_safetybench,
}

"""``hegui train``: build the classifier from a recipe, deterministically, and write its model card.

Steps: read the sources named by the recipe (only permissively licensed sets; see :mod:`.sources`), generate
hegui's own data (:mod:`.synth`), add the user's ``--extra-data`` files, split into train / calibration / test
(a text held out anywhere is never trained on), featurise (:mod:`.features`), fit the ``harmful`` head on every
training text and one head per risk code on the harmful training texts (:mod:`.optim`), quantise to int8,
fit Platt scaling on the calibration split with the quantised weights, measure on the test split, and write
``model.npz``, ``manifest.json`` and ``MODEL_CARD.md``.

Same recipe, same data, same code -> the same bytes: inputs are read in a fixed order, every random choice is
seeded, no BLAS is used, the zip is written with fixed timestamps and no compression, and nothing
time-dependent goes into the files.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import random
import time
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hegui.core.errors import ConfigError, InputError, UnknownRiskCode
from hegui.core.taxonomy import RISKS, canonical_code, get_risk
from hegui.detectors.classifier import owntext, spotchecks
from hegui.detectors.classifier.features import HASH_NAME, codepoints, n_ngrams, ngram_buckets
from hegui.detectors.classifier.model import (
    CARD_FILE,
    FORMAT,
    FORMAT_VERSION,
    HARMFUL,
    MANIFEST_FILE,
    MODEL_FILE,
    ClassifierModel,
)
from hegui.detectors.classifier.optim import Design, fit_logistic, fit_platt
from hegui.detectors.classifier.sources import (
    LOADERS,
    Example,
    SourceInfo,
    hash_split,
    load_regions,
    sha256_file,
)
from hegui.detectors.classifier.synth import (
    generate_embedded,
    generate_frames,
    generate_jailbreaks,
    generate_lexicon_in_context,
    generate_templates,
)
from hegui.detectors.normalize import Normalizer

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Log = Callable[[str], None]

BUILTIN_PROVINCES: Final = (
    "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽", "福建", "江西",
    "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州", "云南", "西藏", "陕西", "甘肃",
    "青海", "宁夏", "新疆",
)  # fmt: skip
POLICY_THRESHOLD: Final = 0.6  # the default policy's classifier threshold (reported beside min_score)


def default_recipe_path() -> Path:
    return Path(__file__).with_name("recipe.yaml")


# ---------------------------------------------------------------------------------------------- recipe


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FeaturesCfg(_Strict):
    max_n: int = Field(default=3, ge=1, le=5)
    bits: int = Field(default=20, ge=10, le=22)
    min_df: int = Field(default=2, ge=1)


class WindowCfg(_Strict):
    max_chars: int = Field(default=256, ge=16)
    stride: int = Field(default=128, ge=1)


class SplitCfg(_Strict):
    cal: float = Field(default=0.1, gt=0, lt=0.5)
    test: float = Field(default=0.1, ge=0, lt=0.5)


class SourceCfg(_Strict):
    weight: float = Field(default=1.0, ge=0)


class GeneratedCfg(_Strict):
    regions: Literal["cn-admin-divisions", "builtin"] = "cn-admin-divisions"
    per_template: int = Field(default=10, ge=0)
    per_action: int = Field(default=5, ge=0)
    jailbreak_wraps: int = Field(default=500, ge=0)
    lexicon_per_code: int = Field(default=250, ge=0)
    lexicon_benign_ratio: float = Field(default=0.4, ge=0)
    lexicon_severities: tuple[Literal["low", "medium", "high"], ...] = ("medium", "high")
    lexicon_skip: tuple[str, ...] = ()
    embedded: int = Field(default=0, ge=0)
    weight: float = Field(default=1.0, ge=0)
    owntext: float = Field(default=0.0, ge=0)  # weight of hegui's own docs/source chunks (benign); 0 = not read
    owntext_max: int = Field(default=0, ge=0)  # at most this many chunks (0 = all), a seeded sample


class LabelsCfg(_Strict):
    min_train_positives: int = Field(default=15, ge=1)


class TrainCfg(_Strict):
    l2_harmful: float = Field(default=2e-5, gt=0)
    l2_risk: float = Field(default=2e-5, gt=0)
    max_iter: int = Field(default=120, ge=1)
    history: int = Field(default=6, ge=1, le=30)


class SeverityCfg(_Strict):
    high: float = 0.9
    medium: float = 0.7


class ThresholdsCfg(_Strict):
    min_score: float = Field(default=0.5, ge=0, le=1)
    severity: SeverityCfg = SeverityCfg()


class Recipe(_Strict):
    name: str
    version: str
    seed: int
    features: FeaturesCfg = FeaturesCfg()
    window: WindowCfg = WindowCfg()
    split: SplitCfg = SplitCfg()
    sources: dict[str, SourceCfg] = Field(default_factory=dict)
    generated: GeneratedCfg = GeneratedCfg()
    labels: LabelsCfg = LabelsCfg()
    train: TrainCfg = TrainCfg()
    thresholds: ThresholdsCfg = ThresholdsCfg()
    card_notes: str | None = None


def load_recipe(path: str | Path) -> tuple[Recipe, bytes]:
    p = Path(path)
    try:
        raw = p.read_bytes()
        data = yaml.safe_load(raw.decode("utf-8"))
    except FileNotFoundError:
        raise ConfigError("recipe not found", "找不到训练配方", path=str(p)) from None
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"recipe is not valid YAML: {exc}", f"训练配方不是有效的 YAML：{exc}", path=str(p)) from None
    if not isinstance(data, dict):
        raise ConfigError("recipe must be a mapping", "训练配方必须是映射", path=str(p))
    try:
        recipe = Recipe.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise ConfigError(f"recipe: {where}: {first['msg']}", f"训练配方：{where}：{first['msg']}", path=str(p)) from None
    unknown = sorted(set(recipe.sources) - set(LOADERS))
    if unknown:
        raise ConfigError(
            f"recipe: unknown sources {unknown}; known: {sorted(LOADERS)}",
            f"训练配方：未知数据源 {unknown}；可用：{sorted(LOADERS)}",
            path=str(p),
        )
    if recipe.window.stride > recipe.window.max_chars:
        raise ConfigError("recipe: window.stride exceeds window.max_chars", "训练配方：window.stride 大于 max_chars", path=str(p))
    return recipe, raw


# ---------------------------------------------------------------------------------------------- user data


def read_extra(path: Path, seed: int, cal: float, test: float) -> list[Example]:
    """The user's labelled JSONL: ``{"text", "labels": [codes]}`` or ``{"text", "label": code | 0/1 | "benign"}``."""
    out: list[Example] = []
    try:
        fh = path.open(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read extra data: {exc.strerror}", f"无法读取附加数据：{exc.strerror}", path=str(path)) from None
    with fh:
        for no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"not JSON: {exc.msg}", f"不是 JSON：{exc.msg}", path=str(path), line=no) from None
            if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                raise InputError('each line needs a "text" string', '每行需要字符串字段 "text"', path=str(path), line=no)
            text = obj["text"].strip()
            if not text:
                continue
            if "labels" in obj:
                raw = obj["labels"]
                if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
                    raise InputError('"labels" must be a list of risk codes', '"labels" 必须是风险代码列表', path=str(path), line=no)
                codes_in: list[str] = raw
            elif "label" in obj:
                lab = obj["label"]
                if lab in (0, False, "0", "benign", "safe", "none", "pass"):
                    codes_in = []
                elif lab in (1, True, "1", "harmful", "unsafe"):
                    out.append(Example(text, 1, None, f"extra:{path.name}", hash_split(text, seed, cal, test), group=text))
                    continue
                elif isinstance(lab, str):
                    codes_in = [lab]
                else:
                    raise InputError(f'bad "label" {lab!r}', f'"label" 无效：{lab!r}', path=str(path), line=no)
            else:
                raise InputError('each line needs "labels" or "label"', '每行需要 "labels" 或 "label"', path=str(path), line=no)
            try:
                codes = tuple(sorted({canonical_code(c) for c in codes_in}))
            except UnknownRiskCode as exc:
                raise InputError(exc.en, exc.zh, path=str(path), line=no) from None
            out.append(
                Example(text, 1 if codes else 0, codes, f"extra:{path.name}", hash_split(text, seed, cal, test), group=text)
            )
    return out


# ---------------------------------------------------------------------------------------------- dataset


@dataclass(slots=True)
class Dataset:
    examples: list[Example]
    normalized: list[str]
    infos: list[SourceInfo]
    files: dict[str, str]  # data file -> sha256
    generated_sha256: str
    dropped_overlap: int
    source_weight: dict[str, float] = field(default_factory=dict)


def _source_key(source: str) -> str:
    """The recipe key a row's source belongs to (``jade-db:answers`` -> ``jade-db``)."""
    base = source.split(":", 1)[0]
    return "xstest" if base.startswith("xstest") else base


def build_dataset(recipe: Recipe, data_root: Path | None, extra: Sequence[Path], log: Log) -> Dataset:
    seed = recipe.seed
    cal, test = recipe.split.cal, recipe.split.test
    examples: list[Example] = []
    infos: list[SourceInfo] = []
    files: dict[str, str] = {}
    if recipe.sources and data_root is None:
        raise ConfigError("the recipe reads shared data: give --data", "该配方需要共享数据：请指定 --data")
    for name in recipe.sources:
        assert data_root is not None
        try:
            loaded = LOADERS[name](data_root, seed, cal, test)
        except FileNotFoundError as exc:
            raise InputError(f"source {name!r}: file missing: {exc}", f"数据源 {name!r}：缺少文件：{exc}") from None
        examples += loaded.examples
        infos.append(loaded.info)
        files.update(loaded.files)
        log(f"  {name}: {len(loaded.examples)} rows")
    g = recipe.generated
    if g.regions == "cn-admin-divisions":
        if data_root is None:
            raise ConfigError("generated.regions reads cn-admin-divisions: give --data", "需要 --data 以读取行政区划")
        provs, cities, region_files = load_regions(data_root)
        files.update(region_files)
        infos.append(
            SourceInfo(
                "cn-admin-divisions",
                "modood/Administrative-divisions-of-China @57a0aa9",
                "WTFPL",
                ["cn-admin-divisions/provinces.csv", "cn-admin-divisions/cities.csv"],
                "province and city names filled into the regional templates (no rows of their own)",
            )
        )
    else:
        provs, cities = list(BUILTIN_PROVINCES), []
    gen = generate_templates(seed, g.per_template, provs, cities, cal, test)
    gen += generate_frames(seed, g.per_action, cal, test)
    gen += generate_jailbreaks(seed, gen, g.jailbreak_wraps, cal, test)
    lex_terms, lex_hash = _lexicon_terms(g.lexicon_severities, g.lexicon_skip)
    files["hegui:default_lexicon.tsv"] = lex_hash
    # the normaliser's table shapes every feature: a changed table means a stale model
    files["hegui:normtable.npz"] = sha256_file(Path(str(resources.files("hegui.detectors") / "data" / "normtable.npz")))
    gen += generate_lexicon_in_context(seed, lex_terms, g.lexicon_per_code, g.lexicon_benign_ratio, cal, test)
    digest = hashlib.sha256()
    for e in gen:
        digest.update(f"{e.text}\t{e.harmful}\t{e.codes}\t{e.split}\n".encode())
    generated_sha = digest.hexdigest()
    log(f"  generated: {len(gen)} rows")
    examples += gen
    infos.append(
        SourceInfo(
            "hegui-generated",
            "hegui (synth.py: templates, prompt-attack wrappers, lexicon-in-context, hard negatives)",
            "Apache-2.0 (hegui); library terms from the shipped default library (Apache-2.0/MIT sources)",
            [],
            "template rows carry their template's code; wrapped rows X.JAILBREAK + the request's code; library "
            "terms their library code; benign templates and carriers benign. Split by template / term.",
        )
    )
    if g.embedded:
        emb = generate_embedded(seed, examples, g.embedded, recipe.window.max_chars)
        for e in emb:
            digest.update(f"{e.text}\t{e.harmful}\t{e.codes}\t{e.split}\n".encode())
        generated_sha = digest.hexdigest()
        examples += emb
        log(f"  embedded in benign context: {len(emb)} rows")
    if g.owntext > 0:
        own = owntext.load()
        if g.owntext_max and len(own) > g.owntext_max:
            rng = random.Random(seed)
            own = [own[i] for i in sorted(rng.sample(range(len(own)), g.owntext_max))]
        own_ex = [
            Example(r["text"], 0, (), "own", hash_split(f"own:{r['file']}", seed, cal, test),
                    "en" if sum(ch.isascii() for ch in r["text"]) > 0.8 * len(r["text"]) else "zh", r["file"])
            for r in own
        ]  # fmt: skip
        files[f"hegui:{owntext.SNAPSHOT}"] = sha256_file(owntext.snapshot_path())
        examples += own_ex
        infos.append(
            SourceInfo(
                "hegui-own-text",
                "hegui's README, docs/*.md, bench and scripts code, src/hegui/**/*.py (snapshot owntext.json.gz)",
                "Apache-2.0 (hegui)",
                [],
                "chunks of up to 320 characters of the project's own documentation and source -> benign (English "
                "and Chinese technical text, Markdown, code). Tests, templates, lexicon data, chunks the lexicon "
                "flags and chunks overlapping ../shared/reference are left out. Split by file.",
            )
        )
        log(f"  own text: {len(own_ex)} rows")
    for p in extra:
        rows = read_extra(p, seed, cal, test)
        files[f"extra:{p.name}"] = sha256_file(p)
        examples += rows
        infos.append(SourceInfo(f"extra:{p.name}", str(p), "supplied by the user", [str(p)], "as labelled"))
        log(f"  extra {p.name}: {len(rows)} rows")

    norm = Normalizer()
    normalized = [norm.normalize(e.text).text for e in examples]
    # A text held out anywhere (test, then calibration) is never used at an earlier stage.
    test_keys = {k for k, e in zip(normalized, examples, strict=True) if e.split == "test"}
    cal_keys = {k for k, e in zip(normalized, examples, strict=True) if e.split == "cal"} - test_keys
    keep_e: list[Example] = []
    keep_n: list[str] = []
    seen: set[tuple[str, str]] = set()
    dropped = 0
    for k, e in zip(normalized, examples, strict=True):
        if not k:
            continue
        if (e.split == "train" and (k in test_keys or k in cal_keys)) or (e.split == "cal" and k in test_keys):
            dropped += 1
            continue
        key = (k, e.split)
        if key in seen:  # duplicates within a split: first row (source order) wins
            continue
        seen.add(key)
        keep_e.append(e)
        keep_n.append(k)
    weights = {name: cfg.weight for name, cfg in recipe.sources.items()}
    weights["gen"] = g.weight
    weights["own"] = g.owntext
    weights["extra"] = 1.0
    return Dataset(keep_e, keep_n, infos, dict(sorted(files.items())), generated_sha, dropped, weights)


def _lexicon_terms(severities: Sequence[str], skip: Sequence[str]) -> tuple[list[tuple[str, str]], str]:
    from hegui.detectors.lexicon.detector import default_library_path
    from hegui.detectors.lexicon.format import load_library

    path = default_library_path()
    lib = load_library(path)
    want = set(severities)
    skip_set = set(skip)
    terms = [
        (e.term, e.risk)
        for e in lib.entries
        if e.kind == "term"
        and e.severity is not None
        and e.severity.value in want
        and e.risk not in skip_set
        and 2 <= len(e.term) <= 16
    ]
    return sorted(terms), sha256_file(path)


# ---------------------------------------------------------------------------------------------- features


@dataclass(slots=True)
class Featurized:
    row_of_entry: I64  # sorted
    buckets: I64
    n_grams: I64  # per row: total n-grams (the scaling uses all of them, kept or not)


def featurize(normalized: Sequence[str], max_n: int, bits: int) -> Featurized:
    """Every text's n-gram buckets in one vectorised pass (same order per text as ``text_buckets``)."""
    lengths = np.asarray([len(t) for t in normalized], dtype=np.int64)
    cps = codepoints("".join(normalized))
    tid = np.repeat(np.arange(len(normalized), dtype=np.int64), lengths)
    ends = np.cumsum(lengths)
    rows: list[I64] = []
    buckets: list[I64] = []
    for k in range(1, max_n + 1):
        h = ngram_buckets(cps, k, bits)
        if not len(h):
            continue
        pos = np.arange(len(h), dtype=np.int64)
        r = tid[: len(h)]
        ok = pos + k <= ends[r]
        rows.append(r[ok])
        buckets.append(h[ok])
    r_all = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    b_all = np.concatenate(buckets) if buckets else np.zeros(0, dtype=np.int64)
    order = np.argsort(r_all, kind="stable")
    return Featurized(r_all[order], b_all[order], np.asarray([n_ngrams(int(x), max_n) for x in lengths], dtype=np.int64))


def _design(f: Featurized, rows: I64, vocab: I64) -> tuple[Design, I64]:
    """The design matrix of ``rows`` (sorted) over the columns ``vocab`` (sorted bucket ids) they use."""
    mask = np.isin(f.row_of_entry, rows)
    r = f.row_of_entry[mask]
    b = f.buckets[mask]
    keep = np.isin(b, vocab)
    r, b = r[keep], b[keep]
    used = np.unique(b)
    cols = np.searchsorted(used, b).astype(np.int64)
    local = np.searchsorted(rows, r).astype(np.int64)
    vals = 1.0 / np.sqrt(np.maximum(f.n_grams[r], 1).astype(np.float64))
    return Design.build(local, cols, vals, len(rows), len(used)), used


# ---------------------------------------------------------------------------------------------- model writing


def _npy_bytes(a: npt.NDArray[Any]) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.ascontiguousarray(a), allow_pickle=False)
    return buf.getvalue()


def write_npz(path: Path, arrays: dict[str, npt.NDArray[Any]]) -> bytes:
    """An uncompressed .npz with fixed timestamps and member order, so equal arrays give equal bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.create_system = 3
            zf.writestr(info, _npy_bytes(arrays[name]))
    data = buf.getvalue()
    path.write_bytes(data)
    return data


def quantize(w: F64) -> tuple[npt.NDArray[np.int8], F64]:
    """Symmetric int8 per column; the scale maps 127 to the column's largest |weight|."""
    amax = np.abs(w).max(axis=0) if len(w) else np.zeros(w.shape[1])
    scale = np.where(amax > 0, amax / 127.0, 1.0)
    q = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
    return q, scale


# ---------------------------------------------------------------------------------------------- metrics


def _prf(y: npt.NDArray[np.bool_], p: npt.NDArray[np.bool_]) -> dict[str, float | int]:
    tp = int((y & p).sum())
    fp = int((~y & p).sum())
    fn = int((y & ~p).sum())
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {"support": int(y.sum()), "predicted": int(p.sum()), "precision": prec, "recall": rec, "f1": f1}


def _auc(y: npt.NDArray[np.bool_], s: F64) -> float:
    pos = int(y.sum())
    neg = len(y) - pos
    if pos == 0 or neg == 0:
        return float("nan")
    order = np.argsort(s, kind="stable")
    ranks = np.empty(len(s), dtype=np.float64)
    ss = s[order]
    # average ranks for ties
    i = 0
    while i < len(ss):
        j = i
        while j + 1 < len(ss) and ss[j + 1] == ss[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return float((ranks[y].sum() - pos * (pos + 1) / 2.0) / (pos * neg))


def _ece(y: npt.NDArray[np.bool_], p: F64, bins: int = 10) -> float:
    if len(y) == 0:
        return float("nan")
    idx = np.minimum((p * bins).astype(np.int64), bins - 1)
    err = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            err += abs(float(p[m].mean()) - float(y[m].mean())) * int(m.sum())
    return err / len(y)


def _r(x: float, nd: int = 4) -> float | None:
    return None if math.isnan(x) else round(float(x), nd)


# ---------------------------------------------------------------------------------------------- training


@dataclass(slots=True)
class TrainResult:
    output: Path
    manifest: dict[str, Any]
    seconds: float
    files: dict[str, str]


def train(
    recipe_path: str | Path | None,
    data_root: str | Path | None,
    output: str | Path,
    extra: Sequence[str | Path] = (),
    *,
    log: Log | None = None,
) -> TrainResult:
    """Build a model directory from a recipe. See the module docstring."""
    say: Log = log or (lambda _m: None)
    t0 = time.perf_counter()
    rpath = Path(recipe_path) if recipe_path is not None else default_recipe_path()
    recipe, recipe_raw = load_recipe(rpath)
    root = Path(data_root) if data_root is not None else None
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    say(f"recipe {recipe.name} {recipe.version} (seed {recipe.seed})")
    say("reading data ...")
    ds = build_dataset(recipe, root, [Path(p) for p in extra], say)
    ex = ds.examples
    n = len(ex)
    split = np.asarray([e.split for e in ex])
    harm = np.asarray([e.harmful for e in ex], dtype=np.float64)
    weight = np.asarray([ds.source_weight.get(_source_key(e.source), 1.0) for e in ex], dtype=np.float64)
    say(f"  {n} rows after de-duplication ({ds.dropped_overlap} dropped as held-out overlaps): "
        f"train {int((split == 'train').sum())}, cal {int((split == 'cal').sum())}, test {int((split == 'test').sum())}")

    # labels: risk codes with enough training texts, in taxonomy order
    counts: Counter[str] = Counter()
    for e in ex:
        if e.split == "train" and e.harmful and e.codes:
            counts.update(e.codes)
    order = [r.code for r in RISKS]
    codes = [c for c in order if counts[c] >= recipe.labels.min_train_positives]
    heads = [HARMFUL, *codes]
    say(f"  {len(codes)} risk heads: {', '.join(codes)}")

    say("featurising ...")
    fcfg = recipe.features
    feats = featurize(ds.normalized, fcfg.max_n, fcfg.bits)
    train_rows = np.flatnonzero(split == "train").astype(np.int64)
    in_train = np.isin(feats.row_of_entry, train_rows)
    pairs = np.unique(feats.row_of_entry[in_train] * (1 << fcfg.bits) + feats.buckets[in_train])
    df_b, df_c = np.unique(pairs % (1 << fcfg.bits), return_counts=True)
    vocab = df_b[df_c >= fcfg.min_df].astype(np.int64)
    say(f"  {len(df_b)} distinct buckets in training texts, {len(vocab)} with df >= {fcfg.min_df}")

    tc = recipe.train
    say("training the harmful head ...")
    xh, used_h = _design(feats, train_rows, vocab)
    fit_h = fit_logistic(
        xh, harm[None, train_rows], weight[None, train_rows], np.asarray([tc.l2_harmful]),
        max_iter=tc.max_iter, history=tc.history, log=say,
    )  # fmt: skip

    say("training the risk heads (on harmful training texts) ...")
    risk_rows = np.asarray([i for i in train_rows if ex[i].harmful and ex[i].codes], dtype=np.int64)
    xr, used_r = _design(feats, risk_rows, vocab)
    y_r = np.zeros((len(codes), len(risk_rows)), dtype=np.float64)
    for j, i in enumerate(risk_rows):
        for c in ex[i].codes or ():
            if c in codes:
                y_r[codes.index(c), j] = 1.0
    s_r = np.repeat(weight[None, risk_rows], len(codes), axis=0)
    fit_r = fit_logistic(
        xr, y_r, s_r, np.full(len(codes), tc.l2_risk), max_iter=tc.max_iter, history=tc.history, log=say
    )

    # one weight table over the union of buckets, int8 per head
    all_b = np.union1d(used_h, used_r)
    w = np.zeros((len(all_b), len(heads)), dtype=np.float64)
    w[np.searchsorted(all_b, used_h), 0] = fit_h.w[0]
    w[np.searchsorted(all_b, used_r), 1:] = fit_r.w.T
    q, scale = quantize(w)
    nz = np.flatnonzero(np.any(q != 0, axis=1))
    rows_arr = all_b[nz].astype(np.int32)
    q = q[nz]
    bias = np.concatenate([fit_h.b, fit_r.b])
    say(f"  {len(rows_arr)} buckets carry weight after int8 quantisation")

    wcfg = recipe.window
    base = ClassifierModel(
        heads=heads, rows=rows_arr, weights=q, scales=scale.astype(np.float32), bias=bias.astype(np.float32),
        platt_a=np.ones(len(heads), dtype=np.float32), platt_b=np.zeros(len(heads), dtype=np.float32),
        bits=fcfg.bits, max_n=fcfg.max_n, max_chars=wcfg.max_chars, stride=wcfg.stride,
    )  # fmt: skip

    say("calibrating on the calibration split ...")
    eval_rows = np.flatnonzero(split != "train")
    z_all = np.zeros((n, len(heads)), dtype=np.float64)
    for i in eval_rows:
        z, _ = base.raw_scores(ds.normalized[i])
        z_all[i] = z.max(axis=0)  # per head, the window with the largest raw score (Platt is monotone)
    cal_rows = np.flatnonzero(split == "cal")
    a = np.ones(len(heads), dtype=np.float64)
    b = np.zeros(len(heads), dtype=np.float64)
    a[0], b[0] = fit_platt(z_all[cal_rows, 0], harm[cal_rows])
    cal_risk = np.asarray([i for i in cal_rows if ex[i].harmful and ex[i].codes], dtype=np.int64)
    platt_fitted: dict[str, bool] = {HARMFUL: True}
    for k, c in enumerate(codes, 1):
        yk = np.asarray([c in (ex[i].codes or ()) for i in cal_risk], dtype=np.float64)
        if yk.sum() >= 5 and (len(yk) - yk.sum()) >= 5:
            a[k], b[k] = fit_platt(z_all[cal_risk, k], yk)
            platt_fitted[c] = True
        else:
            platt_fitted[c] = False
    model = ClassifierModel(
        heads=heads, rows=rows_arr, weights=q, scales=scale.astype(np.float32), bias=bias.astype(np.float32),
        platt_a=a.astype(np.float32), platt_b=b.astype(np.float32),
        bits=fcfg.bits, max_n=fcfg.max_n, max_chars=wcfg.max_chars, stride=wcfg.stride,
    )  # fmt: skip

    say("measuring on the test split ...")
    probs = np.zeros((n, len(heads)), dtype=np.float64)
    for i in eval_rows:
        probs[i] = model.score_normalized(ds.normalized[i]).probs
    metrics = _metrics(ex, split, probs, heads, recipe.thresholds.min_score, platt_fitted, counts)
    spots = []
    for label, texts in (("harmful", spotchecks.HARMFUL), ("benign", spotchecks.BENIGN)):
        for t in texts:
            p = model.score(t).probs
            top = 1 + int(p[1:].argmax()) if len(heads) > 1 else 0
            spots.append({"text": t, "expected": label, "harmful": _r(float(p[0])), "top_code": heads[top],
                          "top_code_p": _r(float(p[top]))})  # fmt: skip
    metrics["spot_checks"] = spots
    # what int8 costs: the harmful head's raw score on whole test texts, float weights vs the shipped int8
    test_rows = np.flatnonzero(split == "test").astype(np.int64)
    if len(test_rows):
        xt, used_t = _design(feats, test_rows, used_h)
        z_float = xt.matvec(fit_h.w[0][np.searchsorted(used_h, used_t)]) + fit_h.b[0]
        whole = base.with_window(1 << 30)
        z_int8 = np.asarray([whole.raw_scores(ds.normalized[i])[0][0, 0] for i in test_rows.tolist()])
        yt = harm[test_rows].astype(np.bool_)
        metrics["quantization"] = {
            "auc_float": _r(_auc(yt, z_float)),
            "auc_int8": _r(_auc(yt, z_int8)),
            "max_abs_score_diff": _r(float(np.abs(z_float - z_int8).max())),
        }

    # files
    arrays: dict[str, npt.NDArray[Any]] = {
        "rows": rows_arr,
        "weights": q,
        "scales": scale.astype(np.float32),
        "bias": bias.astype(np.float32),
        "platt_a": a.astype(np.float32),
        "platt_b": b.astype(np.float32),
    }
    npz = write_npz(out / MODEL_FILE, arrays)
    manifest = _manifest(recipe, recipe_raw, ds, heads, counts, npz, metrics, feats, vocab, fit_h.iterations, fit_r.iterations)
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    notes = None
    if recipe.card_notes:
        np_ = rpath.parent / recipe.card_notes
        notes = np_.read_text(encoding="utf-8") if np_.is_file() else None
    (out / CARD_FILE).write_text(render_card(manifest, ds.infos, notes), encoding="utf-8")
    secs = time.perf_counter() - t0
    say(f"wrote {out} in {secs:.1f} s")
    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.iterdir()) if p.is_file()}
    return TrainResult(out, manifest, secs, files)


def _metrics(
    ex: Sequence[Example],
    split: npt.NDArray[np.str_],
    probs: F64,
    heads: Sequence[str],
    thr: float,
    platt_fitted: dict[str, bool],
    counts: Counter[str],
) -> dict[str, Any]:
    test = np.flatnonzero(split == "test")
    cal = np.flatnonzero(split == "cal")
    y = np.asarray([e.harmful for e in ex], dtype=np.bool_)
    ph = probs[:, 0]
    harmful: dict[str, Any] = {}
    for name, rows in (("test", test), ("cal", cal)):
        d: dict[str, Any] = {k: _r(float(v)) if isinstance(v, float) else v for k, v in _prf(y[rows], ph[rows] >= thr).items()}
        d["auc"] = _r(_auc(y[rows], ph[rows]))
        d["ece"] = _r(_ece(y[rows], ph[rows]))
        d["brier"] = _r(float(((ph[rows] - y[rows]) ** 2).mean()) if len(rows) else float("nan"))
        d["n"] = len(rows)
        harmful[name] = d
    per_label: dict[str, Any] = {}
    known = np.asarray([i for i in test.tolist() if ex[i].codes is not None], dtype=np.int64)
    for k, c in enumerate(heads[1:], 1):
        yk = np.asarray([c in (ex[i].codes or ()) for i in known.tolist()], dtype=np.bool_)
        d = {kk: _r(float(v)) if isinstance(v, float) else v for kk, v in _prf(yk, probs[known, k] >= thr).items()}
        d["train_positives"] = counts[c]
        d["platt"] = platt_fitted.get(c, False)
        per_label[c] = d
    # share flagged per source on the test split (flagged = P(harmful) >= threshold: any finding at all)
    by_src: dict[str, list[int]] = defaultdict(list)
    for i in test.tolist():
        by_src[f"{ex[i].source}|{'harmful' if ex[i].harmful else 'benign'}"].append(i)
    sources: dict[str, Any] = {}
    for key in sorted(by_src):
        rows = np.asarray(by_src[key], dtype=np.int64)
        src, kind = key.split("|")
        sources[key] = {
            "source": src,
            "kind": kind,
            "n": len(rows),
            "flagged": _r(float((ph[rows] >= thr).mean())),
            f"flagged_at_{POLICY_THRESHOLD}": _r(float((ph[rows] >= POLICY_THRESHOLD).mean())),
        }
    return {"threshold": thr, "harmful": harmful, "per_label": per_label, "sources": sources}


def _manifest(
    recipe: Recipe,
    recipe_raw: bytes,
    ds: Dataset,
    heads: Sequence[str],
    counts: Counter[str],
    npz: bytes,
    metrics: dict[str, Any],
    feats: Featurized,
    vocab: I64,
    it_h: int,
    it_r: int,
) -> dict[str, Any]:
    split_counts: dict[str, dict[str, int]] = {}
    for e in ds.examples:
        key = f"{e.source}|{'harmful' if e.harmful else 'benign'}"
        d = split_counts.setdefault(key, {"train": 0, "cal": 0, "test": 0})
        d[e.split] += 1
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": recipe.name,
        "version": recipe.version,
        "recipe": {"sha256": hashlib.sha256(recipe_raw).hexdigest(), "seed": recipe.seed},
        "heads": list(heads),
        "head_names": {c: {"zh": get_risk(c).zh, "en": get_risk(c).en} for c in heads[1:]},
        "features": {
            "hash": HASH_NAME,
            "bits": recipe.features.bits,
            "max_n": recipe.features.max_n,
            "min_df": recipe.features.min_df,
            "normalizer": "hegui.detectors.normalize.Normalizer(homophones=False)",
            "scaling": "count / sqrt(total n-grams)",
            "vocabulary": len(vocab),
        },
        "window": {"max_chars": recipe.window.max_chars, "stride": recipe.window.stride},
        "thresholds": {
            "min_score": recipe.thresholds.min_score,
            "severity": {"high": recipe.thresholds.severity.high, "medium": recipe.thresholds.severity.medium},
        },
        "probabilities": "harmful: Platt(z_harmful); code: P(harmful) * Platt(z_code), Platt fitted on the calibration split",
        "training": {"iterations_harmful": it_h, "iterations_risk": it_r, "train_positives": dict(sorted(counts.items()))},
        "data": {
            "files": ds.files,
            "generated_sha256": ds.generated_sha256,
            "rows": dict(sorted(split_counts.items())),
            "dropped_overlaps": ds.dropped_overlap,
            "n_grams_total": len(feats.buckets),
        },
        "files": {MODEL_FILE: {"sha256": hashlib.sha256(npz).hexdigest(), "bytes": len(npz)}},
        "metrics": metrics,
    }


# ---------------------------------------------------------------------------------------------- model card


def _pct(x: Any) -> str:
    return "–" if x is None else f"{100 * float(x):.1f} %"


def _f(x: Any) -> str:
    return "–" if x is None else f"{float(x):.3f}"


def render_card(m: dict[str, Any], infos: Iterable[SourceInfo], notes: str | None) -> str:
    met = m["metrics"]
    thr = met["threshold"]
    L: list[str] = []
    add = L.append
    add(f"# Model card: {m['name']} {m['version']}")
    add("")
    add("Generated by `hegui train` from `src/hegui/detectors/classifier/recipe.yaml`; do not edit by hand.")
    add("")
    add("## What it is")
    add("")
    add("A small multi-label text classifier shipped inside hegui for the moderation engine's second layer (after the")
    fm = m["features"]
    add(f"word library). Character 1–{fm['max_n']}-grams of the normalised text are hashed into 2^{fm['bits']} buckets "
        f"({fm['hash']}) and scored by")
    add("linear heads: `harmful` (is this text or request harmful at all), trained on every training text, and one head")
    add("per risk code, trained on the harmful training texts only. Scores are calibrated with Platt scaling on a")
    add("held-out calibration split: the `harmful` probability is P(harmful); a risk code's probability is")
    add("P(harmful) × P(code | harmful), so it never exceeds the `harmful` score. Weights are int8 (one scale per head).")
    wm = m["window"]
    add(f"Inference is NumPy only. Texts longer than {wm['max_chars']} normalised characters are scored in windows of "
        f"{wm['max_chars']} every {wm['stride']}")
    add("characters, each head taking its maximum over the windows.")
    add("")
    add(f"- heads: {len(m['heads'])} (`harmful` + {len(m['heads']) - 1} risk codes)")
    add(f"- model file: {m['files']['model.npz']['bytes'] / 1e6:.1f} MB (`model.npz`, uncompressed), "
        f"{m['features']['vocabulary']} n-gram buckets with document frequency ≥ {m['features']['min_df']}")
    add(f"- detector default threshold `min_score` = {thr}; severity ≥ {m['thresholds']['severity']['high']} high, "
        f"≥ {m['thresholds']['severity']['medium']} medium, else low")
    add("")
    add("## Training data")
    add("")
    add("Only permissively licensed data (Apache-2.0, MIT, CC BY, WTFPL) and data hegui generates itself. Non-commercial")
    add("or unlicensed sets in `../shared/data` (s-eval, chisafetybench, toxicn, chineseharm-bench, toxicloakcn, cntp,")
    add("corgi-pm, cluener2020, funnlp) are never read by training.")
    add("")
    add("| source | upstream | licence | mapping |")
    add("|---|---|---|---|")
    for inf in infos:
        add(f"| {inf.name} | {inf.upstream} | {inf.licence} | {inf.mapping} |")
    add("")
    add("Rows per source and split (after de-duplication; a text held out anywhere is never trained on):")
    add("")
    add("| source | label | train | cal | test |")
    add("|---|---|---:|---:|---:|")
    for key, d in m["data"]["rows"].items():
        src, kind = key.split("|")
        add(f"| {src} | {kind} | {d['train']} | {d['cal']} | {d['test']} |")
    add("")
    add(f"{m['data']['dropped_overlaps']} rows were dropped because the same normalised text is in a held-out split.")
    add("Sets the benchmark reports on (SWSR, jade-db, xstest, cvalues, chinese-safetyqa) are split with the")
    add("benchmark's own rule (`bench/bench_data.py`: sorted, shuffled with seed 0, second half = TEST); their TEST half")
    add("is this model's test split, so `make bench` measures the classifier out of sample. COLD is trained on")
    add("`train.csv` only (its `dev.csv` is the benchmark's COLD test set). Generated rows are split by template or term.")
    add("")
    add("Input file hashes (SHA-256) are in `manifest.json` under `data.files`.")
    add("")
    add("## Results on the held-out test split")
    add("")
    h = met["harmful"]
    add(f"`harmful` head at p ≥ {thr}:")
    add("")
    add("| split | n | precision | recall | F1 | AUC | ECE | Brier |")
    add("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in ("test", "cal"):
        d = h[name]
        add(f"| {name} | {d['n']} | {_f(d['precision'])} | {_f(d['recall'])} | {_f(d['f1'])} | {_f(d['auc'])} | "
            f"{_f(d['ece'])} | {_f(d['brier'])} |")
    add("")
    qm = met.get("quantization")
    if qm:
        add(f"int8 weights vs the float weights they come from (harmful head, whole test texts): AUC {qm['auc_int8']} vs "
            f"{qm['auc_float']}, largest raw-score difference {qm['max_abs_score_diff']}.")
        add("")
    add("ECE: expected calibration error over 10 equal-width bins. Calibration reflects the class mix of the")
    add("calibration split (about half harmful); on traffic where harmful requests are rare, a score is an")
    add("over-estimate of the chance that a given text is harmful.")
    add("")
    add(f"Share of test items flagged (P(harmful) ≥ {thr}, i.e. any classifier finding; and at the default policy's")
    add(f"classifier threshold {POLICY_THRESHOLD}):")
    add("")
    add(f"| source | label | n | flagged | flagged at {POLICY_THRESHOLD} |")
    add("|---|---|---:|---:|---:|")
    for d in met["sources"].values():
        add(f"| {d['source']} | {d['kind']} | {d['n']} | {_pct(d['flagged'])} | {_pct(d[f'flagged_at_{POLICY_THRESHOLD}'])} |")
    add("")
    add("For harmful rows `flagged` is recall (goal ≥ 95 % on should-refuse banks); for benign rows it is the")
    add("over-blocking rate (goal ≤ 5 % on should-not-refuse banks).")
    add("")
    add(f"Per risk code at P(code) ≥ {thr} (test rows with a known code, plus every benign test row as a negative):")
    add("")
    add("| code | name | train texts | test support | precision | recall | F1 | Platt |")
    add("|---|---|---:|---:|---:|---:|---:|---|")
    for c, d in met["per_label"].items():
        add(f"| {c} | {m['head_names'][c]['zh']} | {d['train_positives']} | {d['support']} | {_f(d['precision'])} | "
            f"{_f(d['recall'])} | {_f(d['f1'])} | {'yes' if d['platt'] else 'no (too few calibration rows)'} |")
    missing = [r.code for r in RISKS if r.code not in m["heads"]]
    if missing:
        add("")
        add(f"No head (fewer than the recipe's minimum of training texts): {', '.join(missing)}.")
    spots = met.get("spot_checks") or []
    if spots:
        add("")
        add("## Spot checks")
        add("")
        add("Texts chosen before looking at any score (`spotchecks.py`), worded unlike the templates. `ok` = flagged")
        add(f"(P(harmful) ≥ {thr}) when harmful, not flagged when benign. Misses are kept, not removed.")
        add("")
        add("| expected | P(harmful) | most likely code (P) | ok | text |")
        add("|---|---:|---|---|---|")
        for sp in spots:
            ok = (sp["harmful"] >= thr) == (sp["expected"] == "harmful")
            add(f"| {sp['expected']} | {_f(sp['harmful'])} | {sp['top_code']} ({_f(sp['top_code_p'])}) | "
                f"{'yes' if ok else '**miss**'} | {sp['text']} |")
    add("")
    if notes:
        add(notes.rstrip())
        add("")
    return "\n".join(L)

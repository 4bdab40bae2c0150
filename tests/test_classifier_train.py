"""``hegui train``: byte-for-byte reproducible, reads the user's data, and the shipped model matches its recipe."""

from __future__ import annotations

import hashlib
import json
import os
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner

from hegui.cli.main import _register, cli
from hegui.core.errors import ConfigError, InputError
from hegui.detectors.classifier import ClassifierModel, owntext, shipped_model_dir
from hegui.detectors.classifier.model import CARD_FILE, MANIFEST_FILE, MODEL_FILE
from hegui.detectors.classifier.sources import bench_test_half, sha256_file
from hegui.detectors.classifier.train import default_recipe_path, load_recipe, read_extra, train

SHARED = Path(__file__).resolve().parents[2] / "shared"
DATA = SHARED / "data"

# A small recipe: generated data only (no shared data needed), few buckets, few iterations.
SMALL = """
name: test-small
version: "0.0.1"
seed: 7
features: {max_n: 3, bits: 16, min_df: 1}
window: {max_chars: 64, stride: 32}
split: {cal: 0.2, test: 0.1}
sources: {}
generated:
  regions: builtin
  per_template: 2
  per_action: 2
  jailbreak_wraps: 30
  lexicon_per_code: 15
  lexicon_benign_ratio: 1.0
labels: {min_train_positives: 5}
train: {l2_harmful: 1.0e-4, l2_risk: 1.0e-4, max_iter: 12, history: 4}
"""


def _digests(d: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.iterdir())}


@pytest.fixture(scope="module")
def small_recipe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("recipe") / "small.yaml"
    p.write_text(SMALL, encoding="utf-8")
    return p


def test_small_recipe_trains_twice_to_the_same_bytes(small_recipe: Path, tmp_path: Path) -> None:
    a = train(small_recipe, None, tmp_path / "a")
    b = train(small_recipe, None, tmp_path / "b")
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [CARD_FILE, MANIFEST_FILE, MODEL_FILE]
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")
    assert a.files == b.files
    m = ClassifierModel.load(tmp_path / "a")
    assert m.heads[0] == "harmful"
    assert m.max_chars == 64
    p = m.predict_proba(["怎样制作炸弹", "今天天气怎么样"])
    assert set(p) == set(m.heads)


def test_extra_data_is_used_and_recorded(small_recipe: Path, tmp_path: Path) -> None:
    extra = tmp_path / "mine.jsonl"
    rows = [{"text": f"内部黑话{i}号暗语出售", "labels": ["A1.8"]} for i in range(30)]
    rows += [{"text": f"今天的会议纪要第{i}条", "label": "benign"} for i in range(30)]
    extra.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    res = train(small_recipe, None, tmp_path / "m", [extra])
    files = res.manifest["data"]["files"]
    assert files["extra:mine.jsonl"] == sha256_file(extra)
    counts = res.manifest["data"]["rows"]
    assert sum(counts["extra:mine.jsonl|harmful"].values()) == 30
    assert sum(counts["extra:mine.jsonl|benign"].values()) == 30
    card = (tmp_path / "m" / CARD_FILE).read_text(encoding="utf-8")
    assert "extra:mine.jsonl" in card


def test_read_extra_formats(tmp_path: Path) -> None:
    p = tmp_path / "x.jsonl"
    p.write_text(
        "\n".join(
            [
                json.dumps({"text": "a", "labels": ["A1.8", "A.1.f"]}),
                json.dumps({"text": "b", "labels": []}),
                json.dumps({"text": "c", "label": "A4.5"}),
                json.dumps({"text": "d", "label": 0}),
                json.dumps({"text": "e", "label": "harmful"}),
                "",
            ]
        ),
        encoding="utf-8",
    )
    rows = read_extra(p, 1, 0.1, 0.1)
    assert [(r.text, r.harmful, r.codes) for r in rows] == [
        ("a", 1, ("A1.6", "A1.8")),
        ("b", 0, ()),
        ("c", 1, ("A4.5",)),
        ("d", 0, ()),
        ("e", 1, None),
    ]


@pytest.mark.parametrize(
    "line",
    ['{"text": "x", "labels": ["A9.9"]}', '{"labels": ["A1.1"]}', "not json", '{"text": "x"}', '{"text": "x", "label": 2.5}'],
)
def test_read_extra_errors_name_the_line(tmp_path: Path, line: str) -> None:
    p = tmp_path / "bad.jsonl"
    p.write_text('{"text": "ok", "label": 0}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_extra(p, 1, 0.1, 0.1)
    assert ":2:" in info.value.en


def test_recipe_errors(tmp_path: Path) -> None:
    p = tmp_path / "r.yaml"
    p.write_text("name: x\nversion: '1'\nseed: 1\nsources: {toxicn: {}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown sources"):
        load_recipe(p)
    p.write_text("name: x\nversion: '1'\nseed: 1\nfeatures: {bits: 40}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"features\.bits"):
        load_recipe(p)
    p.write_text("name: x\nversion: '1'\nseed: 1\nsurprise: 1\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_recipe(p)


def test_default_recipe_reads_only_permissive_sources() -> None:
    recipe, _ = load_recipe(default_recipe_path())
    nc = {"s-eval", "chisafetybench", "toxicn", "chineseharm-bench", "toxicloakcn", "toxibenchcn-cntp", "corgi-pm"}
    assert not nc & set(recipe.sources)
    man = json.loads((shipped_model_dir() / MANIFEST_FILE).read_text(encoding="utf-8"))
    for rel in man["data"]["files"]:
        assert rel.split("/", 1)[0] not in nc


def test_bench_split_rule_matches_bench() -> None:
    """The held-out half must be the benchmark's TEST half (bench/bench_data.py), so the bench is out of sample."""
    import sys

    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root / "bench"))
    try:
        bench_data = pytest.importorskip("bench_data")
    finally:
        sys.path.remove(str(root / "bench"))
    keys = [f"t{i}" for i in range(101)] + ["重复", "重复"]
    assert bench_test_half(keys) == bench_data.test_half(keys)
    assert bench_test_half(reversed(keys)) == bench_data.test_half(keys)


def test_cli_train_small(small_recipe: Path, tmp_path: Path) -> None:
    _register()
    res = CliRunner().invoke(cli, ["train", "--recipe", str(small_recipe), "--output", str(tmp_path / "o"), "-q", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output.strip().splitlines()[-1])
    assert set(out["files"]) == {CARD_FILE, MANIFEST_FILE, MODEL_FILE}
    assert os.environ.get("OPENBLAS_NUM_THREADS") == "1"


@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is not present")
def test_shipped_manifest_hashes_match_the_data() -> None:
    man = json.loads((shipped_model_dir() / MANIFEST_FILE).read_text(encoding="utf-8"))
    for rel, digest in man["data"]["files"].items():
        if rel.startswith("hegui:"):
            name = rel.removeprefix("hegui:")
            shipped = (owntext.snapshot_path() if name == owntext.SNAPSHOT
                       else Path(str(resources.files("hegui.detectors") / "data" / name)))
            assert sha256_file(shipped) == digest, f"{rel} changed since the model was trained: run hegui train"
            continue
        assert sha256_file(DATA / rel) == digest, f"{rel} changed since the shipped model was trained"
    model = shipped_model_dir() / MODEL_FILE
    assert man["files"][MODEL_FILE]["sha256"] == sha256_file(model)


@pytest.mark.slow
@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is not present")
def test_default_recipe_rebuilds_the_shipped_model(tmp_path: Path) -> None:
    """Takes about two minutes: the full training run."""
    res = train(default_recipe_path(), DATA, tmp_path / "rebuilt")
    shipped = _digests(shipped_model_dir())
    rebuilt = _digests(tmp_path / "rebuilt")
    assert rebuilt == {k: v for k, v in shipped.items() if k in rebuilt}
    assert res.seconds > 0

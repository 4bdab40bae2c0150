"""hegui corpus audit: readers, deterministic selection, verdicts, checks, engines (local == ray), resume, CLI."""

from __future__ import annotations

import bz2
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hegui.corpus.audit import AuditOptions, Checker, audit_shard, selection_key, wilson
from hegui.corpus.engines import run_audit
from hegui.corpus.readers import plan_shards, read_shard

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
BAD = "黑鬼都该死，女人就是贱"


def _jsonl(path: Path, rows: list[dict[str, Any]], opener: Any = open) -> Path:
    with opener(path, "wt", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path


def _records(inp: Path, **kw: Any) -> list[Any]:
    return [r for s in plan_shards([inp], **{k: v for k, v in kw.items() if k == "txt_per_line"})
            for r in read_shard(s, **{k: v for k, v in kw.items() if k != "txt_per_line"})]


def _sources(tmp: Path, names: list[str], consent: bool = False) -> Path:
    p = tmp / "sources.yaml"
    body = {"sources": {n: {"licence": "MIT", "origin": "test", "consent": "contract" if consent else None}
                        for n in names}}
    p.write_text(json.dumps(body), encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three sources: clean (0 bad of 60), dirty (12 of 60 = 20 %), edge (3 of 60 = 5 %, accepted)."""
    root = tmp_path_factory.mktemp("corpus")
    clean = [{"text": f"第{i}段普通的文字，讲天气和风景。", "id": i} for i in range(60)]
    dirty = [{"text": BAD + str(i) if i % 5 == 0 else f"这是第{i}条正常的评论。"} for i in range(60)]
    edge = [{"content": BAD + str(i) if i < 3 else f"边界来源第{i}条文字。"} for i in range(60)]
    d = root / "dirty"
    d.mkdir()
    _jsonl(d / "part1.jsonl", dirty[:30])
    _jsonl(d / "part2.jsonl.gz", dirty[30:], gzip.open)
    _jsonl(root / "clean.jsonl", clean)
    _jsonl(root / "edge.jsonl.bz2", edge, bz2.open)
    return root


def _inputs(corpus: Path) -> list[Path]:
    return [corpus / "clean.jsonl", corpus / "dirty", corpus / "edge.jsonl.bz2"]


def _counts(summary: dict[str, Any]) -> dict[str, Any]:
    return {s: {k: v[k] for k in ("records", "unreadable", "checked", "bad", "bad_n", "bad_ratio", "verdict", "reasons")}
            for s, v in summary["sources"].items()}


# --- readers ---------------------------------------------------------------------------------------------------------


def test_readers_formats_and_non_utf8(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    gz = tmp_path / "a.jsonl.gz"
    with gzip.open(gz, "wb") as fh:
        fh.write('{"text": "一"}\n'.encode() + b'{"text": "\xff\xfe"}\n' + '{"prompt": "三", "x": 1}\n'.encode())
    recs = _records(gz)
    assert [r.text for r in recs] == ["一", None, "三"]
    assert recs[1].error is not None and "a.jsonl.gz:2" in recs[1].error and recs[1].doc_id == "a.jsonl.gz#2"
    assert recs[2].metadata == {"x": 1}

    csv_p = tmp_path / "b.tsv"
    csv_p.write_bytes("id\tTEXT\n1\t你好\n2\t".encode() + b"\xc3\x28" + b"\n3\tworld\n")
    recs = _records(csv_p)
    assert [r.text for r in recs] == ["你好", None, "world"] and "b.tsv:3" in (recs[1].error or "")

    pq_p = tmp_path / "c.parquet"
    pq.write_table(pa.table({"content": ["甲", "乙", "丙"], "k": [1, 2, 3]}), pq_p, row_group_size=2)
    shards = plan_shards([pq_p])
    assert len(shards) == 2  # one shard per row group
    recs = [r for s in shards for r in read_shard(s)]
    assert [r.text for r in recs] == ["甲", "乙", "丙"] and [r.doc_id for r in recs] == ["c.parquet#0", "c.parquet#1", "c.parquet#2"]

    folder = tmp_path / "txt"
    (folder / "sub").mkdir(parents=True)
    (folder / "one.txt").write_text("第一篇\n第二行", encoding="utf-8")
    (folder / "sub" / "two.txt").write_bytes(b"ok\n\xff")
    recs = _records(folder)
    assert [r.text for r in recs] == ["第一篇\n第二行", None] and recs[0].source == "txt"
    assert "sub/two.txt:2" in (recs[1].error or "")
    assert [r.text for r in _records(folder, txt_per_line=True)] == ["第一篇", "第二行", "ok", None]

    big = _jsonl(tmp_path / "big.jsonl", [{"text": f"行{i}"} for i in range(100)])
    split = plan_shards([big], shard_bytes=300)
    assert len(split) > 3
    assert [r.doc_id for s in split for r in read_shard(s)] == [f"big.jsonl#{i}" for i in range(1, 101)]


def test_selection_is_independent_of_sharding(tmp_path: Path, checker: Checker) -> None:
    big = _jsonl(tmp_path / "s.jsonl", [{"text": f"普通文字{i}"} for i in range(400)])
    opts = AuditOptions(seed=7, fraction=0.2, sample_per_source=25)

    def chosen(shard_bytes: int) -> tuple[set[str], int]:
        rows = [r for s in plan_shards([big], shard_bytes=shard_bytes) for r in audit_shard(s, opts, checker)["rows"]]
        return {r["doc_id"] for r in rows if r["tech"]}, len(rows)

    one, n_one = chosen(1 << 30)
    many, n_many = chosen(500)
    assert one == many and 50 < len(one) < 110  # ~20 % of 400
    assert one == {f"s.jsonl#{i}" for i in range(1, 401) if selection_key(7, "tech", "s", f"s.jsonl#{i}") < 0.2}
    assert n_many >= n_one  # more shards pre-select more sample candidates; the final merge is exact (below)


def test_wilson() -> None:
    lo, hi = wilson(5, 100) or (0.0, 0.0)
    assert 0.02 < lo < 0.03 and 0.11 < hi < 0.12
    assert wilson(0, 0) is None


# --- the job -------------------------------------------------------------------------------------------------------


def test_verdicts_boundary_licence_consent_duplicates(tmp_path: Path, corpus: Path) -> None:
    extra = _jsonl(tmp_path / "pii.jsonl", [{"text": "请联系13812345678"}, {"text": "重复的一句话"}, {"text": "重复的一句话"}])
    src = _sources(tmp_path, ["clean", "dirty", "edge"])
    s = run_audit([*_inputs(corpus), extra], tmp_path / "out", AuditOptions(full=True), workers=1, sources_file=src)
    v = s["sources"]
    assert v["clean"]["verdict"] == "accept" and v["clean"]["bad_n"] == 0
    assert v["dirty"]["bad_n"] == 12 and v["dirty"]["verdict"] == "reject" and v["dirty"]["reasons"] == ["bad_ratio"]
    assert v["edge"]["bad_ratio"] == pytest.approx(0.05) and v["edge"]["verdict"] == "accept"  # 5 % is not > 5 %
    lo, hi = v["dirty"]["bad_ratio_ci95"]
    assert lo < 0.2 < hi
    pii = v["pii"]
    assert pii["reasons"] == ["licence"] and pii["bad"]["licence"] == 1
    assert pii["bad"]["pii_without_consent"] == 1 and pii["bad"]["duplicate"] == 1
    rej = [json.loads(x) for x in (tmp_path / "out" / "rejected.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sum(1 for r in rej if r["source"] == "pii" and r["level"] == "source") == 1  # licence once per source
    pii_rec = next(r for r in rej if r.get("doc_id") == "pii.jsonl#1")
    assert {x["check"] for x in pii_rec["reasons"]} >= {"pii", "source"}
    dirty_rej = [r for r in rej if r["source"] == "dirty"]
    assert len(dirty_rej) == 60  # a rejected source's records are all listed, none dropped
    accepted = [json.loads(x) for x in (tmp_path / "out" / "accepted" / "edge.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(accepted) == 57 and accepted[0]["source"] == "edge" and "doc_id" in accepted[0]
    assert s["technical"]["checked"] == 183 and s["technical"]["verdict"] == "fail"
    assert (tmp_path / "out" / "report.html").read_text(encoding="utf-8").count("<svg") == 1
    # consent given: PII no longer fails
    src2 = _sources(tmp_path, ["pii"], consent=True)
    s2 = run_audit([extra], tmp_path / "out2", AuditOptions(full=True), workers=1, sources_file=src2)
    assert s2["sources"]["pii"]["bad"]["pii_without_consent"] == 0 and s2["sources"]["pii"]["bad"]["pii"] == 1


def test_sample_merge_is_exact_across_shardings(tmp_path: Path) -> None:
    big = _jsonl(tmp_path / "m.jsonl", [{"text": f"第{i}句普通文字"} for i in range(300)])
    a = run_audit([big], tmp_path / "a", AuditOptions(fraction=0.1, sample_per_source=40), workers=1)
    b = run_audit([big], tmp_path / "b", AuditOptions(fraction=0.1, sample_per_source=40, shard_bytes=400), workers=1)
    assert b["shards"] > 5 and _counts(a) == _counts(b)
    assert a["sources"]["m"]["review_sample"] == 40
    ra = (tmp_path / "a" / "review_sample.jsonl").read_text(encoding="utf-8")
    assert ra == (tmp_path / "b" / "review_sample.jsonl").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def ray_session() -> Iterator[None]:
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def test_local_equals_ray(tmp_path: Path, corpus: Path, ray_session: None) -> None:
    src = _sources(tmp_path, ["clean", "dirty", "edge"])
    opts = AuditOptions(seed=3, fraction=0.5, sample_per_source=10)
    local = run_audit(_inputs(corpus), tmp_path / "local", opts, workers=1, sources_file=src)
    ray_s = run_audit(_inputs(corpus), tmp_path / "ray", opts, engine="ray", workers=2, sources_file=src)
    assert ray_s["engine"] == "ray"
    assert _counts(local) == _counts(ray_s)
    assert local["sources"]["dirty"]["verdict"] == "reject" and local["sources"]["clean"]["verdict"] == "accept"
    assert local["technical"] == ray_s["technical"]


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from hegui.cli.main import main; main()", *args]


def test_kill_and_resume(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(10):
        _jsonl(folder / f"p{i:02d}.jsonl", [{"text": f"文件{i}第{j}行普通文字" * 3} for j in range(1500)])
    args = [str(folder), "--seed", "1", "--fraction", "0.3", "--sample-per-source", "50", "--workers", "1", "-q"]
    ref = run_audit([folder], tmp_path / "ref", AuditOptions(seed=1, fraction=0.3, sample_per_source=50), workers=1)
    out = tmp_path / "killed"
    proc = subprocess.Popen(_cli("corpus", "audit", *args, "--output", str(out)), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list((out / "shards").glob("*.json"))) < 3:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(list((out / "shards").glob("*.json")))
    assert 3 <= done < 10, done
    assert not (out / "summary.json").exists()
    r = subprocess.run(_cli("corpus", "audit", *args, "--output", str(out)), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["resumed_shards"] == done
    assert _counts(summary) == _counts(ref)
    assert summary["sources"]["many"]["records"] == 15000
    # different arguments for the same folder: refused
    r = subprocess.run(_cli("corpus", "audit", *args[:-1], "--seed", "2", "--output", str(out)), capture_output=True,
                       text=True)
    assert r.returncode == 2 and "different arguments" in r.stderr


def test_cli_exit_codes_and_contract(tmp_path: Path, corpus: Path) -> None:
    from hegui.cli.main import _register, cli

    _register()
    runner = CliRunner()
    out = tmp_path / "o"
    res = runner.invoke(cli, ["corpus", "audit", str(corpus / "clean.jsonl"), "--output", str(out), "--workers", "1",
                              "-q", "--sources", str(_sources(tmp_path, ["clean"]))])
    assert res.exit_code == 0, res.output
    assert (out / "summary.json").exists() and (out / "report.html").exists()
    assert "clean" in res.output and "accept" in res.output
    bad = tmp_path / "x.docx"
    bad.write_text("x")
    assert runner.invoke(cli, ["corpus", "audit", str(bad), "--output", str(tmp_path / "o2")]).exit_code == 2
    assert runner.invoke(cli, ["corpus", "audit", str(tmp_path / "missing"), "--output", str(tmp_path / "o3")]).exit_code == 2
    assert runner.invoke(cli, ["corpus", "audit", str(corpus / "clean.jsonl"), "--output", str(tmp_path / "o4"),
                               "--fraction", "1.5"]).exit_code == 2


@pytest.mark.skipif(not (DATA / "cold").is_dir(), reason="../shared/data is absent")
def test_audit_shared_datasets(tmp_path: Path) -> None:
    """Acceptance: three public datasets as sources, each with a verdict."""
    names = ["cold", "jade-db", "cvalues"]
    src = tmp_path / "sources.yaml"
    src.write_text(json.dumps({"sources": {"cold": {"licence": "Apache-2.0"}, "jade-db": {"licence": "MIT"},
                                           "cvalues": {"licence": "Apache-2.0"}}}), encoding="utf-8")
    s = run_audit([DATA / n for n in names], tmp_path / "out", AuditOptions(fraction=0.01, sample_per_source=150,
                  text_fields=("TEXT", "问题", "prompt")), workers=1, sources_file=src)
    assert set(s["sources"]) == set(names)
    for n in names:
        v = s["sources"][n]
        assert v["verdict"] in ("accept", "reject") and v["checked"] >= 150 and v["bad_ratio"] is not None
    assert s["sources"]["cold"]["verdict"] == "reject"  # an offensive-speech corpus is far above 5 %


def test_restricted_licences_are_rejected_unless_allowed(tmp_path: Path) -> None:
    """R-DAT-04: a non-commercial or no-derivatives licence is unfit for a model offered as a service."""
    from hegui.corpus.audit import SourceInfo

    for lic, restricted in (("CC-BY-NC-4.0", True), ("CC BY-NC-ND 4.0", True), ("cc-by-nd-4.0", True),
                            ("non-commercial research only", True), ("仅限非商业用途", True), ("MIT", False),
                            ("Apache-2.0", False), ("CC-BY-SA-4.0", False), ("CC0-1.0", False)):
        assert SourceInfo(licence=lic).restricted_licence is restricted, lic
    data = _jsonl(tmp_path / "nc.jsonl", [{"text": "城市公园的规划"}, {"text": "今天天气很好"}])
    src = tmp_path / "sources.yaml"
    src.write_text(json.dumps({"sources": {"nc": {"licence": "CC-BY-NC-4.0"}}}), encoding="utf-8")
    s = run_audit([data], tmp_path / "out", AuditOptions(full=True), workers=1, sources_file=src)
    assert s["sources"]["nc"]["verdict"] == "reject" and s["sources"]["nc"]["reasons"] == ["licence_restricted"]
    s2 = run_audit([data], tmp_path / "out2", AuditOptions(full=True, allow_restricted_licences=True), workers=1,
                   sources_file=src)
    assert s2["sources"]["nc"]["verdict"] == "accept"

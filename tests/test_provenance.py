"""The training-data provenance ledger: validation of the evidence each kind of source needs, the 5 % rule at its
boundary, the Art 17 export, the diversity check, audit-chain events, the 0005 -> 0006 migration and the CLI
(SQLite and PostgreSQL, injected clock)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import Engine, inspect, text

import pg
from hegui.cli.corpus_sources import sources
from hegui.services import Services
from hegui.services.provenance import (
    SOURCE_MAX_BAD_RATIO,
    ProvenanceError,
    ProvenanceService,
    bad_ratio_exceeded,
)
from hegui.store import current_revision, make_engine, upgrade
from hegui.store.engine import alembic_config

pg_url = pg.pg_url  # pytest fixtures: a throwaway PostgreSQL server, and a fresh store per test
store_url = pg.store_url

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SECRET_HEX = "cd" * 32


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


Events = list[tuple[str, dict[str, Any]]]


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    e = make_engine(store_url)
    upgrade(e)
    yield e
    e.dispose()


@pytest.fixture
def events() -> Events:
    return []


@pytest.fixture
def svc(engine: Engine, events: Events) -> ProvenanceService:
    return ProvenanceService(engine, on_event=lambda k, p: events.append((k, p)), clock=Clock(T0))


WIKI: dict[str, Any] = {"name": "wiki-zh", "kind": "dataset", "dataset": "zhwiki", "licence": "CC-BY-SA-4.0",
                        "languages": ["zh"], "origin": "domestic"}
C4: dict[str, Any] = {"name": "c4-en", "kind": "dataset", "dataset": "allenai/c4", "organisation": "AllenAI",
                      "licence": "ODC-BY-1.0", "languages": ["en"], "origin": "foreign"}
NEWS: dict[str, Any] = {"name": "news-crawl", "kind": "web", "url": "https://news.example.cn/", "languages": ["zh"],
                        "honours_robots": True, "collection_start": T0 - timedelta(days=30), "collection_end": T0}
SYNTH: dict[str, Any] = {"name": "sft-synth", "kind": "ai_generated", "generator_model": "qwen2.5-72b-instruct",
                         "generator_version": "2024-09", "acquired_at": T0, "languages": ["zh", "en"]}
CHAT: dict[str, Any] = {"name": "chat-logs", "kind": "user_service", "service_name": "hegui-demo-chat",
                        "consent_basis": "consent", "contains_personal_info": True, "languages": ["zh"]}
VENDOR: dict[str, Any] = {"name": "vendor-qa", "kind": "organisation", "organisation": "某数据公司",
                          "dataset": "qa-2025", "contract_ref": "HT-2025-017", "languages": ["zh"]}


# -- validation -----------------------------------------------------------------------------------------------

def test_every_kind_with_its_evidence_is_recorded(svc: ProvenanceService, events: Events) -> None:
    for spec in (WIKI, C4, NEWS, SYNTH, CHAT, VENDOR,
                 {"name": "own-photos", "kind": "self_collected", "modalities": ["image"], "collected_at": T0}):
        src = svc.add_source(spec)
        assert src.name == spec["name"] and src.status == "active" and src.created_at == T0
    assert [s.name for s in svc.list_sources()] == sorted(
        ["wiki-zh", "c4-en", "news-crawl", "sft-synth", "chat-logs", "vendor-qa", "own-photos"])
    synth = svc.get_source("sft-synth")
    assert (synth.generator_model, synth.generator_version, synth.acquired_at) == ("qwen2.5-72b-instruct", "2024-09", T0)
    assert synth.languages == ("zh", "en") and synth.modalities == ("text",)
    assert svc.get_source("own-photos").languages == ()
    assert svc.find_source("nope") is None
    assert [k for k, _ in events] == ["provenance.source_added"] * 7
    assert set(events[0][1]) == {"source_id", "name", "kind", "origin"}


@pytest.mark.parametrize(("spec", "en", "zh"), [
    ({**WIKI, "licence": None}, "licence or licence file", "许可证或授权文件"),
    ({k: v for k, v in SYNTH.items() if k != "generator_version"}, "generator model, its version", "R-PTD-06"),
    ({k: v for k, v in SYNTH.items() if k != "acquired_at"}, "acquisition time", "获取时间"),
    ({**CHAT, "consent_basis": None}, "consent basis", "同意依据"),
    ({**CHAT, "consent_basis": "none"}, "consent basis", "同意依据"),
    ({**CHAT, "service_name": None}, "service_name", "服务名称"),
    ({**NEWS, "url": None}, "URL", "网址"),
    ({**NEWS, "honours_robots": False}, "robots.txt", "robots.txt"),
    ({**VENDOR, "contract_ref": None}, "contract", "合同"),
    ({**VENDOR, "organisation": None}, "organisation", "来源机构"),
    ({**WIKI, "contains_personal_info": True}, "legal basis", "合法性基础"),
    ({**CHAT, "contains_sensitive_pi": True}, "separate consent", "单独同意"),
    ({**CHAT, "consent_basis": "other"}, "consent_note", "consent_note"),
    ({**WIKI, "languages": []}, "language", "语种"),
    ({**WIKI, "languages": ["中文"]}, "language tag", "语言代码"),
    ({**WIKI, "kind": "forum"}, "kind must be one of", "类型（kind）须为"),
    ({**WIKI, "origin": "abroad"}, "origin must be one of", "境内/境外"),
    ({**WIKI, "modalities": ["smell"]}, "modalities must be one of", "模态"),
    ({**WIKI, "colour": "red"}, "unknown field 'colour'", "未知字段"),
    ({**WIKI, "name": ""}, "name", "名称"),
    ({**SYNTH, "acquired_at": datetime(2026, 3, 1)}, "time zone", "时区"),
    ({"name": "own", "kind": "self_collected", "languages": ["zh"]}, "collection record", "采集记录"),
    ({**WIKI, "sample_metadata_fields": {"colour": "c"}}, "sample_metadata_fields must be one of", "样本元数据字段"),
])
def test_refusals_are_bilingual(svc: ProvenanceService, events: Events, spec: dict[str, Any], en: str,
                                zh: str) -> None:
    with pytest.raises(ProvenanceError) as exc:
        svc.add_source(spec)
    assert en in exc.value.en and zh in exc.value.zh
    assert exc.value.exit_code == 2
    assert svc.list_sources() == [] and events == []


def test_duplicate_names_and_updates(svc: ProvenanceService, events: Events) -> None:
    svc.add_source(WIKI)
    with pytest.raises(ProvenanceError, match="already exists"):
        svc.add_source(WIKI)
    svc._clock = Clock(T0 + timedelta(hours=1))
    src = svc.update_source("wiki-zh", licence_file="https://dumps.wikimedia.org/legal.html", notes="dump 20250101")
    assert src.licence_file and src.updated_at == T0 + timedelta(hours=1) and src.created_at == T0
    assert events[-1] == ("provenance.source_updated",
                          {"source_id": src.id, "name": "wiki-zh", "fields": ["licence_file", "notes"]})
    svc.update_source("wiki-zh", licence=None)  # the licence file still backs it
    with pytest.raises(ProvenanceError, match="licence or licence file"):
        svc.update_source("wiki-zh", licence_file=None)
    assert svc.get_source("wiki-zh").licence_file is not None  # nothing changed
    with pytest.raises(ProvenanceError, match="cannot update name"):
        svc.update_source("wiki-zh", name="other")
    with pytest.raises(ProvenanceError, match="no data source"):
        svc.update_source("missing", notes="x")
    n = len(events)
    svc.update_source("wiki-zh", notes="dump 20250101")  # no change, no event
    assert len(events) == n


# -- the 5 % rule ---------------------------------------------------------------------------------------------

def test_bad_ratio_boundary_is_strict() -> None:
    assert SOURCE_MAX_BAD_RATIO == 0.05
    assert not bad_ratio_exceeded(500, 10_000)
    assert bad_ratio_exceeded(501, 10_000)
    assert not bad_ratio_exceeded(5, 100) and bad_ratio_exceeded(6, 100)
    assert not bad_ratio_exceeded(0, 1) and bad_ratio_exceeded(1, 19)


def test_five_percent_rule(svc: ProvenanceService, events: Events) -> None:
    svc.add_source(WIKI)
    assert not svc.get_source("wiki-zh").trainable  # no pre-collection assessment yet (R-DAT-01)
    run = svc.record_audit("wiki-zh", {"stage": "pre", "sampled": 10_000, "bad": 500, "run_id": "pre-1",
                                       "engine": "local", "seed": 7, "bad_by_check": {"keyword": 320, "classifier": 180}})
    assert run.ratio == 0.05 and run.verdict == "accept"
    src = svc.get_source("wiki-zh")
    assert src.status == "active" and src.pre_verdict == "accept" and src.pre_ratio == 0.05 and src.trainable
    assert [s.name for s in svc.trainable_sources()] == ["wiki-zh"]

    run = svc.record_audit("wiki-zh", {"n_sampled": 10_000, "n_bad": 501, "ratio": 0.0501, "run_id": "post-1",
                                       "items": 2_000_000, "report": "runs/post-1/report.html"})
    assert run.stage == "post" and run.verdict == "reject" and run.ratio == pytest.approx(0.0501)
    src = svc.get_source("wiki-zh")
    assert src.status == "excluded" and src.post_verdict == "reject" and not src.trainable
    assert src.excluded_reason and "post-1" in src.excluded_reason and "R-DAT-02" in src.excluded_reason
    assert svc.trainable_sources() == []
    assert [k for k, _ in events[-2:]] == ["provenance.audit_recorded", "provenance.source_excluded"]
    assert events[-1][1]["cause"] == "audit_reject" and events[-1][1]["run_id"] == "post-1"

    with pytest.raises(ProvenanceError, match="more than 5 %") as exc:
        svc.include_source("wiki-zh")
    assert "5%" in exc.value.zh
    svc.record_audit("wiki-zh", {"sampled": 10_000, "bad": 499, "run_id": "post-2"})
    assert svc.get_source("wiki-zh").status == "excluded"  # a passing audit does not re-include by itself
    assert svc.include_source("wiki-zh").status == "active"
    assert events[-1][0] == "provenance.source_included"
    assert [a.run_id for a in svc.audits("wiki-zh")] == ["pre-1", "post-1", "post-2"]


def test_pre_collection_reject_excludes(svc: ProvenanceService) -> None:
    svc.add_source(NEWS)
    svc.record_audit("news-crawl", {"stage": "pre", "sampled": 100, "bad": 6})
    src = svc.get_source("news-crawl")
    assert src.status == "excluded" and src.pre_verdict == "reject" and "R-DAT-01" in (src.excluded_reason or "")


@pytest.mark.parametrize(("result", "en"), [
    ({"sampled": 10, "bad": 11}, "exceeds sampled"),
    ({"sampled": 0, "bad": 0}, "sampled"),
    ({"bad": 1}, "sampled"),
    ({"sampled": 100, "bad": 5, "ratio": 0.5}, "does not match"),
    ({"sampled": 100, "bad": 5, "bad_by_check": {"vibes": 1}}, "bad_by_check must be one of"),
    ({"sampled": 100, "bad": 5, "bad_by_check": {"pii": 101}}, "bad_by_check.pii"),
    ({"sampled": 100, "bad": 5, "stage": "mid"}, "stage must be one of"),
    ({"sampled": 100, "bad": 5, "items": 50}, "less than sampled"),
])
def test_bad_audit_results_are_refused(svc: ProvenanceService, result: dict[str, Any], en: str) -> None:
    svc.add_source(WIKI)
    with pytest.raises(ProvenanceError) as exc:
        svc.record_audit("wiki-zh", result)
    assert en in exc.value.en and exc.value.zh != exc.value.en
    assert svc.audits() == []


# -- exclusion, metadata schema -------------------------------------------------------------------------------

def test_manual_exclusion(svc: ProvenanceService, events: Events) -> None:
    svc.add_source(C4)
    with pytest.raises(ProvenanceError, match="reason"):
        svc.exclude_source("c4-en", "  ")
    src = svc.exclude_source("c4-en", "IP complaint 2026-02 (R-DAT-07)")
    assert src.status == "excluded" and src.excluded_at == T0
    assert events[-1] == ("provenance.source_excluded", {"source_id": src.id, "name": "c4-en", "cause": "manual"})
    assert "IP complaint" not in json.dumps(events, ensure_ascii=False)  # the reason text stays in the ledger
    assert svc.include_source("c4-en").status == "active"
    assert [s.name for s in svc.list_sources(status="active")] == ["c4-en"]
    with pytest.raises(ProvenanceError, match="no data source"):
        svc.exclude_source("missing", "x")


def test_sample_metadata_schema(svc: ProvenanceService) -> None:
    svc.add_source({**CHAT, "sample_metadata_fields": {"user_id": "meta.uid", "service_name": "meta.service"}})
    schema = svc.metadata_schema("chat-logs")
    assert schema["required"] == ["meta.service", "meta.uid", "risk_check", "source"]
    assert schema["x-hegui-roles"]["user_id"] == "meta.uid"
    ok = {"source": "chat-logs", "meta": {"uid": "u-1", "service": "hegui-demo-chat"}, "risk_check": "pass"}
    assert svc.missing_sample_metadata("chat-logs", ok) == []
    assert svc.missing_sample_metadata("chat-logs", {"source": "chat-logs", "meta": {}}) == [
        "service_name", "user_id", "risk_check"]
    svc.add_source(SYNTH)
    assert set(svc.metadata_schema("sft-synth")["required"]) >= {"generator_model", "generator_version", "acquired_at"}


# -- export and diversity -------------------------------------------------------------------------------------

def test_diversity_findings(svc: ProvenanceService) -> None:
    svc.add_source(WIKI)
    svc.add_source(C4)
    svc.add_source(NEWS)
    svc.add_source({"name": "en-books", "kind": "dataset", "url": "https://example.org/books", "licence": "CC0-1.0",
                    "languages": ["en"], "origin": "foreign"})
    svc.add_source({"name": "cn-images", "kind": "self_collected", "modalities": ["image"], "collected_at": T0})
    report = svc.check_diversity()
    pairs = {(p.language, p.modality): p for p in report.pairs}
    assert set(pairs) == {("zh", "text"), ("en", "text"), ("und", "image")}
    assert pairs[("zh", "text")].sources == ("news-crawl", "wiki-zh") and pairs[("zh", "text")].issues == ("no_foreign",)
    assert pairs[("en", "text")].issues == ("no_domestic",) and pairs[("en", "text")].foreign == 2
    assert pairs[("und", "image")].issues == ("few_sources", "no_foreign")
    codes = {(f["language"], f["modality"], f["code"]) for f in report.findings}
    assert codes == {("zh", "text", "no_foreign"), ("en", "text", "no_domestic"), ("und", "image", "few_sources"),
                     ("und", "image", "no_foreign")}
    assert all("R-DAT-03" in f["message_en"] and "R-DAT-03" in f["message_zh"] for f in report.findings)
    assert not report.ok
    # a foreign Chinese source fixes (zh, text); excluded sources do not count
    svc.add_source({**C4, "name": "zh-foreign", "languages": ["zh"]})
    svc.exclude_source("news-crawl", "test")
    zh = next(p for p in svc.check_diversity().pairs if p.language == "zh")
    assert zh.sources == ("wiki-zh", "zh-foreign") and zh.ok


def test_export_for_the_transparency_document(svc: ProvenanceService) -> None:
    for spec in (WIKI, C4, SYNTH, CHAT):
        svc.add_source(spec)
    svc.record_audit("wiki-zh", {"stage": "pre", "sampled": 1000, "bad": 10, "items": 50_000})
    svc.record_audit("wiki-zh", {"stage": "post", "sampled": 5000, "bad": 40, "items": 48_000})
    svc.record_audit("c4-en", {"stage": "pre", "sampled": 1000, "bad": 80, "items": 90_000})
    data = svc.export()
    json.dumps(data, allow_nan=False)  # JSON-able
    assert data["format"] == "hegui-provenance/1" and data["generated_at"] == T0.isoformat()
    summ = data["summary"]
    assert summ["sources"] == 4 and summ["active"] == 3 and summ["excluded"] == 1 and summ["trainable"] == 1
    assert summ["kinds"] == {"ai_generated": 1, "dataset": 1, "user_service": 1}
    assert summ["languages"] == {"en": 1, "zh": 3} and summ["modalities"] == {"text": 3}
    assert summ["origin"] == {"domestic": 3, "foreign": 0}
    assert summ["licences"] == {"CC-BY-SA-4.0": 1, "none": 2}
    assert summ["personal_information"] == 1 and summ["ai_generated"] == 1
    assert data["scale"] == {"items": 48_000, "sampled": 6000, "audit_runs": 3}
    q = data["quality"]
    assert q["max_bad_ratio"] == 0.05 and q["max_ratio"] == 0.08 and q["rejected"] == ["c4-en"]
    assert [e["name"] for e in q["excluded"]] == ["c4-en"]
    assert q["not_assessed"] == ["chat-logs", "sft-synth"]
    by_name = {s["name"]: s for s in data["sources"]}
    assert by_name["wiki-zh"]["latest_audits"]["post"]["sampled"] == 5000 and by_name["wiki-zh"]["items"] == 48_000
    assert by_name["wiki-zh"]["audits"] == 2 and by_name["wiki-zh"]["trainable"] is True
    assert by_name["sft-synth"]["generator_model"] == "qwen2.5-72b-instruct"
    assert by_name["sft-synth"]["acquired_at"] == T0.isoformat()
    assert data["diversity"]["findings"]


# -- audit chain, migration -----------------------------------------------------------------------------------

def test_changes_go_to_the_audit_chain(store_url: str, tmp_path: Path) -> None:
    services = Services.open(store_url, secret_key=bytes.fromhex(SECRET_HEX), data_dir=tmp_path / "data",
                             clock=Clock(T0))
    try:
        p = services.provenance
        p.add_source(CHAT)
        p.update_source("chat-logs", notes="opt-in users only")
        p.record_audit("chat-logs", {"stage": "pre", "sampled": 200, "bad": 11})
        p.exclude_source("chat-logs", "manual review")
        report = services.audit.verify()
        assert report.ok, report.problems
        with services.engine.connect() as conn:
            rows = conn.execute(text("SELECT kind, payload FROM audit_events ORDER BY seq")).all()
    finally:
        services.close()
    kinds = [k for k, _ in rows if k.startswith("provenance.")]
    assert kinds == ["provenance.source_added", "provenance.source_updated", "provenance.audit_recorded",
                     "provenance.source_excluded", "provenance.source_excluded"]
    text_all = " ".join(payload for _, payload in rows)
    assert "opt-in users only" not in text_all and "manual review" not in text_all  # no free text in the chain
    assert "hegui-demo-chat" not in text_all


def test_migration_from_0005(store_url: str) -> None:
    engine = make_engine(store_url)
    try:
        upgrade(engine, "0005_remediation")
        assert current_revision(engine) == "0005_remediation"
        assert "data_sources" not in inspect(engine).get_table_names()
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO remediation_checks (case_id, ran_at, outcome, prompts, attempts, violations, "
                "failing_variants) VALUES ('c1', :t, 'pass', 1, 3, 0, '')"), {"t": T0.replace(tzinfo=None)})
        upgrade(engine)
        names = set(inspect(engine).get_table_names())
        assert {"data_sources", "source_audits", "remediation_checks"} <= names
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM remediation_checks")).scalar_one() == 1
        svc = ProvenanceService(engine, clock=Clock(T0))
        svc.add_source(WIKI)
        svc.record_audit("wiki-zh", {"sampled": 10, "bad": 0})
        assert svc.get_source("wiki-zh").post_verdict == "accept"
        # and back down: the two tables go, the rest stays
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0005_remediation")
        names = set(inspect(engine).get_table_names())
        assert "data_sources" not in names and "source_audits" not in names and "remediation_checks" in names
        assert current_revision(engine) == "0005_remediation"
    finally:
        engine.dispose()


# -- CLI ------------------------------------------------------------------------------------------------------

@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.delenv("HEGUI_STORE_URL", raising=False)
    return {"HEGUI_DATA_DIR": str(tmp_path / "data"), "HEGUI_SECRET_KEY": SECRET_HEX, "HEGUI_LANG": ""}


def test_cli_round_trip(store_url: str, cli_env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    s = ["--store-url", store_url]

    def run(*args: str, env: dict[str, str] | None = None) -> Any:
        return runner.invoke(sources, [*args, *s], env=env or cli_env)

    r = run("add", "--name", "wiki-zh", "--kind", "dataset", "--dataset", "zhwiki", "--licence", "CC-BY-SA-4.0",
            "--language", "zh")
    assert r.exit_code == 0, r.output
    assert "已登记来源 wiki-zh" in r.output and "source wiki-zh recorded" in r.output
    r = run("add", "--name", "synth", "--kind", "ai_generated", "--language", "zh", "--origin", "foreign",
            "--generator-model", "gpt-4o", "--generator-version", "2024-08-06", "--acquired-at", "2025-01-05T10:00:00+08:00",
            "--sample-field", "generator_model=meta.model")
    assert r.exit_code == 0, r.output
    # refusals: exit 2, bilingual
    r = run("add", "--name", "bad", "--kind", "dataset", "--dataset", "x", "--language", "zh")
    assert r.exit_code == 2 and "R-DAT-04" in r.output and "许可证" in r.output and "licence" in r.output
    r = run("add", "--name", "bad", "--kind", "ai_generated", "--language", "zh", "--generator-model", "m")
    assert r.exit_code == 2 and "R-PTD-06" in r.output
    r = run("add", "--name", "bad", "--kind", "forum", "--language", "zh")
    assert r.exit_code == 2 and "类型（kind）" in r.output
    r = run("add", "--name", "bad", "--kind", "ai_generated", "--acquired-at", "yesterday")
    assert r.exit_code == 2
    r = run("add", "--name", "bad", "--kind", "web", "--sample-field", "url")
    assert r.exit_code == 2
    r = run("add", "--name", "wiki-zh", "--kind", "dataset", "--dataset", "zhwiki", "--licence", "MIT",
            "--language", "zh")
    assert r.exit_code == 2 and "already exists" in r.output

    r = run("list", "--json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert [x["name"] for x in rows] == ["synth", "wiki-zh"]
    synth = rows[0]
    assert synth["acquired_at"] == "2025-01-05T02:00:00+00:00" and synth["origin"] == "foreign"
    assert synth["sample_metadata_fields"]["generator_model"] == "meta.model"
    r = run("list")
    assert r.exit_code == 0 and "wiki-zh\tdataset\tdomestic\tzh\ttext\tCC-BY-SA-4.0" in r.output

    result = tmp_path / "summary.json"
    result.write_text(json.dumps({"run_id": "r-1", "engine": "local", "sampled": 2000, "bad": 101,
                                  "bad_by_check": {"keyword": 90, "pii": 11}}), encoding="utf-8")
    r = run("record-audit", "wiki-zh", "--result", str(result))
    assert r.exit_code == 0, r.output
    assert "verdict reject" in r.output and "5%" in r.output
    r = run("record-audit", "wiki-zh", "--sampled", "10", "--bad", "20")
    assert r.exit_code == 2 and "exceeds sampled" in r.output
    r = run("include", "wiki-zh")
    assert r.exit_code == 2 and "R-DAT-01/02" in r.output

    r = run("show", "wiki-zh")
    assert r.exit_code == 0, r.output
    shown = json.loads(r.output)
    assert shown["status"] == "excluded" and shown["audits_run"][0]["run_id"] == "r-1"
    assert shown["sample_metadata_schema"]["required"] == ["dataset", "risk_check", "source"]
    r = run("show", "missing")
    assert r.exit_code == 2 and "数据来源 'missing' 不存在" in r.output

    r = run("exclude", "synth", "--reason", "licence terms of the generator forbid training")
    assert r.exit_code == 0 and "source synth excluded" in r.output
    r = run("diversity", "--json")
    assert r.exit_code == 0 and json.loads(r.output)["pairs"] == []  # nothing active

    out = tmp_path / "out" / "sources.json"
    r = run("export", "-o", str(out))
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["summary"]["sources"] == 2 and data["summary"]["excluded"] == 2
    assert data["quality"]["rejected"] == ["wiki-zh"]

    r = run("list", env={**cli_env, "HEGUI_LANG": "en"})
    assert r.exit_code == 0


def test_cli_missing_store(tmp_path: Path, cli_env: dict[str, str]) -> None:
    url = f"sqlite:///{tmp_path / 'none.db'}"
    r = CliRunner().invoke(sources, ["list", "--store-url", url], env=cli_env)
    assert r.exit_code == 2 and "存储不存在" in r.output
    assert not (tmp_path / "none.db").exists()


def test_time_zones_are_kept_as_instants(svc: ProvenanceService) -> None:
    bj = timezone(timedelta(hours=8))
    src = svc.add_source({**SYNTH, "acquired_at": datetime(2026, 3, 1, 17, 0, tzinfo=bj)})
    assert src.acquired_at == T0 and svc.get_source("sft-synth").acquired_at == T0


DOC = Path(__file__).resolve().parent.parent / "docs" / "provenance.md"


def _doc_commands() -> list[tuple[list[str], int]]:
    import re
    import shlex

    block = re.search(r"```console\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert block
    joined = re.sub(r"\\\n\s*", "", block.group(1))
    out = []
    for line in joined.splitlines():
        cmd, _, comment = line.removeprefix("$ ").partition("  #")
        m = re.search(r"exit (\d)", comment)
        args = shlex.split(cmd)
        assert args[:3] == ["hegui", "corpus", "sources"], line
        out.append((args[3:], int(m.group(1)) if m else 0))
    return out


def test_doc_examples_run_as_written(tmp_path: Path, cli_env: dict[str, str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    commands = _doc_commands()
    assert len(commands) == 14
    monkeypatch.chdir(tmp_path)  # an empty directory, default data dir .hegui
    env = {**cli_env, "HEGUI_DATA_DIR": ".hegui"}
    for args, code in commands:
        r = runner.invoke(sources, args, env=env)
        assert r.exit_code == code, (args, r.output)
    data = json.loads((tmp_path / "sources.json").read_text(encoding="utf-8"))
    assert data["summary"]["sources"] == 5 and data["summary"]["active"] == 3
    assert data["quality"]["rejected"] == ["wiki-zh"]

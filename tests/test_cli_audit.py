"""``hegui audit verify|checkpoint|export-key`` and ``hegui log purge``."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

import pg
from hegui.cli.audit import audit, log
from hegui.services import ExchangeRecord, Services

SECRET_HEX = "ab" * 32

pg_url = pg.pg_url  # pytest fixtures: a throwaway PostgreSQL server, and a fresh store per test
store_url = pg.store_url


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    data = tmp_path / "data"
    e = {"HEGUI_DATA_DIR": str(data), "HEGUI_SECRET_KEY": SECRET_HEX, "HEGUI_LANG": ""}
    for k in ("HEGUI_STORE_URL",):
        monkeypatch.delenv(k, raising=False)
    return e


def _fill(url: str, data_dir: Path, n: int = 6, *, ts: datetime | None = None) -> Services:
    svc = Services.open(url, secret_key=bytes.fromhex(SECRET_HEX), data_dir=data_dir, checkpoint_every=4)
    for i in range(n):
        svc.records.record(ExchangeRecord(
            request_id=f"r{i}-{uuid.uuid4().hex[:6]}", ts=ts or datetime.now(UTC), endpoint="chat.completions",
            outcome="ok", http_status=200, input_text="你好", output_text="你好！",
        ))
    return svc


def test_verify_intact_then_tampered(store_url: str, env: dict[str, str]) -> None:
    svc = _fill(store_url, Path(env["HEGUI_DATA_DIR"]))
    runner = CliRunner()
    r = runner.invoke(audit, ["verify", "--store-url", store_url], env=env)
    assert r.exit_code == 0, r.output
    assert "audit chain intact" in r.output and "审计链完好" in r.output
    with svc.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = 2"))
        conn.execute(text("UPDATE audit_events SET request_id = 'x' WHERE seq = 3"))
    r = runner.invoke(audit, ["verify", "--store-url", store_url], env=env)
    assert r.exit_code == 1
    assert "[删除 delete] seq 2" in r.output and "[篡改 edit] seq 3" in r.output
    r = runner.invoke(audit, ["verify", "--store-url", store_url, "--json"], env=env)
    assert r.exit_code == 1
    report = json.loads(r.output)
    assert report["ok"] is False and {p["kind"] for p in report["problems"]} == {"delete", "edit"}
    svc.close(checkpoint=False)


def test_verify_with_exported_public_key(tmp_path: Path, env: dict[str, str]) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    _fill(url, Path(env["HEGUI_DATA_DIR"])).close()
    runner = CliRunner()
    r = runner.invoke(audit, ["export-key"], env=env)
    assert r.exit_code == 0 and r.output.startswith("-----BEGIN PUBLIC KEY-----")
    pub = tmp_path / "pub.pem"
    pub.write_text(r.output)
    # a verifier elsewhere: another data directory (no private key, no secret)
    other = {**env, "HEGUI_DATA_DIR": str(tmp_path / "elsewhere"), "HEGUI_SECRET_KEY": ""}
    r = runner.invoke(audit, ["verify", "--store-url", url, "--public-key", str(pub), "--json"], env=other)
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["ok"] and out["content_checked"] is False
    assert not (tmp_path / "elsewhere" / "audit_signing_key.pem").exists()
    assert not (tmp_path / "elsewhere" / "secret.key").exists()


def test_verify_bad_arguments(tmp_path: Path, env: dict[str, str]) -> None:
    runner = CliRunner()
    r = runner.invoke(audit, ["verify", "--store-url", f"sqlite:///{tmp_path / 'missing.db'}"], env=env)
    assert r.exit_code == 2 and "does not exist" in r.output
    assert not (tmp_path / "missing.db").exists()
    r = runner.invoke(audit, ["verify", "--store-url", f"sqlite:///{tmp_path / 'h.db'}",
                              "--public-key", str(tmp_path / "nope.pem")], env=env)
    assert r.exit_code == 2
    r = runner.invoke(audit, ["verify", "--store-url", "postgresql+psycopg://nobody@127.0.0.1:1/none"], env=env)
    assert r.exit_code == 2 and "cannot open the store" in r.output
    (tmp_path / "junk.db").write_bytes(b"this is not a database" * 100)
    r = runner.invoke(audit, ["verify", "--store-url", f"sqlite:///{tmp_path / 'junk.db'}"], env=env)
    assert r.exit_code == 2


def test_checkpoint_command(tmp_path: Path, env: dict[str, str]) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    runner = CliRunner()
    svc = _fill(url, Path(env["HEGUI_DATA_DIR"]), n=0)
    r = runner.invoke(audit, ["checkpoint", "--store-url", url], env=env)
    assert r.exit_code == 0 and "empty" in r.output
    svc.close()
    _fill(url, Path(env["HEGUI_DATA_DIR"]), n=2).close(checkpoint=False)
    r = runner.invoke(audit, ["checkpoint", "--store-url", url], env=env)
    assert r.exit_code == 0 and "seq=2" in r.output


def test_log_purge(tmp_path: Path, env: dict[str, str]) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    _fill(url, Path(env["HEGUI_DATA_DIR"]), n=3, ts=datetime.now(UTC) - timedelta(days=400)).close()
    _fill(url, Path(env["HEGUI_DATA_DIR"]), n=2).close()
    runner = CliRunner()
    r = runner.invoke(log, ["purge", "--store-url", url], env=env)
    assert r.exit_code == 0, r.output
    assert "deleted 3 expired" in r.output
    r = runner.invoke(audit, ["verify", "--store-url", url], env=env)
    assert r.exit_code == 0, r.output


def test_config_file_store_url(tmp_path: Path, env: dict[str, str]) -> None:
    url = f"sqlite:///{tmp_path / 'cfg.db'}"
    _fill(url, Path(env["HEGUI_DATA_DIR"]), n=1).close()
    cfg = tmp_path / "hegui.yaml"
    cfg.write_text(f"store: {{url: '{url}'}}\n", encoding="utf-8")
    r = CliRunner().invoke(audit, ["verify", "--config", str(cfg)], env=env)
    assert r.exit_code == 0, r.output
    assert "1 events" in r.output

"""The store: shipped migrations, engine set-up, timestamps (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

import pg
from hegui.store import MIGRATIONS_DIR, Account, AuditHead, Base, current_revision, make_engine, upgrade

TABLES = {"accounts", "api_keys", "content_log", "audit_events", "audit_head", "audit_checkpoints"}

pg_url = pg.pg_url  # pytest fixtures: a throwaway PostgreSQL server, and a fresh store per test
store_url = pg.store_url


def test_migrations_ship_inside_the_package() -> None:
    assert MIGRATIONS_DIR.is_dir()
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert (MIGRATIONS_DIR / "versions" / "__init__.py").is_file()  # a package: it ships in the wheel
    assert Path(__file__).resolve().parents[1] / "src" / "hegui" / "store" / "migrations" == MIGRATIONS_DIR


def test_upgrade_is_idempotent_and_independent_of_cwd(store_url: str, tmp_path: Path) -> None:
    engine = make_engine(store_url)
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        upgrade(engine)
    finally:
        os.chdir(old)
    from alembic.script import ScriptDirectory

    from hegui.store.engine import alembic_config

    assert current_revision(engine) == ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert set(inspect(engine).get_table_names()) >= TABLES
    with Session(engine) as s:
        head = s.execute(select(AuditHead)).scalar_one()
        assert (head.id, head.seq, head.hash) == (1, 0, "0" * 64)
    engine.dispose()


def test_models_match_the_migrations(store_url: str) -> None:
    engine = make_engine(store_url)
    upgrade(engine)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": "hegui_alembic_version"})
        diff = compare_metadata(ctx, Base.metadata)
    engine.dispose()
    assert diff == []


def test_concurrent_upgrades_do_not_collide(store_url: str) -> None:
    engines = [make_engine(store_url) for _ in range(3)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(engines))

    def run(e: object) -> None:
        try:
            barrier.wait()
            upgrade(e)  # type: ignore[arg-type]
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with engines[0].connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_head")).scalar_one() == 1
    for e in engines:
        e.dispose()


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() >= 1000
    engine.dispose()


def test_timestamps_come_back_aware_utc(store_url: str) -> None:
    engine = make_engine(store_url)
    upgrade(engine)
    t = datetime(2025, 3, 1, 20, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8)))
    with Session(engine) as s, s.begin():
        s.add(Account(id="a" * 32, name="n", status="active", created_at=t, updated_at=t))
    with Session(engine) as s:
        got = s.get(Account, "a" * 32)
        assert got is not None
        assert got.created_at == t
        assert got.created_at.tzinfo == UTC
    with Session(engine) as s, pytest.raises(Exception, match="naive"):
        s.add(Account(id="b" * 32, name="n", status="active", created_at=datetime(2025, 1, 1), updated_at=t))
        s.flush()
    engine.dispose()

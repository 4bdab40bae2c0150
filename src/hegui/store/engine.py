"""Engine creation and schema migration.

SQLite: WAL journal, foreign keys on, a busy timeout, and ``BEGIN IMMEDIATE`` for every transaction that may
write (connections from :func:`read_only` begin deferred), so that read-then-write sequences such as an audit
append are serialised across processes. PostgreSQL: ``pool_pre_ping``; migrations take an advisory lock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import StaticPool

__all__ = ["MIGRATIONS_DIR", "make_engine", "read_only", "upgrade"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "hegui_alembic_version"
_READ_ONLY = "hegui_read_only"
# pg_advisory_xact_lock key for migrations ("hegui" in ASCII)
_MIGRATION_LOCK = 0x6865677569
BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for ``url`` (``sqlite:///...`` or ``postgresql+psycopg://...``) set up for hegui."""
    u = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if u.get_backend_name() == "sqlite":
        memory = u.database in (None, "", ":memory:")
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}
        if memory:
            kwargs["poolclass"] = StaticPool
        engine = create_engine(u, **kwargs)
        _sqlite_events(engine, wal=not memory)
        return engine
    kwargs["pool_pre_ping"] = True
    return create_engine(u, **kwargs)


def _sqlite_events(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own is deferred and skips DDL)
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        try:
            if wal:
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(_READ_ONLY) else "BEGIN IMMEDIATE")


def read_only(engine: Engine) -> Engine:
    """The same engine (and pool) for transactions that only read (SQLite: deferred BEGIN, no write lock)."""
    return engine.execution_options(**{_READ_ONLY: True})


def alembic_config() -> Config:
    """An Alembic config pointing at the migrations shipped inside the package (independent of the cwd)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("version_table", VERSION_TABLE)
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the shipped migrations up to ``revision`` in one transaction. Idempotent; two processes starting at
    once are serialised (PostgreSQL: advisory transaction lock; SQLite: ``BEGIN IMMEDIATE``)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at (None: not created yet)."""
    from alembic.runtime.migration import MigrationContext

    with read_only(engine).connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        return ctx.get_current_revision()

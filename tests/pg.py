"""A throwaway PostgreSQL server for tests, and a ``store_url`` fixture over SQLite and PostgreSQL.

Use it from a test module::

    import pg
    pg_url = pg.pg_url
    store_url = pg.store_url

``pg_url`` (session scope) starts ``postgres`` from the Debian packages (``/usr/lib/postgresql/<newest>/bin``)
on 127.0.0.1 on a free port (one server per test run, stopped at exit), in a temporary directory, with trust authentication and ``fsync=off``; as root
it runs the server as the ``postgres`` user (PostgreSQL refuses to run as root). ``make test`` installs the
packages. Without them the tests fail, unless ``HEGUI_SKIP_PG=1``, which skips them.

``store_url`` gives each test a fresh, empty database: a new SQLite file, or a new PostgreSQL database that is
dropped afterwards.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["fresh_pg_database", "pg_bin_dir", "pg_url", "store_url"]


def pg_bin_dir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` that has ``pg_ctl`` (None when not installed)."""
    found = []
    for d in glob.glob("/usr/lib/postgresql/*/bin"):
        m = re.search(r"/postgresql/(\d+)(?:\.(\d+))?/bin$", d)
        if m and os.access(os.path.join(d, "pg_ctl"), os.X_OK) and os.access(os.path.join(d, "initdb"), os.X_OK):
            found.append(((int(m.group(1)), int(m.group(2) or 0)), Path(d)))
    return max(found)[1] if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    if shutil.which("runuser"):
        return ["runuser", "-u", "postgres", "--", *cmd]
    return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(f"'{c}'" for c in cmd)]


def _run(cmd: list[str], what: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")


def _admin_connect(port: int, dbname: str = "postgres"):  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname=dbname, autocommit=True)


class _Server:
    """One server per test process, however many modules import the fixture; stopped at exit."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="hegui-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.started = False

    def start(self) -> str:
        if os.geteuid() == 0:
            import pwd

            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        os.chmod(self.root, 0o700)
        _run(
            _as_postgres([str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                          "-E", "UTF8", "--locale=C", "--no-sync"]),
            "initdb",
        )
        opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.root} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        _run(_as_postgres([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", opts,
                           "-l", str(self.root / "server.log"), "-w", "-t", "60", "start"]), "pg_ctl start")
        self.started = True
        deadline = time.monotonic() + 30
        while True:
            try:
                with _admin_connect(self.port) as conn:
                    conn.execute("CREATE DATABASE hegui_test")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/hegui_test"

    def stop(self) -> None:
        if self.started:
            subprocess.run(
                _as_postgres([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]),
                capture_output=True, timeout=60,
            )
            self.started = False
        shutil.rmtree(self.root, ignore_errors=True)


_SERVER: tuple[_Server, str] | None = None


@pytest.fixture(scope="session")
def pg_url() -> str:
    """``postgresql+psycopg://postgres@127.0.0.1:PORT/hegui_test`` on a throwaway server (stopped at exit)."""
    global _SERVER
    if _SERVER is not None:
        return _SERVER[1]
    bindir = pg_bin_dir()
    if bindir is None:
        if os.environ.get("HEGUI_SKIP_PG") == "1":
            pytest.skip("PostgreSQL is not installed and HEGUI_SKIP_PG=1")
        pytest.fail(
            "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/pg_ctl): run `make test`, which "
            "installs them (apt-get install postgresql), or set HEGUI_SKIP_PG=1 to skip the PostgreSQL tests",
            pytrace=False,
        )
    server = _Server(bindir)
    try:
        url = server.start()
    except BaseException:
        server.stop()
        raise
    atexit.register(server.stop)
    _SERVER = (server, url)
    return url


@contextlib.contextmanager
def fresh_pg_database(pg_url: str) -> Iterator[str]:
    """A new empty database on the test server, dropped on exit; yields its URL."""
    from sqlalchemy.engine import make_url

    u = make_url(pg_url)
    assert u.port is not None
    name = f"t_{uuid.uuid4().hex[:16]}"
    with _admin_connect(u.port) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield u.set(database=name).render_as_string(hide_password=False)
    finally:
        with _admin_connect(u.port) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh empty store per test: ``sqlite:////tmp/.../hegui.db`` or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hegui.db'}"
        return
    url: str = request.getfixturevalue("pg_url")
    with fresh_pg_database(url) as fresh:
        yield fresh

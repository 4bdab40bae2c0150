"""Alembic environment. hegui passes its connection in ``config.attributes["connection"]``; for developer use
(``alembic revision --autogenerate``) ``sqlalchemy.url`` in the config is used instead."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from hegui.store.engine import VERSION_TABLE, make_engine
from hegui.store.models import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    given = context.config.attributes.get("connection")
    if given is not None:
        _run(given)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set sqlalchemy.url (or pass a connection in config.attributes['connection'])")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


_main()

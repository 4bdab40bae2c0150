"""Alembic migrations of the hegui store (run by :func:`hegui.store.engine.upgrade`)."""

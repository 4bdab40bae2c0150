"""Versions and change history of tables whose rows are removed softly (``added_at``/``added_by``,
``removed_at``/``removed_by``): the console's word library and similar-text library."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine, func, literal, select, union_all
from sqlalchemy.orm import Session

__all__ = ["Change", "history", "version"]

E = TypeVar("E")


@dataclass(frozen=True, slots=True)
class Change(Generic[E]):
    """One addition or removal, with the version the table had right after it."""

    version: int
    action: str  # "added" | "removed"
    at: datetime
    actor: str
    entry: E


def version(read: Engine, model: Any) -> int:
    """A number that grows with every change: additions plus removals ever made."""
    with Session(read) as s:
        added = s.scalar(select(func.count()).select_from(model)) or 0
        removed = s.scalar(select(func.count()).select_from(model).where(model.removed_at.is_not(None))) or 0
    return int(added) + int(removed)


def history(read: Engine, model: Any, convert: Callable[[Any], E], limit: int = 50,
            offset: int = 0) -> list[Change[E]]:
    """Every addition and removal, newest first (``limit`` of them from ``offset``); ``convert`` makes the entry
    of a row. The newest change carries :func:`version`."""
    limit, offset = max(0, min(int(limit), 10_000)), max(0, int(offset))
    added = select(model.id.label("id"), model.added_at.label("at"), literal("added").label("action"))
    removed = (select(model.id.label("id"), model.removed_at.label("at"), literal("removed").label("action"))
               .where(model.removed_at.is_not(None)))
    u = union_all(added, removed).subquery()
    q = select(u.c.id, u.c.action).order_by(u.c.at.desc(), u.c.action.desc(), u.c.id.desc())
    with Session(read) as s:
        total = version(read, model)
        rows = s.execute(q.limit(limit).offset(offset)).all()
        ids = {r.id for r in rows}
        found = {r.id: r for r in s.scalars(select(model).where(model.id.in_(ids)))} if ids else {}
        out: list[Change[E]] = []
        for i, r in enumerate(rows):
            row = found[r.id]
            is_add = r.action == "added"
            at = row.added_at if is_add or row.removed_at is None else row.removed_at
            out.append(Change(version=total - offset - i, action=str(r.action), at=at,
                              actor=row.added_by if is_add else row.removed_by or "", entry=convert(row)))
    return out

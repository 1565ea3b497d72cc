"""The SQL helpers every repository shares: INSERT … ON CONFLICT on whichever backend the
session is bound to, and long id lists in chunks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def _table(model: Any) -> Any:
    """The model's table: a plain (Core) INSERT skips the ORM's bulk-insert bookkeeping,
    which nothing here needs and which cost more than the statement itself."""
    return getattr(model, "__table__", model)


# Statements built once per backend and table: building an ON CONFLICT statement (its
# EXCLUDED alias above all) cost more than running it.
_BUILT: dict[tuple[Any, ...], Any] = {}


def insert_ignore(session: AsyncSession, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    key = ("ignore", dialect, table)
    if key not in _BUILT:
        module = postgresql if dialect == "postgresql" else sqlite
        _BUILT[key] = module.insert(_table(table)).on_conflict_do_nothing()
    return _BUILT[key]


def upsert(session: AsyncSession, table: Any, keys: list[str], update: list[str]) -> Any:
    """INSERT … ON CONFLICT (keys) DO UPDATE SET the ``update`` columns to the new values."""
    dialect = session.get_bind().dialect.name
    key = ("upsert", dialect, table, tuple(keys), tuple(update))
    if key not in _BUILT:
        module = postgresql if dialect == "postgresql" else sqlite
        statement = module.insert(_table(table))
        _BUILT[key] = statement.on_conflict_do_update(
            index_elements=keys, set_={c: statement.excluded[c] for c in update})
    return _BUILT[key]

# Ids per IN (…) list: well under SQLite's 32,766 bound parameters and PostgreSQL's 65,535.
CHUNK = 500

def chunks(ids: list[int], size: int = CHUNK) -> Iterable[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i:i + size]

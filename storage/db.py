"""Engine and sessions. SQLite (WAL, foreign keys on) by default; PostgreSQL via asyncpg."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from . import sqlite_inline

SessionFactory = async_sessionmaker[AsyncSession]


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the engine for ``url``; for a file SQLite database, create its folder too."""
    # An error's message names the statement, never its values (a name, a phone number).
    kwargs.setdefault("hide_parameters", True)
    if not is_sqlite(url):
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 10)
        kwargs.setdefault("pool_pre_ping", True)
        # No JIT: Synaq's queries are short, and compiling one took longer than running it
        # (the portfolio job over a region: 196 ms of JIT for 130 ms of work).
        kwargs.setdefault("connect_args", {"server_settings": {"jit": "off"}})
        return create_async_engine(url, **kwargs)

    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    # One connection per process: SQLite has one writer anyway, and waiting for the pool is an
    # asyncio wait, where waiting inside SQLite's busy handler would sleep a thread. Other
    # processes (`synaq tick`, `synaq console`) wait on the busy timeout.
    kwargs.setdefault("pool_size", 1)
    kwargs.setdefault("max_overflow", 0)
    kwargs.setdefault("pool_timeout", 60)
    u = make_url(url)
    # Statements run on the event loop's thread (storage/sqlite_inline.py says why).
    kwargs.setdefault("async_creator", lambda: sqlite_inline.connect(
        u.database or ":memory:", uri=u.query.get("uri") == "true"))
    engine = create_async_engine(url, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" below decide when a transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Short: a longer wait for another process's write lock is BEGIN's, on the event
        # loop (sqlite_inline.Connection.begin).
        cursor.execute(f"PRAGMA busy_timeout={sqlite_inline.SHORT_BUSY_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front: a deferred transaction that reads and then
        # writes can fail at once with "database is locked" when another process wrote between.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False)

"""SQLite calls made on the event loop's own thread, for SQLAlchemy's aiosqlite dialect.

aiosqlite runs every call (open a cursor, execute, fetch, close) on a thread of its own and
hands the result back through the event loop: four thread hops per statement, each a GIL
hand-over. A statement on a local SQLite file takes a few microseconds; the hops cost far
more (the benchmark's profile: most of an update's time). So this shim, which SQLAlchemy
accepts through ``async_creator``, makes the same calls directly.

Only one thing in SQLite waits for long: taking the write lock while another process (``synaq
tick``, the console) holds it. That wait must not stop the event loop, so the connection's own
busy timeout is short, and ``BEGIN IMMEDIATE`` is retried here with ``asyncio.sleep`` until
BUSY_WAIT has passed.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterable
from queue import SimpleQueue
from typing import Any

# How long BEGIN IMMEDIATE keeps trying for the write lock (as busy_timeout did in a thread).
BUSY_WAIT = 15.0
# The connection's own busy timeout: short waits (a checkpoint) stay inside SQLite.
SHORT_BUSY_MS = 20


class _Inline(SimpleQueue):  # type: ignore[type-arg]
    """Stands in for aiosqlite's queue of calls: runs each call at once."""

    def put_nowait(self, item: Any) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:  # noqa: B036 — handed to the awaiting caller
            if future is not None:
                future.set_exception(exc)
        else:
            if future is not None:
                future.set_result(result)


class Cursor:
    def __init__(self, connection: Connection, cursor: sqlite3.Cursor) -> None:
        self._connection = connection
        self._cursor = cursor

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    def __await__(self) -> Any:
        async def itself() -> Cursor:
            return self
        return itself().__await__()

    async def execute(self, sql: str, parameters: Any = None) -> Cursor:
        if sql.lstrip().upper().startswith("BEGIN"):
            await self._connection.begin(self._cursor, sql)
        elif parameters is None:
            self._cursor.execute(sql)
        else:
            self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> Cursor:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def close(self) -> None:
        self._cursor.close()

    async def nextset(self) -> None:
        return None

    async def setinputsizes(self, *sizes: Any) -> None:
        return None

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class Connection:
    """The part of ``aiosqlite.Connection`` that SQLAlchemy's dialect uses."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._connection: sqlite3.Connection | None = conn
        self._tx = _Inline()

    def cursor(self) -> Cursor:
        return Cursor(self, self._conn.cursor())

    async def begin(self, cursor: sqlite3.Cursor, sql: str) -> None:
        """Take the write lock, waiting on the event loop (not in SQLite) while another
        process holds it."""
        deadline = time.monotonic() + BUSY_WAIT
        pause = 0.001
        while True:
            try:
                cursor.execute(sql)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.05)

    async def execute(self, sql: str, parameters: Any = None) -> Cursor:
        cursor = self.cursor()
        return await cursor.execute(sql, parameters)

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._conn.close()
            self._connection = None

    def stop(self) -> None:
        if self._connection is not None:
            self._conn.close()
            self._connection = None

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction


async def connect(database: str, uri: bool = False) -> Connection:
    conn = sqlite3.connect(database, uri=uri, check_same_thread=False,
                           isolation_level=None, timeout=SHORT_BUSY_MS / 1000)
    return Connection(conn)

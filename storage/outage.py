"""Telling "the database cannot be reached right now" apart from every other failure.

An event that fails because of a bug is answered with an apology and not tried again. An
event that fails because the database is down or locked by another process must not be: it
is handed back unacknowledged (polling pauses, a webhook answers 503) so that it comes again
once the database is back. Deciding which is which is this module's one job.
"""

from __future__ import annotations

import asyncio
import sqlite3

from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

# SQLite's messages for a database that exists but cannot be written now (another process
# holds the write lock; the file or its folder is read-only or gone; the disk is full).
_SQLITE_UNAVAILABLE = ("database is locked", "database table is locked", "database is busy",
                       "unable to open database", "disk i/o error", "readonly database",
                       "database or disk is full")


class DatabaseUnavailable(Exception):
    """The database could not be reached; nothing of the event was committed."""


def is_outage(error: BaseException) -> bool:
    """True if ``error`` (or what caused it) says the database is unreachable, locked or gone,
    rather than that a statement or the code is wrong."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _unreachable(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _unreachable(error: BaseException) -> bool:
    if isinstance(error, DatabaseUnavailable):
        return True
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    # The pool gave up waiting for a connection; a connection could not be (re)made.
    if isinstance(error, sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return True
    if isinstance(error, sqlite3.OperationalError | sa_exc.OperationalError) and any(
            text in str(error).lower() for text in _SQLITE_UNAVAILABLE):
        return True
    # asyncpg: lost connections, a server starting up or shutting down. (A refused
    # connection is a plain OSError, which a download can raise too: the caller asks the
    # database itself, see ``reachable``.)
    name = type(error).__name__
    module = type(error).__module__ or ""
    return module.startswith("asyncpg") and name in (
        "ConnectionDoesNotExistError", "ConnectionFailureError", "CannotConnectNowError",
        "AdminShutdownError", "CrashShutdownError", "TooManyConnectionsError",
        "ConnectionRejectionError", "InterfaceError", "InternalClientError")


async def reachable(engine: AsyncEngine, timeout: float = 5.0) -> bool:
    """Whether a server database answers now. (SQLite is a local file: its failures say
    themselves what they are, and a probe would only wait for the write lock.)"""
    if engine.dialect.name == "sqlite":
        return True
    try:
        async with asyncio.timeout(timeout), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:
        return False
    return True

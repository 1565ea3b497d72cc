"""A migrated database per test, on SQLite (default) or PostgreSQL.

Set ``SYNAQ_TEST_DATABASE_URL=postgresql+asyncpg://user@host:port/name`` to run the suite on
PostgreSQL: the schema is migrated once into a template database, and every test gets a copy
(``CREATE DATABASE … TEMPLATE``), which is much faster than migrating each time.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from storage.migrate import upgrade_sync

ENV = "SYNAQ_TEST_DATABASE_URL"


def backend() -> str:
    url = os.environ.get(ENV, "")
    return "postgresql" if url.startswith("postgresql") else "sqlite"


def _admin_dsn(url: str, database: str = "postgres") -> str:
    u = make_url(url).set(drivername="postgresql", database=database)
    return u.render_as_string(hide_password=False)


async def _pg(url: str, *statements: str) -> None:
    conn = await asyncpg.connect(_admin_dsn(url))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


class TemplateDatabase:
    """Migrated once per test session; :meth:`copy` hands out fresh databases."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.base = os.environ.get(ENV, "")
        self.name = f"synaq_tpl_{os.getpid()}"
        if backend() == "postgresql":
            asyncio.run(_pg(self.base, f'DROP DATABASE IF EXISTS "{self.name}"',
                            f'CREATE DATABASE "{self.name}"'))
            upgrade_sync(self.url_for(self.name))
            self.path = None
        else:
            self.path = workdir / "template.db"
            upgrade_sync(f"sqlite+aiosqlite:///{self.path}")

    def url_for(self, database: str) -> str:
        return make_url(self.base).set(database=database).render_as_string(hide_password=False)

    async def copy(self, directory: Path) -> str:
        if self.path is None:
            name = f"synaq_t_{uuid.uuid4().hex[:12]}"
            await _pg(self.base, f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"')
            return self.url_for(name)
        target = directory / "synaq.db"
        shutil.copyfile(self.path, target)
        return f"sqlite+aiosqlite:///{target}"

    async def drop(self, url: str) -> None:
        if self.path is None:
            name = make_url(url).database
            await _pg(self.base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        if self.path is None:
            asyncio.run(_pg(self.base, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)

"""Fixtures: a migrated database per test (SQLite, or PostgreSQL via SYNAQ_TEST_DATABASE_URL),
the Telegram harness, and the demo school."""

from __future__ import annotations

# aiogram as the service imports it (models built on first use), before anything else does.
import bot.lazy_aiogram  # noqa: F401

# isort: split
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from .databases import TemplateDatabase, backend
from .demo_school import DemoSchool
from .harness import Harness, harness


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TemplateDatabase]:
    template = TemplateDatabase(tmp_path_factory.mktemp("template"))
    yield template
    template.close()


@pytest.fixture
async def db_url(template_db: TemplateDatabase, tmp_path: Path) -> AsyncIterator[str]:
    url = await template_db.copy(tmp_path)
    yield url
    await template_db.drop(url)


@pytest.fixture
async def h(db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(db_url, tmp_path / "media") as h:
        yield h


def pytest_report_header() -> str:
    return f"synaq database backend: {backend()}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="needs PostgreSQL (set SYNAQ_TEST_DATABASE_URL)")
    for item in items:
        if "postgres_only" in item.keywords and backend() != "postgresql":
            item.add_marker(skip)


@pytest.fixture
async def demo(h: Harness) -> DemoSchool:
    return await DemoSchool.load(h)

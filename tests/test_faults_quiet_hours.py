"""QUIET_HOURS is the deployment's default; a school that set hours of its own keeps them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from storage.models import School

from . import test_tick_reminders as ticking
from .demo_school import PARENTS, PUPILS, DemoSchool
from .harness import Harness, harness
from .test_tick_reminders import T, rows, test_reminder

only = ticking.only  # the fixture that makes one test reminder the only one

EVENING = T - timedelta(hours=12)  # Monday 22:00 in Astana


@pytest.fixture
async def h(db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(db_url, tmp_path / "media", quiet_hours="23:00-07:00") as h:
        yield h


async def test_quiet_hours_of_the_deployment_apply_to_a_school_without_its_own(h, only):
    demo = await DemoSchool.load(h)
    only(test_reminder(offsets=(timedelta(hours=-12),)))
    parent = await demo.join(PARENTS[0], lang="en")
    parent.new()
    await h.tick(EVENING)  # 22:00: quiet from 21:00 by default, not by this deployment
    assert [m.text for m in parent.new()] == [f"test reminder 0 about pupil {demo.id(PUPILS[0])}"]


async def test_a_schools_own_quiet_hours_win_over_the_setting(h, only):
    demo = await DemoSchool.load(h)
    async with h.db() as session:
        await session.execute(update(School).values(quiet_hours="21:30-08:30"))
    only(test_reminder(offsets=(timedelta(hours=-12),)))
    parent = await demo.join(PARENTS[0], lang="en")
    parent.new()
    await h.tick(EVENING)
    assert parent.new() == []
    [row] = await rows(h)
    assert row.not_before == datetime(2026, 11, 24, 3, 30, tzinfo=UTC)  # Tuesday 08:30 local


def test_the_migration_keeps_only_hours_a_school_was_given_and_nothing_else_changes(tmp_path):
    import sqlite3

    from storage.migrate import upgrade_sync

    path = tmp_path / "old.db"
    upgrade_sync(f"sqlite+aiosqlite:///{path}", "0003")
    db = sqlite3.connect(path)
    db.execute("PRAGMA foreign_keys=ON")
    for n, (start, end) in enumerate([("21:00", "08:00"), ("22:00", "07:30")], 1):
        db.execute("INSERT INTO school (id, name, timezone, quiet_start, quiet_end, "
                   "working_days, default_locale, summary_needs_approval, rural, created_at) "
                   "VALUES (?, ?, 'Asia/Almaty', ?, ?, '12345', 'kk', 0, 0, '2026-01-01')",
                   (n, f"School {n}", start, end))
        db.execute("INSERT INTO school_class (school_id, name, grade) VALUES (?, '9A', 9)", (n,))
    db.commit()
    db.close()
    upgrade_sync(f"sqlite+aiosqlite:///{path}")
    db = sqlite3.connect(path)
    assert db.execute("SELECT id, quiet_hours FROM school ORDER BY id").fetchall() == [
        (1, None), (2, "22:00-07:30")]
    assert db.execute("SELECT count(*) FROM school_class").fetchone() == (2,)  # no cascade
    db.close()

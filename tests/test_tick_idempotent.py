"""Due work is a query: the same moment computed twice — one after the other, from the
command line, or by two processes at once — queues and sends everything exactly once."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.runtime import Runtime, tick
from storage.db import create_engine, session_factory
from storage.models import Outbox

from .demo_school import COORDINATOR, MENTOR, PARENTS

# Monday 23 November 2026, 10:00 in Astana; the demo trial is tomorrow at 10:00. Due now:
# the consent requests (the pupils were put on the trial at 09:00) and, a day ahead, the
# consent reminders and the mentor's second request; the coordinator's digest.
MORNING = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
DUE = {"digest": 1, "consent.request": 3, "consent.reminder": 3, "mentor.confirm": 1}


async def join_everyone(demo) -> dict[str, object]:
    return {name: await demo.join(name, lang="en") for name in (COORDINATOR, MENTOR, *PARENTS)}


async def outbox_counts(h) -> Counter[str]:
    async with h.db() as session:
        keys = await session.scalars(select(Outbox.dedup_key).where(Outbox.dedup_key.is_not(None)))
        return Counter(key.split(":")[0] for key in keys if key)


def delivered(h) -> Counter[tuple[int, str]]:
    return Counter((s.chat_id, s.text) for s in h.fake.sent)


async def test_the_same_tick_twice_sends_nothing_twice(h, demo):
    await join_everyone(demo)
    await h.tick(MORNING)
    first = await outbox_counts(h)
    assert first == DUE
    sent = delivered(h)
    assert max(sent.values()) == 1

    await h.tick(MORNING)  # the same moment again
    await h.tick(MORNING.replace(minute=1))  # and the next minute
    assert await outbox_counts(h) == first
    assert delivered(h) == sent


async def test_tick_from_the_command_line_twice(h, demo):
    """`synaq tick --now …` in a process of its own, run twice for the same moment."""
    await join_everyone(demo)
    before = len(h.fake.sent)
    env = {**os.environ, "DATABASE_URL": h.settings.database_url,
           "TELEGRAM_BOT_TOKEN": h.fake.token, "TELEGRAM_API_URL": h.fake.url,
           "MEDIA_DIR": str(h.settings.media_dir), "LOG_LEVEL": "WARNING"}
    outputs = []
    for _run in range(2):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "tick", "--now", "2026-11-23T10:00+05:00", env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        outputs.append(out.decode().strip())
    assert re.search(r": 8 queued, 8 sent, 0 to retry, 0 failed$", outputs[0]), outputs[0]
    assert re.search(r": 0 queued, 0 sent, 0 to retry, 0 failed$", outputs[1]), outputs[1]
    assert len(h.fake.sent) - before == 8
    assert max(delivered(h).values()) == 1


@pytest.mark.postgres_only
async def test_two_ticks_at_once_on_postgresql_send_nothing_twice(h, demo):
    """Two processes' worth of ticks (separate engines and connection pools) racing for
    the same moment: the dedup keys and the row locks leave one copy of everything."""
    await join_everyone(demo)
    engine = create_engine(h.settings.database_url)
    try:
        mine = h.runtime
        other = Runtime(h.settings, engine, session_factory(engine), h.config, h.service,
                        mine.senders, h.bot)
        reports = await asyncio.gather(tick(mine, MORNING), tick(other, MORNING))
    finally:
        await engine.dispose()
    assert all(not r.failed_jobs and set(r.queued) == set(reports[0].queued) for r in reports)
    queued = [sum(r.queued.values()) for r in reports]
    print("queued by each tick:", queued,
          "sent by each:", [r.delivery.sent for r in reports if r.delivery])
    assert sum(queued) == 8  # each message queued by one of them, never by both
    assert sum(r.delivery.sent for r in reports if r.delivery) == 8
    assert await outbox_counts(h) == DUE
    assert sum(delivered(h).values()) == len(delivered(h))  # no text twice to one chat
    async with h.db() as session:
        states = dict((await session.execute(
            select(Outbox.status, func.count()).where(Outbox.dedup_key.is_not(None))
            .group_by(Outbox.status))).all())
    assert states == {"sent": 8}

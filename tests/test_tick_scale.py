"""Due work stays quick with a region's worth of data: 100,000 pupils, a year of trials.

Due work looks only at trials whose start, end or roster change lies near ``now`` (index
range scans) and loads them in batches, so the size of the database hardly matters.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select

from handlers.context import Context
from handlers.delivery import enqueue
from handlers.features import WIRING
from storage.models import Guardian, Identity, Participant, Person, PersonRole, School, Trial

PUPILS = 100_000
TRIALS = 2_000  # a school year of trials across the region, 50 pupils each
NOW = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Astana
YEAR_START = datetime(2026, 9, 1, 4, 0, tzinfo=UTC)


async def test_a_tick_over_100000_pupils_is_quick(h):
    async with h.db() as session:
        school_ids = list((await session.execute(insert(School).returning(School.id), [
            {"name": f"School {i}", "timezone": "Asia/Almaty"} for i in range(40)])).scalars())
        first = await session.scalar(select(func.coalesce(func.max(Person.id), 0))) or 0
        await session.execute(insert(Person), [
            {"id": first + i + 1, "full_name": f"Pupil {i}",
             "school_id": school_ids[i % len(school_ids)], "created_at": YEAR_START}
            for i in range(PUPILS)])
        await session.execute(insert(Person), [
            {"id": first + PUPILS + i + 1, "full_name": f"Parent {i}",
             "school_id": school_ids[i % len(school_ids)], "created_at": YEAR_START}
            for i in range(PUPILS)])
        await session.execute(insert(PersonRole), [
            {"person_id": first + i + 1, "role": "pupil"} for i in range(PUPILS)]
            + [{"person_id": first + PUPILS + i + 1, "role": "parent"} for i in range(PUPILS)])
        await session.execute(insert(Guardian), [
            {"parent_id": first + PUPILS + i + 1, "pupil_id": first + i + 1}
            for i in range(PUPILS)])
        # Trials spread evenly over the school year, ten a school day.
        step = timedelta(days=270) / TRIALS
        trial_ids = list((await session.execute(insert(Trial).returning(Trial.id), [
            {"school_id": school_ids[i % len(school_ids)], "title": f"Trial {i}",
             "starts_at": YEAR_START + i * step, "ends_at": YEAR_START + i * step
             + timedelta(hours=2), "created_at": YEAR_START, "updated_at": YEAR_START,
             "mini_task": [], "subjects": []} for i in range(TRIALS)])).scalars())
        per_trial = PUPILS // TRIALS
        await session.execute(insert(Participant), [
            {"trial_id": trial_ids[i // per_trial], "pupil_id": first + i + 1,
             "added_at": YEAR_START + (i // per_trial) * step - timedelta(days=7)}
            for i in range(PUPILS)])
        # Everyone has joined on Telegram.
        await session.execute(insert(Identity), [
            {"person_id": first + i + 1, "channel": "telegram", "address": str(9_000_000 + i),
             "created_at": YEAR_START} for i in range(2 * PUPILS)])
        near = await session.scalar(select(func.count()).select_from(Trial).where(
            Trial.starts_at.between(NOW - timedelta(days=5), NOW + timedelta(days=5))))
    assert near is not None and 40 <= near <= 120

    # The due jobs of this part of Synaq, each in its own transaction and queued as ``tick``
    # does it (other features' jobs are theirs to measure): the first tick of the morning
    # builds and queues what is due; the next minute finds it queued and does little.
    for run, moment in (("first tick", NOW), ("next minute", NOW + timedelta(minutes=1))):
        timings, queued = {}, 0
        for name in ("timeline", "digest", "quarterly", "agreements"):
            started = time.perf_counter()
            async with h.db() as session:
                ctx = Context(session=session, wiring=WIRING, now=moment, config=h.config)
                queued += await enqueue(ctx, await WIRING.due_jobs[name](ctx))
            timings[name] = time.perf_counter() - started
        print(f"\n{run} over {PUPILS:,} pupils, {PUPILS:,} parents and {TRIALS:,} trials "
              f"({near} within 5 days): {queued} queued; "
              + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in timings.items()))
        assert sum(timings.values()) < (8 if run == "first tick" else 2)
        assert (queued > 100) == (run == "first tick")

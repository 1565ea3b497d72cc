"""The timeline machinery with a reminder of its own: offsets, repeats, catch-up, quiet
hours, answers that stop (and withdraw) reminders, overrides from the settings.

The real timeline of the trial cycle is walked in ``test_timeline.py``; here one test
reminder stands alone in the registry, so each rule shows on its own.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Literal

import pytest
from sqlalchemy import select

from handlers.context import Context
from handlers.events import Outbound
from handlers.features import WIRING
from handlers.schedule.reminders import parse_overrides, schedule
from handlers.schedule.timeline import Recipient, Reminder
from storage.models import Outbox, Trial
from storage.repos.trials import Trials

from .demo_school import PARENTS, PUPILS

# The demo trial starts on Tuesday 24 November 2026 at 10:00 in Astana (05:00 UTC).
T = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
ANSWERED: set[int] = set()


async def _parents(ctx: Context, trial: Trial) -> list[Recipient]:
    pupils = [p.pupil_id for p in await ctx.trials.participants(trial.id)]
    guardians = await ctx.people.guardians_of(pupils)
    return [Recipient(parent, pupil) for pupil in pupils for parent in guardians[pupil]]


async def _pending(ctx: Context, trial: Trial, r: Recipient) -> bool:
    return r.person_id not in ANSWERED


async def _build(ctx: Context, trial: Trial, r: Recipient, n: int) -> list[Outbound]:
    return [Outbound(text=f"test reminder {n} about pupil {r.pupil_id}", person_id=r.person_id)]


def test_reminder(anchor: Literal["start", "end", "added"] = "start",
                  offsets: tuple[timedelta, ...] = (), at_local: str | None = None,
                  audience: str = "parent") -> Reminder:
    return Reminder(purpose="test.remind", audience=audience, anchor=anchor,
                    offsets=offsets or (timedelta(days=-3), timedelta(days=-1)),
                    recipients=_parents, pending=_pending, build=_build, at_local=at_local)


test_reminder.__test__ = False  # type: ignore[attr-defined]  # a factory, not a test


@pytest.fixture
def only(monkeypatch):
    """Make ``reminder`` the only one in the wiring for this test."""
    ANSWERED.clear()

    def use(reminder: Reminder) -> Reminder:
        for purpose in list(WIRING.reminders):
            monkeypatch.delitem(WIRING.reminders, purpose)
        monkeypatch.setitem(WIRING.reminders, reminder.purpose, reminder)
        return reminder
    return use


async def rows(h, purpose: str = "test.remind") -> list[Outbox]:
    async with h.db() as session:
        return list(await session.scalars(
            select(Outbox).where(Outbox.purpose == purpose).order_by(Outbox.id)))


async def test_each_occurrence_goes_once_at_its_time_and_not_before(h, demo, only):
    only(test_reminder())
    parent = await demo.join(PARENTS[0], lang="en")
    parent.new()
    await h.tick(T - timedelta(days=3, minutes=1))
    assert parent.new() == []
    await h.tick(T - timedelta(days=3))
    assert [m.text for m in parent.new()] == [f"test reminder 0 about pupil {demo.id(PUPILS[0])}"]
    await h.tick(T - timedelta(days=2))
    assert parent.new() == []
    await h.tick(T - timedelta(days=1))
    assert [m.text for m in parent.new()] == [f"test reminder 1 about pupil {demo.id(PUPILS[0])}"]
    await h.tick(T - timedelta(hours=1))
    assert parent.new() == []
    keys = [r.dedup_key for r in await rows(h)]
    assert keys == [f"test.remind:{demo.trial_id}:{demo.id(PARENTS[0])}:{demo.id(PUPILS[0])}:0",
                    f"test.remind:{demo.trial_id}:{demo.id(PARENTS[0])}:{demo.id(PUPILS[0])}:1"]


async def test_an_answer_stops_the_reminders_and_only_those_without_one_are_reminded(
        h, demo, only):
    only(test_reminder())
    first = await demo.join(PARENTS[0], lang="en")
    second = await demo.join(PARENTS[1], lang="en")
    await h.tick(T - timedelta(days=3))
    ANSWERED.add(demo.id(PARENTS[0]))
    first.new(), second.new()
    await h.tick(T - timedelta(days=1))
    assert first.new() == []
    assert [m.text for m in second.new()] == [
        f"test reminder 1 about pupil {demo.id(PUPILS[1])}"]


async def test_a_missed_moment_is_caught_up_once_and_an_old_one_is_dropped(h, demo, only):
    only(test_reminder())
    parent = await demo.join(PARENTS[0], lang="en")
    parent.new()
    # The service was off at T − 3 d; ten hours later it catches up (limit 12 h).
    await h.tick(T - timedelta(days=3) + timedelta(hours=10))
    assert [m.text for m in parent.new()] == [f"test reminder 0 about pupil {demo.id(PUPILS[0])}"]
    await h.tick(T - timedelta(days=3) + timedelta(hours=10, minutes=1))
    assert parent.new() == []
    # Off again from before T − 1 d for 13 hours: that reminder is too old to send.
    await h.tick(T - timedelta(days=1) + timedelta(hours=13))
    assert parent.new() == []
    assert len(await rows(h)) == 1


async def test_a_message_meant_for_before_the_trial_is_not_sent_once_it_began(h, demo, only):
    only(test_reminder(offsets=(timedelta(hours=-2),)))
    parent = await demo.join(PARENTS[0], lang="en")
    parent.new()
    await h.tick(T + timedelta(minutes=5))  # due two hours ago, within the catch-up limit
    assert parent.new() == []
    assert await rows(h) == []


async def test_after_a_long_outage_only_the_latest_occurrence_goes(h, demo, only):
    only(test_reminder(offsets=(timedelta(hours=-6), timedelta(hours=-3))))
    parent = await demo.join(PARENTS[0], lang="en")
    parent.new()
    await h.tick(T - timedelta(hours=1))  # both are due; one reminder, not a pile
    assert [m.text for m in parent.new()] == [f"test reminder 1 about pupil {demo.id(PUPILS[0])}"]


async def test_quiet_hours_hold_a_message_until_morning(h, demo, only):
    # Due at 22:00 local time the evening before the trial.
    only(test_reminder(offsets=(timedelta(hours=-12),)))
    parent = await demo.join(PARENTS[0], lang="en")
    parent.new()
    evening = T - timedelta(hours=12)  # Monday 22:00 in Astana
    await h.tick(evening)
    assert parent.new() == []
    [row] = await rows(h)
    assert row.status == "queued"
    assert row.not_before == datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # Tuesday 08:00 local
    await h.tick(datetime(2026, 11, 24, 2, 59, tzinfo=UTC))  # 07:59: still quiet
    assert parent.new() == []
    await h.tick(datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    assert [m.text for m in parent.new()] == [f"test reminder 0 about pupil {demo.id(PUPILS[0])}"]
    [row] = await rows(h)
    assert row.status == "sent" and row.sent_at == datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


async def test_staff_are_not_held_by_quiet_hours(h, demo, only):
    only(test_reminder(offsets=(timedelta(hours=-12),), audience="mentor"))
    parent = await demo.join(PARENTS[0], lang="en")  # stands in for a staff recipient here
    parent.new()
    await h.tick(T - timedelta(hours=12))
    assert len(parent.new()) == 1


async def test_an_answer_in_the_night_withdraws_the_held_message(h, demo, only):
    only(test_reminder(offsets=(timedelta(hours=-12),)))
    parent = await demo.join(PARENTS[0], lang="en")
    parent.new()
    await h.tick(T - timedelta(hours=12))
    ANSWERED.add(demo.id(PARENTS[0]))  # answered at 23:00
    await h.tick(T - timedelta(hours=11))
    await h.tick(datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    assert parent.new() == []
    [row] = await rows(h)
    assert (row.status, row.error) == ("cancelled", "answered before it was sent")


async def test_at_local_sends_at_that_time_of_day(h, demo, only):
    only(test_reminder(offsets=(timedelta(days=-1),), at_local="18:00"))
    parent = await demo.join(PARENTS[0], lang="en")
    parent.new()
    await h.tick(T - timedelta(days=1))  # Monday 10:00 local: not yet
    assert parent.new() == []
    await h.tick(datetime(2026, 11, 23, 13, 0, tzinfo=UTC))  # Monday 18:00 local
    assert len(parent.new()) == 1


async def test_added_anchor_counts_from_when_each_pupil_was_put_on_the_trial(h, demo, only):
    only(test_reminder(anchor="added", offsets=(timedelta(0),)))
    first = await demo.join(PARENTS[0], lang="en")
    first.new()
    await h.tick()  # the demo put its pupils on the trial just now
    assert len(first.new()) == 1
    # A pupil put on the trial later: their parent's request goes then, not before.
    await demo.add_person("Нұрлан Бекұлы", "pupil")
    await demo.add_person("Гүлмира Бекова", "parent", locale="en", children=("Нұрлан Бекұлы",))
    late = await demo.join("Гүлмира Бекова", lang="en")
    late.new()
    await h.tick(h.now + timedelta(hours=2))
    assert late.new() == []
    async with h.db() as session:
        await Trials(session).add_participant(demo.trial_id, demo.id("Нұрлан Бекұлы"), h.now)
    await h.tick()
    assert [m.text for m in late.new()] == [
        f"test reminder 0 about pupil {demo.id('Нұрлан Бекұлы')}"]
    assert first.new() == []


async def test_nothing_for_a_cancelled_trial(h, demo, only):
    only(test_reminder(offsets=(timedelta(hours=-12),)))
    parent = await demo.join(PARENTS[0], lang="en")
    parent.new()
    await h.tick(T - timedelta(hours=12))  # held until the morning
    async with h.db() as session:
        trial = await session.get(Trial, demo.trial_id)
        assert trial is not None
        trial.status = "cancelled"
    await h.tick(datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    assert parent.new() == []
    [row] = await rows(h)
    assert (row.status, row.error) == ("cancelled", "the trial was cancelled")


async def test_offsets_and_repeats_come_from_the_settings(h, demo, only):
    reminder = only(test_reminder())
    h.config = dataclasses.replace(h.config, reminders="test.remind=-2d,-1d,-2h; "
                                                       "test.remind:repeats=1")
    assert schedule(reminder, h.config) == (timedelta(days=-2), timedelta(days=-1))
    parent = await demo.join(PARENTS[0], lang="en")
    parent.new()
    await h.tick(T - timedelta(days=3))
    assert parent.new() == []
    await h.tick(T - timedelta(days=2))
    assert len(parent.new()) == 1
    await h.tick(T - timedelta(hours=2))  # a third occurrence, but only one repeat allowed
    assert parent.new() == []


def test_bad_settings_say_what_is_wrong():
    assert parse_overrides("").offsets == {}
    assert parse_overrides("a.b=0,+90m;c:repeats=0").offsets == {
        "a.b": (timedelta(0), timedelta(minutes=90))}
    for bad in ("a.b=-3x", "a.b", "c:repeats=-1", "=1d"):
        with pytest.raises(ValueError):
            parse_overrides(bad)

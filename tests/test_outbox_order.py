"""The outbox's order and its faults: replies before a backlog, schools taking turns, one
budget for all processes, 429s and outages that never turn into failures, and kills that
leave only a handful of messages at risk (issues 13 and 20)."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.outbox import DEAD_AFTER, MAX_PAUSE, OutboxWorker
from handlers.events import Outbound
from storage.db import create_engine, session_factory
from storage.models import Outbox, Person
from storage.reads.outbox_report import OutboxReport
from storage.repos.schools import Schools

from .fake_telegram import Failure
from .harness import Harness, TgUser
from .test_outbox_delivery import people, queue, rows_of


async def school_people(h: Harness, name: str, n: int) -> list[tuple[int, int]]:
    """``n`` people of a new school, joined on Telegram."""
    async with h.db() as session:
        school = await Schools(session).add(name=name)
    joined = await people(h, n)
    async with h.db() as session:
        for person, _chat in joined:
            found = await session.get(Person, person)
            assert found is not None
            found.school_id = school.id
    return joined


async def backlog(h: Harness, n: int) -> list[tuple[int, int]]:
    recipients = await people(h, n)
    await queue(h, [Outbound(f"Reminder {chat}", person_id=person, purpose="test.bulk")
                    for person, chat in recipients])
    return recipients


async def sent_count(h: Harness) -> int:
    async with h.db() as session:
        return int(await session.scalar(
            select(func.count()).select_from(Outbox).where(Outbox.status == "sent")) or 0)


def busiest_second(times: list[float]) -> int:
    times = sorted(times)
    return max((sum(1 for u in times[i:] if u - t < 1.0) for i, t in enumerate(times)),
               default=0)


# --- issue 13: replies first, fair bulk, one budget ------------------------------------------


async def test_a_reply_overtakes_a_backlog_of_bulk_and_keeps_its_chats_order(h):
    """300 reminders queued (ten seconds of sending at the bot's limit); a stranger writes
    /help and a person with a reminder at the back of the queue writes too: both are
    answered within a second, and the person's reminder (queued before the answer) arrives
    just before it."""
    await h.user("Warm-up").says("/help")  # the first update builds aiogram's models
    recipients = await backlog(h, 300)
    waiting_person, waiting_chat = recipients[-1]
    worker = h.runtime.worker(clock=h.clock)  # the production limits: 29 a second
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(h.service.outbox_ready, stop))
    try:
        await asyncio.sleep(1.0)  # the drain is under way
        stranger = h.user("Stranger")
        pupil = TgUser(h, waiting_chat, "Waiting")
        started = time.monotonic()
        await h.feed_raw(stranger.message_update(text="/help"))
        await h.feed_raw(pupil.message_update(text="/help"))
        await h.fake.wait_sent(lambda s: s.chat_id == stranger.id, timeout=5)
        await h.fake.wait_sent(lambda s: s.chat_id == waiting_chat
                               and not s.text.startswith("Reminder"), timeout=5)
        answered = max(s.at for s in h.fake.sent if s.chat_id in (stranger.id, waiting_chat))
        print(f"answered after {answered - started:.2f} s:",
              [(s.chat_id, round(s.at - started, 2)) for s in h.fake.sent
               if s.chat_id in (stranger.id, waiting_chat)])
        bulk_sent = sum(1 for s in h.fake.sent if s.text.startswith("Reminder"))
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
    assert answered - started < 1.0
    assert bulk_sent < 150  # the backlog was far from drained when they were answered
    texts = [s.text for s in h.fake.to_chat(waiting_chat)]
    assert texts[0] == f"Reminder {waiting_chat}" and len(texts) == 2  # its order kept


async def test_schools_take_turns_in_bulk(h):
    """School A queues 40 messages (a trial of 40 moved next month), school B its 4 a moment
    later: B's do not wait for all of A's, the two alternate."""
    school_a = await school_people(h, "School A", 40)
    school_b = await school_people(h, "School B", 4)
    await queue(h, [Outbound(f"A {chat}", person_id=p, purpose="test.bulk")
                    for p, chat in school_a])
    await queue(h, [Outbound(f"B {chat}", person_id=p, purpose="test.bulk")
                    for p, chat in school_b])
    worker = OutboxWorker(h.sessions, h.worker.senders, rates={"telegram": 10_000},
                          clock=h.clock, batch=2, per_chat=frozenset())
    await worker.drain()
    order = [s.text[0] for s in h.fake.sent]
    assert sorted(order) == ["A"] * 40 + ["B"] * 4
    assert max(i for i, x in enumerate(order) if x == "B") < 10, "".join(order)


async def test_a_time_sensitive_notice_goes_before_routine_bulk(h):
    """A mentor who cannot come (their answer to the coordinator) overtakes 30 reminders
    queued before it."""
    await backlog(h, 30)
    [(coordinator, chat)] = await people(h, 1, role="coordinator")
    await queue(h, [Outbound("The mentor cannot come", person_id=coordinator,
                             purpose="mentor.answer")])
    worker = OutboxWorker(h.sessions, h.worker.senders, rates={"telegram": 10_000},
                          clock=h.clock, batch=2, per_chat=frozenset())
    await worker.drain()
    assert [s.chat_id for s in h.fake.sent[:2]].count(chat) == 1
    assert len(h.fake.sent) == 31


@pytest.mark.postgres_only
async def test_two_processes_share_the_bots_budget_through_the_database(h):
    """Two workers, each with its own connection pool (as two processes), at a limit of 20
    a second: together never more than the limit in any second; alone, one uses it all."""
    recipients = await backlog(h, 80)
    engine = create_engine(h.settings.database_url)

    def worker(sessions: object) -> OutboxWorker:
        return OutboxWorker(sessions, h.worker.senders, rates={"telegram": 20},  # type: ignore[arg-type]
                            clock=h.clock, per_chat=frozenset(), shared=frozenset({"telegram"}))
    try:
        first, second = await asyncio.gather(worker(h.sessions).drain(),
                                             worker(session_factory(engine)).drain())
    finally:
        await engine.dispose()
    assert first.sent > 0 and second.sent > 0 and first.sent + second.sent == 80
    assert sorted(s.chat_id for s in h.fake.sent) == sorted(c for _p, c in recipients)
    assert busiest_second([s.at for s in h.fake.sent]) <= 21  # 20 a second, evenly spaced

    # Alone, one process has the whole budget.
    await backlog(h, 40)
    mark = len(h.fake.sent)
    stats = await worker(h.sessions).drain()
    times = [s.at for s in h.fake.sent[mark:]]
    assert stats.sent == 40 and 39 / (times[-1] - times[0]) >= 17


# --- issue 20, item 3: a 429 is not a failure; outages are waited out ------------------------


async def test_429s_and_a_long_outage_are_waited_out_not_failed(h):
    [(person, chat)] = await school_people(h, "School", 1)
    # Nine 429 answers in a row (the old limit was eight attempts, 429s included).
    h.fake.fail_chat[chat] = deque([Failure(429, "Too Many Requests: retry after 1", 1)] * 9)
    await queue(h, [Outbound("Your next question", person_id=person, purpose="test.notice")])
    for _try in range(10):
        await h.worker.drain()
        h.clock.advance(seconds=1)
    [row] = await rows_of(h, person)
    assert (row.status, row.attempts) == ("sent", 1)
    assert [s.text for s in h.fake.to_chat(chat)] == ["Your next question"]

    # A 502 outage of an hour: tried again and again, the pause never above MAX_PAUSE, and
    # the coordinator's report stays quiet while the message may still arrive.
    h.fake.fail_chat[chat] = deque([Failure(502, "Bad Gateway")] * 15)
    await queue(h, [Outbound("Tomorrow at 10:00", person_id=person, purpose="test.notice")])
    outage_started = h.now
    for _try in range(15):
        await h.worker.drain()
        [_first, row] = await rows_of(h, person)
        assert row.status == "queued"
        assert row.not_before - h.now <= timedelta(seconds=MAX_PAUSE)
        async with h.db() as session:
            school_id = (await session.get(Person, person)).school_id
            assert await OutboxReport(session).undelivered_count(
                school_id, outage_started - timedelta(days=1)) == 0
        h.clock.set(row.not_before)
    assert h.now - outage_started >= timedelta(minutes=40)
    await h.worker.drain()
    [_first, row] = await rows_of(h, person)
    assert (row.status, row.attempts) == ("sent", 16)
    assert [s.text for s in h.fake.to_chat(chat)][-1] == "Tomorrow at 10:00"


async def test_a_reminder_is_given_up_only_once_it_no_longer_matters_and_then_reported(h):
    [(person, chat)] = await school_people(h, "School", 1)
    h.fake.fail_chat[chat] = deque([Failure(502, "Bad Gateway")] * 2)
    await queue(h, [Outbound("Reminder", person_id=person, purpose="test.bulk")])
    queued_at = h.now
    await h.worker.drain()
    h.clock.advance(hours=7)  # a routine reminder seven hours late no longer matters
    await h.worker.drain()
    [row] = await rows_of(h, person)
    assert row.status == "failed" and row.error.startswith("given up after 2 tries")
    async with h.db() as session:
        school_id = (await session.get(Person, person)).school_id
        assert await OutboxReport(session).undelivered_count(school_id, queued_at) == 1


# --- issue 20, item 5: a kill leaves a handful at risk, and its claims come back at once -----


async def test_a_killed_sender_leaves_a_handful_at_risk_and_its_claims_come_back_at_once(h):
    recipients = await backlog(h, 200)
    doomed = h.runtime.worker(clock=h.clock)
    killed = asyncio.create_task(doomed.drain())
    await asyncio.sleep(2.0)
    killed.cancel()  # no goodbye: like SIGKILL, nothing runs after this in the worker
    await asyncio.gather(killed, return_exceptions=True)
    accepted = len(h.fake.sent)
    recorded = await sent_count(h)
    assert accepted >= 40  # it was well into the drain
    at_risk = accepted - recorded
    assert 0 <= at_risk <= 3, (accepted, recorded)

    # A process that was seen a moment ago may still be sending: its claims stay.
    early = h.runtime.worker(clock=h.clock)
    await early.drain()
    async with h.db() as session:
        claimed = int(await session.scalar(select(func.count()).select_from(Outbox)
                                           .where(Outbox.status == "sending")) or 0)
    assert claimed > 0
    # Once it has not been seen for DEAD_AFTER, they go out (not after five minutes).
    later = h.runtime.worker(
        clock=h.clock, wall=lambda: datetime.now(UTC) + DEAD_AFTER + timedelta(seconds=1))
    await later.drain()
    per_chat = [len(h.fake.to_chat(chat)) for _p, chat in recipients]
    assert min(per_chat) == 1  # nothing lost
    assert sum(per_chat) - len(per_chat) == at_risk  # sent twice: only those at risk

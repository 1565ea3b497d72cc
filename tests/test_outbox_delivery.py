"""The outbox against the Bot API stand-in: limits honoured, failures retried, nothing lost."""

from __future__ import annotations

import asyncio
import re
from collections import deque
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.outbox import OutboxWorker
from handlers.context import Context
from handlers.delivery import enqueue
from handlers.digest.buttons import DeliveryProblems
from handlers.events import Outbound
from handlers.features import WIRING
from storage.db import create_engine, session_factory
from storage.models import Identity, Outbox, Person, PersonRole
from storage.repos.schools import Schools

from .demo_school import COORDINATOR, PARENTS
from .fake_telegram import Failure
from .harness import Harness

CHATS = iter(range(700_000, 800_000))


async def people(h: Harness, n: int, role: str = "parent") -> list[tuple[int, int]]:
    """``n`` people who joined on Telegram: (person id, chat id) each."""
    async with h.db() as session:
        persons = [Person(full_name=f"Person {i}", locale="en", roles=[PersonRole(role=role)])
                   for i in range(n)]
        session.add_all(persons)
        await session.flush()
        chats = [next(CHATS) for _ in persons]
        session.add_all(Identity(person_id=p.id, channel="telegram", address=str(chat),
                                 created_at=h.now, last_inbound_at=h.now)
                        for p, chat in zip(persons, chats, strict=True))
        return [(p.id, chat) for p, chat in zip(persons, chats, strict=True)]


async def queue(h: Harness, messages: list[Outbound]) -> int:
    async with h.db() as session:
        return await enqueue(Context(session=session, wiring=WIRING, now=h.now, config=h.config), messages)


async def rows_of(h: Harness, person_id: int) -> list[Outbox]:
    async with h.db() as session:
        return list(await session.scalars(
            select(Outbox).where(Outbox.person_id == person_id).order_by(Outbox.id)))


def real_limits(h: Harness, **kwargs: object) -> OutboxWorker:
    """A worker with the production limits (the harness's own sends without limits)."""
    return h.runtime.worker(clock=h.clock, **kwargs)


async def test_429_waits_retry_after_then_the_message_arrives(h):
    [(person, chat)] = await people(h, 1)
    [(other, other_chat)] = await people(h, 1)
    h.fake.fail_chat[chat] = deque([Failure(429, "Too Many Requests: retry after 1", 1)])
    await queue(h, [Outbound("Tomorrow at 10:00", person_id=person, purpose="test.notice")])

    worker = real_limits(h)
    stats = await worker.drain()
    assert (stats.sent, stats.retried, stats.rate_limited) == (0, 1, 1)
    [row] = await rows_of(h, person)
    assert (row.status, row.error, row.attempts) == ("queued", "429", 0)  # not a failed try
    assert row.not_before == h.now + timedelta(seconds=1)

    # The bot as a whole waits: a message to someone else goes out only after retry_after.
    loop = asyncio.get_running_loop()
    limited_at = loop.time()
    await queue(h, [Outbound("Hello", person_id=other, purpose="test.notice")])
    await worker.drain()
    [hello] = h.fake.to_chat(other_chat)
    assert hello.at - limited_at >= 0.9

    # Before retry_after has passed the message is not tried again; after it, it arrives.
    assert h.fake.to_chat(chat) == []
    h.clock.advance(seconds=1)
    await worker.drain()
    assert [s.text for s in h.fake.to_chat(chat)] == ["Tomorrow at 10:00"]
    [row] = await rows_of(h, person)
    assert (row.status, row.error, row.attempts) == ("sent", None, 1)
    assert row.sent_at == h.now


async def test_server_errors_back_off_and_the_message_arrives_later(h):
    [(person, chat)] = await people(h, 1)
    h.fake.fail_chat[chat] = deque([Failure(502, "Bad Gateway"), Failure(500, "Internal")])
    await queue(h, [Outbound("Your trial is tomorrow", person_id=person, purpose="test.notice")])

    await h.worker.drain()
    [row] = await rows_of(h, person)
    assert (row.status, row.attempts) == ("queued", 1)
    assert row.not_before == h.now + timedelta(seconds=2)  # 2 ** attempts

    h.clock.advance(seconds=1)
    await h.worker.drain()
    assert h.fake.to_chat(chat) == []  # still backing off

    h.clock.advance(seconds=1)
    await h.worker.drain()
    [row] = await rows_of(h, person)
    assert (row.status, row.attempts) == ("queued", 2)
    assert row.not_before == h.now + timedelta(seconds=4)  # longer each time

    h.clock.advance(seconds=4)
    await h.worker.drain()
    assert [s.text for s in h.fake.to_chat(chat)] == ["Your trial is tomorrow"]
    [row] = await rows_of(h, person)
    assert (row.status, row.attempts, row.error) == ("sent", 3, None)


async def test_a_chat_keeps_its_order_behind_a_failed_message(h):
    [(person, chat)] = await people(h, 1)
    h.fake.fail_chat[chat] = deque([Failure(500, "Internal")])
    await queue(h, [Outbound(f"part {i}", person_id=person, purpose="test.notice")
                    for i in range(1, 4)])
    await h.worker.drain()
    assert h.fake.to_chat(chat) == []
    h.clock.advance(seconds=2)
    await h.worker.drain()
    assert [s.text for s in h.fake.to_chat(chat)] == ["part 1", "part 2", "part 3"]
    assert [r.status for r in await rows_of(h, person)] == ["sent"] * 3


async def test_a_chat_keeps_its_order_across_batches_claimed_ahead(h):
    """One message per batch, the next batch claimed while one is out: when the first
    message of a chat fails, the second (already claimed) goes back and waits for it."""
    [(person, chat)] = await people(h, 1)
    [(blocked, blocked_chat)] = await people(h, 1)
    h.fake.fail_chat[chat] = deque([Failure(500, "Internal")])
    h.fake.blocked.add(blocked_chat)
    await queue(h, [Outbound(f"part {i}", person_id=person, purpose="test.notice")
                    for i in range(1, 4)]
                + [Outbound(f"lost {i}", person_id=blocked, purpose="test.notice")
                   for i in range(3)])
    worker = OutboxWorker(h.sessions, h.worker.senders, rates={"telegram": 10_000},
                          clock=h.clock, batch=1, per_chat=frozenset())
    await asyncio.wait_for(worker.drain(), 10)  # and it ends
    assert h.fake.to_chat(chat) == []
    assert [r.status for r in await rows_of(h, blocked)] == ["failed"] * 3
    h.clock.advance(seconds=2)
    await asyncio.wait_for(worker.drain(), 10)
    assert [s.text for s in h.fake.to_chat(chat)] == ["part 1", "part 2", "part 3"]


async def test_blocked_bot_marks_the_person_unreachable_and_stops_trying(h):
    [(person, chat)] = await people(h, 1)
    h.fake.blocked.add(chat)
    await queue(h, [Outbound("Consent needed", person_id=person, purpose="test.notice")])
    stats = await h.worker.drain()
    assert (stats.sent, stats.failed) == (0, 1)
    [row] = await rows_of(h, person)
    assert row.status == "failed" and "blocked" in (row.error or "")
    async with h.db() as session:
        someone = await session.get(Person, person)
        identity = await session.scalar(select(Identity).where(Identity.person_id == person))
        assert someone is not None and identity is not None
        assert someone.unreachable_since == h.now
        assert "blocked" in (someone.unreachable_reason or "")
        assert identity.blocked_at == h.now
    # Nothing more is queued for a person with no working channel.
    assert await queue(h, [Outbound("Again", person_id=person, purpose="test.notice")]) == 0


async def test_oversize_text_is_split_in_order_and_nothing_is_dropped(h):
    [(person, chat)] = await people(h, 1)
    paragraphs = [f"<b>Paragraph {i}</b> " + " ".join(f"word{i}_{j}" for j in range(60))
                  for i in range(30)]
    text = "\n\n".join(paragraphs)
    assert len(text) > 3 * 4096
    await queue(h, [Outbound(text, person_id=person, purpose="test.long",
                             dedup_key="long:1")])
    await h.worker.drain()
    parts = [s.text for s in h.fake.to_chat(chat)]
    assert len(parts) >= 4 and all(len(p) <= 4096 for p in parts)
    received = re.sub("</?b>", "", " ".join(parts)).split()
    expected = re.sub("</?b>", "", text).split()
    assert received == expected
    rows = await rows_of(h, person)
    assert [r.dedup_key for r in rows] == ["long:1"] + [f"long:1#{i}" for i in range(1, len(parts))]
    assert {r.status for r in rows} == {"sent"}


async def test_a_reply_burst_goes_at_once_and_a_stream_goes_one_a_second(h):
    [(person, chat)] = await people(h, 1)
    worker = real_limits(h, hold=5)
    await queue(h, [Outbound(f"reply {i}", person_id=person) for i in range(3)])
    await worker.drain()
    burst = h.fake.to_chat(chat)
    assert [s.text for s in burst] == ["reply 0", "reply 1", "reply 2"]
    assert burst[-1].at - burst[0].at < 0.3

    await queue(h, [Outbound(f"reminder {i}", person_id=person, purpose="test.stream")
                    for i in range(4)])
    await worker.drain()
    stream = h.fake.to_chat(chat)[3:]
    assert [s.text for s in stream] == [f"reminder {i}" for i in range(4)]
    gaps = [b.at - a.at for a, b in zip(stream, stream[1:], strict=False)]
    assert all(0.95 <= gap <= 1.3 for gap in gaps), gaps


async def test_a_long_stream_to_one_chat_is_handed_back_not_held_for_minutes(h):
    """A claimed row never waits in memory for long (another worker would take it back
    after STALE_CLAIM): what cannot go soon goes back to the outbox, still in order."""
    [(person, chat)] = await people(h, 1)
    await queue(h, [Outbound(f"reminder {i}", person_id=person, purpose="test.stream")
                    for i in range(6)])
    worker = real_limits(h, hold=2.5)
    stats = await worker.drain()
    assert stats.sent == 3 and stats.released == 3
    waiting = [r for r in await rows_of(h, person) if r.status == "queued"]
    assert [r.payload["text"] for r in waiting] == ["reminder 3", "reminder 4", "reminder 5"]
    assert all(r.error and "its turn" in r.error and r.attempts == 0 for r in waiting)
    h.clock.advance(seconds=1)
    await worker.drain()
    assert [s.text for s in h.fake.to_chat(chat)] == [f"reminder {i}" for i in range(6)]


async def test_a_thousand_chats_drain_at_the_bot_limit_without_a_single_429(h):
    recipients = await people(h, 1000)
    await queue(h, [Outbound(f"Reminder for chat {chat}", person_id=person,
                             purpose="test.bulk") for person, chat in recipients])
    h.fake.strict_rate = True  # 429 beyond 30 messages in any one second, like Telegram

    stats = await real_limits(h).drain()

    print(f"\n1,000 messages to 1,000 chats: {stats.sent} sent in {stats.seconds:.2f} s = "
          f"{stats.rate:.2f} messages/s, {h.fake.rate_limited} answered 429")
    assert h.fake.rate_limited == 0 and stats.rate_limited == 0
    assert stats.sent == 1000
    assert sorted(s.chat_id for s in h.fake.sent) == sorted(chat for _p, chat in recipients)
    assert stats.rate >= 28.0
    async with h.db() as session:
        states = dict((await session.execute(
            select(Outbox.status, func.count()).group_by(Outbox.status))).all())
    assert states == {"sent": 1000}


@pytest.mark.postgres_only
async def test_two_workers_on_postgresql_never_send_a_row_twice(h):
    recipients = await people(h, 150)
    await queue(h, [Outbound(f"Message {i}", person_id=person, purpose="test.bulk")
                    for person, _chat in recipients for i in range(2)])
    engine = create_engine(h.settings.database_url)
    try:
        other = OutboxWorker(session_factory(engine), h.worker.senders,
                             rates={"telegram": 10_000}, clock=h.clock, batch=20,
                             per_chat=frozenset())
        mine = OutboxWorker(h.sessions, h.worker.senders, rates={"telegram": 10_000},
                            clock=h.clock, batch=20, per_chat=frozenset())
        first, second = await asyncio.gather(mine.drain(), other.drain())
    finally:
        await engine.dispose()
    assert first.sent > 0 and second.sent > 0  # both took part
    assert first.sent + second.sent == 300
    texts = [(s.chat_id, s.text) for s in h.fake.sent]
    assert len(texts) == len(set(texts)) == 300
    for _person, chat in recipients:  # and each chat's two messages arrived in order
        assert [s.text for s in h.fake.to_chat(chat)] == ["Message 0", "Message 1"]


async def test_a_blocked_parent_is_in_the_next_digest_and_the_coordinators_report(h, demo):
    coordinator = await demo.join(COORDINATOR, lang="en")
    marat = await demo.join(PARENTS[1], lang="en")
    h.fake.blocked.add(marat.id)  # he blocks the bot
    monday_10 = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
    await h.tick(monday_10)  # his consent request and reminder are refused: 403
    async with h.db() as session:
        person = await session.get(Person, demo.id(PARENTS[1]))
        assert person is not None and person.unreachable_since == monday_10
    timed = [r for r in await rows_of(h, demo.id(PARENTS[1])) if r.dedup_key]
    assert [(r.dedup_key.split(":")[0], r.status) for r in timed if r.dedup_key] == [
        ("consent.request", "failed"), ("consent.reminder", "failed")]
    coordinator.new()

    await h.tick(datetime(2026, 11, 24, 3, 0, tzinfo=UTC))  # Tuesday 08:00: the digest
    [digest] = coordinator.new()
    assert (f"• Cannot be reached (blocked the bot or the chat no longer works): "
            f"{PARENTS[1]} (Parent)") in digest.text
    assert "• Messages not delivered in the last day: 2." in digest.text

    await coordinator.says("/menu")
    await coordinator.taps("Delivery problems (2)")
    report = coordinator.last.text.split("\n")
    assert report[0] == "<b>Delivery problems · the last 14 days</b>"
    assert f"• {PARENTS[1]} (Parent) — since 23 November: blocked the bot" in report
    trial = "«Электромонтер: қарапайым электр тізбегін жинау»"
    assert report[-2:] == [
        f"• 23 November, 10:00 → {PARENTS[1]} (Parent): a reminder about {trial} — blocked the bot",
        f"• 23 November, 10:00 → {PARENTS[1]} (Parent): a reminder about {trial} — blocked the bot",
    ]


async def test_only_a_coordinator_sees_delivery_problems_and_only_of_their_school(h, demo):
    parent = await demo.join(PARENTS[0], lang="en")
    await parent.says("/undelivered")
    assert parent.last.text == "Only a school coordinator can see delivery problems."
    await parent.presses(DeliveryProblems().pack())  # a forged button
    assert parent.last.text == "Only a school coordinator can see delivery problems."

    # Someone of another school could not be reached: not this coordinator's business.
    async with h.db() as session:
        other = await Schools(session).add(name="Another school")
    [(stranger, chat)] = await people(h, 1)
    async with h.db() as session:
        someone = await session.get(Person, stranger)
        assert someone is not None
        someone.school_id = other.id
    h.fake.blocked.add(chat)
    await queue(h, [Outbound("x", person_id=stranger, purpose="test.notice")])
    await h.deliver()
    coordinator = await demo.join(COORDINATOR, lang="en")
    await coordinator.says("/undelivered")
    assert coordinator.last.text == ("Every message of the last 14 days has arrived, and "
                                     "everyone can be reached. 👍")


async def test_a_claim_from_before_processes_were_tracked_goes_once_it_is_stale(h):
    """A row left "sending" by no known process (claimed before processes said they were
    alive) goes once the claim is older than five minutes, not before."""
    [(person, chat)] = await people(h, 1)
    await queue(h, [Outbound("left behind", person_id=person, purpose="test.notice")])
    async with h.db() as session:
        row = (await rows_of(h, person))[0]
        await session.execute(Outbox.__table__.update().where(Outbox.id == row.id).values(
            status="sending", claimed_at=h.now))
    worker = real_limits(h, wall=h.clock)
    await worker.drain()
    h.clock.advance(minutes=4)
    await worker.drain()
    assert h.fake.to_chat(chat) == []
    h.clock.advance(minutes=1, seconds=30)
    await worker.drain()
    assert [s.text for s in h.fake.to_chat(chat)] == ["left behind"]
    [row] = await rows_of(h, person)
    assert row.status == "sent"

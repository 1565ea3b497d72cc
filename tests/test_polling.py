"""The service's own polling loop: chats of a batch at once, each chat in order, the offset
confirmed only after the whole batch is committed — and killed mid-batch, nothing lost or
done twice."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path

from aiogram.types import Update
from sqlalchemy import select

from bench import seed
from bot.polling import Poller, by_chat
from storage.models import Answer, FlowRun, Outbox, ProcessedInbound

from .fake_telegram import FakeTelegram

STEPS = ("did", "went_well", "hard", "requirements", "about_me", "continue")


def text_update(fake: FakeTelegram, chat: int, text: str) -> dict:
    return {"update_id": fake.next_update_id(), "message": {
        "message_id": fake.next_update_id(), "date": int(time.time()),
        "chat": {"id": chat, "type": "private"},
        "from": {"id": chat, "is_bot": False, "first_name": "Pupil", "language_code": "en"},
        "text": text}}


async def answers_by_chat(h, chats: list[int]) -> dict[int, dict[str, str]]:
    """chat → step → the text stored, for the pupils' after-questionnaires."""
    async with h.db() as session:
        rows = await session.execute(
            select(FlowRun.person_id, Answer.step_id, Answer.value)
            .join(Answer, Answer.run_id == FlowRun.id))
        from storage.models import Identity
        chat_of = dict((await session.execute(
            select(Identity.person_id, Identity.address))).all())
    found: dict[int, dict[str, str]] = {}
    for person_id, step, value in rows:
        found.setdefault(int(chat_of[person_id]), {})[step] = value["text"]
    return {chat: found.get(chat, {}) for chat in chats}


def test_a_batch_is_split_by_chat_keeping_each_chats_order():
    def update(uid: int, chat: int) -> Update:
        return Update.model_validate({"update_id": uid, "message": {
            "message_id": uid, "date": 0, "chat": {"id": chat, "type": "private"},
            "text": str(uid)}})

    queues = by_chat([update(1, 10), update(2, 20), update(3, 10), update(4, 30),
                      update(5, 20), update(6, 10)])
    assert [[u.update_id for u in q] for q in queues] == [[1, 3, 6], [2, 5], [4]]


async def test_chats_are_handled_at_once_each_in_order_and_confirmed_after_the_batch(h):
    users = await seed.users(h.sessions, 12, 1, h.now)
    events: list[tuple[str, int]] = []
    in_flight = 0
    most = 0
    process = h.service.process

    async def watched(inbound):
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        try:
            await asyncio.sleep(0.01)  # long enough for other chats to start meanwhile
            return await process(inbound)
        finally:
            in_flight -= 1
            events.append(("done", int(inbound.external_id.split(":")[1])))

    h.service.process = watched  # type: ignore[method-assign]
    from bot.telegram import make_dispatcher
    dispatcher = make_dispatcher(h.service.process, clock=h.clock)
    get_updates = h.fake._get_updates

    async def recording(params):
        events.append(("getUpdates", int(params.get("offset") or 0)))
        return await get_updates(params)

    h.fake._get_updates = recording  # type: ignore[method-assign]
    # Every pupil answers all six questions at once: one batch of 72 updates.
    pushed = []
    for n in range(len(STEPS)):
        for chat in users.chats:
            update = text_update(h.fake, chat, f"{chat}-{n}")
            pushed.append(update["update_id"])
            await h.fake.push_update(update)
    stop = asyncio.Event()
    poller = Poller(h.bot, dispatcher, concurrency=4, timeout=1)
    task = asyncio.create_task(poller.run(stop))
    try:
        for _ in range(300):
            await asyncio.sleep(0.05)
            if sum(1 for kind, _u in events if kind == "done") == 6 * len(users.chats):
                break
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)

    assert most > 1, "different chats were handled at the same time"
    assert await answers_by_chat(h, users.chats) == {
        chat: {step: f"{chat}-{n}" for n, step in enumerate(STEPS)} for chat in users.chats}
    # Telegram forgets updates below the offset: an offset is named only once every update
    # below it is done.
    done: set[int] = set()
    confirmed = 0
    for kind, number in events:
        if kind == "done":
            done.add(number)
        elif number:
            assert {u for u in pushed if u < number} <= done, f"offset {number} came early"
            confirmed = max(confirmed, number)
    assert confirmed > max(pushed), "the batch was confirmed"


async def test_killed_in_the_middle_of_a_batch_nothing_is_lost_or_done_twice(h, db_url,
                                                                              tmp_path):
    users = await seed.users(h.sessions, 30, 1, h.now)
    fake = FakeTelegram()
    await fake.start()
    env = {**os.environ, "DATABASE_URL": db_url, "TELEGRAM_BOT_TOKEN": fake.token,
           "TELEGRAM_API_URL": fake.url, "MEDIA_DIR": str(tmp_path / "media"),
           "LOG_LEVEL": "WARNING", "TELEGRAM_WEBHOOK_URL": ""}
    log = tmp_path / "service.log"

    async def start() -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, stdout=log.open("ab"),
            stderr=asyncio.subprocess.STDOUT, cwd=Path(__file__).parent.parent)

    async def stored() -> int:
        async with h.db() as session:
            return len(list(await session.scalars(select(ProcessedInbound.external_id))))

    async def queued() -> int:
        async with h.db() as session:
            return len(list(await session.scalars(
                select(Outbox.id).where(Outbox.status.in_(("queued", "sending"))))))

    total = len(STEPS) * len(users.chats)
    service = await start()
    try:
        for n in range(len(STEPS)):
            for chat in users.chats:
                await fake.push_update(text_update(fake, chat, f"{chat}-{n}"))
        # Killed once part of the batch is committed (not all of it).
        for _ in range(600):
            await asyncio.sleep(0.02)
            if await stored() >= 10:
                break
        service.kill()
        await service.wait()
        assert await stored() < total, "the kill came in the middle of the batch"
        service = await start()
        settled = False
        for _ in range(1200):
            await asyncio.sleep(0.1)
            if (await stored() == total and not fake.pending_updates()
                    and not await queued()):
                settled = True
                break
        assert settled, f"{await stored()} of {total} handled, {await queued()} queued"
    finally:
        if service.returncode is None:
            service.send_signal(signal.SIGTERM)
            await asyncio.wait_for(service.wait(), 30)
        await fake.stop()

    # Every answer once, in its own chat's order.
    assert await answers_by_chat(h, users.chats) == {
        chat: {step: f"{chat}-{n}" for n, step in enumerate(STEPS)} for chat in users.chats}
    async with h.db() as session:
        replies = list(await session.scalars(select(Outbox).where(Outbox.purpose == "reply")))
    # One reply per update: queued once, whatever was redelivered after the kill...
    assert len(replies) == total
    # ...every one sent (what the dead process had claimed goes once it is known dead), and
    # twice only the few accepted by Telegram and not yet recorded when it died.
    sent = Counter((s.chat_id, s.text) for s in fake.sent)
    assert sum(n - 1 for n in sent.values()) <= 3
    assert all(r.status == "sent" for r in replies)
    delivered = {str(s.message_id) for s in fake.sent}
    assert all(r.external_id in delivered for r in replies if r.status == "sent")

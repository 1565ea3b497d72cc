"""A database outage loses nothing: while the database is locked by another process or its
server is down, no update is acknowledged (polling stops confirming, a webhook answers 503);
when it comes back, every answer is stored and every person answered, once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

import bot.polling
import storage.sqlite_inline
from bench import seed
from bot.polling import Poller
from storage.models import Outbox, ProcessedInbound

from .databases import backend
from .faults import CuttableProxy, sqlite_locked
from .harness import harness
from .test_polling import STEPS, answers_by_chat, text_update

APOLOGY = "Sorry, something went wrong"


def tap_update(fake, chat: int) -> dict:
    """A tap on an old button (answered "no longer active"): a callback that needs a reply."""
    return {"update_id": fake.next_update_id(), "callback_query": {
        "id": str(fake.next_update_id()), "chat_instance": str(chat), "data": "gone:1",
        "from": {"id": chat, "is_bot": False, "first_name": "Pupil", "language_code": "en"},
        "message": {"message_id": 1, "date": int(time.time()), "text": "old",
                    "chat": {"id": chat, "type": "private"}}}}


async def processed(h) -> int:
    async with h.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(ProcessedInbound)) or 0)


async def wait_for(check: Callable[[], Awaitable[bool]], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if await check():
                return True
        except Exception:  # the database is still away
            pass
        await asyncio.sleep(0.1)
    return False


async def outage_under_polling(h, cut: Callable[[], Awaitable[None]],
                               restore: Callable[[], Awaitable[None]], outage: float) -> None:
    """Four pupils answer a first question; then the database goes away; meanwhile each
    answers two more questions and taps a button; then it comes back."""
    users = await seed.users(h.sessions, 4, 1, h.now)
    offsets: list[int] = []
    get_updates = h.fake._get_updates

    async def recording(params):
        offsets.append(int(params.get("offset") or 0))
        return await get_updates(params)

    h.fake._get_updates = recording
    stop = asyncio.Event()
    poller = Poller(h.bot, h.dispatcher, concurrency=2, timeout=1)
    task = asyncio.create_task(poller.run(stop))
    try:
        for chat in users.chats:
            await h.fake.push_update(text_update(h.fake, chat, f"{chat}-0"))
        assert await wait_for(lambda: _equals(processed(h), 4), 10)

        await cut()
        during = []
        for n in (1, 2):
            for chat in users.chats:
                during.append(text_update(h.fake, chat, f"{chat}-{n}"))
        during += [tap_update(h.fake, chat) for chat in users.chats]
        for update in during:
            await h.fake.push_update(update)
        await asyncio.sleep(outage)
        first_held = min(u["update_id"] for u in during)
        # Nothing that came during the outage was confirmed to Telegram.
        assert max(offsets) <= first_held, "an update was confirmed while the database was away"
        await restore()
        await wait_for(lambda: _equals(processed(h), 4 + len(during)), 30)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)

    stored = await answers_by_chat(h, users.chats)
    lost = sum(1 for chat in users.chats for n in range(3)
               if stored[chat].get(STEPS[n]) != f"{chat}-{n}")
    assert lost == 0, f"{lost} of {3 * len(users.chats)} typed answers lost"
    await h.deliver()
    async with h.db() as session:
        texts = [str(p.get("text")) for p in await session.scalars(select(Outbox.payload))]
    assert not [t for t in texts if APOLOGY in t]
    for chat in users.chats:
        inbox = [m.text for m in h.fake.to_chat(chat)]
        assert sum("no longer active" in t for t in inbox) == 1, inbox  # the tap: once
    assert await processed(h) == 4 + len(during)


async def _equals(value: Awaitable[int], expected: int) -> bool:
    return await value == expected


@pytest.mark.skipif(backend() != "sqlite", reason="SQLite's write lock")
async def test_sqlite_locked_by_another_process_loses_nothing(db_url, tmp_path, monkeypatch):
    # The service waits this long for the write lock before it counts as unavailable.
    monkeypatch.setattr(storage.sqlite_inline, "BUSY_WAIT", 0.3)
    monkeypatch.setattr(bot.polling, "OUTAGE_PAUSE", (0.2, 0.5), raising=False)
    lock = sqlite_locked(db_url)
    async with harness(db_url, tmp_path / "media") as h:

        async def cut() -> None:
            lock.__enter__()

        async def restore() -> None:
            lock.__exit__(None, None, None)

        await outage_under_polling(h, cut, restore, outage=3.0)


@pytest.mark.postgres_only
async def test_postgresql_down_then_back_loses_nothing(db_url, tmp_path, monkeypatch):
    monkeypatch.setattr(bot.polling, "OUTAGE_PAUSE", (0.2, 0.5), raising=False)
    u = make_url(db_url)
    proxy = CuttableProxy(u.host or "127.0.0.1", u.port or 5432)
    await proxy.up()
    async with harness(proxy.url(db_url), tmp_path / "media") as h:
        await outage_under_polling(h, proxy.down, proxy.up, outage=3.0)
    await proxy.down()


@pytest.mark.skipif(backend() != "sqlite", reason="SQLite's write lock")
async def test_webhooks_answer_503_while_locked_and_take_the_redelivery(h, tmp_path,
                                                                        monkeypatch):
    """Telegram's webhook and Twilio's are refused (503, so they deliver again) while the
    database is locked; the redelivery afterwards is handled, once."""
    from aiohttp.test_utils import TestClient, TestServer

    from bot.runtime import Runtime
    from bot.web import build_app

    from .whatsapp_harness import whatsapp

    monkeypatch.setattr(storage.sqlite_inline, "BUSY_WAIT", 0.3)
    secret = "s3cret-token_value"
    settings = h.settings.model_copy(update={
        "telegram_webhook_url": "https://synaq.example.kz/telegram/hook"})
    settings.telegram_webhook_secret = type(settings.telegram_bot_token)(secret)
    runtime = Runtime(settings, h.engine, h.sessions, h.config, h.service, {}, h.bot)
    tg = TestClient(TestServer(build_app(runtime, h.dispatcher)))
    await tg.start_server()
    users = await seed.users(h.sessions, 1, 1, h.now)
    [chat] = users.chats
    update = text_update(h.fake, chat, "typed during the lock")
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
    try:
        async with whatsapp(h, tmp_path) as wa:
            stranger = wa.user()
            fields = stranger.fields(Body="hello", MessageType="text")
            with sqlite_locked(h.settings.database_url):
                assert (await tg.post("/telegram/hook", json=update, headers=headers)).status \
                    == 503
                assert await wa.post("/whatsapp/inbound", fields) == 503
            assert await processed(h) == 0
            for _again in range(2):  # redelivered, and redelivered once more by mistake
                assert (await tg.post("/telegram/hook", json=update, headers=headers)).status \
                    == 200
                assert await wa.post("/whatsapp/inbound", fields) == 200
            await h.deliver()
            assert await processed(h) == 2
            assert len(stranger.new()) == 1  # the stranger's greeting, once
    finally:
        await tg.close()
    stored = await answers_by_chat(h, [chat])
    assert stored[chat] == {STEPS[0]: "typed during the lock"}

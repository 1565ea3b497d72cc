"""A hung Bot API call made while an update is handled holds up nobody: a tap's
acknowledgement (answerCallbackQuery) goes on beside the processing, with a short timeout."""

from __future__ import annotations

import asyncio
import time

from bench import seed
from bot.app import inbound_concurrency
from bot.polling import Poller

from .test_faults_outage import processed, tap_update
from .test_polling import STEPS, answers_by_chat, text_update


async def test_a_hung_answer_to_a_tap_holds_up_no_one(h):
    users = await seed.users(h.sessions, 2, 1, h.now)
    tapper, writer = users.chats
    h.fake.stall["answercallbackquery"] = 8.0  # a hung call (aiogram waits up to 60 s)
    await h.fake.push_update(tap_update(h.fake, tapper))
    await h.fake.push_update(text_update(h.fake, writer, "right after the tap"))
    stop = asyncio.Event()
    # One chat at a time, as the service polls on SQLite (the worst case).
    poller = Poller(h.bot, h.dispatcher, concurrency=inbound_concurrency("sqlite://"),
                    timeout=1)
    started = time.monotonic()
    task = asyncio.create_task(poller.run(stop))
    waited = None
    try:
        while time.monotonic() - started < 7:
            if await processed(h) == 2:
                waited = time.monotonic() - started
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    assert waited is not None and waited < 2, f"the next person waited {waited or '> 7'} s"
    assert (await answers_by_chat(h, [writer]))[writer] == {STEPS[0]: "right after the tap"}
    assert [m for m, _p in h.fake.calls].count("answercallbackquery") == 1

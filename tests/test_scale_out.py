"""A region's set-up on PostgreSQL: two ``synaq run --web-only`` workers behind (here, instead
of) a load balancer and one ``synaq run --scheduler-only``, one database. Telegram's webhook
updates go to either worker — the same update to both, too — and timed reminders fall due:
every message reaches Telegram exactly once."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from sqlalchemy import func, select

from bench import seed
from storage.models import Answer, FlowRun, Identity, Outbox, ProcessedInbound

from .fake_telegram import FakeTelegram

pytestmark = pytest.mark.postgres_only

SECRET = "scale-out-secret"
STEPS = ("did", "went_well", "hard", "requirements", "about_me", "continue")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def text_update(update_id: int, chat: int, text: str) -> dict:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()),
        "chat": {"id": chat, "type": "private"},
        "from": {"id": chat, "is_bot": False, "first_name": "Pupil", "language_code": "en"},
        "text": text}}


def quiet_hours_away_from(now: datetime) -> str:
    night = now.astimezone(ZoneInfo("Asia/Almaty")) + timedelta(hours=12)
    return f"{night:%H:%M}-{night + timedelta(minutes=1):%H:%M}"


async def test_two_web_workers_and_one_scheduler_send_everything_exactly_once(h, db_url,
                                                                              tmp_path):
    now = datetime.now(UTC)  # the processes run on the real clock
    users = await seed.users(h.sessions, 20, 1, now)
    # A school with trials around now: the scheduler has reminders, briefings and a digest
    # to send meanwhile.
    await seed.region(h.sessions, 1, 1, now)
    fake = FakeTelegram()
    await fake.start()
    ports = [free_port(), free_port()]
    base = {**os.environ, "DATABASE_URL": db_url, "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_API_URL": fake.url, "MEDIA_DIR": str(tmp_path / "media"),
            "LOG_LEVEL": "WARNING", "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_WEBHOOK_URL": "https://synaq.example.kz/telegram/hook",
            "TELEGRAM_RATE": "29",  # shared by the three processes through the database
            # The scheduler's messages go out whatever the hour the test runs at: the night
            # falls half a day away (the seeded school has no quiet hours of its own).
            "QUIET_HOURS": quiet_hours_away_from(now)}
    log = tmp_path / "processes.log"

    async def start(*args: str, **env: str) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", *args, env={**base, **env},
            stdout=log.open("ab"), stderr=asyncio.subprocess.STDOUT,
            cwd=Path(__file__).parent.parent)

    processes = [await start("--web-only", HTTP_PORT=str(port)) for port in ports]
    processes.append(await start("--scheduler-only", HTTP_PORT=str(free_port())))
    http = aiohttp.ClientSession()

    async def post(port: int, update: dict) -> int:
        async with http.post(f"http://127.0.0.1:{port}/telegram/hook", json=update,
                             headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as r:
            return r.status

    async def settled() -> bool:
        async with h.db() as session:
            busy = await session.scalar(select(func.count()).select_from(Outbox).where(
                Outbox.status.in_(("queued", "sending")),
                Outbox.not_before <= datetime.now(UTC)))
        return busy == 0

    try:
        for port in ports:
            for _ in range(300):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise AssertionError(f"the worker on {port} did not start; see {log}")

        # Each pupil answers the six questions one after the other, through either worker;
        # every third update is delivered to both workers at once (Telegram retrying into
        # a load balancer).
        ids = iter(range(1_000, 100_000))

        async def pupil(k: int, chat: int) -> None:
            for n in range(len(STEPS)):
                update = text_update(next(ids), chat, f"{chat}-{n}")
                if (k + n) % 3 == 0:
                    statuses = await asyncio.gather(post(ports[0], update),
                                                    post(ports[1], update))
                else:
                    statuses = [await post(ports[(k + n) % 2], update)]
                assert set(statuses) == {200}

        await asyncio.gather(*(pupil(k, chat) for k, chat in enumerate(users.chats)))
        for _ in range(600):
            await asyncio.sleep(0.1)
            if await settled():
                await asyncio.sleep(1.0)  # and stays so
                if await settled():
                    break
        else:
            raise AssertionError("the outbox did not empty")
    finally:
        await http.close()
        for proc in processes:
            if proc.returncode is None:
                proc.terminate()
        for proc in processes:
            await asyncio.wait_for(proc.wait(), 30)
        await fake.stop()

    total = len(STEPS) * len(users.chats)
    async with h.db() as session:
        assert await session.scalar(
            select(func.count()).select_from(ProcessedInbound)) == total
        rows = await session.execute(
            select(Identity.address, Answer.step_id, Answer.value)
            .join(FlowRun, FlowRun.person_id == Identity.person_id)
            .join(Answer, Answer.run_id == FlowRun.id)
            .where(FlowRun.flow_id == "pupil.after"))
        answers: dict[int, dict[str, str]] = {}
        for address, step, value in rows:
            answers.setdefault(int(address), {})[step] = value["text"]
        sent = list(await session.scalars(select(Outbox).where(
            Outbox.status == "sent", Outbox.created_at >= now)))  # not the seeded history
    # Every answer stored once, in order.
    assert answers == {chat: {step: f"{chat}-{n}" for n, step in enumerate(STEPS)}
                       for chat in users.chats}
    # One reply per update, however often it came; and the scheduler's messages besides.
    replies = [r for r in sent if r.purpose == "reply"]
    assert len(replies) == total
    assert len(sent) > len(replies), "timed messages were due and went out too"
    # Telegram received each message exactly once: no duplicate, none lost.
    assert len(fake.sent) == len(sent)
    assert sorted(str(s.message_id) for s in fake.sent) == sorted(
        str(r.external_id) for r in sent)
    assert fake.rate_limited == 0
    # The webhook was registered once, by the scheduler's process.
    assert [m for m, _p in fake.calls].count("setwebhook") == 1

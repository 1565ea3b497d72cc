"""Webhook mode: Telegram's secret header is checked before anything is processed."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.runtime import open_runtime
from bot.settings import Settings
from bot.telegram import make_dispatcher
from bot.web import build_app
from storage.demo import load_demo
from storage.models import Outbox, Person, ProcessedInbound
from storage.repos.invites import Invites

from .fake_telegram import FakeTelegram

SECRET = "s3cret-token_value"


async def test_webhook_refuses_a_wrong_secret_and_handles_a_right_one(db_url, tmp_path):
    fake = FakeTelegram()
    await fake.start()
    settings = Settings(
        database_url=db_url, telegram_bot_token=fake.token, telegram_api_url=fake.url,
        telegram_webhook_url="https://synaq.example.kz/telegram/hook",
        telegram_webhook_secret=SECRET, media_dir=tmp_path / "media", _env_file=None)
    runtime = await open_runtime(settings)
    app = build_app(runtime, make_dispatcher(runtime.service.process))
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        now = datetime.now(UTC)
        async with runtime.sessions() as s, s.begin():
            demo = await load_demo(s, now)
            pupil = await s.scalar(select(Person).where(Person.full_name == "Диас Маратұлы"))
            code = await Invites(s).issue(pupil.id, "pupil", demo.school_id, now,
                                          runtime.config.invite_ttl)
        update = {"update_id": 77, "message": {
            "message_id": 1, "date": int(time.time()), "chat": {"id": 4242, "type": "private"},
            "from": {"id": 4242, "is_bot": False, "first_name": "Диас"},
            "text": f"/start {code}"}}

        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            response = await client.post("/telegram/hook", json=update, headers=headers)
            assert response.status == 401
        async with runtime.sessions() as s:
            assert await s.scalar(select(func.count()).select_from(ProcessedInbound)) == 0
            assert await s.scalar(select(func.count()).select_from(Outbox)) == 0

        for _ in range(2):  # Telegram retries; the second delivery is a duplicate
            response = await client.post("/telegram/hook", json=update,
                                         headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
            assert response.status == 200
        async with runtime.sessions() as s:
            assert await s.scalar(select(func.count()).select_from(ProcessedInbound)) == 1
            queued = list(await s.scalars(select(Outbox).order_by(Outbox.id)))
        assert len(queued) == 2 and "Диас" in queued[0].payload["text"]
        stats = await runtime.worker().drain()
        assert stats.sent == 2
        assert [s.chat_id for s in fake.sent] == [4242, 4242]
    finally:
        await client.close()
        await runtime.close()
        await fake.stop()

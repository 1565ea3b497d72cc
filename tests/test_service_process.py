"""The real service: `synaq run` polling a local Bot API stand-in, killed and started again."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

from sqlalchemy import select

from storage.db import create_engine, session_factory
from storage.models import Answer, FlowRun

from .fake_telegram import FakeTelegram

CHAT = 910_001


def message(fake: FakeTelegram, text: str) -> dict:
    user = {"id": CHAT, "is_bot": False, "first_name": "Аружан", "language_code": "kk"}
    return {"update_id": fake.next_update_id(), "message": {
        "message_id": fake.next_update_id() + 100, "date": int(time.time()),
        "chat": {"id": CHAT, "type": "private"}, "from": user, "text": text}}


def tap(fake: FakeTelegram, data: str) -> dict:
    user = {"id": CHAT, "is_bot": False, "first_name": "Аружан"}
    return {"update_id": fake.next_update_id(), "callback_query": {
        "id": str(fake.next_update_id()), "from": user, "chat_instance": "1", "data": data,
        "message": {"message_id": 1, "date": int(time.time()),
                    "chat": {"id": CHAT, "type": "private"}, "text": "x"}}}


async def synaq(env: dict[str, str], *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def start_service(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, stdout=log.open("ab"),
        stderr=asyncio.subprocess.STDOUT)


def button(sent, label: str) -> str:
    for row in sent.buttons:
        for text, data in row:
            if label in text:
                return data
    raise AssertionError(f"no button {label!r} in {sent.labels}")


async def test_run_onboards_answers_survives_sigkill_and_loses_nothing(db_url, tmp_path):
    fake = FakeTelegram()
    await fake.start()
    env = {**os.environ, "DATABASE_URL": db_url, "TELEGRAM_BOT_TOKEN": fake.token,
           "TELEGRAM_API_URL": fake.url, "MEDIA_DIR": str(tmp_path / "media"),
           "LOG_LEVEL": "WARNING", "TELEGRAM_WEBHOOK_URL": ""}
    log = tmp_path / "service.log"
    service = None
    try:
        await synaq(env, "demo")
        lines = (await synaq(env, "invites", "--json", "--role", "pupil")).splitlines()
        invite = json.loads(lines[0])
        assert invite["telegram_link"].endswith(f"?start={invite['code']}")

        def to_chat(text: str):
            return lambda s: s.chat_id == CHAT and text in s.text

        service = await start_service(env, log)
        await fake.push_update(message(fake, f"/start {invite['code']}"))
        prompt = await fake.wait_sent(to_chat("Please choose your language"), 30)
        await fake.push_update(tap(fake, button(prompt, "English")))
        menu = await fake.wait_sent(to_chat("Menu"), 15)
        await fake.push_update(tap(fake, button(menu, "Before the trial")))
        await fake.wait_sent(to_chat("What do I expect?"), 15)
        await fake.push_update(message(fake, "To see real work"))
        await fake.wait_sent(to_chat("What am I worried about"), 15)

        service.kill()  # SIGKILL: no chance to clean up
        await service.wait()
        # While it is down, the pupil answers; Telegram keeps the update.
        await fake.push_update(message(fake, "Getting a shock"))
        service = await start_service(env, log)
        await fake.wait_sent(to_chat("guess about yourself"), 30)

        # Killed again right as an answer arrives, then started again.
        await fake.push_update(message(fake, "I like working with my hands"))
        await asyncio.sleep(0.05)
        service.kill()
        await service.wait()
        service = await start_service(env, log)
        await fake.wait_sent(to_chat("Good luck at the trial"), 30)
    finally:
        if service is not None and service.returncode is None:
            service.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(service.wait(), 15)
            except TimeoutError:
                service.kill()
        await fake.stop()

    engine = create_engine(db_url)
    async with session_factory(engine)() as s:
        run = await s.scalar(select(FlowRun).where(FlowRun.flow_id == "pupil.before"))
        rows = list(await s.scalars(select(Answer).where(Answer.run_id == run.id)))
    await engine.dispose()
    assert run.status == "completed"
    assert {a.step_id: a.value["text"] for a in rows} == {
        "expect": "To see real work", "worry": "Getting a shock",
        "hypothesis": "I like working with my hands"}
    questions = [s.text for s in fake.to_chat(CHAT) if "guess about yourself" in s.text]
    assert len(questions) == 1, "the question after the restart was asked once"

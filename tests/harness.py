"""Drive Synaq like its users do: real aiogram Dispatcher, real database, fake Bot API.

    alice = h.user("Аружан", lang="kk")
    await alice.says(f"/start {code}")
    await alice.taps("Қазақша")
    assert "Мен не күтемін?" in alice.last.text

Every ``says`` / ``taps`` feeds one Telegram update through the dispatcher, commits, then
delivers the outbox to the fake Bot API over HTTP; the user's new messages are returned.
Time is a :class:`Clock` the test moves by hand.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.outbox import OutboxWorker
from bot.runtime import Runtime, tick
from bot.service import Service
from bot.settings import Settings
from bot.telegram import TelegramSender, make_bot, make_dispatcher
from handlers.context import Config
from storage.db import SessionFactory, create_engine, session_factory
from storage.files import MediaStore

from .fake_telegram import BOT_USERNAME, FakeTelegram, Sent

START = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)  # Monday 09:00 in Astana


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def set(self, moment: datetime) -> datetime:
        self.now = moment
        return moment


_user_ids = itertools.count(500_001)


@dataclass
class TgUser:
    """One Telegram user talking to the bot in a private chat."""

    h: Harness
    id: int
    first_name: str
    lang: str | None = None
    seen: int = 0  # how many of the chat's messages the test has looked at

    @property
    def inbox(self) -> list[Sent]:
        return self.h.fake.to_chat(self.id)

    @property
    def last(self) -> Sent:
        messages = self.inbox
        assert messages, f"{self.first_name} has received nothing"
        return messages[-1]

    @property
    def last_with_buttons(self) -> Sent:
        for message in reversed(self.inbox):
            if message.buttons:
                return message
        raise AssertionError(f"{self.first_name} has no message with buttons")

    def new(self) -> list[Sent]:
        messages = self.inbox
        fresh, self.seen = messages[self.seen:], len(messages)
        return fresh

    def _user(self) -> dict[str, Any]:
        user = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.lang:
            user["language_code"] = self.lang
        return user

    def message_update(self, **content: Any) -> dict[str, Any]:
        return {
            "update_id": self.h.fake.next_update_id(),
            "message": {
                "message_id": next(self.h.message_ids), "date": int(time.time()),
                "chat": {"id": self.id, "type": "private", "first_name": self.first_name},
                "from": self._user(), **content,
            },
        }

    def callback_update(self, data: str, message: Sent | None = None) -> dict[str, Any]:
        message = message or (self.last_with_buttons if self.inbox else None)
        return {
            "update_id": self.h.fake.next_update_id(),
            "callback_query": {
                "id": str(next(self.h.message_ids)), "from": self._user(),
                "chat_instance": str(self.id), "data": data,
                "message": {
                    "message_id": message.message_id if message else 1,
                    "date": int(time.time()),
                    "chat": {"id": self.id, "type": "private", "first_name": self.first_name},
                    "text": message.text if message else "",
                },
            },
        }

    async def says(self, text: str) -> list[Sent]:
        return await self.h.feed(self, self.message_update(text=text))

    async def taps(self, label: str, message: Sent | None = None) -> list[Sent]:
        """Press the button whose label contains ``label`` on the latest message with one."""
        message = message or self.last_with_buttons
        for row in message.buttons:
            for text, data in row:
                if label in text:
                    return await self.h.feed(self, self.callback_update(data, message))
        raise AssertionError(f"no button {label!r} in {message.labels}")

    async def presses(self, data: str) -> list[Sent]:
        """Send raw callback data (a forged or stale button)."""
        return await self.h.feed(self, self.callback_update(data))

    async def sends_photo(self, data: bytes = b"\xff\xd8\xff fake jpeg", caption: str | None = None,
                          size: int | None = None) -> list[Sent]:
        file_id = f"photo{next(self.h.message_ids)}"
        self.h.fake.files[file_id] = data
        content: dict[str, Any] = {"photo": [{"file_id": file_id, "file_unique_id": file_id,
                                              "width": 640, "height": 480,
                                              "file_size": size or len(data)}]}
        if caption:
            content["caption"] = caption
        return await self.h.feed(self, self.message_update(**content))

    async def sends_document(self, data: bytes, file_name: str, mime: str) -> list[Sent]:
        file_id = f"doc{next(self.h.message_ids)}"
        self.h.fake.files[file_id] = data
        return await self.h.feed(self, self.message_update(document={
            "file_id": file_id, "file_unique_id": file_id, "file_name": file_name,
            "mime_type": mime, "file_size": len(data)}))

    async def sends_voice(self, data: bytes = b"OggS fake voice") -> list[Sent]:
        file_id = f"voice{next(self.h.message_ids)}"
        self.h.fake.files[file_id] = data
        return await self.h.feed(self, self.message_update(voice={
            "file_id": file_id, "file_unique_id": file_id, "duration": 3,
            "mime_type": "audio/ogg", "file_size": len(data)}))

    async def sends_sticker(self) -> list[Sent]:
        return await self.h.feed(self, self.message_update(sticker={
            "file_id": "st1", "file_unique_id": "st1", "type": "regular", "width": 512,
            "height": 512, "is_animated": False, "is_video": False}))


@dataclass
class Harness:
    fake: FakeTelegram
    engine: AsyncEngine
    sessions: SessionFactory
    config: Config
    service: Service
    bot: Bot
    dispatcher: Dispatcher
    worker: OutboxWorker
    clock: Clock
    settings: Settings
    message_ids: Any = field(default_factory=lambda: itertools.count(1))

    @property
    def now(self) -> datetime:
        return self.clock.now

    def user(self, first_name: str = "Test", lang: str | None = None) -> TgUser:
        return TgUser(self, next(_user_ids), first_name, lang)

    async def feed(self, user: TgUser, update: dict[str, Any]) -> list[Sent]:
        """One update through the real dispatcher, then the outbox to the fake API."""
        await self.feed_raw(update)
        await self.deliver()
        return user.new()

    async def feed_raw(self, update: dict[str, Any]) -> None:
        await self.dispatcher.feed_update(
            self.bot, Update.model_validate(update, context={"bot": self.bot}))

    async def deliver(self) -> None:
        await self.worker.drain()

    async def tick(self, at: datetime | None = None) -> None:
        """The scheduler's entry point at ``at`` (default: the clock), then delivery."""
        if at is not None:
            self.clock.set(at)
        await tick(self.runtime, self.clock.now, deliver=False)
        await self.deliver()

    @property
    def runtime(self) -> Runtime:
        return Runtime(self.settings, self.engine, self.sessions, self.config, self.service,
                       {"telegram": self.worker.senders["telegram"]}, self.bot)

    @asynccontextmanager
    async def db(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction committed at the end (for arranging and asserting)."""
        async with self.sessions() as session, session.begin():
            yield session

    async def complete_flow(self, person_id: int, flow_id: str, answers: dict[str, str],
                            trial_id: int | None = None, pupil_id: int | None = None) -> int:
        """Arrange a finished questionnaire without the chat: the flow engine stores each
        step's answer exactly as a conversation would (a choice's value, or a text); steps
        not in ``answers`` are skipped if optional. Completion hooks are not run. Returns
        the run's id."""
        from flows import FLOWS
        from flows.engine import SKIP, ButtonInput, Engine, TextInput
        from flows.model import Choice
        from storage.repos.flows import FlowRuns

        flow = FLOWS[flow_id]
        async with self.db() as session:
            engine = Engine(FlowRuns(session), self.now)
            outcome = await engine.start(person_id, flow, trial_id, pupil_id)
            while outcome.status != "completed":
                step = outcome.step
                assert step is not None, outcome
                value = answers.get(step.id)
                if value is None:
                    assert step.optional, f"{flow_id}: no answer for {step.id}"
                    given: ButtonInput | TextInput = ButtonInput(step.id, SKIP)
                elif isinstance(step, Choice):
                    given = ButtonInput(step.id, value)
                else:
                    given = TextInput(value)
                outcome = await engine.accept(outcome.run, flow, given, str)
                assert outcome.status not in ("invalid", "stale"), (step.id, outcome)
            return outcome.run.id


@asynccontextmanager
async def harness(db_url: str, media_dir: Path, **settings: Any) -> AsyncIterator[Harness]:
    fake = FakeTelegram()
    url = await fake.start()
    settings_obj = Settings(database_url=db_url, telegram_bot_token=fake.token,
                            telegram_api_url=url, media_dir=media_dir, _env_file=None,
                            **settings)
    engine = create_engine(db_url)
    sessions = session_factory(engine)
    clock = Clock()
    config = settings_obj.handler_config(telegram_username=BOT_USERNAME)
    service = Service(sessions, config)
    bot = make_bot(fake.token, url)
    dispatcher = make_dispatcher(service.process, clock=clock)
    worker = OutboxWorker(sessions, {"telegram": TelegramSender(bot, MediaStore(media_dir))},
                          rates={"telegram": 10_000}, clock=clock, per_chat=frozenset())
    h = Harness(fake, engine, sessions, config, service, bot, dispatcher, worker, clock,
                settings_obj)
    try:
        yield h
    finally:
        await bot.session.close()
        await engine.dispose()
        await fake.stop()

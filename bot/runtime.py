"""Assembly shared by every command: settings → database → service → channel senders."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from handlers.context import Config, Context
from handlers.delivery import enqueue
from handlers.features import WIRING
from storage.db import SessionFactory, create_engine, is_sqlite, session_factory
from storage.files import MediaStore
from storage.migrate import upgrade

from .outbox import PAUSE_HOLD, ChannelSender, DrainStats, OutboxWorker
from .service import Service
from .settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: SessionFactory
    config: Config
    service: Service
    senders: dict[str, ChannelSender] = field(default_factory=dict)
    bot: object | None = None  # the aiogram Bot when Telegram is configured

    @property
    def media(self) -> MediaStore:
        return MediaStore(self.settings.media_dir)

    def worker(self, **kwargs: object) -> OutboxWorker:
        settings = self.settings
        rates = {"telegram": settings.telegram_rate, "console": 1000.0,
                 "whatsapp": settings.whatsapp_rate}
        # Several processes (web workers, the scheduler) can only be on PostgreSQL: there
        # they share each channel's rate through the database.
        shared = (frozenset() if is_sqlite(settings.database_url)
                  else frozenset({"telegram", "whatsapp"}))
        paid = {"telegram": settings.telegram_paid_rate} if settings.telegram_paid_broadcast \
            else {}
        return OutboxWorker(self.sessions, self.senders, rates=rates,  # type: ignore[arg-type]
                            shared=shared, paid=paid, **kwargs)  # type: ignore[arg-type]

    async def close(self) -> None:
        for sender in self.senders.values():
            close = getattr(sender, "close", None)  # senders holding an HTTP session
            if close is not None:
                await close()
        if self.bot is not None:
            await self.bot.session.close()  # type: ignore[attr-defined]
        await self.engine.dispose()


async def open_runtime(settings: Settings, channels: bool = True) -> Runtime:
    """Migrate, connect, and (with ``channels``) set up every configured channel's sender."""
    await upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    senders: dict[str, ChannelSender] = {}
    username = None
    bot = None
    if channels and settings.telegram_bot_token is not None:
        from .telegram import TelegramSender, make_bot

        bot = make_bot(settings.telegram_bot_token.get_secret_value(), settings.telegram_api_url)
        username = await _bot_username(bot)
        senders["telegram"] = TelegramSender(bot, MediaStore(settings.media_dir),
                                             paid_broadcast=settings.telegram_paid_broadcast)
    if channels and settings.whatsapp_enabled:
        from .whatsapp import make_sender

        senders["whatsapp"] = make_sender(settings, sessions)
    config = settings.handler_config(telegram_username=username)
    return Runtime(settings, engine, sessions, config, Service(sessions, config), senders, bot)


async def _bot_username(bot: object) -> str | None:
    try:
        me = await bot.me()  # type: ignore[attr-defined]
        return str(me.username) if me.username else None
    except Exception as exc:  # the service still starts; links just lack the bot's name
        log.warning("could not ask Telegram for the bot's name: %s", exc)
        return None


@dataclass
class TickReport:
    queued: dict[str, int]
    failed_jobs: list[str]
    delivery: DrainStats | None


async def tick(runtime: Runtime, now: datetime, deliver: bool = True) -> TickReport:
    """Queue everything due at ``now`` (each job in its own transaction), then send."""
    queued: dict[str, int] = {}
    failed: list[str] = []
    for name, job in WIRING.due_jobs.items():
        try:
            async with runtime.sessions() as session, session.begin():
                ctx = Context(session=session, wiring=WIRING, now=now, config=runtime.config)
                queued[name] = await enqueue(ctx, await job(ctx))
        except Exception:
            log.exception("due job %s failed at %s", name, now.isoformat())
            failed.append(name)
    stats = None
    if deliver and runtime.senders:
        # Sent "as of now" too: `tick --now` reproduces a moment, held messages included.
        # Nothing else sends from this process: a chat's paced messages may wait in it.
        stats = await runtime.worker(clock=lambda: now, hold=PAUSE_HOLD).drain()
    return TickReport(queued, failed, stats)

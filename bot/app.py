"""``synaq run``: every configured channel, the webhook server if needed, the scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from datetime import UTC, datetime

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from storage.db import is_sqlite
from storage.repos.messaging import REPLY

from .console import run_console
from .polling import Poller
from .runtime import Runtime, open_runtime, tick
from .settings import Settings
from .web import build_app

log = logging.getLogger(__name__)

NO_CHANNEL = """\
No messenger is configured (TELEGRAM_BOT_TOKEN is not set), so Synaq starts on the console
channel: you talk to it right here, as any invited person, with the same flows and database.

  - `synaq demo` loads a demo school; `synaq invites` prints the invite codes;
  - type a code below to join as that person; `synaq console --as ID` skips the code;
  - to connect Telegram, put TELEGRAM_BOT_TOKEN=<token from @BotFather> into .env
    (see .env.example) and run `synaq run` again.
"""


async def run_service(settings: Settings, web_only: bool = False,
                      scheduler_only: bool = False) -> int:
    runtime = await open_runtime(settings)
    try:
        if web_only and runtime.bot is None and not settings.whatsapp_enabled:
            log.error("--web-only serves Telegram's or WhatsApp's webhooks: configure one")
            return 2
        if not runtime.senders and not settings.whatsapp_enabled and not scheduler_only:
            print(NO_CHANNEL, file=sys.stderr)
            ticker = Ticker(runtime)
            ticker.start()
            try:
                return await run_console(runtime, address="console")
            finally:
                await ticker.stop()
        return await _serve(runtime, web_only=web_only, scheduler_only=scheduler_only)
    finally:
        await runtime.close()


async def _serve(runtime: Runtime, web_only: bool, scheduler_only: bool) -> int:
    settings = runtime.settings
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)

    tasks: list[asyncio.Task[object]] = []
    ticker = None
    if not web_only:
        ticker = Ticker(runtime)
        ticker.start()
    # A web worker sends the replies to the people who wrote to it (what it queued, at once);
    # the scheduler's process sends everything else, and any reply a worker left behind.
    # On PostgreSQL the processes share the bot's rate through the database (bot/outbox.py).
    worker = runtime.worker(most=REPLY if web_only else None)
    tasks.append(asyncio.create_task(worker.run(runtime.service.outbox_ready, stop)))

    dispatcher = None
    runner = None
    if runtime.bot is not None and not scheduler_only:
        from .telegram import make_dispatcher

        dispatcher = make_dispatcher(runtime.service.process)
        if not settings.telegram_webhook_url:
            if web_only:
                log.error("--web-only needs TELEGRAM_WEBHOOK_URL (polling is one process only)")
                return 2
            await runtime.bot.delete_webhook()  # type: ignore[attr-defined]
            poller = Poller(runtime.bot, dispatcher,  # type: ignore[arg-type]
                            concurrency=inbound_concurrency(settings.database_url),
                            allowed_updates=["message", "callback_query"])
            tasks.append(asyncio.create_task(poller.run(stop)))
    needs_web = not scheduler_only and (settings.telegram_webhook_url or settings.whatsapp_enabled)
    if needs_web:
        app = build_app(runtime, dispatcher if settings.telegram_webhook_url else None)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, settings.http_host, settings.http_port).start()
        log.info("HTTP server on %s:%s", settings.http_host, settings.http_port)
    if settings.telegram_webhook_url and runtime.bot is not None and not web_only:
        # Said to Telegram by one process: the single service, or the scheduler's.
        secret = settings.telegram_webhook_secret
        await runtime.bot.set_webhook(  # type: ignore[attr-defined]
            settings.telegram_webhook_url,
            secret_token=secret.get_secret_value() if secret else None,
            allowed_updates=["message", "callback_query"])
    log.info("Synaq is running")
    await stop.wait()
    # The poller finishes the batch in hand and returns; the outbox worker is cancelled
    # (it writes what it sent and hands back what it claimed and did not send).
    for task in tasks[1:]:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 30)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if ticker is not None:
        await ticker.stop()
    if runner is not None:
        await runner.cleanup()
    return 0


def inbound_concurrency(database_url: str) -> int:
    """How many chats the poller handles at once. SQLite: one — its statements run on the
    event loop's thread (storage/sqlite_inline.py), so a second chat would only wait for the
    one connection. PostgreSQL: two — enough to keep the process busy while statements
    travel to the server; more stretch each update's time for a little more throughput
    (the benchmark, docs/performance.md: at 10, 167 instead of 133 updates a second, but a
    p95 of 63 ms instead of 16)."""
    return 1 if is_sqlite(database_url) else 2


class Ticker:
    """One process runs the scheduler: it only calls ``tick`` with the current time.

    The digest, the quarterly review and the agreements reminder are due jobs of that same
    tick, not cron jobs: each school has its own time zone and working days, so "08:00 on a
    school day" is a different moment per school, which one cron trigger cannot say; and a
    minute missed (a restart at 08:00) is caught up by the next tick, where a cron job
    would be lost. Their dedup keys hold the date, so the tick sends each once.

    Stopping lets a tick in progress finish: APScheduler would cancel it, and a tick cut
    short is only rolled back — and logged as a failed job.
    """

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.ticking = asyncio.Lock()
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.scheduler.add_job(self._every_minute, "interval", minutes=1, id="tick",
                               coalesce=True, max_instances=1, next_run_time=datetime.now(UTC))

    async def _every_minute(self) -> None:
        async with self.ticking:
            await tick(self.runtime, datetime.now(UTC), deliver=False)
        self.runtime.service.outbox_ready.set()

    def start(self) -> None:
        self.scheduler.start()

    async def stop(self, timeout: float = 60.0) -> None:
        self.scheduler.pause()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.ticking.acquire(), timeout)
        self.scheduler.shutdown(wait=False)


"""Long polling that handles different chats at once and still loses nothing.

Telegram forgets an update once a later ``getUpdates`` names an offset above it. aiogram's own
loop either confirms an update before it is handled (as tasks) or handles one at a time. Here
a whole batch is handled — different chats concurrently, each chat's updates in order, each
update its own transaction (``Service.process``) — and only then is the next batch asked for,
which confirms this one. Killed at any point, the batch comes again; what was committed is
recognised by its update id (``processed_inbound``) and not handled twice.

While the database cannot be reached (``DatabaseUnavailable``) nothing is confirmed: the
chat whose update met the outage stops there (its order is kept), the batch is handled again
after a pause until the database is back, and only then is the offset moved past it.
"""

from __future__ import annotations

from . import lazy_aiogram  # noqa: F401  (before aiogram itself: see there)

# isort: split
import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Iterable

from aiogram import Bot, Dispatcher
from aiogram.methods import GetUpdates
from aiogram.types import Update

from storage.outage import DatabaseUnavailable

log = logging.getLogger(__name__)

# Telegram hands out at most 100 updates per call.
BATCH = 100
# Pauses between attempts at a batch held back by a database outage.
OUTAGE_PAUSE = (1.0, 10.0)


def chat_of(update: Update) -> int | None:
    """The chat an update belongs to: its updates must be handled in order."""
    if update.message is not None:
        return update.message.chat.id
    query = update.callback_query
    if query is not None:
        return query.message.chat.id if query.message is not None else query.from_user.id
    return None


def by_chat(updates: Iterable[Update]) -> list[list[Update]]:
    """The batch as one queue per chat, each in the order Telegram sent it."""
    queues: dict[object, list[Update]] = defaultdict(list)
    for update in updates:
        chat = chat_of(update)
        queues[chat if chat is not None else ("update", update.update_id)].append(update)
    return list(queues.values())


class Poller:
    """Fetches a batch, handles it with up to ``concurrency`` chats at a time, then fetches
    the next (which confirms the first)."""

    def __init__(self, bot: Bot, dispatcher: Dispatcher, concurrency: int = 8,
                 timeout: int = 25, allowed_updates: list[str] | None = None) -> None:
        self.bot = bot
        self.dispatcher = dispatcher
        self.concurrency = max(1, concurrency)
        self.timeout = timeout
        self.allowed_updates = allowed_updates
        self.offset: int | None = None

    async def run(self, stop: asyncio.Event) -> None:
        delay = 1.0
        while not stop.is_set():
            try:
                updates = await self._fetch(stop)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Telegram unreachable: wait and try again
                log.error("getUpdates failed (%s: %s); trying again in %.0f s",
                          type(exc).__name__, exc, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                delay = min(delay * 2, 30.0)
                continue
            delay = 1.0
            if updates and not await self._handle_until_done(updates, stop):
                return  # stopped during an outage: the batch stays unconfirmed
            if updates:
                self.offset = updates[-1].update_id + 1
        if self.offset is not None:
            # Confirm the last batch, so that a restart does not fetch it again.
            with contextlib.suppress(Exception):
                await self.bot(GetUpdates(offset=self.offset, limit=1, timeout=0))

    async def _handle_until_done(self, updates: list[Update], stop: asyncio.Event) -> bool:
        """Handle the batch, again and again while the database is unreachable; False if
        stopped before every update of it was done."""
        pause = OUTAGE_PAUSE[0]
        # Not cancelled by a stop: a batch half done would only come again.
        while not await asyncio.shield(self.handle(updates)):
            log.warning("the database is unreachable: %d updates wait unconfirmed; trying "
                        "again in %.0f s", len(updates), pause)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause)
            if stop.is_set():
                return False
            pause = min(pause * 2, OUTAGE_PAUSE[1])
        return True

    async def _fetch(self, stop: asyncio.Event) -> list[Update]:
        request = GetUpdates(offset=self.offset, limit=BATCH, timeout=self.timeout,
                             allowed_updates=self.allowed_updates)
        fetch = asyncio.ensure_future(
            self.bot(request, request_timeout=self.timeout + 10))
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if not fetch.done():
            fetch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await fetch
            return []
        return list(fetch.result())

    async def handle(self, updates: list[Update]) -> bool:
        """Handle one batch; returns when every update in it is done (committed or failed),
        False if some were held back by a database outage."""
        gate = asyncio.Semaphore(self.concurrency)
        held = False

        async def one_chat(queue: list[Update]) -> None:
            nonlocal held
            async with gate:
                for update in queue:
                    if not await self._feed(update):
                        held = True
                        return  # the chat's later updates wait too, to keep its order

        await asyncio.gather(*(one_chat(q) for q in by_chat(updates)))
        return not held

    async def _feed(self, update: Update) -> bool:
        """False if the database was unreachable (the update must come again)."""
        try:
            await self.dispatcher.feed_update(self.bot, update)
        except DatabaseUnavailable:
            return False
        except Exception:
            # As aiogram's loop does: the update is done with, unsuccessfully. The service
            # itself already answered the person (it apologises on its own errors).
            log.exception("update %s could not be handled", update.update_id)
        return True

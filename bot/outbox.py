"""Sends what the outbox holds: claimed atomically, rate-limited, retried, never dropped.

Telegram allows about 30 messages a second per bot and about one a second to one chat; a
short burst of replies to one chat is fine, a stream is not. 429 → wait ``retry_after``;
5xx and network errors → back off; 403 (blocked) → the person is marked unreachable.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from aiolimiter import AsyncLimiter

from storage.db import SessionFactory
from storage.models import Outbox
from storage.repos.messaging import OutboxRepo
from storage.repos.people import People

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
STALE_CLAIM = timedelta(minutes=5)


@dataclass
class SendResult:
    ok: bool
    external_id: str | None = None
    retry_after: float | None = None  # 429: wait this long, then try again
    transient: bool = False  # 5xx / network: back off and try again
    unreachable: bool = False  # blocked, chat not found, no such number
    error: str | None = None


class ChannelSender(Protocol):
    """Sends one outbox payload. A sender that needs the row itself (its purpose, its id)
    also has ``async send_row(row) -> SendResult``, which the worker then calls instead."""

    channel: str

    async def send(self, address: str, payload: dict[str, Any]) -> SendResult: ...


@dataclass
class DrainStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    rate_limited: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


def utc_now() -> datetime:
    return datetime.now(UTC)


class OutboxWorker:
    def __init__(
        self, sessions: SessionFactory, senders: dict[str, ChannelSender],
        rates: dict[str, float] | None = None, clock: Callable[[], datetime] = utc_now,
        batch: int = 200, per_chat: frozenset[str] = frozenset({"telegram", "whatsapp"}),
    ) -> None:
        self.sessions = sessions
        self.senders = senders
        self.clock = clock
        self.batch = batch
        rates = rates or {}
        # A bucket of one token refilled at the rate: an even stream, never a burst over it.
        self.channel_limit = {
            ch: AsyncLimiter(1, 1 / rates.get(ch, 29.0)) for ch in senders
        }
        self.per_chat = per_chat
        self.chat_limits: dict[tuple[str, str], AsyncLimiter] = {}
        self.paused_until: dict[str, float] = defaultdict(float)

    def _chat_limit(self, channel: str, address: str) -> AsyncLimiter:
        key = (channel, address)
        limiter = self.chat_limits.get(key)
        if limiter is None:
            if len(self.chat_limits) > 50_000:
                self.chat_limits.clear()
            # Three at once (a reply and the next question), then one a second.
            limiter = self.chat_limits[key] = AsyncLimiter(3, 3)
        return limiter

    async def drain(self, address: str | None = None, until_empty: bool = True) -> DrainStats:
        """Send everything due now; with ``until_empty`` keep going while more is due."""
        stats = DrainStats()
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with self.sessions() as session, session.begin():
            await OutboxRepo(session).requeue_stale(self.clock(), STALE_CLAIM)
        while True:
            async with self.sessions() as session, session.begin():
                rows = await OutboxRepo(session).claim(
                    list(self.senders), self.clock(), self.batch, address)
            if not rows:
                break
            results = await self._send_rows(rows)
            await self._record(rows, results, stats)
            if not until_empty:
                break
        stats.seconds = loop.time() - started
        return stats

    async def _send_rows(self, rows: list[Outbox]) -> dict[int, SendResult]:
        by_chat: dict[tuple[str, str], list[Outbox]] = defaultdict(list)
        for row in rows:
            by_chat[(row.channel, row.address)].append(row)
        results: dict[int, SendResult] = {}

        async def one_chat(chat_rows: list[Outbox]) -> None:
            for i, row in enumerate(chat_rows):
                result = await self._send_one(row)
                results[row.id] = result
                if not result.ok:
                    # Keep the chat's order: what follows a failed message waits for it.
                    for later in chat_rows[i + 1:]:
                        results[later.id] = SendResult(
                            ok=False, retry_after=result.retry_after or 1.0,
                            transient=True, error="waiting for an earlier message")
                    return

        await asyncio.gather(*(one_chat(r) for r in by_chat.values()))
        return results

    async def _send_one(self, row: Outbox) -> SendResult:
        sender = self.senders[row.channel]
        loop = asyncio.get_running_loop()
        pause = self.paused_until[row.channel] - loop.time()
        if pause > 0:
            await asyncio.sleep(pause)
        if row.channel in self.per_chat:
            await self._chat_limit(row.channel, row.address).acquire()
        async with self.channel_limit[row.channel]:
            try:
                send_row = getattr(sender, "send_row", None)
                result = await (send_row(row) if send_row is not None
                                else sender.send(row.address, row.payload))
            except Exception as exc:  # a bug in an adapter must not lose the message
                log.exception("sending outbox row %s failed", row.id)
                result = SendResult(ok=False, transient=True, error=repr(exc))
        if result.retry_after:
            # Telegram's 429 is about the bot as a whole: slow every chat down.
            self.paused_until[row.channel] = max(
                self.paused_until[row.channel], loop.time() + result.retry_after)
        return result

    async def _record(self, rows: list[Outbox], results: dict[int, SendResult],
                      stats: DrainStats) -> None:
        now = self.clock()
        async with self.sessions() as session, session.begin():
            repo = OutboxRepo(session)
            for row in rows:
                result = results[row.id]
                if result.ok:
                    await repo.sent(row.id, now, result.external_id)
                    stats.sent += 1
                elif result.unreachable:
                    await repo.failed(row.id, result.error or "unreachable")
                    await People(session).mark_blocked(
                        row.channel, row.address, row.person_id, now,
                        result.error or "unreachable")
                    stats.failed += 1
                elif (result.retry_after or result.transient) and row.attempts < MAX_ATTEMPTS:
                    delay = result.retry_after or min(2 ** row.attempts, 300)
                    await repo.retry(row.id, now + timedelta(seconds=delay),
                                     result.error or "retry")
                    stats.retried += 1
                    stats.rate_limited += int(result.retry_after is not None
                                              and result.error != "waiting for an earlier message")
                else:
                    await repo.failed(row.id, result.error or "failed")
                    stats.failed += 1
                    if result.error:
                        stats.errors.append(result.error)

    async def run(self, wake: asyncio.Event, stop: asyncio.Event, idle: float = 1.0) -> None:
        """Drain whenever woken (a reply was queued) or every ``idle`` seconds."""
        while not stop.is_set():
            try:
                await self.drain()
            except Exception:
                log.exception("outbox drain failed; trying again shortly")
            wake.clear()
            waiters = [asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())]
            _done, pending = await asyncio.wait(
                waiters, timeout=idle, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()

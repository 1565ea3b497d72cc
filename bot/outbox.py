"""Sends what the outbox holds: claimed atomically, rate-limited, retried, never dropped.

Telegram allows about 30 messages a second per bot and about one a second to one chat; a
short burst of replies to one chat is fine, a stream is not. 429 → wait ``retry_after``;
5xx and network errors → back off; 403 (blocked) → the person is marked unreachable.

The sender is a pipeline: while one batch goes out, the previous one's results are written
and the next batch is claimed, so the channel never waits for the database.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from storage.db import SessionFactory
from storage.models import Outbox
from storage.repos.messaging import OutboxRepo
from storage.repos.people import People

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
STALE_CLAIM = timedelta(minutes=5)
# How often a worker looks for such claims: a write, so not on every drain (a drain follows
# every inbound answer), yet often enough that a dead worker's rows wait little past STALE_CLAIM.
STALE_CHECK = timedelta(minutes=1)
# How long a claimed row may wait in this process (for its chat's pace or a channel pause)
# before it is handed back: well under STALE_CLAIM, so that no other worker ever takes a row
# this one still means to send.
HOLD = 60.0
# Per chat: a reply of up to BURST messages goes at once; otherwise one message a second.
BURST = 3
CHAT_INTERVAL = 1.0
WAITING_TURN = "waiting for its turn: the chat's pace or a pause of the channel"


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
    rate_limited: int = 0  # 429 answers
    released: int = 0  # handed back untried: their chat or channel had to wait
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Messages sent per second of this drain."""
        return self.sent / self.seconds if self.seconds else 0.0


def utc_now() -> datetime:
    return datetime.now(UTC)


class SendGate:
    """A channel's limit: an even stream of ``rate`` sends a second, and never more than
    ``window`` in any one second.

    A send counts from the moment it starts until one second after its answer arrives. The
    server counts a request when it arrives, which is after we start it and before we hear
    back, so however the network bunches requests up, the server never sees more than
    ``window`` in a second.
    """

    def __init__(self, rate: float, window: int, period: float = 1.0) -> None:
        self.spacing = 1.0 / rate
        self.window = max(1, window)
        self.period = period
        self._lock = asyncio.Lock()  # FIFO: waiters queue here instead of polling
        self._finished: deque[float] = deque()
        self._in_flight = 0
        self._next = 0.0
        self._freed = asyncio.Event()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        async with self._lock:
            while True:
                now = loop.time()
                while self._finished and self._finished[0] <= now - self.period:
                    self._finished.popleft()
                wait = self._next - now
                if self._in_flight + len(self._finished) >= self.window:
                    if not self._finished:  # everything is in flight: wait for an answer
                        self._freed.clear()
                        await self._freed.wait()
                        continue
                    wait = max(wait, self._finished[0] + self.period - now)
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            self._in_flight += 1
            # Keep to the schedule when a wake-up came late, so that small delays do not add
            # up to a slower stream; after a pause do not burst (the window caps it anyway).
            self._next = max(self._next + self.spacing, now + self.spacing / 2)
        try:
            yield
        finally:
            self._in_flight -= 1
            self._finished.append(loop.time())
            self._freed.set()


class ChatPace:
    """One chat: up to BURST replies at once, timed messages at least CHAT_INTERVAL apart,
    and on average no more than one message a second either way."""

    def __init__(self, now: float) -> None:
        self.tokens = float(BURST)
        self.at = now
        self.last = -math.inf

    def wait(self, now: float, burst: bool) -> float:
        tokens = min(BURST, self.tokens + (now - self.at) / CHAT_INTERVAL)
        wait = max(0.0, (1.0 - tokens) * CHAT_INTERVAL)
        if not burst:
            wait = max(wait, self.last + CHAT_INTERVAL - now)
        return wait

    def take(self, now: float) -> None:
        self.tokens = min(BURST, self.tokens + (now - self.at) / CHAT_INTERVAL) - 1.0
        self.at = self.last = now


@dataclass
class _Release:
    """A claimed row handed back untried, to be tried again after ``after`` seconds. With a
    ``reason`` (kept as the row's error) the chat's later messages wait behind it."""

    after: float
    reason: str | None = None


def _holds_chat(result: SendResult | _Release) -> bool:
    """Whether this row stays queued ahead of its chat's later messages: a retry, or a row
    handed back to wait for its turn."""
    if isinstance(result, _Release):
        return result.reason is not None
    return not result.ok and not result.unreachable


class OutboxWorker:
    def __init__(
        self, sessions: SessionFactory, senders: dict[str, ChannelSender],
        rates: dict[str, float] | None = None, clock: Callable[[], datetime] = utc_now,
        batch: int = 200, per_chat: frozenset[str] = frozenset({"telegram", "whatsapp"}),
        windows: dict[str, int] | None = None, hold: float = HOLD,
        purposes: tuple[str, ...] | None = None,
    ) -> None:
        """``rates``: messages a second per channel (an even stream); ``windows``: the most
        in any one second (default: the rate rounded up, plus one for jitter — Telegram's
        29/s gives 30, its documented limit); ``per_chat``: channels with a per-chat pace;
        ``purposes``: send only messages of these purposes (a web worker: its replies)."""
        self.sessions = sessions
        self.purposes = purposes
        self.senders = senders
        self.clock = clock
        self.batch = batch
        self.hold = hold
        rates = rates or {}
        windows = windows or {}
        self.gates = {
            ch: SendGate(rates.get(ch, 29.0),
                         windows.get(ch, math.ceil(rates.get(ch, 29.0)) + 1))
            for ch in senders
        }
        self.per_chat = per_chat
        self.chats: dict[tuple[str, str], ChatPace] = {}
        self.paused_until: dict[str, float] = defaultdict(float)
        self.stale_checked: datetime | None = None

    # --- the drain loop --------------------------------------------------------------------

    async def drain(self, address: str | None = None, until_empty: bool = True) -> DrainStats:
        """Send everything due now; with ``until_empty`` keep going while more is due."""
        stats = DrainStats()
        loop = asyncio.get_running_loop()
        started = loop.time()
        now = self.clock()
        if self.stale_checked is None or not timedelta(0) <= now - self.stale_checked < STALE_CHECK:
            async with self.sessions() as session, session.begin():
                await OutboxRepo(session).requeue_stale(now, STALE_CLAIM)
            self.stale_checked = now
        recording: asyncio.Task[None] | None = None
        held: set[tuple[str, str]] = set()  # chats whose last message did not go out
        rows = await self._claim(address)
        while rows:
            sending = asyncio.create_task(self._send_rows(rows, loop.time(), held))
            # While this batch goes out: write the last one's results, claim the next.
            if recording is not None:
                await recording
                recording = None
            upcoming = await self._claim(address) if until_empty else []
            results = await sending
            held = {(row.channel, row.address) for row in rows if _holds_chat(results[row.id])}
            recording = asyncio.create_task(self._record(rows, results, stats))
            rows = upcoming
            if not rows and until_empty:
                # Written results may free a chat's next message: look once more.
                await recording
                recording = None
                rows = await self._claim(address)
        if recording is not None:
            await recording
        stats.seconds = loop.time() - started
        return stats

    async def _claim(self, address: str | None) -> list[Outbox]:
        async with self.sessions() as session, session.begin():
            return await OutboxRepo(session).claim(
                list(self.senders), self.clock(), self.batch, address, self.purposes)

    async def _send_rows(self, rows: list[Outbox], claimed: float,
                         held: set[tuple[str, str]]) -> dict[int, SendResult | _Release]:
        """Send a claimed batch, each chat in order. Chats in ``held`` had a message fail in
        the batch before (claimed before we knew): theirs go back, to follow that one."""
        by_chat: dict[tuple[str, str], list[Outbox]] = defaultdict(list)
        results: dict[int, SendResult | _Release] = {}
        for row in rows:
            if (row.channel, row.address) in held:
                results[row.id] = _Release(0.0)
            else:
                by_chat[(row.channel, row.address)].append(row)
        loop = asyncio.get_running_loop()

        async def one_chat(chat_rows: list[Outbox]) -> None:
            for i, row in enumerate(chat_rows):
                wait = self._wait(row, loop.time())
                if loop.time() + wait - claimed > self.hold:
                    for later in chat_rows[i:]:
                        results[later.id] = _Release(wait, WAITING_TURN)
                    return
                if wait > 0:
                    await asyncio.sleep(wait)
                result = await self._send_one(row)
                results[row.id] = result
                if not result.ok:
                    # Keep the chat's order: what follows a failed message waits for it.
                    for later in chat_rows[i + 1:]:
                        results[later.id] = _Release(0.0)
                    return

        await asyncio.gather(*(one_chat(r) for r in by_chat.values()))
        return results

    def _wait(self, row: Outbox, now: float) -> float:
        """Seconds before ``row`` may go: its channel's pause after a 429, its chat's pace."""
        wait = max(0.0, self.paused_until[row.channel] - now)
        if row.channel in self.per_chat:
            pace = self._pace(row.channel, row.address, now)
            wait = max(wait, pace.wait(now + wait, burst=row.purpose == "reply"))
        return wait

    def _pace(self, channel: str, address: str, now: float) -> ChatPace:
        key = (channel, address)
        pace = self.chats.get(key)
        if pace is None:
            if len(self.chats) > 50_000:  # forget chats quiet for longer than a burst refills
                self.chats = {k: p for k, p in self.chats.items()
                              if now - p.at < BURST * CHAT_INTERVAL}
            pace = self.chats[key] = ChatPace(now)
        return pace

    async def _send_one(self, row: Outbox) -> SendResult:
        sender = self.senders[row.channel]
        loop = asyncio.get_running_loop()
        async with self.gates[row.channel].slot():
            if row.channel in self.per_chat:
                self._pace(row.channel, row.address, loop.time()).take(loop.time())
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

    async def _record(self, rows: list[Outbox], results: dict[int, SendResult | _Release],
                      stats: DrainStats) -> None:
        now = self.clock()
        delivered: list[tuple[int, str | None]] = []
        released: dict[tuple[int, str | None], list[int]] = defaultdict(list)
        async with self.sessions() as session, session.begin():
            repo = OutboxRepo(session)
            for row in rows:
                result = results[row.id]
                if isinstance(result, SendResult) and result.retry_after is not None:
                    stats.rate_limited += 1
                if isinstance(result, _Release):
                    released[(math.ceil(result.after), result.reason)].append(row.id)
                    stats.released += 1
                elif result.ok:
                    delivered.append((row.id, result.external_id))
                elif result.unreachable:
                    await repo.failed(row.id, result.error or "unreachable")
                    await People(session).mark_blocked(
                        row.channel, row.address, row.person_id, now,
                        result.error or "unreachable")
                    stats.failed += 1
                elif (result.retry_after or result.transient) and row.attempts + 1 < MAX_ATTEMPTS:
                    delay = result.retry_after or min(2 ** (row.attempts + 1), 300)
                    await repo.retry(row.id, now + timedelta(seconds=delay),
                                     result.error or "retry")
                    stats.retried += 1
                else:
                    await repo.failed(row.id, result.error or "failed")
                    stats.failed += 1
                    if result.error:
                        stats.errors.append(result.error)
            await repo.sent_many(delivered, now)
            stats.sent += len(delivered)
            for (after, reason), ids in released.items():
                await repo.release(ids, now + timedelta(seconds=after), reason)

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

"""Sends what the outbox holds: claimed atomically, rate-limited, retried, never dropped.

Telegram allows about 30 messages a second per bot and about one a second to one chat; a
short burst of replies to one chat is fine, a stream is not. 429 → wait ``retry_after`` (not
a failed try); 5xx and network errors → back off, up to MAX_PAUSE, for as long as the message
still matters (LIFETIME); 403 (blocked) → the person is marked unreachable.

The order is the outbox's (replies, then time-sensitive notices, then routine bulk, schools
taking turns: ``OutboxRepo.claim``). The sender claims a fraction of a second's worth at a
time, and the next claim is made as the last few of a batch go out, so a reply queued now
waits for at most about two such batches, however long the backlog. Each acceptance is
written as it comes (a few at a time, while the next ones go out): a process killed
mid-send leaves only those few unrecorded, to be sent again. Every process says it is alive
(``outbox_process``); what a process that stopped being seen had claimed goes back at once.
On PostgreSQL the processes of one bot share one sending schedule in the database
(``send_budget``), so together they keep to the bot's limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import uuid
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from storage.db import SessionFactory
from storage.models import Outbox
from storage.repos.messaging import BULK, NOTICE, REPLY, OutboxRepo
from storage.repos.people import People

log = logging.getLogger(__name__)

# Claims of a process that never said it was alive (written before processes did) count
# as abandoned after this long.
STALE_CLAIM = timedelta(minutes=5)
# A process says it is alive this often (a write, with the look for dead processes' claims);
# one not seen for DEAD_AFTER is dead, and what it had claimed is sent by the others.
BEAT = timedelta(seconds=5)
DEAD_AFTER = timedelta(seconds=20)
# How long a claimed row may wait in this process (for its chat's pace or a channel pause)
# before it is handed back: a row waiting here would hold the next claim (and the replies
# in it) back, and a dead process's rows are only handed back by the others.
HOLD = 1.0
# A channel paused (a 429's retry_after) longer than this hands its claimed rows back.
PAUSE_HOLD = 60.0
# How much to claim at once, in seconds of sending at the channel's rate: the longest a
# reply waits behind bulk already claimed is about twice this.
LOOKAHEAD = 0.2
# Per chat: a reply of up to BURST messages goes at once; otherwise one message a second.
BURST = 3
CHAT_INTERVAL = 1.0
WAITING_TURN = "waiting for its turn: the chat's pace or a pause of the channel"
# A temporary fault is retried with a growing pause, never longer than MAX_PAUSE, for as long
# as the message still matters: the next question of a conversation for a day, a notice half
# a day, a routine reminder six hours. Only then is it given up, and reported.
MAX_PAUSE = 300
LIFETIME = {REPLY: timedelta(hours=24), NOTICE: timedelta(hours=12), BULK: timedelta(hours=6)}
# The least time between two writes of results (see _record_loop).
RECORD_EVERY = 0.1
# Slots of the shared schedule taken at once (one write each time).
SHARED_SLOTS = 3


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


class SharedSchedule:
    """One channel's sending moments, taken from the database a few at a time
    (``OutboxRepo.take_slots``): every process of the bot draws from the same schedule."""

    def __init__(self, sessions: SessionFactory, channel: str, rate: float) -> None:
        self.sessions = sessions
        self.channel = channel
        self.spacing = 1.0 / rate
        self._slots: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        """Until this process's next moment (wall clock: it is shared between processes)."""
        async with self._lock:
            while self._slots and self._slots[0] < time.time() - self.spacing:
                self._slots.popleft()  # moments passed unused (the batch ended)
            if not self._slots:
                async with self.sessions() as session, session.begin():
                    first = await OutboxRepo(session).take_slots(
                        self.channel, time.time(), SHARED_SLOTS, self.spacing)
                self._slots.extend(first + i * self.spacing for i in range(SHARED_SLOTS))
            at = self._slots.popleft()
        delay = at - time.time()
        if delay > 0:
            await asyncio.sleep(delay)


class OutboxWorker:
    def __init__(
        self, sessions: SessionFactory, senders: dict[str, ChannelSender],
        rates: dict[str, float] | None = None, clock: Callable[[], datetime] = utc_now,
        batch: int | None = None, per_chat: frozenset[str] = frozenset({"telegram", "whatsapp"}),
        windows: dict[str, int] | None = None, hold: float = HOLD,
        purposes: tuple[str, ...] | None = None, most: int | None = None,
        shared: frozenset[str] = frozenset(), paid: dict[str, float] | None = None,
        wall: Callable[[], datetime] = utc_now,
    ) -> None:
        """``rates``: messages a second per channel (an even stream); ``windows``: the most
        in any one second (default: the rate rounded up, plus one for jitter — Telegram's
        29/s gives 30, its documented limit); ``per_chat``: channels with a per-chat pace;
        ``purposes`` / ``most``: send only messages of these purposes / up to this priority
        (a web worker: its replies); ``shared``: channels whose rate all processes share
        through the database; ``paid``: channels whose routine bulk goes as paid broadcast
        at this rate; ``wall``: the clock of process liveness (``clock`` may be a moment
        replayed by ``tick --now``); ``batch``: rows per claim (default: LOOKAHEAD seconds
        of sending at the slowest rate)."""
        self.sessions = sessions
        self.purposes = purposes
        self.most = most
        self.senders = senders
        self.clock = clock
        self.wall = wall
        self.hold = hold
        rates = rates or {}
        windows = windows or {}
        self.gates = {
            ch: SendGate(rates.get(ch, 29.0),
                         windows.get(ch, math.ceil(rates.get(ch, 29.0)) + 1))
            for ch in senders
        }
        self.paid = paid or {}
        self.paid_gates = {ch: SendGate(rate, math.ceil(rate) + 1)
                           for ch, rate in self.paid.items() if ch in senders}
        self.schedules = {ch: SharedSchedule(sessions, ch, rates.get(ch, 29.0))
                          for ch in shared if ch in senders}
        slowest = min([rates.get(ch, 29.0) for ch in senders] or [29.0])
        self.batch = batch or max(4, min(200, math.ceil(slowest * LOOKAHEAD)))
        self.per_chat = per_chat
        self.chats: dict[tuple[str, str], ChatPace] = {}
        self.paused_until: dict[str, float] = defaultdict(float)
        self.process = uuid.uuid4().hex
        self.seen: datetime | None = None
        # Results waiting to be written, and the writer.
        self._results: list[tuple[Outbox, SendResult | _Release]] = []
        self._result_ready = asyncio.Event()
        self._recorder: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()  # nothing waits to be written
        self._idle.set()
        self._hurry = asyncio.Event()  # the drain waits for the results: write now
        self._stats = DrainStats()

    # --- liveness --------------------------------------------------------------------------

    async def _beat(self) -> None:
        """Say this process is alive, and hand back what dead ones had claimed."""
        wall = self.wall()
        if self.seen is not None and timedelta(0) <= wall - self.seen < BEAT:
            return
        async with self.sessions() as session, session.begin():
            repo = OutboxRepo(session)
            await repo.alive(self.process, wall)
            returned = await repo.hand_back_dead(wall, DEAD_AFTER)
            returned += await repo.requeue_stale(self.clock(), STALE_CLAIM)
        if returned:
            log.warning("%s messages claimed by a stopped process go out again", returned)
        self.seen = wall

    async def _keep_beating(self) -> None:
        """While a drain holds claims (a batch may wait out a channel's pause)."""
        while True:
            await asyncio.sleep(BEAT.total_seconds())
            try:
                await self._beat()
            except Exception:
                log.exception("could not say this process is alive")

    async def stop(self, leaving: bool = True) -> None:
        """Stopping cleanly (or after a drain failed half-way): what was sent is written,
        whatever was claimed and not sent goes back at once."""
        taken, self._results = self._results, []
        if taken:
            await self._write(taken, self._stats)
        async with self.sessions() as session, session.begin():
            await OutboxRepo(session).stopped(self.process, leaving)

    # --- the drain loop --------------------------------------------------------------------

    async def drain(self, address: str | None = None, until_empty: bool = True) -> DrainStats:
        """Send everything due now; with ``until_empty`` keep going while more is due."""
        stats = self._stats = DrainStats()
        loop = asyncio.get_running_loop()
        started = loop.time()
        await self._beat()
        beating = asyncio.create_task(self._keep_beating())
        self._recorder = asyncio.create_task(self._record_loop())
        sending: asyncio.Task[dict[int, SendResult | _Release]] | None = None
        try:
            held: set[tuple[str, str]] = set()  # chats whose last message did not go out
            rows = await self._claim(address)
            while rows:
                almost = asyncio.Event()
                sending = asyncio.create_task(self._send_rows(rows, loop.time(), held, almost))
                # As the last few of this batch go out: write what is known, claim the next.
                waiter = asyncio.create_task(almost.wait())
                await asyncio.wait([sending, waiter], return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                await self._flush()
                upcoming = await self._claim(address) if until_empty else []
                results = await sending
                held = {(row.channel, row.address) for row in rows
                        if _holds_chat(results[row.id])}
                rows = upcoming
                if not rows and until_empty and held:
                    # A retry or a row handed back may free its chat's next message once
                    # written: look once more.
                    await self._flush()
                    held = set()
                    rows = await self._claim(address)
            await self._flush()
        finally:
            if sending is not None:
                sending.cancel()
            self._recorder.cancel()
            beating.cancel()
            await asyncio.gather(self._recorder, beating, *([sending] if sending else []),
                                 return_exceptions=True)
            self._recorder = None
        stats.seconds = loop.time() - started
        return stats

    async def _claim(self, address: str | None) -> list[Outbox]:
        async with self.sessions() as session, session.begin():
            return await OutboxRepo(session).claim(
                list(self.senders), self.clock(), self.batch, address, self.purposes,
                by=self.process, most=self.most)

    async def _send_rows(self, rows: list[Outbox], claimed: float, held: set[tuple[str, str]],
                         almost: asyncio.Event) -> dict[int, SendResult | _Release]:
        """Send a claimed batch, each chat in order, handing each result to the recorder as
        it comes. Chats in ``held`` had a message fail in the batch before (claimed before
        we knew): theirs go back, to follow that one. ``almost`` is set when only the last
        few rows are left."""
        by_chat: dict[tuple[str, str], list[Outbox]] = defaultdict(list)
        results: dict[int, SendResult | _Release] = {}
        low = max(2, len(rows) // 2)

        def done(row: Outbox, result: SendResult | _Release) -> None:
            results[row.id] = result
            self._results.append((row, result))
            self._idle.clear()
            self._result_ready.set()
            if len(rows) - len(results) <= low:
                almost.set()

        for row in rows:
            if (row.channel, row.address) in held:
                done(row, _Release(0.0))
            else:
                by_chat[(row.channel, row.address)].append(row)
        loop = asyncio.get_running_loop()

        async def one_chat(chat_rows: list[Outbox]) -> None:
            for i, row in enumerate(chat_rows):
                now = loop.time()
                wait = self._wait(row, now)
                # A pause of the whole channel (a 429) holds every row alike: wait it out
                # unless it is long; a chat's own pace hands its rows back after ``hold``.
                pause = self.paused_until[row.channel] - now
                if (pause > PAUSE_HOLD) if pause > 0 else (
                        wait > 0 and now + wait - claimed > self.hold):
                    for later in chat_rows[i:]:
                        done(later, _Release(wait, WAITING_TURN))
                    return
                if wait > 0:
                    await asyncio.sleep(wait)
                result = await self._send_one(row)
                done(row, result)
                if not result.ok:
                    # Keep the chat's order: what follows a failed message waits for it.
                    for later in chat_rows[i + 1:]:
                        done(later, _Release(0.0))
                    return

        await asyncio.gather(*(one_chat(r) for r in by_chat.values()))
        almost.set()
        return results

    def _wait(self, row: Outbox, now: float) -> float:
        """Seconds before ``row`` may go: its channel's pause after a 429, its chat's pace."""
        wait = max(0.0, self.paused_until[row.channel] - now)
        if row.channel in self.per_chat:
            pace = self._pace(row.channel, row.address, now)
            burst = row.priority == REPLY or row.purpose == "reply"
            wait = max(wait, pace.wait(now + wait, burst=burst))
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
        paid = row.priority == BULK and row.channel in self.paid_gates
        gate = self.paid_gates[row.channel] if paid else self.gates[row.channel]
        schedule = None if paid else self.schedules.get(row.channel)
        if schedule is not None:
            await schedule.wait()
        async with gate.slot():
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

    # --- recording, as results come ----------------------------------------------------------

    async def _record_loop(self) -> None:
        """Write results as they come: each write takes whatever arrived while the last one
        was being written, so few accepted messages are ever unrecorded at once."""
        while True:
            await self._result_ready.wait()
            self._result_ready.clear()
            while self._results:
                taken, self._results = self._results, []
                try:
                    await self._write(taken, self._stats)
                    # One write per RECORD_EVERY at most (unless the drain waits for it):
                    # about three messages at 29 a second wait to be written, for far
                    # fewer transactions.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._hurry.wait(), RECORD_EVERY)
                except Exception:
                    # The database is away: keep the results and write them when it is back
                    # (the rows stay claimed by this live process meanwhile).
                    log.exception("recording %s outbox results failed; trying again", len(taken))
                    self._results[:0] = taken
                    await asyncio.sleep(1.0)
            self._hurry.clear()
            self._idle.set()

    async def _flush(self) -> None:
        """Until every result so far is written."""
        self._hurry.set()
        await self._idle.wait()

    async def _write(self, taken: list[tuple[Outbox, SendResult | _Release]],
                     stats: DrainStats) -> None:
        now = self.clock()
        delivered: list[tuple[int, str | None]] = []
        released: dict[tuple[int, str | None], list[int]] = defaultdict(list)
        async with self.sessions() as session, session.begin():
            repo = OutboxRepo(session)
            for row, result in taken:
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
                elif result.retry_after is not None:
                    # Told to slow down: not a failed try, and never a reason to give up.
                    stats.rate_limited += 1
                    await repo.retry(row.id, now + timedelta(seconds=result.retry_after),
                                     result.error or "429", attempt=False)
                    stats.retried += 1
                elif result.transient and now < row.created_at + LIFETIME.get(
                        row.priority, LIFETIME[BULK]):
                    delay = min(2 ** (row.attempts + 1), MAX_PAUSE)
                    await repo.retry(row.id, now + timedelta(seconds=delay),
                                     result.error or "retry")
                    stats.retried += 1
                else:
                    error = result.error or "failed"
                    if result.transient:
                        error = f"given up after {row.attempts + 1} tries: {error}"
                    await repo.failed(row.id, error)
                    stats.failed += 1
                    stats.errors.append(error)
            await repo.sent_many(delivered, now)
            stats.sent += len(delivered)
            for (after, reason), ids in released.items():
                await repo.release(ids, now + timedelta(seconds=after), reason)

    async def run(self, wake: asyncio.Event, stop: asyncio.Event, idle: float = 1.0) -> None:
        """Drain whenever woken (a reply was queued) or every ``idle`` seconds."""
        try:
            while not stop.is_set():
                # Cleared before draining: a reply queued during the drain wakes the next.
                wake.clear()
                try:
                    await self.drain()
                except Exception:
                    log.exception("outbox drain failed; trying again shortly")
                    # Nothing of this process is being sent now: what it holds goes back.
                    with contextlib.suppress(Exception):
                        await self.stop(leaving=False)
                waiters = [asyncio.ensure_future(wake.wait()),
                           asyncio.ensure_future(stop.wait())]
                _done, pending = await asyncio.wait(
                    waiters, timeout=idle, return_when=asyncio.FIRST_COMPLETED)
                for task in pending:
                    task.cancel()
        finally:
            try:
                await asyncio.shield(self.stop())
            except Exception:
                log.exception("could not hand back this process's claims")

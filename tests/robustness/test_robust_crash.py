"""Crash recovery: the whole trial cycle of tests/test_trial_cycle.py, killed at every step.

Each step of the cycle — every update a person sends, every tick of the scheduler — is first
killed mid-way, several times: at its first SQL statements, then at growing intervals, and
once just before COMMIT reaches the database. A kill is an exception that is not an
``Exception`` (nothing in the service catches it, as nothing catches a SIGKILL): the
transaction dies with it and the connection is dropped. After each kill the database must be
exactly as before the step (for an update: all or nothing), and the same update is delivered
again to a fresh service. Once a step has gone through, it is delivered once more, as
Telegram does after a lost answer: a duplicate, which must change nothing. Ticks are
re-run the same way (earlier jobs of a killed tick may have committed: the re-run must not
repeat them).

The cycle's own assertions check every message each person gets; on top, the messages sent
and the outbox (purpose × status) must equal those of the same cycle run without any kill,
in a database of its own: nothing lost, nothing repeated.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import event, func, select

from bot.runtime import tick
from bot.service import Service
from bot.telegram import make_dispatcher
from storage.models import Outbox

from ..demo_school import DemoSchool
from ..harness import harness
from ..test_trial_cycle import test_a_whole_trial_through_the_bot_and_the_scheduler as cycle
from .support import figure, snapshot

SEND_METHODS = {"sendmessage", "sendphoto", "senddocument"}
# Kill points within a step: these statement numbers (as long as the step has that many),
# and the moment before COMMIT.
STATEMENT_POINTS = (1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233)


class Killed(BaseException):
    """The process died here (not an Exception: nothing catches it)."""


class Killer:
    """Raises :class:`Killed` at the n-th SQL statement, or at COMMIT, while armed."""

    def __init__(self, engine: Any) -> None:
        self.at: int | None = None
        self.at_commit = False
        self.count = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._statement)
        event.listen(engine.sync_engine, "commit", self._commit)

    def arm(self, at: int | None = None, at_commit: bool = False) -> None:
        self.at, self.at_commit, self.count = at, at_commit, 0

    def disarm(self) -> None:
        self.at, self.at_commit = None, False

    def _statement(self, *_args: Any) -> None:
        if self.at is not None:
            self.count += 1
            if self.count >= self.at:
                self.disarm()
                raise Killed(f"statement {self.count}")

    def _commit(self, *_args: Any) -> None:
        if self.at_commit:
            self.disarm()
            raise Killed("before COMMIT")


class Crashes:
    """Wraps the harness's two entry points (an update, a tick) with the kills."""

    def __init__(self, h: Any) -> None:
        self.h = h
        self.killer = Killer(h.engine)
        self.feed_raw = h.feed_raw
        self.points = 0
        self.steps = 0
        self.duplicates = 0

    def fresh_service(self) -> None:
        """The service started again after the kill (nothing of the old one is kept)."""
        h = self.h
        h.service = Service(h.sessions, h.config)
        h.dispatcher = make_dispatcher(h.service.process, clock=h.clock)

    async def _attempts(self, run: Any, atomic: bool) -> None:
        for point in ((None, True), *((n, False) for n in STATEMENT_POINTS)):
            before = await snapshot(self.h) if atomic else None
            self.killer.arm(at=point[0], at_commit=point[1])
            try:
                await run()
            except Killed:
                self.points += 1
                self.fresh_service()
                if atomic:
                    assert await snapshot(self.h) == before, "a killed step left a trace"
                continue
            finally:
                self.killer.disarm()
            return  # the step had fewer statements than this point: it went through
        await run()  # killed at every point: now it goes through

    async def update(self, update: dict[str, Any]) -> None:
        self.steps += 1
        await self._attempts(lambda: self.feed_raw(update), atomic=True)
        # Telegram delivers it again (our answer was lost): a duplicate, nothing changes.
        before = await snapshot(self.h)
        outbox = await self._outbox()
        await self.feed_raw(update)
        assert await snapshot(self.h) == before and await self._outbox() == outbox
        self.duplicates += 1

    async def run_tick(self, at: datetime | None = None) -> None:
        """The scheduler's tick at ``at``, killed; then delivery (sending is not killed: a
        kill between the channel's "accepted" and our "sent" would send twice, the one
        window at-least-once delivery leaves)."""
        self.steps += 1
        h = self.h
        if at is not None:
            h.clock.set(at)
        moment = h.clock.now
        await self._attempts(lambda: tick(h.runtime, moment, deliver=False), atomic=False)
        outbox = await self._outbox()
        await tick(h.runtime, moment, deliver=False)  # the same moment again: nothing new
        assert await self._outbox() == outbox
        self.duplicates += 1
        await h.deliver()

    async def _outbox(self) -> int:
        async with self.h.db() as s:
            return int(await s.scalar(select(func.count()).select_from(Outbox)) or 0)


async def outcome(h: Any) -> tuple[Counter[tuple[str, str]], Counter[tuple[str, str]]]:
    """What was sent (method, text) and what the outbox holds (purpose, status)."""
    sent = Counter((m.method, m.text) for m in h.fake.sent if m.method in SEND_METHODS)
    async with h.db() as s:
        rows = Counter((p, st) for p, st in await s.execute(
            select(Outbox.purpose, Outbox.status)))
    return sent, rows


async def test_the_trial_cycle_killed_at_every_step_loses_and_repeats_nothing(
        h, template_db, tmp_path):
    # The same cycle without kills, in a database of its own: the reference.
    (tmp_path / "reference").mkdir()
    reference_url = await template_db.copy(tmp_path / "reference")
    async with harness(reference_url, tmp_path / "reference-media") as ref:
        await cycle(ref, await DemoSchool.load(ref))
        expected = await outcome(ref)
    await template_db.drop(reference_url)

    crashes = Crashes(h)
    h.feed_raw = crashes.update
    h.tick = crashes.run_tick
    await cycle(h, await DemoSchool.load(h))  # its own assertions hold after every kill
    sent, rows = await outcome(h)
    assert rows == expected[1], "the outbox differs from the run without kills"
    assert sent == expected[0], "a message was lost or sent twice"
    figure(f"crash recovery: {crashes.steps} steps of the trial cycle, "
           f"{crashes.points} kill points (each followed by a redelivery to a fresh service), "
           f"{crashes.duplicates} duplicate deliveries after success; "
           f"{sum(sent.values())} messages sent, as without kills")

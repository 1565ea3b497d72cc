"""Inbound de-duplication and the outbox."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Outbox, OutboxProcess, OutboxStatus, Person, ProcessedInbound, SendBudget

from .sql import chunks, insert_ignore, upsert

# The outbox's priorities (Outbox.priority): lower goes first.
REPLY = 0  # answers the person who just wrote: a reply, the next question, a refusal
NOTICE = 1  # time-sensitive: a trial moved or cancelled close to its day, a mentor who cannot come
BULK = 2  # routine timed messages: reminders, digests, summaries


class InboundLog:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, channel: str, external_id: str, now: datetime) -> bool:
        """Record an inbound id; False if it was handled before (or is being handled now —
        on PostgreSQL the second transaction waits for the first and then sees the row)."""
        result = await self.session.execute(
            insert_ignore(self.session, ProcessedInbound),
            {"channel": channel, "external_id": external_id, "received_at": now})
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def forget_before(self, cutoff: datetime) -> int:
        result = await self.session.execute(
            delete(ProcessedInbound).where(ProcessedInbound.received_at < cutoff))
        return result.rowcount  # type: ignore[attr-defined,no-any-return]


_CLAIMS: dict[tuple[Any, ...], Any] = {}
STOPPED = "claimed by a process that stopped before sending finished"


class OutboxRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self, *, person_id: int | None, channel: str, address: str, purpose: str,
        payload: dict[str, Any], now: datetime, dedup_key: str | None = None,
        trial_id: int | None = None, not_before: datetime | None = None,
        priority: int = BULK, lane: int | None = None, fair_seq: int = 0,
    ) -> bool:
        """Queue a message; False when ``dedup_key`` was queued before (nothing is added).
        ``priority``, ``lane``, ``fair_seq``: its place in the order (see :meth:`fair_turns`)."""
        result = await self.session.execute(insert_ignore(self.session, Outbox), {
            "person_id": person_id, "channel": channel, "address": address,
            "purpose": purpose, "payload": payload, "dedup_key": dedup_key,
            "trial_id": trial_id, "status": str(OutboxStatus.QUEUED), "attempts": 0,
            "not_before": not_before or now, "created_at": now, "priority": priority,
            "lane": lane, "fair_seq": fair_seq})
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def fair_turns(
        self, wanted: list[tuple[int, int | None, str, str]],
    ) -> list[tuple[int | None, int]]:
        """Places in the order for messages about to be queued, each given as (priority,
        recipient, channel, address): (lane, fair_seq) each.

        Start-time fair queueing: each school (the recipient's: its lane) has its own
        sequence, which starts at the order's current position (the lowest ``fair_seq``
        still queued at that priority). A school queueing 300 messages gets 300 turns
        from here; a school queueing its digest a moment later gets the next turn after
        the current one, not the 301st. Replies need no turns: they are few and first.

        A chat that gets a message of a higher priority has its earlier queued messages
        raised to it, so that the chat still receives its messages in order.
        """
        fair = [w for w in wanted if w[0] > REPLY]
        schools: dict[int, int | None] = {}
        ids = {person for _p, person, _c, _a in fair if person is not None}
        for chunk in chunks(sorted(ids)):
            schools.update((await self.session.execute(
                select(Person.id, Person.school_id).where(Person.id.in_(chunk)))).all())
        start: dict[int, int] = {}
        last: dict[tuple[int, int | None], int] = {}
        for priority in {w[0] for w in fair}:
            start[priority] = int(await self.session.scalar(
                select(func.min(Outbox.fair_seq)).where(
                    Outbox.status == OutboxStatus.QUEUED, Outbox.priority == priority)) or 0)
            lanes = {schools.get(person) if person is not None else None
                     for p, person, _c, _a in fair if p == priority}
            known = sorted(lane for lane in lanes if lane is not None)
            for chunk in chunks(known) if known else [[]]:
                where: ColumnElement[bool] = Outbox.lane.in_(chunk)
                if None in lanes:
                    where = or_(where, Outbox.lane.is_(None))
                for lane, seq in (await self.session.execute(
                        select(Outbox.lane, func.max(Outbox.fair_seq))
                        .where(Outbox.status == OutboxStatus.QUEUED,
                               Outbox.priority == priority, where)
                        .group_by(Outbox.lane))).all():
                    last[(priority, lane)] = int(seq or 0)
        turns: list[tuple[int | None, int]] = []
        raised: set[tuple[str, str, int]] = set()
        for priority, person, channel, address in wanted:
            lane, seq = None, 0
            if priority > REPLY:
                lane = schools.get(person) if person is not None else None
                seq = max(start[priority], last.get((priority, lane), 0)) + 1
                last[(priority, lane)] = seq
            if priority < BULK and (channel, address, priority) not in raised:
                raised.add((channel, address, priority))
                await self.session.execute(
                    update(Outbox).where(
                        Outbox.channel == channel, Outbox.address == address,
                        Outbox.status == OutboxStatus.QUEUED, Outbox.priority > priority)
                    .values(priority=priority, fair_seq=seq)
                    .execution_options(synchronize_session=False))
            turns.append((lane, seq))
        return turns

    async def claim(
        self, channels: list[str], now: datetime, limit: int = 100, address: str | None = None,
        purposes: tuple[str, ...] | None = None, by: str | None = None,
        most: int | None = None,
    ) -> list[Outbox]:
        """Take up to ``limit`` due messages for sending (status ``sending``, claimed ``by``
        a process). Rows are locked and skipped by other workers on PostgreSQL; SQLite has
        one writer at a time anyway. ``most``: only priorities up to this one.

        The order: priority, then schools in turn (``fair_seq``, see :meth:`fair_turns`),
        then first come, first served. A chat's message is not taken while an earlier one of
        the same chat waits for a retry, is being sent, or is due but left to another
        process's claim (:meth:`_in_turn`), so that each chat receives its messages in order
        even with several senders whose claims race (a row left "sending" by a dead process
        is handed back within seconds, and the chat goes on).
        """
        shape = (tuple(channels), limit, address is not None, purposes, most)
        due = _CLAIMS.get(shape)
        if due is None:  # built once per shape: a sender claims many times a second
            earlier = aliased(Outbox)
            blocked = exists().where(
                earlier.channel == Outbox.channel, earlier.address == Outbox.address,
                earlier.id < Outbox.id,
                or_(earlier.status == OutboxStatus.SENDING,
                    and_(earlier.status == OutboxStatus.QUEUED, earlier.error.is_not(None))),
            )
            due = (
                select(Outbox.id)
                # not_before in an expression: otherwise the planner (SQLite without
                # statistics) walks the (status, not_before) index and sorts the whole
                # backlog on every claim; walking ix_outbox_claim_order stops at ``limit``.
                .where(Outbox.status == OutboxStatus.QUEUED,
                       func.coalesce(Outbox.not_before, bindparam("now")) <= bindparam("now"),
                       Outbox.channel.in_(channels), ~blocked)
                .order_by(Outbox.priority, Outbox.fair_seq, Outbox.id)
                .limit(limit)
                .with_for_update(skip_locked=True, of=Outbox)
            )
            if most is not None:
                due = due.where(Outbox.priority <= most)
            if address is not None:
                due = due.where(Outbox.address == bindparam("address"))
            if purposes is not None:
                due = due.where(Outbox.purpose.in_(purposes))
            _CLAIMS[shape] = due
        params: dict[str, Any] = {"now": now}
        if address is not None:
            params["address"] = address
        ids = await self._in_turn(list(await self.session.scalars(due, params)), now)
        if not ids:
            return []
        await self.session.execute(
            update(Outbox).where(Outbox.id.in_(ids))
            .values(status=OutboxStatus.SENDING, claimed_at=now, claimed_by=by)
            .execution_options(synchronize_session=False)
        )
        rows = await self.session.scalars(
            select(Outbox).where(Outbox.id.in_(ids)).order_by(Outbox.id)
            .execution_options(populate_existing=True)
        )
        return list(rows)

    async def _in_turn(self, ids: list[int], now: datetime) -> list[int]:
        """Of the rows just selected, those whose chat has no earlier due, sending or
        retrying message outside this claim. Two senders' claims can race: one has locked a
        chat's first message but not yet marked it as being sent, and the other would take
        the second; this sees the first as due and leaves the second to its turn."""
        if not ids:
            return ids
        picked = (await self.session.execute(
            select(Outbox.id, Outbox.channel, Outbox.address).where(Outbox.id.in_(ids)))).all()
        chats = {(channel, address) for _id, channel, address in picked}
        first_outside: dict[tuple[str, str], int] = {}
        rows = await self.session.execute(
            select(Outbox.channel, Outbox.address, func.min(Outbox.id))
            .where(Outbox.address.in_(sorted({a for _c, a in chats})), Outbox.id.not_in(ids),
                   or_(Outbox.status == OutboxStatus.SENDING,
                       and_(Outbox.status == OutboxStatus.QUEUED,
                            func.coalesce(Outbox.not_before, now) <= now)))
            .group_by(Outbox.channel, Outbox.address))
        for channel, address, first in rows:
            if (channel, address) in chats:
                first_outside[(channel, address)] = first
        keep = {row_id for row_id, channel, address in picked
                if row_id < first_outside.get((channel, address), row_id + 1)}
        return [i for i in ids if i in keep]

    async def sent(self, row_id: int, now: datetime, external_id: str | None) -> None:
        await self.sent_many([(row_id, external_id)], now)

    async def sent_many(self, delivered: list[tuple[int, str | None]], now: datetime) -> None:
        """Rows the channel accepted: (row id, the channel's message id)."""
        if not delivered:
            return
        table = cast(Table, Outbox.__table__)
        await self.session.execute(
            update(table).where(table.c.id == bindparam("row_id")).values(
                status=OutboxStatus.SENT, sent_at=now, external_id=bindparam("ext"),
                error=None, attempts=table.c.attempts + 1),
            [{"row_id": row_id, "ext": ext} for row_id, ext in delivered],
        )
        # A reply to someone we do not know: nothing of theirs is kept once it is out.
        await self.session.execute(
            delete(Outbox).where(Outbox.id.in_([r for r, _ext in delivered]),
                                 Outbox.person_id.is_(None))
            .execution_options(synchronize_session=False)
        )

    async def retry(self, row_id: int, not_before: datetime, error: str,
                    attempt: bool = True) -> None:
        """A try that failed for now (5xx, network; a 429 with ``attempt`` False, since being
        told to slow down is not a failed try): queued again for ``not_before``."""
        await self.session.execute(
            update(Outbox).where(Outbox.id == row_id)
            .values(status=OutboxStatus.QUEUED, not_before=not_before, error=error[:500],
                    attempts=Outbox.attempts + int(attempt))
        )

    async def release(self, row_ids: list[int], not_before: datetime,
                      reason: str | None = None) -> None:
        """Claimed rows handed back untried (their chat or channel must wait). With a
        ``reason`` the chat's later messages stay behind them (see :meth:`claim`)."""
        if row_ids:
            await self.session.execute(
                update(Outbox).where(Outbox.id.in_(row_ids), Outbox.status == OutboxStatus.SENDING)
                .values(status=OutboxStatus.QUEUED, not_before=not_before, error=reason)
                .execution_options(synchronize_session=False)
            )

    async def failed(self, row_id: int, error: str) -> None:
        await self.session.execute(
            update(Outbox).where(Outbox.id == row_id)
            .values(status=OutboxStatus.FAILED, error=error[:500], attempts=Outbox.attempts + 1)
        )

    async def requeue_stale(self, now: datetime, older_than: timedelta) -> int:
        """Messages claimed, by no process we know of, longer ago than ``older_than``.
        The error keeps the chat's later messages behind them."""
        result = await self.session.execute(
            update(Outbox)
            .where(Outbox.status == OutboxStatus.SENDING, Outbox.claimed_by.is_(None),
                   or_(Outbox.claimed_at.is_(None), Outbox.claimed_at < now - older_than))
            .values(status=OutboxStatus.QUEUED, error=STOPPED)
        )
        return result.rowcount  # type: ignore[attr-defined,no-any-return]

    # --- the processes that send ------------------------------------------------------------

    async def alive(self, process: str, now: datetime) -> None:
        """``process`` is sending: seen ``now``."""
        await self.session.execute(
            upsert(self.session, OutboxProcess, ["id"], ["seen_at"]),
            {"id": process, "started_at": now, "seen_at": now})

    async def hand_back_dead(self, now: datetime, dead_after: timedelta) -> int:
        """What processes not seen for ``dead_after`` (or gone from the list) had claimed
        goes back to the queue at once; they are forgotten."""
        live = select(OutboxProcess.id).where(OutboxProcess.seen_at >= now - dead_after)
        result = await self.session.execute(
            update(Outbox)
            .where(Outbox.status == OutboxStatus.SENDING, Outbox.claimed_by.is_not(None),
                   Outbox.claimed_by.not_in(live))
            .values(status=OutboxStatus.QUEUED, error=STOPPED, claimed_by=None)
            .execution_options(synchronize_session=False))
        await self.session.execute(
            delete(OutboxProcess).where(OutboxProcess.seen_at < now - dead_after))
        return result.rowcount  # type: ignore[attr-defined,no-any-return]

    async def stopped(self, process: str, leaving: bool = True) -> int:
        """What ``process`` claimed and did not send goes back now: it is stopping cleanly
        (``leaving``), or a drain of its failed half-way."""
        result = await self.session.execute(
            update(Outbox).where(Outbox.status == OutboxStatus.SENDING,
                                 Outbox.claimed_by == process)
            .values(status=OutboxStatus.QUEUED, error=STOPPED, claimed_by=None))
        if leaving:
            await self.session.execute(
                delete(OutboxProcess).where(OutboxProcess.id == process))
        return result.rowcount  # type: ignore[attr-defined,no-any-return]

    # --- one bot's budget, shared by its processes ----------------------------------------

    async def take_slots(self, channel: str, now: float, count: int, spacing: float) -> float:
        """Reserve ``count`` moments, ``spacing`` seconds apart, on ``channel``'s shared
        schedule; returns the first (seconds since the epoch). One statement: the row lock
        orders processes taking slots at the same time."""
        await self.session.execute(insert_ignore(self.session, SendBudget),
                                   {"channel": channel, "next_at": now})
        end = await self.session.scalar(
            update(SendBudget).where(SendBudget.channel == channel)
            .values(next_at=case((SendBudget.next_at > now, SendBudget.next_at), else_=now)
                    + count * spacing)
            .returning(SendBudget.next_at))
        return float(end or now) - count * spacing

    async def pending_count(self, channels: list[str] | None = None) -> int:
        query = select(func.count()).select_from(Outbox).where(
            Outbox.status.in_([OutboxStatus.QUEUED, OutboxStatus.SENDING]))
        if channels is not None:
            query = query.where(Outbox.channel.in_(channels))
        return int(await self.session.scalar(query) or 0)

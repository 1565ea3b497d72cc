"""Inbound de-duplication and the outbox."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Outbox, OutboxStatus, ProcessedInbound

from .sql import insert_ignore


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


class OutboxRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self, *, person_id: int | None, channel: str, address: str, purpose: str,
        payload: dict[str, Any], now: datetime, dedup_key: str | None = None,
        trial_id: int | None = None, not_before: datetime | None = None,
    ) -> bool:
        """Queue a message; False when ``dedup_key`` was queued before (nothing is added)."""
        result = await self.session.execute(insert_ignore(self.session, Outbox), {
            "person_id": person_id, "channel": channel, "address": address,
            "purpose": purpose, "payload": payload, "dedup_key": dedup_key,
            "trial_id": trial_id, "status": str(OutboxStatus.QUEUED), "attempts": 0,
            "not_before": not_before or now, "created_at": now})
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def claim(
        self, channels: list[str], now: datetime, limit: int = 100, address: str | None = None,
        purposes: tuple[str, ...] | None = None,
    ) -> list[Outbox]:
        """Take up to ``limit`` due messages for sending (status ``sending``). Rows are locked
        and skipped by other workers on PostgreSQL; SQLite has one writer at a time anyway.

        A chat's message is not taken while an earlier one of the same chat waits for a
        retry, so that each chat receives its messages in order. (A message still marked as
        being sent does not hold the chat up: after a crash it may stay so for minutes.)
        """
        shape = (tuple(channels), limit, address is not None, purposes)
        due = _CLAIMS.get(shape)
        if due is None:  # built once per shape: a sender claims many times a second
            earlier = aliased(Outbox)
            blocked = exists().where(
                earlier.channel == Outbox.channel, earlier.address == Outbox.address,
                earlier.id < Outbox.id, earlier.status == OutboxStatus.QUEUED,
                earlier.error.is_not(None),
            )
            due = (
                select(Outbox.id)
                .where(Outbox.status == OutboxStatus.QUEUED,
                       Outbox.not_before <= bindparam("now"),
                       Outbox.channel.in_(channels), ~blocked)
                .order_by(Outbox.id)
                .limit(limit)
                .with_for_update(skip_locked=True, of=Outbox)
            )
            if address is not None:
                due = due.where(Outbox.address == bindparam("address"))
            if purposes is not None:
                due = due.where(Outbox.purpose.in_(purposes))
            _CLAIMS[shape] = due
        params: dict[str, Any] = {"now": now}
        if address is not None:
            params["address"] = address
        ids = list(await self.session.scalars(due, params))
        if not ids:
            return []
        await self.session.execute(
            update(Outbox).where(Outbox.id.in_(ids))
            .values(status=OutboxStatus.SENDING, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        rows = await self.session.scalars(
            select(Outbox).where(Outbox.id.in_(ids)).order_by(Outbox.id)
            .execution_options(populate_existing=True)
        )
        return list(rows)

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

    async def retry(self, row_id: int, not_before: datetime, error: str) -> None:
        """A try that failed for now (429, 5xx, network): queued again for ``not_before``."""
        await self.session.execute(
            update(Outbox).where(Outbox.id == row_id)
            .values(status=OutboxStatus.QUEUED, not_before=not_before, error=error[:500],
                    attempts=Outbox.attempts + 1)
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
        """Messages claimed by a process that died before it could say how sending went.
        The error keeps the chat's later messages behind them."""
        result = await self.session.execute(
            update(Outbox)
            .where(Outbox.status == OutboxStatus.SENDING,
                   or_(Outbox.claimed_at.is_(None), Outbox.claimed_at < now - older_than))
            .values(status=OutboxStatus.QUEUED,
                    error="claimed by a process that stopped before sending finished")
        )
        return result.rowcount  # type: ignore[attr-defined,no-any-return]

    async def pending_count(self, channels: list[str] | None = None) -> int:
        query = select(func.count()).select_from(Outbox).where(
            Outbox.status.in_([OutboxStatus.QUEUED, OutboxStatus.SENDING]))
        if channels is not None:
            query = query.where(Outbox.channel.in_(channels))
        return int(await self.session.scalar(query) or 0)

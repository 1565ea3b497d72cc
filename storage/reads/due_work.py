"""The queries behind due work: trials near a moment, and what the outbox already holds.

Everything here is a window query on an indexed column (``trial.starts_at``, ``trial.ends_at``,
``participant.added_at``, ``outbox.dedup_key``), so a tick stays cheap however many pupils and
past trials the database holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Outbox, OutboxStatus, Participant, Trial, TrialStatus
from storage.repos.sql import CHUNK, chunks


class DueWork:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def trial_ids_near(
        self, *, starts: tuple[datetime, datetime] | None = None,
        ends: tuple[datetime, datetime] | None = None,
        added: tuple[datetime, datetime] | None = None,
    ) -> list[int]:
        """Ids of trials not cancelled whose start, end, or a participant's addition falls in
        the given closed windows (each optional)."""
        found: set[int] = set()
        live = Trial.status != TrialStatus.CANCELLED
        if starts is not None:
            found.update(await self.session.scalars(
                select(Trial.id).where(Trial.starts_at.between(*starts), live)))
        if ends is not None:
            found.update(await self.session.scalars(
                select(Trial.id).where(Trial.ends_at.between(*ends), live)))
        if added is not None:
            found.update(await self.session.scalars(
                select(Participant.trial_id).join(Trial, Trial.id == Participant.trial_id)
                .where(Participant.added_at.between(*added), live).distinct()))
        return sorted(found)

    async def trials(self, ids: list[int]) -> list[Trial]:
        if not ids:
            return []
        return list(await self.session.scalars(
            select(Trial).where(Trial.id.in_(ids)).order_by(Trial.id)))

    async def added_at(self, trial_ids: list[int]) -> dict[int, dict[int, datetime]]:
        """trial id → pupil id → when the pupil was put on the trial."""
        result: dict[int, dict[int, datetime]] = {}
        if trial_ids:
            rows = await self.session.execute(
                select(Participant.trial_id, Participant.pupil_id, Participant.added_at)
                .where(Participant.trial_id.in_(trial_ids)))
            for trial_id, pupil_id, at in rows:
                result.setdefault(trial_id, {})[pupil_id] = at
        return result

    async def existing_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` the outbox already holds (queued, sent, failed or cancelled)."""
        wanted = sorted(set(keys))
        found: set[str] = set()
        for i in range(0, len(wanted), CHUNK):
            found.update(k for k in await self.session.scalars(
                select(Outbox.dedup_key).where(Outbox.dedup_key.in_(wanted[i:i + CHUNK])))
                if k is not None)
        return found

    async def waiting(self) -> list[Outbox]:
        """Keyed messages not sent yet that were held back when queued (quiet hours) or since
        (a retry): the answer they wait for may have come in the meantime."""
        return list(await self.session.scalars(
            select(Outbox).where(Outbox.status == OutboxStatus.QUEUED,
                                 Outbox.not_before > Outbox.created_at,
                                 Outbox.dedup_key.is_not(None))
            .order_by(Outbox.id)))

    async def cancel(self, row_ids: list[int], reason: str) -> int:
        """Withdraw queued messages that are no longer wanted (an answer came first)."""
        count = 0
        for chunk in chunks(row_ids):
            result = await self.session.execute(
                update(Outbox).where(Outbox.id.in_(chunk), Outbox.status == OutboxStatus.QUEUED)
                .values(status=OutboxStatus.CANCELLED, error=reason[:500])
                .execution_options(synchronize_session=False))
            count += result.rowcount  # type: ignore[attr-defined]
        return count

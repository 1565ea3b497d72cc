"""The consent ledger: append-only; the newest row for (trial, pupil) is the current state."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Consent


class Consents:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(
        self, *, trial_id: int, pupil_id: int, parent_id: int | None, action: str,
        participation: str, photo_tier: str | None, medical_note: str | None,
        safety_read: bool, text_version: int, channel: str | None, now: datetime,
    ) -> Consent:
        """Append one decision (never updates an earlier row)."""
        row = Consent(
            trial_id=trial_id, pupil_id=pupil_id, parent_id=parent_id, action=action,
            participation=participation, photo_tier=photo_tier, medical_note=medical_note,
            safety_read=safety_read, text_version=text_version, channel=channel, created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return row

    async def current(self, trial_id: int, pupil_id: int) -> Consent | None:
        return await self.session.scalar(
            select(Consent).where(Consent.trial_id == trial_id, Consent.pupil_id == pupil_id)
            .order_by(Consent.created_at.desc(), Consent.id.desc()).limit(1)
        )

    async def current_for_trial(self, trial_id: int) -> dict[int, Consent]:
        """pupil id → current decision, for every pupil of the trial who has one."""
        newest = (
            select(Consent.pupil_id, func.max(Consent.id).label("id"))
            .where(Consent.trial_id == trial_id).group_by(Consent.pupil_id).subquery()
        )
        rows = await self.session.scalars(select(Consent).join(newest, newest.c.id == Consent.id))
        return {c.pupil_id: c for c in rows}

    async def current_for_trials(self, trial_ids: Iterable[int]) -> dict[tuple[int, int], Consent]:
        """(trial id, pupil id) → current decision, for several trials at once."""
        ids = list(set(trial_ids))
        if not ids:
            return {}
        newest = (
            select(func.max(Consent.id).label("id"))
            .where(Consent.trial_id.in_(ids)).group_by(Consent.trial_id, Consent.pupil_id)
            .subquery()
        )
        rows = await self.session.scalars(select(Consent).join(newest, newest.c.id == Consent.id))
        return {(c.trial_id, c.pupil_id): c for c in rows}

    async def history(self, trial_id: int, pupil_id: int) -> list[Consent]:
        return list(await self.session.scalars(
            select(Consent).where(Consent.trial_id == trial_id, Consent.pupil_id == pupil_id)
            .order_by(Consent.created_at, Consent.id)
        ))

"""Trials and their participants."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Participant, Partner, Site, Trial, TrialStatus

# Built once: read on every reflection answer (building it anew cost as much as running it).
_PARTICIPANT = select(Participant).where(Participant.trial_id == bindparam("trial_id"),
                                         Participant.pupil_id == bindparam("pupil_id"))


class Trials:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, trial_id: int) -> Trial | None:
        return await self.session.get(Trial, trial_id)

    async def add(self, **fields: object) -> Trial:
        trial = Trial(**fields)
        self.session.add(trial)
        await self.session.flush()
        return trial

    async def by_title(self, school_id: int, title: str) -> Trial | None:
        return await self.session.scalar(
            select(Trial).where(Trial.school_id == school_id, Trial.title == title)
            .order_by(Trial.id.desc()).limit(1)
        )

    async def site_and_partner(self, trial: Trial) -> tuple[Site | None, Partner | None]:
        if trial.site_id is None:
            return None, None
        site = await self.session.get(Site, trial.site_id)
        partner = await self.session.get(Partner, site.partner_id) if site else None
        return site, partner

    async def participant(self, trial_id: int, pupil_id: int) -> Participant | None:
        return await self.session.scalar(
            _PARTICIPANT, {"trial_id": trial_id, "pupil_id": pupil_id})

    async def participants(self, trial_id: int) -> list[Participant]:
        return list(await self.session.scalars(
            select(Participant).where(Participant.trial_id == trial_id).order_by(Participant.id)
        ))

    async def add_participant(self, trial_id: int, pupil_id: int, now: datetime) -> Participant:
        existing = await self.participant(trial_id, pupil_id)
        if existing:
            return existing
        participant = Participant(trial_id=trial_id, pupil_id=pupil_id, added_at=now)
        self.session.add(participant)
        await self.session.flush()
        return participant

    async def for_pupil(self, pupil_id: int, since: datetime | None = None) -> list[Trial]:
        """The pupil's trials that are not cancelled, starting at ``since`` or later."""
        query = (
            select(Trial)
            .join(Participant, Participant.trial_id == Trial.id)
            .where(Participant.pupil_id == pupil_id, Trial.status != TrialStatus.CANCELLED)
        )
        if since is not None:
            query = query.where(Trial.starts_at >= since)
        return list(await self.session.scalars(query.order_by(Trial.starts_at)))

    async def for_mentor(self, mentor_id: int, since: datetime | None = None) -> list[Trial]:
        query = select(Trial).where(Trial.mentor_id == mentor_id,
                                    Trial.status != TrialStatus.CANCELLED)
        if since is not None:
            query = query.where(Trial.ends_at >= since)
        return list(await self.session.scalars(query.order_by(Trial.starts_at)))

    # --- the mentor's and the escort's side (handlers/mentor.py, handlers/escort.py) -------

    async def for_escort(self, escort_id: int, since: datetime | None = None) -> list[Trial]:
        """Trials the person escorts (Trial.escort_id) that end at ``since`` or later."""
        query = select(Trial).where(Trial.escort_id == escort_id,
                                    Trial.status != TrialStatus.CANCELLED)
        if since is not None:
            query = query.where(Trial.ends_at >= since)
        return list(await self.session.scalars(query.order_by(Trial.starts_at)))

    async def set_mentor_answer(self, trial: Trial, status: str, reason: str | None,
                                now: datetime) -> None:
        trial.mentor_status = status
        trial.mentor_reason = reason
        trial.mentor_responded_at = now
        await self.session.flush()

    async def set_mentor_reason(self, trial: Trial, reason: str | None) -> None:
        trial.mentor_reason = reason
        await self.session.flush()

    async def submit_card(self, trial: Trial, now: datetime) -> bool:
        """Close the mentor's card; False if it was already submitted (a second tap)."""
        result = await self.session.execute(
            update(Trial).where(Trial.id == trial.id, Trial.card_submitted_at.is_(None))
            .values(card_submitted_at=now).execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
        await self.session.refresh(trial)
        return True

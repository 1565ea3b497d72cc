"""The lookups behind the access policy (handlers/access.py): is this person linked to this
pupil, trial, run, summary or class, and the rows that say so, each in one statement."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ClassTeacher,
    DeletionRequest,
    FlowRun,
    Guardian,
    Participant,
    Person,
    SchoolClass,
    Summary,
    Trial,
    TrialStatus,
)


class AccessRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def trial(self, trial_id: int) -> Trial | None:
        return await self.session.get(Trial, trial_id)

    async def live_trial(self, trial_id: int) -> Trial | None:
        """The trial unless it is cancelled."""
        trial = await self.session.get(Trial, trial_id)
        return trial if trial is not None and trial.status != TrialStatus.CANCELLED else None

    async def person(self, person_id: int) -> Person | None:
        return await self.session.get(Person, person_id)

    async def pupil_trial(self, pupil_id: int, trial_id: int) -> Trial | None:
        """The trial if the pupil is on it and it is not cancelled."""
        return await self.session.scalar(
            select(Trial).join(Participant, Participant.trial_id == Trial.id)
            .where(Trial.id == trial_id, Participant.pupil_id == pupil_id,
                   Trial.status != TrialStatus.CANCELLED))

    async def family_trial(self, parent_id: int, trial_id: int,
                           pupil_id: int) -> tuple[Trial, Person] | None:
        """The trial and the child if the parent is the child's guardian, the child is on
        the trial, and the trial is not cancelled."""
        row = (await self.session.execute(
            select(Trial, Person)
            .join(Participant, Participant.trial_id == Trial.id)
            .join(Person, Person.id == Participant.pupil_id)
            .join(Guardian, Guardian.pupil_id == Person.id)
            .where(Trial.id == trial_id, Person.id == pupil_id, Guardian.parent_id == parent_id,
                   Trial.status != TrialStatus.CANCELLED, Person.anonymised_at.is_(None))
        )).first()
        return (row[0], row[1]) if row else None

    async def is_guardian(self, parent_id: int, pupil_id: int) -> bool:
        return (await self.session.get(
            Guardian, {"parent_id": parent_id, "pupil_id": pupil_id})) is not None

    async def participant(self, trial_id: int, pupil_id: int) -> Participant | None:
        return await self.session.scalar(select(Participant).where(
            Participant.trial_id == trial_id, Participant.pupil_id == pupil_id))

    async def participant_by_id(self, participant_id: int) -> Participant | None:
        return await self.session.get(Participant, participant_id)

    async def run(self, run_id: int) -> FlowRun | None:
        return await self.session.get(FlowRun, run_id)

    async def summary(self, summary_id: int) -> Summary | None:
        return await self.session.get(Summary, summary_id)

    async def summary_of(self, trial_id: int, pupil_id: int) -> Summary | None:
        return await self.session.scalar(select(Summary).where(
            Summary.trial_id == trial_id, Summary.pupil_id == pupil_id))

    async def class_teacher(self, class_id: int | None) -> int | None:
        if class_id is None:
            return None
        link = await self.session.get(ClassTeacher, class_id)
        return link.teacher_id if link else None

    async def school_class(self, class_id: int) -> SchoolClass | None:
        return await self.session.get(SchoolClass, class_id)

    async def deletion_request(self, request_id: int) -> DeletionRequest | None:
        return await self.session.get(DeletionRequest, request_id)

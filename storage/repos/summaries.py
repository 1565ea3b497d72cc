"""The parent summaries (form Г): which are due, their life cycle, who may approve them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ClassTeacher,
    FlowRun,
    Participant,
    Person,
    RunStatus,
    Summary,
    SummaryStatus,
    Trial,
    TrialStatus,
)
from storage.repos.sql import chunks

from .consents import took_part
from .sql import insert_ignore

AFTER_FLOW = "pupil.after"
DRAFT, APPROVED, SENT = SummaryStatus.DRAFT, SummaryStatus.APPROVED, SummaryStatus.SENT


class Summaries:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, summary_id: int) -> Summary | None:
        return await self.session.get(Summary, summary_id)

    async def of(self, trial_id: int, pupil_id: int) -> Summary | None:
        return await self.session.scalar(
            select(Summary).where(Summary.trial_id == trial_id, Summary.pupil_id == pupil_id))

    async def due(self, now: datetime, since: datetime,
                  grace: timedelta) -> list[tuple[int, int]]:
        """(trial, pupil) pairs with no summary yet, for trials that ended in [since, now]:
        the pupil was not marked absent, and either the mentor's card is submitted and the
        pupil's after-questionnaire is complete, or the trial ended ``grace`` ago or more;
        and the newest consent says "agree"."""
        after_done = exists().where(
            FlowRun.flow_id == AFTER_FLOW, FlowRun.status == RunStatus.COMPLETED,
            FlowRun.trial_id == Trial.id, FlowRun.person_id == Participant.pupil_id)
        has_summary = exists().where(Summary.trial_id == Participant.trial_id,
                                     Summary.pupil_id == Participant.pupil_id)
        rows = await self.session.execute(
            select(Participant.trial_id, Participant.pupil_id)
            .join(Trial, Trial.id == Participant.trial_id)
            .join(Person, Person.id == Participant.pupil_id)
            .where(Trial.ends_at.between(since, now), Trial.status != TrialStatus.CANCELLED,
                   Person.anonymised_at.is_(None),
                   took_part(), ~has_summary,
                   or_(Trial.ends_at <= now - grace,
                       and_(Trial.card_submitted_at.is_not(None), after_done)))
            .order_by(Participant.trial_id, Participant.id))
        return [(trial_id, pupil_id) for trial_id, pupil_id in rows]

    async def create(self, trial_id: int, pupil_id: int, status: str,
                     now: datetime) -> Summary | None:
        """A new summary, or None if one exists already (a second scheduler, a second tick)."""
        new_id = await self.session.scalar(
            insert_ignore(self.session, Summary)
            .values(trial_id=trial_id, pupil_id=pupil_id, status=status, created_at=now)
            .returning(Summary.id))
        return await self.get(new_id) if new_id is not None else None

    async def unsent(self, since: datetime) -> list[Summary]:
        """Approved summaries not sent yet (no parent was reachable, or consent changed),
        of trials that ended after ``since``."""
        return list(await self.session.scalars(
            select(Summary).join(Trial, Trial.id == Summary.trial_id)
            .where(Summary.status == APPROVED, Summary.sent_at.is_(None),
                   Trial.ends_at >= since, Trial.status != TrialStatus.CANCELLED)
            .order_by(Summary.id)))

    async def approve(self, summary: Summary, by: int | None, now: datetime) -> bool:
        """Draft → approved; False if somebody approved it first (a second tap)."""
        result = await self.session.execute(
            update(Summary).where(Summary.id == summary.id, Summary.status == DRAFT)
            .values(status=APPROVED, approved_by=by, approved_at=now)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
        await self.session.refresh(summary)
        return True

    async def mark_sent(self, summary: Summary, now: datetime) -> None:
        summary.status = SENT
        summary.sent_at = now
        await self.session.flush()

    async def set_line(self, summary: Summary, line: str, by: int) -> None:
        summary.personal_line = line
        summary.edited_by = by
        await self.session.flush()

    async def set_choice(self, summary: Summary, choice: str) -> None:
        summary.family_choice = choice
        await self.session.flush()

    async def class_teacher(self, class_id: int | None) -> int | None:
        if class_id is None:
            return None
        link = await self.session.get(ClassTeacher, class_id)
        return link.teacher_id if link else None

    async def drafts_for(self, person_id: int) -> list[Summary]:
        """Drafts the person may approve: as the trial's escort or coordinator, or as the
        class teacher of the pupil's class."""
        teaches = select(ClassTeacher.class_id).where(ClassTeacher.teacher_id == person_id)
        return list(await self.session.scalars(
            select(Summary).join(Trial, Trial.id == Summary.trial_id)
            .join(Person, Person.id == Summary.pupil_id)
            .where(Summary.status == DRAFT, Trial.status != TrialStatus.CANCELLED,
                   or_(Trial.escort_id == person_id, Trial.coordinator_id == person_id,
                       Person.class_id.in_(teaches)))
            .order_by(Summary.id)))

    async def sent_for(self, pupil_ids: Iterable[int], since: datetime) -> list[Summary]:
        """Sent summaries of these pupils for trials that ended after ``since``, newest
        first."""
        ids = sorted(set(pupil_ids))
        found: list[Summary] = []
        for chunk in chunks(ids):
            found += await self.session.scalars(
                select(Summary).join(Trial, Trial.id == Summary.trial_id)
                .where(Summary.pupil_id.in_(chunk), Summary.status == SENT,
                       Trial.ends_at >= since, Trial.status != TrialStatus.CANCELLED)
                .order_by(Trial.ends_at.desc(), Summary.id.desc()))
        return found

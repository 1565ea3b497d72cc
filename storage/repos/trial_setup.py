"""What the coordinator's trial set-up, changes and status read and write (handlers/trial_*.py).

Everything is looked up within one school: a site, a mentor, a teacher, a class or a pupil
of another school is simply not found.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    FlowRun,
    Identity,
    MentorStatus,
    Outbox,
    OutboxStatus,
    Partner,
    Person,
    PersonRole,
    RunStatus,
    SchoolClass,
    Site,
    Summary,
    Trial,
    TrialStatus,
)

# Card А fields a duplicate takes over from its source (forms.md); the time, the class, the
# pupils and everything that happened at the source trial are not copied.
COPIED_FIELDS = (
    "title", "site_id", "mentor_id", "escort_id", "pupil_goal", "school_goal",
    "labour_function", "mini_task", "subjects", "equipment", "ppe", "risks", "timing",
    "expected_artefact", "safety_briefing", "photo_policy", "special_conditions",
    "evacuation", "profession", "sector", "category", "grade_band", "length_kind", "purpose",
    "format", "sen_open", "gather_place", "bring",
)


class TrialSetup:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- what a school can pick from ---------------------------------------------------

    async def sites(self, school_id: int) -> list[tuple[Site, Partner]]:
        """The sites of the school's partners, by partner and site name."""
        rows = await self.session.execute(
            select(Site, Partner).join(Partner, Partner.id == Site.partner_id)
            .where(Partner.school_id == school_id).order_by(Partner.name, Site.name))
        return [(site, partner) for site, partner in rows]

    async def site(self, school_id: int, site_id: int | None) -> tuple[Site, Partner] | None:
        if site_id is None:
            return None
        row = (await self.session.execute(
            select(Site, Partner).join(Partner, Partner.id == Site.partner_id)
            .where(Site.id == site_id, Partner.school_id == school_id))).first()
        return (row[0], row[1]) if row else None

    async def staff(self, school_id: int, role: str, partner_id: int | None = None,
                    ) -> list[Person]:
        """The school's people holding ``role`` (mentors: of ``partner_id``), by name."""
        query = (select(Person).join(PersonRole, PersonRole.person_id == Person.id)
                 .where(Person.school_id == school_id, PersonRole.role == role,
                        Person.anonymised_at.is_(None)))
        if partner_id is not None:
            query = query.where(Person.partner_id == partner_id)
        return list(await self.session.scalars(query.order_by(Person.full_name, Person.id)))

    async def classes(self, school_id: int) -> list[SchoolClass]:
        return list(await self.session.scalars(
            select(SchoolClass).where(SchoolClass.school_id == school_id)
            .order_by(SchoolClass.grade, SchoolClass.name)))

    async def school_class(self, school_id: int, class_id: int | None) -> SchoolClass | None:
        if class_id is None:
            return None
        return await self.session.scalar(select(SchoolClass).where(
            SchoolClass.id == class_id, SchoolClass.school_id == school_id))

    async def pupils(self, school_id: int, class_id: int) -> list[Person]:
        """The pupils of a class of the school, by name."""
        return list(await self.session.scalars(
            select(Person).join(PersonRole, PersonRole.person_id == Person.id)
            .where(Person.school_id == school_id, Person.class_id == class_id,
                   PersonRole.role == "pupil", Person.anonymised_at.is_(None))
            .order_by(Person.full_name, Person.id)))

    # --- the school's trials -----------------------------------------------------------

    async def school_trial(self, school_id: int, trial_id: int | None) -> Trial | None:
        if trial_id is None:
            return None
        return await self.session.scalar(
            select(Trial).where(Trial.id == trial_id, Trial.school_id == school_id))

    async def upcoming(self, school_id: int, now: datetime, limit: int) -> list[Trial]:
        """Trials not over yet, soonest first (cancelled ones too: the list says so)."""
        return list(await self.session.scalars(
            select(Trial).where(Trial.school_id == school_id, Trial.ends_at > now)
            .order_by(Trial.starts_at, Trial.id).limit(limit)))

    async def recent(self, school_id: int, now: datetime, back: timedelta,
                     limit: int) -> list[Trial]:
        """Trials over within ``back``, the latest first."""
        return list(await self.session.scalars(
            select(Trial).where(Trial.school_id == school_id, Trial.ends_at <= now,
                                Trial.ends_at > now - back)
            .order_by(Trial.starts_at.desc(), Trial.id.desc()).limit(limit)))

    async def create(self, **fields: object) -> Trial:
        trial = Trial(**fields)
        self.session.add(trial)
        await self.session.flush()
        return trial

    @staticmethod
    def copied(source: Trial) -> dict[str, object]:
        fields = {name: getattr(source, name) for name in COPIED_FIELDS}
        fields["mini_task"] = list(source.mini_task or [])
        fields["subjects"] = list(source.subjects or [])
        return fields

    async def reschedule(self, trial: Trial, starts: datetime, ends: datetime,
                         now: datetime) -> None:
        """The new time. What parents consented to changed (their consent cites the text
        version) and the mentor's yes was for the old time: both start over."""
        if trial.gather_at is not None:
            trial.gather_at += starts - trial.starts_at
        trial.starts_at, trial.ends_at = starts, ends
        trial.text_version += 1
        await self.schedule_changed(trial, now)

    async def schedule_changed(self, trial: Trial, now: datetime) -> None:
        """The trial has a new time (set here or by an import): its reminders start a new
        schedule and the mentor's yes, given for the old time, is asked for again."""
        trial.schedule_version += 1
        trial.rescheduled_at = now
        trial.mentor_status = MentorStatus.PENDING
        trial.mentor_reason = None
        trial.mentor_responded_at = None
        trial.updated_at = now
        await self.session.flush()

    async def cancel(self, trial: Trial, now: datetime) -> None:
        trial.status = TrialStatus.CANCELLED
        trial.updated_at = now
        await self.session.flush()

    async def assign(self, trial: Trial, now: datetime, *, mentor_id: int | None = None,
                     escort_id: int | None = None) -> None:
        """A new mentor (whose answer is then awaited) and/or escort."""
        if mentor_id is not None and mentor_id != trial.mentor_id:
            trial.mentor_id = mentor_id
            trial.mentor_status = MentorStatus.PENDING
            trial.mentor_reason = None
            trial.mentor_responded_at = None
        if escort_id is not None:
            trial.escort_id = escort_id
        trial.updated_at = now
        await self.session.flush()

    # --- what is still on its way --------------------------------------------------------

    async def queued(self, trial_id: int) -> list[Outbox]:
        """The trial's messages not sent yet."""
        return list(await self.session.scalars(
            select(Outbox).where(Outbox.trial_id == trial_id,
                                 Outbox.status == OutboxStatus.QUEUED).order_by(Outbox.id)))

    async def open_runs(self, trial_id: int, except_flows: Iterable[str] = ()) -> list[FlowRun]:
        """Conversations about the trial still waiting for an answer."""
        return list(await self.session.scalars(
            select(FlowRun).where(FlowRun.trial_id == trial_id,
                                  FlowRun.status == RunStatus.ACTIVE,
                                  FlowRun.flow_id.not_in(list(except_flows)))
            .order_by(FlowRun.id)))

    # --- the status message ----------------------------------------------------------------

    async def joined(self, person_ids: Iterable[int]) -> set[int]:
        """Who of ``person_ids`` has joined Synaq on some channel."""
        ids = sorted(set(person_ids))
        if not ids:
            return set()
        return set(await self.session.scalars(
            select(Identity.person_id).where(Identity.person_id.in_(ids)).distinct()))

    async def summaries(self, trial_id: int) -> list[Summary]:
        return list(await self.session.scalars(
            select(Summary).where(Summary.trial_id == trial_id).order_by(Summary.id)))

    async def undelivered(self, trial_id: int) -> list[tuple[Outbox, Person]]:
        """The trial's messages that failed, or are being retried, with their recipient."""
        rows = await self.session.execute(
            select(Outbox, Person).join(Person, Person.id == Outbox.person_id)
            .where(Outbox.trial_id == trial_id, or_(
                Outbox.status == OutboxStatus.FAILED,
                and_(Outbox.status == OutboxStatus.QUEUED, Outbox.attempts > 0)))
            .order_by(Outbox.created_at.desc(), Outbox.id.desc()).limit(20))
        return [(row, person) for row, person in rows]

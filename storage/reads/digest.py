"""What the coordinator's digest and quarterly review read: the state of many trials at once.

Each query takes a whole list of trials (in chunks), never one trial at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Attendance,
    FlowRun,
    Guardian,
    Identity,
    Participant,
    Partner,
    Person,
    PersonRole,
    PortfolioEntry,
    RunStatus,
    SchoolClass,
    Summary,
    Trial,
    TrialStatus,
)
from storage.repos.consents import Consents
from storage.repos.rubric import REFLECTION_FLOWS, Rubrics
from storage.repos.sql import chunks


@dataclass
class TrialProgress:
    """One trial as the coordinator's digest needs to see it. Who took part and whether it
    was meaningful for them are decided by ``handlers/participation.py`` from these sets."""

    trial: Trial
    pupils: dict[int, str] = field(default_factory=dict)  # participant id → name
    absent: set[int] = field(default_factory=set)
    consent: dict[int, str] = field(default_factory=dict)  # pupil → agree / decline
    rated: set[int] = field(default_factory=set)  # the mentor's card rated (Rubrics.rated)
    reflected: set[int] = field(default_factory=set)  # after or trace questionnaire completed
    summaries_sent: set[int] = field(default_factory=set)

    @property
    def no_answer(self) -> list[int]:
        return [p for p in self.pupils if p not in self.consent]

    @property
    def declined(self) -> list[int]:
        return [p for p, answer in self.consent.items() if answer == "decline"]

    @property
    def agreed(self) -> list[int]:
        return [p for p, answer in self.consent.items() if answer == "agree"]


@dataclass(frozen=True)
class Contact:
    person_id: int
    name: str
    roles: tuple[str, ...]
    since: datetime | None = None
    reason: str | None = None


class DigestRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def coordinators_of(self, school_ids: list[int]) -> dict[int, list[Person]]:
        """school id → its coordinators, for many schools in one query."""
        found: dict[int, list[Person]] = {}
        for chunk in chunks(sorted(set(school_ids))):
            for person in await self.session.scalars(
                    select(Person).join(PersonRole, PersonRole.person_id == Person.id)
                    .where(Person.school_id.in_(chunk), PersonRole.role == "coordinator",
                           Person.anonymised_at.is_(None))
                    .order_by(Person.id)):
                found.setdefault(person.school_id or 0, []).append(person)
        return found

    async def busy_schools(self, school_ids: Iterable[int], start: datetime,
                           end: datetime) -> set[int]:
        """Which of these schools have a trial (not cancelled) starting or ending in
        [start, end), or a person no channel reaches: the others' digests have nothing to
        say, and need not be gathered one school at a time."""
        found: set[int] = set()
        live = Trial.status != TrialStatus.CANCELLED
        for chunk in chunks(sorted(set(school_ids))):
            for column in (Trial.starts_at, Trial.ends_at):
                found.update(await self.session.scalars(
                    select(Trial.school_id).where(Trial.school_id.in_(chunk), column >= start,
                                                  column < end, live).distinct()))
            found.update(s for s in await self.session.scalars(
                select(Person.school_id).where(Person.school_id.in_(chunk),
                                               Person.unreachable_since.is_not(None),
                                               Person.anonymised_at.is_(None)).distinct())
                if s is not None)
        return found

    async def trials(self, school_id: int, start: datetime, end: datetime,
                     by: str = "starts", coordinator_id: int | None = None) -> list[Trial]:
        """The school's trials (not cancelled) starting — or with ``by="ends"`` ending — in
        [start, end); with ``coordinator_id``, only theirs and those nobody is named for."""
        column = Trial.starts_at if by == "starts" else Trial.ends_at
        query = select(Trial).where(Trial.school_id == school_id, column >= start, column < end,
                                    Trial.status != TrialStatus.CANCELLED)
        if coordinator_id is not None:
            query = query.where(or_(Trial.coordinator_id == coordinator_id,
                                    Trial.coordinator_id.is_(None)))
        return list(await self.session.scalars(query.order_by(Trial.starts_at, Trial.id)))

    async def facts(self, trials: Iterable[Trial]) -> dict[int, TrialProgress]:
        result = {t.id: TrialProgress(t) for t in trials}
        for ids in chunks(sorted(result)):
            rows = await self.session.execute(
                select(Participant.trial_id, Participant.pupil_id, Participant.attendance,
                       Person.full_name)
                .join(Person, Person.id == Participant.pupil_id)
                .where(Participant.trial_id.in_(ids)).order_by(Person.full_name))
            for trial_id, pupil_id, attendance, name in rows:
                result[trial_id].pupils[pupil_id] = name
                if attendance == Attendance.ABSENT:
                    result[trial_id].absent.add(pupil_id)
            consents = await Consents(self.session).current_for_trials(ids)
            for (trial_id, pupil_id), consent in consents.items():
                if pupil_id in result[trial_id].pupils:
                    result[trial_id].consent[pupil_id] = consent.participation
            for trial_id, pupil_id in await Rubrics(self.session).rated(ids):
                result[trial_id].rated.add(pupil_id)
            runs = await self.session.execute(
                select(FlowRun.trial_id, FlowRun.person_id, FlowRun.pupil_id)
                .where(FlowRun.trial_id.in_(ids), FlowRun.status == RunStatus.COMPLETED,
                       FlowRun.flow_id.in_(REFLECTION_FLOWS)))
            for run_trial, person_id, about in runs:
                result[run_trial or 0].reflected.add(about or person_id)
            sent = await self.session.execute(
                select(Summary.trial_id, Summary.pupil_id)
                .where(Summary.trial_id.in_(ids), Summary.sent_at.is_not(None)))
            for trial_id, pupil_id in sent:
                result[trial_id].summaries_sent.add(pupil_id)
        return result

    async def names(self, person_ids: Iterable[int]) -> dict[int, str]:
        ids = sorted(set(person_ids))
        found: dict[int, str] = {}
        for chunk in chunks(ids):
            rows = await self.session.execute(
                select(Person.id, Person.full_name).where(Person.id.in_(chunk)))
            found.update((person_id, name) for person_id, name in rows)
        return found

    async def parents(self, pupil_ids: Iterable[int]) -> dict[int, list[int]]:
        ids = sorted(set(pupil_ids))
        found: dict[int, list[int]] = {p: [] for p in ids}
        for chunk in chunks(ids):
            for pupil_id, parent_id in await self.session.execute(
                    select(Guardian.pupil_id, Guardian.parent_id)
                    .where(Guardian.pupil_id.in_(chunk))):
                found[pupil_id].append(parent_id)
        return found

    async def without_channel(self, person_ids: Iterable[int]) -> set[int]:
        """Who of ``person_ids`` cannot get a message: never joined, or every channel
        refused delivery."""
        ids = sorted(set(person_ids))
        reachable: set[int] = set()
        for chunk in chunks(ids):
            reachable.update(await self.session.scalars(
                select(Identity.person_id).where(Identity.person_id.in_(chunk),
                                                 Identity.blocked_at.is_(None))))
        return set(ids) - reachable

    async def unreachable(self, school_id: int) -> list[Contact]:
        """People of the school whose every channel refused delivery (blocked the bot…)."""
        people = list(await self.session.scalars(
            select(Person).where(Person.school_id == school_id,
                                 Person.unreachable_since.is_not(None),
                                 Person.anonymised_at.is_(None))
            .order_by(Person.unreachable_since, Person.id)))
        return [Contact(p.id, p.full_name, tuple(sorted(p.role_names)), p.unreachable_since,
                        p.unreachable_reason) for p in people]

    async def pupils_without_portfolio(self, school_id: int) -> tuple[int, dict[str, int]]:
        """(how many pupils the school has, class name → pupils with no portfolio entry)."""
        pupils = (select(Person.id, Person.class_id)
                  .join(PersonRole, PersonRole.person_id == Person.id)
                  .where(Person.school_id == school_id, PersonRole.role == "pupil",
                         Person.anonymised_at.is_(None)).subquery())
        total = int(await self.session.scalar(select(func.count()).select_from(pupils)) or 0)
        has_entry = select(PortfolioEntry.id).where(PortfolioEntry.pupil_id == pupils.c.id)
        rows = await self.session.execute(
            select(SchoolClass.name, func.count())
            .select_from(pupils).outerjoin(SchoolClass, SchoolClass.id == pupils.c.class_id)
            .where(~has_entry.exists()).group_by(SchoolClass.name).order_by(SchoolClass.name))
        return total, {name or "—": int(count) for name, count in rows}

    async def renewing_partners(self, school_id: int, year: int) -> list[Partner]:
        """Partners whose agreement ends on 31 December of ``year`` — or runs with no end
        date, renewing every year (Annex 3)."""
        return list(await self.session.scalars(
            select(Partner).where(
                Partner.school_id == school_id,
                or_(Partner.agreement_end == date(year, 12, 31),
                    Partner.agreement_end.is_(None) & Partner.agreement_start.is_not(None)))
            .order_by(Partner.name)))

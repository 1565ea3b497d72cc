"""What the journal, the reports and the exports read: each trial with everything recorded
about it, loaded in a few bulk queries (a region's year is thousands of trials)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Answer,
    Consent,
    FlowRun,
    Media,
    Participant,
    Partner,
    Person,
    PortfolioEntry,
    RunStatus,
    School,
    SchoolClass,
    Site,
    Trial,
    TrialStatus,
)
from storage.repos.consents import Consents
from storage.repos.rubric import CRITERION_IDS, RUBRIC_FLOW, is_rated

Answers = dict[str, dict[str, Any]]
# The pupil's questionnaires the journal reports (before, after, trace).
QUESTIONNAIRE_FLOWS = ("pupil.before", "pupil.after", "pupil.trace")


@dataclass(frozen=True)
class MentorCard:
    """The mentor's rated card for one pupil (form Б)."""

    scores: dict[str, int]  # criterion → 1–3
    result: str  # yes / no / partly
    answers: Answers


@dataclass
class TrialFacts:
    """One trial and what was recorded about it, pupil by pupil."""

    trial: Trial
    school: School
    site: Site | None
    partner: Partner | None
    school_class: SchoolClass | None
    participants: list[Participant]
    pupils: dict[int, Person]
    classes: dict[int, SchoolClass]  # the pupils' classes
    staff: dict[int, Person]  # mentor, coordinator, escort
    consents: dict[int, Consent] = field(default_factory=dict)  # pupil id → current decision
    # pupil id → flow id → answers of the completed run
    reflections: dict[int, dict[str, Answers]] = field(default_factory=dict)
    rubric: dict[int, MentorCard] = field(default_factory=dict)
    media: dict[int, list[Media]] = field(default_factory=dict)  # pupil id → files kept
    portfolio: set[int] = field(default_factory=set)  # pupil ids with a portfolio entry


class Journal:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def partner_sectors(self) -> list[tuple[str | None, str | None]]:
        """(district, sector) of every partner of every school: where a sector has a host."""
        rows = await self.session.execute(
            select(School.district, Partner.sector).join(Partner, Partner.school_id == School.id))
        return [(district, sector) for district, sector in rows]

    async def school_districts(self) -> list[str | None]:
        """The district of every school (one entry per school)."""
        return list(await self.session.scalars(select(School.district)))

    async def trial(self, trial_id: int) -> Trial | None:
        return await self.session.get(Trial, trial_id)

    async def trials(self, school_id: int | None = None, since: datetime | None = None,
                     until: datetime | None = None) -> list[Trial]:
        """Trials not cancelled that start in [since, until), oldest first."""
        query = select(Trial).where(Trial.status != TrialStatus.CANCELLED)
        if school_id is not None:
            query = query.where(Trial.school_id == school_id)
        if since is not None:
            query = query.where(Trial.starts_at >= since)
        if until is not None:
            query = query.where(Trial.starts_at < until)
        return list(await self.session.scalars(query.order_by(Trial.starts_at, Trial.id)))

    async def recent(self, school_id: int, limit: int = 8) -> list[Trial]:
        """The school's latest trials by start, newest first (for picking one in the chat)."""
        return list(await self.session.scalars(
            select(Trial).where(Trial.school_id == school_id,
                                Trial.status != TrialStatus.CANCELLED)
            .order_by(Trial.starts_at.desc(), Trial.id.desc()).limit(limit)))

    async def pupil_trials(self, pupil_id: int) -> list[Trial]:
        return list(await self.session.scalars(
            select(Trial).join(Participant, Participant.trial_id == Trial.id)
            .where(Participant.pupil_id == pupil_id, Trial.status != TrialStatus.CANCELLED)
            .order_by(Trial.starts_at)))

    async def facts(self, trials: list[Trial]) -> list[TrialFacts]:
        if not trials:
            return []
        ids = [t.id for t in trials]
        session = self.session
        schools = await self._by_id(School, {t.school_id for t in trials})
        sites = await self._by_id(Site, {t.site_id for t in trials if t.site_id})
        partners = await self._by_id(Partner, {s.partner_id for s in sites.values()})
        participants: dict[int, list[Participant]] = {i: [] for i in ids}
        for p in await session.scalars(select(Participant).where(Participant.trial_id.in_(ids))
                                       .order_by(Participant.id)):
            participants[p.trial_id].append(p)
        pupil_ids = {p.pupil_id for ps in participants.values() for p in ps}
        staff_ids = {i for t in trials for i in (t.mentor_id, t.coordinator_id, t.escort_id) if i}
        people = await self._by_id(Person, pupil_ids | staff_ids)
        classes = await self._by_id(SchoolClass, {p.class_id for p in people.values()
                                                  if p.class_id} |
                                    {t.class_id for t in trials if t.class_id})
        consents = await Consents(session).current_for_trials(ids)
        reflections = await self._runs(ids, QUESTIONNAIRE_FLOWS, by_person=True)
        # A card reopened for the optional feedback texts is rated all the same.
        rubric = await self._runs(ids, (RUBRIC_FLOW,), by_person=False,
                                  statuses=(RunStatus.COMPLETED, RunStatus.ACTIVE))
        media: dict[tuple[int, int], list[Media]] = {}
        for m in await session.scalars(select(Media).where(
                Media.trial_id.in_(ids), Media.pupil_id.is_not(None)).order_by(Media.id)):
            media.setdefault((m.trial_id or 0, m.pupil_id or 0), []).append(m)
        entries = {(trial, pupil) for trial, pupil in await session.execute(
            select(PortfolioEntry.trial_id, PortfolioEntry.pupil_id)
            .where(PortfolioEntry.trial_id.in_(ids)))}

        out = []
        for trial in trials:
            site = sites.get(trial.site_id or 0)
            members = participants[trial.id]
            pupils = {p.pupil_id: people[p.pupil_id] for p in members if p.pupil_id in people}
            facts = TrialFacts(
                trial=trial, school=schools[trial.school_id], site=site,
                partner=partners.get(site.partner_id) if site else None,
                school_class=classes.get(trial.class_id or 0), participants=members,
                pupils=pupils,
                classes={c: classes[c] for c in {p.class_id for p in pupils.values()}
                         if c in classes},
                staff={i: people[i] for i in (trial.mentor_id, trial.coordinator_id,
                                              trial.escort_id) if i and i in people},
            )
            for pupil_id in pupils:
                if (trial.id, pupil_id) in consents:
                    facts.consents[pupil_id] = consents[(trial.id, pupil_id)]
                done = reflections.get((trial.id, pupil_id))
                if done:
                    facts.reflections[pupil_id] = done
                card = rubric.get((trial.id, pupil_id), {}).get(RUBRIC_FLOW)
                if card is not None and is_rated(card):
                    facts.rubric[pupil_id] = MentorCard(
                        {c: int(card[c]["choice"]) for c in CRITERION_IDS},
                        str(card["result"]["choice"]), card)
                if media.get((trial.id, pupil_id)):
                    facts.media[pupil_id] = media[(trial.id, pupil_id)]
                if (trial.id, pupil_id) in entries:
                    facts.portfolio.add(pupil_id)
            out.append(facts)
        return out

    async def _runs(self, trial_ids: list[int], flows: Iterable[str], by_person: bool,
                    statuses: tuple[str, ...] = (RunStatus.COMPLETED,)) \
            -> dict[tuple[int, int], dict[str, Answers]]:
        """(trial, pupil) → flow → answers of the newest run in ``statuses``. A pupil's own
        runs are keyed by the person; a mentor's card by the pupil it is about."""
        runs = list(await self.session.scalars(
            select(FlowRun).where(FlowRun.trial_id.in_(trial_ids),
                                  FlowRun.flow_id.in_(list(flows)),
                                  FlowRun.status.in_(statuses))
            .order_by(FlowRun.id)))
        answers: dict[int, Answers] = {r.id: {} for r in runs}
        if runs:
            for a in await self.session.scalars(
                    select(Answer).where(Answer.run_id.in_(list(answers)))):
                answers[a.run_id][a.step_id] = a.value
        result: dict[tuple[int, int], dict[str, Answers]] = {}
        for run in runs:
            pupil = run.person_id if by_person else run.pupil_id
            if pupil is None or run.trial_id is None:
                continue
            result.setdefault((run.trial_id, pupil), {})[run.flow_id] = answers[run.id]
        return result

    async def _by_id(self, model: Any, ids: Iterable[int]) -> dict[int, Any]:
        wanted = [i for i in set(ids) if i]
        if not wanted:
            return {}
        rows = await self.session.scalars(select(model).where(model.id.in_(wanted)))
        return {row.id: row for row in rows}

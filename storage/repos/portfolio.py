"""A pupil's portfolio: one entry per completed trial, and what the entries are read from
(the pupil's own questionnaires and the files they sent). Nothing is copied into an entry."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Answer,
    FlowRun,
    Media,
    Participant,
    Person,
    PortfolioEntry,
    RunStatus,
    Trial,
    TrialStatus,
)
from storage.repos.sql import chunks

from .consents import took_part
from .rubric import RUBRIC_FLOW
from .sql import insert_ignore

Answers = dict[str, dict[str, Any]]
PUPIL_FLOWS = ("pupil.before", "pupil.after", "pupil.trace")
REFLECTIONS = ("pupil.after", "pupil.trace")
# The kinds the three-tier photo rule covers; a voice note is an answer, not an artefact.
VISUAL = ("photo", "video", "document")


class Portfolio:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def due(self, now: datetime, since: datetime | None = None,
                  pupil_id: int | None = None) -> list[tuple[int, int]]:
        """(trial, pupil) pairs that should have an entry and have none: the trial is over,
        the pupil was not marked absent, and the pupil reflected (after or trace) or the
        mentor rated them, and the newest consent says "agree". ``since`` bounds the trial's
        end; ``pupil_id`` limits it to one pupil."""
        reflected = exists().where(
            FlowRun.flow_id.in_(REFLECTIONS), FlowRun.status == RunStatus.COMPLETED,
            FlowRun.trial_id == Participant.trial_id,
            FlowRun.person_id == Participant.pupil_id)
        rated = exists().where(
            FlowRun.flow_id == RUBRIC_FLOW, FlowRun.status == RunStatus.COMPLETED,
            FlowRun.trial_id == Participant.trial_id, FlowRun.pupil_id == Participant.pupil_id)
        has_entry = exists().where(PortfolioEntry.trial_id == Participant.trial_id,
                                   PortfolioEntry.pupil_id == Participant.pupil_id)
        query = (
            select(Participant.trial_id, Participant.pupil_id)
            .join(Trial, Trial.id == Participant.trial_id)
            .join(Person, Person.id == Participant.pupil_id)
            .where(Trial.ends_at <= now, Trial.status != TrialStatus.CANCELLED,
                   Person.anonymised_at.is_(None),
                   took_part(), ~has_entry, or_(reflected, rated))
            .order_by(Participant.trial_id, Participant.id))
        if since is not None:
            query = query.where(Trial.ends_at >= since)
        if pupil_id is not None:
            query = query.where(Participant.pupil_id == pupil_id)
        return [(t, p) for t, p in await self.session.execute(query)]

    async def add(self, pupil_id: int, trial_id: int, now: datetime) -> bool:
        """Add the entry unless it exists (the table is unique per pupil and trial)."""
        new_id = await self.session.scalar(
            insert_ignore(self.session, PortfolioEntry)
            .values(pupil_id=pupil_id, trial_id=trial_id, created_at=now, details={})
            .returning(PortfolioEntry.id))
        return new_id is not None

    async def entries(self, pupil_id: int) -> list[tuple[PortfolioEntry, Trial]]:
        """The pupil's entries with their trials, the most recent trial first."""
        rows = await self.session.execute(
            select(PortfolioEntry, Trial).join(Trial, Trial.id == PortfolioEntry.trial_id)
            .where(PortfolioEntry.pupil_id == pupil_id, Trial.status != TrialStatus.CANCELLED)
            .order_by(Trial.starts_at.desc(), Trial.id.desc()))
        return [(entry, trial) for entry, trial in rows]

    async def with_entries(self, pupil_ids: Iterable[int]) -> set[int]:
        """Which of these pupils have at least one entry."""
        ids = sorted(set(pupil_ids))
        found: set[int] = set()
        for chunk in chunks(ids):
            found.update(await self.session.scalars(
                select(PortfolioEntry.pupil_id).where(PortfolioEntry.pupil_id.in_(chunk))))
        return found

    async def answers(self, pupil_id: int,
                      trial_ids: Iterable[int]) -> dict[tuple[int, str], Answers]:
        """(trial, flow) → the answers of the pupil's newest completed run of each of the
        pupil's own questionnaires."""
        ids = sorted(set(trial_ids))
        if not ids:
            return {}
        runs = list(await self.session.scalars(
            select(FlowRun).where(FlowRun.person_id == pupil_id, FlowRun.trial_id.in_(ids),
                                  FlowRun.flow_id.in_(PUPIL_FLOWS),
                                  FlowRun.status == RunStatus.COMPLETED)
            .order_by(FlowRun.id)))
        by_run: dict[int, Answers] = {r.id: {} for r in runs}
        if runs:
            for a in await self.session.scalars(
                    select(Answer).where(Answer.run_id.in_(list(by_run)))):
                by_run[a.run_id][a.step_id] = a.value
        return {(r.trial_id or 0, r.flow_id): by_run[r.id] for r in runs}

    async def artefacts(self, pupil_id: int,
                        trial_ids: Iterable[int]) -> dict[int, list[Media]]:
        """trial → the pictures, scans and files the pupil sent about it, oldest first (as
        stored; whether they may be shown is decided again when they are shown)."""
        ids = sorted(set(trial_ids))
        found: dict[int, list[Media]] = {}
        if ids:
            for m in await self.session.scalars(
                    select(Media).where(Media.pupil_id == pupil_id, Media.trial_id.in_(ids),
                                        Media.kind.in_(VISUAL)).order_by(Media.id)):
                found.setdefault(m.trial_id or 0, []).append(m)
        return found

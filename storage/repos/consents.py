"""The consent ledger: append-only; the newest row for (trial, pupil) is the current state."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Attendance, Consent, Participant, Participation


@dataclass(frozen=True)
class Conflict:
    """Two parents of one pupil whose latest decisions differ; the newest one stands."""

    pupil_id: int
    decisions: list[Consent]  # each parent's latest decision, oldest first

    @property
    def standing(self) -> Consent:
        return self.decisions[-1]


def differ(a: Consent, b: Consent) -> bool:
    """Decisions that disagree on taking part, or (both agreeing) on the photo tier; a
    medical note is information, not a decision."""
    if a.participation != b.participation:
        return True
    return a.participation == "agree" and a.photo_tier != b.photo_tier


# Built once: read on every reflection answer (building it anew cost as much as running it).
_CURRENT = (select(Consent)
            .where(Consent.trial_id == bindparam("trial_id"),
                   Consent.pupil_id == bindparam("pupil_id"))
            .order_by(Consent.created_at.desc(), Consent.id.desc()).limit(1))


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
        return await self.session.scalar(_CURRENT, {"trial_id": trial_id, "pupil_id": pupil_id})

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

    async def latest_by_parent(self, trial_id: int, pupil_id: int) -> list[Consent]:
        """Each parent's own latest decision for the pupil, oldest first."""
        newest = (
            select(func.max(Consent.id).label("id"))
            .where(Consent.trial_id == trial_id, Consent.pupil_id == pupil_id,
                   Consent.parent_id.is_not(None))
            .group_by(Consent.parent_id).subquery()
        )
        return list(await self.session.scalars(
            select(Consent).join(newest, newest.c.id == Consent.id)
            .order_by(Consent.created_at, Consent.id)
        ))

    async def has_decided(self, trial_id: int, pupil_id: int, parent_id: int) -> bool:
        found = await self.session.scalar(
            select(Consent.id).where(Consent.trial_id == trial_id, Consent.pupil_id == pupil_id,
                                     Consent.parent_id == parent_id).limit(1)
        )
        return found is not None

    async def conflict(self, trial_id: int, pupil_id: int) -> Conflict | None:
        """The pupil's parents disagree: their latest own decisions differ."""
        decisions = await self.latest_by_parent(trial_id, pupil_id)
        if any(differ(a, b) for a in decisions for b in decisions):
            return Conflict(pupil_id, decisions)
        return None

    async def conflicts(self, trial_id: int) -> list[Conflict]:
        """Every pupil of the trial whose parents disagree (for the digest and the status)."""
        newest = (
            select(func.max(Consent.id).label("id"))
            .where(Consent.trial_id == trial_id, Consent.parent_id.is_not(None))
            .group_by(Consent.pupil_id, Consent.parent_id).subquery()
        )
        rows = await self.session.scalars(
            select(Consent).join(newest, newest.c.id == Consent.id)
            .order_by(Consent.pupil_id, Consent.created_at, Consent.id)
        )
        by_pupil: dict[int, list[Consent]] = {}
        for row in rows:
            by_pupil.setdefault(row.pupil_id, []).append(row)
        return [Conflict(pupil_id, decisions) for pupil_id, decisions in by_pupil.items()
                if any(differ(a, b) for a in decisions for b in decisions)]


# --- the consent clause and "took part", for queries over Participant ---------------------


def consent_agrees() -> ColumnElement[bool]:
    """The newest decision of the consent ledger for the participant's trial and pupil is
    "agree" (the same order as ``Consents.current``), for queries over ``Participant``."""
    newest = (select(Consent.participation)
              .where(Consent.trial_id == Participant.trial_id,
                     Consent.pupil_id == Participant.pupil_id)
              .order_by(Consent.created_at.desc(), Consent.id.desc()).limit(1)
              .correlate(Participant).scalar_subquery())
    return newest == Participation.AGREE


def took_part() -> ColumnElement[bool]:
    """The participant took part: the newest consent agrees and they were not marked absent
    (unmarked counts as there) — the rule of handlers/participation.py, as SQL."""
    return and_(consent_agrees(), or_(Participant.attendance.is_(None),
                                      Participant.attendance != Attendance.ABSENT))

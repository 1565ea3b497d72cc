"""Who has not received what: the outbox seen from a school coordinator's side."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Outbox, OutboxStatus, Person, Trial
from storage.repos.sql import chunks


@dataclass(frozen=True)
class Undelivered:
    person_id: int
    name: str
    roles: tuple[str, ...]
    purpose: str
    trial_title: str | None
    created_at: datetime
    status: str  # failed
    error: str | None
    attempts: int


def _stuck(since: datetime) -> ColumnElement[bool]:
    """Failed for good, for messages queued since ``since``. A message still being retried
    (a 429, an outage of the channel) is not the coordinator's concern: the outbox keeps
    trying for as long as it matters (bot/outbox.py, LIFETIME) and only then gives up."""
    return and_(Outbox.created_at >= since, Outbox.status == OutboxStatus.FAILED)


class OutboxReport:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def undelivered(self, school_id: int, since: datetime,
                          limit: int = 20) -> list[Undelivered]:
        """The school's people's messages since ``since`` that have not arrived, newest first."""
        rows = await self.session.execute(
            select(Outbox, Person, Trial.title)
            .join(Person, Person.id == Outbox.person_id)
            .outerjoin(Trial, Trial.id == Outbox.trial_id)
            .where(Person.school_id == school_id, _stuck(since))
            .order_by(Outbox.created_at.desc(), Outbox.id.desc())
            .limit(limit))
        return [Undelivered(person.id, person.full_name, tuple(sorted(person.role_names)),
                            row.purpose, title, row.created_at, row.status, row.error,
                            row.attempts)
                for row, person, title in rows]

    async def schools_with_undelivered(self, school_ids: Iterable[int],
                                       since: datetime) -> set[int]:
        """Which of these schools have a person with a message that has not arrived."""
        found: set[int] = set()
        for chunk in chunks(sorted(set(school_ids))):
            found.update(s for s in await self.session.scalars(
                select(Person.school_id).join(Outbox, Outbox.person_id == Person.id)
                .where(Person.school_id.in_(chunk), _stuck(since)).distinct())
                if s is not None)
        return found

    async def undelivered_count(self, school_id: int, since: datetime) -> int:
        return int(await self.session.scalar(
            select(func.count()).select_from(Outbox)
            .join(Person, Person.id == Outbox.person_id)
            .where(Person.school_id == school_id, _stuck(since))
        ) or 0)

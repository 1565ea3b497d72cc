"""People, roles, identities and guardian links."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Guardian, Identity, Person, PersonRole

# Built once: the statement every inbound event starts with (building it anew each time
# cost as much as running it).
_BY_IDENTITY = (select(Person, Identity).join(Identity, Identity.person_id == Person.id)
                .where(Identity.channel == bindparam("channel"),
                       Identity.address == bindparam("address")))


class People:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, person_id: int) -> Person | None:
        return await self.session.get(Person, person_id)

    async def many(self, ids: Iterable[int]) -> dict[int, Person]:
        ids = list(set(ids))
        if not ids:
            return {}
        rows = await self.session.scalars(select(Person).where(Person.id.in_(ids)))
        return {p.id: p for p in rows}

    async def add(self, full_name: str, roles: Iterable[str], **fields: object) -> Person:
        person = Person(full_name=full_name, **fields)
        person.roles = [PersonRole(role=r) for r in sorted(set(roles))]
        self.session.add(person)
        await self.session.flush()
        return person

    async def add_role(self, person: Person, role: str) -> None:
        if role not in person.role_names:
            person.roles.append(PersonRole(role=role))
            await self.session.flush()

    async def by_identity(self, channel: str, address: str) -> tuple[Person, Identity] | None:
        row = (await self.session.execute(
            _BY_IDENTITY, {"channel": channel, "address": address})).first()
        return (row[0], row[1]) if row else None

    async def identity(self, channel: str, address: str) -> Identity | None:
        return await self.session.scalar(
            select(Identity).where(Identity.channel == channel, Identity.address == address)
        )

    async def bind_identity(
        self, person: Person, channel: str, address: str, now: datetime
    ) -> Identity:
        identity = Identity(
            person_id=person.id, channel=channel, address=address, created_at=now,
            last_inbound_at=now,
        )
        self.session.add(identity)
        person.unreachable_since = None
        person.unreachable_reason = None
        await self.session.flush()
        return identity

    async def identities(self, person_id: int) -> list[Identity]:
        rows = await self.session.scalars(
            select(Identity).where(Identity.person_id == person_id).order_by(Identity.id)
        )
        return list(rows)

    async def preferred_identities(self, person_ids: Iterable[int]) -> dict[int, Identity]:
        """For each person, the identity to write to: not blocked, most recently used."""
        ids = list(set(person_ids))
        if not ids:
            return {}
        rows = await self.session.scalars(
            select(Identity).where(Identity.person_id.in_(ids), Identity.blocked_at.is_(None))
        )
        best: dict[int, Identity] = {}
        for identity in rows:
            current = best.get(identity.person_id)
            if current is None or _recency(identity) > _recency(current):
                best[identity.person_id] = identity
        return best

    async def children(self, parent_id: int) -> list[Person]:
        rows = await self.session.scalars(
            select(Person)
            .join(Guardian, Guardian.pupil_id == Person.id)
            .where(Guardian.parent_id == parent_id)
            .order_by(Person.full_name)
        )
        return list(rows)

    async def guardians(self, pupil_id: int) -> list[Person]:
        rows = await self.session.scalars(
            select(Person)
            .join(Guardian, Guardian.parent_id == Person.id)
            .where(Guardian.pupil_id == pupil_id)
            .order_by(Person.id)
        )
        return list(rows)

    async def guardians_of(self, pupil_ids: Iterable[int]) -> dict[int, list[int]]:
        ids = list(set(pupil_ids))
        result: dict[int, list[int]] = {pid: [] for pid in ids}
        if ids:
            rows = await self.session.execute(
                select(Guardian.pupil_id, Guardian.parent_id).where(Guardian.pupil_id.in_(ids))
            )
            for pupil_id, parent_id in rows:
                result[pupil_id].append(parent_id)
        return result

    async def is_guardian(self, parent_id: int, pupil_id: int) -> bool:
        return (
            await self.session.get(Guardian, {"parent_id": parent_id, "pupil_id": pupil_id})
        ) is not None

    async def link_guardian(self, parent_id: int, pupil_id: int) -> None:
        if not await self.is_guardian(parent_id, pupil_id):
            self.session.add(Guardian(parent_id=parent_id, pupil_id=pupil_id))
            await self.session.flush()

    async def not_joined(self, school_id: int | None = None) -> list[Person]:
        """People with no channel yet (they have not redeemed an invite), not anonymised."""
        query = select(Person).where(
            Person.anonymised_at.is_(None),
            ~exists().where(Identity.person_id == Person.id),
        ).order_by(Person.school_id, Person.id)
        if school_id is not None:
            query = query.where(Person.school_id == school_id)
        return list(await self.session.scalars(query))

    async def in_class(self, class_id: int) -> list[Person]:
        rows = await self.session.scalars(
            select(Person).where(Person.class_id == class_id).order_by(Person.full_name)
        )
        return list(rows)

    async def with_role(self, school_id: int, role: str) -> list[Person]:
        rows = await self.session.scalars(
            select(Person)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(Person.school_id == school_id, PersonRole.role == role)
            .order_by(Person.id)
        )
        return list(rows)

    async def mark_blocked(self, channel: str, address: str, person_id: int | None,
                           now: datetime, reason: str) -> None:
        """The channel refused delivery; with no other channel left the person is
        unreachable (the coordinator's digest lists them)."""
        identity = await self.identity(channel, address)
        if identity is not None:
            identity.blocked_at = now
        if person_id is None:
            return
        others = await self.session.scalar(
            select(Identity.id).where(Identity.person_id == person_id,
                                      Identity.blocked_at.is_(None)).limit(1))
        person = await self.get(person_id)
        if others is None and person is not None and person.unreachable_since is None:
            person.unreachable_since = now
            person.unreachable_reason = reason[:200]

    def seen(self, person: Person, identity: Identity, now: datetime) -> None:
        """An inbound message: the channel works again, and it is the one to answer on."""
        identity.last_inbound_at = now
        identity.blocked_at = None
        person.unreachable_since = None
        person.unreachable_reason = None


def _recency(identity: Identity) -> datetime:
    return identity.last_inbound_at or identity.created_at

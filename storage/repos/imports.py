"""What an import reads and writes: everything a school already has, by natural key, and
the inserts and updates of one import (made in the caller's transaction: all or nothing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AuditLog,
    ClassTeacher,
    Guardian,
    Participant,
    Partner,
    Person,
    PersonRole,
    School,
    SchoolClass,
    Site,
    Trial,
)


@dataclass
class Snapshot:
    """A school's rows as they are before the import."""

    school: School | None
    classes: list[SchoolClass] = field(default_factory=list)
    class_teachers: dict[int, int] = field(default_factory=dict)  # class id → teacher id
    partners: list[Partner] = field(default_factory=list)
    sites: list[Site] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    guardians: set[tuple[int, int]] = field(default_factory=set)  # (parent id, pupil id)
    trials: list[Trial] = field(default_factory=list)
    participants: set[tuple[int, int]] = field(default_factory=set)  # (trial id, pupil id)


class Imports:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def schools(self) -> list[School]:
        return list(await self.session.scalars(select(School).order_by(School.id)))

    async def school(self, school_id: int) -> School | None:
        return await self.session.get(School, school_id)

    async def snapshot(self, school: School | None) -> Snapshot:
        if school is None:
            return Snapshot(None)
        sid = school.id
        classes = list(await self.session.scalars(
            select(SchoolClass).where(SchoolClass.school_id == sid).order_by(SchoolClass.id)))
        teachers = {class_id: teacher_id for class_id, teacher_id in await self.session.execute(
            select(ClassTeacher.class_id, ClassTeacher.teacher_id)
            .join(SchoolClass, SchoolClass.id == ClassTeacher.class_id)
            .where(SchoolClass.school_id == sid))}
        partners = list(await self.session.scalars(
            select(Partner).where(Partner.school_id == sid).order_by(Partner.id)))
        sites = list(await self.session.scalars(
            select(Site).join(Partner, Partner.id == Site.partner_id)
            .where(Partner.school_id == sid).order_by(Site.id)))
        people = list(await self.session.scalars(
            select(Person).where(Person.school_id == sid, Person.anonymised_at.is_(None))
            .order_by(Person.id)))
        ids = [p.id for p in people]
        guardians = {(parent, pupil) for parent, pupil in await self.session.execute(
            select(Guardian.parent_id, Guardian.pupil_id).where(Guardian.parent_id.in_(ids)))
                     } if ids else set()
        trials = list(await self.session.scalars(
            select(Trial).where(Trial.school_id == sid).order_by(Trial.id)))
        participants = {(trial, pupil) for trial, pupil in await self.session.execute(
            select(Participant.trial_id, Participant.pupil_id)
            .join(Trial, Trial.id == Participant.trial_id).where(Trial.school_id == sid))}
        return Snapshot(school, classes, teachers, partners, sites, people, guardians, trials,
                        participants)

    # Rows are added and changed in memory and written by :meth:`flush`, once per kind of
    # sheet: a school's thousands of pupils are then a few statements, not thousands.

    def add(self, row: Any) -> Any:
        self.session.add(row)
        return row

    def update(self, row: Any, fields: dict[str, Any]) -> bool:
        """Set the fields that differ; False when nothing did (no UPDATE is issued, so an
        unchanged row keeps its ``updated_at``)."""
        changed = False
        for name, value in fields.items():
            if getattr(row, name) != value:
                setattr(row, name, value)
                changed = True
        return changed

    def add_person(self, roles: set[str], **fields: Any) -> Person:
        person = Person(**fields)
        person.roles = [PersonRole(role=r) for r in sorted(roles)]
        return self.add(person)

    def add_roles(self, person: Person, roles: set[str]) -> bool:
        missing = roles - person.role_names
        for role in sorted(missing):
            person.roles.append(PersonRole(role=role))
        return bool(missing)

    async def flush(self) -> None:
        await self.session.flush()

    async def set_class_teacher(self, class_id: int, teacher_id: int | None) -> bool:
        link = await self.session.get(ClassTeacher, class_id)
        if teacher_id is None or (link is not None and link.teacher_id == teacher_id):
            return False
        if link is None:
            self.session.add(ClassTeacher(class_id=class_id, teacher_id=teacher_id))
        else:
            link.teacher_id = teacher_id
        await self.session.flush()
        return True

    async def previewed(self, person_id: int | None, subject: str, since: datetime) -> bool:
        """Whether the person was shown this file's removals (``subject``) since ``since``."""
        found = await self.session.scalar(select(AuditLog.id).where(
            AuditLog.actor_id == person_id, AuditLog.action == "import.preview",
            AuditLog.subject == subject, AuditLog.at >= since).limit(1))
        return found is not None

    async def change_children(self, parent_id: int, new: set[int], gone: set[int]) -> bool:
        """Link the parent to the ``new`` pupils and unlink the ``gone`` ones."""
        if gone:
            await self.session.execute(delete(Guardian).where(
                Guardian.parent_id == parent_id, Guardian.pupil_id.in_(gone)))
        for pupil_id in sorted(new):
            self.session.add(Guardian(parent_id=parent_id, pupil_id=pupil_id))
        if gone or new:
            await self.session.flush()
        return bool(gone or new)

"""Schools, classes, partners and sites."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ClassTeacher, Partner, School, SchoolClass, Site


class Schools:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, school_id: int) -> School | None:
        return await self.session.get(School, school_id)

    async def by_name(self, name: str) -> School | None:
        return await self.session.scalar(select(School).where(School.name == name))

    async def all(self) -> list[School]:
        return list(await self.session.scalars(select(School).order_by(School.id)))

    async def add(self, **fields: object) -> School:
        school = School(**fields)
        self.session.add(school)
        await self.session.flush()
        return school

    async def school_class(self, class_id: int) -> SchoolClass | None:
        return await self.session.get(SchoolClass, class_id)

    async def class_by_name(self, school_id: int, name: str) -> SchoolClass | None:
        return await self.session.scalar(
            select(SchoolClass).where(SchoolClass.school_id == school_id, SchoolClass.name == name)
        )

    async def classes(self, school_id: int) -> list[SchoolClass]:
        return list(await self.session.scalars(
            select(SchoolClass).where(SchoolClass.school_id == school_id).order_by(SchoolClass.name)
        ))

    async def add_class(self, school_id: int, name: str, grade: int) -> SchoolClass:
        cls = SchoolClass(school_id=school_id, name=name, grade=grade)
        self.session.add(cls)
        await self.session.flush()
        return cls

    async def set_class_teacher(self, class_id: int, teacher_id: int) -> None:
        link = await self.session.get(ClassTeacher, class_id)
        if link is None:
            self.session.add(ClassTeacher(class_id=class_id, teacher_id=teacher_id))
        else:
            link.teacher_id = teacher_id
        await self.session.flush()

    async def class_teacher_id(self, class_id: int) -> int | None:
        link = await self.session.get(ClassTeacher, class_id)
        return link.teacher_id if link else None

    async def partner(self, partner_id: int) -> Partner | None:
        return await self.session.get(Partner, partner_id)

    async def partner_by_name(self, school_id: int, name: str) -> Partner | None:
        return await self.session.scalar(
            select(Partner).where(Partner.school_id == school_id, Partner.name == name)
        )

    async def add_partner(self, **fields: object) -> Partner:
        partner = Partner(**fields)
        self.session.add(partner)
        await self.session.flush()
        return partner

    async def site(self, site_id: int) -> Site | None:
        return await self.session.get(Site, site_id)

    async def site_by_name(self, partner_id: int, name: str) -> Site | None:
        return await self.session.scalar(
            select(Site).where(Site.partner_id == partner_id, Site.name == name)
        )

    async def add_site(self, **fields: object) -> Site:
        site = Site(**fields)
        self.session.add(site)
        await self.session.flush()
        return site

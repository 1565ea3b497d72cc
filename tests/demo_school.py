"""The demo school of ``synaq demo``, loaded into a test's database, with helpers to invite."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from storage.demo import load_demo
from storage.models import Person, Trial
from storage.repos.invites import Invites

from .harness import Harness, TgUser

PUPILS = ("Аружан Серікқызы", "Диас Маратұлы", "Мадина Қайратқызы")
PARENTS = ("Сәуле Серікова", "Марат Әбенов", "Қайрат Омаров")
MENTOR = "Ерлан Жақсыбеков"
COORDINATOR = "Гүлнар Сейтқали"
TEACHER = "Айгүл Нұрланова"


@dataclass
class DemoSchool:
    h: Harness
    school_id: int
    trial_id: int
    people: dict[str, Person]

    @classmethod
    async def load(cls, h: Harness) -> DemoSchool:
        async with h.db() as session:
            demo = await load_demo(session, h.now)
            rows = await session.scalars(select(Person).where(Person.school_id == demo.school_id))
            people = {p.full_name: p for p in rows}
        return cls(h, demo.school_id, demo.trial_id, people)

    def id(self, name: str) -> int:
        return self.people[name].id

    async def trial(self) -> Trial:
        async with self.h.db() as session:
            trial = await session.get(Trial, self.trial_id)
            assert trial is not None
            return trial

    async def code(self, name: str) -> str:
        person = self.people[name]
        async with self.h.db() as session:
            role = sorted(person.role_names)[0]
            return await Invites(session).issue(person.id, role, self.school_id, self.h.now,
                                                self.h.config.invite_ttl)

    async def join(self, name: str, lang: str = "kk", tg_lang: str | None = None) -> TgUser:
        """A Telegram user who joins as ``name`` and picks ``lang``."""
        user = self.h.user(name.split()[0], lang=tg_lang)
        await user.says(f"/start {await self.code(name)}")
        label = {"kk": "Қазақша", "ru": "Русский", "en": "English"}[lang]
        await user.taps(label)
        return user

"""The demo school of ``synaq demo``, loaded into a test's database, with helpers to invite."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select

from handlers.context import Context
from handlers.delivery import enqueue
from handlers.features import WIRING
from handlers.mentor.buttons import ANYWAY, AddFeedback, RateCard, SubmitCard
from handlers.pupil.buttons import StartAfter
from handlers.schedule.timeline import Recipient
from storage.demo import load_demo
from storage.models import FlowRun, Person, Trial
from storage.repos.consents import Consents
from storage.repos.invites import Invites
from storage.repos.people import People
from storage.repos.trials import Trials

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

    async def add_person(self, name: str, role: str, locale: str | None = None,
                         children: tuple[str, ...] = (), on_trial: bool = False) -> Person:
        """Another person of the demo school: a second parent, a sibling on the trial…"""
        async with self.h.db() as session:
            people = People(session)
            person = await people.add(name, [role], school_id=self.school_id, locale=locale)
            for child in children:
                await people.link_guardian(person.id, self.id(child))
            if on_trial:
                await Trials(session).add_participant(self.trial_id, person.id, self.h.now)
        self.people[name] = person
        return person

    async def link(self, parent: str, pupil: str) -> None:
        async with self.h.db() as session:
            await People(session).link_guardian(self.id(parent), self.id(pupil))

    async def consent(self, parent: str, tier: str | None = "Portfolio only",
                      note: str | None = None) -> TgUser:
        """``parent`` joins (in English) and answers the consent request: agrees with the
        photo ``tier`` label, or declines when ``tier`` is None."""
        user = await self.join(parent, lang="en")
        await self.remind("consent.request")
        request = next(m for m in reversed(user.inbox) if "invites" in m.text)
        await user.taps("Answer: consent", request)
        if tier is None:
            await user.taps("I do not agree")
            return user
        await user.taps("I agree")
        await user.taps(tier)
        if note is None:
            await user.taps("Skip")
        else:
            await user.says(note)
        await user.taps("I have read the safety rules")
        return user

    async def remind(self, purpose: str, occurrence: int = 0) -> list[Recipient]:
        """What the timeline job does for one registered reminder of the demo trial at
        ``h.now``: each recipient still pending gets the built messages, queued and
        delivered. Returns those recipients."""
        reminder = WIRING.reminders[purpose]
        done: list[Recipient] = []
        async with self.h.db() as session:
            ctx = Context(session=session, wiring=WIRING, now=self.h.now, config=self.h.config)
            trial = await session.get(Trial, self.trial_id)
            assert trial is not None
            for recipient in await reminder.recipients(ctx, trial):
                if await reminder.pending(ctx, trial, recipient):
                    await enqueue(ctx, await reminder.build(ctx, trial, recipient, occurrence))
                    done.append(recipient)
        await self.h.deliver()
        return done

    async def record_consent(self, pupil: str, participation: str = "agree",
                             medical_note: str | None = None) -> None:
        """The parent's decision for ``pupil``, written straight into the consent ledger."""
        async with self.h.db() as session:
            trial = await session.get(Trial, self.trial_id)
            assert trial is not None
            parents = await People(session).guardians(self.id(pupil))
            await Consents(session).record(
                trial_id=self.trial_id, pupil_id=self.id(pupil),
                parent_id=parents[0].id if parents else None, action="given",
                participation=participation, photo_tier="portfolio", medical_note=medical_note,
                safety_read=True, text_version=trial.text_version, channel="telegram",
                now=self.h.now)

    async def other_trial(self, mentor: str, pupil: str) -> int:
        """A second trial of the school at the same time, with its own mentor and pupil."""
        async with self.h.db() as session:
            people, trials = People(session), Trials(session)
            demo = await session.get(Trial, self.trial_id)
            assert demo is not None
            other_mentor = await people.add(mentor, ["mentor"], school_id=self.school_id)
            other_pupil = await people.add(pupil, ["pupil"], school_id=self.school_id)
            trial = await trials.add(
                school_id=self.school_id, title="Аспаз: салат дайындау",
                starts_at=demo.starts_at, ends_at=demo.ends_at,
                coordinator_id=demo.coordinator_id, mentor_id=other_mentor.id)
            await trials.add_participant(trial.id, other_pupil.id, self.h.now)
        self.people[mentor], self.people[pupil] = other_mentor, other_pupil
        return trial.id

    async def reflect(self, pupil: TgUser, did: str = "I wired a circuit from a diagram",
                      photo: bytes | None = None) -> None:
        """``pupil`` (joined in English) answers the after-questionnaire of the demo trial
        through the chat: six answers (the first is ``did``), yes / yes, 3 × 5, and the
        ``photo`` as the artefact (or "I have none")."""
        await pupil.presses(StartAfter(self.trial_id).pack())
        for answer in (did, "The lamp lit", "Stripping wires", "Care", "I like exact work",
                       "Yes"):
            await pupil.says(answer)
        await pupil.taps("Yes")
        await pupil.taps("Yes")
        for _criterion in range(5):
            await pupil.taps("3")
        if photo is None:
            await pupil.taps("I have none")
        else:
            await pupil.sends_photo(photo)
            await pupil.taps("Done")

    async def held(self, tier: str | None = "Portfolio only", photo: bytes | None = None,
                   plus: str | None = "Reads the diagram well",
                   ) -> tuple[TgUser | None, TgUser, TgUser]:
        """Аружан's part of the demo trial, done through the chat: her parent consents in
        English with the photo ``tier`` (None: the test has arranged the consent); after
        the end the mentor (English) rates her 3·3·3·3·3 "yes", writes the ``plus`` and
        submits the card; she answers the after-questionnaire with ``photo``. The clock
        stands 15 minutes after the end; the scheduler has not run. Returns (parent, pupil,
        mentor)."""
        parent = await self.consent(PARENTS[0], tier=tier) if tier is not None else None
        mentor = await self.join(MENTOR, lang="en")
        pupil = await self.join(PUPILS[0], lang="en")
        trial = await self.trial()
        self.h.clock.set(trial.ends_at + timedelta(minutes=5))
        await mentor.presses(RateCard(self.trial_id).pack())
        for label in ("3", "3", "3", "3", "3", "Yes"):
            await mentor.taps(label)
        if plus is not None:
            self.h.clock.advance(minutes=2)
            await mentor.presses(AddFeedback(await self._rubric_run(PUPILS[0])).pack())
            await mentor.taps("Skip")
            await mentor.says(plus)
            await mentor.taps("Skip")
            await mentor.taps("Skip")
        await mentor.presses(SubmitCard(self.trial_id, ANYWAY).pack())
        self.h.clock.advance(minutes=3)
        await self.reflect(pupil, photo=photo)
        self.h.clock.set(trial.ends_at + timedelta(minutes=15))
        return parent, pupil, mentor

    async def _rubric_run(self, pupil: str) -> int:
        async with self.h.db() as session:
            run_id = await session.scalar(select(FlowRun.id).where(
                FlowRun.flow_id == "mentor.rubric", FlowRun.pupil_id == self.id(pupil)))
            assert run_id is not None
            return int(run_id)


def jpeg(color: tuple[int, int, int] = (30, 120, 200)) -> bytes:
    """A real JPEG picture (PDFs embed it): a board with a circuit and a lamp."""
    image = Image.new("RGB", (320, 240), color)
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 280, 200), outline=(255, 255, 255), width=6)
    draw.ellipse((140, 20, 180, 60), fill=(255, 220, 0))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()

"""The coordinator sets a trial up in the chat, invites its people and moves it by a day
(issue "Coordinator operations", done-when 2): the right people are told, each in their own
language, the mentor is asked again, and the timeline's reminders follow the new time —
walked with the scheduler's own entry point, nothing sent twice.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from handlers.features import WIRING
from storage.models import Outbox, Participant, Trial
from storage.repos.invites import Invites

from .demo_school import COORDINATOR, MENTOR, PARENTS, PUPILS, TEACHER
from .harness import Harness, TgUser

ASTANA = ZoneInfo("Asia/Almaty")
ARUZHAN, DIAS, MADINA = PUPILS
SAULE, MARAT, KAIRAT = PARENTS
TITLE = "Электрик: шамды қосу"
LANGUAGES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of November 2026 in Astana, as UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=ASTANA).astimezone(UTC)


async def create_in_chat(coordinator: TgUser, title: str = TITLE,
                         when: str = "27.11.2026 10:00-12:00", untick: tuple[str, ...] = (MADINA,),
                         mentor: str | None = MENTOR, escort: str | None = TEACHER) -> int:
    """The coordinator (English) sets up a trial through the menu: typed name and time, the
    demo site, mentor and escort by buttons (or skipped), class 8А minus ``untick``, no goal
    (skipped), a typed mini-task, everything else skipped; "Create". Returns its id."""
    await coordinator.says("/menu")
    await coordinator.taps("New trial")
    await coordinator.says(title)
    await coordinator.says(when)
    await coordinator.taps("Электр шеберханасы")
    await coordinator.taps(mentor or "Skip")
    await coordinator.taps(escort or "Skip")
    await coordinator.taps("8А")
    for name in untick:
        await coordinator.taps(name)
    await coordinator.taps("Done")
    await coordinator.taps("Skip")  # the pupil's goal
    await coordinator.says("1) Choose the parts\n2) Wire the circuit\n3) Switch the lamp on")
    for _field in ("ppe", "bring", "risks", "photo"):
        await coordinator.taps("Skip")
    assert "Please check the new trial" in coordinator.last.text
    created = await coordinator.taps("Create the trial")
    assert "The trial is created" in created[0].text
    async with coordinator.h.db() as session:
        trial_id = await session.scalar(select(Trial.id).where(Trial.title == title)
                                        .order_by(Trial.id.desc()))
    assert trial_id is not None
    return int(trial_id)


def codes_in(text: str) -> dict[str, str]:
    """Person's name → code, from the trial's "links in this chat" message."""
    found = {}
    for block in text.split("\n\n")[1:]:
        name = re.split(r" \(|, parent of", block.split("\n")[0])[0]
        code = re.search(r"<b>([2-9A-HJ-NP-Z]{8})</b>", block)
        assert code is not None, block
        found[name] = code.group(1)
    return found


async def joins(h: Harness, code: str, name: str, lang: str) -> TgUser:
    user = h.user(name.split()[0])
    await user.says(f"/start {code}")
    await user.taps(LANGUAGES[lang])
    return user


async def timed(h: Harness, trial_id: int, moment: datetime) -> dict[int, set[str]]:
    """person id → the timeline purposes of ``trial_id`` sent at ``moment``."""
    async with h.db() as session:
        rows = list(await session.scalars(select(Outbox).where(
            Outbox.trial_id == trial_id, Outbox.sent_at == moment,
            Outbox.dedup_key.is_not(None))))
    got: dict[int, set[str]] = {}
    for row in rows:
        purpose = (row.dedup_key or "").split(":")[0]
        if purpose in WIRING.reminders:
            got.setdefault(row.person_id or 0, set()).add(purpose)
    return got


async def test_a_trial_set_up_in_chat_invited_and_moved_by_a_day(h, demo):
    coordinator = await demo.join(COORDINATOR, lang="en")
    trial_id = await create_in_chat(coordinator)

    # The card as typed and picked; the participants put on it now.
    demo_class = (await demo.trial()).class_id
    async with h.db() as session:
        trial = await session.get(Trial, trial_id)
        assert trial is not None
        assert (trial.coordinator_id, trial.mentor_id, trial.escort_id) == (
            demo.id(COORDINATOR), demo.id(MENTOR), demo.id(TEACHER))
        assert (trial.starts_at, trial.ends_at) == (local(27, 10), local(27, 12))
        assert trial.mini_task == ["Choose the parts", "Wire the circuit", "Switch the lamp on"]
        assert trial.pupil_goal is None and trial.photo_policy is None  # skipped
        assert (trial.class_id, trial.grade_band) == (demo_class, "8-9")
        assert (trial.status, trial.mentor_status, trial.schedule_version) == (
            "planned", "pending", 1)
        participants = list(await session.scalars(
            select(Participant).where(Participant.trial_id == trial_id)))
    assert {p.pupil_id: p.added_at for p in participants} == {
        demo.id(ARUZHAN): h.now, demo.id(DIAS): h.now}

    # Invites: fresh codes for the six people of the trial; five of them join.
    await coordinator.taps("Invite those who have not joined (6)")
    links = (await coordinator.taps("Links in this chat"))[-1]
    codes = codes_in(links.text)
    assert set(codes) == {ARUZHAN, SAULE, DIAS, MARAT, MENTOR, TEACHER}
    async with h.db() as session:
        for name, code in codes.items():
            invite = await Invites(session).find(code)
            assert invite is not None and invite.person_id == demo.id(name)
    users = {SAULE: await joins(h, codes[SAULE], SAULE, "kk"),
             MARAT: await joins(h, codes[MARAT], MARAT, "ru"),
             DIAS: await joins(h, codes[DIAS], DIAS, "kk"),
             MENTOR: await joins(h, codes[MENTOR], MENTOR, "en"),
             TEACHER: await joins(h, codes[TEACHER], TEACHER, "ru"),
             KAIRAT: await demo.join(KAIRAT, lang="kk")}  # Мадина's father: not on it
    names = {demo.id(name): name for name in users}

    async def step(moment: datetime, expected: dict[str, set[str]]) -> None:
        await h.tick(moment)
        got = await timed(h, trial_id, moment)
        assert {names.get(p, str(p)): purposes for p, purposes in got.items()} == expected, \
            moment.astimezone(ASTANA)

    # Monday 09:05: the consent requests; Сәуле agrees in Kazakh.
    await step(local(23, 9, 5), {SAULE: {"consent.request"}, MARAT: {"consent.request"}})
    saule = users[SAULE]
    request = next(m for m in saule.inbox if TITLE in m.text and m.buttons)
    await saule.taps("Жауап беру: келісім", request)
    await saule.taps("Келісемін")
    await saule.taps("Тек портфолио үшін")
    await saule.taps("Өткізіп жіберу")
    await saule.taps("Қауіпсіздік ережелерімен таныстым")
    # T − 3 d: the consent reminder to Марат; T − 2 d: the mentor confirms.
    await step(local(24, 10), {MARAT: {"consent.reminder"}})
    await step(local(25, 10), {MENTOR: {"mentor.confirm"}})
    mentor = users[MENTOR]
    await mentor.taps("I will come")
    assert (await demo_trial(h, trial_id)).mentor_status == "confirmed"

    # Wednesday noon: moved by a day, to Saturday.
    h.clock.set(local(25, 12))
    for user in users.values():
        user.new()
    await coordinator.says("/menu")
    await coordinator.taps("My trials")
    await coordinator.taps(TITLE)
    await coordinator.taps("Move")
    await coordinator.says("28.11.2026 10:00-12:00")
    assert "to Saturday, 28 November, 10:00–12:00?" in coordinator.last.text
    done = await coordinator.taps("Move it")
    assert "is now Saturday, 28 November, 10:00–12:00 (it was Friday, 27 November" in done[0].text
    assert "Told: 5 people" in done[0].text and "1 have not joined" in done[0].text

    told = {name: [m for m in user.new() if TITLE in m.text or "moved" in m.text]
            for name, user in users.items()}
    [saule_note] = told[SAULE]
    assert "шешіміңіз күшінде қалады" in saule_note.text and "28 қараша" in saule_note.text
    assert "қатысады" in saule_note.text  # her decision, in her words
    assert saule_note.labels == ["🔎 Шешімді қарау"]
    [marat_note] = told[MARAT]
    assert "ждём вашего ответа за Диас Маратұлы" in marat_note.text
    assert "28 ноября" in marat_note.text and "✍️ Ответить: согласие" in marat_note.labels
    [dias_note] = told[DIAS]
    assert "сынағыңыз ауыстырылды" in dias_note.text and "28 қараша" in dias_note.text
    [mentor_note] = told[MENTOR]
    assert "moved to a new time. Please confirm again" in mentor_note.text
    assert "28 November" in mentor_note.text and "✅ I will come" in mentor_note.labels
    [escort_note] = told[TEACHER]
    assert "которую вы сопровождаете, перенесена" in escort_note.text
    assert "28 ноября" in escort_note.text
    assert told[KAIRAT] == []
    trial = await demo_trial(h, trial_id)
    assert (trial.starts_at, trial.ends_at) == (local(28, 10), local(28, 12))
    assert (trial.mentor_status, trial.text_version, trial.schedule_version) == (
        "pending", 2, 2)

    # The reminders follow the new time: nothing at the old moments, each at the new ones.
    await step(local(25, 12, 1), {})
    await step(local(26, 10), {MENTOR: {"mentor.confirm"}})  # new T − 2 d (old T − 1 d)
    await step(local(26, 15), {})  # the old before-questionnaire
    await step(local(26, 18), {})  # the old logistics
    await step(local(27, 8), {})  # the old short card
    await step(local(27, 10), {MARAT: {"consent.reminder"}, MENTOR: {"mentor.confirm"}})
    await step(local(27, 10), {MARAT: {"consent.reminder"}, MENTOR: {"mentor.confirm"}})
    await step(local(27, 15), {DIAS: {"pupil.before"}})
    await step(local(27, 18), {SAULE: {"logistics"}, MARAT: {"logistics"},
                               DIAS: {"logistics"}})
    await step(local(28, 8), {MENTOR: {"card.short"}, TEACHER: {"card.short"}})
    await step(local(28, 10), {TEACHER: {"escort.attendance"}})

    reminder = next(m for m in users[MARAT].inbox if "Напоминание" in m.text and TITLE in m.text
                    and "28 ноября" in m.text)
    assert reminder is not None
    before = next(m for m in users[DIAS].inbox if TITLE in m.text and "28 қараша" in m.text
                  and m.labels == ["📝 Жауап беру"])
    assert before is not None
    # Nothing twice: each (purpose, person) once per occurrence of each schedule.
    async with h.db() as session:
        keys = sorted(k for k in await session.scalars(select(Outbox.dedup_key).where(
            Outbox.trial_id == trial_id, Outbox.dedup_key.like("mentor.confirm:%")
            | Outbox.dedup_key.like("consent.reminder:%"))))
    m, p = demo.id(MENTOR), demo.id(MARAT)
    assert keys == [f"consent.reminder:{trial_id}:{p}:{demo.id(DIAS)}:0",
                    f"consent.reminder:{trial_id}:{p}:{demo.id(DIAS)}:1v2",
                    f"mentor.confirm:{trial_id}:{m}:-:0",
                    f"mentor.confirm:{trial_id}:{m}:-:0v2",
                    f"mentor.confirm:{trial_id}:{m}:-:1v2"]


async def demo_trial(h: Harness, trial_id: int) -> Trial:
    async with h.db() as session:
        trial = await session.get(Trial, trial_id)
        assert trial is not None
        return trial

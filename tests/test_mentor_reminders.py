"""The mentor's and the escort's messages on the trial's timeline: who gets them, and when
they stop (the scheduler walking the registry is tested with it; here each reminder is run
the way it runs them)."""

from datetime import timedelta

from sqlalchemy import select

from handlers.features import WIRING
from storage.models import Outbox

from .demo_school import MENTOR, PUPILS, TEACHER

ARUZHAN, DIAS, MADINA = PUPILS


async def _queued(h, purpose):
    async with h.db() as session:
        rows = await session.execute(select(Outbox.person_id, Outbox.trial_id)
                                     .where(Outbox.purpose == purpose).order_by(Outbox.id))
        return [tuple(r) for r in rows]


def test_the_timeline_of_the_mentor_and_the_escort():
    day, hour = timedelta(days=1), timedelta(hours=1)
    confirm = WIRING.reminders["mentor.confirm"]
    assert (confirm.anchor, confirm.offsets) == ("start", (-2 * day, -day))
    card, early = WIRING.reminders["card.short"], WIRING.reminders["card.short.early"]
    assert (card.anchor, card.offsets, card.at_local) == ("start", (timedelta(0),), "08:00")
    assert (early.anchor, early.offsets, early.at_local) == ("start", (-hour,), None)
    rubric, morning = WIRING.reminders["mentor.rubric"], WIRING.reminders["mentor.rubric.morning"]
    assert (rubric.anchor, rubric.offsets) == ("end", (timedelta(0), 3 * hour))
    assert (morning.anchor, morning.offsets, morning.at_local) == ("end", (day,), "09:00")
    attendance = WIRING.reminders["escort.attendance"]
    assert (attendance.anchor, attendance.offsets, attendance.audience) == (
        "start", (timedelta(0),), "teacher")


async def test_the_confirmation_goes_to_the_mentor_until_they_answer(h, demo):
    mentor = await demo.join(MENTOR, lang="en")

    sent = await demo.remind("mentor.confirm")

    assert [r.person_id for r in sent] == [demo.id(MENTOR)]
    assert "The school counts on you" in mentor.last.text
    assert await _queued(h, "mentor.confirm") == [(demo.id(MENTOR), demo.trial_id)]
    await mentor.taps("I will come")
    assert await demo.remind("mentor.confirm", occurrence=1) == []


async def test_the_repeat_says_it_is_a_reminder(h, demo):
    mentor = await demo.join(MENTOR, lang="ru")
    await demo.remind("mentor.confirm", occurrence=1)
    assert "напоминание" in mentor.last.text.lower()
    assert mentor.last.labels == ["✅ Приду", "❌ Не смогу прийти"]


async def test_attendance_goes_to_the_escort_until_every_admitted_pupil_is_marked(h, demo):
    await demo.record_consent(ARUZHAN)
    await demo.record_consent(DIAS)  # Madina has no consent: nobody waits for her mark
    escort = await demo.join(TEACHER, lang="en")
    h.clock.set((await demo.trial()).starts_at)

    assert [r.person_id for r in await demo.remind("escort.attendance")] == [demo.id(TEACHER)]

    assert "The trial is starting" in escort.last.text
    assert await _queued(h, "escort.attendance") == [(demo.id(TEACHER), demo.trial_id)]
    await escort.taps("All the others are present")
    assert await demo.remind("escort.attendance") == []


async def test_the_rubric_prompt_goes_to_the_mentor_until_the_card_is_submitted(h, demo):
    await demo.record_consent(ARUZHAN)
    mentor = await demo.join(MENTOR, lang="en")
    await demo.join(TEACHER, lang="en")
    h.clock.set((await demo.trial()).ends_at)

    assert [r.person_id for r in await demo.remind("mentor.rubric")] == [demo.id(MENTOR)]

    assert "Pupils to rate: 1" in mentor.last.text
    await mentor.taps("Rate the pupils")
    for label in ("3", "3", "3", "2", "3"):
        await mentor.taps(label)
    h.clock.advance(hours=3)
    await demo.remind("mentor.rubric", occurrence=1)
    assert "not submitted yet (0 of 1" in mentor.last.text
    await mentor.taps("Rate the pupils")  # back where the mentor stopped
    await mentor.taps("Yes")
    await mentor.taps("Submit the card")
    h.clock.advance(hours=18)
    assert await demo.remind("mentor.rubric.morning") == []
    assert await _queued(h, "mentor.rubric") == [(demo.id(MENTOR), demo.trial_id)] * 2


async def test_a_mentor_who_cannot_come_gets_neither_the_card_nor_the_rubric_prompt(h, demo):
    await demo.record_consent(ARUZHAN, medical_note="Asthma")
    mentor = await demo.join(MENTOR, lang="en")
    await demo.join(TEACHER, lang="en")
    await mentor.taps("Please confirm")
    await mentor.taps("I can't come")
    trial = await demo.trial()

    h.clock.set(trial.starts_at - timedelta(hours=2))
    assert [r.person_id for r in await demo.remind("card.short")] == [demo.id(TEACHER)]
    h.clock.set(trial.ends_at)
    assert await demo.remind("mentor.rubric") == []
    assert "Asthma" not in " ".join(m.text for m in mentor.inbox)

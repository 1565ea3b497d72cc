"""The escorting class teacher marks attendance with one tap per pupil and, optionally, the
+/− card of Annex 5; pupils without consent are "do not admit"; only the escort (and the
coordinator) may mark."""

from datetime import timedelta

from sqlalchemy import select

from handlers.escort.buttons import (
    RestPresent,
    ShowAttendance,
    ShowMarks,
    SwitchMark,
    TogglePresence,
)
from storage.models import Participant

from .demo_school import COORDINATOR, MENTOR, PUPILS, TEACHER

ARUZHAN, DIAS, MADINA = PUPILS


async def _participants(h, demo):
    async with h.db() as session:
        rows = await session.scalars(
            select(Participant).where(Participant.trial_id == demo.trial_id))
        return {p.pupil_id: p for p in rows}


async def _at_the_start(h, demo, lang="en"):
    await demo.record_consent(ARUZHAN)
    await demo.record_consent(DIAS)
    await demo.record_consent(MADINA, participation="decline")
    escort = await demo.join(TEACHER, lang=lang)
    h.clock.set((await demo.trial()).starts_at + timedelta(minutes=2))
    return escort


async def test_attendance_is_one_message_with_a_switch_per_pupil(h, demo):
    escort = await _at_the_start(h, demo)
    await escort.says("/menu")
    assert any("Short card" in label for label in escort.last.labels)
    await escort.taps("Attendance")
    roll = escort.last
    assert roll.labels[:2] == [f"⬜ {ARUZHAN}", f"⬜ {DIAS}"]
    assert f"Do not admit (no parent consent): {MADINA}" in roll.text
    assert not any(MADINA in label for label in roll.labels)
    assert "Marked: 0 of 2" in roll.text

    await escort.taps(ARUZHAN)
    assert f"✅ {ARUZHAN}" in escort.last.labels and "Marked: 1 of 2" in escort.last.text
    await escort.taps(DIAS)
    await escort.taps(DIAS)

    assert f"❌ {DIAS}" in escort.last.labels and "Marked: 2 of 2" in escort.last.text
    assert "All the others are present" not in " ".join(escort.last.labels)
    marks = await _participants(h, demo)
    assert marks[demo.id(ARUZHAN)].attendance == "present"
    assert marks[demo.id(DIAS)].attendance == "absent"
    assert marks[demo.id(DIAS)].attendance_by == demo.id(TEACHER)
    assert marks[demo.id(MADINA)].attendance is None


async def test_a_pupil_without_consent_cannot_be_marked_present(h, demo):
    escort = await _at_the_start(h, demo)
    madina = (await _participants(h, demo))[demo.id(MADINA)].id

    await escort.presses(TogglePresence(madina).pack())

    assert f"{MADINA} has no parent consent" in escort.last.text
    assert (await _participants(h, demo))[demo.id(MADINA)].attendance is None
    await escort.presses(ShowAttendance(demo.trial_id).pack())
    await escort.taps("All the others are present")
    marks = await _participants(h, demo)
    assert [marks[demo.id(p)].attendance for p in PUPILS] == ["present", "present", None]


async def test_the_plus_minus_card_is_for_pupils_present(h, demo):
    escort = await _at_the_start(h, demo, lang="kk")
    await escort.presses(ShowAttendance(demo.trial_id).pack())
    await escort.taps(ARUZHAN)
    await escort.taps("±")

    card = escort.last
    assert "Белсенділік, қызығушылық" in card.text and "Жұмысты аяқтау" in card.text
    assert not any("Диас" in label for label in card.labels)
    await escort.taps("Аружан С. · Белсенділік")
    await escort.taps("Аружан С. · Аяқтау")
    await escort.taps("Аружан С. · Аяқтау")
    assert "Аружан С. · Белсенділік +" in escort.last.labels
    assert "Аружан С. · Аяқтау −" in escort.last.labels
    aruzhan = (await _participants(h, demo))[demo.id(ARUZHAN)]
    assert (aruzhan.activity_mark, aruzhan.completed_mark) == ("+", "-")

    dias = (await _participants(h, demo))[demo.id(DIAS)].id
    await escort.presses(SwitchMark(dias, "a").pack())  # not present: nothing to mark
    assert (await _participants(h, demo))[demo.id(DIAS)].activity_mark is None
    # Marked absent after all: the +/− marks of a pupil who was not there go.
    await escort.presses(TogglePresence(aruzhan.id).pack())
    aruzhan = (await _participants(h, demo))[demo.id(ARUZHAN)]
    assert (aruzhan.attendance, aruzhan.activity_mark, aruzhan.completed_mark) == (
        "absent", None, None)


async def test_only_the_escort_and_the_coordinator_may_mark(h, demo):
    escort = await _at_the_start(h, demo)
    mentor = await demo.join(MENTOR, lang="en")
    coordinator = await demo.join(COORDINATOR, lang="en")
    await demo.other_trial("Бауыржан Оспанов", "Ержан Берікұлы")
    other = await demo.join("Бауыржан Оспанов", lang="en")
    aruzhan = (await _participants(h, demo))[demo.id(ARUZHAN)].id

    for user in (mentor, other):
        for data in (ShowAttendance(demo.trial_id).pack(), TogglePresence(aruzhan).pack(),
                     RestPresent(demo.trial_id).pack(), ShowMarks(demo.trial_id).pack(),
                     SwitchMark(aruzhan, "a").pack()):
            await user.presses(data)
            assert "no longer active" in user.last.text, data
            assert ARUZHAN not in user.last.text
    assert (await _participants(h, demo))[demo.id(ARUZHAN)].attendance is None

    await coordinator.presses(TogglePresence(aruzhan).pack())
    marked = (await _participants(h, demo))[demo.id(ARUZHAN)]
    assert (marked.attendance, marked.attendance_by) == ("present", demo.id(COORDINATOR))
    assert escort.new() == []  # the escort is not disturbed


async def test_attendance_opens_on_the_day_of_the_trial(h, demo):
    await demo.record_consent(ARUZHAN)
    escort = await demo.join(TEACHER, lang="en")
    aruzhan = (await _participants(h, demo))[demo.id(ARUZHAN)].id
    await escort.says("/menu")
    assert "Nothing needs your attention" in escort.last.text

    await escort.presses(TogglePresence(aruzhan).pack())

    assert "on the day of the trial" in escort.last.text
    assert (await _participants(h, demo))[demo.id(ARUZHAN)].attendance is None

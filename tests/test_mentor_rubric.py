"""The mentor rates each present pupil on form Б: six taps, the next pupil comes by itself;
ratings can be fixed until the card is submitted; nobody else can touch them."""

from datetime import timedelta

from sqlalchemy import func, select

from handlers.escort.buttons import ShowAttendance, TogglePresence
from handlers.mentor.buttons import (
    ANYWAY,
    AddFeedback,
    AskRating,
    ChangeRating,
    PupilRatings,
    RateCard,
    RubricOverview,
    ShortCard,
    SubmitCard,
)
from storage.models import FlowRun, Participant
from storage.repos.rubric import Rubrics

from .demo_school import MENTOR, PUPILS, TEACHER

ARUZHAN, DIAS, MADINA = PUPILS


async def _cards(h, demo):
    async with h.db() as session:
        return await Rubrics(session).cards(demo.trial_id)


async def _after_the_trial(h, demo, lang="en"):
    """Consents in for everybody; the mentor joined; the trial is over."""
    for pupil in PUPILS:
        await demo.record_consent(pupil)
    mentor = await demo.join(MENTOR, lang=lang)
    h.clock.set((await demo.trial()).ends_at + timedelta(minutes=10))
    return mentor


async def _rate(user, *labels):
    for label in labels:
        await user.taps(label)


async def test_a_pupil_takes_six_taps_and_the_next_pupil_comes_by_itself(h, demo):
    mentor = await _after_the_trial(h, demo)
    await mentor.says("/menu")
    first = await mentor.taps("Rate the pupils")
    assert "Attendance was not marked for" in first[0].text  # the choice is said out loud
    assert ARUZHAN in first[-1].text and "Understanding the task" in first[-1].text
    assert first[-1].labels == ["1", "2", "3"]

    taps = 0
    for label in ("3", "2", "3", "2", "3", "Partially"):
        new = await mentor.taps(label)
        taps += 1
    assert taps == 6
    saved, nxt = new
    assert ARUZHAN in saved.text and "3·2·3·2·3 · Partially" in saved.text
    assert saved.labels == [f"✍️ Add feedback: {ARUZHAN}"]
    assert DIAS in nxt.text and "1/6" in nxt.text and nxt.labels == ["1", "2", "3"]

    card = (await _cards(h, demo))[demo.id(ARUZHAN)]
    assert card.scores == {"understanding": 3, "procedure": 2, "accuracy": 3,
                           "communication": 2, "safety": 3}
    assert card.result == "partly" and card.comment is None


async def test_feedback_is_one_tap_away_and_the_rating_goes_on_after_it(h, demo):
    mentor = await _after_the_trial(h, demo)
    await mentor.presses(RateCard(demo.trial_id).pack())
    await _rate(mentor, "3", "3", "3", "3", "3", "Yes")
    await mentor.taps("3")  # Dias, understanding

    h.clock.advance(seconds=30)
    await mentor.taps(f"Add feedback: {ARUZHAN}", mentor.inbox[-3])
    assert "Your comment" in mentor.last.text and ARUZHAN in mentor.last.text
    for text in ("Assembled the circuit <carefully> & checked it twice",
                 "Reads the diagram well"):
        h.clock.advance(seconds=30)  # typing takes a while; the run last touched gets the text
        await mentor.says(text)
    await mentor.taps("Skip")  # delta
    h.clock.advance(seconds=30)
    back_to_dias = await mentor.says("Try the three-phase stand next time")

    assert "Feedback for" in back_to_dias[0].text
    assert DIAS in back_to_dias[-1].text and "Following the procedure" in back_to_dias[-1].text
    card = (await _cards(h, demo))[demo.id(ARUZHAN)]
    assert card.comment == "Assembled the circuit <carefully> & checked it twice"
    assert card.plus == "Reads the diagram well" and card.delta is None
    assert card.next_step == "Try the three-phase stand next time"
    assert card.scores["understanding"] == 3  # the six taps are untouched


async def test_only_pupils_present_are_rated_when_the_escort_marked_attendance(h, demo):
    await demo.record_consent(ARUZHAN)
    await demo.record_consent(DIAS)  # Madina: no consent, so she is not rated either
    escort = await demo.join(TEACHER, lang="en")
    mentor = await demo.join(MENTOR, lang="en")
    trial = await demo.trial()
    h.clock.set(trial.starts_at + timedelta(minutes=5))
    await escort.presses(ShowAttendance(demo.trial_id).pack())
    await escort.taps(ARUZHAN)
    await escort.taps(DIAS)
    await escort.taps(DIAS)  # present → absent

    first = await mentor.presses(RateCard(demo.trial_id).pack())

    assert "Pupils to rate: 1" in first[0].text and f"Marked absent: {DIAS}" in first[0].text
    assert "not marked" not in first[0].text
    await _rate(mentor, "2", "2", "2", "2", "2", "No")
    overview = mentor.last
    assert ARUZHAN in overview.text and DIAS not in overview.labels and MADINA not in overview.text
    assert overview.labels[-1] == "📨 Submit the card"


async def test_a_rating_can_be_fixed_before_the_card_is_submitted_and_not_after(h, demo):
    mentor = await _after_the_trial(h, demo)
    await mentor.presses(RateCard(demo.trial_id).pack())
    for _pupil in PUPILS:
        await _rate(mentor, "2", "2", "2", "2", "2", "Yes")
    overview = mentor.last
    assert "📨 Submit the card" in overview.labels
    assert overview.text.count("2·2·2·2·2 · Yes") == 3

    await mentor.taps(f"✎ {DIAS}")
    assert "Understanding the task: <b>2</b>" in mentor.last.text
    await mentor.taps("Understanding: 2")
    assert "Now: 2" in mentor.last.text
    await mentor.taps("3")
    assert "Changed." in mentor.last.text and "Understanding: 3" in mentor.last.labels
    await mentor.taps("Mini-task: Yes")
    await mentor.taps("Partially")
    assert (await _cards(h, demo))[demo.id(DIAS)].scores["understanding"] == 3
    assert (await _cards(h, demo))[demo.id(DIAS)].result == "partly"
    fix_payload = ChangeRating((await _cards(h, demo))[demo.id(DIAS)].run_id, "safety", "1").pack()

    await mentor.taps("All pupils")
    await mentor.taps("Submit the card")

    assert "is submitted. Pupils rated: 3." in mentor.last.text
    submitted = (await demo.trial()).card_submitted_at
    assert submitted == h.now
    h.clock.advance(minutes=5)
    await mentor.presses(fix_payload)
    assert "already submitted" in mentor.last.text
    await mentor.presses(RateCard(demo.trial_id).pack())
    assert "already submitted" in mentor.last.text
    await mentor.presses(SubmitCard(demo.trial_id, ANYWAY).pack())
    assert "already submitted" in mentor.last.text
    cards = await _cards(h, demo)
    assert cards[demo.id(DIAS)].scores["safety"] == 2
    assert (await demo.trial()).card_submitted_at == submitted
    await mentor.says("/menu")
    assert not any("Rate the pupils" in label for label in mentor.last.labels)


async def test_submitting_with_a_pupil_half_rated_asks_first_and_leaves_them_out(h, demo):
    mentor = await _after_the_trial(h, demo)
    await mentor.presses(RateCard(demo.trial_id).pack())
    await _rate(mentor, "1", "1", "1", "1", "1", "No")
    await mentor.taps("2")  # Dias, halfway
    dias_button = mentor.last_with_buttons

    await mentor.presses(SubmitCard(demo.trial_id).pack())
    assert f"Not rated yet: {DIAS}, {MADINA}" in mentor.last.text
    assert (await demo.trial()).card_submitted_at is None
    await mentor.taps("Submit without them")

    assert "Pupils rated: 1." in mentor.last.text
    await mentor.taps("3", dias_button)  # an old button of the run left out
    assert "already submitted" in mentor.last.text
    assert set(await _cards(h, demo)) == {demo.id(ARUZHAN)}
    async with h.db() as session:
        open_runs = await session.scalar(select(func.count()).select_from(FlowRun).where(
            FlowRun.flow_id == "mentor.rubric", FlowRun.status == "active"))
    assert open_runs == 0


async def test_a_mentor_of_another_trial_cannot_rate_or_see_these_pupils(h, demo):
    mentor = await _after_the_trial(h, demo)
    await demo.other_trial("Бауыржан Оспанов", "Ержан Берікұлы")
    other = await demo.join("Бауыржан Оспанов", lang="en")
    await mentor.presses(RateCard(demo.trial_id).pack())
    await _rate(mentor, "2", "2", "2", "2", "2", "Yes")
    run_id = (await _cards(h, demo))[demo.id(ARUZHAN)].run_id
    open_run = mentor.last_with_buttons.buttons[0][0][1]  # Dias's question: f:<run>:…

    forged = [RateCard(demo.trial_id).pack(), RateCard(demo.trial_id, demo.id(DIAS)).pack(),
              RubricOverview(demo.trial_id).pack(), PupilRatings(run_id).pack(),
              AskRating(run_id, "understanding").pack(),
              ChangeRating(run_id, "understanding", "1").pack(), AddFeedback(run_id).pack(),
              SubmitCard(demo.trial_id, ANYWAY).pack(),
              open_run.rsplit(":", 1)[0] + ":1", ShortCard(demo.trial_id).pack()]
    for data in forged:
        await other.presses(data)
        assert "no longer active" in other.last.text, data
        assert ARUZHAN not in other.last.text and DIAS not in other.last.text

    card = (await _cards(h, demo))[demo.id(ARUZHAN)]
    assert card.scores["understanding"] == 2 and card.comment is None
    assert set(await _cards(h, demo)) == {demo.id(ARUZHAN)}
    assert (await demo.trial()).card_submitted_at is None
    async with h.db() as session:
        theirs = await session.scalar(select(func.count()).select_from(FlowRun).where(
            FlowRun.person_id == demo.id("Бауыржан Оспанов"),
            FlowRun.flow_id == "mentor.rubric"))
    assert theirs == 0


async def test_a_mentor_cannot_rate_a_pupil_of_their_own_trial_who_is_not_on_the_list(h, demo):
    mentor = await _after_the_trial(h, demo)
    other_trial = await demo.other_trial("Бауыржан Оспанов", "Ержан Берікұлы")

    await mentor.presses(RateCard(demo.trial_id, demo.id('Ержан Берікұлы')).pack())
    assert "no longer active" in mentor.last.text
    await mentor.presses(RateCard(other_trial).pack())
    assert "no longer active" in mentor.last.text
    async with h.db() as session:
        runs = await session.scalar(select(func.count()).select_from(FlowRun).where(
            FlowRun.flow_id == "mentor.rubric"))
    assert runs == 0


async def test_a_pupil_pressing_a_mentors_button_is_refused(h, demo):
    mentor = await _after_the_trial(h, demo)
    pupil = await demo.join(ARUZHAN, lang="en")
    await mentor.presses(RateCard(demo.trial_id).pack())
    question = mentor.last_with_buttons.buttons[0][2][1]  # f:<run>:understanding:3

    await pupil.presses(question)
    assert "no longer active" in pupil.last.text
    await pupil.presses(RateCard(demo.trial_id, demo.id(ARUZHAN)).pack())
    assert "no longer active" in pupil.last.text
    await pupil.presses(TogglePresence(demo.id(ARUZHAN)).pack())
    assert "no longer active" in pupil.last.text

    async with h.db() as session:
        run = await session.scalar(select(FlowRun).where(FlowRun.flow_id == "mentor.rubric"))
        assert run is not None and run.step_id == "understanding" and run.history == []
        marks = await session.scalar(select(func.count()).select_from(Participant).where(
            Participant.attendance.is_not(None)))
    assert marks == 0


async def test_the_rubric_opens_when_the_trial_starts(h, demo):
    for pupil in PUPILS:
        await demo.record_consent(pupil)
    mentor = await demo.join(MENTOR, lang="en")
    await mentor.presses(RateCard(demo.trial_id).pack())
    assert "opens when the trial starts" in mentor.last.text
    await mentor.says("/menu")
    assert not any("Rate the pupils" in label for label in mentor.last.labels)

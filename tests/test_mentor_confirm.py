"""The mentor confirms the trial, or cannot come and says why; the coordinator hears at once."""

from datetime import timedelta

from sqlalchemy import select

from handlers.mentor.buttons import CannotCome, ShowConfirmation, WillCome
from storage.models import FlowRun

from .demo_school import COORDINATOR, MENTOR, PUPILS


async def test_mentor_confirms_from_the_menu(h, demo):
    mentor = await demo.join(MENTOR, lang="en")
    await mentor.taps("Please confirm")
    details = mentor.last
    assert "Электромонтер" in details.text and "Тізбекті жинау" in details.text  # the mini-task
    assert "Гүлнар Сейтқали" in details.text  # responsible at school
    assert details.labels == ["✅ I will come", "❌ I can't come"]

    await mentor.taps("I will come")

    assert "Thank you" in mentor.last.text
    trial = await demo.trial()
    assert trial.mentor_status == "confirmed" and trial.mentor_responded_at == h.now
    await mentor.says("/menu")
    assert any(label.startswith("✅ ") for label in mentor.last.labels)


async def test_cannot_come_tells_the_coordinator_at_once_and_then_the_reason(h, demo):
    coordinator = await demo.join(COORDINATOR, lang="ru")
    mentor = await demo.join(MENTOR, lang="en")
    await mentor.taps("Please confirm")

    await mentor.taps("I can't come")

    assert "What prevents you" in mentor.last.text
    alert = coordinator.new()
    assert len(alert) == 1 and MENTOR in alert[0].text and "не сможет" in alert[0].text
    trial = await demo.trial()
    assert trial.mentor_status == "declined"

    await mentor.says("My car broke down & the spare part comes on Friday")

    assert "coordinator has been told" in mentor.last.text
    reason = coordinator.new()
    assert len(reason) == 1 and MENTOR in reason[0].text
    assert "My car broke down &amp; the spare part comes on Friday" in reason[0].text  # HTML
    assert (await demo.trial()).mentor_reason == "My car broke down & the spare part comes on Friday"


async def test_changing_the_answer_is_passed_on_and_the_reason_prompt_is_dropped(h, demo):
    coordinator = await demo.join(COORDINATOR, lang="en")
    mentor = await demo.join(MENTOR, lang="kk")
    [details] = await mentor.taps("Растаңыз")
    await mentor.taps("Келе алмаймын")
    coordinator.new()

    await mentor.taps("Келемін", details)  # the details message is still on screen

    [change] = coordinator.new()
    assert "will come" in change.text and "after all" in change.text
    trial = await demo.trial()
    assert trial.mentor_status == "confirmed" and trial.mentor_reason is None
    async with h.db() as session:
        statuses = list(await session.scalars(
            select(FlowRun.status).where(FlowRun.flow_id == "mentor.decline")))
    assert statuses == ["cancelled"]
    # The same answer again changes nothing and tells nobody.
    await mentor.taps("Келемін", details)
    assert coordinator.new() == []


async def test_the_answer_cannot_change_once_the_trial_has_started(h, demo):
    coordinator = await demo.join(COORDINATOR, lang="en")
    mentor = await demo.join(MENTOR, lang="en")
    await mentor.taps("Please confirm")
    await mentor.taps("I will come")
    coordinator.new()
    h.clock.set((await demo.trial()).starts_at + timedelta(minutes=5))

    await mentor.presses(CannotCome(demo.trial_id).pack())

    assert "already started" in mentor.last.text
    assert (await demo.trial()).mentor_status == "confirmed"
    assert coordinator.new() == []


async def test_another_mentor_or_a_pupil_cannot_answer_for_the_mentor(h, demo):
    await demo.other_trial("Бауыржан Оспанов", "Ержан Берікұлы")
    other = await demo.join("Бауыржан Оспанов", lang="en")
    pupil = await demo.join(PUPILS[0], lang="en")

    await other.presses(CannotCome(demo.trial_id).pack())
    assert "no longer active" in other.last.text
    await pupil.presses(WillCome(demo.trial_id).pack())
    assert "no longer active" in pupil.last.text
    await other.presses(ShowConfirmation(demo.trial_id).pack())
    assert "no longer active" in other.last.text and "Электромонтер" not in other.last.text

    trial = await demo.trial()
    assert trial.mentor_status == "pending" and trial.mentor_responded_at is None

"""Changing a trial set up in the chat: a move withdraws what was queued for the old time, a
cancellation tells everyone (families in the morning when it is night) and stops everything
about the trial, a mentor and an escort left for later are assigned and told."""

from __future__ import annotations

from sqlalchemy import select

from bot.runtime import tick
from handlers.coordinator.buttons import MoveTrial, ShowTrial
from handlers.schedule.reminders import MOVED, dedup_key
from handlers.schedule.timeline import Recipient
from storage.models import FlowRun, Outbox
from storage.repos.messaging import OutboxRepo

from .demo_school import COORDINATOR, MENTOR, TEACHER
from .test_coordinator_setup import (
    ARUZHAN,
    DIAS,
    MARAT,
    SAULE,
    TITLE,
    create_in_chat,
    demo_trial,
    local,
    timed,
)


async def outbox(h, trial_id: int, purpose: str) -> list[Outbox]:
    async with h.db() as session:
        return list(await session.scalars(select(Outbox).where(
            Outbox.trial_id == trial_id, Outbox.purpose == purpose).order_by(Outbox.id)))


async def open_status(coordinator) -> None:
    await coordinator.says("/menu")
    await coordinator.taps("My trials")
    await coordinator.taps(TITLE)


async def test_a_move_withdraws_the_messages_of_the_old_time_still_waiting(h, demo):
    coordinator = await demo.join(COORDINATOR, lang="en")
    trial_id = await create_in_chat(coordinator)  # Friday 27th, 10:00–12:00
    dias = await demo.join(DIAS, lang="kk")
    mentor = await demo.join(MENTOR, lang="en")
    await open_status(coordinator)
    await coordinator.taps("Move")
    reply = await coordinator.says("27.11.2026 10:00-12:00")
    assert "This is the trial's time already" in reply[0].text
    await coordinator.says("28.11.2026 10:00-12:00")
    # Thursday: the scheduler has queued the old T − 1 d messages; they are not sent yet.
    await tick(h.runtime, local(26, 10), deliver=False)
    await tick(h.runtime, local(26, 15), deliver=False)
    [confirm] = await outbox(h, trial_id, "mentor.confirm")
    [before] = await outbox(h, trial_id, "pupil.before")
    assert (confirm.status, before.status) == ("queued", "queued")

    h.clock.set(local(26, 15, 5))
    dias.new(), mentor.new()
    await coordinator.taps("Move it")
    for row in (*await outbox(h, trial_id, "mentor.confirm"),
                *await outbox(h, trial_id, "pupil.before")):
        assert (row.status, row.error) == ("cancelled", MOVED)
    fresh = dias.new()
    assert not any("Ертең" in m.text for m in fresh)  # the old before-questionnaire
    [note] = [m for m in fresh if TITLE in m.text]
    assert "сынағыңыз ауыстырылды" in note.text and "28 қараша" in note.text
    assert "moved to a new time" in mentor.last.text and "28 November" in mentor.last.text

    # A message keyed for the old time that a racing scheduler queued after the move is
    # withdrawn by the next tick, before quiet hours let it out.
    async with h.db() as session:
        old_key = dedup_key("logistics", trial_id, Recipient(demo.id(DIAS), demo.id(DIAS)), 0)
        await OutboxRepo(session).add(
            person_id=demo.id(DIAS), channel="telegram", address=str(dias.id),
            purpose="logistics", payload={"text": "old logistics"}, now=local(26, 15, 6),
            dedup_key=old_key, trial_id=trial_id, not_before=local(27, 8))
    await h.tick(local(26, 15, 7))
    [late] = [r for r in await outbox(h, trial_id, "logistics") if r.dedup_key == old_key]
    assert (late.status, late.error) == ("cancelled", MOVED)
    await h.tick(local(27, 8))
    assert all("old logistics" not in m.text for m in dias.inbox)


async def test_cancelling_tells_everyone_and_nothing_more_is_sent_about_it(h, demo):
    coordinator = await demo.join(COORDINATOR, lang="en")
    trial_id = await create_in_chat(coordinator)
    saule = await demo.join(SAULE, lang="kk")
    marat = await demo.join(MARAT, lang="ru")
    aruzhan = await demo.join(ARUZHAN, lang="en")
    mentor = await demo.join(MENTOR, lang="en")
    escort = await demo.join(TEACHER, lang="kk")
    await h.tick(local(23, 9, 5))
    # Марат starts answering the consent request and stops half-way.
    request = next(m for m in marat.inbox if TITLE in m.text and m.buttons)
    await marat.taps("Ответить: согласие", request)
    await open_status(coordinator)
    await coordinator.taps("Cancel")
    assert "Cancel «" + TITLE in coordinator.last.text
    # The T − 3 d reminder is queued, not yet sent, when the coordinator confirms at night.
    await tick(h.runtime, local(24, 10), deliver=False)
    h.clock.set(local(24, 22, 30))
    for user in (saule, marat, aruzhan, mentor, escort):
        user.new()
    [reply] = [m for m in await coordinator.taps("Yes, cancel it") if "Told" in m.text]
    assert f"«{TITLE}» is cancelled" in reply.text
    assert "Told: 5 people" in reply.text and "1 have not joined" in reply.text  # Диас

    trial = await demo_trial(h, trial_id)
    assert trial.status == "cancelled"
    reminders = await outbox(h, trial_id, "consent.reminder")
    assert {r.person_id for r in reminders} == {demo.id(SAULE), demo.id(MARAT)}
    assert {(r.status, r.error) for r in reminders} == {("cancelled", "the trial was cancelled")}
    async with h.db() as session:
        run = await session.scalar(select(FlowRun).where(
            FlowRun.trial_id == trial_id, FlowRun.person_id == demo.id(MARAT)))
    assert run is not None and run.status == "cancelled"
    # Staff hear at once; families at 08:00, when quiet hours end.
    assert "is cancelled. Thank you for being ready" in mentor.new()[-1].text
    assert "болдырылмады" in escort.new()[-1].text
    assert saule.new() == [] and marat.new() == [] and aruzhan.new() == []
    notices = await outbox(h, trial_id, "trial.cancelled")
    families = {demo.id(SAULE), demo.id(MARAT), demo.id(ARUZHAN)}
    assert {r.not_before for r in notices if r.person_id in families} == {local(25, 8)}
    await h.tick(local(25, 8))
    [to_saule] = [m for m in saule.new() if TITLE in m.text]
    assert "Аружан Серікқызы баруы қажет емес" in to_saule.text
    [to_marat] = [m for m in marat.new() if TITLE in m.text]
    assert "отменена" in to_marat.text and "Диас Маратұлы идти не нужно" in to_marat.text
    [to_aruzhan] = [m for m in aruzhan.new() if TITLE in m.text]
    assert "is cancelled. You do not need to go" in to_aruzhan.text

    # Nothing more about it: not the old timeline, not the consent conversation.
    for moment in (local(25, 10), local(26, 10), local(26, 15), local(26, 18), local(27, 8),
                   local(27, 10), local(27, 12), local(28, 15)):
        await h.tick(moment)
        assert await timed(h, trial_id, moment) == {}, moment
    answer = await marat.says("Согласен")
    assert "Я не совсем вас понимаю" in answer[0].text
    refused = await marat.taps("Ответить: согласие", request)
    assert "Я не нахожу этого ребёнка или эту пробу" in refused[0].text
    await coordinator.presses(MoveTrial(trial_id).pack())
    assert "is cancelled, so it cannot be changed" in coordinator.last.text
    await coordinator.presses(ShowTrial(trial_id).pack())
    assert "This trial is cancelled" in coordinator.last.text
    assert coordinator.last.labels == ["⧉ Duplicate", "⬅️ My trials"]


async def test_a_mentor_and_an_escort_left_for_later_are_assigned_and_told(h, demo):
    coordinator = await demo.join(COORDINATOR, lang="en")
    trial_id = await create_in_chat(coordinator, mentor=None, escort=None)
    trial = await demo_trial(h, trial_id)
    assert (trial.mentor_id, trial.escort_id) == (None, None)
    mentor = await demo.join(MENTOR, lang="en")
    escort = await demo.join(TEACHER, lang="ru")
    await open_status(coordinator)
    assert "Mentor: not assigned yet" in coordinator.last.text
    await coordinator.taps("Mentor and escort")
    assert "(now: not assigned yet)" in coordinator.last.text
    await coordinator.taps(MENTOR)
    done = await coordinator.taps(TEACHER)
    assert "Saved" in done[0].text

    trial = await demo_trial(h, trial_id)
    assert (trial.mentor_id, trial.escort_id, trial.mentor_status) == (
        demo.id(MENTOR), demo.id(TEACHER), "pending")
    assert "The school counts on you" in mentor.last.text and TITLE in mentor.last.text
    await mentor.taps("I will come")
    assert "Вы сопровождающий учитель на пробе" in escort.last.text
    await coordinator.presses(ShowTrial(trial_id).pack())
    assert f"Mentor: {MENTOR}, confirmed ✅" in coordinator.last.text
    assert f"Escort: {TEACHER}" in coordinator.last.text
    # Skipping both changes nothing.
    await coordinator.taps("Mentor and escort")
    await coordinator.taps("Skip")
    assert "Nothing changed" in (await coordinator.taps("Skip"))[0].text
    assert (await demo_trial(h, trial_id)).mentor_status == "confirmed"



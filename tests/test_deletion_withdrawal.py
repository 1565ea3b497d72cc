"""A withdrawn consent stops all processing for that trial at once: the files the pupil sent
about it are deleted, the mentor's card about them is closed, the trial's messages still
waiting for the family are withdrawn — and the pupil is told why their answers stop."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from handlers.mentor.buttons import RateCard, RubricOverview
from storage.models import Answer, FlowRun, Media, Outbox

from .demo_school import MENTOR, PARENTS, PUPILS, jpeg

SAULE = PARENTS[0]
ARUZHAN = PUPILS[0]


async def withdraw(parent) -> None:
    await parent.says("/menu")
    await parent.taps("Аружан")
    await parent.taps("Withdraw consent")
    reply = await parent.taps("Yes, withdraw")
    assert "the consent is withdrawn" in reply[0].text


async def test_files_and_the_open_card_go_at_once(h, demo):
    saule = await demo.consent(SAULE, tier="Publication allowed")
    mentor = await demo.join(MENTOR, lang="en")
    aruzhan = await demo.join(ARUZHAN, lang="en")
    trial = await demo.trial()
    h.clock.set(trial.ends_at + timedelta(minutes=5))
    await mentor.presses(RateCard(demo.trial_id).pack())
    await mentor.taps("3")  # Аружан's card, one tap in
    await demo.reflect(aruzhan, photo=jpeg())
    async with h.db() as s:
        [photo] = list(await s.scalars(select(Media)))
    path = h.settings.media_dir / photo.storage_key
    assert path.is_file()

    await withdraw(saule)
    async with h.db() as s:
        assert list(await s.scalars(select(Media))) == []
        card = await s.scalar(select(FlowRun).where(FlowRun.flow_id == "mentor.rubric"))
    assert not path.exists()
    assert card.status == "cancelled"
    # The mentor's next tap on the card changes nothing; the pupil is no longer on the list.
    await mentor.taps("3")
    async with h.db() as s:
        again = await s.get(FlowRun, card.id)
        answers = set(await s.scalars(select(Answer.step_id).where(Answer.run_id == card.id)))
    assert (again.status, again.version, answers) == ("cancelled", card.version,
                                                      {"understanding"})
    await mentor.presses(RubricOverview(demo.trial_id).pack())
    assert ARUZHAN not in mentor.last.text


async def test_messages_waiting_for_the_morning_are_withdrawn(h, demo):
    saule = await demo.consent(SAULE, tier="Portfolio only")
    await demo.join(ARUZHAN, lang="en")
    trial = await demo.trial()
    zone = ZoneInfo("Asia/Almaty")
    evening = trial.starts_at.astimezone(zone).replace(hour=21, minute=30) - timedelta(days=1)
    await h.tick(evening)  # the before-questionnaire's reminder waits for the morning
    async with h.db() as s:
        waiting = list(await s.scalars(select(Outbox).where(
            Outbox.person_id == demo.id(ARUZHAN), Outbox.status == "queued")))
    assert {m.purpose for m in waiting} == {"pupil.before", "logistics"}
    h.clock.advance(minutes=5)
    await withdraw(saule)
    async with h.db() as s:
        rows = [await s.get(Outbox, m.id) for m in waiting]
    assert {(r.status, r.error) for r in rows} == {("cancelled", "the parent withdrew consent")}

"""One trial's status in one message: where the trial stands before it and after it, with the
names the coordinator needs and nothing a coordinator does not (no medical notes)."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Outbox
from storage.repos.consents import Consents
from storage.repos.messaging import OutboxRepo

from .demo_school import COORDINATOR, MENTOR, PARENTS, PUPILS, TEACHER

ARUZHAN, DIAS, MADINA = PUPILS
SAULE, MARAT, KAIRAT = PARENTS
ERBOLAT = "Ерболат Серіков"  # Аружан's father
DEMO = "Электромонтер: қарапайым электр тізбегін жинау"


async def test_before_the_trial_the_status_shows_consents_answers_and_who_has_not_joined(h, demo):
    coordinator = await demo.join(COORDINATOR, lang="en")
    aruzhan = await demo.join(ARUZHAN, lang="en")
    await aruzhan.taps("Before the trial")
    for answer in ("To see real work", "A shock"):
        await aruzhan.says(answer)
    await aruzhan.taps("Skip")
    await demo.record_consent(DIAS, "decline")

    await coordinator.says("/menu")
    await coordinator.taps("My trials")
    assert coordinator.last.labels[0] == f"📅 24.11 {DEMO}"
    status = (await coordinator.taps(DEMO))[0]
    text = status.text
    assert "📅 Tuesday, 24 November, 10:00–12:00" in text
    assert "«Qazaq Energy Service» ЖШС, Электр шеберханасы" in text
    assert f"👤 Mentor: {MENTOR}, has not answered yet ⏳" in text
    assert f"Escort: {TEACHER}" in text
    assert "<b>Consents</b> (3 pupils): ✅ 0 · ⛔ 1 · ⏳ 2" in text
    assert f"Declined: {DIAS}" in text
    assert f"No answer yet: {ARUZHAN}, {MADINA}" in text
    assert "<b>Before-questionnaire:</b> 1 of 3" in text
    assert f"Not answered yet: {DIAS}, {MADINA}" in text
    assert "Attendance" not in text and "Mentor's card" not in text  # not begun
    not_joined = text.split("Not joined Synaq yet (")[1]
    assert not_joined.startswith("7):")  # everyone but Аружан and the coordinator
    assert ARUZHAN not in not_joined and MENTOR in not_joined and KAIRAT in not_joined
    assert status.labels == ["📅 Move", "✖️ Cancel", "👤 Mentor and escort",
                             "✉️ Invite those who have not joined (7)", "⧉ Duplicate",
                             "⬅️ My trials"]


async def test_after_the_trial_the_status_shows_card_reflections_summaries_and_failures(h, demo):
    await demo.add_person(ERBOLAT, "parent", children=(ARUZHAN,))
    async with h.db() as session:  # the father declined before the mother agreed
        await Consents(session).record(
            trial_id=demo.trial_id, pupil_id=demo.id(ARUZHAN), parent_id=demo.id(ERBOLAT),
            action="given", participation="decline", photo_tier=None, medical_note=None,
            safety_read=False, text_version=1, channel="telegram", now=h.now)
    await demo.consent(SAULE, tier="Portfolio only", note="Asthma: keeps an inhaler")
    await demo.record_consent(DIAS, "decline")
    await demo.held(tier=None)  # the mentor rates Аружан, she reflects after the trial
    await h.tick()  # her summary goes to her parents
    async with h.db() as session:
        repo = OutboxRepo(session)
        await repo.add(person_id=demo.id(MARAT), channel="telegram", address="42",
                       purpose="logistics", payload={"text": "x"}, now=h.now,
                       dedup_key="test:undelivered", trial_id=demo.trial_id)
        row = await session.scalar(select(Outbox).where(Outbox.dedup_key == "test:undelivered"))
        assert row is not None
        await repo.failed(row.id, "403: Forbidden: bot was blocked by the user")
    coordinator = await demo.join(COORDINATOR, lang="en")

    await coordinator.says("/menu")
    await coordinator.taps("My trials")
    status = (await coordinator.taps(DEMO))[0]
    text = status.text
    assert "✔️ This trial is over." in text
    assert "<b>Consents</b> (3 pupils): ✅ 1 · ⛔ 1 · ⏳ 1" in text
    assert f"⚠️ The parents disagree (the latest decision stands): {ARUZHAN}" in text
    assert "<b>Attendance:</b> present 0, absent 0, not marked 3" in text
    assert "<b>Mentor's card:</b> 1 of 1 rated" in text and "The card is submitted." in text
    assert "<b>After-questionnaire:</b> 1 of 1" in text
    assert f"<b>Trace reflection:</b> 0 of 1\nNot answered yet: {ARUZHAN}" in text
    assert "<b>Summaries for parents:</b> sent 1, approved 0, awaiting approval 0" in text
    assert f"<b>Messages that did not arrive (1):</b>\n• {MARAT}: not delivered" in text
    assert "Asthma" not in text and "inhaler" not in text  # need-to-know: not the coordinator
    assert "📅 Move" not in status.labels and "✖️ Cancel" not in status.labels
    assert "⧉ Duplicate" in status.labels

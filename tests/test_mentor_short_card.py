"""The short card on the day of the trial: the trial's essentials and, about each pupil, only
what the adults on site must know."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from handlers.mentor.buttons import ShortCard
from storage.models import AuditLog, Trial

from .demo_school import MENTOR, PARENTS, PUPILS, TEACHER

ARUZHAN, DIAS, MADINA = PUPILS
NOTE = "Asthma: inhaler in the side pocket; keep < 1 m from dust & fumes"


async def _morning_of_the_trial(h, demo):
    trial = await demo.trial()
    zone = ZoneInfo("Asia/Almaty")
    h.clock.set(datetime.combine(trial.starts_at.astimezone(zone).date(), time(8, 30), zone))


async def _consents(demo):
    await demo.record_consent(ARUZHAN, medical_note=NOTE)
    await demo.record_consent(DIAS, participation="decline",
                              medical_note="a note of a parent who declined")
    # Madina's parent has not answered.


async def _medical_reads(h):
    async with h.db() as session:
        return list(await session.scalars(
            select(AuditLog).where(AuditLog.action == "read.medical").order_by(AuditLog.id)))


async def test_the_card_flags_do_not_admit_and_the_medical_note_and_nothing_else(h, demo):
    await _consents(demo)
    mentor = await demo.join(MENTOR, lang="en")
    await _morning_of_the_trial(h, demo)
    await mentor.says("/menu")

    await mentor.taps("Short card")

    card = mentor.last.text
    for heading in ("Trial:", "Where and when:", "Mentor / responsible from school:",
                    "Mini-task:", "PPE / safety briefing:", "Artefact:", "Contacts:"):
        assert f"<b>{heading}</b>" in card
    assert "Criteria:</b> Understanding; Procedure; Accuracy; Communication; Safety" in card
    assert "1 — needs help" in card and "Тұран даңғылы, 12" in card and "10:00–12:00" in card
    pupils = card.split("Pupils (3):</b>")[1].strip().splitlines()
    assert pupils == [
        f"1. {ARUZHAN} — ⚕️ note from the parent: Asthma: inhaler in the side pocket; "
        "keep &lt; 1 m from dust &amp; fumes",
        f"2. {DIAS} — ⛔ do not admit: no parent consent",
        f"3. {MADINA} — ⛔ do not admit: no parent consent",
    ]
    assert "declined" not in card and "portfolio" not in card.lower()
    assert not any(parent in card for parent in PARENTS)

    reads = await _medical_reads(h)
    assert [(r.actor_id, r.subject, r.detail["pupils"]) for r in reads] == [
        (demo.id(MENTOR), f"trial:{demo.trial_id}", [demo.id(ARUZHAN)])]


async def test_the_escort_gets_the_card_in_their_language_and_the_read_is_logged(h, demo):
    await _consents(demo)
    escort = await demo.join(TEACHER, lang="kk")
    mentor = await demo.join(MENTOR, lang="ru")
    await _morning_of_the_trial(h, demo)

    sent_to = await demo.remind("card.short")

    assert {r.person_id for r in sent_to} == {demo.id(MENTOR), demo.id(TEACHER)}
    kk = escort.last.text
    assert "<b>Қайда және қашан:</b>" in kk and "<b>Шағын міндет:</b>" in kk
    assert "Түсіну; Рәсім; Дәлдік; Коммуникация; Қауіпсіздік" in kk
    assert f"{DIAS} — ⛔ жібермеңіз: ата-ананың келісімі жоқ" in kk
    assert "Asthma" in kk
    assert "<b>Где и когда:</b>" in mentor.last.text
    assert {r.actor_id for r in await _medical_reads(h)} == {demo.id(MENTOR), demo.id(TEACHER)}


async def test_a_card_without_notes_is_not_a_sensitive_read(h, demo):
    for pupil in PUPILS:
        await demo.record_consent(pupil)
    mentor = await demo.join(MENTOR, lang="en")
    await _morning_of_the_trial(h, demo)

    await mentor.presses(ShortCard(demo.trial_id).pack())

    assert "do not admit" not in mentor.last.text and "note" not in mentor.last.text
    assert await _medical_reads(h) == []


async def test_the_card_is_not_available_before_the_day_nor_to_others(h, demo):
    await _consents(demo)
    mentor = await demo.join(MENTOR, lang="en")
    pupil = await demo.join(ARUZHAN, lang="en")
    await mentor.says("/menu")
    assert not any("Short card" in label for label in mentor.last.labels)

    await mentor.presses(ShortCard(demo.trial_id).pack())
    assert "available on the day of the trial" in mentor.last.text
    await _morning_of_the_trial(h, demo)
    await pupil.presses(ShortCard(demo.trial_id).pack())
    assert "no longer active" in pupil.last.text
    h.clock.advance(days=1)
    await mentor.presses(ShortCard(demo.trial_id).pack())
    assert "available on the day of the trial" in mentor.last.text
    assert await _medical_reads(h) == []


async def test_the_card_goes_at_8_or_an_hour_before_an_early_start(h, demo):
    card, early = "card.short", "card.short.early"
    mentor = await demo.join(MENTOR, lang="en")
    await _morning_of_the_trial(h, demo)
    assert await demo.remind(early) == []  # 10:00 start: the 08:00 card is the one
    assert [r.person_id for r in await demo.remind(card)] == [demo.id(MENTOR), demo.id(TEACHER)]
    async with h.db() as session:
        trial = await session.get(Trial, demo.trial_id)
        trial.starts_at -= timedelta(hours=1, minutes=30)  # 08:30
    assert await demo.remind(card) == []
    assert len(await demo.remind(early)) == 2
    assert "Short card of the trial" in mentor.last.text


async def test_a_note_written_in_the_parents_consent_reaches_the_mentors_card(h, demo):
    await demo.consent(PARENTS[2], note="Diabetic: may need a snack at 11:00")
    mentor = await demo.join(MENTOR, lang="en")
    await _morning_of_the_trial(h, demo)

    await mentor.presses(ShortCard(demo.trial_id).pack())

    lines = mentor.last.text.split("Pupils (3):</b>")[1].strip().splitlines()
    assert lines[2] == f"3. {MADINA} — ⚕️ note from the parent: Diabetic: may need a snack at 11:00"
    assert lines[0].endswith("do not admit: no parent consent")

"""Duplicating a past trial: its card is copied, only the new time and the pupils are asked,
nothing that happened at the old trial comes along, and the new one starts its own cycle."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from storage.models import Consent, Participant, Trial

from .demo_school import COORDINATOR, PARENTS, PUPILS
from .test_coordinator_setup import local

ARUZHAN, DIAS, MADINA = PUPILS
SAULE = PARENTS[0]
DEMO = "Электромонтер: қарапайым электр тізбегін жинау"
CARD = ("title", "site_id", "mentor_id", "escort_id", "pupil_goal", "school_goal",
        "labour_function", "mini_task", "subjects", "equipment", "ppe", "risks", "timing",
        "expected_artefact", "safety_briefing", "photo_policy", "evacuation", "profession",
        "sector", "category", "grade_band", "length_kind", "purpose", "format", "gather_place",
        "bring")


async def test_a_past_trial_is_duplicated_with_a_new_time_and_new_pupils(h, demo):
    await demo.record_consent(ARUZHAN)
    h.clock.set(local(25, 9))  # the demo trial was yesterday
    coordinator = await demo.join(COORDINATOR, lang="ru")
    await coordinator.taps("Мои пробы")
    assert coordinator.last.labels[0] == f"✔️ 24.11 {DEMO}"
    await coordinator.taps(DEMO)
    await coordinator.taps("Сделать копию")
    assert f"Новая проба по карте «{DEMO}»: копируется всё, кроме времени и учеников" \
        in coordinator.last.text
    await coordinator.says("02.12.2026 10:00-12:00")
    await coordinator.taps("8А")
    await coordinator.taps(DIAS)
    await coordinator.taps("Готово")
    summary = coordinator.last.text
    assert "среда, 2 декабря, 10:00–12:00" in summary
    assert f"<b>Класс 8А, ученики (2):</b> {ARUZHAN}, {MADINA}" in summary
    assert "1) Сызба бойынша бөлшектерді таңдау" in summary  # the source's mini-task
    created = await coordinator.taps("Создать пробу")
    assert "✅ Проба создана." in created[0].text

    async with h.db() as session:
        source = await session.get(Trial, demo.trial_id)
        copy = await session.scalar(select(Trial).where(Trial.title == DEMO,
                                                        Trial.id != demo.trial_id))
        assert source is not None and copy is not None
        for name in CARD:
            assert getattr(copy, name) == getattr(source, name), name
        members = {p.pupil_id: p.added_at for p in await session.scalars(
            select(Participant).where(Participant.trial_id == copy.id))}
        consents = await session.scalar(select(func.count()).select_from(Consent).where(
            Consent.trial_id == copy.id))
        source_members = await session.scalar(select(func.count()).select_from(Participant)
                                              .where(Participant.trial_id == source.id))
    assert copy.starts_at.isoformat() == "2026-12-02T05:00:00+00:00"
    assert copy.ends_at - copy.starts_at == timedelta(hours=2)
    assert copy.gather_at == copy.starts_at - timedelta(minutes=30)  # as at the source
    assert (copy.coordinator_id, copy.class_id) == (demo.id(COORDINATOR), source.class_id)
    assert (copy.status, copy.mentor_status, copy.card_submitted_at, copy.text_version) == (
        "planned", "pending", None, 1)
    assert members == {demo.id(ARUZHAN): h.now, demo.id(MADINA): h.now}
    assert consents == 0 and source_members == 3  # nothing of the old trial comes along

    # The new trial's own cycle starts: Аружан's mother gets its consent request.
    saule = await demo.join(SAULE, lang="en")
    await h.tick(h.now + timedelta(minutes=1))
    assert any("The school invites" in m.text and "2 December" in m.text for m in saule.inbox)

"""The parent summary (form Г): when it is made, the class teacher's approval and edit, the
family's next step, asking for it again, quiet hours, and the one-page PDF in Kazakh."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pypdfium2 as pdfium
from pypdf import PdfReader
from sqlalchemy import func, select

from handlers.summary.buttons import (
    ApproveSummary,
    ChooseNextStep,
    EditLine,
    ShowDraft,
    ViewSummary,
)
from storage.models import AuditLog, Outbox, School, Summary

from .demo_school import COORDINATOR, PARENTS, PUPILS, TEACHER, jpeg

SAULE, MARAT, KAIRAT = PARENTS
ARUZHAN, DIAS, MADINA = PUPILS


async def summaries(h) -> list[Summary]:
    async with h.db() as s:
        return list(await s.scalars(select(Summary).order_by(Summary.id)))


def texts(user) -> list[str]:
    return [m.text for m in user.new() if m.method == "sendmessage"]


def pdf_of(message) -> bytes:
    assert message.method == "senddocument" and message.file_bytes is not None
    return message.file_bytes


def page_png(data: bytes, path: Path) -> Path:
    """Page 1 rendered as a picture (to look at: every Kazakh letter, no boxes)."""
    pdf = pdfium.PdfDocument(data)
    pdf[0].render(scale=1.5).to_pil().save(path)
    return path


async def test_it_waits_for_both_parts_then_goes_to_the_parent_with_photo_and_pdf(h, demo):
    photo = jpeg()
    saule, aruzhan, mentor = await demo.held(photo=photo)
    saule.new()
    await h.tick()
    new = saule.new()
    [text] = [m for m in new if m.method == "sendmessage"]
    assert f"Summary for parents: {ARUZHAN}" in text.text
    assert "Аружан: the mini-task is done. The mentor noted: «Reads the diagram well»." in text.text
    assert "Аружан, in their own words: «I wired a circuit from a diagram»." in text.text
    assert "Photos are kept for the portfolio only" in text.text
    assert [m.file_bytes for m in new if m.method == "sendphoto"] == [photo]
    assert pdf_of(next(m for m in new if m.method == "senddocument")).startswith(b"%PDF")
    [summary] = await summaries(h)
    assert (summary.status, summary.sent_at, summary.personal_line) == ("sent", h.now, None)
    async with h.db() as s:
        row = await s.scalar(select(Outbox).where(Outbox.purpose == "summary").limit(1))
        assert (row.trial_id, row.dedup_key) == (
            demo.trial_id, f"summary:{demo.trial_id}:{demo.id(SAULE)}:{demo.id(ARUZHAN)}")
    # A second tick, and a day later: nothing again.
    await h.tick(h.now + timedelta(minutes=1))
    await h.tick(h.now + timedelta(days=3, hours=1))
    assert saule.new() == [] and len(await summaries(h)) == 1


async def test_without_the_mentors_card_it_waits_until_three_days_after(h, demo):
    saule = await demo.consent(SAULE)
    await demo.consent(MARAT, tier=None)  # declined: never a summary
    aruzhan = await demo.join(ARUZHAN, lang="en")
    trial = await demo.trial()
    h.clock.set(trial.ends_at + timedelta(minutes=5))
    await demo.reflect(aruzhan, did="Wired & tested <the> circuit")
    saule.new()
    for moment in (trial.ends_at + timedelta(hours=1), trial.ends_at + timedelta(days=2)):
        await h.tick(moment)
    assert saule.new() == [] and await summaries(h) == []
    # T + 3 d falls at 12:00: made from what exists, sent at once (not quiet hours).
    await h.tick(trial.ends_at + timedelta(days=3))
    [text] = texts(saule)
    assert "Neither the mentor" not in text
    assert "Аружан, in their own words: «Wired &amp; tested &lt;the&gt; circuit»." in text
    assert "mini-task is done" not in text  # no card: the line says only what exists
    assert [(x.pupil_id, x.status) for x in await summaries(h)] == [(demo.id(ARUZHAN), "sent")]


async def test_a_summary_due_at_night_waits_for_the_morning(h, demo):
    saule = await demo.consent(SAULE)
    trial = await demo.trial()
    saule.new()
    late = trial.ends_at + timedelta(days=3, hours=10, minutes=30)  # Friday 22:30 local
    await h.tick(late)
    assert saule.new() == []
    [summary] = await summaries(h)
    assert summary.status == "sent"
    async with h.db() as s:
        row = await s.scalar(select(Outbox).where(Outbox.purpose == "summary"))
        assert row.not_before.astimezone(trial.starts_at.tzinfo) > late
    await h.tick(late + timedelta(hours=10))  # Saturday 08:30
    [text] = texts(saule)
    assert "Neither the mentor's card nor your child's own reflection came in" in text


async def test_the_class_teacher_rewrites_the_line_then_approves(h, demo):
    async with h.db() as s:
        (await s.get(School, demo.school_id)).summary_needs_approval = True
    teacher = await demo.join(TEACHER, lang="kk")
    saule, aruzhan, mentor = await demo.held(photo=jpeg())
    saule.new()
    await h.tick()
    draft = next(m for m in reversed(teacher.inbox) if "✅ Бекіту және жіберу" in m.labels)
    assert "Ата-аналарға арналған қорытынды дайын: Аружан Серікқызы" in draft.text
    assert "5. Менің балам не істеді" in draft.text
    assert draft.labels == ["✅ Бекіту және жіберу", "✏️ Жеке жолды өзгерту"]
    assert saule.new() == []  # nothing before the approval
    [summary] = await summaries(h)
    assert summary.status == "draft"

    # Others cannot approve or edit it.
    for user in (saule, mentor, aruzhan):
        for data in (ApproveSummary(summary.id).pack(), EditLine(summary.id).pack(),
                     ShowDraft(summary.id).pack()):
            assert "no longer active" in (await user.presses(data))[-1].text
    await teacher.says("/menu")
    await teacher.taps("Бекітуге арналған қорытынды")
    await teacher.taps("Жеке жолды өзгерту")
    assert "«менің балам не істеді» жолы қазір былай" in teacher.last.text
    assert "Аружан: шағын міндет орындалды." in teacher.last.text
    await teacher.says("Аружан тізбекті <өзі> жинап, шамды тексерді & жақсы сұрақтар қойды.")
    edited = teacher.last
    assert "Сақталды — Аружан Серікқызы" in edited.text
    assert "Аружан тізбекті &lt;өзі&gt; жинап, шамды тексерді &amp; жақсы сұрақтар қойды." \
        in edited.text
    await teacher.taps("Бекіту және жіберу")
    assert "✅ Бекітілді — Аружан Серікқызы" in teacher.last.text
    [text] = texts(saule)
    assert "Аружан тізбекті &lt;өзі&gt; жинап, шамды тексерді &amp; жақсы сұрақтар қойды." in text
    assert "The mentor noted" not in text
    [summary] = await summaries(h)
    teacher_id = demo.id(TEACHER)
    assert (summary.status, summary.approved_by, summary.edited_by) == (
        "sent", teacher_id, teacher_id)
    # A second tap, and the next tick: nothing more goes out.
    await teacher.presses(ApproveSummary(summary.id).pack())
    assert "бекітіліп, ата-аналарға жіберіліп қойған" in teacher.last.text
    await h.tick(h.now + timedelta(minutes=1))
    assert texts(saule) == []


async def test_the_family_chooses_a_next_step_and_the_coordinator_hears(h, demo):
    coordinator = await demo.join(COORDINATOR, lang="ru")
    saule, _aruzhan, _mentor = await demo.held()
    await h.tick()
    await saule.taps("College or university")
    assert "Your choice is saved: visit a specialised college or university" in saule.last.text
    assert "✅ College or university" in saule.last.labels
    assert ("Аружан Серікқызы: семья выбрала следующий шаг после пробы"
            in coordinator.last.text and "посетить профильный колледж или вуз"
            in coordinator.last.text)
    [summary] = await summaries(h)
    assert summary.family_choice == "college"
    # A value that is not an option changes nothing; another option replaces the choice.
    await saule.presses(ChooseNextStep(summary.id, "lottery").pack())
    assert "no longer active" in saule.last.text
    await saule.presses(ChooseNextStep(summary.id, "home").pack())
    async with h.db() as s:
        assert (await s.get(Summary, summary.id)).family_choice == "home"
        choices = list(await s.scalars(select(AuditLog.detail).where(
            AuditLog.action == "summary.choice").order_by(AuditLog.id)))
        assert choices == [{"choice": "college"}, {"choice": "home"}]


async def test_the_parent_opens_it_again_from_the_menu_and_no_one_else_can(h, demo):
    photo = jpeg()
    saule, aruzhan, mentor = await demo.held(photo=photo)
    marat = await demo.join(MARAT, lang="en")
    await h.tick()
    saule.new()
    await saule.says("/menu")
    again = await saule.taps("Summary: Аружан")
    assert f"Summary for parents: {ARUZHAN}" in again[0].text
    assert [m.file_bytes for m in again if m.method == "sendphoto"] == [photo]
    assert any(m.method == "senddocument" for m in again)
    [summary] = await summaries(h)
    # Another family's parent, the pupil and the mentor: refused, nothing shown.
    for user in (marat, aruzhan, mentor):
        reply = (await user.presses(ViewSummary(demo.trial_id, demo.id(ARUZHAN)).pack()))[-1]
        assert "cannot find this summary" in reply.text
        await user.presses(ChooseNextStep(summary.id, "online").pack())
        assert not any(m.file_bytes == photo for m in user.inbox)
    async with h.db() as s:
        assert (await s.get(Summary, summary.id)).family_choice is None


async def test_no_summary_for_a_pupil_marked_absent_or_whose_consent_was_withdrawn(h, demo):
    marat = await demo.consent(MARAT)  # consented, but the escort marks Диас absent
    saule, aruzhan, mentor = await demo.held()
    async with h.db() as s:
        from storage.models import Participant

        row = await s.scalar(select(Participant).where(Participant.pupil_id == demo.id(DIAS)))
        row.attendance = "absent"
    await saule.says("/menu")
    await saule.taps("Аружан")
    await saule.taps("Withdraw consent")
    await saule.taps("Yes, withdraw")
    saule.new()
    marat.new()
    trial = await demo.trial()
    await h.tick(trial.ends_at + timedelta(days=3, minutes=1))
    assert await summaries(h) == []
    assert texts(saule) == [] and texts(marat) == []


async def test_the_summary_pdf_is_one_page_of_kazakh(h, demo, tmp_path):
    saule, _aruzhan, _mentor = await demo.held(photo=jpeg(),
                                               plus="Сызбаны гауһардай ұқыпты оқиды")
    await saule.says("/language")
    await saule.taps("Қазақша")
    saule.new()
    await h.tick()
    data = pdf_of(next(m for m in saule.new() if m.method == "senddocument"))
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())  # pypdf doubles some spaces
    for words in ("Ата-аналарға арналған қорытынды", "Менің балам не істеді",
                  "Қауіпсіздік қалай қамтамасыз етілді", "Әріптес", "Аружан Серікқызы",
                  "Тәлімгер атап өтті: «Сызбаны гауһардай ұқыпты оқиды»",
                  "Келесі қадам (отбасының қалауы бойынша)", "Пәндермен байланысы"):
        assert words in text, words
    assert sum(len(page.images) for page in reader.pages) == 1
    assert page_png(data, tmp_path / "summary-kk.png").stat().st_size > 10_000


async def test_nothing_is_made_for_trials_long_past(h, demo):
    await demo.consent(SAULE)
    trial = await demo.trial()
    await h.tick(trial.ends_at + timedelta(days=15))
    async with h.db() as s:
        assert await s.scalar(select(func.count()).select_from(Summary)) == 0

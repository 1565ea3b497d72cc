"""The portfolio: an entry per pupil per completed trial, read from the data; in chat for the
pupil and their parents (latest entries, a trajectory line, a PDF); photos only within the
family and the school, and only while the permissions stand."""

from __future__ import annotations

import io
from datetime import timedelta

from pypdf import PdfReader
from sqlalchemy import func, select

from handlers.context import Context
from handlers.features import WIRING
from handlers.portfolio.buttons import PortfolioPdf, ShowPortfolio
from handlers.portfolio.entries import shown_media
from handlers.summary.buttons import ViewSummary
from storage.models import Media, Participant, PortfolioEntry, Trial
from storage.repos.consents import Consents
from storage.repos.trials import Trials

from .demo_school import PARENTS, PUPILS, TEACHER, jpeg
from .test_import import cli_env, synaq
from .test_summary import page_png

SAULE, MARAT, KAIRAT = PARENTS
ARUZHAN, DIAS, MADINA = PUPILS
TRACE = {"liked": "yes", "choose": "no", "useful": "yes", "new": "Электр тогы не істейді",
         "next_step": "Бағдарламашы сынағына барамын"}


async def entries(h) -> list[PortfolioEntry]:
    async with h.db() as s:
        return list(await s.scalars(select(PortfolioEntry).order_by(PortfolioEntry.id)))


async def earlier_trial(h, demo) -> int:
    """Аружан's trial a month before the demo one, in another field, which she liked and
    would choose: consent, after and trace questionnaires done."""
    demo_trial = await demo.trial()
    async with h.db() as s:
        trial = await Trials(s).add(
            school_id=demo.school_id, title="Бағдарламашы: веб-бет жасау",
            starts_at=demo_trial.starts_at - timedelta(days=30),
            ends_at=demo_trial.ends_at - timedelta(days=30), coordinator_id=None,
            profession="Бағдарламашы", sector="IT", pupil_goal="Веб-беттің қалай жасалатынын көру")
        await Trials(s).add_participant(trial.id, demo.id(ARUZHAN), h.now)
        await Consents(s).record(
            trial_id=trial.id, pupil_id=demo.id(ARUZHAN), parent_id=demo.id(SAULE),
            action="given", participation="agree", photo_tier="portfolio", medical_note=None,
            safety_read=True, text_version=1, channel="telegram", now=h.now)
    await h.complete_flow(demo.id(ARUZHAN), "pupil.after",
                          {"did": "HTML бетін жасадым", "went_well": "Түстер",
                           "hard": "CSS", "requirements": "Зейін", "about_me": "Ұнайды",
                           "continue": "Иә", "portfolio_ok": "yes", "photo_ok": "no",
                           **{f"self_{c}": "2" for c in ("understanding", "procedure",
                                                         "accuracy", "communication",
                                                         "safety")}},
                          trial_id=trial.id)
    await h.complete_flow(demo.id(ARUZHAN), "pupil.trace",
                          {"liked": "yes", "choose": "yes", "useful": "yes"}, trial_id=trial.id)
    return trial.id


async def test_an_entry_is_added_once_for_each_pupil_who_took_part(h, demo):
    await demo.consent(MARAT, tier=None)
    parent, pupil, mentor = await demo.held()
    await demo.record_consent(MADINA)
    async with h.db() as s:  # Мадина had consent but was absent
        row = await s.scalar(select(Participant).where(Participant.pupil_id == demo.id(MADINA)))
        row.attendance = "absent"
    assert await entries(h) == []
    await h.tick()
    await h.tick(h.now + timedelta(minutes=1))
    assert [(e.pupil_id, e.trial_id) for e in await entries(h)] == [
        (demo.id(ARUZHAN), demo.trial_id)]


async def test_the_pupil_sees_the_latest_entries_the_trajectory_and_gets_the_pdf(h, demo):
    photo = jpeg()
    await earlier_trial(h, demo)
    parent, aruzhan, mentor = await demo.held(photo=photo)
    await h.complete_flow(demo.id(ARUZHAN), "pupil.trace", TRACE, trial_id=demo.trial_id)
    await h.tick()
    aruzhan.new()
    await aruzhan.says("/menu")
    shown = await aruzhan.taps("My portfolio")

    head, newest = shown[0], shown[1]
    assert f"<b>Portfolio: {ARUZHAN}</b>" in head.text and "Trials: 2." in head.text
    assert "Fields tried: IT, Энергетика." in head.text
    assert ("Interest over time: 25.10.26 Бағдарламашы: liked it — Yes, would choose it — Yes; "
            "24.11.26 Электромонтер: liked it — Yes, would choose it — No.") in head.text
    assert "Ruled out for now: Электромонтер." in head.text
    # One message per entry, the newest first; the photo goes with its entry.
    assert newest.method == "sendmessage" and "Электромонтер: қарапайым" in newest.text
    assert "<i>What exactly did I do?</i> I wired a circuit from a diagram" in newest.text
    assert "Understanding the task: 3 / 3" in newest.text
    assert "Plus</i> Reads the diagram well" in newest.text
    assert "<i>Would you like to choose this profession?</i> No" in newest.text
    assert "Artefacts kept: 1." in newest.text
    assert shown[2].method == "sendphoto" and shown[2].file_bytes == photo
    older = shown[3]
    assert "Бағдарламашы: веб-бет жасау" in older.text and "HTML бетін жасадым" in older.text
    assert "Understanding the task: — / 2" in older.text  # no mentor card there
    assert "Shown: the latest 2 of 2" in shown[-1].text

    [pdf] = await aruzhan.taps("whole portfolio as a PDF")
    assert pdf.method == "senddocument" and pdf.file_name == f"Portfolio — {ARUZHAN}.pdf"
    reader = PdfReader(io.BytesIO(pdf.file_bytes))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "I wired a circuit from a diagram" in text and "HTML бетін жасадым" in text
    assert "Ruled out for now: Электромонтер." in text
    assert sum(len(page.images) for page in reader.pages) == 1


async def test_a_parent_opens_their_childs_portfolio_and_nobody_else_can(h, demo):
    photo = jpeg()
    saule, aruzhan, mentor = await demo.held(photo=photo)
    marat = await demo.join(MARAT, lang="en")
    teacher = await demo.join(TEACHER, lang="en")
    await h.tick()
    saule.new()
    await saule.says("/menu")
    shown = await saule.taps("Portfolio: Аружан")
    assert f"Portfolio: {ARUZHAN}" in shown[0].text
    assert [m.file_bytes for m in shown if m.method == "sendphoto"] == [photo]
    # Another family's parent, the mentor and the escorting teacher: refused, no photo.
    for user in (marat, mentor, teacher):
        for data in (ShowPortfolio(demo.id(ARUZHAN)).pack(),
                     PortfolioPdf(demo.id(ARUZHAN)).pack()):
            reply = (await user.presses(data))[-1]
            assert "cannot find this portfolio" in reply.text
        assert not any(m.file_bytes == photo for m in user.inbox)
    # The pupil's own menu has no entry for another pupil's portfolio either.
    await aruzhan.presses(ShowPortfolio(demo.id(DIAS)).pack())
    assert "cannot find this portfolio" in aruzhan.last.text


async def test_a_stricter_permission_hides_the_photo_everywhere_at_once(h, demo):
    photo = jpeg()
    saule, aruzhan, _mentor = await demo.held(photo=photo)
    await h.tick()
    async with h.db() as s:
        [media] = list(await s.scalars(select(Media)))
        ctx = Context(session=s, wiring=WIRING, now=h.now, config=h.config)
        trial = await s.get(Trial, demo.trial_id)
        # Family and staff see a "portfolio only" photo; anything public does not.
        assert await shown_media(ctx, trial, demo.id(ARUZHAN), [media]) == [media]
        assert await shown_media(ctx, trial, demo.id(ARUZHAN), [media], public=True) == []
    await saule.says("/menu")
    await saule.taps("Аружан: Электромонтер")
    await saule.taps("Change the decision")
    await saule.taps("I agree")
    await saule.taps("Prohibited")
    await saule.taps("Skip")
    await saule.taps("I have read the safety rules")
    saule.new()
    aruzhan.new()
    shown = await aruzhan.presses(ShowPortfolio(demo.id(ARUZHAN)).pack())
    assert not any(m.method == "sendphoto" for m in shown)
    assert "Artefacts kept" not in shown[1].text
    again = await saule.presses(ViewSummary(demo.trial_id, demo.id(ARUZHAN)).pack())
    assert not any(m.file_bytes == photo for m in again)
    assert "No photos of your child are kept" in again[0].text
    [pdf] = await aruzhan.presses(PortfolioPdf(demo.id(ARUZHAN)).pack())
    reader = PdfReader(io.BytesIO(pdf.file_bytes))
    assert sum(len(page.images) for page in reader.pages) == 0


async def test_the_portfolio_pdf_renders_kazakh(h, demo, tmp_path):
    await earlier_trial(h, demo)
    _saule, aruzhan, _mentor = await demo.held(photo=jpeg(), plus="Гауһардай ұқыпты жұмыс")
    await aruzhan.says("/language")
    await aruzhan.taps("Қазақша")
    await h.tick()
    [pdf] = await aruzhan.presses(PortfolioPdf(demo.id(ARUZHAN)).pack())
    reader = PdfReader(io.BytesIO(pdf.file_bytes))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    for words in ("Портфолио: Аружан Серікқызы", "Траектория", "Мен нақты не істедім?",
                  "Сынақтан кейін", "Гауһардай ұқыпты жұмыс", "Тәлімгердің кері байланысы",
                  "Сынап көрген салалар: IT, Энергетика."):
        assert words in text, words
    (tmp_path / "portfolio-kk.pdf").write_bytes(pdf.file_bytes)
    assert page_png(pdf.file_bytes, tmp_path / "portfolio-kk.png").stat().st_size > 10_000


async def test_the_command_line_exports_the_same_portfolio(h, demo, db_url, tmp_path):
    await demo.held(photo=jpeg())
    await h.tick()
    target = tmp_path / "portfolio.pdf"
    code, _out, err = await synaq(cli_env(db_url, tmp_path), "export", "portfolio",
                                  str(demo.id(ARUZHAN)), "-o", str(target), "--lang", "ru")
    assert code == 0, err
    reader = PdfReader(str(target))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert f"Портфолио: {ARUZHAN}" in text and "I wired a circuit from a diagram" in text
    assert sum(len(page.images) for page in reader.pages) == 1
    async with h.db() as s:
        assert await s.scalar(select(func.count()).select_from(PortfolioEntry)) == 1

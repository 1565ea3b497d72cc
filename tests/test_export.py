"""The journal, a trial's report and a pupil's portfolio: built from what was recorded, opened
as files, sent to the coordinator, refused to anyone else, written to the audit log."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from handlers.context import Context
from handlers.features import WIRING
from handlers.portfolio.view import portfolio_document
from handlers.reports.buttons import EXCEL, JOURNAL, TRIAL, Reports
from locales import translator
from storage.db import create_engine, session_factory
from storage.files import MediaStore
from storage.models import AuditLog, Media, Participant, Trial
from storage.repos.consents import Consents
from storage.repos.trials import Trials

from .demo_school import COORDINATOR, MENTOR, PARENTS, PUPILS, DemoSchool
from .harness import Harness
from .test_import import cli_env, synaq

AFTER = {"did": "Тізбекті жинадым", "went_well": "Шам жанды", "hard": "Сызбаны оқу",
         "requirements": "Ұқыптылық", "about_me": "Қолыммен жасағанды ұнатамын",
         "continue": "Иә, колледжге барамын", "portfolio_ok": "yes", "photo_ok": "yes",
         **{f"self_{c}": "2" for c in ("understanding", "procedure", "accuracy",
                                       "communication", "safety")}}
TRACE = {"liked": "yes", "choose": "unsure", "useful": "yes", "new": "Электромонтер не істейді"}
RUBRIC = {"understanding": "3", "procedure": "3", "accuracy": "2", "communication": "3",
          "safety": "3", "result": "yes"}


def png(colour: str = "green") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), colour).save(buffer, format="PNG")
    return buffer.getvalue()


async def held(h: Harness, demo: DemoSchool) -> Trial:
    """The demo trial, held and partly reflected on: Аружан and Диас took part (consent,
    present), Мадина's parent declined; both took part answered after, Аружан also the trace
    and sent a photo; the mentor rated both; the teacher wrote an evaluation."""
    first, second, third = PUPILS
    await demo.record_consent(first)
    await demo.record_consent(second)
    await demo.record_consent(third, participation="decline")
    trial = await demo.trial()
    h.clock.set(trial.ends_at + timedelta(hours=2))
    async with h.db() as session:
        for name in (first, second):
            member = await Trials(session).participant(trial.id, demo.id(name))
            assert member is not None
            member.attendance = "present"
        stored = await session.get(Trial, trial.id)
        assert stored is not None
        stored.teacher_evaluation = "Балалар белсенді болды; уақыт жетпеді."
    for name in (first, second):
        await h.complete_flow(demo.id(name), "pupil.after", AFTER, trial_id=trial.id)
        await h.complete_flow(demo.id(MENTOR), "mentor.rubric", RUBRIC, trial_id=trial.id,
                              pupil_id=demo.id(name))
    await h.complete_flow(demo.id(first), "pupil.trace", TRACE, trial_id=trial.id)
    key, digest = MediaStore(h.settings.media_dir).put(png(), "image/png", h.now)
    async with h.db() as session:
        session.add(Media(person_id=demo.id(first), pupil_id=demo.id(first),
                          trial_id=trial.id, kind="photo", mime="image/png", size=100,
                          sha256=digest, storage_key=key, tier="portfolio", created_at=h.now))
    return trial


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


async def test_the_coordinator_gets_the_journal_as_an_excel_file(h, demo):
    await held(h, demo)
    coordinator = await demo.join(COORDINATOR, lang="kk")

    await coordinator.taps("Журнал және есептер")
    sent = (await coordinator.taps("Журнал (Excel)"))[-1]

    assert sent.method == "senddocument" and sent.file_name == "journal.xlsx"
    sheet = load_workbook(io.BytesIO(sent.file_bytes or b"")).active
    assert sheet is not None
    rows = [[str(c.value or "") for c in row] for row in sheet.iter_rows()]
    assert rows[0][3:] == ["Күні мен уақыты", "Әріптесі және алаңы", "Форматы мен ұзақтығы",
                           "Оқу мақсаты", "Топ құрамы", "Портфолиодағы артефактілер",
                           "Нұсқаулықтар мен келісімдер",
                           "Қорытынды баға: мұғалім, оқушылар, тәлімгер"]
    (entry,) = rows[1:]
    assert entry[1].startswith("Электромонтер") and entry[2] == "8А"
    assert entry[3].endswith("10:00–12:00")
    assert "«Qazaq Energy Service» ЖШС — Электр шеберханасы" in entry[4]
    assert entry[5].startswith("бетпе-бет · 120 мин")
    assert entry[7] == "Оқушылар: 3 (қатысты: 2, қатыспады: 0, белгіленбеген: 1)"
    assert entry[8] == "Аружан Серікқызы — портфолиодағы файлдар: 1"
    assert "келісті — 2, бас тартты — 1, жауап жоқ — 0" in entry[9]
    assert "Мұғалім: Балалар белсенді болды" in entry[10]
    assert "сынақтан кейінгі сауалнама — 3 ішінен 2" in entry[10]
    assert "Тәлімгер: 3 ішінен 2 бағаланды; орташа балл — 3-тен 2.8" in entry[10]
    async with h.db() as session:
        audit = await session.scalar(select(AuditLog).where(AuditLog.action == "export.journal"))
        assert audit is not None and audit.actor_id == demo.id(COORDINATOR)
        assert audit.detail["format"] == "xlsx" and audit.detail["rows"] == 1


async def test_the_trial_report_is_a_pdf_in_kazakh_with_a_line_per_pupil(h, demo):
    trial = await held(h, demo)
    coordinator = await demo.join(COORDINATOR, lang="kk")
    await coordinator.taps("Журнал және есептер")
    await coordinator.taps("Сынақ туралы есеп")
    sent = (await coordinator.taps("Электромонтер"))[-1]

    assert sent.file_name == f"trial-{trial.id}.pdf"
    text = pdf_text(sent.file_bytes or b"")
    assert "Кәсіби сынақтың технологиялық картасы" in text
    assert "Журналдағы жазба" in text
    for name in PUPILS:
        assert name in text
    assert "+7701" not in text  # no phones in a record meant for the files


async def test_another_schools_trial_and_a_parent_are_refused(h, demo):
    other = await demo.other_trial("Бөтен Тәлімгер", "Бөтен Оқушы")
    async with h.db() as session:
        trial = await session.get(Trial, other)
        assert trial is not None
        from storage.repos.schools import Schools

        school = await Schools(session).add(name="Басқа мектеп")
        trial.school_id = school.id
    coordinator = await demo.join(COORDINATOR, lang="en")
    assert (await coordinator.presses(Reports(TRIAL, str(other)).pack()))[-1].text == \
        "This button is no longer active."
    parent = await demo.join(PARENTS[0], lang="en")
    assert (await parent.presses(Reports(JOURNAL, EXCEL).pack()))[-1].text == \
        "This button is no longer active."
    async with h.db() as session:
        exports = await session.scalars(select(AuditLog).where(AuditLog.action.like("export.%")))
        assert list(exports) == []


async def test_the_portfolio_export_shows_the_photo_only_while_the_permission_stands(h, demo):
    trial = await held(h, demo)
    aruzhan = demo.id(PUPILS[0])

    async def portfolio() -> bytes:
        async with h.db() as session:
            ctx = Context(session=session, wiring=WIRING, now=h.now, config=h.config)
            pupil = await ctx.people.get(aruzhan)
            assert pupil is not None
            return await portfolio_document(ctx, pupil, translator("kk"))

    shown = await portfolio()
    assert "Тізбекті жинадым" in pdf_text(shown)
    assert sum(len(page.images) for page in PdfReader(io.BytesIO(shown)).pages) == 1

    async with h.db() as session:  # the parent now forbids photos
        await Consents(session).record(
            trial_id=trial.id, pupil_id=aruzhan, parent_id=demo.id(PARENTS[0]),
            action="changed", participation="agree", photo_tier="prohibited",
            medical_note=None, safety_read=True, text_version=1, channel="telegram",
            now=h.now + timedelta(minutes=1))
    hidden = await portfolio()
    assert sum(len(page.images) for page in PdfReader(io.BytesIO(hidden)).pages) == 0
    assert "Тізбекті жинадым" in pdf_text(hidden)


async def test_the_command_line_exports_the_journal_as_excel_ready_csv(db_url, tmp_path):
    env = cli_env(db_url, tmp_path)
    assert (await synaq(env, "demo"))[0] == 0
    target = tmp_path / "journal.csv"

    code, out, err = await synaq(env, "export", "journal", "--format", "csv", "-o", str(target))

    assert code == 0, err
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    header, row = data.decode("utf-8-sig").splitlines()[:2]
    assert header.split(";")[:5] == ["Trial no.", "Trial", "Class", "Date and time",
                                     "Partner and site"]
    assert "Электромонтер" in row and "8А" in row
    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as session:
            audit = await session.scalar(select(AuditLog).where(
                AuditLog.action == "export.journal"))
            assert audit is not None and audit.actor_id is None
            assert audit.detail["via"] == "cli" and audit.detail["rows"] == 1
            assert await session.scalar(select(Participant.id).limit(1)) is not None
    finally:
        await engine.dispose()

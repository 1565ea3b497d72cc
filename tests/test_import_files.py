"""Files as they really come: Excel's Windows code pages, letters Excel already lost, and
files built to hurt (a workbook claiming a million rows, a CSV of endless rows or cells)."""

from __future__ import annotations

import asyncio
import gc
import io
import re
import resource
import sys
import time
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from locales import translator
from storage.importer import sources
from storage.models import Person

from .test_import import EXAMPLES, ROOT, cli_env, csv_files, dump, run, synaq, to_csv

EN = translator("en")


def pupils_csv(rows: list[list[str]], encoding: str) -> bytes:
    return "".join(";".join(r) + "\r\n" for r in [["ФИО", "Класс", "Язык"], *rows]) \
        .encode(encoding, errors="replace")


async def names(h) -> set[str]:
    async with h.db() as session:
        return set(await session.scalars(select(Person.full_name)))


# --- issue 19.5: Windows code pages -------------------------------------------------------


async def test_a_windows_1251_csv_from_russian_excel_is_read(h):
    await run(h, csv_files(EXAMPLES))
    data = pupils_csv([["Иван Петров", "8А", "рус"], ["Алия Ким", "8А", "ru"]], "cp1251")
    result = await run(h, [("pupils.csv", data)])
    assert result.ok, [p.render(EN) for p in result.problems]
    assert result.counts is not None and result.counts.created == {"pupils": 2}
    assert {"Иван Петров", "Алия Ким"} <= await names(h)


async def test_a_kz_1048_csv_keeps_its_kazakh_letters(h):
    await run(h, csv_files(EXAMPLES))
    data = pupils_csv([["Қанат Нұрланов", "8А", "kk"], ["Әлия Ғабитқызы", "8А", "kk"]],
                      "kz1048")
    result = await run(h, [("pupils.csv", data)])
    assert result.ok, [p.render(EN) for p in result.problems]
    assert {"Қанат Нұрланов", "Әлия Ғабитқызы"} <= await names(h)


async def test_kazakh_letters_excel_already_turned_into_question_marks_are_problems(h):
    await run(h, csv_files(EXAMPLES))
    before = await dump(h)
    # What Excel's "CSV (разделители - запятые)" writes on Russian Windows for these names.
    data = pupils_csv([["Иван Петров", "8А", "ru"], ["Қанат Нұрланов", "8А", "kk"],
                       ["Әсем Серікова", "8А", "kk"]], "cp1251")
    assert b"?" in data
    result = await run(h, [("pupils.csv", data)])
    assert [(p.row, p.column) for p in result.errors] == [(3, "ФИО"), (4, "ФИО")]
    line = result.errors[0].render(EN)
    assert "“?анат Н?рланов” has “?” where a letter was" in line and "CSV UTF-8" in line
    assert await dump(h) == before


async def test_a_utf8_file_with_a_broken_byte_is_refused_not_read_as_garbage(h):
    await run(h, csv_files(EXAMPLES))
    before = await dump(h)
    data = pupils_csv([["Қанат Нұрланов", "8А", "kk"], ["Әлия Ғабитқызы", "8А", "kk"]],
                      "utf-8")
    broken = data.replace("Ғ".encode(), b"\xd2")  # half a letter, as a cut-off copy leaves
    result = await run(h, [("pupils.csv", broken)])
    assert [p.render(EN) for p in result.errors] == [
        "pupils.csv: I could not read the text of this file. In Excel choose “Save as” → "
        "“CSV UTF-8”, or send the XLSX workbook itself."]
    assert await dump(h) == before


async def test_a_question_mark_in_a_unicode_file_is_only_text(h):
    await run(h, csv_files(EXAMPLES))
    rows = [["ФИО", "Класс"], ["Кто?Я", "8А"]]
    result = await run(h, [("pupils.csv", to_csv(rows))])
    assert result.ok


# --- issue 20.2: files built to hurt --------------------------------------------------------


def workbook_claiming(dimension: str) -> bytes:
    """A real two-row "pupils" workbook whose sheet claims ``dimension`` and has an empty
    cell in its far corner (4.9 KB)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "pupils"
    sheet.append(["name", "class"])
    sheet.append(["Аружан Серікқызы", "8А"])
    plain = io.BytesIO()
    book.save(plain)
    source, out = zipfile.ZipFile(io.BytesIO(plain.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb'<dimension ref="[^"]*" ?/>',
                              f'<dimension ref="{dimension}"/>'.encode(), data)
                # One empty cell in the claimed corner, as a formatted-then-cleared sheet
                # has: every row up to it used to be padded to the claimed width.
                corner = dimension.split(":")[-1]
                row = re.sub(r"\D", "", corner)
                data = data.replace(b"</sheetData>", f'<row r="{row}"><c r="{corner}" s="0"/>'
                                    f'</row></sheetData>'.encode())
            target.writestr(info, data)
    return out.getvalue()


def capped() -> None:
    """The child's whole address space: 1.5 GB (the original needed 2.7 GB and more)."""
    resource.setrlimit(resource.RLIMIT_AS, (3 * 2**29, 3 * 2**29))


async def test_a_workbook_claiming_a_million_rows_by_16384_columns_is_read_by_its_content(
        db_url, tmp_path):
    bomb = tmp_path / "school.xlsx"
    bomb.write_bytes(workbook_claiming("A1:XFD1048576"))
    assert bomb.stat().st_size < 10_000
    env = cli_env(db_url, tmp_path)
    assert (await synaq(env, "import", *map(str, sorted(EXAMPLES.glob("*.csv")))))[0] == 0
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "import", "--check", str(bomb), env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, preexec_fn=capped)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 90)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError("the import was still reading after 90 s") from None
    elapsed = time.monotonic() - started
    assert b"MemoryError" not in err, err.decode()[-400:]
    assert proc.returncode == 0 and "pupils: 1 new" in out.decode(), \
        out.decode() + err.decode()[-400:]
    assert elapsed < 60


@pytest.mark.parametrize("shape", ["rows", "columns", "cell", "field"])
def test_a_file_beyond_the_limits_is_refused_with_a_clear_message(monkeypatch, shape):
    monkeypatch.setattr(sources, "LIMITS", sources.Limits(rows=50, columns=30,
                                                         cell_chars=1000))
    header = ["ФИО", "Класс"]
    body = [[f"Оқушы {i}", "8А"] for i in range(10)]
    if shape == "rows":
        body = [[f"Оқушы {i}", "8А"] for i in range(60)]
    elif shape == "columns":
        body[3] += [""] * 40 + ["x"]
    elif shape == "cell":
        body[3][0] = "а" * 1001
    else:  # beyond the csv module's own 128 KB field limit: it used to raise
        body[3][0] = "а" * 200_000
    result = sources.read("pupils.csv", to_csv([header, *body]))
    assert result[0] == [] and len(result[1]) == 1
    said = result[1][0].render(EN)
    expected = {"rows": "More than 50 filled rows", "columns": "beyond column 30",
                "cell": "more than 1000 characters", "field": "more than 1000 characters"}
    assert expected[shape] in said


def test_a_workbook_that_unpacks_to_too_much_is_not_opened(monkeypatch):
    monkeypatch.setattr(sources, "LIMITS", sources.Limits(unpacked_bytes=2000))
    tables, problems = sources.read("school.xlsx", workbook_claiming("A1:B2"))
    assert tables == [] and "unpacks to more than" in problems[0].render(EN)


async def test_reading_a_big_file_does_not_stall_everyone_else(h):
    """While a 15,000-row file is read and checked, the event loop keeps answering others.
    A full garbage collection stops every thread whoever allocates, so its pauses are
    measured apart (gc.callbacks) and not held against the import."""
    await run(h, csv_files(EXAMPLES))
    rows = [["ФИО", "Класс"], *([f"Оқушы Нөмір{i}", "99Я"] for i in range(15_000))]
    data = to_csv(rows)
    ticks: list[float] = []
    collections: list[tuple[float, float]] = []
    started_gc: list[float] = []
    done = asyncio.Event()

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started_gc.append(time.perf_counter())
        elif started_gc:
            collections.append((started_gc.pop(), time.perf_counter()))

    async def others() -> None:
        while not done.is_set():
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.005)

    gc.callbacks.append(on_gc)
    try:
        watcher = asyncio.create_task(others())
        await asyncio.sleep(0.02)
        started = time.perf_counter()
        result = await run(h, [("pupils.csv", data)])
        took = time.perf_counter() - started
        done.set()
        await watcher
    finally:
        gc.callbacks.remove(on_gc)
    assert not result.ok  # the class is nowhere: 15,000 problems, all reported
    assert len(result.errors) == 15_000

    def stalled(a: float, b: float) -> float:
        collecting = sum(max(0.0, min(b, end) - max(a, start)) for start, end in collections)
        return (b - a) - collecting

    worst = max(stalled(a, b) for a, b in zip(ticks, ticks[1:], strict=False))
    # Read and checked on the loop, the longest stall was 40 % of the import (0.44 s of about
    # 1.1 s on an idle machine); off it, a few milliseconds, plus whatever a busy machine adds.
    assert worst < max(0.15, took / 5), (worst, took)

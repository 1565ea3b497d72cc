"""Reading import files into tables: CSV (UTF-8 with or without BOM, UTF-16, or a Windows /
DOS Cyrillic code page; ``;``, ``,`` or tab) and XLSX.

Row numbers are the ones the person sees in Excel: the header is row 1 (or wherever it is),
empty rows count, and a cell with line breaks is still one row.

A file is read by what it holds, never by what it claims: an XLSX's stated dimension
(``A1:XFD1048576`` costs nothing to write) is ignored, and rows, columns, cell lengths and
the unpacked size are bounded (:data:`LIMITS`), so that a small hostile file cannot take the
server's memory. Reading is plain CPU work with no database: :func:`read_all` runs in a
worker thread, before anything is asked of the database.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from locales import _
from locales.typed_text import clean_typed

from .problems import Problem
from .schema import Entity, entity_by_header, entity_named

CSV_DELIMITERS = (";", ",", "\t")


@dataclass(frozen=True)
class Limits:
    """How much one import file may hold. A school's lists are a few thousand rows of a few
    dozen columns; these are far above that and far below what would hurt the server."""

    file_bytes: int = 20 * 2**20  # a file as sent (the chat's own limit is MAX_UPLOAD_MB)
    unpacked_bytes: int = 100 * 2**20  # an XLSX's parts once unzipped
    rows: int = 20_000  # filled rows per sheet or CSV file
    columns: int = 200  # the last filled column of any row
    cell_chars: int = 20_000  # one cell


LIMITS = Limits()

# Code pages a Cyrillic CSV comes in when it is not UTF-8: Excel on Russian- or
# Kazakh-locale Windows (1251, or 1048 which has the Kazakh letters), DOS (866), old Macs,
# KOI8-R. charset-normalizer tells them apart by which decoding reads as language.
LEGACY_ENCODINGS = ["cp1251", "cp866", "mac_cyrillic", "koi8_r"]
# What Windows-1251 makes of the Kazakh letters of a KZ-1048 file.
_KZ1048_IN_CP1251 = re.compile("[ЌЋќћЎўЈҐЄЇґєјЅѕї]")
# Excel writes "?" for each letter the code page lacks (ә, ғ, қ, ң, ө, ұ, ү, һ, і in 866…):
# a "?" touching a letter is a lost letter, not punctuation.
_LOST_LETTER = re.compile(r"[^\W\d_]\?|\?[^\W\d_]")


@dataclass
class Row:
    number: int
    cells: dict[str, Any]  # column key → the cell as read


@dataclass
class Table:
    entity: Entity
    source: str  # "pupils.csv", or "school.xlsx › Pupils"
    header_row: int
    headers: dict[str, str]  # column key → the header as written
    rows: list[Row] = field(default_factory=list)


class TooMuch(Exception):
    """A file beyond :data:`LIMITS`; ``problem`` says which limit, for the person."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.msgid)
        self.problem = problem


def read_all(files: Iterable[tuple[str, bytes]]) -> tuple[list[Table], list[Problem]]:
    """Every table of every file, and the problems of reading them (in file order)."""
    tables: list[Table] = []
    problems: list[Problem] = []
    for name, data in files:
        found, trouble = read(name, data)
        tables += found
        problems += trouble
    return tables, problems


def read(name: str, data: bytes) -> tuple[list[Table], list[Problem]]:
    """The tables of one file (a workbook has several), and what kept us from reading it."""
    suffix = PurePath(name).suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        return [], [Problem(name, None, None, _("I can read XLSX workbooks and CSV files; this "
                                                 "is neither. Please send an .xlsx or .csv "
                                                 "file."))]
    if len(data) > LIMITS.file_bytes:
        return [], [Problem(name, None, None, _(
            "This file is {size} MB; I can read files up to {limit} MB."),
            {"size": round(len(data) / 2**20, 1), "limit": LIMITS.file_bytes // 2**20})]
    try:
        return _csv(name, data) if suffix == ".csv" else _xlsx(name, data)
    except TooMuch as too_much:
        return [], [too_much.problem]


def decode(data: bytes) -> tuple[str, str | None] | None:
    """The text of a CSV file and the legacy code page it was in (None for Unicode); None
    when it is no text we know."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding), None
            except UnicodeDecodeError:
                return None
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    damaged = data.decode("utf-8", errors="replace")
    if damaged.count("\ufffd") * 20 < sum(1 for c in damaged if c > "\x7f"):
        return None  # UTF-8 with a few broken bytes: read in a code page, it would be garbage
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=LEGACY_ENCODINGS).best()
    if best is None:
        return None
    encoding = best.encoding
    text = data.decode(encoding)
    if encoding == "cp1251" and _KZ1048_IN_CP1251.search(text):
        text, encoding = data.decode("kz1048"), "kz1048"
    return text, encoding


def _csv(name: str, data: bytes) -> tuple[list[Table], list[Problem]]:
    decoded = decode(data)
    if decoded is None:
        return [], [Problem(name, None, None, _(
            "I could not read the text of this file. In Excel choose “Save as” → “CSV UTF-8”, "
            "or send the XLSX workbook itself."))]
    content, legacy = decoded
    first = next((line for line in content.splitlines() if line.strip()), "")
    delimiter = max(CSV_DELIMITERS, key=first.count)
    rows = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    try:
        grid = _bounded(name, enumerate(rows, 1))
    except csv.Error:  # a field beyond the csv module's own limit (128 KB)
        raise TooMuch(_too_long(name, None)) from None
    tables, problems = _table(name, PurePath(name).stem, grid)
    if legacy is not None:
        problems += _lost_letters(tables, grid, name)
    return tables, problems


def _xlsx(name: str, data: bytes) -> tuple[list[Table], list[Problem]]:
    from openpyxl import load_workbook  # only needed here; it takes a moment to import

    unreadable = [Problem(name, None, None, _("This file could not be opened as an Excel "
                                              "workbook (XLSX)."))]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > LIMITS.unpacked_bytes:
            return [], [Problem(name, None, None, _(
                "This workbook unpacks to more than {limit} MB, far more than a school's "
                "lists need, so I have not read it. Save the sheets again in a new workbook, "
                "or send them as CSV files."), {"limit": LIMITS.unpacked_bytes // 2**20})]
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return [], unreadable
    tables: list[Table] = []
    problems: list[Problem] = []
    try:
        for sheet in book.worksheets:
            source = f"{name} › {sheet.title}"
            # The stated dimension is a claim, not the content: without this, openpyxl pads
            # every row to it (a list of 16,384 cells per row, for 1,048,576 rows).
            sheet.reset_dimensions()
            rows = sheet.iter_rows(values_only=True)
            grid = _bounded(source, enumerate(rows, 1))
            found, trouble = _table(source, sheet.title, grid)
            tables += found
            problems += trouble
    finally:
        book.close()
    return tables, problems


def _bounded(source: str, rows: Iterator[tuple[int, Iterable[Any]]]) \
        -> list[tuple[int, list[Any]]]:
    """The filled rows (trailing empty cells dropped), within :data:`LIMITS`."""
    grid: list[tuple[int, list[Any]]] = []
    for number, cells in rows:
        row = list(cells)
        while row and _blank(row[-1]):
            row.pop()
        if not row:
            continue
        if len(grid) >= LIMITS.rows:
            raise TooMuch(Problem(source, number, None, _(
                "More than {limit} filled rows: far more than a school's lists, so I have "
                "stopped reading. Delete the rows that do not belong, or split the file."),
                {"limit": LIMITS.rows}))
        if len(row) > LIMITS.columns:
            raise TooMuch(Problem(source, number, None, _(
                "This row has a filled cell beyond column {limit}. Delete what is out there, "
                "or split the sheet."), {"limit": LIMITS.columns}))
        if any(isinstance(c, str) and len(c) > LIMITS.cell_chars for c in row):
            raise TooMuch(_too_long(source, number))
        grid.append((number, row))
    return grid


def _too_long(source: str, row: int | None) -> Problem:
    return Problem(source, row, None, _("A cell holds more than {limit} characters; no list "
                                        "needs that much. Shorten it."),
                   {"limit": LIMITS.cell_chars})


def _lost_letters(tables: list[Table], grid: list[tuple[int, list[Any]]],
                  source: str) -> list[Problem]:
    """Cells (of the header and of the columns read) where a legacy code page already turned
    Kazakh letters into "?"."""
    if not grid:
        return []
    header_number, header = grid[0]
    read = set(tables[0].headers.values()) if tables else set()
    problems = []
    for number, cells in grid:
        for index, cell in enumerate(cells):
            if not (isinstance(cell, str) and _LOST_LETTER.search(cell)):
                continue
            column = None
            if number != header_number:
                column = str(header[index]).strip() if index < len(header) else ""
                if column not in read:
                    continue  # a column that is not imported loses nothing
            problems.append(Problem(source, number, column, _(
                "“{value}” has “?” where a letter was: the file was saved in a code page "
                "without Kazakh letters (ә, ғ, қ, ң, ө, ұ, ү, һ, і), and they are lost. In "
                "Excel choose “Save as” → “CSV UTF-8”, or send the XLSX workbook."),
                {"value": cell.strip()[:60]}))
    return problems


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _table(source: str, title: str, grid: list[tuple[int, list[Any]]]) \
        -> tuple[list[Table], list[Problem]]:
    rows = grid
    if not rows:
        return [], []  # an empty sheet or file says nothing
    header_row, header = rows[0]
    headers = ["" if _blank(h) else str(h).strip() for h in header]
    entity = entity_named(title) or entity_by_header([h for h in headers if h])
    if entity is None:
        return [], [Problem(source, None, None, _(
            "I cannot tell what this sheet holds. Name it after its contents — school, staff, "
            "partners, sites, classes, pupils, parents, mentors or trials — or use the column "
            "names from the README."))]
    problems: list[Problem] = []
    keys: dict[int, str] = {}
    written: dict[str, str] = {}
    for index, header_text in enumerate(headers):
        if not header_text:
            continue
        key = entity.column(header_text)
        if key is None:
            problems.append(Problem(source, header_row, header_text, _(
                "Unknown column; it was not read. The columns of this sheet are: {columns}."),
                {"columns": ", ".join(c.key for c in entity.columns)}, warning=True))
        elif key in written:
            problems.append(Problem(source, header_row, header_text, _(
                "This column appears twice.")))
        else:
            keys[index] = key
            written[key] = header_text
    for column in entity.columns:
        key = column.key
        if column.required and key not in written and column.or_column not in written:
            problems.append(Problem(source, header_row, key, _(
                "This column is missing; the sheet needs it.")))
    table = Table(entity, source, header_row, written)
    for number, cells in rows[1:]:
        # Text is cleaned as everything typed in the chat is: invisible and
        # direction-changing characters would travel into names others read.
        kept = {keys[i]: clean_typed(c) if isinstance(c, str) else c
                for i, c in enumerate(cells) if i in keys}
        table.rows.append(Row(number, {k: c for k, c in kept.items() if not _blank(c)}))
    return [table], problems

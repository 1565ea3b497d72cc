"""Reading import files into tables: CSV (UTF-8, with or without BOM, ``;`` or ``,``) and XLSX.

Row numbers are the ones the person sees in Excel: the header is row 1 (or wherever it is),
empty rows count, and a cell with line breaks is still one row.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from locales import _

from .problems import Problem
from .schema import Entity, entity_by_header, entity_named

CSV_DELIMITERS = (";", ",", "\t")


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


def read(name: str, data: bytes) -> tuple[list[Table], list[Problem]]:
    """The tables of one file (a workbook has several), and what kept us from reading it."""
    suffix = PurePath(name).suffix.lower()
    if suffix == ".csv":
        return _csv(name, data)
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx(name, data)
    return [], [Problem(name, None, None, _("I can read XLSX workbooks and CSV files; this is "
                                             "neither. Please send an .xlsx or .csv file."))]


def _csv(name: str, data: bytes) -> tuple[list[Table], list[Problem]]:
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [Problem(name, None, None, _(
            "This file is not UTF-8 text, so Kazakh letters would be lost. In Excel choose "
            "“Save as” → “CSV UTF-8”, or send the XLSX workbook itself."))]
    first = next((line for line in content.splitlines() if line.strip()), "")
    delimiter = max(CSV_DELIMITERS, key=first.count)
    grid = [(index, list(row)) for index, row in
            enumerate(csv.reader(io.StringIO(content, newline=""), delimiter=delimiter), 1)]
    return _table(name, PurePath(name).stem, grid)


def _xlsx(name: str, data: bytes) -> tuple[list[Table], list[Problem]]:
    from openpyxl import load_workbook  # only needed here; it takes a moment to import

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return [], [Problem(name, None, None, _("This file could not be opened as an Excel "
                                                 "workbook (XLSX)."))]
    tables: list[Table] = []
    problems: list[Problem] = []
    try:
        for sheet in book.worksheets:
            grid = [(index, list(values)) for index, values in
                    enumerate(sheet.iter_rows(values_only=True), 1)]
            found, trouble = _table(f"{name} › {sheet.title}", sheet.title, grid)
            tables += found
            problems += trouble
    finally:
        book.close()
    return tables, problems


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _table(source: str, title: str, grid: list[tuple[int, list[Any]]]) \
        -> tuple[list[Table], list[Problem]]:
    rows = [(n, cells) for n, cells in grid if not all(_blank(c) for c in cells)]
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
    for key in entity.required:
        if key not in written:
            problems.append(Problem(source, header_row, key, _(
                "This column is missing; the sheet needs it.")))
    table = Table(entity, source, header_row, written)
    for number, cells in rows[1:]:
        table.rows.append(Row(number, {keys[i]: c for i, c in enumerate(cells)
                                       if i in keys and not _blank(c)}))
    return [table], problems

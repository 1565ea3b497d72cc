"""Build ``school.xlsx`` from the CSV files next to it, so both hold the same data.

Dates and times become real Excel date and time cells, grades numbers, as a person typing
into Excel would make them. Run from the repository: ``python examples/import/build_xlsx.py``.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

HERE = Path(__file__).parent
SHEETS = ("school", "staff", "partners", "sites", "classes", "pupils", "parents", "mentors",
          "trials")
DATES = {"date", "end_date", "agreement_start", "agreement_end"}
TIMES = {"start", "end", "gather_time"}


def cell(column: str, value: str) -> object:
    if not value:
        return None
    if column in DATES:
        return datetime.strptime(value, "%d.%m.%Y").date()
    if column in TIMES:
        return datetime.strptime(value, "%H:%M").time()
    if column == "grade":
        return int(value)
    return value


def main() -> None:
    book = Workbook()
    book.remove(book.active)
    for name in SHEETS:
        sheet = book.create_sheet(name)
        with (HERE / f"{name}.csv").open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh, delimiter=";"))
        header, body = rows[0], rows[1:]
        sheet.append(header)
        for cell_ in sheet[1]:
            cell_.font = Font(bold=True)
        for values in body:
            sheet.append([cell(c, v) for c, v in zip(header, values, strict=True)])
        for column, header_name in enumerate(header, 1):
            for row in range(2, len(body) + 2):
                target = sheet.cell(row=row, column=column)
                if header_name in DATES:
                    target.number_format = "DD.MM.YYYY"
                elif header_name in TIMES:
                    target.number_format = "HH:MM"
            letter = sheet.cell(row=1, column=column).column_letter
            sheet.column_dimensions[letter].width = 14 if header_name in DATES | TIMES else 28
    book.save(HERE / "school.xlsx")


if __name__ == "__main__":
    main()

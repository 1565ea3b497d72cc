"""The cells of every CSV and XLSX file Synaq writes, made safe to open in a spreadsheet.

A text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula
to Excel, LibreOffice and Google Sheets: a pupil called ``=HYPERLINK(…)`` would run when the
coordinator opens the journal (OWASP, "CSV Injection"). Every writer goes through here —
CSV rows through :func:`csv_writer`, a workbook through :func:`safe_workbook` just before it
is saved — and both apply one rule, :func:`formula_like`:

- in CSV such a text is written with an apostrophe in front (OWASP's rule), which Excel
  shows as text;
- in XLSX it is stored as a text cell with Excel's "quote prefix" flag: the text is shown
  exactly as typed, and editing the cell does not turn it into a formula either.

Numbers, dates, times and yes/no stay what they are, and so does a text that is only a
signed number (``-5``, ``+2.5``): it computes nothing.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl import Workbook

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SIGNED_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?%?")


def formula_like(value: Any) -> bool:
    """True for a text a spreadsheet would read as a formula."""
    return (isinstance(value, str) and value.startswith(FORMULA_START)
            and _SIGNED_NUMBER.fullmatch(value) is None)


def safe_row(values: Iterable[Any]) -> list[Any]:
    """A CSV row with every formula-like text prefixed by an apostrophe."""
    return ["'" + v if formula_like(v) else v for v in values]


class _SafeWriter:
    def __init__(self, stream: IO[str], **options: Any) -> None:
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream: IO[str], delimiter: str = ";") -> _SafeWriter:
    """``csv.writer`` as Excel in Kazakhstan and Russia opens it (``;``, CRLF), made safe."""
    return _SafeWriter(stream, delimiter=delimiter, lineterminator="\r\n")


def safe_workbook(book: Workbook) -> Workbook:
    """Every cell of ``book`` that a spreadsheet would run is made plain text (in place)."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f" or formula_like(cell.value):
                    cell.data_type = "s"  # openpyxl makes a text starting with "=" a formula
                    cell.quotePrefix = True
    return book

"""A problem found in an import file: where (file or sheet, row, column) and what, as a msgid
with parameters, so that it is rendered in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from locales import Translator, _


@dataclass(frozen=True)
class Problem:
    source: str  # "pupils.csv" or "school.xlsx › Pupils"
    row: int | None  # as the person sees it in Excel; None for the whole file
    column: str | None  # the header as written, or the column key when it is missing
    msgid: str
    params: dict[str, Any] = field(default_factory=dict)
    warning: bool = False  # reported, but does not stop the import

    def render(self, tr: Translator) -> str:
        """The problem as one plain-text line in ``tr``'s language."""
        what = tr.plain(self.msgid, **self.params)
        if self.row is not None and self.column is not None:
            return tr.plain(_("{source}, row {row}, column “{column}”: {problem}"),
                            source=self.source, row=self.row, column=self.column, problem=what)
        if self.row is not None:
            return tr.plain(_("{source}, row {row}: {problem}"), source=self.source,
                            row=self.row, problem=what)
        if self.column is not None:
            return tr.plain(_("{source}, column “{column}”: {problem}"), source=self.source,
                            column=self.column, problem=what)
        return tr.plain(_("{source}: {problem}"), source=self.source, problem=what)

    def sort_key(self) -> tuple[str, int, str]:
        return (self.source, self.row or 0, self.column or "")

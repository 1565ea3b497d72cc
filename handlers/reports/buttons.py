"""The reports' buttons: the coordinator's journal and reports, the regional figures.

Each kind keeps the prefix and the order of parts its buttons had before they were typed, so
buttons already sent in people's chats keep working.
"""

from __future__ import annotations

from handlers.buttons import MAX_ID, Payload

# ``Reports.report``: the journal (``option`` EXCEL or CSV), the targets of the year, a
# trial's report (``option`` the trial's id; without it, the list of trials).
JOURNAL, TARGETS, TRIAL = "j", "g", "t"
EXCEL, CSV = "x", "c"


class Reports(Payload, prefix="xp"):
    """A coordinator's "Journal and reports": the choices (no report), or one report."""

    report: str | None = None
    option: str | None = None

    @property
    def trial_id(self) -> int | None:
        """The trial of a TRIAL report, or None (none given, or not an id)."""
        option = self.option
        if self.report != TRIAL or option is None or not option.isdigit() \
                or int(option) >= MAX_ID:
            return None
        return int(option)


class RegionalFigures(Payload, prefix="rg"):
    """A regional career centre asks for the figures across schools."""

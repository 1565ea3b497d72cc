"""A date and time typed by a coordinator ("25.11 10:00-12:00", "ертең 10:00"…) and the
mini-task's steps typed as a list: read into values, or what is wrong with them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from locales import _

Answers = dict[str, dict[str, Any]]


# --- reading a typed date and time ----------------------------------------------------------

_DATE = (r"(?:(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})"
         r"|(?P<d>\d{1,2})[./](?P<m>\d{1,2})(?:[./](?P<y>\d{4}|\d{2}))?)")
_TIME = (r"(?P<h1>\d{1,2})[:.](?P<n1>\d{2})\s*(?:-|–|—|−|\.\.|до|to)\s*"
         r"(?P<h2>\d{1,2})[:.](?P<n2>\d{2})")
_WHEN = re.compile(rf"^\s*{_DATE}(?:\s*,\s*|\s+){_TIME}\s*$", re.IGNORECASE)

UNREADABLE = _("I could not read a date and a time here. Please write them like this: "
               "{example}")
NO_SUCH_DATE = _("There is no such date: {date}. Please check the day and the month, like "
                 "this: {example}")
NO_SUCH_TIME = _("There is no such time of day: {time}. Please write hours and minutes, like "
                 "this: {example}")
END_FIRST = _("The end ({end}) must be later than the start ({start}). Please write the time "
              "again, like this: {example}")
PAST = _("This moment has already passed ({when}). Please give a date and time in the "
         "future, like this: {example}")
SAME_TIME = _("This is the trial's time already. Please give the new date and time, like "
              "this: {example}")
TOO_MANY_STEPS = _("At most three steps fit here; you wrote {count}. Please join some of them "
                   "and send the list again.")


@dataclass(frozen=True)
class When:
    starts: datetime
    ends: datetime


def parse_when(text: str, now: datetime, zone: ZoneInfo) -> When | tuple[str, dict[str, str]]:
    """"27.11.2026 10:00-12:00" (also "27.11 10.00–12.00", "2026-11-27 10:00-12:00") in the
    school's zone; a date without a year is the next such day. Either the moments, or the
    problem's msgid and its parameters."""
    m = _WHEN.match(text)
    if m is None:
        return UNREADABLE, {}
    today = now.astimezone(zone).date()
    if m["iy"]:
        year: int | None = int(m["iy"])
        month, day_of_month = int(m["im"]), int(m["id"])
    else:
        year = (int(m["y"]) + (2000 if len(m["y"]) == 2 else 0)) if m["y"] else None
        month, day_of_month = int(m["m"]), int(m["d"])
    try:
        day = date(year or today.year, month, day_of_month)
        if year is None and day < today:
            day = date(today.year + 1, month, day_of_month)
    except ValueError:
        return NO_SUCH_DATE, {"date": f"{day_of_month:02d}.{month:02d}"
                              + (f".{year}" if year else "")}
    clocks = []
    for h, n in (("h1", "n1"), ("h2", "n2")):
        try:
            clocks.append(time(int(m[h]), int(m[n])))
        except ValueError:
            return NO_SUCH_TIME, {"time": f"{m[h]}:{m[n]}"}
    starts = datetime.combine(day, clocks[0], zone).astimezone(UTC)
    ends = datetime.combine(day, clocks[1], zone).astimezone(UTC)
    if ends <= starts:
        return END_FIRST, {"start": clocks[0].strftime("%H:%M"), "end": clocks[1].strftime("%H:%M")}
    if starts <= now:
        return PAST, {"when": f"{day:%d.%m.%Y} {clocks[0]:%H:%M}"}
    return When(starts, ends)


def example_when(now: datetime, zone: ZoneInfo) -> str:
    """A week from today, 10:00–12:00, written the way the coordinator is asked to."""
    return f"{now.astimezone(zone).date() + timedelta(days=7):%d.%m.%Y} 10:00-12:00"


_BULLET = re.compile(r"^\s*(?:\d{1,2}\s*[.)]|[-•*–])\s*")


def parse_steps(text: str) -> list[str]:
    """The mini-task's steps: one a line (or separated by ";" on a single line), without
    the numbers or bullets the coordinator may have typed."""
    lines = text.splitlines()
    if len(lines) == 1 and ";" in text:
        lines = text.split(";")
    return [s for s in (_BULLET.sub("", line).strip() for line in lines) if s]


def stored_when(answers: Answers) -> When | None:
    value = answers.get("when", {})
    if "starts" not in value:
        return None
    return When(datetime.fromisoformat(value["starts"]), datetime.fromisoformat(value["ends"]))

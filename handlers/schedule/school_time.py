"""A school's clock: its time zone, its quiet hours and its working days.

Messages to pupils and parents are never sent in quiet hours (default 21:00–08:00, local
school time): whatever falls due then waits for the morning. Digests and reviews go out on
the school's working days only (trial-cycle.md, "Timeline of one trial").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from handlers.context import Config
from storage.models import School

# The audiences that quiet hours protect.
QUIET_AUDIENCES = frozenset({"pupil", "parent"})


def parse_hhmm(value: str) -> time:
    hours, minutes = value.strip().split(":")
    return time(int(hours), int(minutes))


def parse_quarter_starts(value: str) -> tuple[tuple[int, int], ...]:
    """``01-01,04-01,07-01,10-01`` → ((1, 1), (4, 1), …), sorted; month-day pairs."""
    starts: list[tuple[int, int]] = []
    for item in value.split(","):
        month, _sep, day = item.strip().partition("-")
        try:
            date(2023, int(month), int(day))  # not a leap year: the day exists every year
        except ValueError as exc:
            raise ValueError(f"bad quarter start {item.strip()!r}: use MM-DD") from exc
        starts.append((int(month), int(day)))
    if not starts:
        raise ValueError("at least one quarter start is needed")
    return tuple(sorted(set(starts)))


def quarter_of(day: date, starts: tuple[tuple[int, int], ...]) -> tuple[date, date]:
    """The quarter ``day`` falls in: (its first day, the first day of the next one)."""
    candidates = sorted(date(y, m, d) for y in (day.year - 1, day.year, day.year + 1)
                        for m, d in starts)
    begin = max(c for c in candidates if c <= day)
    return begin, min(c for c in candidates if c > begin)


def previous_quarter(begin: date, starts: tuple[tuple[int, int], ...]) -> date:
    """The first day of the quarter before the one starting on ``begin``."""
    return quarter_of(begin - timedelta(days=1), starts)[0]


@dataclass(frozen=True)
class SchoolTime:
    zone: ZoneInfo
    quiet_start: time
    quiet_end: time
    working_days: frozenset[int]  # ISO weekdays, 1 = Monday

    @classmethod
    def of(cls, school: School | None, config: Config) -> SchoolTime:
        """The school's own settings; the deployment's defaults where it has none."""
        start, _sep, end = ((school.quiet_hours if school else None)
                            or config.quiet_hours).partition("-")
        return cls(
            zone=ZoneInfo((school.timezone if school else None) or config.timezone),
            quiet_start=parse_hhmm(start),
            quiet_end=parse_hhmm(end),
            working_days=frozenset(
                int(d) for d in ((school.working_days if school else None) or "12345")
                if d.isdigit() and 1 <= int(d) <= 7),
        )

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def today(self, moment: datetime) -> date:
        return self.local(moment).date()

    def at(self, day: date, clock: time) -> datetime:
        """``clock`` on ``day`` in the school's zone, as an aware UTC moment."""
        return datetime.combine(day, clock, self.zone).astimezone(UTC)

    # --- quiet hours -------------------------------------------------------------------

    def is_quiet(self, moment: datetime) -> bool:
        now = self.local(moment).time()
        start, end = self.quiet_start, self.quiet_end
        if start == end:
            return False
        if start < end:  # e.g. 13:00–15:00, within one day
            return start <= now < end
        return now >= start or now < end  # across midnight, e.g. 21:00–08:00

    def quiet_until(self, moment: datetime) -> datetime:
        """When quiet hours around ``moment`` end; ``moment`` itself if it is not quiet."""
        if not self.is_quiet(moment):
            return moment
        local = self.local(moment)
        day = local.date()
        if self.quiet_start > self.quiet_end and local.time() >= self.quiet_start:
            day += timedelta(days=1)  # the evening part: quiet ends tomorrow morning
        return self.at(day, self.quiet_end)

    def not_before(self, moment: datetime, audience: str) -> datetime | None:
        """The earliest send time for a message due at ``moment`` to ``audience``."""
        if audience in QUIET_AUDIENCES and self.is_quiet(moment):
            return self.quiet_until(moment)
        return None

    # --- working days --------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        return day.isoweekday() in self.working_days

    def first_working_day(self, day: date) -> date:
        """``day`` itself if the school works then, else the next day it does."""
        if not self.working_days:
            return day
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def previous_working_day(self, day: date) -> date:
        """The last working day before ``day``."""
        day -= timedelta(days=1)
        if not self.working_days:
            return day
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

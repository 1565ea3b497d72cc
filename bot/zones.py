"""Time-zone data: the ``tzdata`` package installed with Synaq, not the system's files.

Kazakhstan moved to a single UTC+5 on 1 March 2024 (IANA tzdata 2024a). A server whose zone
files are older puts ``Asia/Almaty`` at +06, and every reminder, quiet hour and digest an
hour off. The ``tzdata`` package is a dependency and upgraded with Synaq, so it is preferred;
whatever is in use is checked before the service starts.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta

# A zone and moment the data must get right: Almaty, after Kazakhstan's change to UTC+5.
PROBE_ZONE = "Asia/Almaty"
PROBE_AT = datetime(2024, 6, 1, tzinfo=UTC)
PROBE_OFFSET = timedelta(hours=5)


class ZoneDataTooOld(ValueError):
    pass


def use_shipped_zone_data() -> str:
    """Read zones from the ``tzdata`` package when it is installed (it is a dependency),
    whatever the system has; returns what is in use, for messages."""
    try:
        import tzdata  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        return "the system's zone files (" + (", ".join(zoneinfo.TZPATH) or "none") + ")"
    if zoneinfo.TZPATH:
        zoneinfo.reset_tzpath(to=[])  # no search path: zoneinfo falls back to tzdata
        zoneinfo.ZoneInfo.clear_cache()
    return f"the tzdata package {tzdata.IANA_VERSION}"


def check_zone_data(timezone: str) -> None:
    """Refuse zone data older than Kazakhstan's change, and an unknown ``timezone``."""
    source = use_shipped_zone_data()
    try:
        zoneinfo.ZoneInfo(timezone)
        offset = PROBE_AT.astimezone(zoneinfo.ZoneInfo(PROBE_ZONE)).utcoffset()
    except zoneinfo.ZoneInfoNotFoundError as exc:
        raise ZoneDataTooOld(f"the time zone {exc} is not in {source}; install or upgrade "
                             "the tzdata package (pip install -U tzdata)") from None
    if offset != PROBE_OFFSET:
        raise ZoneDataTooOld(
            f"the time-zone data in use ({source}) is too old: it puts {PROBE_ZONE} at UTC"
            f"{_hours(offset)} after 1 March 2024, when Kazakhstan moved to UTC+5, so every "
            "reminder and quiet hour would be an hour off. Upgrade it (pip install -U tzdata; "
            "IANA 2024a or later) and start again.")


def _hours(offset: timedelta | None) -> str:
    hours = (offset or timedelta()).total_seconds() / 3600
    return f"{hours:+g}"

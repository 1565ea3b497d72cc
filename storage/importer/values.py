"""Reading one cell: text, phone, date, time, yes/no, language, grade and closed choices.

Each reader takes what the spreadsheet holds (a string from CSV; a string, number, date or
time from XLSX) and returns the value or raises :class:`Bad` with a msgid saying what is
wrong and how to write it, in words a school secretary recognises.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any

from locales import _


class Bad(ValueError):
    """A cell that cannot be read: ``msgid`` and its parameters say why."""

    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params


def text(raw: Any) -> str | None:
    """The cell as trimmed text; None when empty. Whole numbers lose Excel's ".0"."""
    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, datetime | date | time):
        return raw.isoformat()
    value = re.sub(r"[ \t]+", " ", str(raw)).strip()
    return value or None


def key(value: str) -> str:
    """How names are compared: case, repeated spaces and ё/е do not matter."""
    return re.sub(r"\s+", " ", value).strip().casefold().replace("ё", "е")


def limited(value: str, limit: int) -> str:
    if len(value) > limit:
        raise Bad(_("Too long: at most {limit} characters."), limit=limit)
    return value


_DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y", "%d.%m.%y")


def day(raw: Any) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    value = text(raw) or ""
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise Bad(_("“{value}” is not a date: write it as 27.11.2026 or 2026-11-27."), value=value)


_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})(?::\d{2})?$")


def clock(raw: Any) -> time:
    if isinstance(raw, datetime):  # Excel keeps a time as a moment on 30.12.1899
        return raw.time().replace(second=0, microsecond=0)
    if isinstance(raw, time):
        return raw.replace(second=0, microsecond=0)
    if isinstance(raw, float | int) and 0 <= raw < 1:  # a fraction of a day
        minutes = round(float(raw) * 24 * 60)
        return (datetime.min + timedelta(minutes=minutes)).time()
    value = text(raw) or ""
    m = _TIME.match(value)
    if m and int(m.group(1)) < 24 and int(m.group(2)) < 60:
        return time(int(m.group(1)), int(m.group(2)))
    raise Bad(_("“{value}” is not a time: write it as 10:00."), value=value)


def phone(raw: Any) -> str:
    """A phone number as +7XXXXXXXXXX (Kazakhstan); other countries kept as +digits."""
    value = text(raw) or ""
    digits = re.sub(r"\D", "", value)
    if value.startswith("+") and not digits.startswith("7") and 8 <= len(digits) <= 15:
        return "+" + digits
    if len(digits) == 11 and digits[0] in "78":
        return "+7" + digits[1:]
    if len(digits) == 10 and digits[0] == "7":
        return "+7" + digits
    raise Bad(_("“{value}” is not a phone number: write it as +7 701 234 5678."), value=value)


def phone_in(ref: str) -> str | None:
    """The phone a reference is, when it is one, however it is spaced, dashed or bracketed
    (``+7 702 111 22 34``, ``8-702-111-22-34``, ``+7(702)1112234``); None for a name."""
    if re.search(r"[^\d\s+\-().]", ref):
        return None
    try:
        return phone(ref)
    except Bad:
        return None


_YES = {"yes", "y", "true", "1", "+", "x", "иә", "ия", "иа", "да", "д"}
_NO = {"no", "n", "false", "0", "-", "жоқ", "жок", "нет", "н"}


def yes_no(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    value = text(raw) or ""
    if value.casefold() in _YES:
        return True
    if value.casefold() in _NO:
        return False
    raise Bad(_("“{value}” is not yes or no."), value=value)


_LOCALES = {
    "kk": "kk", "kz": "kk", "қаз": "kk", "каз": "kk", "қазақша": "kk", "казахский": "kk",
    "kazakh": "kk", "ru": "ru", "рус": "ru", "орыс": "ru", "орысша": "ru", "русский": "ru",
    "russian": "ru", "en": "en", "eng": "en", "ағылшын": "en", "английский": "en",
    "english": "en",
}


def locale(raw: Any) -> str:
    value = text(raw) or ""
    found = _LOCALES.get(value.casefold())
    if found is None:
        raise Bad(_("“{value}” is not a language: write kk, ru or en."), value=value)
    return found


def grade(raw: Any) -> int:
    value = text(raw) or ""
    if value.isdigit() and 1 <= int(value) <= 11:
        return int(value)
    raise Bad(_("“{value}” is not a grade: write a number from 1 to 11."), value=value)


def number(raw: Any) -> int:
    value = (text(raw) or "").lstrip("#№ ")
    if value.isdigit() and int(value) > 0:
        return int(value)
    raise Bad(_("“{value}” is not a number: write it as the journal shows it, e.g. 12."),
              value=text(raw) or "")


def bin_number(raw: Any) -> str:
    value = re.sub(r"\s", "", text(raw) or "")
    if not (value.isdigit() and len(value) == 12):
        raise Bad(_("A BIN has 12 digits; “{value}” does not."), value=value)
    return value


def choice(raw: Any, options: dict[str, str]) -> str:
    """One of a closed vocabulary; ``options`` maps every accepted spelling to the value."""
    value = (text(raw) or "").replace("–", "-").replace("—", "-")
    found = options.get(value.casefold()) or options.get(value.casefold().replace(" ", "_"))
    if found is None:
        shown = ", ".join(sorted(set(options.values())))
        raise Bad(_("“{value}” is not one of: {choices}."), value=value, choices=shown)
    return found


def items(raw: Any) -> list[str]:
    """A list in one cell, separated by semicolons, commas or line breaks."""
    value = str(raw) if raw is not None else ""
    return [part.strip() for part in re.split(r"[;,\n]", value) if part.strip()]

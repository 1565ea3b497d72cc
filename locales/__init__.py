"""Every word a person reads: gettext catalogs for kk (default), ru and en, rendered with Babel.

Code marks English msgids with ``_("…")`` (a no-op marker, so flows can be defined at import
time) and renders them later in the reader's own locale with :func:`translator`. Catalogs are
plain ``.po`` files, one or more per locale (``locales/<locale>/LC_MESSAGES/*.po``, merged);
they are compiled in memory with Babel when first used, so they can never be stale.
``python -m locales check`` lists what the catalogs lack.
"""

from __future__ import annotations

import datetime as dt
import html
import io
from datetime import tzinfo
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES: tuple[str, ...] = ("kk", "ru", "en")
DEFAULT_LOCALE = "kk"
DOMAIN_DIR = Path(__file__).parent
LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}


def _(msgid: str) -> str:
    """Mark ``msgid`` for extraction; the text is translated when it is shown."""
    return msgid


N_ = _


def P_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a plural pair for extraction."""
    return singular, plural


class Safe(str):
    """Text already safe for an HTML message (built from escaped parts); not escaped again."""


def escape(value: Any) -> str:
    """HTML-escape a value unless it is :class:`Safe` or a number."""
    if isinstance(value, Safe):
        return value
    if isinstance(value, int | float):
        return str(value)
    return html.escape(str(value), quote=False)


def normalise_locale(value: str | None) -> str:
    """Map a stored or client-reported language ("ru-RU", "kk", None) to one of LOCALES."""
    if not value:
        return DEFAULT_LOCALE
    code = value.replace("_", "-").split("-")[0].lower()
    return code if code in LOCALES else DEFAULT_LOCALE


@cache
def _catalog(locale: str) -> Translations:
    merged = Translations()
    for po in sorted((DOMAIN_DIR / locale / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        merged.merge(Translations(buffer))
    return merged


class Translator:
    """Renders msgids in one locale. Parameters are HTML-escaped unless marked :class:`Safe`."""

    def __init__(self, locale: str) -> None:
        self.locale = normalise_locale(locale)
        self._tr = _catalog(self.locale)

    def gettext(self, msgid: str) -> str:
        return self._tr.gettext(msgid)

    def __call__(self, msgid: str, **params: Any) -> Safe:
        text = self._tr.gettext(msgid)
        if params:
            text = text.format(**{k: escape(v) for k, v in params.items()})
        return Safe(text)

    def plain(self, msgid: str, **params: Any) -> str:
        """For plain-text places (button labels): parameters are not HTML-escaped."""
        text = self._tr.gettext(msgid)
        return text.format(**params) if params else text

    def plural(self, pair: tuple[str, str], n: int, **params: Any) -> Safe:
        text = self._tr.ngettext(pair[0], pair[1], n)
        return Safe(text.format(n=n, **{k: escape(v) for k, v in params.items()}))

    def datetime(self, value: dt.datetime, tz: str | tzinfo, fmt: str = "d MMMM, HH:mm") -> str:
        return format_datetime(value, fmt, tzinfo=_zone(tz), locale=self.locale)

    def date(self, value: dt.date | dt.datetime, tz: str | tzinfo | None = None,
             fmt: str = "d MMMM, EEEE") -> str:
        if isinstance(value, dt.datetime) and tz is not None:
            value = value.astimezone(_zone(tz))
        return format_date(value, fmt, locale=self.locale)

    def time(self, value: dt.datetime, tz: str | tzinfo, fmt: str = "HH:mm") -> str:
        return format_time(value, fmt, tzinfo=_zone(tz), locale=self.locale)


def _zone(tz: str | tzinfo) -> tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


@cache
def translator(locale: str | None) -> Translator:
    return Translator(normalise_locale(locale))

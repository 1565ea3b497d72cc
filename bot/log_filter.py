"""Logs without people's words or numbers.

Synaq's own log lines name ids and purposes, never what someone wrote. What could still carry
a message text or a phone number into a log is an exception (its message, a library's repr of
an update) or a library's own logging (aiohttp's access log has media-link tokens in its
paths; twilio logs its requests at INFO). The :class:`Redactor` installed on every handler by
:func:`install` masks, in the message, its arguments and the formatted traceback:

- phone numbers and chat ids: any run of 9 or more digits (spaces, dashes, brackets and a
  leading "+" allowed in between) keeps only its last two digits;
- the values of fields that hold what a person wrote or who they are (``text=``,
  ``caption=``, ``first_name=``, ``Body=``, ``input_value=``, JSON ``"text": …`` …);
- any stretch of Kazakh or Russian words (people write in kk and ru; Synaq's own log
  messages are English), and quoted strings longer than a short identifier;
- long tokens (signed media links, secrets in a URL).

SQL errors carry no parameters (``hide_parameters`` on the engine, storage/db.py), so a
failed insert cannot print a name either. The limit: an English sentence a person typed,
unquoted, in an exception message of a library would pass; Synaq's code never builds such
messages.
"""

from __future__ import annotations

import logging
import re
from typing import Any

HIDDEN = "<hidden>"

_DIGITS = re.compile(r"(?<![\w.])\+?\d(?:[\s\-()]?\d){8,}(?![\w])")
_FIELDS = re.compile(
    r"(?P<name>\b(?:text|caption|first_name|last_name|username|phone_number|full_name|"
    r"Body|From|To|input_value|address|medical_note|personal_line)\b)"
    r"(?P<sep>\s*[=:]\s*)"
    r"(?P<value>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|\{[^{}]*\}|[^\s,;&)\]}]+)")
_JSON_FIELDS = re.compile(
    r"(?P<name>\"(?:text|caption|first_name|last_name|username|phone_number|Body|"
    r"address)\")(?P<sep>\s*:\s*)(?P<value>\"(?:[^\"\\]|\\.)*\")")
_CYRILLIC = re.compile(
    r"[^\s\"'<>=:,;()\[\]{}]*[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі][^\"'<>=\n]*")
_QUOTED = re.compile(r"'[^'\n]{25,}'|\"[^\"\n]{25,}\"")
_TOKEN = re.compile(r"[A-Za-z0-9_\-]{32,}(?:\.[A-Za-z0-9_\-]{16,})?")


_DATE = re.compile(r"^\d{4}-\d\d-\d\d")


def _digits(match: re.Match[str]) -> str:
    if _DATE.match(match.group(0)):  # 2026-11-23 10:00 is a moment, not a number
        return match.group(0)
    digits = re.sub(r"\D", "", match.group(0))
    return "*" * (len(digits) - 2) + digits[-2:]


def redact(text: str) -> str:
    """``text`` with phone numbers, personal fields, kk/ru words and tokens masked."""
    text = _FIELDS.sub(lambda m: f"{m['name']}{m['sep']}{HIDDEN}", text)
    text = _JSON_FIELDS.sub(lambda m: f"{m['name']}{m['sep']}\"{HIDDEN}\"", text)
    text = _CYRILLIC.sub(HIDDEN, text)
    text = _QUOTED.sub(HIDDEN, text)
    text = _TOKEN.sub("<token>", text)
    return _DIGITS.sub(_digits, text)


def _arg(value: Any) -> Any:
    if isinstance(value, int | float | bool) or value is None:
        return value
    return redact(str(value))


class Redactor(logging.Filter):
    """Rewrites each record before any handler formats it."""

    def __init__(self) -> None:
        super().__init__()
        self._format = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            try:
                record.msg = redact(str(record.msg) % tuple(_arg(a) for a in args))
            except (TypeError, ValueError):
                record.msg = redact(f"{record.msg} {args}")
            record.args = None
        else:
            record.msg = redact(str(record.msg))
        if record.exc_info and not record.exc_text:
            record.exc_text = self._format.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


# Libraries whose INFO lines are noise on a school server or carry request details. APScheduler
# says "Running job … executed successfully" twice a minute (and in the middle of a console
# conversation); a failed or missed job is still a warning or an error.
QUIET = {"aiogram.event": logging.WARNING, "alembic": logging.WARNING,
         "apscheduler": logging.WARNING,
         "twilio.http_client": logging.WARNING, "twilio.async_http_client": logging.WARNING}


def install(root: logging.Logger | None = None) -> Redactor:
    """Put the redactor on every handler of the root logger (``logging.basicConfig`` first)."""
    root = root or logging.getLogger()
    redactor = Redactor()
    for handler in root.handlers:
        if not any(isinstance(f, Redactor) for f in handler.filters):
            handler.addFilter(redactor)
    for name, level in QUIET.items():
        logging.getLogger(name).setLevel(level)
    return redactor

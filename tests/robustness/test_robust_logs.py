"""Logs never hold message texts or phone numbers: an exception that carries a person's
words and number through the service's error path, a library's repr of an update, an SQL
error, and the access log's media tokens all come out masked (bot/log_filter.py)."""

from __future__ import annotations

import io
import logging

import pytest
from sqlalchemy import text

import handlers.conversation
from bot.log_filter import install, redact

from ..demo_school import PUPILS

PHONE = "+7 701 123 45 67"
WORDS = "Менің құпия жауабым"


@pytest.fixture
def logs():
    """Every record of the process, through the redactor, into a string."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    install(root)
    yield buffer
    root.removeHandler(handler)


async def test_an_exception_with_a_persons_words_is_logged_masked(h, demo, logs, monkeypatch):
    pupil = await demo.join(PUPILS[0], lang="en")
    await pupil.taps("Before the trial")

    async def broken(ctx, run, given):
        raise ValueError(f"could not store {given.text!r} from {PHONE} ({given})")

    monkeypatch.setattr(handlers.conversation, "answer", broken)
    reply = await pupil.says(f"{WORDS} {PHONE}")
    assert "Sorry, something went wrong on our side" in reply[0].text
    out = logs.getvalue()
    assert "handling an inbound telegram event failed" in out and "ValueError" in out
    assert "Traceback" in out  # the stack stays, for whoever fixes the bug
    for secret in (WORDS, "құпия", PHONE, "701 123 45 67", "7011234567"):
        assert secret not in out, secret
    assert "*********67" in out


async def test_an_sql_error_does_not_print_its_values(h, logs):
    async with h.db() as s:
        with pytest.raises(Exception) as failed:  # noqa: PT011 - any driver's error
            await s.execute(text("INSERT INTO person (id, full_name) VALUES (:id, :name)"),
                            [{"id": 1, "name": "Аружан"}, {"id": 1, "name": "Аружан"}])
    assert "Аружан" not in str(failed.value)
    logging.getLogger("bot.service").error("failed: %s", failed.value)
    assert "Аружан" not in logs.getvalue()


def test_the_redactor_masks_what_libraries_print():
    update = ("Update(update_id=5, message=Message(text='Сәлем, мен Аружан', chat=Chat("
              "id=5000012345, first_name='Аружан'), contact=Contact(phone_number='77011234567')))")
    masked = redact(update)
    for secret in ("Сәлем", "Аружан", "5000012345", "77011234567"):
        assert secret not in masked
    assert "update_id=5" in masked
    assert redact('{"text": "my secret plans", "chat": 1}') == '{"text": "<hidden>", "chat": 1}'
    assert redact("Body=hello+there&From=whatsapp%3A%2B77011234567") .count("<hidden>") == 2
    token = "eyJrIjoiMjAyNi8xMS9hYmNkZWYxMjM0NTY3ODkwYWJjZGVmLmpwZyJ9.c2lnbmF0dXJlc2lnbmF0dXJl"
    assert token not in redact(f'"GET /whatsapp/media/{token} HTTP/1.1" 200')
    # What Synaq itself logs stays readable.
    assert redact("due job digest failed at 2026-11-23 04:00:00") == \
        "due job digest failed at 2026-11-23 04:00:00"
    assert redact("sending outbox row 12 failed") == "sending outbox row 12 failed"

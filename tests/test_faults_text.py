"""Invisible and direction-changing characters typed into the chat never reach the database
(what is dropped and kept: locales/typed_text.py)."""

from __future__ import annotations

from bench import seed

from .test_polling import STEPS, answers_by_chat, text_update

HOSTILE = ("\u202eevil\u200b na\u200dme\ufeff\x7f\x85 \u2066x\u2069\x00 "
           "👨\u200d👩\u200d👧 ❤\ufe0f\u200d🔥 line\u2028two e\u0301")
CLEAN = "evil name x 👨\u200d👩\u200d👧 ❤\ufe0f\u200d🔥 line\ntwo é"


async def test_an_answer_is_stored_without_invisible_characters_but_with_its_emoji(h):
    users = await seed.users(h.sessions, 1, 1, h.now)
    [chat] = users.chats
    await h.feed_raw(text_update(h.fake, chat, HOSTILE))
    stored = (await answers_by_chat(h, [chat]))[chat][STEPS[0]]
    assert stored == CLEAN, [hex(ord(c)) for c in stored if c not in CLEAN]

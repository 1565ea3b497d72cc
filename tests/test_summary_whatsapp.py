"""A parent on WhatsApp gets the summary a day after she last wrote: first the approved
"summary" template, then, once she opens it, the summary itself with the photo and the PDF
as media links and the next-step options she can pick from the list."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from storage.models import Outbox, Summary

from .demo_school import PARENTS, PUPILS, jpeg
from .whatsapp_harness import WhatsApp, whatsapp

SAULE = PARENTS[0]
ARUZHAN = PUPILS[0]
KK_SUMMARY = "HX" + "d" * 32
KK_NOTICE = "HX" + "e" * 32
TEMPLATES = f"""
[summary]
purposes = ["summary", "summary.*"]
kk = "{KK_SUMMARY}"

[notice]
purposes = ["*"]
kk = "{KK_NOTICE}"
"""


@pytest.fixture
async def wa(h, tmp_path: Path) -> AsyncIterator[WhatsApp]:
    async with whatsapp(h, tmp_path, templates=TEMPLATES) as wa:
        wa.fake.approve(KK_SUMMARY, "Сәлеметсіз бе, {{1}}! Кәсіби сынақтың қорытындысы дайын: "
                                    "{{2}} Толық нұсқасын оқу үшін «Ашу» түймесін басыңыз.",
                        [("Ашу", "m")])
        wa.fake.approve(KK_NOTICE, "Сәлеметсіз бе, {{1}}! {{2}}", [("Ашу", "m")])
        yield wa


async def test_the_summary_reaches_whatsapp_as_a_template_then_in_full(h, demo, wa):
    saule = wa.user()
    await saule.says(f"JOIN {await demo.code(SAULE)}")
    await saule.taps("Қазақша")
    await demo.record_consent(ARUZHAN)  # "portfolio only"
    photo = jpeg()
    _none, _aruzhan, _mentor = await demo.held(tier=None, photo=photo)
    saule.new()

    await h.tick()  # more than 24 hours after her last message
    # One "summary" template announces the message; its other parts (the rest of the text,
    # the photo, the PDF) wait behind it instead of a notice each.
    notices = saule.new()
    assert len(notices) == 1
    assert notices[0].kind == "template" and notices[0].fields["ContentSid"] == KK_SUMMARY
    assert notices[0].variables["1"] == SAULE
    assert notices[0].variables["2"].startswith("*Ата-аналарға арналған қорытынды: Аружан")
    async with h.db() as s:
        rows = list(await s.scalars(select(Outbox).where(Outbox.purpose == "summary")
                                    .order_by(Outbox.id)))
    assert rows and all(r.trial_id == demo.trial_id for r in rows)

    received = await saule.taps("Ашу")
    text = "\n".join(m.text for m in received)
    assert "5. Менің балам не істеді" in text and "<b>" not in text
    assert "Аружан: шағын міндет орындалды." in text
    media = [url for m in received for url in m.media_urls]
    assert len(media) == 2  # the photo and the PDF, as signed links
    files = [await (await wa.client.get(urlsplit(url).path)).read() for url in media]
    assert photo in files and any(f.startswith(b"%PDF") for f in files)
    choices = next(m for m in received if m.buttons)
    assert choices.kind == "list" and "🎓 Колледж немесе ЖОО" in choices.labels
    await saule.taps("Колледж немесе ЖОО")
    assert "Таңдауыңыз сақталды" in saule.last.text
    async with h.db() as s:
        [summary] = list(await s.scalars(select(Summary)))
    assert summary.family_choice == "college"

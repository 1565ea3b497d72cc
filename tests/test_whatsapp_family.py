"""A family who lives in WhatsApp: the parent reads the briefing and gives consent with
buttons and numbers, the pupil reflects and sends a photo of the artefact, and the mentor on
Telegram sees the same consent on the short card."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from storage.models import Answer, Consent, FlowRun, Media

from .demo_school import MENTOR, PARENTS, PUPILS
from .whatsapp_harness import WhatsApp, whatsapp

SAULE = PARENTS[0]
ARUZHAN = PUPILS[0]
NOTE = "Шаңға аллергиясы бар, ингалятор сөмкеде"
PHOTO = b"\xff\xd8\xff\xe0 circuit on the bench" + bytes(range(256)) * 4


KK_NOTICE = "HX" + "c" * 32
TEMPLATES = f"""
[notice]
purposes = ["*"]
kk = "{KK_NOTICE}"
"""


@pytest.fixture
async def wa(h, tmp_path: Path) -> AsyncIterator[WhatsApp]:
    async with whatsapp(h, tmp_path, templates=TEMPLATES) as wa:
        wa.fake.approve(KK_NOTICE, "Сәлеметсіз бе, {{1}}! Synaq-тан жаңа хабарлама: {{2}} Ашу "
                                   "үшін «Ашу» түймесін басыңыз.", [("Ашу", "m")])
        yield wa


async def test_consent_over_whatsapp_reaches_the_mentor_card_on_telegram(h, demo, wa):
    saule = wa.user()
    await saule.says(f"JOIN {await demo.code(SAULE)}")
    await saule.taps("Қазақша")
    saule.new()

    # The consent request with the briefing goes to the channel she uses: WhatsApp.
    await demo.remind("consent.request")
    briefing = saule.new()
    text = "\n".join(m.text for m in briefing)
    assert "Кәсіби сынақ: Электромонтер" in text and "жеке куәлік қажет" in text
    assert all(len(m.text) <= 1600 for m in briefing) and "<b>" not in text
    await saule.taps("Жауап беру: келісім")
    question = saule.last
    assert "Келісесіз бе: Аружан Серікқызы" in question.text
    assert question.kind == "quick_reply"
    await saule.taps("Келісемін")
    tiers = saule.last
    # "Жариялауға рұқсат етілген" is longer than a list row: a numbered list.
    assert tiers.kind == "text" and "2. Тек портфолио үшін" in tiers.text
    await saule.says("2")
    assert "Медициналық" in saule.last.text or "медициналық" in saule.last.text
    await saule.says(NOTE)
    safety = saule.last
    assert "Телефонды тек үзілісте" in safety.text
    number = next(line.split(".")[0] for line in safety.text.splitlines()
                  if "Қауіпсіздік ережелерімен таныстым" in line)
    await saule.says(number)
    assert "Шешіміңіз тіркелді" in saule.last.text

    async with h.db() as s:
        [consent] = await s.scalars(select(Consent))
    assert (consent.pupil_id, consent.parent_id) == (demo.id(ARUZHAN), demo.id(SAULE))
    assert (consent.participation, consent.photo_tier, consent.medical_note) == (
        "agree", "portfolio", NOTE)
    assert consent.safety_read and consent.channel == "whatsapp"

    # The mentor, on Telegram, on the morning of the trial.
    mentor = await demo.join(MENTOR, lang="kk")
    trial = await demo.trial()
    zone = ZoneInfo("Asia/Almaty")
    h.clock.set(datetime.combine(trial.starts_at.astimezone(zone).date(), time(8, 30), zone))
    await demo.remind("card.short")
    card = mentor.last.text
    assert f"{ARUZHAN} — ⚕️" in card and NOTE in card
    assert SAULE not in card


async def test_the_pupil_reflects_and_sends_the_artefact_photo_over_whatsapp(h, demo, wa):
    await demo.consent(SAULE, tier="Publication allowed")  # her parent, on Telegram
    trial = await demo.trial()
    aruzhan = wa.user()
    await aruzhan.says(f"JOIN {await demo.code(ARUZHAN)}")
    await aruzhan.taps("English")
    h.clock.set(trial.ends_at + timedelta(minutes=10))
    aruzhan.new()
    # 27 hours after she last wrote: the invitation can only go as a template…
    await demo.remind("pupil.after")
    [notice] = aruzhan.new()
    assert notice.kind == "template" and notice.fields["ContentSid"] == KK_NOTICE
    assert notice.variables["1"] == ARUZHAN and "Thank you for taking part" in notice.variables["2"]
    # …and the invitation itself, with its button, follows when she opens it.
    await aruzhan.taps("Ашу")
    await aruzhan.taps("Start")
    for answer in ("I wired a circuit", "The lamp lit", "Stripping wire", "Care",
                   "I like exact work", "Yes"):
        await aruzhan.says(answer)
    await aruzhan.taps("Yes")  # portfolio
    await aruzhan.taps("Yes")  # photos
    rating = aruzhan.last
    # Three scores and "« Back": four short choices make a list picker.
    assert rating.kind == "list" and rating.labels == ["1", "2", "3", "« Back"]
    assert rating.list_button == "Choose"
    for score in ("3", "2", "2", "1", "3"):
        await aruzhan.taps(score)
    assert "Your artefact" in aruzhan.last.text
    [received] = await aruzhan.sends_media(PHOTO, "image/jpeg")
    assert "Received" in received.text
    await aruzhan.taps("Done")
    assert "Your reflection is saved" in aruzhan.last.text

    async with h.db() as s:
        [photo] = await s.scalars(select(Media))
        run = await s.scalar(select(FlowRun).where(FlowRun.flow_id == "pupil.after"))
        artefact = await s.scalar(select(Answer).where(Answer.run_id == run.id,
                                                       Answer.step_id == "artefact"))
    assert (photo.kind, photo.tier, photo.pupil_id) == ("photo", "portfolio", demo.id(ARUZHAN))
    assert photo.size == len(PHOTO) and artefact.value == {"media": [photo.id]}
    assert wa.fake.unauthorised == 0 and len(wa.fake.media_fetches) == 1

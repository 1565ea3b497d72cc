"""Delivery over WhatsApp: the 24-hour window and templates, Twilio's errors, status callbacks,
and our files as signed links."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from handlers.context import Context
from handlers.delivery import enqueue
from handlers.events import Attachment, Button, Outbound
from handlers.features import WIRING
from storage.files import MediaStore
from storage.models import Identity, Outbox, Person, WhatsAppMessage

from .demo_school import PARENTS
from .whatsapp_harness import WaUser, WhatsApp, whatsapp

KK_REMINDER = "HX" + "a" * 32
RU_REMINDER = "HX" + "b" * 32
TEMPLATES = f"""
[reminder]
purposes = ["consent.request", "consent.reminder", "mentor.*"]
kk = "{KK_REMINDER}"
ru = "{RU_REMINDER}"
"""
RU_BODY = ("Здравствуйте, {{1}}! Напоминание от Synaq: {{2}} Чтобы открыть сообщение, "
           "нажмите «Открыть».")
KK_BODY = ("Сәлеметсіз бе, {{1}}! Synaq еске салады: {{2}} Хабарламаны ашу үшін «Ашу» "
           "түймесін басыңыз.")


@pytest.fixture
async def wa(h, tmp_path: Path) -> AsyncIterator[WhatsApp]:
    async with whatsapp(h, tmp_path, templates=TEMPLATES) as wa:
        wa.fake.approve(RU_REMINDER, RU_BODY, [("Открыть", "m")])
        wa.fake.approve(KK_REMINDER, KK_BODY, [("Ашу", "m")])
        yield wa


async def joined_parent(demo, wa: WhatsApp, name: str = PARENTS[0],
                        lang: str = "Русский") -> tuple[WaUser, int]:
    mum = wa.user()
    await mum.says(f"JOIN {await demo.code(name)}")
    await mum.taps(lang)
    return mum, demo.id(name)


async def queue(h, person_id: int, text: str, purpose: str, **kw) -> None:
    """What a reminder job queues for a person: through the real delivery path."""
    async with h.db() as session:
        ctx = Context(session=session, wiring=WIRING, now=h.now, config=h.config)
        await enqueue(ctx, [Outbound(text=text, person_id=person_id, purpose=purpose,
                                     dedup_key=f"{purpose}:{person_id}:{h.now}", **kw)])


async def rows(h, person_id: int) -> list[Outbox]:
    async with h.db() as s:
        return list(await s.scalars(select(Outbox).where(Outbox.person_id == person_id)
                                    .order_by(Outbox.id)))


REMINDER = ("Напоминаем: для пробы <b>«Электромонтер»</b> 24 ноября нужно ваше согласие "
            "за Аружан.\nОтветьте, пожалуйста, до вечера.")


async def test_a_reminder_30_hours_after_the_last_message_goes_as_a_template(h, demo, wa):
    mum, parent_id = await joined_parent(demo, wa)
    mum.new()
    h.clock.advance(hours=30)
    await queue(h, parent_id, REMINDER, "consent.reminder")
    await h.deliver()
    [notice] = mum.new()
    assert notice.kind == "template"
    assert notice.fields["ContentSid"] == RU_REMINDER  # the parent's language
    assert "Body" not in notice.fields and notice.fields["From"] == "whatsapp:+77000000099"
    assert notice.variables == {
        "1": PARENTS[0],
        "2": "Напоминаем: для пробы *«Электромонтер»* 24 ноября нужно ваше согласие за "
             "Аружан. Ответьте, пожалуйста, до вечера."}
    assert "Сәуле Серікова" in notice.text and "до вечера" in notice.text
    [row] = [r for r in await rows(h, parent_id) if r.purpose == "consent.reminder"]
    assert row.status == "sent" and row.external_id == notice.sid
    # "Открыть" answers with the menu, and the window is open again.
    [menu] = await mum.taps("Открыть")
    assert "Меню" in menu.text and menu.kind != "template"


async def test_after_the_template_the_message_itself_follows_once_the_person_answers(
        h, demo, wa):
    mum, parent_id = await joined_parent(demo, wa)
    mum.new()
    h.clock.advance(hours=30)
    await queue(h, parent_id, REMINDER, "consent.reminder",
                buttons=[[Button("Согласен(на)", "m:1"), Button("Не согласен(на)", "m:2")]])
    await h.deliver()
    [notice] = mum.new()
    assert notice.kind == "template" and "Согласен" not in notice.text
    sent, waiting = [r for r in await rows(h, parent_id) if r.purpose == "consent.reminder"]
    assert (sent.status, sent.external_id) == ("sent", notice.sid)
    assert waiting.status == "held" and notice.sid in waiting.error
    h.clock.advance(hours=5)
    full, menu = await mum.taps("Открыть")
    assert full.kind == "quick_reply" and full.text.startswith("Напоминаем")
    assert full.labels == ["Согласен(на)", "Не согласен(на)"]
    assert "Меню" in menu.text
    # Shown once: another message later brings nothing old back.
    assert all(m.text != full.text for m in await mum.says("Спасибо"))


async def test_inside_the_window_the_reminder_goes_as_it_is(h, demo, wa):
    mum, parent_id = await joined_parent(demo, wa)
    mum.new()
    h.clock.advance(hours=23)
    await queue(h, parent_id, REMINDER, "consent.reminder")
    await h.deliver()
    [message] = mum.new()
    assert message.kind == "text" and message.text.startswith("Напоминаем: для пробы *«Эл")


async def test_without_a_template_the_message_is_held_until_the_person_writes(h, demo, wa):
    mum, parent_id = await joined_parent(demo, wa)
    mum.new()
    h.clock.advance(hours=30)
    await queue(h, parent_id, "Итоги пробы готовы.", "summary")
    await h.deliver()
    assert mum.new() == []
    [held] = [r for r in await rows(h, parent_id) if r.purpose == "summary"]
    assert held.status == "failed" and held.error.startswith("held:")
    assert "no template is configured for purpose 'summary'" in held.error
    h.clock.advance(hours=2)
    replies = await mum.says("Здравствуйте")
    assert replies[0].text == "Итоги пробы готовы."  # the held message first, in session
    assert any("Меню" in m.text for m in replies[1:])
    [sent] = [r for r in await rows(h, parent_id) if r.purpose == "summary"]
    assert sent.status == "sent"


async def test_a_message_held_too_long_is_not_sent_late(h, demo, wa):
    mum, parent_id = await joined_parent(demo, wa)
    h.clock.advance(hours=30)
    await queue(h, parent_id, "Итоги пробы готовы.", "summary")
    await h.deliver()
    h.clock.advance(days=4)
    mum.new()
    replies = await mum.says("Здравствуйте")
    assert all("Итоги" not in m.text for m in replies)


async def test_twilio_closing_the_window_early_turns_the_message_into_a_template(h, demo, wa):
    mum, parent_id = await joined_parent(demo, wa)
    mum.new()
    h.clock.advance(hours=2)
    wa.fake.window_closed.add(mum.address)  # Twilio knows better than our clock: 63016
    await queue(h, parent_id, REMINDER, "consent.reminder")
    await h.deliver()
    [notice] = mum.new()
    assert notice.kind == "template" and notice.fields["ContentSid"] == RU_REMINDER


async def test_a_refusal_after_acceptance_63016_sends_again_as_a_template(h, demo, wa):
    mum, parent_id = await joined_parent(demo, wa)
    mum.new()
    h.clock.advance(hours=2)
    await queue(h, parent_id, REMINDER, "consent.reminder")
    await h.deliver()
    [free_form] = mum.new()
    assert free_form.kind == "text"
    assert await wa.status(free_form.sid, "failed", 63016) == 200
    await h.deliver()
    [notice] = mum.new()
    assert notice.kind == "template" and notice.fields["ContentSid"] == RU_REMINDER
    [row] = [r for r in await rows(h, parent_id) if r.purpose == "consent.reminder"]
    assert row.status == "sent" and row.external_id == notice.sid


async def test_a_replayed_63016_callback_sends_the_message_again_only_once(h, demo, wa):
    """Twilio repeats status callbacks by design: each message and status counts once."""
    mum, parent_id = await joined_parent(demo, wa)
    mum.new()
    h.clock.advance(hours=2)
    await queue(h, parent_id, REMINDER, "consent.reminder")
    await h.deliver()
    [free_form] = mum.new()
    for _replay in range(4):
        assert await wa.status(free_form.sid, "failed", 63016) == 200
        await h.deliver()
    [notice] = mum.new()
    assert notice.kind == "template"
    [row] = [r for r in await rows(h, parent_id) if r.purpose == "consent.reminder"]
    assert row.status == "sent" and row.external_id == notice.sid


async def test_an_invalid_number_marks_the_person_unreachable(h, demo, wa):
    mum, parent_id = await joined_parent(demo, wa)
    wa.fake.fail(mum.address, 21211)
    await queue(h, parent_id, "Привет", "logistics")
    await h.deliver()
    [row] = [r for r in await rows(h, parent_id) if r.purpose == "logistics"]
    assert row.status == "failed" and row.error.startswith("21211")
    async with h.db() as s:
        person = await s.get(Person, parent_id)
        assert person.unreachable_since == h.now and "21211" in person.unreachable_reason
        identity = await s.scalar(select(Identity).where(Identity.person_id == parent_id))
        assert identity.blocked_at == h.now


async def test_server_errors_and_rate_limits_are_retried(h, demo, wa):
    mum, parent_id = await joined_parent(demo, wa)
    mum.new()
    wa.fake.fail(mum.address, 20500, 20429)
    await queue(h, parent_id, "Сбор у школы в 9:30.", "logistics")
    await h.deliver()
    assert mum.new() == []
    row = (await rows(h, parent_id))[-1]
    assert row.status == "queued" and "20500" in row.error
    h.clock.advance(seconds=5)
    await h.deliver()  # 429 this time
    assert mum.new() == []
    h.clock.advance(seconds=10)
    await h.deliver()
    [message] = mum.new()
    assert message.text == "Сбор у школы в 9:30."


async def test_other_errors_fail_the_message_with_the_reason(h, demo, wa):
    mum, parent_id = await joined_parent(demo, wa)
    wa.fake.fail(mum.address, 63021)
    await queue(h, parent_id, "Привет", "logistics")
    await h.deliver()
    row = (await rows(h, parent_id))[-1]
    assert row.status == "failed" and row.error.startswith("twilio 63021")
    async with h.db() as s:
        assert (await s.get(Person, parent_id)).unreachable_since is None


async def test_status_callbacks_record_delivery_per_message(h, demo, wa):
    mum, parent_id = await joined_parent(demo, wa)
    message = mum.last
    assert await wa.status(message.sid, "sent") == 200
    assert await wa.status(message.sid, "delivered") == 200
    assert await wa.status(message.sid, "read") == 200
    assert await wa.status(message.sid, "delivered") == 200  # late, out of order
    async with h.db() as s:
        row = await s.scalar(select(Outbox).where(Outbox.external_id == message.sid))
        assert row.delivery_status == "read"
        tracked = await s.get(WhatsAppMessage, message.sid)
        assert tracked.status == "read" and tracked.outbox_id == row.id


async def test_undelivered_because_not_on_whatsapp_marks_the_person_unreachable(h, demo, wa):
    mum, parent_id = await joined_parent(demo, wa)
    await queue(h, parent_id, "Привет", "logistics")
    await h.deliver()
    assert await wa.status(mum.last.sid, "undelivered", 63003) == 200
    async with h.db() as s:
        row = await s.scalar(select(Outbox).where(Outbox.external_id == mum.last.sid))
        assert row.delivery_status == "undelivered" and "63003" in row.error
        person = await s.get(Person, parent_id)
        assert person.unreachable_since is not None and "63003" in person.unreachable_reason


async def test_a_file_goes_as_a_signed_expiring_link(h, demo, wa):
    mum, parent_id = await joined_parent(demo, wa)
    mum.new()
    data = b"\x89PNG\r\n\x1a\n chart"
    key, _digest = MediaStore(h.settings.media_dir).put(data, "image/png", h.now)
    await queue(h, parent_id, "Диаграмма", "reply",
                attachments=[Attachment("photo", key, "chart.png", "image/png")])
    await h.deliver()
    [message] = mum.new()
    assert message.text == "Диаграмма"  # the caption
    [url] = message.media_urls
    assert url.startswith("https://synaq.example.kz/whatsapp/media/")
    assert key not in url and "chart" not in url
    path = urlsplit(url).path
    response = await wa.client.get(path)
    assert response.status == 200 and await response.read() == data
    assert response.headers["Content-Type"] == "image/png"
    token = path.rsplit("/", 1)[1]
    forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    assert (await wa.client.get(path.replace(token, forged))).status == 404
    assert (await wa.client.get("/whatsapp/media/")).status == 404
    h.clock.advance(hours=3)
    assert (await wa.client.get(path)).status == 404


async def test_a_reply_to_a_stranger_leaves_nothing_behind(h, wa):
    stranger = wa.user()
    [reply] = await stranger.says("Сәлем")
    assert "Synaq" in reply.text
    async with h.db() as s:
        assert list(await s.scalars(select(Outbox))) == []
        assert list(await s.scalars(select(WhatsAppMessage))) == []


@pytest.mark.parametrize("lang, sid", [("Қазақша", KK_REMINDER), ("English", KK_REMINDER)])
async def test_the_template_follows_the_language_else_the_default(h, demo, wa, lang, sid):
    mum, parent_id = await joined_parent(demo, wa, PARENTS[1], lang)
    mum.new()
    h.clock.advance(hours=25)
    await queue(h, parent_id, "Еске салу", "mentor.confirm")
    await h.deliver()
    [notice] = mum.new()
    assert notice.fields["ContentSid"] == sid
    assert notice.variables["1"] == PARENTS[1]


async def test_a_window_just_over_24_hours_old_is_closed_by_our_clock(h, demo, wa):
    mum, parent_id = await joined_parent(demo, wa)
    async with h.db() as s:
        identity = await s.scalar(select(Identity).where(Identity.person_id == parent_id))
        identity.last_inbound_at = h.now - timedelta(hours=24, minutes=1)
    await queue(h, parent_id, REMINDER, "consent.reminder")
    await h.deliver()
    assert mum.last.kind == "template"

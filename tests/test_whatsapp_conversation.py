"""The same conversations over WhatsApp: signed Twilio webhooks in, Twilio Messages out."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage.models import (
    Answer,
    FlowRun,
    Identity,
    Outbox,
    Person,
    ProcessedInbound,
    WhatsAppChat,
    WhatsAppContent,
)

from .demo_school import PARENTS, PUPILS
from .fake_twilio import Failure
from .whatsapp_harness import PUBLIC, SENDER, WhatsApp, whatsapp


@pytest.fixture
async def wa(h, tmp_path: Path) -> AsyncIterator[WhatsApp]:
    async with whatsapp(h, tmp_path) as wa:
        yield wa


async def count(h, model, *where) -> int:
    async with h.db() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)))


async def before_answers(h) -> dict[str, dict]:
    """The pupil's answers to the before-questionnaire, by step."""
    async with h.db() as s:
        rows = await s.scalars(
            select(Answer).join(FlowRun).where(FlowRun.flow_id == "pupil.before"))
        return {a.step_id: a.value for a in rows}


async def test_a_parent_joins_by_code_and_picks_the_language_with_quick_replies(h, demo, wa):
    mum = wa.user()
    code = await demo.code(PARENTS[0])
    welcome, prompt = await mum.says(f"JOIN {code}")
    assert PARENTS[0] in welcome.text
    # Plain text goes as Body, from our number, with a status callback.
    assert welcome.kind == "text"
    assert welcome.fields["From"] == SENDER and welcome.fields["To"] == mum.address
    assert welcome.fields["StatusCallback"] == f"{PUBLIC}/whatsapp/status"
    assert "ContentSid" not in welcome.fields
    # Three short choices: quick replies, sent as a Content resource with variables.
    assert prompt.kind == "quick_reply"
    assert prompt.labels == ["Қазақша", "Русский", "English"]
    assert "Тілді таңдаңыз" in prompt.text and "Please choose your language" in prompt.text
    assert prompt.fields["ContentSid"].startswith("HX") and "Body" not in prompt.fields
    [created] = wa.fake.content_requests
    assert list(created["types"]) == ["twilio/quick-reply"]
    assert created["types"]["twilio/quick-reply"]["body"] == "{{1}}"

    saved, menu = await mum.taps("Русский")
    assert "Язык сохранён" in saved.text
    assert "Меню" in menu.text
    async with h.db() as s:
        person = await s.get(Person, demo.id(PARENTS[0]))
        assert person.locale == "ru"
        identity = await s.scalar(select(Identity).where(Identity.person_id == person.id))
        assert (identity.channel, identity.address) == ("whatsapp", mum.address)
        assert identity.last_inbound_at == h.now


async def test_html_becomes_whatsapp_formatting(h, demo, wa):
    pupil = wa.user()
    await pupil.says(f"JOIN {await demo.code(PUPILS[0])}")
    await pupil.taps("English")
    replies = await pupil.says("1")  # the menu is numbered (its label is too long for a row)
    goal = next(m for m in replies if "Your goal" in m.text)
    assert "*Электромонтер: қарапайым электр тізбегін жинау*" in goal.text
    assert "<b>" not in goal.text and "&" not in goal.text


async def test_a_numbered_list_is_answered_by_number_and_the_questionnaire_runs(h, demo, wa):
    pupil = wa.user()
    await pupil.says(f"JOIN {await demo.code(PUPILS[0])}")
    _saved, menu = await pupil.taps("English")
    # "📝 Before the trial: …, 24 Nov" does not fit a list row (24 characters): numbered.
    assert menu.kind == "text" and "ContentSid" not in menu.fields
    assert "1. 📝 Before the trial" in menu.text
    assert "Reply with the number of your choice." in menu.text
    replies = await pupil.says("1")
    assert "What do I expect?" in replies[-1].text
    await pupil.says("To see how electricians work")
    worry = pupil.last
    assert "What am I worried about" in worry.text
    assert worry.kind == "quick_reply" and worry.labels == ["« Back"]
    await pupil.says("Electric shock & <sparks>")
    hypothesis = pupil.last
    assert hypothesis.labels == ["« Back", "Skip"]
    await pupil.taps("Skip")
    assert "Thank you" in pupil.last.text
    assert await before_answers(h) == {"expect": {"text": "To see how electricians work"},
                      "worry": {"text": "Electric shock & <sparks>"},
                      "hypothesis": {"skipped": True}}


async def test_the_numbered_choices_survive_a_restart(h, demo, wa, tmp_path):
    pupil = wa.user()
    await pupil.says(f"JOIN {await demo.code(PUPILS[1])}")
    await pupil.taps("English")
    async with h.db() as s:
        chat = await s.scalar(select(WhatsAppChat))
        assert chat.choices and chat.choices[0].startswith("pb:")
    # A new process: a fresh web app and sender, nothing in memory.
    async with whatsapp(h, tmp_path / "again") as restarted:
        again = restarted.user(pupil.number)
        again.seen = len(again.inbox)
        replies = await again.says(" 1. ")
        assert any("What do I expect?" in m.text for m in replies)


async def test_a_number_after_a_message_without_a_list_is_just_text(h, demo, wa):
    pupil = wa.user()
    await pupil.says(f"JOIN {await demo.code(PUPILS[0])}")
    await pupil.taps("English")
    await pupil.says("1")
    assert "What do I expect?" in pupil.last.text
    async with h.db() as s:
        assert (await s.scalar(select(WhatsAppChat))).choices is None
    await pupil.says("2")  # an answer to the question, not menu item 2
    assert await before_answers(h) == {"expect": {"text": "2"}}


async def test_without_the_content_api_choices_fall_back_to_numbers(h, demo, wa):
    wa.fake.content_failure = Failure(20403)
    mum = wa.user()
    _welcome, prompt = await mum.says(f"JOIN {await demo.code(PARENTS[0])}")
    assert prompt.kind == "text" and "2. Русский" in prompt.text
    saved, _menu = await mum.says("2")
    assert "Язык сохранён" in saved.text


async def test_a_forged_signature_is_refused_and_nothing_is_stored(h, demo, wa):
    mum = wa.user()
    code = await demo.code(PARENTS[1])
    fields = mum.fields(Body=f"JOIN {code}")
    assert await wa.post("/whatsapp/inbound", fields, signature="bm90IGEgc2lnbmF0dXJl") == 403
    assert await wa.post("/whatsapp/inbound", fields, signature="") == 403
    # Signed for another host (what a forged Host header would make us check): refused.
    other = wa.validator.compute_signature("http://127.0.0.1/whatsapp/inbound", fields)
    assert await wa.post("/whatsapp/inbound", fields, signature=other) == 403
    # A correct signature over different fields: refused.
    signature = wa.sign("/whatsapp/inbound", fields)
    tampered = {**fields, "Body": f"JOIN {code} "}
    assert await wa.post("/whatsapp/inbound", tampered, signature=signature) == 403
    await h.deliver()
    assert await count(h, ProcessedInbound) == 0
    assert await count(h, Identity) == 0
    assert wa.fake.messages == []
    # The status callback is guarded the same way.
    assert await wa.post("/whatsapp/status", {"MessageSid": "SM1", "MessageStatus": "read"},
                         signature="x") == 403


async def test_a_replayed_message_sid_is_processed_once(h, demo, wa):
    pupil = wa.user()
    await pupil.says(f"JOIN {await demo.code(PUPILS[0])}")
    await pupil.taps("English")
    await pupil.says("1")
    fields = pupil.fields(Body="To see how it works")
    assert await wa.post("/whatsapp/inbound", fields) == 200
    await h.deliver()
    first = pupil.new()
    assert await wa.post("/whatsapp/inbound", fields) == 200  # Twilio retried
    await h.deliver()
    assert pupil.new() == []
    assert "What am I worried about" in first[-1].text
    assert await before_answers(h) == {"expect": {"text": "To see how it works"}}
    assert await count(h, ProcessedInbound, ProcessedInbound.external_id == fields["MessageSid"]) == 1


async def test_a_forged_button_id_is_refused_and_changes_nothing(h, demo, wa):
    pupil, other = wa.user(), wa.user()
    await pupil.says(f"JOIN {await demo.code(PUPILS[0])}")
    await pupil.taps("English")
    await pupil.says("1")
    await other.says(f"JOIN {await demo.code(PUPILS[1])}")
    await other.taps("English")
    async with h.db() as s:
        run = await s.scalar(select(FlowRun).where(FlowRun.flow_id == "pupil.before"))
    # The other pupil sends a button payload naming the first pupil's run.
    [reply] = await other.sends(Body="Skip", ButtonText="Skip",
                                ButtonPayload=f"f:{run.id}:expect:~skip")
    assert "no longer active" in reply.text
    assert await before_answers(h) == {}


async def test_content_resources_are_created_once_per_shape(h, demo, wa):
    for name in (PUPILS[0], PUPILS[1]):
        user = wa.user()
        await user.says(f"JOIN {await demo.code(name)}")
        await user.taps("Қазақша")
    assert len(wa.fake.content_requests) == 1
    assert await count(h, WhatsAppContent) == 1
    prompt = next(m for m in wa.fake.messages if m.kind == "quick_reply")
    variables = json.loads(prompt.fields["ContentVariables"])
    assert variables["2"] == "Қазақша" and variables["3"].startswith("f:")


async def test_the_service_sends_and_serves_whatsapp_when_twilio_is_configured(db_url, tmp_path):
    from bot.runtime import open_runtime
    from bot.settings import Settings
    from bot.web import build_app
    from bot.whatsapp import WhatsAppSender

    from .fake_twilio import ACCOUNT_SID, AUTH_TOKEN

    common = dict(database_url=db_url, media_dir=tmp_path, _env_file=None)
    runtime = await open_runtime(Settings(
        twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN,
        twilio_whatsapp_from=SENDER, public_base_url=PUBLIC, **common))
    try:
        assert isinstance(runtime.senders["whatsapp"], WhatsAppSender)
        paths = {r.resource.canonical for r in build_app(runtime).router.routes()
                 if r.resource is not None}
        assert {"/whatsapp/inbound", "/whatsapp/status", "/whatsapp/media/{token}"} <= paths
    finally:
        await runtime.close()
    plain = await open_runtime(Settings(**common))
    try:
        assert "whatsapp" not in plain.senders
        paths = {r.resource.canonical for r in build_app(plain).router.routes()
                 if r.resource is not None}
        assert not any(p.startswith("/whatsapp") for p in paths)
    finally:
        await plain.close()


async def test_a_person_on_both_channels_is_written_to_where_they_wrote_last(h, demo, wa):
    on_telegram = await demo.join(PARENTS[0], lang="ru")
    h.clock.advance(minutes=1)
    mum = wa.user()
    await mum.says(f"JOIN {await demo.code(PARENTS[0])}")  # a second code, her WhatsApp
    await mum.taps("Русский")
    async with h.db() as s:
        channels = {i.channel for i in await s.scalars(
            select(Identity).where(Identity.person_id == demo.id(PARENTS[0])))}
    assert channels == {"telegram", "whatsapp"}
    telegram_seen, whatsapp_seen = len(on_telegram.inbox), len(mum.inbox)
    await demo.remind("consent.request")
    assert len(on_telegram.inbox) == telegram_seen
    assert "Электромонтер" in "\n".join(m.text for m in mum.inbox[whatsapp_seen:])
    h.clock.advance(minutes=5)
    await on_telegram.says("/menu")
    whatsapp_seen = len(mum.inbox)
    await demo.remind("logistics")
    assert len(mum.inbox) == whatsapp_seen
    async with h.db() as s:
        [row] = await s.scalars(select(Outbox).where(Outbox.purpose == "logistics",
                                                     Outbox.person_id == demo.id(PARENTS[0])))
    assert (row.channel, row.status) == ("telegram", "sent")
    assert on_telegram.last.message_id == int(row.external_id)

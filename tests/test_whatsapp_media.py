"""Files sent over WhatsApp: fetched from Twilio with the account's credentials, checked for
type and size before anything is kept, and handed to the same media path as Telegram's."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from flows import FLOWS
from flows.model import Flow, Text, Upload
from storage.models import Answer, FlowRun, Media

from .demo_school import PUPILS
from .whatsapp_harness import WaUser, WhatsApp, whatsapp

# A flow that asks for photos, standing in for the artefact step of the after-questionnaire.
ARTEFACT = Flow(id="test.wa_artefact", steps=(
    Upload(id="photos", text="Send a photo of what you made", many=True),
    Text(id="note", text="Anything to add?", optional=True),
))
JPEG = b"\xff\xd8\xff\xe0" + b"\x00JFIF" + bytes(range(256)) * 8


@pytest.fixture(autouse=True)
def _artefact_flow(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test's own flow is known to the flow runner for this module's tests only."""
    monkeypatch.setitem(FLOWS, ARTEFACT.id, ARTEFACT)


@pytest.fixture
async def wa(h, tmp_path: Path) -> AsyncIterator[WhatsApp]:
    async with whatsapp(h, tmp_path) as wa:
        yield wa


async def pupil_at_upload(h, demo, wa: WhatsApp) -> WaUser:
    pupil = wa.user()
    await pupil.says(f"JOIN {await demo.code(PUPILS[0])}")
    await pupil.taps("English")
    async with h.db() as s:
        s.add(FlowRun(person_id=demo.id(PUPILS[0]), flow_id=ARTEFACT.id, status="active",
                      step_id="photos", history=[], version=0, started_at=h.now,
                      updated_at=h.now))
    pupil.new()
    return pupil


def stored_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


async def kept(h) -> list[Media]:
    async with h.db() as s:
        return list(await s.scalars(select(Media)))


async def test_a_photo_is_fetched_with_the_account_credentials_and_kept(h, demo, wa):
    pupil = await pupil_at_upload(h, demo, wa)
    [received] = await pupil.sends_media(JPEG, "image/jpeg")
    assert "Received" in received.text and received.labels == ["Done"]
    assert len(wa.fake.media_fetches) == 1 and wa.fake.unauthorised == 0
    [media] = await kept(h)
    assert (media.kind, media.mime, media.size) == ("photo", "image/jpeg", len(JPEG))
    assert (Path(h.settings.media_dir) / media.storage_key).read_bytes() == JPEG
    await pupil.taps("Done")
    assert "Anything to add?" in pupil.last.text
    async with h.db() as s:
        answer = await s.scalar(select(Answer).where(Answer.step_id == "photos"))
        assert answer.value == {"media": [media.id]}


async def test_several_files_in_one_message_are_each_kept(h, demo, wa):
    pupil = await pupil_at_upload(h, demo, wa)
    first = wa.fake.add_media(JPEG, "image/jpeg")
    second = wa.fake.add_media(b"%PDF-1.4 checklist", "application/pdf")
    await pupil.sends(NumMedia="2", MediaUrl0=first, MediaContentType0="image/jpeg",
                      MediaUrl1=second, MediaContentType1="application/pdf",
                      MessageType="image")
    assert sorted(m.mime for m in await kept(h)) == ["application/pdf", "image/jpeg"]


async def test_a_file_that_is_not_an_image_or_document_we_keep_is_refused_unfetched(h, demo, wa):
    pupil = await pupil_at_upload(h, demo, wa)
    [reply] = await pupil.sends_media(b"BEGIN:VCARD\nFN:Someone\nEND:VCARD", "text/vcard")
    assert "cannot keep this type of file" in reply.text
    replies = await pupil.sends_media(b"\x00\x00\x00\x18ftypmp42 video", "video/mp4")
    assert "Please send a photo or a file" in replies[0].text
    assert wa.fake.media_fetches == [] and await kept(h) == []


async def test_an_oversize_file_is_refused_and_nothing_is_kept(h, demo, wa):
    h.service.config = dataclasses.replace(h.service.config, max_upload_bytes=2**20)
    pupil = await pupil_at_upload(h, demo, wa)
    [reply] = await pupil.sends_media(b"\xff\xd8\xff" + b"x" * (3 * 2**19), "image/jpeg")
    assert "This file is 1.5 MB; I can keep files up to 1 MB" in reply.text
    assert await kept(h) == []
    assert stored_files(h.settings.media_dir) == []
    async with h.db() as s:
        assert await s.scalar(select(func.count()).select_from(Answer)
                              .where(Answer.step_id == "photos")) == 0


async def test_a_media_url_outside_twilio_is_not_fetched(h, demo, wa):
    pupil = await pupil_at_upload(h, demo, wa)
    replies = await pupil.sends(NumMedia="1", MediaUrl0="http://169.254.169.254/latest/",
                                MediaContentType0="image/jpeg")
    assert "cannot read this kind of message" in replies[0].text
    assert await kept(h) == []


async def test_a_location_is_explained_and_the_question_asked_again(h, demo, wa):
    pupil = await pupil_at_upload(h, demo, wa)
    replies = await pupil.sends(Latitude="51.1282", Longitude="71.4304", MessageType="location")
    assert "cannot read this kind of message" in replies[0].text
    assert "Send a photo of what you made" in replies[-1].text

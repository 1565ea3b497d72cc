"""Retention: the cutoff ("the end of the school year after next", a school year ending 31
May), and the scheduler's daily purge of old media, free text, message records and files
nothing refers to — choices stay for the counts."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.settings import Settings
from handlers.privacy.retention import cutoff, parse_retention
from storage.models import Answer, AuditLog, Consent, FlowRun, Media, Outbox, ProcessedInbound

from .demo_school import PARENTS, jpeg

ALMATY = ZoneInfo("Asia/Almaty")
NOTE = "Астма: ингалятор в левом кармане"


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=ALMATY)


@pytest.mark.parametrize(("now", "before"), [
    # 31 May 2029 is still the school year after next of a November 2026 photo: kept.
    (local(2029, 5, 31, 23, 59), local(2026, 6, 1)),
    # From 1 June 2029, 00:00 local time, everything of the school year 2026/27 goes.
    (local(2029, 6, 1, 0, 0), local(2027, 6, 1)),
    (local(2029, 12, 1, 12, 0), local(2027, 6, 1)),
    (local(2030, 5, 31, 12, 0), local(2027, 6, 1)),
])
def test_the_default_keeps_things_to_the_end_of_the_school_year_after_next(now, before):
    assert cutoff(now.astimezone(UTC), "school-year+2", "Asia/Almaty") == before
    made = local(2026, 11, 23, 10, 0)  # a photo sent on a November trial
    assert (made < before) == (now >= local(2029, 6, 1))


def test_other_settings_and_bad_ones():
    now = datetime(2027, 3, 1, tzinfo=UTC)
    assert cutoff(now, "730d", "Asia/Almaty") == now - timedelta(days=730)
    assert cutoff(now, "school-year+0", "Asia/Almaty") == local(2026, 6, 1)
    for bad in ("forever", "-1d", "0d", "school-year", "2y"):
        with pytest.raises(ValueError):
            parse_retention(bad)
    with pytest.raises(ValueError):
        Settings(retention="2 years", _env_file=None)


async def test_the_scheduler_purges_old_media_and_text_once_a_day(h, demo):
    await demo.consent(PARENTS[0], tier="Portfolio only", note=NOTE)
    await demo.held(tier=None, photo=jpeg())
    await h.tick(h.now)
    stray = h.settings.media_dir / "2026" / "11" / "stray.part"  # a write that never committed
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"half a photo")
    old = (h.now - timedelta(days=2)).timestamp()
    os.utime(stray, (old, old))
    async with h.db() as s:
        photo = await s.scalar(select(Media))
        kept_file = h.settings.media_dir / photo.storage_key
        summaries_pdf = [a["key"] for row in await s.scalars(select(Outbox))
                         for a in row.payload.get("attachments", []) if a["key"].endswith(".pdf")]
        messages = await s.scalar(select(func.count()).select_from(Outbox))
        after = await s.scalar(select(FlowRun.id).where(FlowRun.flow_id == "pupil.after"))
    assert summaries_pdf and messages

    # The next day: the orphan goes, nothing else (media are years from their cutoff).
    await h.tick(h.now + timedelta(days=1))
    assert not stray.exists() and kept_file.is_file()
    assert all((h.settings.media_dir / key).is_file() for key in summaries_pdf)

    # 31 days on: message texts and addresses go (purpose and dates stay), and with them
    # the summary PDFs nothing refers to any more; inbound ids older than 30 days too.
    await h.tick(h.now + timedelta(days=31, minutes=1))
    async with h.db() as s:
        rows = list(await s.scalars(select(Outbox).where(Outbox.status == "sent")))
        assert rows and all(r.payload == {"redacted": True} and r.address == "" for r in rows)
        assert all(r.purpose for r in rows)
        assert await s.scalar(select(func.count()).select_from(ProcessedInbound).where(
            ProcessedInbound.received_at < h.now - timedelta(days=30))) == 0
    await h.tick(h.now + timedelta(days=2))  # the next purge sweeps the orphaned PDFs
    assert not any((h.settings.media_dir / key).exists() for key in summaries_pdf)
    assert kept_file.is_file()

    # 1 June 2029: the photo, free text and the medical note go; choices stay.
    await h.tick(local(2029, 6, 1, 0, 30).astimezone(UTC))
    async with h.db() as s:
        assert await s.scalar(select(func.count()).select_from(Media)) == 0
        answers = {a.step_id: a.value for a in await s.scalars(
            select(Answer).where(Answer.run_id == after))}
        assert answers["did"] == {"redacted": True} and answers["self_safety"] == {"choice": "3"}
        assert answers["artefact"] == {"redacted": True}
        consent = await s.scalar(select(Consent).where(Consent.medical_note.is_not(None)))
        assert consent is None
        assert await s.scalar(select(func.count()).select_from(Outbox).where(
            Outbox.status == "sent")) == 0
        purges = list(await s.scalars(select(AuditLog).where(
            AuditLog.action == "retention.purge").order_by(AuditLog.id)))
    assert not kept_file.exists()
    last = purges[-1].detail
    assert (last["media"], last["before"]) == (1, "2027-06-01T00:00:00+05:00")
    assert last["answers"] >= 6 and last["notes"] >= 1
    # Once a day: a second tick that day purges nothing more and writes no second entry.
    await h.tick(local(2029, 6, 1, 0, 45).astimezone(UTC))
    async with h.db() as s:
        again = await s.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "retention.purge"))
    assert again == len(purges)

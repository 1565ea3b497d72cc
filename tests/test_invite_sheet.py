"""Invites of a class: the printable sheet of slips, links in the chat, the command line."""

from __future__ import annotations

import io
import re

from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select

from handlers.coordinator.buttons import PDF, ClassInvites, IssueClassInvites
from storage.models import Identity, Invite
from storage.repos.invites import Invites
from storage.repos.people import People
from storage.repos.schools import Schools

from .demo_school import COORDINATOR, PARENTS, PUPILS
from .test_import import cli_env, synaq

CODE = re.compile(r"\b([2-9A-HJ-NP-Z]{4}) ([2-9A-HJ-NP-Z]{4})\b")


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


async def test_the_coordinator_prints_a_class_sheet_and_a_parent_joins_with_a_slip(h, demo):
    earlier = await demo.code(PARENTS[0])  # a code the parent was given before
    coordinator = await demo.join(COORDINATOR, lang="kk")

    await coordinator.taps("Сыныпқа шақырулар")
    await coordinator.taps("8А")
    assert "Әлі қосылмағандар: 6" in coordinator.last.text  # three pupils, three parents
    sheet = (await coordinator.taps("Басып шығаруға арналған парақ"))[-1]

    assert sheet.method == "senddocument" and sheet.file_bytes is not None
    assert sheet.file_bytes.startswith(b"%PDF")
    text = pdf_text(sheet.file_bytes)
    assert all(name in text for name in PUPILS + PARENTS)  # ә, қ, ұ, і… come through
    assert "жаңа кодтар жасалды" in text  # the footer says earlier codes are gone
    codes = ["".join(pair) for pair in CODE.findall(text)]
    assert len(codes) == 6
    async with h.db() as session:
        invites = [await Invites(session).find(code) for code in codes]
        assert all(i is not None and i.used_at is None and i.revoked_at is None
                   for i in invites)
        assert {i.person_id for i in invites if i} == {demo.id(n) for n in PUPILS + PARENTS}
        old = await Invites(session).find(earlier)
        assert old is not None and old.revoked_at is not None
    parents_code = next(code for code, invite in zip(codes, invites, strict=True)
                        if invite and invite.person_id == demo.id(PARENTS[0]))

    parent = h.user("Сәуле")
    replies = await parent.says(f"/start {parents_code}")
    assert replies[0].text == f"Synaq-қа қош келдіңіз, {PARENTS[0]}!"


async def test_links_in_the_chat_and_a_forged_class_changes_nothing(h, demo):
    async with h.db() as session:
        schools = Schools(session)
        other = await schools.add(name="Басқа мектеп")
        other_class = await schools.add_class(other.id, "5Б", 5)
        stranger = await People(session).add("Бөтен Оқушы", ["pupil"], school_id=other.id,
                                             class_id=other_class.id)
    coordinator = await demo.join(COORDINATOR, lang="ru")
    await coordinator.taps("Приглашения класса")
    await coordinator.taps("8А")
    links = (await coordinator.taps("Ссылки в этом чате"))[-1].text
    assert links.startswith("Класс 8А: новые коды.")
    assert len(re.findall(r"<b>[2-9A-HJ-NP-Z]{8}</b>", links)) == 6
    assert links.count("https://t.me/") == 6

    refused = await coordinator.presses(IssueClassInvites(other_class.id, PDF).pack())
    assert refused[-1].text == "Эта кнопка больше не действует."
    async with h.db() as session:
        issued = await session.scalar(select(func.count()).select_from(Invite)
                                      .where(Invite.person_id == stranger.id))
        assert issued == 0

    pupil = await demo.join(PUPILS[0], lang="ru")
    assert (await pupil.presses(ClassInvites().pack()))[-1].text == \
        "Эта кнопка больше не действует."


async def test_the_command_line_writes_the_sheet_and_a_qr_picture_per_person(db_url, tmp_path):
    env = cli_env(db_url, tmp_path)
    assert (await synaq(env, "demo"))[0] == 0
    sheet, pictures = tmp_path / "8a.pdf", tmp_path / "qr"

    code, out, err = await synaq(env, "invites", "--class", "8A", "--pdf", str(sheet),
                                 "--qr", str(pictures))

    assert code == 0, err
    assert "6 codes issued; earlier codes of these people no longer work." in out
    assert PUPILS[0] in pdf_text(sheet.read_bytes())
    files = sorted(pictures.glob("invite-*.png"))
    assert len(files) == 6
    for file in files:
        with Image.open(file) as image:
            assert image.format == "PNG" and image.size[0] > 100


async def test_everyone_who_joined_gets_no_new_code(h, demo):
    for name in PUPILS + PARENTS:
        await demo.join(name)
    coordinator = await demo.join(COORDINATOR, lang="en")
    await coordinator.taps("Invites of a class")
    replies = await coordinator.taps("8А")
    assert replies[-1].text == "Everyone in class 8А and their parents have already joined."
    async with h.db() as session:
        joined = await session.scalar(select(func.count()).select_from(Identity))
        assert joined == 7


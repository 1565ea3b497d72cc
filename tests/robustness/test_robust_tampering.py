"""A corpus of tampering attempts, each refused with nothing changed (a snapshot of every
table before and after; only the de-duplication mark, the reply and the time the person
last wrote may differ): another trial's ids, other roles' buttons, other families' pupils,
another school, other people's conversations, malformed ids, replayed / expired / revoked /
guessed / foreign invite codes, forged webhook secrets and Twilio signatures, and path
tricks in file names, storage keys, media links and archive entries."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.runtime import open_runtime
from bot.settings import Settings
from bot.telegram import make_dispatcher
from bot.web import build_app
from bot.whatsapp_media import MediaLinks
from handlers.digest.buttons import DeliveryProblems
from handlers.escort.buttons import (
    RestPresent,
    ShowAttendance,
    ShowMarks,
    SwitchMark,
    TogglePresence,
)
from handlers.mentor.buttons import (
    ANYWAY,
    AddFeedback,
    AskRating,
    CannotCome,
    ChangeRating,
    PupilRatings,
    RateCard,
    RubricOverview,
    ShortCard,
    ShowConfirmation,
    SubmitCard,
    WillCome,
)
from handlers.parent.buttons import (
    AnswerConsent,
    AskWithdraw,
    ReadBriefing,
    ViewConsent,
    Withdraw,
)
from handlers.portfolio.buttons import PortfolioPdf, ShowPortfolio
from handlers.privacy.buttons import (
    AskDeletion,
    ConfirmDeletion,
    DeclineDeletion,
    RequestDeletion,
)
from handlers.pupil.buttons import StartAfter, StartBefore, StartTrace
from handlers.summary.buttons import ApproveSummary, ChooseNextStep, ShowDraft, ViewSummary
from storage.files import MediaStore
from storage.models import FlowRun, Identity, Media, Participant
from storage.repos.flows import FlowRuns
from storage.repos.invites import Invites
from storage.repos.people import People
from storage.repos.privacy import PrivacyRepo
from storage.repos.schools import Schools
from storage.repos.summaries import Summaries

from ..demo_school import COORDINATOR, MENTOR, PARENTS, PUPILS, TEACHER
from ..fake_telegram import FakeTelegram
from ..whatsapp_harness import whatsapp
from .support import figure, press, snapshot

SAULE, MARAT, _KAIRAT = PARENTS
ARUZHAN, DIAS, _MADINA = PUPILS
REFUSALS = ("no longer active", "cannot find", "Only a school coordinator",
            "only the school's coordinator", "Hello! Synaq helps schools",
            "I cannot find this trial among your school's trials")
SECRET = "tampering-secret_0123"


@pytest.fixture
async def world(h, demo):
    """Everyone of the demo school joined, the other trial with its mentor and pupil, a
    school of its own with a coordinator, consents given, the trial under way, a sent
    summary, a rubric card, an open questionnaire and a deletion request."""
    other_trial = await demo.other_trial("Бауыржан Сейітов", "Ерасыл Нұрланұлы")
    async with h.db() as s:
        school = await Schools(s).add(name="№ 12 мектеп", timezone="Asia/Almaty")
        demo.people["Бақыт Ахметов"] = await People(s).add(
            "Бақыт Ахметов", ["coordinator"], school_id=school.id)
        demo.people["Сәбит Облыстық"] = await People(s).add("Сәбит Облыстық", ["regional"])
    for pupil in (ARUZHAN, DIAS):
        await demo.record_consent(pupil)
    users = {name: await demo.join(name, lang="en") for name in (
        ARUZHAN, DIAS, SAULE, MARAT, MENTOR, TEACHER, COORDINATOR, "Бауыржан Сейітов",
        "Ерасыл Нұрланұлы", "Бақыт Ахметов", "Сәбит Облыстық")}
    trial = await demo.trial()
    h.clock.set(trial.starts_at + timedelta(minutes=30))
    async with h.db() as s:
        runs = FlowRuns(s)
        card = await runs.create(demo.id(MENTOR), "mentor.rubric", "understanding", h.now,
                                 demo.trial_id, demo.id(ARUZHAN))
        reflection = await runs.create(demo.id(ARUZHAN), "pupil.after", "did", h.now,
                                       demo.trial_id)
        summary = await Summaries(s).create(demo.trial_id, demo.id(ARUZHAN), "sent", h.now)
        request = await PrivacyRepo(s).add_request(
            subject_id=demo.id(ARUZHAN), requested_by=demo.id(SAULE), school_id=demo.school_id,
            channel="telegram", now=h.now, due_at=h.now + timedelta(days=30))
        participants = {p.pupil_id: p.id for p in await s.scalars(select(Participant))}
    return {
        "users": users, "trial": demo.trial_id, "other": other_trial,
        "aruzhan": demo.id(ARUZHAN), "dias": demo.id(DIAS),
        "other_pupil": demo.id("Ерасыл Нұрланұлы"), "class": trial.class_id,
        "card": card.id, "reflection": reflection.id, "summary": summary.id if summary else 0,
        "request": request.id, "participant": participants[demo.id(ARUZHAN)],
        "other_participant": participants[demo.id("Ерасыл Нұрланұлы")],
    }


def corpus(w: dict) -> list[tuple[str, str, str]]:
    """(category, who presses, callback data)."""
    t, o, a, d = w["trial"], w["other"], w["aruzhan"], w["dias"]
    return [
        # Another trial's ids in the buttons of someone on this one.
        *(("other trial", MENTOR, p) for p in (
            ShowConfirmation(o).pack(), WillCome(o).pack(), CannotCome(o).pack(),
            RateCard(o).pack(), RubricOverview(o).pack(), SubmitCard(o, ANYWAY).pack(),
            ShortCard(o).pack(), RateCard(t, w["other_pupil"]).pack(),
            RateCard(o, w["other_pupil"]).pack())),
        *(("other trial", TEACHER, p) for p in (
            ShowAttendance(o).pack(), RestPresent(o).pack(), ShowMarks(o).pack(),
            TogglePresence(w["other_participant"]).pack(),
            SwitchMark(w["other_participant"], "a").pack())),
        *(("other trial", ARUZHAN, p) for p in (
            StartBefore(o).pack(), StartAfter(o).pack(), StartTrace(o).pack())),
        ("other trial", SAULE, AnswerConsent(o, a).pack()),
        # Buttons of other roles.
        *(("other role", ARUZHAN, p) for p in (
            RateCard(t).pack(), SubmitCard(t, ANYWAY).pack(), ShowAttendance(t).pack(),
            TogglePresence(w["participant"]).pack(), f"ts:{t}",
            f"tcy:{t}", "tn", "xp:j:x", "rg",
            ConfirmDeletion(w["request"]).pack(), ApproveSummary(w["summary"]).pack())),
        *(("other role", SAULE, p) for p in (
            f"tmv:{t}", ShortCard(t).pack(), ShowConfirmation(t).pack(), ShowAttendance(t).pack(),
            DeliveryProblems().pack(), f"ci:{w['class']}")),
        *(("other role", MENTOR, p) for p in (
            Withdraw(t, a).pack(), AnswerConsent(t, a).pack(), "xp:j:x",
            ConfirmDeletion(w["request"]).pack(), ShowDraft(w["summary"]).pack(),
            f"tcy:{t}")),
        *(("other role", TEACHER, p) for p in (f"tcy:{t}", f"cis:{w['class']}:links",
                                                RateCard(t).pack(), "tn")),
        ("other role", "Сәбит Облыстық", f"ts:{t}"),
        # Other families' pupils.
        *(("other family", SAULE, p) for p in (
            ViewConsent(t, d).pack(), AnswerConsent(t, d).pack(), AskWithdraw(t, d).pack(),
            Withdraw(t, d).pack(), ReadBriefing(t, d).pack(), ShowPortfolio(d).pack(),
            PortfolioPdf(d).pack(), ViewSummary(t, d).pack(), RequestDeletion(d).pack(),
            AskDeletion(d).pack())),
        *(("other family", MARAT, p) for p in (
            Withdraw(t, a).pack(), ViewSummary(t, a).pack(),
            ChooseNextStep(w["summary"], "college").pack(), ShowPortfolio(a).pack())),
        ("other family", DIAS, ShowPortfolio(a).pack()),
        # Another school's coordinator.
        *(("other school", "Бақыт Ахметов", p) for p in (
            f"ts:{t}", f"tcy:{t}", f"tmv:{t}", f"tin:{t}", f"tis:{t}:links", f"tdu:{t}",
            f"ci:{w['class']}", f"cis:{w['class']}:pdf", f"xp:t:{t}",
            ConfirmDeletion(w["request"]).pack(),
            DeclineDeletion(w["request"]).pack(), ShowAttendance(t).pack(), ShortCard(t).pack())),
        # Other people's conversations.
        ("other's run", MARAT, f"f:{w['reflection']}:did:x"),
        ("other's run", DIAS, f"f:{w['reflection']}:did:~skip"),
        *(("other's run", ARUZHAN, p) for p in (
            PupilRatings(w["card"]).pack(), AskRating(w["card"], "understanding").pack(),
            ChangeRating(w["card"], "understanding", "1").pack(), AddFeedback(w["card"]).pack(),
            f"f:{w['card']}:understanding:3")),
        # Malformed ids.
        *(("malformed", ARUZHAN, p) for p in (
            "pqa:-1", "pqa:0", f"pqa:{2**70}", "pqa:1e3", "pqa:", "f:0:x:y", "f::did:x",
            "pcv:١:٢", "zz:1", "", ":::", "pcv:" + "9" * 58)),
    ]


async def test_every_tampering_attempt_is_refused_and_changes_nothing(h, demo, world, tmp_path):
    users = world["users"]
    tried = 0
    by_category: dict[str, int] = {}
    for category, who, data in corpus(world):
        before = await snapshot(h)
        reply = await press(users[who], data)
        assert reply and any(r in reply[0].text for r in REFUSALS), (category, who, data,
                                                                      reply[0].text[:150])
        assert await snapshot(h) == before, (category, who, data)
        tried += 1
        by_category[category] = by_category.get(category, 0) + 1

    for name, attempts in (("invite codes", codes(h, demo, users)),
                           ("webhooks and media links", webhooks(h, demo, tmp_path)),
                           ("path tricks", paths(h, demo, users, tmp_path))):
        by_category[name] = await attempts
        tried += by_category[name]
    assert tried >= 50
    figure(f"tampering attempts: {tried} tried, {tried} refused with nothing changed "
           f"({', '.join(f'{k} {v}' for k, v in by_category.items())}); and "
           f"{len(STORED_SAFELY)} uploads with path-like names kept under generated names")


async def codes(h, demo, users) -> int:
    """Revoked, expired, foreign, guessed and replayed invite codes."""
    now = h.now
    late = await demo.add_person("Кешіккен Ата", "parent")
    replaced = await demo.add_person("Ауыстырылған Ана", "parent")
    async with h.db() as s:
        invites = Invites(s)
        expired = await invites.issue(late.id, "parent", demo.school_id,
                                      now - timedelta(days=40), timedelta(days=30))
        revoked = await invites.issue(replaced.id, "parent", demo.school_id, now,
                                      timedelta(days=30))
        await invites.issue(replaced.id, "parent", demo.school_id, now, timedelta(days=30))
        fresh = await invites.issue(demo.id(MADINA), "pupil", demo.school_id, now,
                                    timedelta(days=30))
    tried = 0
    for user, text, answer in (
            (h.user("Replay", lang="en"), f"/start {revoked}", "replaced by a newer one"),
            (h.user("Late", lang="en"), f"/start {expired}", "expired"),
            (users[ARUZHAN], f"/start {fresh}", "I do not know this code")):
        before = await snapshot(h)
        reply = await user.says(text)
        assert answer in reply[0].text, (text, reply[0].text)
        assert await snapshot(h) == before
        tried += 1
    # Guessing: five wrong codes, then even the right one is refused for a while.
    guesser = h.user("Guesser", lang="en")
    for n in range(5):
        await guesser.says(f"/start ABCD{2345 + n}")
    before = await snapshot(h)
    reply = await guesser.says(f"/start {fresh}")
    assert "Too many wrong codes" in reply[0].text
    assert await snapshot(h) == before
    tried += 1
    # A code used once, replayed from another chat: refused; the person joined once.
    await h.user("Madina", lang="en").says(f"/start {fresh}")
    before = await snapshot(h)
    reply = await h.user("Second", lang="en").says(f"/start {fresh}")
    assert "already been used" in reply[0].text and await snapshot(h) == before
    tried += 1
    async with h.db() as s:
        joined = await s.scalar(select(func.count()).select_from(Identity).where(
            Identity.person_id == demo.id(MADINA)))
    assert joined == 1
    return tried


MADINA = PUPILS[2]


async def webhooks(h, demo, tmp_path: Path) -> int:
    """A Telegram webhook without its secret or with a wrong one; Twilio posts unsigned,
    wrongly signed, signed for another URL or with altered fields; a tampered media link."""
    fake = FakeTelegram()
    await fake.start()
    settings = Settings(database_url=h.settings.database_url, telegram_bot_token=fake.token,
                        telegram_api_url=fake.url, media_dir=h.settings.media_dir,
                        telegram_webhook_url="https://synaq.example.kz/telegram/hook",
                        telegram_webhook_secret=SECRET, _env_file=None)
    runtime = await open_runtime(settings)
    client = TestClient(TestServer(build_app(runtime, make_dispatcher(runtime.service.process))))
    await client.start_server()
    tried = 0
    try:
        update = {"update_id": 424242, "message": {
            "message_id": 1, "date": int(time.time()), "chat": {"id": 4242, "type": "private"},
            "from": {"id": 4242, "is_bot": False, "first_name": "X"}, "text": "/start ABCD2345"}}
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
                        {"X-Telegram-Bot-Api-Secret-Token": SECRET + "x"}):
            before = await snapshot(h)
            response = await client.post("/telegram/hook", json=update, headers=headers)
            assert response.status == 401
            assert await snapshot(h) == before
            tried += 1
    finally:
        await client.close()
        await runtime.close()
        await fake.stop()
    async with whatsapp(h, tmp_path) as wa:
        mum = wa.user("+77019998877")
        fields = mum.fields(Body="JOIN ABCD2345")
        for signature in ("", "bm90IGEgc2lnbmF0dXJl",
                          wa.validator.compute_signature("http://127.0.0.1/whatsapp/inbound",
                                                         fields)):
            before = await snapshot(h)
            assert await wa.post("/whatsapp/inbound", fields, signature=signature) == 403
            assert await snapshot(h) == before
            tried += 1
        signed = wa.sign("/whatsapp/inbound", fields)
        assert await wa.post("/whatsapp/inbound", {**fields, "Body": "JOIN ZZZZ9999"},
                             signature=signed) == 403
        tried += 1
        # A media link: its token altered, or for a key outside the folder.
        links = MediaLinks("wrong token", wa.settings.public_base_url or "", MediaStore(
            h.settings.media_dir))
        forged = links.url("../../etc/passwd", h.now).rsplit("/", 1)[-1]
        response = await wa.client.get(f"/whatsapp/media/{forged}")
        assert response.status == 404
        tried += 1
    return tried


# Path-like file names of a pupil's upload: kept, but under generated names (not refusals).
STORED_SAFELY: list[str] = []


def found(folder: Path, pattern: str) -> list[Path]:
    return list(folder.glob(pattern))


async def paths(h, demo, users, tmp_path: Path) -> int:
    """File names are never paths: a pupil's document named like a path is kept under a
    generated name inside the media folder; storage keys leaving the folder are refused; a
    spreadsheet named like a path is read in memory only."""
    tried = 0
    media_dir = h.settings.media_dir.resolve()
    outside = tmp_path / "escaped.pdf"
    pupil = users[ARUZHAN]
    await pupil.presses(StartAfter(demo.trial_id).pack())
    async with h.db() as s:
        run = await s.scalar(select(FlowRun).where(FlowRun.person_id == demo.id(ARUZHAN),
                                                   FlowRun.flow_id == "pupil.after",
                                                   FlowRun.status == "active"))
        run.step_id = "artefact"  # straight to the upload step
    for name in (f"../../../../{outside}", "..\\..\\escaped.pdf", str(outside), "CON.pdf"):
        await pupil.sends_document(b"%PDF-1.4 tampered", name, "application/pdf")
        STORED_SAFELY.append(name)
    async with h.db() as s:
        keys = list(await s.scalars(select(Media.storage_key)))
    assert keys and all(".." not in k and (media_dir / k).resolve().is_relative_to(media_dir)
                        for k in keys)
    assert not outside.exists() and not found(tmp_path, "escaped*")
    store = MediaStore(h.settings.media_dir)
    for key in ("../escaped.pdf", "/etc/passwd", "2026/../../escaped.pdf"):
        with pytest.raises(ValueError):
            store.path(key)
        tried += 1
    coordinator = users[COORDINATOR]
    before = await snapshot(h)
    await coordinator.sends_document(b"kind;name\n", "../../../escaped.csv", "text/csv")
    assert not found(tmp_path, "**/escaped.csv") and not found(Path.cwd(), "escaped.csv")
    assert await snapshot(h) == before
    tried += 1
    return tried

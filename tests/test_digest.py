"""The coordinator's daily digest for the demo school: in Kazakh and Russian, with its chart
as a real picture, only on school days at 08:00, once; one line when all is well."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from storage.models import Outbox, Person, Trial
from storage.repos.consents import Consents
from storage.repos.flows import FlowRuns
from storage.repos.people import People
from storage.repos.trials import Trials

from .demo_school import COORDINATOR, MENTOR, PARENTS, PUPILS, TEACHER
from .test_export import RUBRIC

# Tuesday 24 November 2026, 08:00 in Astana: the demo trial starts today at 10:00.
TUESDAY_8 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
# Where the rendered charts are left for a person to look at.
PICTURES = Path("/tmp/synaq-digest")


async def consent(h, demo, pupil: str, parent: str, participation: str = "agree") -> None:
    async with h.db() as session:
        await Consents(session).record(
            trial_id=demo.trial_id, pupil_id=demo.id(pupil), parent_id=demo.id(parent),
            action="given", participation=participation, photo_tier="portfolio",
            medical_note=None, safety_read=True, text_version=1, channel="telegram",
            now=h.now)


async def mentor_answers(h, demo, status: str, reason: str | None = None) -> None:
    async with h.db() as session:
        trial = await session.get(Trial, demo.trial_id)
        assert trial is not None
        await Trials(session).set_mentor_answer(trial, status, reason, h.now)


def photo_of(message) -> Image.Image:
    assert message.method == "sendphoto" and message.file_bytes is not None
    assert message.file_bytes.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(message.file_bytes))
    image.load()
    return image


def keep(name: str, data: bytes | None) -> None:
    """Leave the picture where a person can look at it."""
    PICTURES.mkdir(exist_ok=True)
    (PICTURES / name).write_bytes(data or b"")


async def test_digest_in_kazakh_with_the_consent_chart(h, demo):
    coordinator = await demo.join(COORDINATOR, lang="kk")
    await consent(h, demo, PUPILS[0], PARENTS[0])
    await consent(h, demo, PUPILS[1], PARENTS[1], "decline")
    await mentor_answers(h, demo, "confirmed")
    coordinator.new()

    await h.tick(TUESDAY_8)

    [digest] = coordinator.new()
    text = digest.text
    assert text.startswith("<b>Күнделікті шолу · 24 қараша, сейсенбі</b>")
    assert "<b>Бүгін</b>" in text
    assert ("• 10:00 «Электромонтер: қарапайым электр тізбегін жинау»: келісім 1/3, "
            "бас тартқаны 1, жауап бермегені 1; тәлімгер растады ✅") in text
    assert "<b>Назар аударыңыз</b>" in text
    assert "• Келісім әлі жоқ, ал «Электромонтер" in text and PUPILS[2] in text
    assert PUPILS[0] not in text.split("Келісім әлі жоқ")[1].split("\n")[0]  # she has consent
    not_joined = next(line for line in text.split("\n") if "әлі қосылмаған" in line)
    assert PUPILS[2] in not_joined and PARENTS[2] in not_joined  # no answer yet
    assert PUPILS[1] not in not_joined and PARENTS[1] not in not_joined  # declined: not coming
    assert "Өткізілген сынақтар: 0 · қамтылған оқушылар: 0" in text
    image = photo_of(digest)
    assert image.width > 600 and image.height > 150
    keep("digest-kk.png", digest.file_bytes)


async def test_digest_in_russian_says_the_mentor_declined_and_who_has_not_joined(h, demo):
    async with h.db() as session:
        person = await session.get(Person, demo.id(COORDINATOR))
        assert person is not None
        person.locale = "ru"
    coordinator = await demo.join(COORDINATOR, lang="ru")
    await mentor_answers(h, demo, "declined", "Срочная смена на объекте")
    coordinator.new()

    await h.tick(TUESDAY_8)

    [digest] = coordinator.new()
    text = digest.text
    assert text.startswith("<b>Ежедневная сводка · 24 ноября, вторник</b>")
    assert "согласия 0 из 3, без ответа 3; наставник отказался ❌" in text
    assert "• Наставник отказался от «Электромонтер" in text
    assert "«Срочная смена на объекте»" in text
    # Nobody but the coordinator has joined yet: the messages cannot reach them.
    not_joined = next(line for line in text.split("\n") if "не подключились" in line)
    assert all(name in not_joined for name in (*PUPILS, *PARENTS, MENTOR, TEACHER))
    image = photo_of(digest)
    assert image.width > 600
    keep("digest-ru.png", digest.file_bytes)


async def test_nothing_needs_attention_is_one_line(h, demo):
    async with h.db() as session:
        trial = await session.get(Trial, demo.trial_id)
        assert trial is not None
        trial.status = "cancelled"
    coordinator = await demo.join(COORDINATOR, lang="kk")
    coordinator.new()
    await h.tick(TUESDAY_8)
    [digest] = coordinator.new()
    assert digest.method == "sendmessage"
    assert digest.text == ("☀️ Қайырлы таң! Бүгін (24 қараша) назар аударуды қажет ететін "
                           "ештеңе жоқ.")


async def test_the_digest_goes_on_school_days_from_eight_once(h, demo):
    coordinator = await demo.join(COORDINATOR, lang="en")
    coordinator.new()
    await h.tick(TUESDAY_8 - timedelta(minutes=1))  # 07:59
    assert coordinator.new() == []
    await h.tick(TUESDAY_8)
    assert len(coordinator.new()) == 1
    await h.tick(TUESDAY_8 + timedelta(minutes=1))
    await h.tick(TUESDAY_8 + timedelta(hours=3))
    assert coordinator.new() == []
    saturday = TUESDAY_8 + timedelta(days=4)
    await h.tick(saturday)
    await h.tick(saturday + timedelta(days=1))  # Sunday
    assert coordinator.new() == []
    await h.tick(saturday + timedelta(days=2))  # Monday 08:00
    assert len(coordinator.new()) == 1
    async with h.db() as session:
        keys = list(await session.scalars(
            select(Outbox.dedup_key).where(Outbox.purpose == "digest").order_by(Outbox.id)))
    school, person = demo.school_id, demo.id(COORDINATOR)
    assert keys == [f"digest:{school}:{person}:2026-11-24", f"digest:{school}:{person}:2026-11-30"]


async def test_an_unreachable_parent_is_listed(h, demo):
    coordinator = await demo.join(COORDINATOR, lang="en")
    marat = await demo.join(PARENTS[1], lang="en")
    async with h.db() as session:
        await People(session).mark_blocked("telegram", str(marat.id), demo.id(PARENTS[1]),
                                           h.now, "403: Forbidden: bot was blocked by the user")
    coordinator.new()
    await h.tick(TUESDAY_8)
    [digest] = coordinator.new()
    line = next(line for line in digest.text.split("\n") if line.startswith("• Cannot be"))
    assert line == ("• Cannot be reached (blocked the bot or the chat no longer works): "
                    f"{PARENTS[1]} (Parent)")


async def test_yesterdays_trial_and_the_weeks_numbers(h, demo):
    """A trial held yesterday: of the two pupils who took part (a third's parent said no)
    the mentor rated one and one reflected; that pupil's trial was meaningful (goal,
    mini-task, feedback, reflection). A trial days earlier after which nobody reflected is a
    problem. The week: 2 trials, 2 pupils, 1 meaningful of 4 participations = 25 %."""
    coordinator = await demo.join(COORDINATOR, lang="en")
    async with h.db() as session:
        trials, runs = Trials(session), FlowRuns(session)
        demo_trial = await session.get(Trial, demo.trial_id)
        assert demo_trial is not None
        demo_trial.status = "cancelled"  # keep today out of it
        fields = {c: getattr(demo_trial, c) for c in (
            "school_id", "class_id", "site_id", "coordinator_id", "mentor_id", "pupil_goal",
            "mini_task")}
        monday = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # Monday 10:00 local
        held = await trials.add(title="Аспаз: нан пісіру", starts_at=monday,
                                ends_at=monday + timedelta(hours=2), mentor_status="confirmed",
                                **fields)
        silent = await trials.add(title="Бағдарламашы: алғашқы бағдарлама",
                                  starts_at=monday - timedelta(days=3),
                                  ends_at=monday - timedelta(days=3, hours=-2), **fields)
        first, second = demo.id(PUPILS[0]), demo.id(PUPILS[1])
        for trial in (held, silent):
            for pupil, parent in ((first, PARENTS[0]), (second, PARENTS[1])):
                await trials.add_participant(trial.id, pupil, monday - timedelta(days=5))
                await Consents(session).record(
                    trial_id=trial.id, pupil_id=pupil, parent_id=demo.id(parent),
                    action="given", participation="agree", photo_tier="portfolio",
                    medical_note=None, safety_read=True, text_version=1, channel="telegram",
                    now=monday - timedelta(days=4))
            # A third pupil whose parent said no did not take part: not counted anywhere.
            await trials.add_participant(trial.id, demo.id(PUPILS[2]), monday - timedelta(days=5))
            await Consents(session).record(
                trial_id=trial.id, pupil_id=demo.id(PUPILS[2]), parent_id=demo.id(PARENTS[2]),
                action="given", participation="decline", photo_tier=None, medical_note=None,
                safety_read=False, text_version=1, channel="telegram",
                now=monday - timedelta(days=4))
        after = await runs.create(first, "pupil.after", None, monday, held.id)
        await runs.move(after, None, [], monday, "completed")
    await h.complete_flow(demo.id(MENTOR), "mentor.rubric", RUBRIC, trial_id=held.id,
                          pupil_id=first)
    coordinator.new()

    await h.tick(TUESDAY_8)

    [digest] = coordinator.new()
    text = digest.text
    assert digest.method == "sendmessage"  # nothing to come: no chart
    assert "<b>Yesterday</b>\n• «Аспаз: нан пісіру»: mentor cards 1 of 2; reflections 1 of 2; " \
           "summaries sent 0 of 2" in text
    assert "• No pupil has written a reflection after «Бағдарламашы: алғашқы бағдарлама» " \
           "(20 November)" in text
    assert "Аспаз: нан пісіру» (" not in text  # it has a reflection
    assert "Trials held: 2 · pupils reached: 2 · meaningful for pupils: 25%" in text

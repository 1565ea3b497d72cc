"""One trial's whole timeline, from four days before to four days after, walked by calling
the scheduler's entry point (``tick``) at 22 moments, with the reminders the features
registered (handlers/parent.py, pupil.py, mentor.py, short_card.py, escort.py,
mentor_rubric.py), the parents' summary, the coordinator's digest and the agreements reminder.

Everyone joins on Monday; some answer, some do not. At each moment the test says exactly who
gets which timed message: the first sends, the repeats only for those who have not answered,
nothing to pupils or parents in quiet hours (a pupil put on the trial at 22:00 has the
request reach the parent at 08:00), and nothing twice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from handlers.schedule.school_time import SchoolTime
from storage.models import Outbox, Trial
from storage.repos.trials import Trials

from .demo_school import COORDINATOR, MENTOR, PARENTS, PUPILS, TEACHER

ASTANA = ZoneInfo("Asia/Almaty")
ARUZHAN, DIAS, MADINA = PUPILS
SAULE, MARAT, KAIRAT = PARENTS  # the parents of Aruzhan, Dias and Madina
NURLAN, GULMIRA = "Нұрлан Бекұлы", "Гүлмира Бекова"  # put on the trial late, and his mother
FAMILY_ROLES = {*PUPILS, *PARENTS, NURLAN, GULMIRA}


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of November 2026 in Astana, as UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=ASTANA).astimezone(UTC)


# The trial: Friday 27 November, 10:00–12:00. Everyone joins on Monday 23rd at 09:00.
START, END = local(27, 10), local(27, 12)

# (moment, {who: timed messages}) — everything sent at that tick, and nothing else.
TIMELINE: list[tuple[datetime, dict[str, set[str]]]] = [
    # T − 4 d: the parents get the briefing and consent request as soon as the pupils are
    # on the trial; the coordinator's digest of the day. Сәуле answers at once.
    (local(23, 9), {SAULE: {"consent.request"}, MARAT: {"consent.request"},
                    KAIRAT: {"consent.request"}, COORDINATOR: {"digest"}}),
    (local(24, 8), {COORDINATOR: {"digest"}}),
    # T − 3 d: reminders only to the parents who have not answered. Марат answers then.
    (local(24, 10), {MARAT: {"consent.reminder"}, KAIRAT: {"consent.reminder"}}),
    (local(25, 8), {COORDINATOR: {"digest"}}),
    # T − 2 d: the mentor is asked to confirm (and does not answer yet).
    (local(25, 10), {MENTOR: {"mentor.confirm"}}),
    # 22:00: Нұрлан is put on the trial. Quiet hours: nothing goes to a family now.
    (local(25, 22), {}),
    # 08:00: quiet hours are over, his mother's request goes out.
    (local(26, 8), {GULMIRA: {"consent.request"}, COORDINATOR: {"digest"}}),
    # T − 1 d: the consent reminder again to those without an answer, the mentor's second
    # request (no answer yet; he confirms now).
    (local(26, 10), {KAIRAT: {"consent.reminder"}, GULMIRA: {"consent.reminder"},
                     MENTOR: {"mentor.confirm"}}),
    # T − 1 d after school: the goal and the before-questionnaire (Аружан answers it).
    (local(26, 15), {ARUZHAN: {"pupil.before"}, DIAS: {"pupil.before"},
                     MADINA: {"pupil.before"}, NURLAN: {"pupil.before"}}),
    # T − 1 d evening: logistics to every family that has not declined.
    (local(26, 18), {p: {"logistics"} for p in FAMILY_ROLES}),
    # T morning: the short card to the mentor and the escort; the digest.
    (local(27, 8), {MENTOR: {"card.short"}, TEACHER: {"card.short"},
                    COORDINATOR: {"digest"}}),
    # T: the escort is asked to mark attendance.
    (START, {TEACHER: {"escort.attendance"}}),
    # T end: the rubric prompt; the after-questionnaire to the pupils with consent (Аружан
    # fills it in at once).
    (END, {MENTOR: {"mentor.rubric"}, ARUZHAN: {"pupil.after"}, DIAS: {"pupil.after"}}),
    # T end + 3 h: the rubric reminder (the card is not submitted).
    (local(27, 15), {MENTOR: {"mentor.rubric"}}),
    # T + 1 d: the next morning's rubric reminder (Saturday: no digest).
    (local(28, 9), {MENTOR: {"mentor.rubric.morning"}}),
    # T + 1 d: the after-questionnaire again, to Диас only.
    (local(28, 12), {DIAS: {"pupil.after"}}),
    # T + 1 d after school: the trace reflection (Аружан answers it).
    (local(28, 15), {ARUZHAN: {"pupil.trace"}, DIAS: {"pupil.trace"}}),
    # T + 2 d: the trace reflection again, to Диас only.
    (local(29, 15), {DIAS: {"pupil.trace"}}),
    (local(30, 8), {COORDINATOR: {"digest"}}),
    (local(30, 10), {}),
    # T + 3 d: the one-page summary to the parents of the pupils who took part, with what
    # there is (handlers/summary.py, a due job of its own).
    (local(30, 12), {SAULE: {"summary"}, MARAT: {"summary"}}),
    # T + 4 d is 1 December: the day's digest, and the partner agreements that renew on
    # 31 December unless notice is given now.
    (datetime(2026, 12, 1, 10, tzinfo=ASTANA).astimezone(UTC),
     {COORDINATOR: {"digest", "agreements"}}),
]


async def test_one_trial_from_four_days_before_to_four_days_after(h, demo):
    async with h.db() as session:
        trial = await session.get(Trial, demo.trial_id)
        assert trial is not None
        trial.starts_at, trial.ends_at, trial.gather_at = START, END, local(27, 9, 30)
    await demo.add_person(NURLAN, "pupil")
    await demo.add_person(GULMIRA, "parent", locale="en", children=(NURLAN,))
    users = {name: await demo.join(name, lang="en")
             for name in (COORDINATOR, MENTOR, TEACHER, *PARENTS, *PUPILS, NURLAN, GULMIRA)}
    names = {demo.id(name): name for name in users}
    for user in users.values():
        user.new()

    async def answer(moment: datetime) -> None:
        """What people do right after the messages of ``moment``."""
        if moment == local(23, 9):
            await consents(users[SAULE])
        elif moment == local(24, 10):
            await consents(users[MARAT])
        elif moment == local(26, 10):
            await users[MENTOR].taps("I will come")
            assert "We are expecting you" in users[MENTOR].last.text
        elif moment == local(26, 15):
            aruzhan = users[ARUZHAN]
            await aruzhan.taps("Answer")
            await aruzhan.says("To see how a circuit is built")
            await aruzhan.says("Getting a shock")
            await aruzhan.taps("Skip")
            assert "Good luck" in aruzhan.last.text
        elif moment == END:
            await fills_in_after(users[ARUZHAN])
        elif moment == local(28, 15):
            await fills_in_trace(users[ARUZHAN])

    clock = SchoolTime.of(None, h.config)
    for moment, expected in TIMELINE:
        if moment == local(25, 22):
            async with h.db() as session:
                await Trials(session).add_participant(demo.trial_id, demo.id(NURLAN), moment)
        await h.tick(moment)
        async with h.db() as session:
            rows = list(await session.scalars(
                select(Outbox).where(Outbox.sent_at == moment, Outbox.dedup_key.is_not(None))))
        got: dict[str, set[str]] = {}
        for row in rows:
            assert row.dedup_key is not None
            got.setdefault(names[row.person_id or 0], set()).add(row.dedup_key.split(":")[0])
            if names[row.person_id or 0] in FAMILY_ROLES:  # never at night
                assert not clock.is_quiet(moment), (moment, row.dedup_key)
        assert got == expected, moment.astimezone(ASTANA)
        # What reached the people is exactly what the outbox says was sent.
        for name, purposes in expected.items():
            assert len(users[name].new()) >= len(purposes), (moment, name)
        for name in set(users) - set(expected):
            assert users[name].new() == [], (moment, name)
        await answer(moment)

    async with h.db() as session:
        everything = list(await session.scalars(
            select(Outbox).where(Outbox.dedup_key.is_not(None))))
        held = await session.scalar(select(Outbox).where(
            Outbox.person_id == demo.id(GULMIRA), Outbox.dedup_key.like("consent.request:%")))
    assert {r.status for r in everything} == {"sent"}
    assert held is not None
    assert (held.created_at, held.not_before, held.sent_at) == (
        local(25, 22), local(26, 8), local(26, 8))
    # The texts speak to the person about the right child.
    kairat_reminders = [m.text for m in users[KAIRAT].inbox if "still need your answer" in m.text]
    assert len(kairat_reminders) == 2 and all(MADINA in t for t in kairat_reminders)


async def consents(parent) -> None:
    """A parent answers the consent request: agrees, portfolio only, no notes, rules read."""
    request = next(m for m in reversed(parent.inbox) if "invites" in m.text)
    await parent.taps("Answer: consent", request)
    await parent.taps("I agree")
    await parent.taps("Portfolio only")
    await parent.taps("Skip")
    await parent.taps("I have read the safety rules")
    assert "Your decision is recorded" in parent.last.text


async def fills_in_after(pupil) -> None:
    await pupil.taps("Start")
    for answer in ("Built a circuit", "The lamp lit", "Wires; I asked", "Care", "I like it",
                   "Yes, a college visit"):
        await pupil.says(answer)
    await pupil.taps("No")  # no artefact in the portfolio
    await pupil.taps("No")  # no photos
    for _criterion in range(5):
        await pupil.taps("2")
    assert "Your reflection is saved" in pupil.last.text


async def fills_in_trace(pupil) -> None:
    await pupil.taps("Answer")
    for _question in range(3):
        await pupil.taps("Yes")
    for answer in ("Real tools", "Easy: wiring", "Safety rules are fine", "A college visit"):
        await pupil.says(answer)
    assert "Your reflection is saved" in pupil.last.text

"""The quarterly review on the first school day of a quarter, and the 1 December reminder of
partner agreements that renew on 31 December."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from storage.models import Participant, Partner, PortfolioEntry, Trial
from storage.repos.consents import Consents
from storage.repos.flows import FlowRuns
from storage.repos.schools import Schools

from .demo_school import COORDINATOR, MENTOR, PARENTS, PUPILS
from .test_export import RUBRIC


def at_eight(day: date) -> datetime:
    """08:00 in Astana on ``day``."""
    return datetime(day.year, day.month, day.day, 3, 0, tzinfo=UTC)


async def test_the_quarterly_review_on_the_first_school_day_of_the_quarter(h, demo):
    """The demo trial (24 November) took place: two pupils went, the mentor rated one, both
    reflected; one pupil has a portfolio entry. On 1 January 2027 (a Friday, a school day
    for a Monday–Friday school) the coordinator gets the last quarter in numbers."""
    coordinator = await demo.join(COORDINATOR, lang="en")
    async with h.db() as session:
        runs = FlowRuns(session)
        trial = await session.get(Trial, demo.trial_id)
        assert trial is not None
        first, second, third = (demo.id(p) for p in PUPILS)
        for pupil, parent in ((first, PARENTS[0]), (second, PARENTS[1])):
            await Consents(session).record(
                trial_id=trial.id, pupil_id=pupil, parent_id=demo.id(parent), action="given",
                participation="agree", photo_tier="portfolio", medical_note=None,
                safety_read=True, text_version=1, channel="telegram", now=h.now)
            after = await runs.create(pupil, "pupil.after", None, trial.ends_at, trial.id)
            await runs.move(after, None, [], trial.ends_at, "completed")
        absent = await session.scalar(select(Participant).where(
            Participant.trial_id == trial.id, Participant.pupil_id == third))
        assert absent is not None
        absent.attendance = "absent"
        session.add(PortfolioEntry(pupil_id=first, trial_id=trial.id, created_at=h.now))
    await h.complete_flow(demo.id(MENTOR), "mentor.rubric", RUBRIC, trial_id=trial.id,
                          pupil_id=first)
    coordinator.new()

    await h.tick(at_eight(date(2026, 12, 31)))
    assert not [m for m in coordinator.new() if "Quarterly" in m.text]
    await h.tick(at_eight(date(2027, 1, 1)))
    [review] = [m for m in coordinator.new() if "Quarterly" in m.text]
    assert review.text.split("\n") == [
        "<b>Quarterly review · 1 October – 31 December 2026</b>",
        "Trials held: 1 · pupils reached: 2",
        "Meaningful for pupils (goal, mini-task, the mentor's feedback and the pupil's "
        "reflection): 50% (1 of 2)",
        "",
        "<b>Empty portfolios: 2 of 3 pupils</b>",
        "8А — 2",
        "Every pupil should have at least one portfolio entry a year.",
    ]
    await h.tick(at_eight(date(2027, 1, 1)) + timedelta(hours=1))
    await h.tick(at_eight(date(2027, 1, 4)))
    assert not [m for m in coordinator.new() if "Quarterly" in m.text]


async def test_a_quarter_starting_on_a_weekend_is_reviewed_on_the_monday(h, demo):
    coordinator = await demo.join(COORDINATOR, lang="kk")
    async with h.db() as session:
        trial = await session.get(Trial, demo.trial_id)
        assert trial is not None
        trial.status = "cancelled"
    coordinator.new()
    await h.tick(at_eight(date(2028, 1, 1)))  # Saturday
    assert coordinator.new() == []
    await h.tick(at_eight(date(2028, 1, 3)))  # Monday
    [review] = [m for m in coordinator.new() if "Тоқсандық" in m.text]
    assert review.text.startswith("<b>Тоқсандық шолу · 1 қазан – 31 желтоқсан 2027</b>\n"
                                  "Осы тоқсанда сынақ өткізілген жоқ.")


async def test_partner_agreements_renewing_on_31_december_are_named_on_1_december(h, demo):
    coordinator = await demo.join(COORDINATOR, lang="en")
    async with h.db() as session:
        schools = Schools(session)
        await schools.add_partner(school_id=demo.school_id, name="Ends next year",
                                  agreement_start=date(2026, 1, 1),
                                  agreement_end=date(2027, 12, 31))
        await schools.add_partner(school_id=demo.school_id, name="«Astana Bakery» ЖШС",
                                  agreement_start=date(2025, 9, 1))  # no end: renews yearly
        demo_partner = await session.scalar(select(Partner).where(
            Partner.school_id == demo.school_id, Partner.name.like("%Qazaq%")))
        assert demo_partner is not None and demo_partner.agreement_end == date(2026, 12, 31)
    coordinator.new()

    await h.tick(at_eight(date(2026, 11, 30)))
    assert not [m for m in coordinator.new() if "agreements" in m.text]
    await h.tick(at_eight(date(2026, 12, 1)))
    [reminder] = [m for m in coordinator.new() if "agreements" in m.text]
    assert reminder.text.split("\n") == [
        "<b>Partner agreements renew on 31 December</b>",
        "These agreements end on 31 December 2026 and renew for another year unless notice is "
        "given a month ahead (Annex 3). If an agreement should end or change, please tell the "
        "partner now.",
        "• «Astana Bakery» ЖШС (since 1 September 2025)",
        "• «Qazaq Energy Service» ЖШС (since 1 January 2026)",
    ]
    await h.tick(at_eight(date(2026, 12, 2)))
    assert not [m for m in coordinator.new() if "agreements" in m.text]

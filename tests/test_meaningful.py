""""Meaningful" (trial-cycle.md; Gatsby Benchmark 6) is one rule: the digest, the quarterly
review, the targets, the trial's report and the regional figures count the same pupils."""

from __future__ import annotations

from sqlalchemy import select

from handlers.participation import meaningful_in, meaningful_on, present, took_part_in
from handlers.reports.figures import regional_cells
from handlers.reports.targets import targets
from storage.models import FlowRun, Trial
from storage.reads.digest import DigestRepo
from storage.reads.journal import Journal
from storage.repos.people import People
from storage.repos.schools import Schools

from .demo_school import PUPILS
from .harness import Harness
from .test_export import held


async def every_count(h: Harness, demo, trial_id: int) -> dict[str, set[int]]:  # type: ignore[no-untyped-def]
    """Who was meaningfully on the trial, as each report sees it."""
    async with h.db() as session:
        trial = await session.get(Trial, trial_id)
        assert trial is not None
        progress = (await DigestRepo(session).facts([trial]))[trial_id]
        journal = Journal(session)
        records = await journal.facts(await journal.trials(demo.school_id))
        classes = await Schools(session).classes(demo.school_id)
        pupils = await People(session).with_role(demo.school_id, "pupil")
    (record,) = records
    year = targets(records, classes, pupils, h.now)
    region = {c.dimension: c for c in regional_cells(records, h.now)}["all"]
    counts = {
        "digest": {p for p in present(progress) if meaningful_in(progress, p)},
        "trial report": {p for p in record.pupils
                         if took_part_in(record, p) and meaningful_on(record, p).ok},
        "targets": {p.pupil.id for p in year.pupils if p.meaningful},
    }
    assert region.meaningful == len(counts["trial report"])  # the region counts, never names
    return counts


async def set_goal(h: Harness, trial_id: int, goal: str) -> None:
    async with h.db() as session:
        trial = await session.get(Trial, trial_id)
        assert trial is not None
        trial.pupil_goal = goal


async def test_every_report_counts_the_same_pupils_as_meaningful(h, demo):
    trial = await held(h, demo)  # Аружан and Диас took part, reflected and were rated
    both = {demo.id(PUPILS[0]), demo.id(PUPILS[1])}

    counts = await every_count(h, demo, trial.id)
    assert counts == {"digest": both, "trial report": both, "targets": both}

    await set_goal(h, trial.id, "  ")  # a goal of two spaces is no goal
    counts = await every_count(h, demo, trial.id)
    assert counts == {"digest": set(), "trial report": set(), "targets": set()}

    await set_goal(h, trial.id, "Аспаздың жұмысын көру")
    async with h.db() as session:  # the mentor reopens Диас's card for the feedback texts
        card = await session.scalar(select(FlowRun).where(
            FlowRun.flow_id == "mentor.rubric", FlowRun.pupil_id == demo.id(PUPILS[1])))
        assert card is not None
        card.status = "active"
    counts = await every_count(h, demo, trial.id)
    assert counts == {"digest": both, "trial report": both, "targets": both}

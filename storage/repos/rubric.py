"""The mentor's rubric (form Б): stored as the answers of one ``mentor.rubric`` flow run per
pupil. Readers (the parent summary, the portfolio) use :meth:`Rubrics.cards`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Answer, FlowRun, RunStatus

RUBRIC_FLOW = "mentor.rubric"
# The pupil's reflections after a trial: either one counts for "meaningful".
REFLECTION_FLOWS = ("pupil.after", "pupil.trace")
CRITERION_IDS = ("understanding", "procedure", "accuracy", "communication", "safety")
RATING_IDS = (*CRITERION_IDS, "result")
FEEDBACK_IDS = ("comment", "plus", "delta", "next_step")


@dataclass(frozen=True)
class RubricCard:
    """One pupil's card: scores 1–3 per criterion, the mini-task result (yes / no / partly)
    and the optional feedback texts (None when not given)."""

    pupil_id: int
    mentor_id: int
    run_id: int
    scores: dict[str, int]
    result: str
    comment: str | None
    plus: str | None
    delta: str | None
    next_step: str | None
    rated_at: datetime


def is_rated(answers: dict[str, dict[str, Any]]) -> bool:
    """All six taps are in (a run reopened for feedback still counts)."""
    return all("choice" in answers.get(step, {}) for step in RATING_IDS)


class Rubrics:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def runs(self, trial_id: int, mentor_id: int) -> dict[int, FlowRun]:
        """pupil id → the mentor's newest rubric run for that pupil of the trial."""
        rows = await self.session.scalars(
            select(FlowRun).where(
                FlowRun.flow_id == RUBRIC_FLOW, FlowRun.trial_id == trial_id,
                FlowRun.person_id == mentor_id, FlowRun.status != RunStatus.CANCELLED,
                FlowRun.pupil_id.is_not(None),
            ).order_by(FlowRun.id)
        )
        return {run.pupil_id: run for run in rows if run.pupil_id is not None}

    async def open_runs(self, trial_id: int) -> list[FlowRun]:
        rows = await self.session.scalars(
            select(FlowRun).where(FlowRun.flow_id == RUBRIC_FLOW, FlowRun.trial_id == trial_id,
                                  FlowRun.status == RunStatus.ACTIVE).order_by(FlowRun.id)
        )
        return list(rows)

    async def rated(self, trial_ids: list[int]) -> set[tuple[int, int]]:
        """(trial, pupil) pairs whose newest card (completed, or reopened for the feedback
        texts) has all six taps: what every report counts as the mentor's feedback."""
        runs = list(await self.session.scalars(
            select(FlowRun).where(
                FlowRun.flow_id == RUBRIC_FLOW, FlowRun.trial_id.in_(trial_ids),
                FlowRun.status.in_((RunStatus.COMPLETED, RunStatus.ACTIVE)),
                FlowRun.pupil_id.is_not(None),
            ).order_by(FlowRun.id)))
        newest = {(run.trial_id or 0, run.pupil_id or 0): run for run in runs}
        taps: dict[int, dict[str, dict[str, Any]]] = {run.id: {} for run in newest.values()}
        if taps:
            for a in await self.session.scalars(
                    select(Answer).where(Answer.run_id.in_(list(taps)),
                                         Answer.step_id.in_(RATING_IDS))):
                taps[a.run_id][a.step_id] = a.value
        return {pair for pair, run in newest.items() if is_rated(taps[run.id])}

    async def cards(self, trial_id: int) -> dict[int, RubricCard]:
        """pupil id → the rated card (the newest fully rated run per pupil)."""
        runs = list(await self.session.scalars(
            select(FlowRun).where(
                FlowRun.flow_id == RUBRIC_FLOW, FlowRun.trial_id == trial_id,
                FlowRun.status != RunStatus.CANCELLED, FlowRun.pupil_id.is_not(None),
            ).order_by(FlowRun.id)
        ))
        answers: dict[int, dict[str, dict[str, Any]]] = {run.id: {} for run in runs}
        if runs:
            for a in await self.session.scalars(
                    select(Answer).where(Answer.run_id.in_(list(answers)))):
                answers[a.run_id][a.step_id] = a.value
        cards: dict[int, RubricCard] = {}
        for run in runs:
            given = answers[run.id]
            if run.pupil_id is None or not is_rated(given):
                continue

            def text(step: str, given: dict[str, dict[str, Any]] = given) -> str | None:
                value = given.get(step, {}).get("text")
                return str(value) if value else None

            cards[run.pupil_id] = RubricCard(
                pupil_id=run.pupil_id, mentor_id=run.person_id, run_id=run.id,
                scores={c: int(given[c]["choice"]) for c in CRITERION_IDS},
                result=str(given["result"]["choice"]), comment=text("comment"),
                plus=text("plus"), delta=text("delta"), next_step=text("next_step"),
                rated_at=run.completed_at or run.updated_at,
            )
        return cards

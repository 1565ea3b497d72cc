"""Flow runs and their answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from storage.models import Answer, FlowRun, RunStatus

from .sql import upsert

# Built once: these run on every answer (building them anew cost as much as running them).
_ACTIVE_FOR = (select(FlowRun)
               .where(FlowRun.person_id == bindparam("person_id"),
                      FlowRun.status == RunStatus.ACTIVE)
               .order_by(FlowRun.updated_at.desc(), FlowRun.id.desc()))
_ANSWERS = select(Answer).where(Answer.run_id == bindparam("run_id"))
_MOVE = (update(FlowRun)
         .where(FlowRun.id == bindparam("run_id"), FlowRun.version == bindparam("seen"))
         .values(step_id=bindparam("step_id"), history=bindparam("history"),
                 version=bindparam("version"), updated_at=bindparam("now"),
                 status=bindparam("status"), completed_at=bindparam("completed_at"))
         .execution_options(synchronize_session=False))


class FlowRuns:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, run_id: int) -> FlowRun | None:
        return await self.session.get(FlowRun, run_id)

    async def active_for(self, person_id: int) -> list[FlowRun]:
        """The person's open runs, the most recently touched first."""
        return list(await self.session.scalars(_ACTIVE_FOR, {"person_id": person_id}))

    async def latest(
        self, person_id: int, flow_id: str, trial_id: int | None = None,
        pupil_id: int | None = None,
    ) -> FlowRun | None:
        """The newest run of ``flow_id`` by this person about this trial and pupil."""
        query = select(FlowRun).where(
            FlowRun.person_id == person_id,
            FlowRun.flow_id == flow_id,
            FlowRun.trial_id.is_(None) if trial_id is None else FlowRun.trial_id == trial_id,
            FlowRun.pupil_id.is_(None) if pupil_id is None else FlowRun.pupil_id == pupil_id,
            FlowRun.status != RunStatus.CANCELLED,
        )
        return await self.session.scalar(query.order_by(FlowRun.id.desc()).limit(1))

    async def create(
        self, person_id: int, flow_id: str, step_id: str | None, now: datetime,
        trial_id: int | None = None, pupil_id: int | None = None,
    ) -> FlowRun:
        run = FlowRun(
            person_id=person_id, flow_id=flow_id, trial_id=trial_id, pupil_id=pupil_id,
            status=RunStatus.ACTIVE, step_id=step_id, history=[], version=0,
            started_at=now, updated_at=now,
        )
        self.session.add(run)
        await self.session.flush()
        return run

    async def move(
        self, run: FlowRun, step_id: str | None, history: list[str], now: datetime,
        status: str = RunStatus.ACTIVE,
    ) -> bool:
        """Move ``run`` to ``step_id`` if nobody moved it since it was read.

        The version check makes two deliveries racing for one step (two taps, two workers)
        end with one winner; the loser sees ``False`` and treats its input as stale.
        """
        result = await self.session.execute(_MOVE, {
            "run_id": run.id, "seen": run.version, "step_id": step_id, "history": history,
            "version": run.version + 1, "now": now, "status": str(status),
            "completed_at": now if status == RunStatus.COMPLETED else None})
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
        # The row now holds exactly these values: record them without reading it back.
        for key, value in (("step_id", step_id), ("history", history),
                           ("version", run.version + 1), ("updated_at", now),
                           ("status", str(status)),
                           ("completed_at", now if status == RunStatus.COMPLETED else None)):
            set_committed_value(run, key, value)
        return True

    async def cancel(self, run: FlowRun, now: datetime) -> None:
        run.status = RunStatus.CANCELLED
        run.updated_at = now
        run.version += 1
        await self.session.flush()

    async def answers(self, run_id: int) -> dict[str, dict[str, Any]]:
        rows = await self.session.scalars(_ANSWERS, {"run_id": run_id})
        return {a.step_id: a.value for a in rows}

    async def answers_of(self, run_ids: list[int]) -> dict[int, dict[str, dict[str, Any]]]:
        result: dict[int, dict[str, dict[str, Any]]] = {rid: {} for rid in run_ids}
        if run_ids:
            rows = await self.session.scalars(select(Answer).where(Answer.run_id.in_(run_ids)))
            for a in rows:
                result[a.run_id][a.step_id] = a.value
        return result

    async def put_answer(
        self, run_id: int, step_id: str, value: dict[str, Any], now: datetime
    ) -> None:
        """Store (or replace, after "back") the answer to one step, in one statement."""
        await self.session.execute(
            upsert(self.session, Answer, ["run_id", "step_id"], ["value", "answered_at"]),
            {"run_id": run_id, "step_id": step_id, "value": value, "answered_at": now})

    async def drop_answers(self, run_id: int, step_ids: list[str]) -> None:
        if step_ids:
            await self.session.execute(
                delete(Answer).where(Answer.run_id == run_id, Answer.step_id.in_(step_ids))
            )

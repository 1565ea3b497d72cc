"""The escort's marks on a trial's participants: attendance and the Annex 5 +/− card."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Participant

QUICK_MARKS = {"a": "activity_mark", "c": "completed_mark"}  # Annex 5, columns 2 and 3


class AttendanceBook:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def participant(self, participant_id: int) -> Participant | None:
        return await self.session.get(Participant, participant_id)

    async def mark(self, participant: Participant, attendance: str, by: int) -> None:
        participant.attendance = attendance
        participant.attendance_by = by
        await self.session.flush()

    async def quick_mark(self, participant: Participant, which: str, value: str | None) -> None:
        """``which`` is "a" (activity, interest) or "c" (work completed); value "+", "-", None."""
        setattr(participant, QUICK_MARKS[which], value)
        await self.session.flush()

"""Trials that would run at the same time as another with the same mentor or the same class:
a person cannot be in two places (warned at set-up; the import finds its own in its plan)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Trial, TrialStatus


class Overlaps:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def clashing(self, starts_at: datetime, ends_at: datetime, *,
                       mentor_id: int | None, class_id: int | None,
                       except_id: int | None = None) -> list[Trial]:
        """Trials not cancelled that overlap [starts_at, ends_at) and share the mentor or
        the class, earliest first."""
        same = [c for c in (Trial.mentor_id == mentor_id if mentor_id else None,
                            Trial.class_id == class_id if class_id else None) if c is not None]
        if not same:
            return []
        query = (select(Trial)
                 .where(Trial.status != TrialStatus.CANCELLED, Trial.starts_at < ends_at,
                        Trial.ends_at > starts_at, or_(*same))
                 .order_by(Trial.starts_at, Trial.id))
        if except_id is not None:
            query = query.where(Trial.id != except_id)
        return list(await self.session.scalars(query))

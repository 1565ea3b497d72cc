"""The audit log: who read what sensitive (a medical note, an export), and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditLog


class Audit:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, actor_id: int | None, action: str, subject: str | None,
                     now: datetime, **detail: Any) -> None:
        self.session.add(AuditLog(actor_id=actor_id, action=action, subject=subject,
                                  detail=detail, at=now))
        await self.session.flush()

"""Administrative actions of the command line are in the audit log too: issuing invite codes
(`synaq invites`) names no person, says how many and how."""

from __future__ import annotations

from sqlalchemy import select

from handlers.context import Context
from handlers.coordinator.invites import issue_for_pending
from handlers.features import WIRING
from storage.models import AuditLog


async def test_issuing_invites_from_the_command_line_is_audited(h, demo):
    async with h.db() as s:
        ctx = Context(session=s, wiring=WIRING, now=h.now, config=h.config)
        lines = await issue_for_pending(ctx, demo.school_id, "parent")
    async with h.db() as s:
        [entry] = list(await s.scalars(select(AuditLog).where(
            AuditLog.action == "invites.issue")))
    assert (entry.actor_id, entry.subject) == (None, f"school:{demo.school_id}")
    assert entry.detail == {"count": len(lines), "role": "parent", "via": "cli"} and lines

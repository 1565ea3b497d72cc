"""Which queued message goes first: decided where messages are queued (handlers/delivery.py).

What answers the person who just wrote (a reply, the next question, a refusal) goes before
anything else; a time-sensitive notice (a trial moved or cancelled close to its day, a mentor
who cannot come) before routine timed messages (reminders, digests, summaries). Within a
level the outbox lets schools take turns (``storage.repos.messaging``).
"""

from __future__ import annotations

from datetime import timedelta

from handlers.context import Context
from handlers.events import Outbound
from storage.repos.messaging import BULK, NOTICE, REPLY

# Notices about a trial that matter now rather than in the next routine batch.
TIME_SENSITIVE = frozenset({"trial.moved", "trial.cancelled", "trial.assigned", "mentor.answer"})
# A change to a trial further away than this is news, not an alarm: it waits its turn.
SOON = timedelta(hours=36)

__all__ = ["BULK", "NOTICE", "REPLY", "priority_of"]


async def priority_of(ctx: Context, message: Outbound, to_sender: bool) -> int:
    """``to_sender``: the message goes back to whoever sent the inbound event being handled."""
    if to_sender:
        return REPLY
    if message.purpose not in TIME_SENSITIVE:
        return BULK
    if message.trial_id is None:
        return NOTICE
    trial = await ctx.trials.get(message.trial_id)
    return NOTICE if trial is None or trial.starts_at - ctx.now <= SOON else BULK

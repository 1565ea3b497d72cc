"""Work that falls due with time, as queries over the database and a ``now``.

Each job is registered with ``@due_job("name")`` and returns the messages due at ``ctx.now``;
``synaq tick`` (and the scheduler, every minute) runs every job in its own transaction and
queues what they return. Jobs give each message a ``dedup_key`` so that a second tick for
the same moment queues nothing new.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from .context import Context
from .events import Outbound

DueJob = Callable[[Context], Awaitable[list[Outbound]]]
DUE_JOBS: dict[str, DueJob] = {}


def due_job(name: str) -> Callable[[DueJob], DueJob]:
    def register(fn: DueJob) -> DueJob:
        DUE_JOBS[name] = fn
        return fn
    return register

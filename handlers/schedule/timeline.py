"""The timeline of a trial as data: each kind of timed message and when it is due.

Feature modules declare a :class:`Reminder` (``feature.reminder(...)``) for each message of the timeline in
``../shared/spec/trial-cycle.md`` (consent request and reminders, mentor confirmation, the
pupil's before-questionnaire, logistics, short card, rubric prompt, after-questionnaire, trace
reflection, summary…). The scheduler's due job walks ``ctx.wiring.reminders``: for every trial near
``now``, every reminder, every recipient and every occurrence (the first send and its
repeats) that is due and still ``pending``, it asks ``build`` for the messages and queues them
with a dedup key unique per purpose × trial × recipient × pupil × occurrence, holding messages
to pupils and parents until quiet hours end.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, TypeVar

from handlers.context import Context
from handlers.events import Outbound
from storage.models import Trial


@dataclass(frozen=True)
class Recipient:
    person_id: int
    pupil_id: int | None = None  # the pupil the message is about (a parent's child)


Recipients = Callable[[Context, Trial], Awaitable[list[Recipient]]]
Pending = Callable[[Context, Trial, Recipient], Awaitable[bool]]
Build = Callable[[Context, Trial, Recipient, int], Awaitable[list[Outbound]]]


@dataclass(frozen=True)
class Reminder:
    purpose: str  # e.g. "consent.request"; part of the dedup key
    audience: str  # the recipients' role; pupils and parents are never written to at night
    # What the offsets count from: the trial's start, its end, or when the pupil was put on
    # it ("added": the consent request goes out as soon as that happens).
    anchor: Literal["start", "end", "added"]
    # One offset per occurrence: the first send, then each repeat (e.g. -3 d, -1 d).
    offsets: tuple[timedelta, ...]
    recipients: Recipients
    pending: Pending  # still no answer? (an answer stops the reminders at once)
    build: Build  # the messages of occurrence n (0 = the first send)
    # Local time of day to send at, if the offset alone lands at an odd hour ("after
    # school", "evening"); None sends at the offset's exact moment.
    at_local: str | None = None


# --- read once per trial -----------------------------------------------------------------------

T = TypeVar("T")
_MEMO = "timeline.memo"


def remember_per_trial(ctx: Context) -> None:
    """Within the timeline job (one transaction: nothing it reads changes under it), what the
    ``pending`` checks look up about a trial is read once per trial, not once per recipient
    (with a region's trials, the difference between a few queries and thousands a minute)."""
    ctx.extra[_MEMO] = {}


async def per_trial(ctx: Context, what: str, trial_id: int,
                    load: Callable[[], Awaitable[T]]) -> T:
    """``load()``, remembered for the rest of the timeline job; elsewhere simply ``load()``."""
    memo: dict[tuple[str, int], Any] | None = ctx.extra.get(_MEMO)
    if memo is None:
        return await load()
    if (what, trial_id) not in memo:
        memo[(what, trial_id)] = await load()
    return memo[(what, trial_id)]  # type: ignore[no-any-return]

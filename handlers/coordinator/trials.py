"""The coordinator's trials in the chat: the menu entries, and which trials they may touch.

A coordinator acts within their own school (``Person.school_id``) only: every trial, class,
site or person a payload names is looked up within that school (storage/repos/trial_setup.py),
so a forged id of another school's trial is simply not found and nothing changes. The set-up
lives in setup.py, moving and cancelling in changes.py, the status message and
the trial's invites in status.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from handlers import access
from handlers.access import Action
from handlers.context import Context
from handlers.coordinator.buttons import MyTrials, NewTrial
from handlers.events import Button, Outbound
from handlers.feature import Feature
from handlers.refusal import Refusal
from locales import Safe, Translator, _
from storage.models import Person, Role, School, Trial

feature = Feature("coordinator.trials")

# The refusal of a trial that is not (or no longer) among the coordinator's school's trials.
NOT_FOUND = _("I cannot find this trial among your school's trials, so nothing was changed. "
              "Please use the buttons of your menu: /menu")
# The refusal of what needs the school's classes before they are imported.
NO_CLASSES = _("There are no classes yet. Import the school's lists first: send me the "
               "spreadsheet (XLSX or CSV).")


def coordinator(ctx: Context) -> Person | None:
    """The current person if they coordinate a school (the policy's word:
    handlers/access.py)."""
    return access.coordinator(ctx.person)


async def school_of(ctx: Context) -> School | None:
    person = coordinator(ctx)
    return await ctx.schools.get(person.school_id) if person and person.school_id else None


async def school_trial(ctx: Context, trial_id: int | None) -> Trial | None:
    """The trial if it belongs to the current coordinator's school; None for anything else
    (``Action.MANAGE_TRIAL``)."""
    grant = await access.check(ctx, Action.MANAGE_TRIAL, trial_id=trial_id)
    return grant.trial if grant is not None else None


async def managed_trial(ctx: Context, trial_id: int | None) -> Trial:
    """The trial if it belongs to the current coordinator's school; raises
    ``Refusal(NOT_FOUND)`` for anything else."""
    trial = await school_trial(ctx, trial_id)
    if trial is None:
        raise Refusal(NOT_FOUND)
    return trial


def reply(ctx: Context, lines: Sequence[str], buttons: list[list[Button]]) -> Outbound:
    """A reply to the current person made of already rendered lines."""
    return Outbound(text=Safe("\n".join(lines)), person_id=ctx.person.id if ctx.person else None,
                    buttons=buttons)


def span(tr: Translator, starts: datetime, ends: datetime, tz: str) -> str:
    """"Friday, 27 November, 10:00–12:00" in the reader's language and the school's zone."""
    day = tr.date(starts, tz, "EEEE, d MMMM")
    if tr.date(starts, tz, "yyyyMMdd") != tr.date(ends, tz, "yyyyMMdd"):
        return f"{day}, {tr.time(starts, tz)} – {tr.date(ends, tz, 'EEEE, d MMMM')}, " \
               f"{tr.time(ends, tz)}"
    return f"{day}, {tr.time(starts, tz)}–{tr.time(ends, tz)}"


@feature.menu(Role.COORDINATOR)
async def _entries(ctx: Context) -> list[Button]:
    if coordinator(ctx) is None:
        return []
    return [Button(ctx.tr.plain(_("➕ New trial")), NewTrial().pack()),
            Button(ctx.tr.plain(_("📅 My trials")), MyTrials().pack())]

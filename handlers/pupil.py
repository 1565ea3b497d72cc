"""The pupil's side: the questionnaire before a trial (the rest of form В lands with the cycle)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flows.pupil_before import BEFORE_TRIAL
from locales import _
from storage.models import FlowRun, RunStatus, Trial

from . import conversation
from .context import Context
from .events import Button, Outbound
from .routing import callback, int_arg, menu_section, payload

_DAY = timedelta(days=1)


async def trial_of_pupil(ctx: Context, trial_id: int | None) -> Trial | None:
    """The trial if the current person takes part in it, else None (never another's)."""
    if trial_id is None or ctx.person is None:
        return None
    if await ctx.trials.participant(trial_id, ctx.person.id) is None:
        return None
    trial = await ctx.trials.get(trial_id)
    return trial if trial and trial.status != "cancelled" else None


async def before_is_open(ctx: Context, trial: Trial) -> bool:
    assert ctx.person is not None
    if trial.ends_at <= ctx.now:
        return False
    run = await ctx.runs.latest(ctx.person.id, BEFORE_TRIAL.id, trial.id)
    return run is None or run.status == RunStatus.ACTIVE


@menu_section("pupil")
async def _pupil_menu(ctx: Context) -> list[Button]:
    assert ctx.person is not None
    buttons = []
    tz = await ctx.timezone_of(ctx.person.school_id)
    for trial in await ctx.trials.for_pupil(ctx.person.id, since=ctx.now - _DAY):
        if await before_is_open(ctx, trial):
            label = ctx.tr.plain(_("📝 Before the trial: {trial}, {date}"), trial=trial.title,
                                 date=ctx.tr.date(trial.starts_at, tz, "d MMM"))
            buttons.append(Button(label, payload("pb", trial.id)))
    return buttons


@callback("pb")
async def _start_before(ctx: Context, args: list[str]) -> list[Outbound]:
    """``pb:<trial id>``: start (or resume) the before-trial questionnaire."""
    trial = await trial_of_pupil(ctx, int_arg(args, 0))
    if trial is None:
        return [ctx.say(_("This button is no longer active."))]
    if not await before_is_open(ctx, trial):
        return [ctx.say(_("This questionnaire is already finished. Thank you!"))]
    return await conversation.start(ctx, BEFORE_TRIAL, trial_id=trial.id)


@conversation.context_for(BEFORE_TRIAL.id)
async def _before_context(ctx: Context, run: FlowRun) -> dict[str, Any]:
    trial = await ctx.trials.get(run.trial_id) if run.trial_id else None
    if trial is None:
        return {"trial": "", "when": "", "goal": ""}
    tz = await ctx.timezone_of(trial.school_id)
    return {
        "trial": trial.title,
        "when": ctx.tr.datetime(trial.starts_at, tz, "d MMMM, HH:mm"),
        "goal": trial.pupil_goal or ctx.tr(_("to see what this work is like.")),
    }


"""Runs flows for a person: renders the current step, feeds inputs to the engine, replies.

What a flow's hooks are (its ``{placeholders}``, its guard, what happens when a run is
complete) and where a step's options and text checks come from, features bind by value
(``Feature.flow``, ``options_from``, ``text_check``); this module reads them from
``ctx.wiring``.
"""

from __future__ import annotations

from typing import Any

from flows import FLOWS
from flows.engine import (
    BACK,
    DONE,
    SKIP,
    ButtonInput,
    Checked,
    Engine,
    Input,
    MediaInput,
    Outcome,
)
from flows.model import Choice, Flow, Option, Pick, Step, Text, Upload
from handlers import access
from handlers.buttons import Payload
from handlers.context import Context
from handlers.events import Button, Outbound
from handlers.feature import Feature
from handlers.refusal import Refusal
from locales import Safe, _
from storage.models import FlowRun


def engine(ctx: Context) -> Engine:
    async def options(run: FlowRun, step: Choice) -> tuple[Option, ...]:
        return tuple(await ctx.wiring.options[step.source or ""](ctx, run))

    async def check(run: FlowRun, step: Text, text: str) -> Checked:
        return await ctx.wiring.text_checks[step.check or ""](ctx, run, text)

    return Engine(ctx.runs, ctx.now, options, check)


async def start(ctx: Context, flow: Flow, trial_id: int | None = None,
                pupil_id: int | None = None) -> list[Outbound]:
    """Start (or resume) ``flow`` for the current person and ask its first open question."""
    assert ctx.person is not None
    outcome = await engine(ctx).start(ctx.person.id, flow, trial_id, pupil_id)
    return await _reply(ctx, flow, outcome)


async def resume(ctx: Context, run: FlowRun) -> list[Outbound]:
    """Ask the current question of ``run`` again (after "where was I?", or a restart)."""
    flow = FLOWS[run.flow_id]
    outcome = await engine(ctx).current(run, flow)
    return await _reply(ctx, flow, outcome, intro=_("Let's continue where we left off."))


async def answer(ctx: Context, run: FlowRun, given: Input) -> list[Outbound]:
    """Apply one input of the current person to ``run`` (which must be theirs)."""
    flow = FLOWS[run.flow_id]
    refusal = await guard(ctx, run)
    if refusal is not None:
        return refusal
    outcome = await engine(ctx).accept(run, flow, given, ctx.tr.gettext)
    return await _reply(ctx, flow, outcome)


def accepts_media(run: FlowRun, kind: str) -> bool:
    """Whether the run's current step takes a file of ``kind`` (asked before storing one)."""
    step = FLOWS[run.flow_id].by_id.get(run.step_id or "")
    if isinstance(step, Upload):
        return kind in step.kinds
    return isinstance(step, Text) and step.voice and kind == "voice"


async def _reply(ctx: Context, flow: Flow, outcome: Outcome,
                 intro: str | None = None) -> list[Outbound]:
    run = outcome.run
    values = await _context(ctx, run)
    out: list[Outbound] = []
    if outcome.status == "stale":
        if outcome.step is None:
            return [ctx.say(flow.finished_text)]
        out.append(ctx.say(_("That button belongs to an earlier question. We are here now:")))
    elif outcome.status == "invalid" and outcome.problem:
        out.append(ctx.say(outcome.problem, None, **outcome.problem_params))
    elif outcome.status == "collected":
        return [await ask(ctx, run, outcome.step, values, received=True)]  # type: ignore[arg-type]
    elif outcome.status == "toggled":
        return [await ask(ctx, run, outcome.step, values)]  # type: ignore[arg-type]
    elif intro:
        out.append(ctx.say(intro))
    for note in outcome.notes:
        out.append(ctx.say(note.text, **values))
    if outcome.step is not None:
        out.append(await ask(ctx, run, outcome.step, values))
        return out
    if outcome.status == "completed":
        answers = await ctx.runs.answers(run.id)
        hooks = ctx.wiring.hooks(flow.id)
        extra = await hooks.on_complete(ctx, run, answers) if hooks and hooks.on_complete else []
        if not any(m.person_id == run.person_id for m in extra):
            out.append(ctx.say(flow.done_text, **values))
        out.extend(extra)
    return out


async def _context(ctx: Context, run: FlowRun) -> dict[str, Any]:
    hooks = ctx.wiring.hooks(run.flow_id)
    return await hooks.context(ctx, run) if hooks and hooks.context else {}


async def guard(ctx: Context, run: FlowRun) -> list[Outbound] | None:
    """The flow's refusal of any input now (e.g. consent withdrawn), or None."""
    hooks = ctx.wiring.hooks(run.flow_id)
    return await hooks.guard(ctx, run) if hooks and hooks.guard else None


async def ask(ctx: Context, run: FlowRun, step: Step, values: dict[str, Any],
              received: bool = False) -> Outbound:
    """:func:`prompt`, with a database step's options and a pick's current list."""
    options: tuple[Option, ...] | None = None
    off: set[str] = set()
    if isinstance(step, Choice) and step.source is not None:
        options = await engine(ctx).options_of(run, step)
    if isinstance(step, Pick):
        off = set((await ctx.runs.answers(run.id)).get(step.id, {}).get("off", []))
    return prompt(ctx, run, step, values, received, options=options, off=off)


def prompt(ctx: Context, run: FlowRun, step: Step, values: dict[str, Any],
           received: bool = False, options: tuple[Option, ...] | None = None,
           off: set[str] | None = None) -> Outbound:
    """The message asking ``step``: the question, its buttons, and back / skip. ``options``
    are those of a step with a source; ``off`` what a pick's list has taken off."""
    tr = ctx.tr
    parts: list[str] = []
    if received:
        parts.append(tr(_("Received. Send more, or tap “Done”.")))
    parts.append(tr(step.text, **values))
    rows: list[list[Button]] = []
    if isinstance(step, Choice):
        if step.legend:
            parts.append(f"<i>{tr(step.legend)}</i>")
        buttons = []
        for o in step.options if options is None else options:
            label = o.label if o.literal else tr.gettext(o.label)
            if isinstance(step, Pick):
                label = ("⬜ " if o.value in (off or ()) else "✅ ") + label
            buttons.append(Button(label, FlowAnswer(run.id, step.id, o.value).pack()))
        rows.extend(buttons[i:i + step.row] for i in range(0, len(buttons), step.row))
        if isinstance(step, Pick):
            rows.append([Button(tr.plain(_("Done")), FlowAnswer(run.id, step.id, DONE).pack())])
    elif isinstance(step, Text):
        hint = (_("Type your answer (up to {limit} characters) or send a voice note.")
                if step.voice else _("Type your answer (up to {limit} characters)."))
        parts.append(f"<i>{tr(hint, limit=step.max_len)}</i>")
    elif isinstance(step, Upload):
        parts.append(f"<i>{tr(_('Send a photo, a scan or a file.'))}</i>")
        if step.many:
            rows.append([Button(tr.plain(_("Done")), FlowAnswer(run.id, step.id, DONE).pack())])
    nav: list[Button] = []
    if run.history:
        nav.append(Button(tr.plain(_("« Back")), FlowAnswer(run.id, step.id, BACK).pack()))
    if step.optional:
        label = _("I have none") if isinstance(step, Upload) else _("Skip")
        nav.append(Button(tr.plain(label), FlowAnswer(run.id, step.id, SKIP).pack()))
    if nav:
        rows.append(nav)
    assert ctx.person is not None
    return Outbound(text=Safe("\n\n".join(parts)), person_id=ctx.person.id, buttons=rows,
                    trial_id=run.trial_id)


class FlowAnswer(Payload, prefix="f"):
    """A button of a flow step: an option, or back / skip / done."""

    run_id: int
    step_id: str
    value: str


# The flows' own buttons; listed with the features in handlers/features.py.
feature = Feature("conversation")


@feature.button(FlowAnswer)
async def _flow_button(ctx: Context, p: FlowAnswer) -> list[Outbound]:
    grant = await access.check(ctx, access.Action.ANSWER_RUN, run_id=p.run_id)
    if grant is None or grant.run is None:
        raise Refusal()
    return await answer(ctx, grant.run, ButtonInput(step_id=p.step_id, value=p.value))


async def media_input(ctx: Context, run: FlowRun, media_id: int, kind: str) -> list[Outbound]:
    return await answer(ctx, run, MediaInput(media_id=media_id, kind=kind))

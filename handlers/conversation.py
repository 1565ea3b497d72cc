"""Runs flows for a person: renders the current step, feeds inputs to the engine, replies.

Features register, per flow id, what fills a flow's ``{placeholders}`` (``context_for``) and
what happens when a run is complete (``on_complete``); per name, the options a step takes
from the database (``options_from``, for ``Choice.source``) and the check of a typed answer
(``text_check``, for ``Text.check``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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
from locales import Safe, _
from storage.models import FlowRun

from . import access
from .context import Context
from .events import Button, Outbound
from .routing import callback, int_arg, payload

ContextProvider = Callable[[Context, FlowRun], Awaitable[dict[str, Any]]]
CompletionHook = Callable[[Context, FlowRun, dict[str, dict[str, Any]]], Awaitable[list[Outbound]]]
# Asked before an input is applied; a message here refuses the input (e.g. consent missing).
Guard = Callable[[Context, FlowRun], Awaitable[list[Outbound] | None]]

# The options of a step with a ``source``, for the run's person (ids as values).
OptionProvider = Callable[[Context, FlowRun], Awaitable[list[Option]]]
# Reads a typed answer of a step with a ``check``: the value to store, or the problem.
TextChecker = Callable[[Context, FlowRun, str], Awaitable[Checked]]

CONTEXT_PROVIDERS: dict[str, ContextProvider] = {}
COMPLETION_HOOKS: dict[str, CompletionHook] = {}
GUARDS: dict[str, Guard] = {}
OPTION_SOURCES: dict[str, OptionProvider] = {}
TEXT_CHECKS: dict[str, TextChecker] = {}


def context_for(flow_id: str) -> Callable[[ContextProvider], ContextProvider]:
    def register(fn: ContextProvider) -> ContextProvider:
        CONTEXT_PROVIDERS[flow_id] = fn
        return fn
    return register


def on_complete(flow_id: str) -> Callable[[CompletionHook], CompletionHook]:
    def register(fn: CompletionHook) -> CompletionHook:
        COMPLETION_HOOKS[flow_id] = fn
        return fn
    return register


def guard(flow_id: str) -> Callable[[Guard], Guard]:
    def register(fn: Guard) -> Guard:
        GUARDS[flow_id] = fn
        return fn
    return register


def options_from(name: str) -> Callable[[OptionProvider], OptionProvider]:
    def register(fn: OptionProvider) -> OptionProvider:
        OPTION_SOURCES[name] = fn
        return fn
    return register


def text_check(name: str) -> Callable[[TextChecker], TextChecker]:
    def register(fn: TextChecker) -> TextChecker:
        TEXT_CHECKS[name] = fn
        return fn
    return register


def engine(ctx: Context) -> Engine:
    async def options(run: FlowRun, step: Choice) -> tuple[Option, ...]:
        return tuple(await OPTION_SOURCES[step.source or ""](ctx, run))

    async def check(run: FlowRun, step: Text, text: str) -> Checked:
        return await TEXT_CHECKS[step.check or ""](ctx, run, text)

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
    check = GUARDS.get(flow.id)
    if check is not None:
        refusal = await check(ctx, run)
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
        hook = COMPLETION_HOOKS.get(flow.id)
        extra = await hook(ctx, run, answers) if hook else []
        if not any(m.person_id == run.person_id for m in extra):
            out.append(ctx.say(flow.done_text, **values))
        out.extend(extra)
    return out


async def _context(ctx: Context, run: FlowRun) -> dict[str, Any]:
    provider = CONTEXT_PROVIDERS.get(run.flow_id)
    return await provider(ctx, run) if provider else {}


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
            buttons.append(Button(label, payload("f", run.id, step.id, o.value)))
        rows.extend(buttons[i:i + step.row] for i in range(0, len(buttons), step.row))
        if isinstance(step, Pick):
            rows.append([Button(tr.plain(_("Done")), payload("f", run.id, step.id, DONE))])
    elif isinstance(step, Text):
        hint = (_("Type your answer (up to {limit} characters) or send a voice note.")
                if step.voice else _("Type your answer (up to {limit} characters)."))
        parts.append(f"<i>{tr(hint, limit=step.max_len)}</i>")
    elif isinstance(step, Upload):
        parts.append(f"<i>{tr(_('Send a photo, a scan or a file.'))}</i>")
        if step.many:
            rows.append([Button(tr.plain(_("Done")), payload("f", run.id, step.id, DONE))])
    nav: list[Button] = []
    if run.history:
        nav.append(Button(tr.plain(_("« Back")), payload("f", run.id, step.id, BACK)))
    if step.optional:
        label = _("I have none") if isinstance(step, Upload) else _("Skip")
        nav.append(Button(tr.plain(label), payload("f", run.id, step.id, SKIP)))
    if nav:
        rows.append(nav)
    assert ctx.person is not None
    return Outbound(text=Safe("\n\n".join(parts)), person_id=ctx.person.id, buttons=rows,
                    trial_id=run.trial_id)


@callback("f")
async def _flow_button(ctx: Context, args: list[str]) -> list[Outbound]:
    """A button of a flow step: ``f:<run id>:<step id>:<option>``."""
    grant = await access.check(ctx, access.Action.ANSWER_RUN, run_id=int_arg(args, 0))
    if grant is None or grant.run is None or len(args) < 3:
        return [ctx.say(_("This button is no longer active."))]
    return await answer(ctx, grant.run, ButtonInput(step_id=args[1], value=args[2]))


async def media_input(ctx: Context, run: FlowRun, media_id: int, kind: str) -> list[Outbound]:
    return await answer(ctx, run, MediaInput(media_id=media_id, kind=kind))

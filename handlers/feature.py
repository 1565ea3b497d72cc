"""What a feature plugs into the pipeline, held by the feature as one value.

Each feature module makes one ``Feature`` and declares on it what it handles::

    feature = Feature("mentor.confirm")

    @feature.button(WillCome)               # a kind of button (handlers/buttons.py)
    async def will_come(ctx: Context, p: WillCome) -> list[Outbound]: ...

    feature.flow(DECLINE, context=decline_context, on_complete=reason_given)
    feature.reminder(Reminder("mentor.confirm", ...))

Nothing is registered by importing a module: ``handlers/features.py`` lists the features in
menu order, and :meth:`Wiring.of` joins them into the tables the pipeline reads (``ctx.wiring``),
refusing two handlers for one button kind, command, due job, reminder or flow hook, and a flow
step that names an option source or a text check nobody provides.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flows.engine import Checked
from flows.model import Choice, Flow, Option, Text
from handlers.buttons import Payload
from handlers.context import Context
from handlers.events import Button, Inbound, IncomingMedia, Outbound
from handlers.schedule.timeline import Reminder
from storage.models import FlowRun, Role

P = TypeVar("P", bound=Payload)
F = TypeVar("F", bound=Callable[..., Any])

ButtonHandler = Callable[[Context, Any], Awaitable[list[Outbound]]]
MenuProvider = Callable[[Context], Awaitable[list[Button]]]
CommandHandler = Callable[[Context, Inbound, str], Awaitable[list[Outbound]]]
# A taker of files sent outside a question that expects one (a coordinator's spreadsheet); it
# returns None to leave the file to others.
FileHandler = Callable[[Context, IncomingMedia], Awaitable[list[Outbound] | None]]
DueJob = Callable[[Context], Awaitable[list[Outbound]]]

# Flow hooks: what fills a flow's {placeholders}; a refusal of any input before it is applied
# (e.g. consent missing); what happens when a run is complete; the effective photo tier for
# files sent into it (None: no restriction, e.g. a document from staff).
ContextProvider = Callable[[Context, FlowRun], Awaitable[dict[str, Any]]]
Guard = Callable[[Context, FlowRun], Awaitable[list[Outbound] | None]]
CompletionHook = Callable[[Context, FlowRun, dict[str, dict[str, Any]]], Awaitable[list[Outbound]]]
TierRule = Callable[[Context, FlowRun], Awaitable[str | None]]
# The options of a step with a ``source`` for the run's person (ids as values), and the check
# of a typed answer of a step with a ``check``.
OptionProvider = Callable[[Context, FlowRun], Awaitable[list[Option]]]
TextChecker = Callable[[Context, FlowRun, str], Awaitable[Checked]]

# The order in which a person holding several roles sees their menu sections.
ROLE_ORDER = (Role.COORDINATOR, Role.TEACHER, Role.MENTOR, Role.PARENT, Role.PUPIL, Role.REGIONAL)
# ``menu(EVERYONE)``: an entry every person's menu ends with (their data).
EVERYONE = "*"


class WiringError(ValueError):
    """Two features claim the same thing, or a flow names a hook nobody provides."""


@dataclass(frozen=True)
class FlowHooks:
    flow: Flow
    context: ContextProvider | None = None
    guard: Guard | None = None
    on_complete: CompletionHook | None = None
    media_rule: TierRule | None = None


@dataclass
class Feature:
    name: str
    buttons: dict[type[Payload], ButtonHandler] = field(default_factory=dict)
    commands: dict[str, CommandHandler] = field(default_factory=dict)
    menus: list[tuple[str, MenuProvider]] = field(default_factory=list)
    files: list[FileHandler] = field(default_factory=list)
    due_jobs: dict[str, DueJob] = field(default_factory=dict)
    reminders: list[Reminder] = field(default_factory=list)
    flows: list[FlowHooks] = field(default_factory=list)
    options: dict[str, OptionProvider] = field(default_factory=dict)
    text_checks: dict[str, TextChecker] = field(default_factory=dict)

    def button(self, kind: type[P]) -> Callable[
            [Callable[[Context, P], Awaitable[list[Outbound]]]],
            Callable[[Context, P], Awaitable[list[Outbound]]]]:
        """The handler of buttons of ``kind``; it receives the parsed value."""
        def register(fn: Callable[[Context, P], Awaitable[list[Outbound]]]
                     ) -> Callable[[Context, P], Awaitable[list[Outbound]]]:
            _claim(self.buttons, kind, fn, self.name)
            return fn
        return register

    def command(self, name: str) -> Callable[[CommandHandler], CommandHandler]:
        """A slash command for known people (``/name``)."""
        def register(fn: CommandHandler) -> CommandHandler:
            _claim(self.commands, name, fn, self.name)
            return fn
        return register

    def menu(self, role: str) -> Callable[[MenuProvider], MenuProvider]:
        """Buttons of ``role``'s menu (or ``EVERYONE``'s, under the roles' sections)."""
        def register(fn: MenuProvider) -> MenuProvider:
            self.menus.append((role, fn))
            return fn
        return register

    def file(self, fn: FileHandler) -> FileHandler:
        self.files.append(fn)
        return fn

    def due(self, name: str) -> Callable[[DueJob], DueJob]:
        """Work due at ``ctx.now`` (``synaq tick`` and the scheduler run every job)."""
        def register(fn: DueJob) -> DueJob:
            _claim(self.due_jobs, name, fn, self.name)
            return fn
        return register

    def reminder(self, r: Reminder) -> Reminder:
        """A timed message of a trial's timeline (handlers/schedule/timeline.py)."""
        self.reminders.append(r)
        return r

    def flow(self, flow: Flow, *, context: ContextProvider | None = None,
             guard: Guard | None = None, on_complete: CompletionHook | None = None,
             media_rule: TierRule | None = None) -> None:
        """Binds the hooks of ``flow``, by value, in one place."""
        self.flows.append(FlowHooks(flow, context, guard, on_complete, media_rule))

    def options_from(self, name: str) -> Callable[[OptionProvider], OptionProvider]:
        def register(fn: OptionProvider) -> OptionProvider:
            _claim(self.options, name, fn, self.name)
            return fn
        return register

    def text_check(self, name: str) -> Callable[[TextChecker], TextChecker]:
        def register(fn: TextChecker) -> TextChecker:
            _claim(self.text_checks, name, fn, self.name)
            return fn
        return register


@dataclass(frozen=True)
class Wiring:
    """The features joined: what the pipeline looks up, by button prefix, command, flow id…"""

    features: tuple[Feature, ...] = ()
    buttons: dict[str, tuple[type[Payload], ButtonHandler]] = field(default_factory=dict)
    commands: dict[str, CommandHandler] = field(default_factory=dict)
    menus: dict[str, list[MenuProvider]] = field(default_factory=dict)
    files: tuple[FileHandler, ...] = ()
    due_jobs: dict[str, DueJob] = field(default_factory=dict)
    reminders: dict[str, Reminder] = field(default_factory=dict)
    flows: dict[str, FlowHooks] = field(default_factory=dict)
    options: dict[str, OptionProvider] = field(default_factory=dict)
    text_checks: dict[str, TextChecker] = field(default_factory=dict)

    @classmethod
    def of(cls, features: Iterable[Feature], flows: Iterable[Flow] = ()) -> Wiring:
        """Joins ``features`` (in menu order) and checks them against ``flows``."""
        w = cls(features=tuple(features))
        files: list[FileHandler] = []
        for f in w.features:
            for kind, fn in f.buttons.items():
                _claim(w.buttons, kind.prefix, (kind, fn), f.name)
            for name, command in f.commands.items():
                _claim(w.commands, name, command, f.name)
            for role, provider in f.menus:
                w.menus.setdefault(role, []).append(provider)
            files.extend(f.files)
            for name, job in f.due_jobs.items():
                _claim(w.due_jobs, name, job, f.name)
            for r in f.reminders:
                _claim(w.reminders, r.purpose, r, f.name)
            for hooks in f.flows:
                _claim(w.flows, hooks.flow.id, hooks, f.name)
            for name, source in f.options.items():
                _claim(w.options, name, source, f.name)
            for name, check in f.text_checks.items():
                _claim(w.text_checks, name, check, f.name)
        w = cls(**{**w.__dict__, "files": tuple(files)})
        problems = w.problems(flows)
        if problems:
            raise WiringError("; ".join(problems))
        return w

    def problems(self, flows: Iterable[Flow]) -> list[str]:
        """Flow steps naming an option source or a text check that no feature provides, and
        hooks bound to a flow that is not among ``flows``."""
        found: list[str] = []
        known = {f.id: f for f in flows}
        for flow in known.values():
            for step in flow.steps:
                if isinstance(step, Choice) and step.source and step.source not in self.options:
                    found.append(f"{flow.id}.{step.id}: no options from {step.source!r}")
                if isinstance(step, Text) and step.check and step.check not in self.text_checks:
                    found.append(f"{flow.id}.{step.id}: no text check {step.check!r}")
        if known:
            found += [f"hooks bound to unknown flow {fid!r}" for fid in self.flows
                      if fid not in known]
        return found

    def hooks(self, flow_id: str) -> FlowHooks | None:
        return self.flows.get(flow_id)


def _claim(table: dict[Any, Any], key: Any, value: Any, owner: str) -> None:
    if key in table:
        raise WiringError(f"{key!r} is claimed twice (the second time by {owner})")
    table[key] = value

"""The engine: validates an input against the run's current step, stores the answer, moves on.

It knows nothing of trials or channels. One call = one change, made inside the caller's
transaction, so an answer is committed together with whatever the caller sends back.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from locales import _
from storage.models import FlowRun, RunStatus
from storage.repos.flows import FlowRuns

from .model import Answers, Choice, Flow, Note, Option, Pick, Step, Text, Upload

BACK, SKIP, DONE = "~back", "~skip", "~done"


@dataclass(frozen=True)
class TextInput:
    text: str


@dataclass(frozen=True)
class ButtonInput:
    """A tapped button: the step it was shown for, and the option (or BACK / SKIP / DONE)."""

    step_id: str
    value: str


@dataclass(frozen=True)
class MediaInput:
    media_id: int
    kind: str


Input = TextInput | ButtonInput | MediaInput

Status = Literal["advanced", "collected", "toggled", "back", "invalid", "stale", "completed"]


@dataclass(frozen=True)
class Checked:
    """What a text check made of an answer: the value to store, or what is wrong."""

    value: dict[str, Any] | None = None
    problem: str | None = None  # msgid
    params: dict[str, int | str] = field(default_factory=dict)


# Supplied by the caller for flows with database options (``Choice.source``) or checked
# texts (``Text.check``); the engine itself stays free of what they look up.
OptionSource = Callable[[FlowRun, Choice], Awaitable[tuple[Option, ...]]]
TextCheck = Callable[[FlowRun, Text, str], Awaitable[Checked]]


@dataclass
class Outcome:
    status: Status
    run: FlowRun
    step: Step | None  # the step to ask now; None once the run is complete
    notes: list[Note] = field(default_factory=list)  # passed on the way, show them first
    problem: str | None = None  # msgid saying what was wrong with the input
    problem_params: dict[str, int | str] = field(default_factory=dict)


class Engine:
    def __init__(self, runs: FlowRuns, now: datetime, options: OptionSource | None = None,
                 check: TextCheck | None = None) -> None:
        self.runs = runs
        self.now = now
        self._options = options
        self._check = check

    async def options_of(self, run: FlowRun, step: Choice) -> tuple[Option, ...]:
        """The step's options: its own, or those its source gives now."""
        if step.source is None:
            return step.options
        if self._options is None:
            raise LookupError(f"step {step.id} needs options from {step.source!r}")
        return await self._options(run, step)

    async def start(
        self, person_id: int, flow: Flow, trial_id: int | None = None,
        pupil_id: int | None = None,
    ) -> Outcome:
        """Start ``flow``, or resume the person's open run of it about the same subject."""
        run = await self.runs.latest(person_id, flow.id, trial_id, pupil_id)
        if run is not None and run.status == RunStatus.ACTIVE:
            return await self.current(run, flow)
        notes, step = _skip_notes(flow, flow.first_step({}), {})
        run = await self.runs.create(
            person_id, flow.id, step.id if step else None, self.now, trial_id, pupil_id
        )
        if step is None:
            await self._complete(run, flow, [])
            return Outcome("completed", run, None, notes)
        return Outcome("advanced", run, step, notes)

    async def current(self, run: FlowRun, flow: Flow) -> Outcome:
        """Where the run stands, to ask again after a restart or a "where was I?"."""
        if run.status != RunStatus.ACTIVE:
            return Outcome("completed", run, None)
        step = flow.by_id.get(run.step_id or "")
        if step is None:  # the flow changed under a running conversation: first gap
            answers = await self.runs.answers(run.id)
            step = next((s for s in flow.steps if s.id not in answers
                         and not isinstance(s, Note) and s.applies(answers)), None)
            if step is None:
                await self._complete(run, flow, run.history)
                return Outcome("completed", run, None)
            await self.runs.move(run, step.id, run.history, self.now)
        return Outcome("advanced", run, step)

    async def accept(self, run: FlowRun, flow: Flow, given: Input,
                     label_of: Callable[[str], str]) -> Outcome:
        """Apply one input to the run. ``label_of`` renders an option label in the person's
        language, so that a typed label is understood."""
        if run.status != RunStatus.ACTIVE or run.step_id not in flow.by_id:
            return Outcome("stale", run, None)
        step = flow.by_id[run.step_id]
        if isinstance(given, ButtonInput) and given.step_id != step.id:
            return Outcome("stale", run, step)
        command = given.value if isinstance(given, ButtonInput) else None
        if isinstance(given, TextInput):
            command = {"/back": BACK, "/skip": SKIP, "/done": DONE}.get(given.text.strip().lower())

        if command == BACK:
            return await self._back(run, flow, step)
        if command == SKIP:
            if not step.optional:
                return Outcome("invalid", run, step, problem=_("This question cannot be skipped."))
            return await self._store_and_advance(run, flow, step, {"skipped": True})
        if command == DONE and isinstance(step, Upload):
            answers = await self.runs.answers(run.id)
            if answers.get(step.id, {}).get("media"):
                return await self._advance(run, flow, step, answers)
            if step.optional:
                return await self._store_and_advance(run, flow, step, {"skipped": True})
            return Outcome("invalid", run, step, problem=_("Please send a photo or a file first."))

        if isinstance(step, Pick):
            return await self._pick(run, flow, step, given, command, label_of)
        if isinstance(step, Choice):
            return await self._choice(run, flow, step, given, label_of)
        if isinstance(step, Text):
            return await self._text(run, flow, step, given)
        if isinstance(step, Upload):
            return await self._upload(run, flow, step, given)
        return Outcome("stale", run, step)

    # --- step kinds ---------------------------------------------------------------------

    async def _choice(self, run: FlowRun, flow: Flow, step: Choice, given: Input,
                      label_of: Callable[[str], str]) -> Outcome:
        value: str | None = None
        options = await self.options_of(run, step)
        if isinstance(given, ButtonInput):
            value = given.value if any(o.value == given.value for o in options) else None
            if value is None:
                return Outcome("stale", run, step)
        elif isinstance(given, TextInput):
            value = _match_option(options, given.text, label_of)
        if value is None:
            return Outcome("invalid", run, step, problem=_(
                "Please choose one of the answers: tap a button or send its number."))
        return await self._store_and_advance(run, flow, step, {"choice": value})

    async def _pick(self, run: FlowRun, flow: Flow, step: Pick, given: Input,
                    command: str | None, label_of: Callable[[str], str]) -> Outcome:
        options = await self.options_of(run, step)
        answers = await self.runs.answers(run.id)
        off = set(answers.get(step.id, {}).get("off", []))
        if command == DONE:
            chosen = [o.value for o in options if o.value not in off]
            if not chosen and not step.optional:
                return Outcome("invalid", run, step, problem=_(
                    "At least one must stay on the list. Tap a name to put it back."))
            return await self._store_and_advance(
                run, flow, step, {"off": sorted(off), "chosen": chosen})
        values: list[str | None]
        if isinstance(given, ButtonInput):
            if not any(o.value == given.value for o in options):
                return Outcome("stale", run, step)
            values = [given.value]
        elif isinstance(given, TextInput) and given.text.strip():
            parts = [p for p in re.split(r"[,;\s]+", given.text.strip()) if p]
            typed = parts if all(p.isdigit() for p in parts) else [given.text]
            values = [_match_option(options, part, label_of) for part in typed]
        else:
            values = [None]
        if None in values:
            return Outcome("invalid", run, step, problem=_(
                "Tap a name (or send its number) to take it off the list or put it back; "
                "then tap “Done”."))
        off ^= {v for v in values if v is not None}
        if not await self.runs.move(run, step.id, run.history, self.now):
            return Outcome("stale", run, step)
        await self.runs.put_answer(run.id, step.id, {"off": sorted(off)}, self.now)
        return Outcome("toggled", run, step)

    async def _text(self, run: FlowRun, flow: Flow, step: Text, given: Input) -> Outcome:
        if isinstance(given, MediaInput):
            if step.voice and given.kind == "voice":
                return await self._store_and_advance(
                    run, flow, step, {"media": [given.media_id], "kind": "voice"})
            return Outcome("invalid", run, step, problem=_(
                "Here I need an answer in words: please type it (or send a voice note)."))
        if isinstance(given, ButtonInput):
            return Outcome("stale", run, step)
        text = given.text.strip()
        if not text:
            return Outcome("invalid", run, step, problem=_("Please type your answer."))
        if len(text) > step.max_len:
            return Outcome(
                "invalid", run, step,
                problem=_("That is {length} characters; here at most {limit} fit. "
                          "Please send a shorter answer."),
                problem_params={"length": len(text), "limit": step.max_len},
            )
        if step.check is not None:
            if self._check is None:
                raise LookupError(f"step {step.id} needs the check {step.check!r}")
            checked = await self._check(run, step, text)
            if checked.value is None:
                return Outcome("invalid", run, step,
                               problem=checked.problem or _("Please type your answer."),
                               problem_params=checked.params)
            return await self._store_and_advance(run, flow, step, {"text": text, **checked.value})
        return await self._store_and_advance(run, flow, step, {"text": text})

    async def _upload(self, run: FlowRun, flow: Flow, step: Upload, given: Input) -> Outcome:
        if not isinstance(given, MediaInput) or given.kind not in step.kinds:
            problem = (
                _("Please send a photo or a file, or tap “Done” when you have sent everything.")
                if step.many else _("Please send a photo or a file.")
            )
            return Outcome("invalid", run, step, problem=problem)
        if not step.many:
            return await self._store_and_advance(run, flow, step, {"media": [given.media_id]})
        if not await self.runs.move(run, step.id, run.history, self.now):
            return Outcome("stale", run, step)
        answers = await self.runs.answers(run.id)
        media = [*answers.get(step.id, {}).get("media", []), given.media_id]
        await self.runs.put_answer(run.id, step.id, {"media": media}, self.now)
        return Outcome("collected", run, step)

    # --- moving ---------------------------------------------------------------------------

    async def _store_and_advance(self, run: FlowRun, flow: Flow, step: Step,
                                 value: dict[str, object]) -> Outcome:
        answers = await self.runs.answers(run.id)
        answers[step.id] = value  # type: ignore[assignment]
        outcome = await self._advance(run, flow, step, answers)
        if outcome.status != "stale":
            await self.runs.put_answer(run.id, step.id, value, self.now)
        return outcome

    async def _advance(self, run: FlowRun, flow: Flow, step: Step, answers: Answers) -> Outcome:
        notes, nxt = _skip_notes(flow, flow.step_after(step.id, answers), answers)
        history = [*run.history, step.id]
        if nxt is None:
            if not await self.runs.move(run, None, history, self.now, RunStatus.COMPLETED):
                return Outcome("stale", run, step)
            await self.runs.drop_answers(
                run.id, [s.id for s in flow.steps if s.id in answers and not s.applies(answers)]
            )
            return Outcome("completed", run, None, notes)
        if not await self.runs.move(run, nxt.id, history, self.now):
            return Outcome("stale", run, step)
        return Outcome("advanced", run, nxt, notes)

    async def _back(self, run: FlowRun, flow: Flow, step: Step) -> Outcome:
        if not run.history:
            return Outcome("invalid", run, step, problem=_("This is the first question."))
        *history, previous = run.history
        if not await self.runs.move(run, previous, history, self.now):
            return Outcome("stale", run, step)
        return Outcome("back", run, flow.by_id[previous])

    async def _complete(self, run: FlowRun, flow: Flow, history: list[str]) -> None:
        await self.runs.move(run, None, history, self.now, RunStatus.COMPLETED)


def _skip_notes(flow: Flow, step: Step | None, answers: Answers) -> tuple[list[Note], Step | None]:
    notes: list[Note] = []
    while isinstance(step, Note):
        notes.append(step)
        step = flow.step_after(step.id, answers)
    return notes, step


_NUMBER = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")


def _match_option(options: tuple[Option, ...], typed: str,
                  label_of: Callable[[str], str]) -> str | None:
    """A typed answer to a choice: the option's number, its label, or its value."""
    m = _NUMBER.match(typed)
    if m:
        index = int(m.group(1))
        # Options whose labels are themselves numbers (a 1–3 scale) are matched by label.
        for option in options:
            if option.label == m.group(1):
                return option.value
        if 1 <= index <= len(options):
            return options[index - 1].value
        return None
    folded = typed.strip().casefold()
    for option in options:
        label = option.label if option.literal else label_of(option.label)
        if folded in (label.casefold(), option.value.casefold()):
            return option.value
    return None

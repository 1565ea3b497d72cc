"""What a flow is made of: steps as plain data, conditions as plain data.

A flow reads like the paper form it implements; nothing here knows about channels or trials.
Texts are msgids (marked with ``_``) and may name ``{placeholders}`` that the handler fills
from the run's context when it renders the step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from locales import _

Answers = dict[str, dict[str, Any]]  # step id → stored value ({"choice": …}, {"text": …}, …)


# --- conditions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Eq:
    """True when step ``step`` was answered with choice ``value``."""

    step: str
    value: str

    def holds(self, answers: Answers) -> bool:
        return answers.get(self.step, {}).get("choice") == self.value


@dataclass(frozen=True)
class Ne:
    """True when step ``step`` was not answered with choice ``value`` (skipped counts)."""

    step: str
    value: str

    def holds(self, answers: Answers) -> bool:
        return answers.get(self.step, {}).get("choice") != self.value


@dataclass(frozen=True)
class AnyOf:
    step: str
    values: tuple[str, ...]

    def holds(self, answers: Answers) -> bool:
        return answers.get(self.step, {}).get("choice") in self.values


@dataclass(frozen=True)
class All:
    """True when every one of ``conditions`` holds."""

    conditions: tuple[Eq | Ne | AnyOf, ...]

    def holds(self, answers: Answers) -> bool:
        return all(c.holds(answers) for c in self.conditions)


Condition = Eq | Ne | AnyOf | All


# --- steps -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    value: str  # short ASCII: it travels in callback data (≤ 64 bytes in all)
    label: str  # msgid, or with ``literal`` the text itself (a name from the database)
    literal: bool = False


@dataclass(frozen=True, kw_only=True)
class Step:
    id: str
    text: str
    optional: bool = False
    when: Condition | None = None

    def applies(self, answers: Answers) -> bool:
        return self.when is None or self.when.holds(answers)


@dataclass(frozen=True, kw_only=True)
class Note(Step):
    """A message with no answer: shown, then the flow moves on."""


@dataclass(frozen=True, kw_only=True)
class Choice(Step):
    """One answer out of a few, given by a button (or its number or label typed)."""

    options: tuple[Option, ...] = ()
    # An optional caption shown under the question, e.g. the scale's legend.
    legend: str | None = None
    # Buttons per row when rendered; short labels (1/2/3) fit on one row.
    row: int = 1
    # Options that are rows of the database (a school's sites, a class's pupils) come from
    # the provider registered under this name, asked again whenever the step is shown or
    # answered: a value is accepted only if the provider offers it to that person then.
    source: str | None = None


@dataclass(frozen=True, kw_only=True)
class Pick(Choice):
    """Several of a list, all chosen at first: each tap takes an option off the list or puts
    it back, "done" moves on. Stored as ``{"off": [...], "chosen": [...]}``."""


@dataclass(frozen=True, kw_only=True)
class Text(Step):
    """Free text up to ``max_len`` characters; a voice note is accepted when ``voice``."""

    max_len: int = 1000
    voice: bool = True
    # A check registered under this name reads the text (a date and time, a list of steps)
    # and gives the value to store, or says what is wrong with it.
    check: str | None = None


@dataclass(frozen=True, kw_only=True)
class Upload(Step):
    """A photo, scan or file. With ``many``, several, closed by "done"."""

    many: bool = False
    kinds: tuple[str, ...] = ("photo", "document")


@dataclass(frozen=True)
class Flow:
    id: str
    steps: tuple[Step, ...]
    # Shown once the last step is answered.
    done_text: str = _("Thank you! Your answers are saved.")
    # Shown when a button of a run that is already complete is pressed.
    finished_text: str = _("This questionnaire is already finished. Thank you!")
    version: int = 1
    by_id: dict[str, Step] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ids = [s.id for s in self.steps]
        if len(ids) != len(set(ids)):
            raise ValueError(f"flow {self.id}: duplicate step ids")
        for step in self.steps:
            if len(step.id) > 20 or not step.id.replace("_", "").isalnum():
                raise ValueError(f"flow {self.id}: step id {step.id!r} must be short ASCII")
        object.__setattr__(self, "by_id", {s.id: s for s in self.steps})

    def first_step(self, answers: Answers) -> Step | None:
        return self._next_from(0, answers)

    def step_after(self, step_id: str, answers: Answers) -> Step | None:
        index = [s.id for s in self.steps].index(step_id)
        return self._next_from(index + 1, answers)

    def _next_from(self, index: int, answers: Answers) -> Step | None:
        for step in self.steps[index:]:
            if step.applies(answers):
                return step
        return None


# --- common step shapes ------------------------------------------------------------------

YES = Option("yes", _("Yes"))
NO = Option("no", _("No"))
UNSURE = Option("unsure", _("Hard to say"))


def YesNo(id: str, text: str, **kw: Any) -> Choice:  # noqa: N802 - reads like a step kind
    return Choice(id=id, text=text, options=(YES, NO), row=2, **kw)


def YesNoUnsure(id: str, text: str, **kw: Any) -> Choice:  # noqa: N802
    return Choice(id=id, text=text, options=(YES, NO, UNSURE), row=3, **kw)


# Form Б scale (l. 7953–8080): 1 needs help · 2 with instruction · 3 independently.
SCALE_LEGEND = _(
    "1 — needs help · 2 — performs with instruction · 3 — performs independently and consciously"
)


def Scale3(id: str, text: str, **kw: Any) -> Choice:  # noqa: N802
    options = (Option("1", "1"), Option("2", "2"), Option("3", "3"))
    kw.setdefault("legend", SCALE_LEGEND)
    return Choice(id=id, text=text, options=options, row=3, **kw)

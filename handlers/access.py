"""Who may see or do what: the one place that decides it.

Every handler asks :func:`check` before it shows or changes anything a payload names::

    grant = await access.check(ctx, Action.RATE, trial_id=trial_id)
    if grant is None:
        raise Refusal()
    trial = grant.trial

The decision is made from the database only — the person's roles (``PersonRole``), their
school (``Person.school_id``), the part they play in a trial (``Trial.mentor_id`` /
``escort_id`` / ``coordinator_id``), the pupils on it (``Participant``), the guardian links
the school made (``Guardian``) and whose a run is (``FlowRun.person_id``) — never from what a
button says. A grant carries the rows the decision loaded, so the handler does not look them
up again. A refusal is ``None``: the handler answers in its own words and changes nothing.

What is *not* decided here is the state of the work (the rubric opens when the trial starts,
the short card on the day, a withdrawn consent closes the questionnaires): those are rules
of the trial cycle and stay with the features. The three-tier photo rule decides which of a
pupil's files may be shown (handlers/portfolio/view.py ``shown_media``) once this policy has said
that the person may see the pupil's portfolio or summary at all.

The command line (``synaq export``, ``invites``, ``import``, ``backup``) is not a person of
this policy: it is the server's operator, who holds the database itself; what it does is
recorded in the audit log with no actor.

The roles × actions matrix (``tests/test_access_matrix.py``) walks :data:`RULES`. The module
is longer than most on purpose: the whole policy reads in one place.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from handlers.context import Context
from storage.models import (
    DeletionRequest,
    FlowRun,
    Participant,
    Person,
    Role,
    SchoolClass,
    Summary,
    Trial,
)
from storage.repos.access import AccessRepo

RUBRIC_FLOW = "mentor.rubric"
SENT = "sent"


class Action(StrEnum):
    """Everything a person can do or see that concerns someone else's data, or a trial."""

    # anyone who has joined
    ANSWER_RUN = "run.answer"  # a button of a questionnaire: the run is theirs
    MY_DATA = "privacy.mydata"  # the file of what Synaq holds: themselves or their child
    REQUEST_DELETION = "privacy.forget"  # ask for erasure: themselves (adults) or their child
    # pupil
    PUPIL_TRIAL = "pupil.trial"  # before / after / trace questionnaires of a trial they are on
    # parent
    CONSENT = "parent.consent"  # the briefing, give / change / withdraw consent for a child
    FAMILY_SUMMARY = "parent.summary"  # a child's sent summary, the next-step choice
    PORTFOLIO = "family.portfolio"  # a pupil's portfolio: the pupil or their parent
    # mentor
    MENTOR_TRIAL = "mentor.trial"  # confirm, the rubric of a trial they lead
    RUBRIC_RUN = "mentor.rubric_run"  # one pupil's rubric card of that trial
    # mentor, escort, coordinator of the trial
    SHORT_CARD = "trial.short_card"  # the pupils and their need-to-know flags
    # escort (and the trial's coordinator)
    ATTENDANCE = "escort.attendance"  # the attendance list and the +/− card
    MARK_PUPIL = "escort.mark"  # one participant's attendance or +/− mark
    APPROVE_SUMMARY = "summary.approve"  # read, edit, approve a draft summary
    # coordinator, within their school
    SET_UP_TRIAL = "coordinator.setup"  # a new trial, the school's list of trials
    MANAGE_TRIAL = "coordinator.trial"  # status, move, cancel, staff, duplicate, invites
    INVITE_CLASS = "coordinator.invites"  # a class's invite codes
    IMPORT = "coordinator.import"  # the school's lists from a spreadsheet
    EXPORT = "coordinator.export"  # journal, targets, a trial's report
    DELIVERY_REPORT = "coordinator.delivery"  # who has not received what
    CONFIRM_DELETION = "coordinator.deletion"  # confirm or decline a deletion request
    DIGEST = "coordinator.digest"  # receive the school's daily digest and reviews
    # regional career centre
    REGIONAL_FIGURES = "regional.figures"  # depersonalised figures across schools


@dataclass(frozen=True)
class Grant:
    """A yes, with the rows the decision is about."""

    action: Action
    person: Person
    trial: Trial | None = None
    pupil: Person | None = None
    run: FlowRun | None = None
    summary: Summary | None = None
    participant: Participant | None = None
    school_class: SchoolClass | None = None
    request: DeletionRequest | None = None

    @property
    def school_id(self) -> int | None:
        return self.person.school_id


@dataclass(frozen=True)
class Ask:
    """What the payload names (ids, unchecked until a rule has looked them up)."""

    trial_id: int | None = None
    pupil_id: int | None = None
    run_id: int | None = None
    summary_id: int | None = None
    participant_id: int | None = None
    class_id: int | None = None
    request_id: int | None = None
    school_id: int | None = None


Rule = Callable[[AccessRepo, Person, Ask], Awaitable[Grant | None]]
RULES: dict[Action, Rule] = {}


def rule(action: Action) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        RULES[action] = fn
        return fn
    return register


async def check(ctx: Context, action: Action, *, trial_id: int | None = None,
                pupil_id: int | None = None, run_id: int | None = None,
                summary_id: int | None = None, participant_id: int | None = None,
                class_id: int | None = None, request_id: int | None = None,
                school_id: int | None = None) -> Grant | None:
    """May the current person do ``action`` on what the ids name? A grant, or None."""
    return await decide(ctx.access_facts, ctx.person, action, Ask(
        trial_id, pupil_id, run_id, summary_id, participant_id, class_id, request_id,
        school_id))


async def decide(repo: AccessRepo, person: Person | None, action: Action,
                 ask: Ask) -> Grant | None:
    """The decision for any person (None: a stranger); the matrix test calls this."""
    if person is None or person.anonymised_at is not None:
        return None
    return await RULES[action](repo, person, ask)


def holds(person: Person | None, role: str) -> bool:
    return person is not None and person.anonymised_at is None and role in person.role_names


def coordinator(person: Person | None) -> Person | None:
    """The person if they coordinate a school."""
    if holds(person, Role.COORDINATOR) and person is not None and person.school_id is not None:
        return person
    return None


def receives_digest(person: Person, school_id: int | None) -> bool:
    """The school's daily digest, quarterly review and agreements reminder go to its
    coordinators (rule :attr:`Action.DIGEST`, for the due jobs that pick recipients)."""
    return coordinator(person) is not None and person.school_id == school_id


# --- everyone --------------------------------------------------------------------------------


@rule(Action.ANSWER_RUN)
async def _answer_run(repo: AccessRepo, person: Person, ask: Ask) -> Grant | None:
    run = await repo.run(ask.run_id) if ask.run_id else None
    if run is None or run.person_id != person.id:
        return None
    return Grant(Action.ANSWER_RUN, person, run=run)


async def _own_or_child(repo: AccessRepo, person: Person, pupil_id: int | None,
                        action: Action, self_allowed: bool = True) -> Grant | None:
    if pupil_id is None:
        return None
    if pupil_id == person.id:
        return Grant(action, person, pupil=person) if self_allowed else None
    if not holds(person, Role.PARENT) or not await repo.is_guardian(person.id, pupil_id):
        return None
    pupil = await repo.person(pupil_id)
    if pupil is None or pupil.anonymised_at is not None:
        return None
    return Grant(action, person, pupil=pupil)


@rule(Action.MY_DATA)
async def _my_data(repo: AccessRepo, person: Person, ask: Ask) -> Grant | None:
    return await _own_or_child(repo, person, ask.pupil_id, Action.MY_DATA)


@rule(Action.REQUEST_DELETION)
async def _request_deletion(repo: AccessRepo, person: Person, ask: Ask) -> Grant | None:
    """Adults for themselves; a pupil's data is asked for by their legal representative
    (the law lets the subject *or* the representative act; schools treat pupils as minors,
    so a pupil's own request goes to their parents — handlers/deletion.py)."""
    adult = not holds(person, Role.PUPIL)
    return await _own_or_child(repo, person, ask.pupil_id, Action.REQUEST_DELETION,
                               self_allowed=adult)


# --- pupil -----------------------------------------------------------------------------------


@rule(Action.PUPIL_TRIAL)
async def _pupil_trial(repo: AccessRepo, person: Person, ask: Ask) -> Grant | None:
    if not holds(person, Role.PUPIL) or ask.trial_id is None:
        return None
    trial = await repo.pupil_trial(person.id, ask.trial_id)
    return Grant(Action.PUPIL_TRIAL, person, trial=trial, pupil=person) if trial else None


# --- parent ----------------------------------------------------------------------------------


@rule(Action.CONSENT)
async def _consent(repo: AccessRepo, person: Person, ask: Ask) -> Grant | None:
    if not holds(person, Role.PARENT) or ask.trial_id is None or ask.pupil_id is None:
        return None
    found = await repo.family_trial(person.id, ask.trial_id, ask.pupil_id)
    if found is None:
        return None
    trial, pupil = found
    return Grant(Action.CONSENT, person, trial=trial, pupil=pupil)


@rule(Action.FAMILY_SUMMARY)
async def _family_summary(repo: AccessRepo, person: Person, ask: Ask) -> Grant | None:
    if not holds(person, Role.PARENT):
        return None
    if ask.summary_id is not None:
        summary = await repo.summary(ask.summary_id)
    elif ask.trial_id is not None and ask.pupil_id is not None:
        summary = await repo.summary_of(ask.trial_id, ask.pupil_id)
    else:
        return None
    if (summary is None or summary.status != SENT
            or not await repo.is_guardian(person.id, summary.pupil_id)):
        return None
    return Grant(Action.FAMILY_SUMMARY, person, summary=summary)


@rule(Action.PORTFOLIO)
async def _portfolio(repo: AccessRepo, person: Person, ask: Ask) -> Grant | None:
    if ask.pupil_id == person.id and not holds(person, Role.PUPIL):
        return None  # a portfolio is a pupil's
    return await _own_or_child(repo, person, ask.pupil_id, Action.PORTFOLIO)


# --- the people a trial names ----------------------------------------------------------------


def plays(trial: Trial, person_id: int, *parts: str) -> bool:
    """The person is the trial's mentor / escort / coordinator (as ``parts`` say)."""
    return any(getattr(trial, f"{part}_id") == person_id for part in parts)


async def _trial_as(repo: AccessRepo, person: Person, trial_id: int | None, action: Action,
                    *parts: str) -> Grant | None:
    if trial_id is None:
        return None
    trial = await repo.live_trial(trial_id)
    if trial is None or not plays(trial, person.id, *parts):
        return None
    return Grant(action, person, trial=trial)


@rule(Action.MENTOR_TRIAL)
async def _mentor_trial(repo: AccessRepo, person: Person, ask: Ask) -> Grant | None:
    if not holds(person, Role.MENTOR):
        return None
    return await _trial_as(repo, person, ask.trial_id, Action.MENTOR_TRIAL, "mentor")


@rule(Action.RUBRIC_RUN)
async def _rubric_run(repo: AccessRepo, person: Person, ask: Ask) -> Grant | None:
    """A rubric run of this mentor, about a pupil on a trial they lead."""
    run = await repo.run(ask.run_id) if ask.run_id else None
    if (run is None or run.flow_id != RUBRIC_FLOW or run.person_id != person.id
            or run.status == "cancelled" or run.pupil_id is None):
        return None
    trial = await _mentor_trial(repo, person, Ask(trial_id=run.trial_id))
    if trial is None or trial.trial is None:
        return None
    participant = await repo.participant(trial.trial.id, run.pupil_id)
    if participant is None:
        return None
    return Grant(Action.RUBRIC_RUN, person, trial=trial.trial, run=run, participant=participant)


@rule(Action.SHORT_CARD)
async def _short_card(repo: AccessRepo, person: Person, ask: Ask) -> Grant | None:
    return await _trial_as(repo, person, ask.trial_id, Action.SHORT_CARD,
                           "mentor", "escort", "coordinator")


@rule(Action.ATTENDANCE)
async def _attendance(repo: AccessRepo, person: Person, ask: Ask) -> Grant | None:
    return await _trial_as(repo, person, ask.trial_id, Action.ATTENDANCE, "escort", "coordinator")


@rule(Action.MARK_PUPIL)
async def _mark_pupil(repo: AccessRepo, person: Person, ask: Ask) -> Grant | None:
    participant = (await repo.participant_by_id(ask.participant_id)
                   if ask.participant_id else None)
    if participant is None:
        return None
    found = await _trial_as(repo, person, participant.trial_id, Action.MARK_PUPIL,
                            "escort", "coordinator")
    if found is None:
        return None
    return Grant(Action.MARK_PUPIL, person, trial=found.trial, participant=participant)


@rule(Action.APPROVE_SUMMARY)
async def _approve_summary(repo: AccessRepo, person: Person, ask: Ask) -> Grant | None:
    """The trial's escort or coordinator, or the class teacher of the pupil's class."""
    summary = await repo.summary(ask.summary_id) if ask.summary_id else None
    if summary is None:
        return None
    trial = await repo.live_trial(summary.trial_id)
    pupil = await repo.person(summary.pupil_id)
    if trial is None or pupil is None or pupil.anonymised_at is not None:
        return None
    if not (plays(trial, person.id, "escort", "coordinator")
            or await repo.class_teacher(pupil.class_id) == person.id):
        return None
    return Grant(Action.APPROVE_SUMMARY, person, trial=trial, pupil=pupil, summary=summary)


# --- the coordinator, within their school ----------------------------------------------------


def _coordinating(person: Person, action: Action) -> Grant | None:
    return Grant(action, person) if coordinator(person) is not None else None


@rule(Action.SET_UP_TRIAL)
async def _set_up(repo: AccessRepo, person: Person, ask: Ask) -> Grant | None:
    return _coordinating(person, Action.SET_UP_TRIAL)


@rule(Action.IMPORT)
async def _import(repo: AccessRepo, person: Person, ask: Ask) -> Grant | None:
    return _coordinating(person, Action.IMPORT)


@rule(Action.DELIVERY_REPORT)
async def _delivery(repo: AccessRepo, person: Person, ask: Ask) -> Grant | None:
    return _coordinating(person, Action.DELIVERY_REPORT)


@rule(Action.DIGEST)
async def _digest(repo: AccessRepo, person: Person, ask: Ask) -> Grant | None:
    return Grant(Action.DIGEST, person) if receives_digest(person, ask.school_id) else None


async def _school_trial(repo: AccessRepo, person: Person, trial_id: int | None,
                        action: Action) -> Grant | None:
    if coordinator(person) is None or trial_id is None:
        return None
    trial = await repo.trial(trial_id)
    if trial is None or trial.school_id != person.school_id:
        return None
    return Grant(action, person, trial=trial)


@rule(Action.MANAGE_TRIAL)
async def _manage_trial(repo: AccessRepo, person: Person, ask: Ask) -> Grant | None:
    """The school's trial, cancelled ones too (the status says so; a copy may be made)."""
    return await _school_trial(repo, person, ask.trial_id, Action.MANAGE_TRIAL)


@rule(Action.EXPORT)
async def _export(repo: AccessRepo, person: Person, ask: Ask) -> Grant | None:
    """The school's journal and targets; with a trial, that trial's report."""
    if ask.trial_id is None:
        return _coordinating(person, Action.EXPORT)
    return await _school_trial(repo, person, ask.trial_id, Action.EXPORT)


@rule(Action.INVITE_CLASS)
async def _invite_class(repo: AccessRepo, person: Person, ask: Ask) -> Grant | None:
    """A class of the school (without a class: the list of the school's classes)."""
    if coordinator(person) is None:
        return None
    if ask.class_id is None:
        return Grant(Action.INVITE_CLASS, person)
    school_class = await repo.school_class(ask.class_id)
    if school_class is None or school_class.school_id != person.school_id:
        return None
    return Grant(Action.INVITE_CLASS, person, school_class=school_class)


@rule(Action.CONFIRM_DELETION)
async def _confirm_deletion(repo: AccessRepo, person: Person, ask: Ask) -> Grant | None:
    if coordinator(person) is None or ask.request_id is None:
        return None
    request = await repo.deletion_request(ask.request_id)
    if request is None or request.school_id != person.school_id:
        return None
    return Grant(Action.CONFIRM_DELETION, person, request=request)


# --- the region ------------------------------------------------------------------------------


@rule(Action.REGIONAL_FIGURES)
async def _regional(repo: AccessRepo, person: Person, ask: Ask) -> Grant | None:
    return Grant(Action.REGIONAL_FIGURES, person) if holds(person, Role.REGIONAL) else None

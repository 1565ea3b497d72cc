"""The mentor's rubric (form Б) on a phone: six taps per pupil, and the next pupil comes by
itself.

Who is rated: the pupils with parent consent whom the escort did not mark absent (so when
attendance was not marked, everybody with consent, and the messages say so). Each pupil is
one ``mentor.rubric`` run; the optional 2-minute feedback reopens that run when the mentor
asks for it. Until the card is submitted any rating can be changed from the overview; after
that the card is read-only. Every id in a button is checked: the run must be the mentor's,
its trial theirs (Trial.mentor_id) and the pupil on it.

One module, a little over the usual size, because the card is one conversation: rating,
the overview, changing a rating, submitting and the prompts that lead to it read together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flows.criteria import CRITERIA
from flows.mentor_rubric import FEEDBACK_STEPS, RATING_STEPS, RESULT_OPTIONS, RUBRIC
from flows.model import Choice
from handlers import access, conversation
from handlers.access import Action
from handlers.context import Context
from handlers.events import Button, Outbound
from handlers.feature import Feature
from handlers.mentor.buttons import (
    ANYWAY,
    AddFeedback,
    AskRating,
    ChangeRating,
    PupilRatings,
    RateCard,
    RubricOverview,
    SubmitCard,
)
from handlers.mentor.short_card import Entry, roster
from handlers.refusal import NOT_ACTIVE, Refusal
from handlers.schedule.timeline import Recipient, Reminder
from locales import Safe, Translator, _, escape
from storage.models import (
    Attendance,
    FlowRun,
    MentorStatus,
    Person,
    Role,
    RunStatus,
    Trial,
    TrialStatus,
)
from storage.repos.rubric import is_rated

feature = Feature("mentor.rubric")

Answers = dict[str, dict[str, Any]]

SUBMITTED = _("The card for this trial is already submitted, so the ratings can no longer be "
              "changed. Thank you!")
QUESTION = {c.id: c.question for c in CRITERIA} | {"result": _("Result of the mini-task")}
SHORT = {c.id: c.short for c in CRITERIA} | {"result": _("Mini-task")}
FEEDBACK_LABELS = {
    "comment": _("Comment"), "plus": _("Plus"), "delta": _("Delta"), "next_step": _("Next step"),
}


# --- the state of a mentor's card ----------------------------------------------------------


@dataclass
class Sheet:
    trial: Trial
    to_rate: list[Entry]  # present (or not marked) and with consent, in roster order
    assumed: list[Entry]  # among them, those whose attendance nobody marked
    absent: list[Entry]
    runs: dict[int, FlowRun] = field(default_factory=dict)  # pupil id → newest run
    answers: dict[int, Answers] = field(default_factory=dict)  # run id → answers

    def of(self, pupil_id: int) -> tuple[FlowRun | None, Answers]:
        run = self.runs.get(pupil_id)
        return run, (self.answers.get(run.id, {}) if run else {})

    def rated(self, pupil_id: int) -> bool:
        return is_rated(self.of(pupil_id)[1])

    def entry(self, pupil_id: int) -> Entry | None:
        return next((e for e in self.to_rate if e.pupil.id == pupil_id), None)


async def sheet(ctx: Context, trial: Trial) -> Sheet:
    entries = await roster(ctx, trial)
    to_rate = [e for e in entries
               if e.admitted and e.participant.attendance != Attendance.ABSENT]
    result = Sheet(
        trial=trial, to_rate=to_rate,
        assumed=[e for e in to_rate if e.participant.attendance is None],
        absent=[e for e in entries if e.participant.attendance == Attendance.ABSENT],
    )
    if trial.mentor_id:
        result.runs = await ctx.rubrics.runs(trial.id, trial.mentor_id)
        result.answers = await ctx.runs.answers_of([r.id for r in result.runs.values()])
    return result


def _names(entries: list[Entry]) -> str:
    return ", ".join(e.pupil.full_name for e in entries)


def _scores(tr: Translator, answers: Answers) -> str:
    """"3·2·3·2·3 · yes": the five criteria in card order, then the mini-task result."""
    scores = "·".join(str(answers[c.id]["choice"]) for c in CRITERIA)
    return f"{scores} · {_result_label(tr, answers)}"


def _result_label(tr: Translator, answers: Answers) -> str:
    value = answers.get("result", {}).get("choice")
    return next((tr.gettext(o.label) for o in RESULT_OPTIONS if o.value == value), "—")


def _has_feedback(answers: Answers) -> bool:
    return any(answers.get(s, {}).get("text") for s in FEEDBACK_STEPS)


# --- access -------------------------------------------------------------------------------


async def _open_trial(ctx: Context, trial_id: int) -> Trial:
    """The current mentor's trial whose card is open for rating; else :class:`Refusal`."""
    grant = await access.check(ctx, Action.MENTOR_TRIAL, trial_id=trial_id)
    if grant is None or grant.trial is None:
        raise Refusal()
    return _card_state(ctx, grant.trial)


def _card_state(ctx: Context, trial: Trial) -> Trial:
    """The trial if its card is open for rating now; else :class:`Refusal` saying why not."""
    if ctx.now < trial.starts_at:
        raise Refusal(_("The rubric opens when the trial starts."))
    if trial.card_submitted_at is not None:
        raise Refusal(SUBMITTED)
    return trial


async def _own_run(ctx: Context, run_id: int) -> tuple[FlowRun, Trial]:
    """A rubric run of the current mentor, about a pupil of their open trial; else
    :class:`Refusal`."""
    grant = await access.check(ctx, Action.RUBRIC_RUN, run_id=run_id)
    if grant is None or grant.run is None or grant.trial is None:
        raise Refusal()
    return grant.run, _card_state(ctx, grant.trial)


async def _card_open(ctx: Context, run: FlowRun) -> list[Outbound] | None:
    """Every answer to the rubric: still this mentor's trial, card not yet submitted."""
    grant = await access.check(ctx, Action.MENTOR_TRIAL, trial_id=run.trial_id)
    if grant is None or grant.trial is None or run.person_id != grant.person.id:
        return [ctx.say(NOT_ACTIVE)]
    trial = grant.trial
    if trial.card_submitted_at is not None:
        return [ctx.say(SUBMITTED)]
    return None


async def _rubric_context(ctx: Context, run: FlowRun) -> dict[str, Any]:
    pupil = await ctx.people.get(run.pupil_id) if run.pupil_id else None
    return {"pupil": pupil.full_name if pupil else ""}


# --- rating, pupil after pupil ---------------------------------------------------------------


@feature.button(RateCard)
async def _rate(ctx: Context, p: RateCard) -> list[Outbound]:
    """Go on with the next pupil; with ``pupil_id``, that pupil."""
    trial = await _open_trial(ctx, p.trial_id)
    state = await sheet(ctx, trial)
    if p.pupil_id is not None:
        entry = state.entry(p.pupil_id)
        if entry is None:
            raise Refusal()
        run, answers = state.of(entry.pupil.id)
        if run is not None and is_rated(answers):
            return [await pupil_card(ctx, run, entry.pupil, answers)]
        return await conversation.start(ctx, RUBRIC, trial.id, entry.pupil.id)
    out = [] if state.runs else [_intro(ctx, state)]
    return out + await _next(ctx, trial)


def _intro(ctx: Context, state: Sheet) -> Outbound:
    tr = ctx.tr
    lines: list[str] = [tr(_("<b>Rubric: {title}</b>\nPupils to rate: {count}. For each, five criteria "
                  "and the mini-task result: six taps, and the next pupil comes by itself. "
                  "You can change any rating until you submit the card."),
                title=state.trial.title, count=len(state.to_rate))]
    lines += _attendance_notes(tr, state)
    assert ctx.person is not None
    return Outbound(text=Safe("\n\n".join(lines)), person_id=ctx.person.id,
                    trial_id=state.trial.id)


def _attendance_notes(tr: Translator, state: Sheet) -> list[str]:
    notes: list[str] = []
    if state.assumed:
        notes.append(tr(_("ℹ️ Attendance was not marked for: {names}. They are on the list "
                          "because their parents gave consent."), names=_names(state.assumed)))
    if state.absent:
        notes.append(tr(_("Marked absent: {names}."), names=_names(state.absent)))
    return notes


async def _next(ctx: Context, trial: Trial, done_run: int | None = None) -> list[Outbound]:
    """What the mentor does now: a pupil left midway, else the next pupil not yet rated,
    else the overview with "Submit the card"."""
    state = await sheet(ctx, trial)
    for entry in state.to_rate:
        run, answers = state.of(entry.pupil.id)
        if (run is not None and run.id != done_run and run.status == RunStatus.ACTIVE
                and not is_rated(answers)):
            return await conversation.resume(ctx, run)
    for entry in state.to_rate:
        if entry.pupil.id not in state.runs:
            return await conversation.start(ctx, RUBRIC, trial.id, entry.pupil.id)
    return [await overview(ctx, trial, state)]


async def _pupil_done(ctx: Context, run: FlowRun, answers: Answers) -> list[Outbound]:
    """After the sixth tap (or the feedback): what was saved, then straight on."""
    trial = await ctx.trials.get(run.trial_id) if run.trial_id else None
    pupil = await ctx.people.get(run.pupil_id) if run.pupil_id else None
    if trial is None or pupil is None:
        return []
    tr = ctx.tr
    if answers.get("more", {}).get("choice") == "yes":
        saved = ctx.say(_("✅ Feedback for {pupil} is saved."), pupil=pupil.full_name)
    else:
        saved = ctx.say(
            _("✅ {pupil}: {scores}. Saved; you can change it until you submit the card."),
            [[Button(tr.plain(_("✍️ Add feedback: {pupil}"), pupil=pupil.full_name),
                     AddFeedback(run.id).pack())]],
            pupil=pupil.full_name, scores=_scores(tr, answers))
    return [saved, *await _next(ctx, trial, done_run=run.id)]


# --- the overview, and changing a rating -----------------------------------------------------


async def overview(ctx: Context, trial: Trial, state: Sheet | None = None,
                   lead: str | None = None) -> Outbound:
    """Every pupil's scores; buttons to change one, to rate the rest, and to submit."""
    assert ctx.person is not None
    state = state or await sheet(ctx, trial)
    tr = ctx.tr
    lines = [lead] if lead else []
    lines.append(tr(_("<b>Rubric: {title}</b>"), title=trial.title))
    rows: list[list[Button]] = []
    for i, entry in enumerate(state.to_rate, 1):
        run, answers = state.of(entry.pupil.id)
        name = entry.pupil.full_name
        if run is not None and is_rated(answers):
            mark = " ✍️" if _has_feedback(answers) else ""
            lines.append(f"{i}. {escape(name)} — {escape(_scores(tr, answers))}{mark}")
            rows.append([Button(tr.plain(_("✎ {pupil}"), pupil=name), PupilRatings(run.id).pack())])
        else:
            status = _("in progress") if run is not None else _("not rated yet")
            lines.append(f"{i}. {escape(name)} — {tr(status)}")
            rows.append([Button(tr.plain(_("▶ {pupil}"), pupil=name),
                                RateCard(trial.id, entry.pupil.id).pack())])
    if not state.to_rate:
        lines.append(tr(_("Nobody to rate: no pupil with parent consent was marked present.")))
    lines += _attendance_notes(tr, state)
    if trial.card_submitted_at is not None:
        lines.append(tr(_("The card is submitted. Thank you!")))
        rows = []
    else:
        lines.append(tr(_("<i>✎ changes a pupil's ratings. When everything is right, submit "
                          "the card: after that it cannot be changed.</i>")))
        rows.append([Button(tr.plain(_("📨 Submit the card")), SubmitCard(trial.id).pack())])
    return Outbound(text=Safe("\n".join(lines)), person_id=ctx.person.id, buttons=rows,
                    trial_id=trial.id)


@feature.button(RubricOverview)
async def _overview(ctx: Context, p: RubricOverview) -> list[Outbound]:
    """The overview."""
    return [await overview(ctx, await _open_trial(ctx, p.trial_id))]


async def pupil_card(ctx: Context, run: FlowRun, pupil: Person, answers: Answers,
                     lead: str | None = None) -> Outbound:
    """One pupil's ratings and feedback, each rating a button that changes it."""
    assert ctx.person is not None and run.trial_id is not None  # a rubric run is a trial's
    tr = ctx.tr
    lines = [lead] if lead else []
    lines.append(f"<b>{escape(pupil.full_name)}</b>")
    for step in RATING_STEPS:
        value = (_result_label(tr, answers) if step == "result"
                 else answers.get(step, {}).get("choice", "—"))
        lines.append(f"{tr(QUESTION[step])}: <b>{escape(value)}</b>")
    for step in FEEDBACK_STEPS:
        text = answers.get(step, {}).get("text")
        if text:
            lines.append(f"{tr(FEEDBACK_LABELS[step])}: {escape(text)}")
    lines.append(tr(_("<i>Tap a rating to change it.</i>")))
    buttons = [Button(f"{tr(SHORT[s])}: {answers.get(s, {}).get('choice', '—')}"
                      if s != "result" else f"{tr(SHORT[s])}: {_result_label(tr, answers)}",
                      AskRating(run.id, s).pack()) for s in RATING_STEPS]
    feedback = (_("✍️ Rewrite feedback") if _has_feedback(answers) else _("✍️ Add feedback"))
    rows = [buttons[0:3], buttons[3:5], buttons[5:6],
            [Button(tr.plain(feedback), AddFeedback(run.id).pack())],
            [Button(tr.plain(_("📋 All pupils")), RubricOverview(run.trial_id).pack())]]
    return Outbound(text=Safe("\n".join(lines)), person_id=ctx.person.id, buttons=rows,
                    trial_id=run.trial_id)


@feature.button(PupilRatings)
async def _pupil(ctx: Context, p: PupilRatings) -> list[Outbound]:
    """One pupil's card."""
    run, _trial = await _own_run(ctx, p.run_id)
    answers = await ctx.runs.answers(run.id)
    if not is_rated(answers):
        return await conversation.resume(ctx, run)
    pupil = await ctx.people.get(run.pupil_id or 0)
    assert pupil is not None
    return [await pupil_card(ctx, run, pupil, answers)]


def _rating_step(step_id: str) -> Choice | None:
    step = RUBRIC.by_id.get(step_id)
    return step if step_id in RATING_STEPS and isinstance(step, Choice) else None


@feature.button(AskRating)
async def _ask_change(ctx: Context, p: AskRating) -> list[Outbound]:
    """Ask one rating again."""
    run, _trial = await _own_run(ctx, p.run_id)
    step = _rating_step(p.step_id)
    if step is None:
        raise Refusal()
    answers = await ctx.runs.answers(run.id)
    pupil = await ctx.people.get(run.pupil_id or 0)
    tr = ctx.tr
    now = (_result_label(tr, answers) if step.id == "result"
           else answers.get(step.id, {}).get("choice", "—"))
    text = tr(_("<b>{pupil}</b>\n{question}\nNow: {value}"),
              pupil=pupil.full_name if pupil else "", question=Safe(tr(QUESTION[step.id])),
              value=now)
    if step.legend:
        text = Safe(f"{text}\n<i>{tr(step.legend)}</i>")
    options = [Button(tr.gettext(o.label), ChangeRating(run.id, step.id, o.value).pack())
               for o in step.options]
    back = Button(tr.plain(_("« Back")), PupilRatings(run.id).pack())
    return [Outbound(text=text, person_id=run.person_id, trial_id=run.trial_id,
                     buttons=[options, [back]])]


@feature.button(ChangeRating)
async def _change(ctx: Context, p: ChangeRating) -> list[Outbound]:
    """Store the changed rating."""
    run, _trial = await _own_run(ctx, p.run_id)
    step = _rating_step(p.step_id)
    if step is None:
        raise Refusal()
    value = p.value
    answers = await ctx.runs.answers(run.id)
    if not is_rated(answers) or all(o.value != value for o in step.options):
        raise Refusal()
    await ctx.runs.put_answer(run.id, step.id, {"choice": value}, ctx.now)
    answers[step.id] = {"choice": value}
    pupil = await ctx.people.get(run.pupil_id or 0)
    assert pupil is not None
    return [await pupil_card(ctx, run, pupil, answers, lead=ctx.tr(_("Changed.")))]


@feature.button(AddFeedback)
async def _feedback(ctx: Context, p: AddFeedback) -> list[Outbound]:
    """The 2-minute feedback for a rated pupil (comment, plus, delta, next step), each
    skippable; reopens the pupil's run at the comment."""
    run, _trial = await _own_run(ctx, p.run_id)
    answers = await ctx.runs.answers(run.id)
    if not is_rated(answers) or run.status == RunStatus.ACTIVE:
        return await conversation.resume(ctx, run)
    await ctx.runs.put_answer(run.id, "more", {"choice": "yes"}, ctx.now)
    # "Back" from the comment returns to the mini-task result.
    history = [s for s in run.history if s in RATING_STEPS]
    if not await ctx.runs.move(run, FEEDBACK_STEPS[0], history, ctx.now):
        return [ctx.say(NOT_ACTIVE)]  # said, not raised: "more" is already written
    step = RUBRIC.by_id[FEEDBACK_STEPS[0]]
    return [conversation.prompt(ctx, run, step, await _rubric_context(ctx, run))]


# --- submitting -------------------------------------------------------------------------------


@feature.button(SubmitCard)
async def _submit(ctx: Context, p: SubmitCard) -> list[Outbound]:
    """Submit the card; with ``anyway``, even with pupils not rated."""
    trial = await _open_trial(ctx, p.trial_id)
    state = await sheet(ctx, trial)
    missing = [e for e in state.to_rate if not state.rated(e.pupil.id)]
    if missing and p.anyway != ANYWAY:
        tr = ctx.tr
        return [ctx.say(
            _("Not rated yet: {names}. Rate them first, or submit the card without them (for "
              "example, if they left early)."),
            [[Button(tr.plain(_("▶ Continue rating")), RateCard(trial.id).pack())],
             [Button(tr.plain(_("📨 Submit without them")),
                     SubmitCard(trial.id, ANYWAY).pack())]],
            names=_names(missing))]
    if not await ctx.trials.submit_card(trial, ctx.now):  # a second tap: nothing was written
        raise Refusal(SUBMITTED)
    # Runs still open: a pupil reopened for feedback keeps what was written; a pupil rated
    # halfway is left out of the card.
    open_runs = await ctx.rubrics.open_runs(trial.id)
    answers = await ctx.runs.answers_of([r.id for r in open_runs])
    for run in open_runs:
        if is_rated(answers.get(run.id, {})):
            await ctx.runs.move(run, None, run.history, ctx.now, RunStatus.COMPLETED)
        else:
            await ctx.runs.cancel(run, ctx.now)
    rated = len(state.to_rate) - len(missing)
    return [ctx.say(_("📨 The card for «{title}» is submitted. Pupils rated: {count}. Thank "
                      "you for your time and your feedback to the pupils!"),
                    title=trial.title, count=rated)]


# --- timeline: at the end of the trial, +3 h, and the next morning ------------------------


async def _mentor_of(ctx: Context, trial: Trial) -> list[Recipient]:
    return [Recipient(trial.mentor_id)] if trial.mentor_id else []


async def _card_missing(ctx: Context, trial: Trial, recipient: Recipient) -> bool:
    # A mentor who said they cannot come is not asked (the menu still has the rubric).
    return (trial.status != TrialStatus.CANCELLED and trial.mentor_id == recipient.person_id
            and trial.mentor_status != MentorStatus.DECLINED
            and trial.card_submitted_at is None)


async def _rubric_prompt(ctx: Context, trial: Trial, recipient: Recipient,
                         repeat: bool) -> list[Outbound]:
    person = await ctx.people.get(recipient.person_id)
    if person is None:
        return []
    tr = ctx.tr_for(person)
    state = await sheet(ctx, trial)
    rated = sum(state.rated(e.pupil.id) for e in state.to_rate)
    if repeat:
        text = tr(_("A reminder: the card for «{title}» is not submitted yet ({rated} of "
                    "{count} pupils rated)."),
                  title=trial.title, rated=rated, count=len(state.to_rate))
    else:
        text = tr(_("«{title}» is over: thank you for your time with the pupils! Please rate "
                    "each pupil's work (six taps per pupil). Pupils to rate: {count}."),
                  title=trial.title, count=len(state.to_rate))
    button = Button(tr.plain(_("✍️ Rate the pupils")), RateCard(trial.id).pack())
    return [Outbound(text=text, person_id=person.id, buttons=[[button]],
                     purpose="mentor.rubric", trial_id=trial.id)]


async def _at_the_end(ctx: Context, trial: Trial, recipient: Recipient,
                      occurrence: int) -> list[Outbound]:
    return await _rubric_prompt(ctx, trial, recipient, repeat=occurrence > 0)


async def _next_morning(ctx: Context, trial: Trial, recipient: Recipient,
                        occurrence: int) -> list[Outbound]:
    return await _rubric_prompt(ctx, trial, recipient, repeat=True)


feature.reminder(Reminder(
    purpose="mentor.rubric", audience=Role.MENTOR, anchor="end",
    offsets=(timedelta(0), timedelta(hours=3)),
    recipients=_mentor_of, pending=_card_missing, build=_at_the_end,
))
# "The next morning" is a time of day, so it is a reminder of its own.
feature.reminder(Reminder(
    purpose="mentor.rubric.morning", audience=Role.MENTOR, anchor="end",
    offsets=(timedelta(days=1),), at_local="09:00",
    recipients=_mentor_of, pending=_card_missing, build=_next_morning,
))


feature.flow(RUBRIC, guard=_card_open, context=_rubric_context, on_complete=_pupil_done)

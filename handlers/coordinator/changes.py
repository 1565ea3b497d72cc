"""Changing a trial that is already set up: moving it, cancelling it, assigning its mentor and
escort later. Everyone affected is told at once, each in their own language.

Moving (flow ``trial.move``): the new time is stored, the text version goes up (the parents'
consents cite it: their decisions stand, and the message lets them review), the mentor's
answer starts over and is asked for again, and the schedule version goes up so that the
timeline's reminders follow the new time (handlers/reminders.py); timed messages of the old
time still waiting in the outbox are withdrawn. Cancelling: the trial is marked cancelled
(the timeline skips it from then on), its waiting timed messages are withdrawn, and the
open conversations about it are closed. Messages to pupils and parents wait for the end of
quiet hours like every other message to them.

Moving, cancelling and re-staffing share what a change owes everyone affected (notices,
withdrawn messages, closed conversations); they stay in one module for that.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flows.model import Option
from flows.trial_setup import MOVE, TRIAL_COPY, TRIAL_MOVE, TRIAL_STAFF
from handlers import conversation
from handlers.context import Context
from handlers.coordinator.buttons import (
    AssignStaff,
    CancelTrial,
    ConfirmCancel,
    DuplicateTrial,
    MoveTrial,
    ShowTrial,
)
from handlers.coordinator.overlaps import overlap_lines
from handlers.coordinator.setup import mentors_of_site
from handlers.coordinator.trials import managed_trial, reply, school_of, school_trial, span
from handlers.coordinator.when import example_when, stored_when
from handlers.events import Button, Outbound
from handlers.feature import Feature
from handlers.mentor.confirm import confirmation
from handlers.menu import menu_button
from handlers.parent.buttons import ViewConsent
from handlers.parent.consent import consent_buttons, decision_text
from handlers.refusal import Refusal
from handlers.schedule.reminders import MOVED, outdated, parse_key
from handlers.schedule.school_time import SchoolTime
from locales import Safe, _
from storage.models import FlowRun, Outbox, Person, Role, Trial, TrialStatus

feature = Feature("coordinator.changes")

MOVED_PURPOSE, CANCELLED_PURPOSE, ASSIGNED_PURPOSE = "trial.moved", "trial.cancelled", \
    "trial.assigned"


def _status_button(ctx: Context, trial: Trial) -> list[Button]:
    return [Button(ctx.tr.plain(_("📋 Trial status")), ShowTrial(trial.id).pack())]


async def changeable(ctx: Context, trial_id: int | None) -> Trial:
    """The school's trial if it can still be moved or cancelled (planned, not begun); else
    raises the :class:`Refusal` saying why not."""
    trial = await managed_trial(ctx, trial_id)
    if trial.status == TrialStatus.CANCELLED:
        raise Refusal(_("The trial «{trial}» is cancelled, so it cannot be changed. You can "
                        "duplicate it with a new time."), trial=trial.title)
    if trial.starts_at <= ctx.now:
        raise Refusal(_("The trial «{trial}» has already begun, so it cannot be moved or "
                        "cancelled here."), trial=trial.title)
    return trial


# --- who is affected ---------------------------------------------------------------------------

async def families(ctx: Context, trial: Trial) -> list[tuple[Person, list[Person]]]:
    """Each pupil of the trial with their parents; nobody anonymised."""
    participants = await ctx.trials.participants(trial.id)
    guardians = await ctx.people.guardians_of(p.pupil_id for p in participants)
    people = await ctx.people.many([*(p.pupil_id for p in participants),
                                    *(g for gs in guardians.values() for g in gs)])
    found = []
    for p in participants:
        pupil = people.get(p.pupil_id)
        if pupil is None or pupil.anonymised_at is not None:
            continue
        parents = [people[g] for g in guardians.get(pupil.id, [])
                   if g in people and people[g].anonymised_at is None]
        found.append((pupil, parents))
    return found


async def _withdraw(ctx: Context, trial: Trial, stale: Callable[[Outbox], bool],
                    reason: str) -> int:
    """Withdraw the trial's messages still waiting in the outbox that ``stale`` picks."""
    rows = await ctx.trial_setup.queued(trial.id)
    return await ctx.due_work.cancel([r.id for r in rows if stale(r)], reason)


async def _told(ctx: Context, messages: list[Outbound]) -> tuple[int, int]:
    """(people told who can be reached, people who have not joined and hear nothing)."""
    ids = {m.person_id for m in messages if m.person_id is not None}
    reachable = await ctx.people.preferred_identities(ids)
    return len(reachable), len(ids) - len(reachable)


# --- moving ------------------------------------------------------------------------------------

@feature.button(MoveTrial)
async def _move(ctx: Context, p: MoveTrial) -> list[Outbound]:
    """Ask for the new time."""
    trial = await changeable(ctx, p.trial_id)
    return await conversation.start(ctx, TRIAL_MOVE, trial_id=trial.id)


async def _move_guard(ctx: Context, run: FlowRun) -> list[Outbound] | None:
    try:
        await changeable(ctx, run.trial_id)
    except Refusal as refusal:  # answered here, not raised: the run is cancelled first
        await ctx.runs.cancel(run, ctx.now)
        return [ctx.say(refusal.msgid, **refusal.params)]
    return None


async def _move_context(ctx: Context, run: FlowRun) -> dict[str, Any]:
    trial = await school_trial(ctx, run.trial_id)
    school = await school_of(ctx)
    if trial is None or school is None:
        return {"trial": "", "current": "", "example": "", "new": ""}
    tz = school.timezone
    when = stored_when(await ctx.runs.answers(run.id))
    return {"trial": trial.title, "current": span(ctx.tr, trial.starts_at, trial.ends_at, tz),
            "example": example_when(ctx.now, ZoneInfo(tz)),
            "new": span(ctx.tr, when.starts, when.ends, tz) if when else ""}


async def _moved(ctx: Context, run: FlowRun, answers: dict[str, Any]) -> list[Outbound]:
    try:
        trial, tr = await changeable(ctx, run.trial_id), ctx.tr
    except Refusal as refusal:  # answered here, not raised: the run is complete by now
        return [ctx.say(refusal.msgid, **refusal.params)]
    when = stored_when(answers)
    if answers.get("confirm", {}).get("choice") != MOVE or when is None:
        return [ctx.say(_("Nothing changed: «{trial}» keeps its time."),
                        [_status_button(ctx, trial)], trial=trial.title)]
    if when.starts <= ctx.now:
        return [ctx.say(_("The new time has passed meanwhile, so nothing changed. Please try "
                          "again."), [_status_button(ctx, trial)])]
    old = (trial.starts_at, trial.ends_at)
    await ctx.trial_setup.reschedule(trial, when.starts, when.ends, ctx.now)
    withdrawn = await _withdraw(
        ctx, trial, lambda row: outdated(ctx, row.dedup_key, trial) or row.purpose == MOVED_PURPOSE,
        MOVED)
    notices = await move_notices(ctx, trial, old)
    assert ctx.person is not None
    await ctx.audit.record(ctx.person.id, "trial.move", f"trial:{trial.id}", ctx.now,
                                    old=old[0].isoformat(), new=when.starts.isoformat(),
                                    withdrawn=withdrawn)
    told, unreachable = await _told(ctx, notices)
    school = await school_of(ctx)
    tz = school.timezone if school else ctx.config.timezone
    lines = [tr(_("📅 Moved: «{trial}» is now {new} (it was {old})."), trial=trial.title,
                new=span(tr, trial.starts_at, trial.ends_at, tz), old=span(tr, *old, tz)),
             tr(_("Told: {told} people (the pupils, their parents, the mentor and the "
                  "escort); {unreachable} have not joined Synaq and were not told."),
                told=told, unreachable=unreachable),
             tr(_("The mentor is asked to confirm again; the reminders follow the new time.")),
             *await overlap_lines(ctx, trial.starts_at, trial.ends_at, tz, except_id=trial.id,
                                  mentor_id=trial.mentor_id, class_id=trial.class_id)]
    return [reply(ctx, lines, [_status_button(ctx, trial), [menu_button(tr)]]), *notices]


async def moved_by_import(ctx: Context, trial_id: int, old: tuple[datetime, datetime]
                          ) -> list[Outbound]:
    """A re-imported spreadsheet gave a trial a new time: the same consequences as a move
    in the chat — a new schedule, the old time's messages withdrawn, everyone told."""
    trial = await ctx.trials.get(trial_id)
    if trial is None or trial.status == "cancelled" or trial.starts_at <= ctx.now:
        return []
    await ctx.trial_setup.schedule_changed(trial, ctx.now)
    await _withdraw(
        ctx, trial, lambda row: outdated(ctx, row.dedup_key, trial) or row.purpose == MOVED_PURPOSE,
        MOVED)
    return await move_notices(ctx, trial, old)


async def move_notices(ctx: Context, trial: Trial,
                       old: tuple[datetime, datetime]) -> list[Outbound]:
    """What the move means for each person affected, in their language."""
    school = await ctx.schools.get(trial.school_id)
    tz = school.timezone if school else ctx.config.timezone
    hold = SchoolTime.of(school, ctx.config).not_before(ctx.now, Role.PARENT)
    current = await ctx.consents.current_for_trial(trial.id)
    out: list[Outbound] = []

    def times(person: Person) -> dict[str, str]:
        tr = ctx.tr_for(person)
        return {"new": span(tr, trial.starts_at, trial.ends_at, tz), "old": span(tr, *old, tz)}

    for pupil, parents in await families(ctx, trial):
        tr = ctx.tr_for(pupil)
        out.append(Outbound(
            text=tr(_("📅 Your trial «{trial}» has been moved: it is now {new} (it was {old})."),
                    trial=trial.title, **times(pupil)),
            person_id=pupil.id, purpose=MOVED_PURPOSE, trial_id=trial.id, not_before=hold))
        decision = current.get(pupil.id)
        for parent in parents:
            tr = ctx.tr_for(parent)
            if decision is None:
                text = tr(_("📅 The trial «{trial}» has been moved: it is now {new} (it was "
                            "{old}). We still need your answer for {child}: without consent "
                            "{child} cannot take part."),
                          trial=trial.title, child=pupil.full_name, **times(parent))
                buttons = consent_buttons(tr, trial.id, pupil.id)
            else:
                text = tr(_("📅 The trial «{trial}» has been moved: it is now {new} (it was "
                            "{old}). Your decision for {child} stands: {decision}. It was "
                            "given for the earlier time, so please review it; you can change "
                            "it at any time."),
                          trial=trial.title, child=pupil.full_name,
                          decision=decision_text(tr, decision), **times(parent))
                buttons = [[Button(tr.plain(_("🔎 Review the decision")),
                                   ViewConsent(trial.id, pupil.id).pack())]]
            out.append(Outbound(text=text, person_id=parent.id, buttons=buttons,
                                purpose=MOVED_PURPOSE, trial_id=trial.id, not_before=hold))
    staff = await ctx.people.many(i for i in (trial.mentor_id, trial.escort_id) if i)
    mentor = staff.get(trial.mentor_id or 0)
    if mentor is not None:
        out.append(await confirmation(ctx, trial, mentor, purpose=MOVED_PURPOSE, lead=_(
            "📅 This trial has been moved to a new time. Please confirm again whether you can "
            "come:")))
    escort = staff.get(trial.escort_id or 0)
    if escort is not None and escort is not mentor:
        out.append(Outbound(
            text=ctx.tr_for(escort)(_("📅 The trial «{trial}» that you escort has been moved: "
                                      "it is now {new} (it was {old})."),
                                    trial=trial.title, **times(escort)),
            person_id=escort.id, purpose=MOVED_PURPOSE, trial_id=trial.id))
    return out


# --- cancelling --------------------------------------------------------------------------------

@feature.button(CancelTrial)
async def _cancel_ask(ctx: Context, p: CancelTrial) -> list[Outbound]:
    """Ask before cancelling."""
    found = await changeable(ctx, p.trial_id)
    tr = ctx.tr
    school = await school_of(ctx)
    tz = school.timezone if school else ctx.config.timezone
    return [ctx.say(_("Cancel «{trial}», {when}? The pupils, their parents, the mentor and the "
                      "escort will be told, and nothing more will be sent about it."),
                    [[Button(tr.plain(_("✖️ Yes, cancel it")), ConfirmCancel(found.id).pack()),
                      Button(tr.plain(_("Keep it")), ShowTrial(found.id).pack())]],
                    trial=found.title, when=span(tr, found.starts_at, found.ends_at, tz))]


@feature.button(ConfirmCancel)
async def _cancel(ctx: Context, p: ConfirmCancel) -> list[Outbound]:
    """Cancel it; everyone affected is told."""
    trial, tr = await changeable(ctx, p.trial_id), ctx.tr
    assert ctx.person is not None
    repo = ctx.trial_setup
    await repo.cancel(trial, ctx.now)

    def timed(row: Outbox) -> bool:
        parts = parse_key(row.dedup_key or "")
        return (parts is not None and parts.purpose in ctx.wiring.reminders) \
            or row.purpose == MOVED_PURPOSE

    withdrawn = await _withdraw(ctx, trial, timed, "the trial was cancelled")
    # Open questionnaires about it would only catch the person's next words; a duplicate
    # being made of it may go on.
    for run in await repo.open_runs(trial.id, except_flows=(TRIAL_COPY.id,)):
        await ctx.runs.cancel(run, ctx.now)
    notices = await cancel_notices(ctx, trial)
    await ctx.audit.record(ctx.person.id, "trial.cancel", f"trial:{trial.id}",
                                    ctx.now, withdrawn=withdrawn)
    told, unreachable = await _told(ctx, notices)
    lines = [tr(_("✖️ «{trial}» is cancelled."), trial=trial.title),
             tr(_("Told: {told} people (the pupils, their parents, the mentor and the escort); "
                  "{unreachable} have not joined Synaq and were not told."),
                told=told, unreachable=unreachable)]
    buttons = [[Button(tr.plain(_("⧉ Duplicate")), DuplicateTrial(trial.id).pack())],
               [menu_button(tr)]]
    return [reply(ctx, lines, buttons), *notices]


async def cancel_notices(ctx: Context, trial: Trial) -> list[Outbound]:
    school = await ctx.schools.get(trial.school_id)
    tz = school.timezone if school else ctx.config.timezone
    hold = SchoolTime.of(school, ctx.config).not_before(ctx.now, Role.PARENT)
    out: list[Outbound] = []

    def when(person: Person) -> str:
        return span(ctx.tr_for(person), trial.starts_at, trial.ends_at, tz)

    for pupil, parents in await families(ctx, trial):
        out.append(Outbound(
            text=ctx.tr_for(pupil)(_("✖️ The trial «{trial}», {when}, is cancelled. You do not "
                                     "need to go; the school will tell you about the next "
                                     "trials."), trial=trial.title, when=when(pupil)),
            person_id=pupil.id, purpose=CANCELLED_PURPOSE, trial_id=trial.id, not_before=hold))
        for parent in parents:
            out.append(Outbound(
                text=ctx.tr_for(parent)(_("✖️ The trial «{trial}», {when}, is cancelled. "
                                          "{child} does not need to go, and nothing more will "
                                          "be asked about it. The school will tell you about "
                                          "the next trials."),
                                        trial=trial.title, child=pupil.full_name,
                                        when=when(parent)),
                person_id=parent.id, purpose=CANCELLED_PURPOSE, trial_id=trial.id,
                not_before=hold))
    staff = await ctx.people.many(i for i in (trial.mentor_id, trial.escort_id) if i)
    for person in staff.values():
        out.append(Outbound(
            text=ctx.tr_for(person)(_("✖️ The trial «{trial}», {when}, is cancelled. Thank you "
                                      "for being ready to take part; the school coordinator "
                                      "will be in touch."), trial=trial.title,
                                    when=when(person)),
            person_id=person.id, purpose=CANCELLED_PURPOSE, trial_id=trial.id))
    return out


# --- the mentor and the escort, assigned later ---------------------------------------------------

@feature.button(AssignStaff)
async def _staff(ctx: Context, p: AssignStaff) -> list[Outbound]:
    """Choose the mentor and the escort."""
    trial = await changeable(ctx, p.trial_id)
    return await conversation.start(ctx, TRIAL_STAFF, trial_id=trial.id)


async def _staff_guard(ctx: Context, run: FlowRun) -> list[Outbound] | None:
    return await _move_guard(ctx, run)


@feature.options_from("trial_mentors")
async def _trial_mentors(ctx: Context, run: FlowRun) -> list[Option]:
    trial = await school_trial(ctx, run.trial_id)
    if trial is None or ctx.person is None or ctx.person.id != run.person_id:
        return []
    return [Option(str(p.id), p.full_name, literal=True)
            for p in await mentors_of_site(ctx, trial.school_id, trial.site_id)]


async def _staff_context(ctx: Context, run: FlowRun) -> dict[str, Any]:
    trial = await school_trial(ctx, run.trial_id)
    if trial is None:
        return {"trial": "", "mentor": "", "escort": "", "mentor_note": ""}
    staff = await ctx.people.many(i for i in (trial.mentor_id, trial.escort_id) if i)
    nobody = ctx.tr(_("not assigned yet"))
    note = ""
    if run.step_id == "mentor" and not await mentors_of_site(ctx, trial.school_id,
                                                             trial.site_id):
        note = Safe("\n\n<i>" + ctx.tr(_("No mentor of this partner has joined the school's "
                                         "lists yet: import the mentor first.")) + "</i>")
    return {"trial": trial.title,
            "mentor": staff[trial.mentor_id].full_name if trial.mentor_id in staff else nobody,
            "escort": staff[trial.escort_id].full_name if trial.escort_id in staff else nobody,
            "mentor_note": note}


async def _assigned(ctx: Context, run: FlowRun, answers: dict[str, Any]) -> list[Outbound]:
    try:
        trial = await changeable(ctx, run.trial_id)
    except Refusal as refusal:  # answered here, not raised: the run is complete by now
        return [ctx.say(refusal.msgid, **refusal.params)]
    # Checked again against the school: the lists may have changed since the answer.
    allowed = {"mentor": {p.id for p in await mentors_of_site(ctx, trial.school_id,
                                                               trial.site_id)},
               "escort": {p.id for p in await ctx.trial_setup.staff(trial.school_id,
                                                                            "teacher")}}
    chosen = {step: int(v) for step in ("mentor", "escort")
              if (v := answers.get(step, {}).get("choice")) and v.isdigit()
              and int(v) in allowed[step]}
    new_mentor = chosen.get("mentor") if chosen.get("mentor") != trial.mentor_id else None
    new_escort = chosen.get("escort") if chosen.get("escort") != trial.escort_id else None
    if new_mentor is None and new_escort is None:
        return [ctx.say(_("Nothing changed."), [_status_button(ctx, trial)])]
    before = await ctx.people.many(i for i in (trial.mentor_id, trial.escort_id) if i)
    await ctx.trial_setup.assign(trial, ctx.now, mentor_id=new_mentor,
                                         escort_id=new_escort)
    assert ctx.person is not None
    await ctx.audit.record(ctx.person.id, "trial.assign", f"trial:{trial.id}", ctx.now,
                                    mentor=new_mentor, escort=new_escort)
    school = await school_of(ctx)
    tz = school.timezone if school else ctx.config.timezone
    out: list[Outbound] = [ctx.say(_("Saved. Whoever is newly assigned is told now."),
                                   [_status_button(ctx, trial)])]
    people = await ctx.people.many(i for i in (new_mentor, new_escort) if i)
    if new_mentor in people:
        out.append(await confirmation(ctx, trial, people[new_mentor], purpose=ASSIGNED_PURPOSE,
                                      lead=_("Hello! The school counts on you for this trial:")))
    if new_escort in people:
        person = people[new_escort]
        out.append(Outbound(
            text=ctx.tr_for(person)(_("Hello! You are the escorting teacher of the trial "
                                      "«{trial}», {when}. On the day you get the short card and "
                                      "mark who is there."), trial=trial.title,
                                    when=span(ctx.tr_for(person), trial.starts_at,
                                              trial.ends_at, tz)),
            person_id=person.id, purpose=ASSIGNED_PURPOSE, trial_id=trial.id))
    for old in before.values():
        if old.id not in (trial.mentor_id, trial.escort_id):  # replaced
            out.append(Outbound(
                text=ctx.tr_for(old)(_("The trial «{trial}», {when}, has another mentor or "
                                       "escort now, so you are no longer expected there. Thank "
                                       "you!"), trial=trial.title,
                                     when=span(ctx.tr_for(old), trial.starts_at,
                                               trial.ends_at, tz)),
                person_id=old.id, purpose=ASSIGNED_PURPOSE, trial_id=trial.id))
    return out


feature.flow(TRIAL_MOVE, guard=_move_guard, context=_move_context, on_complete=_moved)
feature.flow(TRIAL_STAFF, guard=_staff_guard, context=_staff_context, on_complete=_assigned)

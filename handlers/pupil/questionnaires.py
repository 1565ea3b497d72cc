"""The pupil's side: form В before and after the trial, and the trace reflection.

The after- and trace questionnaires are about taking part, so they open only with the
parent's consent for that trial (checked on start and on every answer: a withdrawal takes
effect at once). Media follow the three-tier rule: the effective tier is the most
restrictive of the parent's tier, the pupil's own yes/no and the site's policy.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flows.model import Flow
from flows.pupil_after import AFTER_TRIAL
from flows.pupil_before import BEFORE_TRIAL
from flows.pupil_trace import TRACE
from handlers import access, conversation
from handlers.access import Action
from handlers.context import Context
from handlers.events import Button, Outbound
from handlers.feature import Feature
from handlers.pupil.buttons import StartAfter, StartBefore, StartTrace
from handlers.refusal import NOT_ACTIVE, Refusal
from handlers.schedule.timeline import Pending, Recipient, Reminder, per_trial
from locales import Safe, _
from storage.models import (
    Attendance,
    FlowRun,
    Participation,
    PhotoTier,
    Role,
    RunStatus,
    Trial,
    most_restrictive,
)

feature = Feature("pupil.questionnaires")

_DAY = timedelta(days=1)
# How long after the trial the reflections stay open in the menu.
REFLECTION_WINDOW = timedelta(days=14)


async def trial_of_pupil(ctx: Context, trial_id: int) -> Trial:
    """The trial if the current person takes part in it (never another's; the policy
    decides, ``Action.PUPIL_TRIAL``); else :class:`Refusal`."""
    grant = await access.check(ctx, Action.PUPIL_TRIAL, trial_id=trial_id)
    if grant is None or grant.trial is None:
        raise Refusal()
    return grant.trial


async def before_is_open(ctx: Context, trial: Trial) -> bool:
    assert ctx.person is not None
    if trial.ends_at <= ctx.now:
        return False
    run = await ctx.runs.latest(ctx.person.id, BEFORE_TRIAL.id, trial.id)
    return run is None or run.status == RunStatus.ACTIVE


async def _completed(ctx: Context, pupil_id: int, flow: Flow, trial_id: int) -> bool:
    run = await ctx.runs.latest(pupil_id, flow.id, trial_id)
    return run is not None and run.status == RunStatus.COMPLETED


def _reflection_open(ctx: Context, flow: Flow, trial: Trial) -> bool:
    """After: from the start of the trial; trace: from its end; both for two weeks."""
    opens = trial.starts_at if flow is AFTER_TRIAL else trial.ends_at
    return opens <= ctx.now <= trial.ends_at + REFLECTION_WINDOW


async def reflection_refusal(ctx: Context, trial: Trial, pupil_id: int) -> Refusal | None:
    """Why the pupil cannot reflect on ``trial`` (no consent, declined, marked absent), kindly,
    as a :class:`Refusal` to raise (or, in the flows' guard, to say); None when they can."""
    consent = await ctx.consents.current(trial.id, pupil_id)
    if consent is None:
        return Refusal(_("I cannot open this questionnaire yet: your parent has not given "
                         "consent for the trial «{trial}». This is not something you did "
                         "wrong. Please ask your parent to answer in Synaq; the questionnaire "
                         "will open then."), trial=trial.title)
    if consent.participation != Participation.AGREE:
        return Refusal(_("This questionnaire is closed: your parent did not give consent for "
                         "the trial «{trial}», so nothing about it is collected. If you think "
                         "this is a misunderstanding, talk to your parent or your class "
                         "teacher."), trial=trial.title)
    participant = await ctx.trials.participant(trial.id, pupil_id)
    if participant is not None and participant.attendance == Attendance.ABSENT:
        return Refusal(_("Your class teacher marked you as absent from «{trial}», so there is "
                         "nothing to reflect on here. If that is a mistake, please tell your "
                         "class teacher."), trial=trial.title)
    return None


# --- menu and buttons ----------------------------------------------------------------------

REFLECTIONS: tuple[tuple[Flow, type[StartAfter] | type[StartTrace], str], ...] = (
    (AFTER_TRIAL, StartAfter, _("📝 After the trial: {trial}")),
    (TRACE, StartTrace, _("💭 A day later: {trial}")),
)


@feature.menu(Role.PUPIL)
async def _pupil_menu(ctx: Context) -> list[Button]:
    assert ctx.person is not None
    buttons = []
    tz = await ctx.timezone_of(ctx.person.school_id)
    trials = await ctx.trials.for_pupil(ctx.person.id, since=ctx.now - REFLECTION_WINDOW - _DAY)
    for trial in trials:
        if trial.starts_at >= ctx.now - _DAY and await before_is_open(ctx, trial):
            label = ctx.tr.plain(_("📝 Before the trial: {trial}, {date}"), trial=trial.title,
                                 date=ctx.tr.date(trial.starts_at, tz, "d MMM"))
            buttons.append(Button(label, StartBefore(trial.id).pack()))
    states = await ctx.consents.current_for_trials(t.id for t in trials)
    for trial in trials:
        consent = states.get((trial.id, ctx.person.id))
        if consent is not None and consent.participation != Participation.AGREE:
            continue  # the family declined: nothing to reflect on
        participant = await ctx.trials.participant(trial.id, ctx.person.id)
        if participant is not None and participant.attendance == Attendance.ABSENT:
            continue
        for flow, kind, msgid in REFLECTIONS:
            if _reflection_open(ctx, flow, trial) and not await _completed(
                    ctx, ctx.person.id, flow, trial.id):
                buttons.append(Button(ctx.tr.plain(msgid, trial=trial.title),
                                      kind(trial.id).pack()))
    return buttons


@feature.button(StartBefore)
async def _start_before(ctx: Context, p: StartBefore) -> list[Outbound]:
    """Start (or resume) the before-trial questionnaire."""
    trial = await trial_of_pupil(ctx, p.trial_id)
    if not await before_is_open(ctx, trial):
        return [ctx.say(_("This questionnaire is already finished. Thank you!"))]
    return await conversation.start(ctx, BEFORE_TRIAL, trial_id=trial.id)


async def _start_reflection(ctx: Context, trial_id: int, flow: Flow) -> list[Outbound]:
    trial = await trial_of_pupil(ctx, trial_id)
    if ctx.person is None:
        raise Refusal()
    if await _completed(ctx, ctx.person.id, flow, trial.id):
        return [ctx.say(flow.finished_text)]
    if not _reflection_open(ctx, flow, trial):
        if ctx.now < trial.starts_at:
            raise Refusal(_("This questionnaire opens after the trial «{trial}». See you "
                            "there!"), trial=trial.title)
        raise Refusal(_("This questionnaire is closed now: the trial «{trial}» was a while "
                        "ago."), trial=trial.title)
    refusal = await reflection_refusal(ctx, trial, ctx.person.id)
    if refusal is not None:
        raise refusal
    return await conversation.start(ctx, flow, trial_id=trial.id)


@feature.button(StartAfter)
async def _start_after(ctx: Context, p: StartAfter) -> list[Outbound]:
    """Start (or resume) the after-trial questionnaire."""
    return await _start_reflection(ctx, p.trial_id, AFTER_TRIAL)


@feature.button(StartTrace)
async def _start_trace(ctx: Context, p: StartTrace) -> list[Outbound]:
    """Start (or resume) the trace reflection."""
    return await _start_reflection(ctx, p.trial_id, TRACE)


async def _reflection_guard(ctx: Context, run: FlowRun) -> list[Outbound] | None:
    """Consent withdrawn (or attendance corrected) while the run is open: stop at once."""
    trial = await ctx.trials.get(run.trial_id) if run.trial_id else None
    if trial is None:
        return [ctx.say(NOT_ACTIVE)]
    refusal = await reflection_refusal(ctx, trial, run.person_id)
    return [ctx.say(refusal.msgid, **refusal.params)] if refusal is not None else None


# --- the three-tier photo rule -------------------------------------------------------------

async def effective_tier(ctx: Context, trial: Trial, pupil_id: int,
                         run: FlowRun | None = None) -> PhotoTier:
    """The most restrictive of the parent's current tier (no consent: prohibited), the
    pupil's own photo answer in the after-questionnaire (once given) and the trial's or else
    the site's policy. Read it again wherever media is shown: consents change."""
    consent = await ctx.consents.current(trial.id, pupil_id)
    tiers: list[str | None] = [
        consent.photo_tier if consent and consent.participation == Participation.AGREE
        else PhotoTier.PROHIBITED]
    after = run if run is not None and run.flow_id == AFTER_TRIAL.id else \
        await ctx.runs.latest(pupil_id, AFTER_TRIAL.id, trial.id)
    photo = (await ctx.runs.answers(after.id)).get("photo_ok", {}).get("choice") \
        if after else None
    if photo is not None:
        tiers.append(PhotoTier.PUBLICATION if photo == "yes" else PhotoTier.PROHIBITED)
    policy = trial.photo_policy
    if policy is None:
        site, _partner = await ctx.trials.site_and_partner(trial)
        policy = site.photo_policy if site else None
    if policy is not None:
        tiers.append(policy)
    return most_restrictive(*tiers)


async def _reflection_tier(ctx: Context, run: FlowRun) -> str | None:
    trial = await ctx.trials.get(run.trial_id) if run.trial_id else None
    if trial is None:
        return PhotoTier.PROHIBITED
    return await effective_tier(ctx, trial, run.person_id, run)


# --- texts filled into the questionnaires ----------------------------------------------------

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


async def _after_context(ctx: Context, run: FlowRun) -> dict[str, Any]:
    """Before the artefact is asked for, say what will happen to it."""
    note = ""
    trial = await ctx.trials.get(run.trial_id) if run.trial_id else None
    if run.step_id == "artefact" and trial is not None:
        tier = await effective_tier(ctx, trial, run.person_id, run)
        if tier == PhotoTier.PROHIBITED:
            note = ctx.tr(_("Photos and scans from this trial cannot be kept: the permissions "
                            "for it do not allow it. Please tap “I have none”; your answers "
                            "above are your reflection."))
        elif tier == PhotoTier.PORTFOLIO:
            note = ctx.tr(_("Only you, your parents and the school staff will see them."))
    return {"tier_note": Safe("\n\n" + note) if note else ""}


# --- the timeline: before, after and trace ---------------------------------------------------

async def _pupils(ctx: Context, trial: Trial) -> list[Recipient]:
    if trial.status == "cancelled":
        return []
    participants = await ctx.trials.participants(trial.id)
    people = await ctx.people.many(p.pupil_id for p in participants)
    return [Recipient(p.pupil_id, p.pupil_id) for p in participants
            if (person := people.get(p.pupil_id)) is not None and person.anonymised_at is None]


async def _took_part(ctx: Context, trial: Trial) -> list[Recipient]:
    """Pupils with their parent's consent who were not marked absent."""
    if trial.status == "cancelled":
        return []
    states = await ctx.consents.current_for_trial(trial.id)
    absent = {p.pupil_id for p in await ctx.trials.participants(trial.id)
              if p.attendance == Attendance.ABSENT}
    return [r for r in await _pupils(ctx, trial)
            if r.person_id not in absent and (c := states.get(r.person_id)) is not None
            and c.participation == Participation.AGREE]


async def _before_pending(ctx: Context, trial: Trial, r: Recipient) -> bool:
    consent = await ctx.consents.current(trial.id, r.person_id)
    declined = consent is not None and consent.participation != Participation.AGREE
    return (trial.starts_at > ctx.now and not declined
            and not await _completed(ctx, r.person_id, BEFORE_TRIAL, trial.id))


async def _before(ctx: Context, trial: Trial, r: Recipient, n: int) -> list[Outbound]:
    pupil = await ctx.people.get(r.person_id)
    if pupil is None:
        return []
    tr = ctx.tr_for(pupil)
    tz = await ctx.timezone_of(trial.school_id)
    text = tr(_("Tomorrow is your trial «{trial}», {when}.\nYour goal: {goal}\n\nBefore it, "
                "please answer two short questions: it takes two minutes."),
              trial=trial.title, when=tr.datetime(trial.starts_at, tz, "d MMMM, HH:mm"),
              goal=trial.pupil_goal or tr(_("to see what this work is like.")))
    return [Outbound(text=text, person_id=pupil.id, purpose="pupil.before", trial_id=trial.id,
                     buttons=[[Button(tr.plain(_("📝 Answer")), StartBefore(trial.id).pack())]])]


def _reflection_pending(flow: Flow) -> Pending:
    async def pending(ctx: Context, trial: Trial, r: Recipient) -> bool:
        """Still not done, and still allowed (a withdrawal stops the reminders too)."""
        if await _completed(ctx, r.person_id, flow, trial.id):
            return False
        took_part = await per_trial(ctx, "took_part", trial.id, lambda: _took_part(ctx, trial))
        return any(p.person_id == r.person_id for p in took_part)
    return pending


async def _after(ctx: Context, trial: Trial, r: Recipient, n: int) -> list[Outbound]:
    pupil = await ctx.people.get(r.person_id)
    if pupil is None:
        return []
    tr = ctx.tr_for(pupil)
    text = (tr(_("Thank you for taking part in «{trial}»! How did it go? Six short questions, "
                 "a self-rating and a photo of what you made: about five minutes."),
               trial=trial.title) if n == 0 else
            tr(_("Your reflection on «{trial}» is still waiting. It takes about five minutes, "
                 "and your answers stay where you stopped."), trial=trial.title))
    return [Outbound(text=text, person_id=pupil.id, purpose="pupil.after", trial_id=trial.id,
                     buttons=[[Button(tr.plain(_("📝 Start")), StartAfter(trial.id).pack())]])]


async def _trace(ctx: Context, trial: Trial, r: Recipient, n: int) -> list[Outbound]:
    pupil = await ctx.people.get(r.person_id)
    if pupil is None:
        return []
    tr = ctx.tr_for(pupil)
    text = tr(_("A little time has passed since «{trial}». What stayed with you? Three taps "
                "and four short questions."), trial=trial.title)
    return [Outbound(text=text, person_id=pupil.id, purpose="pupil.trace", trial_id=trial.id,
                     buttons=[[Button(tr.plain(_("💭 Answer")), StartTrace(trial.id).pack())]])]


feature.reminder(Reminder(
    purpose="pupil.before", audience=Role.PUPIL, anchor="start", offsets=(-_DAY,),
    recipients=_pupils, pending=_before_pending, build=_before, at_local="15:00",
))
feature.reminder(Reminder(
    purpose="pupil.after", audience=Role.PUPIL, anchor="end", offsets=(timedelta(0), _DAY),
    recipients=_took_part, pending=_reflection_pending(AFTER_TRIAL), build=_after,
))
feature.reminder(Reminder(
    purpose="pupil.trace", audience=Role.PUPIL, anchor="end", offsets=(_DAY, 2 * _DAY),
    recipients=_took_part, pending=_reflection_pending(TRACE), build=_trace, at_local="15:00",
))


feature.flow(AFTER_TRIAL, guard=_reflection_guard, media_rule=_reflection_tier, context=_after_context)
feature.flow(TRACE, guard=_reflection_guard, media_rule=_reflection_tier)
feature.flow(BEFORE_TRIAL, context=_before_context)

"""The mentor's side of a trial: confirming it (or not), and the mentor's menu.

No-shows are the known plague of volunteer programmes (trial-cycle.md): "I can't come"
reaches the coordinator at once, the reason follows as soon as the mentor writes it, and any
later change of mind is passed on too. The rubric lives in ``rubric.py``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flows.mentor_decline import DECLINE
from handlers import access, conversation
from handlers.access import Action
from handlers.context import Context
from handlers.events import Button, Outbound
from handlers.feature import Feature
from handlers.mentor.buttons import (
    CannotCome,
    RateCard,
    ShortCard,
    ShowConfirmation,
    WillCome,
)
from handlers.mentor.short_card import is_trial_day, trial_zone
from handlers.refusal import Refusal
from handlers.schedule.timeline import Recipient, Reminder
from locales import Safe, _, escape
from storage.models import FlowRun, MentorStatus, Person, Role, RunStatus, Trial, TrialStatus

feature = Feature("mentor.confirm")

# How far back the menu looks for trials whose card is still open.
MENU_PAST = timedelta(days=14)


# --- the confirmation message -------------------------------------------------------------

ANSWER_LINES: dict[str, str] = {
    MentorStatus.PENDING: _("Will you be able to lead this trial? Please answer with a button."),
    MentorStatus.CONFIRMED: _("Your answer: you will come. You can change it until the trial "
                              "starts."),
    MentorStatus.DECLINED: _("Your answer: you cannot come. You can change it until the trial "
                             "starts."),
}


async def confirmation(ctx: Context, trial: Trial, person: Person, purpose: str = "reply",
                       lead: str | None = None) -> Outbound:
    """The trial's details and, until it starts, "I will come" / "I can't come"."""
    tr = ctx.tr_for(person)
    tz = await trial_zone(ctx, trial)
    site, partner = await ctx.trials.site_and_partner(trial)
    staff = await ctx.people.many(i for i in (trial.coordinator_id, trial.escort_id) if i)
    school = "; ".join(escape(", ".join(x for x in (p.full_name, p.position, p.phone) if x))
                       for p in staff.values())
    where = ", ".join(x for x in (partner.name if partner else None,
                                  site.address if site else None,
                                  site.place if site else None) if x)
    steps = [f"{i}. {escape(s)}" for i, s in enumerate(trial.mini_task or [], 1)]
    lines: list[str] = [tr(lead)] if lead else []
    lines += [
        tr(_("<b>Trial:</b> {title}"), title=trial.title),
        tr(_("<b>When:</b> {date}, {start}–{end}"), date=tr.date(trial.starts_at, tz),
           start=tr.time(trial.starts_at, tz), end=tr.time(trial.ends_at, tz)),
        tr(_("<b>Where:</b> {where}"), where=where or "—"),
        tr(_("<b>Mini-task:</b> {steps}"),
           steps=Safe("\n" + "\n".join(steps)) if steps else "—"),
        tr(_("<b>Responsible at school:</b> {people}"), people=Safe(school or "—")),
        tr(_("<b>Pupils:</b> {count}"), count=len(await ctx.trials.participants(trial.id))),
    ]
    buttons: list[list[Button]] = []
    if ctx.now < trial.starts_at:
        lines.append("")
        lines.append(tr(ANSWER_LINES.get(trial.mentor_status, ANSWER_LINES[MentorStatus.PENDING])))
        buttons = [[Button(tr.plain(_("✅ I will come")), WillCome(trial.id).pack()),
                    Button(tr.plain(_("❌ I can't come")), CannotCome(trial.id).pack())]]
    return Outbound(text=Safe("\n".join(lines)), person_id=person.id, buttons=buttons,
                    purpose=purpose, trial_id=trial.id)


@feature.button(ShowConfirmation)
async def _show(ctx: Context, p: ShowConfirmation) -> list[Outbound]:
    """The trial's details and the confirmation buttons."""
    grant = await access.check(ctx, Action.MENTOR_TRIAL, trial_id=p.trial_id)
    if grant is None or grant.trial is None or ctx.person is None:
        raise Refusal()
    return [await confirmation(ctx, grant.trial, ctx.person)]


async def _answerable(ctx: Context, trial_id: int) -> Trial:
    """The mentor's trial whose answer may still change; else :class:`Refusal`."""
    grant = await access.check(ctx, Action.MENTOR_TRIAL, trial_id=trial_id)
    if grant is None or grant.trial is None:
        raise Refusal()
    trial = grant.trial
    if ctx.now >= trial.starts_at:
        raise Refusal(_("The trial has already started, so the answer can no longer be "
                        "changed here. Please call the school coordinator."))
    return trial


@feature.button(WillCome)
async def _will_come(ctx: Context, p: WillCome) -> list[Outbound]:
    """"I will come"."""
    trial, mentor = await _answerable(ctx, p.trial_id), ctx.person
    assert mentor is not None
    if trial.mentor_status == MentorStatus.CONFIRMED:
        return [ctx.say(_("Your confirmation is already saved. Thank you!"))]
    before = trial.mentor_status
    await ctx.trials.set_mentor_answer(trial, MentorStatus.CONFIRMED, None, ctx.now)
    await _drop_open_reason(ctx, trial)
    tz = await trial_zone(ctx, trial)
    out = [ctx.say(_("Thank you! We are expecting you on {date} at {time}. On the morning of "
                     "the trial you will get a short card with the list of pupils."),
                   date=ctx.tr.date(trial.starts_at, tz), time=ctx.tr.time(trial.starts_at, tz))]
    if before == MentorStatus.DECLINED:
        out += await _tell_coordinator(
            ctx, trial, _("{mentor} has changed their answer: they <b>will come</b> to "
                          "«{title}» on {date} after all."))
    return out


@feature.button(CannotCome)
async def _cannot_come(ctx: Context, p: CannotCome) -> list[Outbound]:
    """"I can't come" — the coordinator hears at once; then the reason."""
    trial, mentor = await _answerable(ctx, p.trial_id), ctx.person
    assert mentor is not None
    open_run = await ctx.runs.latest(mentor.id, DECLINE.id, trial.id)
    if trial.mentor_status == MentorStatus.DECLINED:
        if open_run is not None and open_run.status == RunStatus.ACTIVE:
            return await conversation.resume(ctx, open_run)
        return [ctx.say(_("Your answer is already saved: you cannot come. If that changes, "
                          "tap “I will come”."))]
    await ctx.trials.set_mentor_answer(trial, MentorStatus.DECLINED, None, ctx.now)
    alert = await _tell_coordinator(
        ctx, trial, _("⚠️ {mentor} <b>cannot come</b> to «{title}» on {date}. I have asked "
                      "for the reason and will pass it on as soon as it arrives."))
    return [*await conversation.start(ctx, DECLINE, trial_id=trial.id), *alert]


async def _drop_open_reason(ctx: Context, trial: Trial) -> None:
    assert ctx.person is not None
    run = await ctx.runs.latest(ctx.person.id, DECLINE.id, trial.id)
    if run is not None and run.status == RunStatus.ACTIVE:
        await ctx.runs.cancel(run, ctx.now)


async def _tell_coordinator(ctx: Context, trial: Trial, msgid: str,
                            **params: Any) -> list[Outbound]:
    """``msgid`` to the trial's coordinator, in the coordinator's language."""
    coordinator = await ctx.people.get(trial.coordinator_id) if trial.coordinator_id else None
    mentor = await ctx.people.get(trial.mentor_id) if trial.mentor_id else None
    if coordinator is None or mentor is None:
        return []
    tr = ctx.tr_for(coordinator)
    tz = await trial_zone(ctx, trial)
    text = tr(msgid, mentor=mentor.full_name, title=trial.title,
              date=tr.datetime(trial.starts_at, tz, "d MMMM, HH:mm"), **params)
    return [Outbound(text=text, person_id=coordinator.id, purpose="mentor.answer",
                     trial_id=trial.id)]


async def _decline_context(ctx: Context, run: FlowRun) -> dict[str, Any]:
    trial = await ctx.trials.get(run.trial_id) if run.trial_id else None
    if trial is None:
        return {"trial": "", "date": ""}
    tz = await trial_zone(ctx, trial)
    return {"trial": trial.title, "date": ctx.tr.date(trial.starts_at, tz, "d MMMM")}


async def _reason_given(ctx: Context, run: FlowRun,
                        answers: dict[str, dict[str, Any]]) -> list[Outbound]:
    trial = await ctx.trials.get(run.trial_id) if run.trial_id else None
    reason = answers.get("reason", {}).get("text")
    if (trial is None or trial.mentor_id != run.person_id
            or trial.mentor_status != MentorStatus.DECLINED or not reason):
        return []
    await ctx.trials.set_mentor_reason(trial, reason)
    return await _tell_coordinator(
        ctx, trial, _("The reason {mentor} gave for not coming to «{title}» on {date}: "
                      "{reason}"), reason=reason)


# --- timeline: T − 2 d, and again T − 1 d while there is no answer ----------------------


async def _mentor_of(ctx: Context, trial: Trial) -> list[Recipient]:
    return [Recipient(trial.mentor_id)] if trial.mentor_id else []


async def _unanswered(ctx: Context, trial: Trial, recipient: Recipient) -> bool:
    return (trial.status != TrialStatus.CANCELLED and trial.mentor_id == recipient.person_id
            and trial.mentor_status == MentorStatus.PENDING and ctx.now < trial.starts_at)


async def _confirm_build(ctx: Context, trial: Trial, recipient: Recipient,
                         occurrence: int) -> list[Outbound]:
    person = await ctx.people.get(recipient.person_id)
    if person is None:
        return []
    lead = (_("Hello! The school counts on you for this trial:") if occurrence == 0 else
            _("A reminder: the trial is tomorrow, and we do not have your answer yet."))
    return [await confirmation(ctx, trial, person, purpose="mentor.confirm", lead=lead)]


feature.reminder(Reminder(
    purpose="mentor.confirm", audience=Role.MENTOR, anchor="start",
    offsets=(timedelta(days=-2), timedelta(days=-1)),
    recipients=_mentor_of, pending=_unanswered, build=_confirm_build,
))


# --- the menu -----------------------------------------------------------------------------

STATUS_LABELS: dict[str, str] = {
    MentorStatus.PENDING: _("❓ Please confirm: {title}, {date}"),
    MentorStatus.CONFIRMED: _("✅ {title}, {date}"),
    MentorStatus.DECLINED: _("❌ {title}, {date}"),
}


@feature.menu(Role.MENTOR)
async def _mentor_menu(ctx: Context) -> list[Button]:
    """Per trial: the confirmation until it starts, the short card on the day, the rubric
    from the start until the card is submitted."""
    assert ctx.person is not None
    buttons = []
    for trial in await ctx.trials.for_mentor(ctx.person.id, since=ctx.now - MENU_PAST):
        tz = await trial_zone(ctx, trial)
        if ctx.now < trial.starts_at:
            label = STATUS_LABELS.get(trial.mentor_status, STATUS_LABELS[MentorStatus.PENDING])
            buttons.append(Button(ctx.tr.plain(label, title=trial.title,
                                         date=ctx.tr.date(trial.starts_at, tz, "d MMM")),
                                  ShowConfirmation(trial.id).pack()))
        if await is_trial_day(ctx, trial):
            buttons.append(Button(ctx.tr.plain(_("📋 Short card: {title}"), title=trial.title),
                                  ShortCard(trial.id).pack()))
        if ctx.now >= trial.starts_at and trial.card_submitted_at is None:
            buttons.append(Button(ctx.tr.plain(_("✍️ Rate the pupils: {title}"), title=trial.title),
                                  RateCard(trial.id).pack()))
    return buttons


feature.flow(DECLINE, context=_decline_context, on_complete=_reason_given)

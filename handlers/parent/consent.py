"""The parent's side: the briefing, consent per child and trial, review / change / withdrawal.

Every decision is a new row of the consent ledger (who, when, text version, channel); the
newest row for (trial, pupil) stands. When the two parents' own latest decisions differ, the
school coordinator is told at once; ``Consents.conflicts`` lists them for the digest.
A parent acts only for their own children (guardian links made by the school) and only on
trials those children are on: every payload is checked against the database.

Slightly over the usual size on purpose: the decision, its withdrawal and the reminders that
ask for it are one ledger's rules and read together.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flows.parent_consent import AGREE, PARENT_CONSENT
from handlers import access, conversation
from handlers.access import Action
from handlers.briefing import (
    TIER_LABELS,
    briefing_text,
    load_card,
    logistics_text,
    when,
)
from handlers.briefing import safety_text as card_safety_text
from handlers.context import Context
from handlers.events import Button, Outbound
from handlers.feature import Feature
from handlers.menu import menu_button
from handlers.parent.buttons import AnswerConsent, AskWithdraw, ReadBriefing, ViewConsent, Withdraw
from handlers.privacy.withdrawal import stop_processing
from handlers.refusal import Refusal
from handlers.schedule.timeline import Recipient, Reminder, per_trial
from locales import Safe, Translator, _
from storage.models import Consent, FlowRun, Person, Role, RunStatus, Trial, TrialStatus
from storage.repos.consents import Consents, differ

feature = Feature("parent.consent")

# Trials shown in the menu: upcoming ones and those of the last two weeks.
RECENT = timedelta(days=14)


def consents(ctx: Context) -> Consents:
    return ctx.consents


NOT_YOURS = _("I cannot find this child or this trial among yours, so nothing was changed. "
              "Please use the buttons of your menu: /menu")


async def _family_trial(ctx: Context, trial_id: int | None,
                        pupil_id: int | None) -> tuple[Trial, Person] | None:
    grant = await access.check(ctx, Action.CONSENT, trial_id=trial_id, pupil_id=pupil_id)
    if grant is None or grant.trial is None or grant.pupil is None:
        return None
    return grant.trial, grant.pupil


async def family_trial(ctx: Context, trial_id: int | None,
                       pupil_id: int | None) -> tuple[Trial, Person]:
    """The trial and the child if the current person is the child's parent and the child is on
    the trial; for anything else (another family's child, a forged id, a cancelled trial) it
    raises ``Refusal(NOT_YOURS)``. The policy decides (``Action.CONSENT``)."""
    found = await _family_trial(ctx, trial_id, pupil_id)
    if found is None:
        raise Refusal(NOT_YOURS)
    return found


def consent_buttons(tr: Translator, trial_id: int, pupil_id: int) -> list[list[Button]]:
    return [[Button(tr.plain(_("✍️ Answer: consent")),
                    AnswerConsent(trial_id, pupil_id).pack())],
            [Button(tr.plain(_("📄 Read the briefing")),
                    ReadBriefing(trial_id, pupil_id).pack())]]


# --- how a decision reads ----------------------------------------------------------------

def decision_text(tr: Translator, consent: Consent) -> Safe:
    if consent.action == "withdrawn":
        return tr(_("consent withdrawn, does not take part"))
    if consent.participation != AGREE:
        return tr(_("does not take part"))
    tier = tr(TIER_LABELS.get(consent.photo_tier or "prohibited", _("Prohibited")))
    return tr(_("takes part; photo and video: {tier}"), tier=tier)


async def _who_when(ctx: Context, viewer: Person, consent: Consent, tz: str) -> Safe:
    tr = ctx.tr_for(viewer)
    at = tr.datetime(consent.created_at, tz, "d MMMM, HH:mm")
    if consent.parent_id == viewer.id:
        return tr(_("Decided by you, {at}."), at=at)
    other = await ctx.people.get(consent.parent_id) if consent.parent_id else None
    return tr(_("Decided by {name}, {at}."), name=other.full_name if other else "—", at=at)


async def state_text(ctx: Context, viewer: Person, trial: Trial, pupil: Person) -> Safe:
    """What a parent sees: the standing decision, who made it and when, and a differing
    decision of the other parent."""
    tr = ctx.tr_for(viewer)
    tz = await ctx.timezone_of(trial.school_id)
    current = await consents(ctx).current(trial.id, pupil.id)
    lines = [tr(_("<b>{child}</b> — «{trial}», {date}"), child=pupil.full_name,
                trial=trial.title, date=tr.datetime(trial.starts_at, tz, "d MMMM, HH:mm"))]
    if current is None:
        lines.append(tr(_("No decision yet. Without consent {child} cannot take part."),
                        child=pupil.full_name))
        return Safe("\n".join(lines))
    lines.append(tr(_("Decision: {decision}."), decision=decision_text(tr, current)))
    if current.participation == AGREE:
        lines.append(tr(_("Medical restrictions or special needs: {note}"),
                        note=current.medical_note or tr(_("none given"))))
        lines.append(tr(_("Safety rules: read.")))
    lines.append(await _who_when(ctx, viewer, current, tz))
    conflict = await consents(ctx).conflict(trial.id, pupil.id)
    for other in conflict.decisions if conflict else []:
        if other.id != current.id and differ(other, current):
            lines.append(tr(_("The other parent's own decision differs: {decision} "
                              "({who_when}). The most recent decision stands; the school "
                              "coordinator has been told."),
                            decision=decision_text(tr, other),
                            who_when=await _who_when(ctx, viewer, other, tz)))
    return Safe("\n".join(lines))


async def _view(ctx: Context, trial: Trial, pupil: Person) -> Outbound:
    tr = ctx.tr
    current = await consents(ctx).current(trial.id, pupil.id)
    rows = [[Button(tr.plain(_("📄 Read the briefing")),
                    ReadBriefing(trial.id, pupil.id).pack())]]
    label = _("✍️ Give consent") if current is None else _("✏️ Change the decision")
    rows.append([Button(tr.plain(label), AnswerConsent(trial.id, pupil.id).pack())])
    if current is not None and current.participation == AGREE:
        rows.append([Button(tr.plain(_("↩️ Withdraw consent")),
                            AskWithdraw(trial.id, pupil.id).pack())])
    rows.append([menu_button(tr)])
    assert ctx.person is not None
    return Outbound(text=await state_text(ctx, ctx.person, trial, pupil), person_id=ctx.person.id,
                    buttons=rows, trial_id=trial.id)


# --- the menu and its buttons ------------------------------------------------------------

@feature.menu(Role.PARENT)
async def _parent_menu(ctx: Context) -> list[Button]:
    """One entry per child and upcoming or recent trial, marked with the consent state."""
    assert ctx.person is not None
    buttons = []
    tz = await ctx.timezone_of(ctx.person.school_id)
    for child in await ctx.people.children(ctx.person.id):
        trials = await ctx.trials.for_pupil(child.id, since=ctx.now - RECENT)
        states = await consents(ctx).current_for_trials(t.id for t in trials)
        for trial in trials:
            current = states.get((trial.id, child.id))
            mark = "⏳" if current is None else "✅" if current.participation == AGREE else "⛔"
            label = ctx.tr.plain(_("{mark} {child}: {trial}, {date}"), mark=mark,
                           child=child.full_name.split()[0], trial=trial.title,
                           date=ctx.tr.date(trial.starts_at, tz, "d MMM"))
            buttons.append(Button(label, ViewConsent(trial.id, child.id).pack()))
    return buttons


@feature.button(ViewConsent)
async def _view_button(ctx: Context, p: ViewConsent) -> list[Outbound]:
    """The consent state of one child for one trial."""
    return [await _view(ctx, *await family_trial(ctx, p.trial_id, p.pupil_id))]


@feature.button(ReadBriefing)
async def _briefing_button(ctx: Context, p: ReadBriefing) -> list[Outbound]:
    """The briefing again."""
    trial, pupil = await family_trial(ctx, p.trial_id, p.pupil_id)
    text = briefing_text(await load_card(ctx, trial), ctx.tr, pupil)
    return [ctx.say(text, buttons=[*consent_buttons(ctx.tr, trial.id, pupil.id)[:1],
                                   [menu_button(ctx.tr)]])]


@feature.button(AnswerConsent)
async def _start_consent(ctx: Context, p: AnswerConsent) -> list[Outbound]:
    """Give or change the decision (starts or resumes the flow)."""
    trial, pupil = await family_trial(ctx, p.trial_id, p.pupil_id)
    return await conversation.start(ctx, PARENT_CONSENT, trial_id=trial.id, pupil_id=pupil.id)


@feature.button(AskWithdraw)
async def _withdraw_ask(ctx: Context, p: AskWithdraw) -> list[Outbound]:
    """Ask before withdrawing."""
    trial, pupil = await family_trial(ctx, p.trial_id, p.pupil_id)
    tr = ctx.tr
    return [ctx.say(
        _("Withdraw the consent for {child} and the trial «{trial}»? Your child will not "
          "take part, and no photos or videos from it will be kept. It takes effect at once; "
          "you can give consent again later."),
        buttons=[[Button(tr.plain(_("↩️ Yes, withdraw")), Withdraw(trial.id, pupil.id).pack()),
                  Button(tr.plain(_("Keep it")), ViewConsent(trial.id, pupil.id).pack())]],
        child=pupil.full_name, trial=trial.title)]


@feature.button(Withdraw)
async def _withdraw(ctx: Context, p: Withdraw) -> list[Outbound]:
    """Withdraw at once (a new ledger row: decline, "withdrawn")."""
    trial, pupil = await family_trial(ctx, p.trial_id, p.pupil_id)
    assert ctx.person is not None
    current = await consents(ctx).current(trial.id, pupil.id)
    if current is None or current.participation != AGREE:
        return [ctx.say(_("There is no consent to withdraw: {child} does not take part."),
                        child=pupil.full_name), await _view(ctx, trial, pupil)]
    # An unfinished consent conversation would contradict the withdrawal: close it.
    run = await ctx.runs.latest(ctx.person.id, PARENT_CONSENT.id, trial.id, pupil.id)
    if run is not None and run.status == RunStatus.ACTIVE:
        await ctx.runs.cancel(run, ctx.now)
    await _record(ctx, trial, pupil, action="withdrawn", participation="decline")
    await stop_processing(ctx, trial, pupil)  # at once: questionnaires, messages, files
    out = [ctx.say(_("Done: the consent is withdrawn. {child} will not take part in "
                     "«{trial}»."),
                   child=pupil.full_name, trial=trial.title),
           await _view(ctx, trial, pupil)]
    return out + await conflict_alert(ctx, trial, pupil)


# --- the consent flow ----------------------------------------------------------------------

async def _consent_guard(ctx: Context, run: FlowRun) -> list[Outbound] | None:
    """The family link or the trial may have changed since the run started (raises)."""
    await family_trial(ctx, run.trial_id, run.pupil_id)
    return None


async def _consent_context(ctx: Context, run: FlowRun) -> dict[str, Any]:
    trial = await ctx.trials.get(run.trial_id) if run.trial_id else None
    pupil = await ctx.people.get(run.pupil_id) if run.pupil_id else None
    if trial is None or pupil is None:
        return {"child": "", "trial": "", "when": "", "safety": ""}
    card = await load_card(ctx, trial)
    return {"child": pupil.full_name, "trial": trial.title, "when": when(card, ctx.tr),
            "safety": card_safety_text(card, ctx.tr)}


async def _consent_given(ctx: Context, run: FlowRun,
                         answers: dict[str, dict[str, Any]]) -> list[Outbound]:
    # The answers are stored by now: a refusal here is said, not raised (a Refusal is raised
    # only before anything of the event is written, as the guard does).
    found = await _family_trial(ctx, run.trial_id, run.pupil_id)
    if found is None:
        return [ctx.say(NOT_YOURS)]
    trial, pupil = found
    assert ctx.person is not None
    agreed = answers["participation"]["choice"] == AGREE
    before = await consents(ctx).has_decided(trial.id, pupil.id, ctx.person.id)
    consent = await _record(
        ctx, trial, pupil, action="changed" if before else "given",
        participation=answers["participation"]["choice"],
        photo_tier=answers["photo"]["choice"] if agreed else None,
        medical_note=answers.get("medical", {}).get("text") if agreed else None,
        safety_read=agreed and answers.get("safety", {}).get("choice") == "read",
    )
    tr = ctx.tr
    if agreed:
        text = tr(_("Thank you! Your decision is recorded: {child} {decision}. You can change "
                    "or withdraw it at any time from the menu."),
                  child=pupil.full_name, decision=decision_text(tr, consent))
    else:
        text = tr(_("Thank you, your decision is recorded: {child} will not take part in "
                    "«{trial}». You can change it at any time from the menu."),
                  child=pupil.full_name, trial=trial.title)
    out = [Outbound(text=text, person_id=ctx.person.id, trial_id=trial.id,
                    buttons=[[Button(tr.plain(_("See the decision")),
                                     ViewConsent(trial.id, pupil.id).pack())],
                             [menu_button(tr)]])]
    return out + await conflict_alert(ctx, trial, pupil)


async def _record(ctx: Context, trial: Trial, pupil: Person, *, action: str,
                  participation: str, photo_tier: str | None = None,
                  medical_note: str | None = None, safety_read: bool = False) -> Consent:
    assert ctx.person is not None
    return await consents(ctx).record(
        trial_id=trial.id, pupil_id=pupil.id, parent_id=ctx.person.id, action=action,
        participation=participation, photo_tier=photo_tier, medical_note=medical_note,
        safety_read=safety_read, text_version=trial.text_version,
        channel=ctx.identity.channel if ctx.identity else None, now=ctx.now,
    )


async def conflict_alert(ctx: Context, trial: Trial, pupil: Person) -> list[Outbound]:
    """Tell the trial's coordinator at once that the pupil's parents disagree (after a new
    decision). No medical notes: the coordinator needs the decisions, not the details."""
    conflict = await consents(ctx).conflict(trial.id, pupil.id)
    if conflict is None or trial.coordinator_id is None:
        return []
    coordinator = await ctx.people.get(trial.coordinator_id)
    if coordinator is None:
        return []
    tr = ctx.tr_for(coordinator)
    tz = await ctx.timezone_of(trial.school_id)
    parents = await ctx.people.many(c.parent_id for c in conflict.decisions if c.parent_id)
    lines = [tr(_("⚠️ The parents of {child} disagree about the trial «{trial}», {date}:"),
                child=pupil.full_name, trial=trial.title,
                date=tr.datetime(trial.starts_at, tz, "d MMMM, HH:mm"))]
    for c in conflict.decisions:
        parent = parents.get(c.parent_id or 0)
        lines.append(tr(_("• {parent}, {at}: {decision}"),
                        parent=parent.full_name if parent else "—",
                        at=tr.datetime(c.created_at, tz, "d MMMM, HH:mm"),
                        decision=decision_text(tr, c)))
    lines.append(tr(_("The most recent decision stands: {decision}. Please talk to the "
                      "family."), decision=decision_text(tr, conflict.standing)))
    return [Outbound(text=Safe("\n".join(lines)), person_id=coordinator.id,
                     purpose="consent.conflict", trial_id=trial.id)]


# --- the timeline: consent request, reminders, logistics ---------------------------------

async def _families(ctx: Context, trial: Trial) -> list[tuple[int, list[int]]]:
    """(pupil, their parents) for each pupil on the trial; nobody anonymised, nothing for a
    cancelled trial."""
    if trial.status == TrialStatus.CANCELLED:
        return []
    pupils = [p.pupil_id for p in await ctx.trials.participants(trial.id)]
    guardians = await ctx.people.guardians_of(pupils)
    people = await ctx.people.many([*pupils, *(g for gs in guardians.values() for g in gs)])

    def present(person_id: int) -> bool:
        person = people.get(person_id)
        return person is not None and person.anonymised_at is None

    return [(p, [g for g in guardians[p] if present(g)]) for p in pupils if present(p)]


async def _parents(ctx: Context, trial: Trial) -> list[Recipient]:
    """Each parent of each pupil on the trial, once per child."""
    return [Recipient(parent, pupil) for pupil, parents in await _families(ctx, trial)
            for parent in parents]


async def _request_pending(ctx: Context, trial: Trial, r: Recipient) -> bool:
    """Until this parent has decided (the other parent's decision does not answer for them:
    they still get the briefing, with the standing decision)."""
    return (trial.ends_at > ctx.now and r.pupil_id is not None
            and not await consents(ctx).has_decided(trial.id, r.pupil_id, r.person_id))


async def _request(ctx: Context, trial: Trial, r: Recipient, n: int) -> list[Outbound]:
    parent = await ctx.people.get(r.person_id)
    pupil = await ctx.people.get(r.pupil_id) if r.pupil_id else None
    if parent is None or pupil is None:
        return []
    tr = ctx.tr_for(parent)
    parts = [tr(_("Hello! The school invites {child} to a professional trial. Please read "
                  "about it and answer: do you agree, and what may be photographed?"),
                child=pupil.full_name),
             briefing_text(await load_card(ctx, trial), tr, pupil)]
    current = await consents(ctx).current(trial.id, pupil.id)
    if current is not None:  # the other parent has answered: show what stands
        parts.append(await state_text(ctx, parent, trial, pupil))
    return [Outbound(text=Safe("\n\n".join(parts)), person_id=parent.id,
                     buttons=consent_buttons(tr, trial.id, pupil.id)[:1],
                     purpose="consent.request", trial_id=trial.id)]


async def _reminder_pending(ctx: Context, trial: Trial, r: Recipient) -> bool:
    """Only while the child has no decision at all."""
    if trial.starts_at <= ctx.now or r.pupil_id is None:
        return False
    decided = await per_trial(ctx, "consents", trial.id,
                              lambda: consents(ctx).current_for_trial(trial.id))
    return r.pupil_id not in decided


async def _remind(ctx: Context, trial: Trial, r: Recipient, n: int) -> list[Outbound]:
    parent = await ctx.people.get(r.person_id)
    pupil = await ctx.people.get(r.pupil_id) if r.pupil_id else None
    if parent is None or pupil is None:
        return []
    tr = ctx.tr_for(parent)
    tz = await ctx.timezone_of(trial.school_id)
    text = tr(_("A reminder: we still need your answer for {child} and the trial «{trial}» on "
                "{date}. Without consent {child} cannot take part. It takes a minute."),
              child=pupil.full_name, trial=trial.title,
              date=tr.datetime(trial.starts_at, tz, "d MMMM, HH:mm"))
    return [Outbound(text=text, person_id=parent.id,
                     buttons=consent_buttons(tr, trial.id, pupil.id),
                     purpose="consent.reminder", trial_id=trial.id)]


async def _family(ctx: Context, trial: Trial) -> list[Recipient]:
    """Every pupil of the trial (about themselves) and each of their parents."""
    return [Recipient(person, pupil) for pupil, parents in await _families(ctx, trial)
            for person in (pupil, *parents)]


async def _logistics_pending(ctx: Context, trial: Trial, r: Recipient) -> bool:
    """Not for a family who declined (nothing to gather for), not after the start."""
    current = await consents(ctx).current(trial.id, r.pupil_id or r.person_id)
    return trial.starts_at > ctx.now and (current is None or current.participation == AGREE)


async def _logistics(ctx: Context, trial: Trial, r: Recipient, n: int) -> list[Outbound]:
    person = await ctx.people.get(r.person_id)
    if person is None:
        return []
    child = await ctx.people.get(r.pupil_id) if r.pupil_id not in (None, r.person_id) else None
    tr = ctx.tr_for(person)
    text = logistics_text(await load_card(ctx, trial), tr, child)
    buttons: list[list[Button]] = []
    if child is not None and await consents(ctx).current(trial.id, child.id) is None:
        text = Safe(text + "\n\n" + tr(_("We still need your consent: without it {child} "
                                         "cannot take part."), child=child.full_name))
        buttons = consent_buttons(tr, trial.id, child.id)[:1]
    return [Outbound(text=text, person_id=person.id, buttons=buttons, purpose="logistics",
                     trial_id=trial.id)]


_DAY = timedelta(days=1)

feature.reminder(Reminder(
    purpose="consent.request", audience=Role.PARENT, anchor="added", offsets=(timedelta(0),),
    recipients=_parents, pending=_request_pending, build=_request,
))
feature.reminder(Reminder(
    purpose="consent.reminder", audience=Role.PARENT, anchor="start", offsets=(-3 * _DAY, -_DAY),
    recipients=_parents, pending=_reminder_pending, build=_remind,
))
feature.reminder(Reminder(
    purpose="logistics", audience=Role.PUPIL, anchor="start", offsets=(-_DAY,),
    recipients=_family, pending=_logistics_pending, build=_logistics, at_local="18:00",
))


feature.flow(PARENT_CONSENT, guard=_consent_guard, context=_consent_context, on_complete=_consent_given)

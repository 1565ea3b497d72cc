"""The short card of a trial (l. 7919–7948) and the trial's roster with need-to-know flags.

The mentor and the escort get the card on the morning of the trial. About each pupil it says
only what the adults on site must know (trial-cycle.md, "sanitary minimum"): no current parent
consent → do not admit; the medical / special-needs note of the current consent. Showing a
note is a sensitive read and goes into the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flows.criteria import CRITERIA
from flows.model import SCALE_LEGEND
from handlers import access
from handlers.access import Action, plays
from handlers.context import Context
from handlers.events import Outbound
from handlers.feature import Feature
from handlers.mentor.buttons import ShortCard
from handlers.refusal import Refusal
from handlers.schedule.timeline import Recipient, Reminder
from locales import Safe, _, escape
from storage.models import (
    MentorStatus,
    Participant,
    Participation,
    Person,
    Role,
    Trial,
    TrialStatus,
)

feature = Feature("mentor.short_card")

# Who may see the card and the roster is the policy's (handlers/access.py): the trial's
# mentor, escort and coordinator (``Action.SHORT_CARD``).


async def trial_zone(ctx: Context, trial: Trial) -> ZoneInfo:
    return ZoneInfo(await ctx.timezone_of(trial.school_id))


async def is_trial_day(ctx: Context, trial: Trial) -> bool:
    """Today (school time) is the day of the trial."""
    zone = await trial_zone(ctx, trial)
    today = ctx.now.astimezone(zone).date()
    return trial.starts_at.astimezone(zone).date() <= today <= trial.ends_at.astimezone(zone).date()


# --- the roster ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    participant: Participant
    pupil: Person
    admitted: bool  # the current consent says "agree"
    note: str | None  # medical / SEN note of the current consent; only for admitted pupils


async def roster(ctx: Context, trial: Trial) -> list[Entry]:
    """The trial's pupils in the order they were put on it, with their need-to-know flags."""
    participants = await ctx.trials.participants(trial.id)
    pupils = await ctx.people.many(p.pupil_id for p in participants)
    consents = await ctx.consents.current_for_trial(trial.id)
    entries = []
    for participant in participants:
        pupil = pupils.get(participant.pupil_id)
        if pupil is None or pupil.anonymised_at is not None:
            continue
        consent = consents.get(pupil.id)
        admitted = consent is not None and consent.participation == Participation.AGREE
        note = (consent.medical_note or "").strip() if admitted and consent else ""
        entries.append(Entry(participant, pupil, admitted, note or None))
    return entries


# --- the card -----------------------------------------------------------------------------


async def short_card(ctx: Context, trial: Trial, viewer: Person,
                     purpose: str = "reply") -> Outbound:
    """The card in ``viewer``'s language; logs the read if it shows a medical note."""
    tr = ctx.tr_for(viewer)
    tz = await ctx.timezone_of(trial.school_id)
    site, partner = await ctx.trials.site_and_partner(trial)
    staff = await ctx.people.many(
        i for i in (trial.mentor_id, trial.escort_id, trial.coordinator_id) if i)
    mentor, escort = staff.get(trial.mentor_id or 0), staff.get(trial.escort_id or 0)
    coordinator = staff.get(trial.coordinator_id or 0)
    dash = "—"

    where = ", ".join(x for x in (partner.name if partner else None,
                                  site.address if site else None,
                                  site.place if site else None) if x) or dash
    lines: list[str] = [
        tr(_("<b>Short card of the trial</b>")),
        tr(_("<b>Trial:</b> {title}"), title=trial.title),
        tr(_("<b>Where and when:</b> {where}; {date}, {start}–{end}"), where=where,
           date=tr.date(trial.starts_at, tz, "d MMMM, EEEE"),
           start=tr.time(trial.starts_at, tz), end=tr.time(trial.ends_at, tz)),
        tr(_("<b>Mentor / responsible from school:</b> {mentor} / {school}"),
           mentor=_name(mentor), school=_name(escort or coordinator)),
    ]
    steps = [f"{i}. {escape(step)}" for i, step in enumerate(trial.mini_task or [], 1)]
    lines.append(tr(_("<b>Mini-task:</b> {steps}"),
                    steps=Safe("\n" + "\n".join(steps)) if steps else dash))
    lines.append(tr(_("<b>PPE / safety briefing:</b> {ppe} / {briefing}"),
                    ppe=trial.ppe or dash, briefing=trial.safety_briefing or dash))
    lines.append(tr(_("<b>Artefact:</b> {artefact}"), artefact=trial.expected_artefact or dash))
    criteria = "; ".join(tr(c.short) for c in CRITERIA)
    lines.append(tr(_("<b>Criteria:</b> {criteria}"), criteria=Safe(criteria))
                 + f"\n<i>{tr(SCALE_LEGEND)}</i>")
    contacts = "; ".join(escape(f"{p.full_name}, {p.phone}")
                         for p in (mentor, escort, coordinator) if p and p.phone)
    lines.append(tr(_("<b>Contacts:</b> {contacts}"), contacts=Safe(contacts or dash)))
    evacuation = trial.evacuation or (site.evacuation if site else None)
    if evacuation:
        lines.append(tr(_("<b>Evacuation:</b> {evacuation}"), evacuation=evacuation))

    entries = await roster(ctx, trial)
    pupils: list[str] = [tr(_("<b>Pupils ({count}):</b>"), count=len(entries))]
    for i, entry in enumerate(entries, 1):
        line = f"{i}. {escape(entry.pupil.full_name)}"
        if not entry.admitted:
            line += " — " + tr(_("⛔ do not admit: no parent consent"))
        elif entry.note:
            line += " — " + tr(_("⚕️ note from the parent: {note}"), note=entry.note)
        pupils.append(line)
    noted = [e.pupil.id for e in entries if e.admitted and e.note]
    if noted:
        await ctx.audit.record(viewer.id, "read.medical", f"trial:{trial.id}",
                                        ctx.now, pupils=noted, purpose=purpose)
    text = Safe("\n".join(lines) + "\n\n" + "\n".join(pupils))
    return Outbound(text=text, person_id=viewer.id, purpose=purpose, trial_id=trial.id)


def _name(person: Person | None) -> str:
    if person is None:
        return "—"
    return f"{person.full_name} ({person.position})" if person.position else person.full_name


@feature.button(ShortCard)
async def _show_card(ctx: Context, p: ShortCard) -> list[Outbound]:
    """The short card, for the trial's mentor and escort on the day (and for its coordinator
    at any time)."""
    grant = await access.check(ctx, Action.SHORT_CARD, trial_id=p.trial_id)
    if grant is None or grant.trial is None or ctx.person is None:
        raise Refusal()
    trial = grant.trial
    if not plays(trial, ctx.person.id, "coordinator") and not await is_trial_day(ctx, trial):
        raise Refusal(_("The short card is available on the day of the trial."))
    return [await short_card(ctx, trial, ctx.person)]


# --- on the morning of the trial ---------------------------------------------------------

# At 08:00 on the day, or 1 h before the start when that is earlier. A Reminder has one
# rule for its time, so there are two, and ``pending`` lets exactly one of them fire.
MORNING = "08:00"
LEAD = timedelta(hours=1)


async def _early(ctx: Context, trial: Trial) -> bool:
    tz = await trial_zone(ctx, trial)
    lead = (trial.starts_at - LEAD).astimezone(tz)
    morning = datetime.combine(trial.starts_at.astimezone(tz).date(),
                               datetime.strptime(MORNING, "%H:%M").time(), tz)
    return lead < morning


async def _card_recipients(ctx: Context, trial: Trial) -> list[Recipient]:
    # A mentor who said they cannot come gets no pupil list (and no medical notes).
    mentor = trial.mentor_id if trial.mentor_status != MentorStatus.DECLINED else None
    ids = [i for i in (mentor, trial.escort_id) if i]
    return [Recipient(i) for i in dict.fromkeys(ids)]


async def _card_at_morning(ctx: Context, trial: Trial, recipient: Recipient) -> bool:
    return trial.status != TrialStatus.CANCELLED and not await _early(ctx, trial)


async def _card_early(ctx: Context, trial: Trial, recipient: Recipient) -> bool:
    return trial.status != TrialStatus.CANCELLED and await _early(ctx, trial)


async def _card_build(ctx: Context, trial: Trial, recipient: Recipient,
                      occurrence: int) -> list[Outbound]:
    person = await ctx.people.get(recipient.person_id)
    if person is None:
        return []
    return [await short_card(ctx, trial, person, purpose="card.short")]


feature.reminder(Reminder(
    purpose="card.short", audience=Role.MENTOR,  # and the escort: staff, no quiet hours
    anchor="start", offsets=(timedelta(0),), at_local=MORNING,
    recipients=_card_recipients, pending=_card_at_morning, build=_card_build,
))
feature.reminder(Reminder(
    purpose="card.short.early", audience=Role.MENTOR,
    anchor="start", offsets=(-LEAD,),
    recipients=_card_recipients, pending=_card_early, build=_card_build,
))

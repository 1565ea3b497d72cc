"""The escorting class teacher's side of a trial: attendance, and the optional +/− card of
Annex 5 (l. 11799–11868): «Белсенділік, қызығушылық (+/-)» and «Жұмысты аяқтау (+/-)».

One message lists the pupils, each a button that switches present / absent; every tap sends
the list again with the new state. Pupils without parent consent are shown as "do not
admit" and cannot be marked present. Only the trial's escort (Trial.escort_id) and its
coordinator may mark.
"""

from __future__ import annotations

from datetime import timedelta

from handlers import access
from handlers.access import Action
from handlers.context import Context
from handlers.escort.buttons import (
    RestPresent,
    ShowAttendance,
    ShowMarks,
    SwitchMark,
    TogglePresence,
)
from handlers.events import Button, Outbound
from handlers.feature import Feature
from handlers.mentor.buttons import ShortCard
from handlers.mentor.short_card import Entry, is_trial_day, roster, trial_zone
from handlers.refusal import Refusal
from handlers.schedule.timeline import Recipient, Reminder
from locales import Safe, _
from storage.models import Attendance, Participant, Person, Role, Trial, TrialStatus
from storage.repos.attendance import QUICK_MARKS

feature = Feature("escort.attendance")

ICONS = {None: "⬜", Attendance.PRESENT: "✅", Attendance.ABSENT: "❌"}
MARK_SIGNS = {None: "·", "+": "+", "-": "−"}
NEXT_MARK = {None: "+", "+": "-", "-": None}  # a third tap clears: the card is optional
# Late marks are fine (the escort may do it on the way back); a week later they are not.
MARK_AFTER_END = timedelta(days=2)


async def _open(ctx: Context, trial: Trial) -> bool:
    """From the morning of the trial day until two days after its end."""
    zone = await trial_zone(ctx, trial)
    today = ctx.now.astimezone(zone).date()
    return (trial.starts_at.astimezone(zone).date() <= today
            and ctx.now <= trial.ends_at + MARK_AFTER_END)


async def _markable(ctx: Context, trial_id: int) -> Trial:
    """The trial whose attendance the current person may mark now; else :class:`Refusal`."""
    grant = await access.check(ctx, Action.ATTENDANCE, trial_id=trial_id)
    if grant is None or grant.trial is None:
        raise Refusal()
    return await _if_open(ctx, grant.trial)


async def _if_open(ctx: Context, trial: Trial) -> Trial:
    if not await _open(ctx, trial):
        raise Refusal(_("Attendance is marked on the day of the trial."))
    return trial


async def _participant(ctx: Context, participant_id: int) -> tuple[Participant, Trial]:
    """A pupil on a trial the current person may mark now; else :class:`Refusal`."""
    grant = await access.check(ctx, Action.MARK_PUPIL, participant_id=participant_id)
    if grant is None or grant.participant is None or grant.trial is None:
        raise Refusal()
    return grant.participant, await _if_open(ctx, grant.trial)


# --- attendance -------------------------------------------------------------------------------


async def attendance_message(ctx: Context, trial: Trial, person: Person, lead: str | None = None,
                             purpose: str = "reply") -> Outbound:
    tr = ctx.tr_for(person)
    tz = await trial_zone(ctx, trial)
    entries = await roster(ctx, trial)
    admitted = [e for e in entries if e.admitted]
    blocked = [e for e in entries if not e.admitted]
    marked = sum(e.participant.attendance is not None for e in admitted)
    lines = [lead] if lead else []
    lines += [
        tr(_("<b>Attendance: {title}</b>, {date}"), title=trial.title,
           date=tr.date(trial.starts_at, tz, "d MMMM")),
        tr(_("Tap a pupil to switch: ✅ present / ❌ absent. Marked: {marked} of {count}."),
           marked=marked, count=len(admitted)),
    ]
    if blocked:
        lines.append(tr(_("⛔ Do not admit (no parent consent): {names}"),
                        names=", ".join(e.pupil.full_name for e in blocked)))
    rows = [[Button(f"{ICONS[_attendance(e)]} {e.pupil.full_name}",
                    TogglePresence(e.participant.id).pack())] for e in admitted]
    if marked < len(admitted):
        rows.append([Button(tr.plain(_("✅ All the others are present")),
                            RestPresent(trial.id).pack())])
    if any(_attendance(e) == Attendance.PRESENT for e in admitted):
        rows.append([Button(tr.plain(_("± Activity and completion card")),
                            ShowMarks(trial.id).pack())])
    return Outbound(text=Safe("\n".join(lines)), person_id=person.id, buttons=rows,
                    purpose=purpose, trial_id=trial.id)


def _attendance(entry: Entry) -> Attendance | None:
    value = entry.participant.attendance
    return Attendance(value) if value else None


@feature.button(ShowAttendance)
async def _show_attendance(ctx: Context, p: ShowAttendance) -> list[Outbound]:
    """The attendance list."""
    trial = await _markable(ctx, p.trial_id)
    assert ctx.person is not None
    return [await attendance_message(ctx, trial, ctx.person)]


@feature.button(TogglePresence)
async def _toggle(ctx: Context, p: TogglePresence) -> list[Outbound]:
    """Not marked or absent → present; present → absent."""
    participant, trial = await _participant(ctx, p.participant_id)
    assert ctx.person is not None
    entry = next((e for e in await roster(ctx, trial) if e.participant.id == participant.id),
                 None)
    if entry is None:
        raise Refusal()
    if not entry.admitted:
        raise Refusal(_("⛔ {pupil} has no parent consent for this trial: please do not admit "
                        "them."), pupil=entry.pupil.full_name)
    book = ctx.attendance
    present = participant.attendance != Attendance.PRESENT
    await book.mark(participant, Attendance.PRESENT if present else Attendance.ABSENT,
                    ctx.person.id)
    if not present:  # the +/− card is about the pupils who were there
        for which in QUICK_MARKS:
            await book.quick_mark(participant, which, None)
    lead = (_("Saved: {pupil} is present.") if present else _("Saved: {pupil} is absent."))
    return [await attendance_message(ctx, trial, ctx.person,
                                     lead=ctx.tr(lead, pupil=entry.pupil.full_name))]


@feature.button(RestPresent)
async def _rest_present(ctx: Context, p: RestPresent) -> list[Outbound]:
    """Every admitted pupil not marked yet is present."""
    trial = await _markable(ctx, p.trial_id)
    assert ctx.person is not None
    book = ctx.attendance
    for entry in await roster(ctx, trial):
        if entry.admitted and entry.participant.attendance is None:
            await book.mark(entry.participant, Attendance.PRESENT, ctx.person.id)
    return [await attendance_message(ctx, trial, ctx.person, lead=ctx.tr(_("Saved.")))]


# --- the +/− card (Annex 5) ----------------------------------------------------------------


async def marks_message(ctx: Context, trial: Trial, person: Person,
                        lead: str | None = None) -> Outbound:
    tr = ctx.tr_for(person)
    present = [e for e in await roster(ctx, trial)
               if e.admitted and e.participant.attendance == Attendance.PRESENT]
    lines = [lead] if lead else []
    lines.append(tr(_("<b>± card: {title}</b> (optional)\nActivity, interest (+/−) · Work "
                      "completed (+/−). Each tap switches + → − → empty."), title=trial.title))
    if not present:
        lines.append(tr(_("Nobody is marked present yet: mark attendance first.")))
        rows = [[Button(tr.plain(_("✅ Attendance")), ShowAttendance(trial.id).pack())]]
        return Outbound(text=Safe("\n".join(lines)), person_id=person.id, buttons=rows,
                        trial_id=trial.id)
    activity, completed = tr(_("Activity")), tr(_("Completed"))
    rows = []
    for e in present:
        a = MARK_SIGNS[e.participant.activity_mark]
        c = MARK_SIGNS[e.participant.completed_mark]
        name = _short_name(e.pupil)
        rows.append([Button(f"{name} · {activity} {a}", SwitchMark(e.participant.id, "a").pack()),
                     Button(f"{name} · {completed} {c}", SwitchMark(e.participant.id, "c").pack())])
    rows.append([Button(tr.plain(_("✅ Attendance")), ShowAttendance(trial.id).pack())])
    return Outbound(text=Safe("\n".join(lines)), person_id=person.id, buttons=rows,
                    trial_id=trial.id)


def _short_name(pupil: Person) -> str:
    """"Аружан С.": two buttons share a row, and a class may have two Аружан."""
    first, *rest = pupil.full_name.split()
    return f"{first} {rest[0][0]}." if rest else first


@feature.button(ShowMarks)
async def _show_marks(ctx: Context, p: ShowMarks) -> list[Outbound]:
    """The +/− card."""
    trial = await _markable(ctx, p.trial_id)
    assert ctx.person is not None
    return [await marks_message(ctx, trial, ctx.person)]


@feature.button(SwitchMark)
async def _mark(ctx: Context, p: SwitchMark) -> list[Outbound]:
    """Switch a pupil's activity (a) or completion (c) mark."""
    participant, trial = await _participant(ctx, p.participant_id)
    assert ctx.person is not None
    which = p.which
    if which not in QUICK_MARKS or participant.attendance != Attendance.PRESENT:
        raise Refusal()
    current = getattr(participant, QUICK_MARKS[which])
    await ctx.attendance.quick_mark(participant, which, NEXT_MARK.get(current))
    return [await marks_message(ctx, trial, ctx.person, lead=ctx.tr(_("Saved.")))]


# --- timeline: at the start, the escort gets the list ---------------------------------------


async def _escort_of(ctx: Context, trial: Trial) -> list[Recipient]:
    return [Recipient(trial.escort_id)] if trial.escort_id else []


async def _unmarked(ctx: Context, trial: Trial, recipient: Recipient) -> bool:
    if trial.status == TrialStatus.CANCELLED or trial.escort_id != recipient.person_id:
        return False
    return any(e.admitted and e.participant.attendance is None
               for e in await roster(ctx, trial))


async def _attendance_build(ctx: Context, trial: Trial, recipient: Recipient,
                            occurrence: int) -> list[Outbound]:
    person = await ctx.people.get(recipient.person_id)
    if person is None:
        return []
    lead = ctx.tr_for(person)(_("The trial is starting. Please mark who is here:"))
    return [await attendance_message(ctx, trial, person, lead=lead,
                                     purpose="escort.attendance")]


feature.reminder(Reminder(
    purpose="escort.attendance", audience=Role.TEACHER, anchor="start",
    offsets=(timedelta(0),),
    recipients=_escort_of, pending=_unmarked, build=_attendance_build,
))


# --- the menu -------------------------------------------------------------------------------


@feature.menu(Role.TEACHER)
async def _teacher_menu(ctx: Context) -> list[Button]:
    """The trials the teacher escorts today: short card, attendance, +/− card."""
    assert ctx.person is not None
    tr = ctx.tr
    buttons = []
    for trial in await ctx.trials.for_escort(ctx.person.id, since=ctx.now - timedelta(days=1)):
        if await is_trial_day(ctx, trial):
            buttons += [
                Button(tr.plain(_("📋 Short card: {title}"), title=trial.title),
                       ShortCard(trial.id).pack()),
                Button(tr.plain(_("✅ Attendance: {title}"), title=trial.title),
                       ShowAttendance(trial.id).pack()),
                Button(tr.plain(_("± card: {title}"), title=trial.title),
                       ShowMarks(trial.id).pack()),
            ]
    return buttons

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
from handlers.events import Button, Outbound
from handlers.feature import Feature
from handlers.mentor.short_card import NOT_ACTIVE, Entry, is_trial_day, roster, trial_zone
from handlers.routing import callback, int_arg, payload
from handlers.schedule.timeline import Recipient, Reminder
from locales import Safe, _
from storage.models import Attendance, Participant, Person, Trial, TrialStatus
from storage.repos.attendance import QUICK_MARKS, AttendanceBook

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


async def _markable(ctx: Context, trial_id: int | None) -> Trial | list[Outbound]:
    grant = await access.check(ctx, Action.ATTENDANCE, trial_id=trial_id)
    if grant is None or grant.trial is None:
        return [ctx.say(NOT_ACTIVE)]
    return await _if_open(ctx, grant.trial)


async def _if_open(ctx: Context, trial: Trial) -> Trial | list[Outbound]:
    if not await _open(ctx, trial):
        return [ctx.say(_("Attendance is marked on the day of the trial."))]
    return trial


async def _participant(ctx: Context, args: list[str]) -> tuple[Participant, Trial] | list[Outbound]:
    grant = await access.check(ctx, Action.MARK_PUPIL, participant_id=int_arg(args, 0))
    if grant is None or grant.participant is None or grant.trial is None:
        return [ctx.say(NOT_ACTIVE)]
    trial = await _if_open(ctx, grant.trial)
    if not isinstance(trial, Trial):
        return trial
    return grant.participant, trial


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
                    payload("et", e.participant.id))] for e in admitted]
    if marked < len(admitted):
        rows.append([Button(tr.plain(_("✅ All the others are present")), payload("el", trial.id))])
    if any(_attendance(e) == Attendance.PRESENT for e in admitted):
        rows.append([Button(tr.plain(_("± Activity and completion card")), payload("ek", trial.id))])
    return Outbound(text=Safe("\n".join(lines)), person_id=person.id, buttons=rows,
                    purpose=purpose, trial_id=trial.id)


def _attendance(entry: Entry) -> Attendance | None:
    value = entry.participant.attendance
    return Attendance(value) if value else None


@callback("ea")
async def _show_attendance(ctx: Context, args: list[str]) -> list[Outbound]:
    """``ea:<trial id>``: the attendance list."""
    trial = await _markable(ctx, int_arg(args, 0))
    if not isinstance(trial, Trial):
        return trial
    assert ctx.person is not None
    return [await attendance_message(ctx, trial, ctx.person)]


@callback("et")
async def _toggle(ctx: Context, args: list[str]) -> list[Outbound]:
    """``et:<participant id>``: not marked or absent → present; present → absent."""
    found = await _participant(ctx, args)
    if not isinstance(found, tuple):
        return found
    participant, trial = found
    assert ctx.person is not None
    entry = next((e for e in await roster(ctx, trial) if e.participant.id == participant.id),
                 None)
    if entry is None:
        return [ctx.say(NOT_ACTIVE)]
    if not entry.admitted:
        return [ctx.say(_("⛔ {pupil} has no parent consent for this trial: please do not admit "
                          "them."), pupil=entry.pupil.full_name)]
    book = AttendanceBook(ctx.session)
    present = participant.attendance != Attendance.PRESENT
    await book.mark(participant, Attendance.PRESENT if present else Attendance.ABSENT,
                    ctx.person.id)
    if not present:  # the +/− card is about the pupils who were there
        for which in QUICK_MARKS:
            await book.quick_mark(participant, which, None)
    lead = (_("Saved: {pupil} is present.") if present else _("Saved: {pupil} is absent."))
    return [await attendance_message(ctx, trial, ctx.person,
                                     lead=ctx.tr(lead, pupil=entry.pupil.full_name))]


@callback("el")
async def _rest_present(ctx: Context, args: list[str]) -> list[Outbound]:
    """``el:<trial id>``: every admitted pupil not marked yet is present."""
    trial = await _markable(ctx, int_arg(args, 0))
    if not isinstance(trial, Trial):
        return trial
    assert ctx.person is not None
    book = AttendanceBook(ctx.session)
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
        rows = [[Button(tr.plain(_("✅ Attendance")), payload("ea", trial.id))]]
        return Outbound(text=Safe("\n".join(lines)), person_id=person.id, buttons=rows,
                        trial_id=trial.id)
    activity, completed = tr(_("Activity")), tr(_("Completed"))
    rows = []
    for e in present:
        a = MARK_SIGNS[e.participant.activity_mark]
        c = MARK_SIGNS[e.participant.completed_mark]
        name = _short_name(e.pupil)
        rows.append([Button(f"{name} · {activity} {a}", payload("em", e.participant.id, "a")),
                     Button(f"{name} · {completed} {c}", payload("em", e.participant.id, "c"))])
    rows.append([Button(tr.plain(_("✅ Attendance")), payload("ea", trial.id))])
    return Outbound(text=Safe("\n".join(lines)), person_id=person.id, buttons=rows,
                    trial_id=trial.id)


def _short_name(pupil: Person) -> str:
    """"Аружан С.": two buttons share a row, and a class may have two Аружан."""
    first, *rest = pupil.full_name.split()
    return f"{first} {rest[0][0]}." if rest else first


@callback("ek")
async def _show_marks(ctx: Context, args: list[str]) -> list[Outbound]:
    """``ek:<trial id>``: the +/− card."""
    trial = await _markable(ctx, int_arg(args, 0))
    if not isinstance(trial, Trial):
        return trial
    assert ctx.person is not None
    return [await marks_message(ctx, trial, ctx.person)]


@callback("em")
async def _mark(ctx: Context, args: list[str]) -> list[Outbound]:
    """``em:<participant id>:a|c``: switch a pupil's activity (a) or completion (c) mark."""
    found = await _participant(ctx, args)
    if not isinstance(found, tuple):
        return found
    participant, trial = found
    assert ctx.person is not None
    which = args[1] if len(args) > 1 else ""
    if which not in QUICK_MARKS or participant.attendance != Attendance.PRESENT:
        return [ctx.say(NOT_ACTIVE)]
    current = getattr(participant, QUICK_MARKS[which])
    await AttendanceBook(ctx.session).quick_mark(participant, which, NEXT_MARK.get(current))
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
    purpose="escort.attendance", audience="teacher", anchor="start",
    offsets=(timedelta(0),),
    recipients=_escort_of, pending=_unmarked, build=_attendance_build,
))


# --- the menu -------------------------------------------------------------------------------


@feature.menu("teacher")
async def _teacher_menu(ctx: Context) -> list[Button]:
    """The trials the teacher escorts today: short card, attendance, +/− card."""
    assert ctx.person is not None
    tr = ctx.tr
    buttons = []
    for trial in await ctx.trials.for_escort(ctx.person.id, since=ctx.now - timedelta(days=1)):
        if await is_trial_day(ctx, trial):
            buttons += [
                Button(tr.plain(_("📋 Short card: {title}"), title=trial.title), payload("sc", trial.id)),
                Button(tr.plain(_("✅ Attendance: {title}"), title=trial.title), payload("ea", trial.id)),
                Button(tr.plain(_("± card: {title}"), title=trial.title), payload("ek", trial.id)),
            ]
    return buttons

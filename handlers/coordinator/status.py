"""The coordinator's trials: the list, one trial's status in one message, and its invites.

The status says where the trial stands in the cycle: before it, the parents' consents (with
names: the coordinator is staff and has to talk to the families), the parents who disagree,
the mentor's answer, the before-questionnaires; from its start the attendance and the
mentor's card; after it the pupils' reflections and the summaries for the parents; at any
time who has not joined Synaq and which messages did not arrive. No medical notes: the
coordinator needs the decisions, not the details. Its buttons move, cancel or duplicate the
trial and invite its people.

Invites reuse handlers/invites.py and the printable sheet of handlers/invite_sheet.py, for
the people of one trial instead of a whole class: its pupils and their parents, the mentor
and the escort, whoever has not joined yet.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from handlers.context import Context
from handlers.coordinator.buttons import (
    LINKS,
    PDF,
    AssignStaff,
    CancelTrial,
    DuplicateTrial,
    IssueTrialInvites,
    MoveTrial,
    MyTrials,
    NewTrial,
    ShowTrial,
    TrialInvites,
)
from handlers.coordinator.invite_sheet import Slip, sheet_pdf
from handlers.coordinator.invites import InviteLine, links
from handlers.coordinator.trials import NOT_FOUND, coordinator, managed_trial, span
from handlers.events import Attachment, Button, Outbound
from handlers.feature import Feature
from handlers.menu import menu_button
from handlers.participation import took_part_in
from handlers.refusal import Refusal
from locales import Safe, Translator, _, escape
from storage.files import MediaStore
from storage.models import MentorStatus, OutboxStatus, Person, Role, Trial, TrialStatus
from storage.reads.journal import TrialFacts
from storage.repos.summaries import APPROVED, DRAFT, SENT

feature = Feature("coordinator.status")

# "My trials" lists the trials not over yet and those of the last two months.
RECENT = timedelta(days=60)
UPCOMING_SHOWN, RECENT_SHOWN = 15, 10


# --- who of a trial has not joined yet --------------------------------------------------------

async def pending_people(ctx: Context, trial: Trial) -> list[tuple[Person, str]]:
    """(person, the role they are invited as) of everyone the trial needs who has not joined
    Synaq: each pupil followed by their parents, then the mentor and the escort."""
    participants = await ctx.trials.participants(trial.id)
    guardians = await ctx.people.guardians_of(p.pupil_id for p in participants)
    wanted: list[tuple[int, str]] = []
    for p in participants:
        wanted.append((p.pupil_id, Role.PUPIL))
        wanted += [(parent, Role.PARENT) for parent in guardians.get(p.pupil_id, [])]
    wanted += [(i, role) for i, role in ((trial.mentor_id, Role.MENTOR),
                                         (trial.escort_id, Role.TEACHER)) if i]
    people = await ctx.people.many(i for i, _role in wanted)
    joined = await ctx.trial_setup.joined(people.keys())
    seen: set[int] = set()
    found = []
    for person_id, role in wanted:
        person = people.get(person_id)
        if person is None or person.anonymised_at is not None or person_id in joined \
                or person_id in seen:
            continue
        seen.add(person_id)
        found.append((person, role))
    return found


# --- "My trials" ---------------------------------------------------------------------------------

def _mark(ctx: Context, trial: Trial) -> str:
    if trial.status == TrialStatus.CANCELLED:
        return "✖️"
    if trial.ends_at <= ctx.now:
        return "✔️"
    return "▶️" if trial.starts_at <= ctx.now else "📅"


@feature.button(MyTrials)
async def _list(ctx: Context, p: MyTrials) -> list[Outbound]:
    """The school's trials to come and of the last two months."""
    person = coordinator(ctx)
    if person is None or person.school_id is None:
        raise Refusal(_("Only a school coordinator can see the school's trials."))
    school = await ctx.schools.get(person.school_id)
    assert school is not None
    repo = ctx.trial_setup
    trials = (await repo.upcoming(school.id, ctx.now, UPCOMING_SHOWN)
              + await repo.recent(school.id, ctx.now, RECENT, RECENT_SHOWN))
    tr = ctx.tr
    if not trials:
        return [ctx.say(_("There are no trials yet."),
                        [[Button(tr.plain(_("➕ New trial")), NewTrial().pack())],
                         [menu_button(tr)]])]
    rows = [[Button(f"{_mark(ctx, t)} {tr.date(t.starts_at, school.timezone, 'dd.MM')} "
                    f"{t.title}"[:60], ShowTrial(t.id).pack())] for t in trials]
    rows.append([menu_button(tr)])
    return [ctx.say(_("The school's trials: those to come, then those of the last two months. "
                      "Tap one to see where it stands.\n📅 to come · ▶️ under way · ✔️ over · "
                      "✖️ cancelled"), rows)]


# --- the status message ------------------------------------------------------------------------

MENTOR_STATES: dict[str, str] = {
    MentorStatus.CONFIRMED: _("confirmed ✅"),
    MentorStatus.DECLINED: _("cannot come ❌"),
    MentorStatus.PENDING: _("has not answered yet ⏳"),
}


def _names(people: list[Person]) -> str:
    return ", ".join(p.full_name for p in sorted(people, key=lambda p: p.full_name))


def _count_line(tr: Translator, title: str, done: list[Person], of: list[Person],
                missing_title: str) -> list[str]:
    """"<title>: 1 of 2" and, when some are missing, who."""
    lines: list[str] = [tr(title, done=len(done), count=len(of))]
    missing = [p for p in of if p not in done]
    if missing:
        lines.append(tr(missing_title, names=_names(missing)))
    return lines


async def status_text(ctx: Context, trial: Trial) -> Safe:
    tr = ctx.tr
    facts: TrialFacts = (await ctx.journal.facts([trial]))[0]
    tz = facts.school.timezone
    dash = "—"
    where = ", ".join(x for x in (facts.partner.name if facts.partner else None,
                                  facts.site.name if facts.site else None,
                                  facts.site.address if facts.site else None) if x)
    lines = [f"<b>«{escape(trial.title)}»</b>",
             tr(_("📅 {when}"), when=span(tr, trial.starts_at, trial.ends_at, tz)),
             tr(_("📍 {where}"), where=where or dash)]
    if trial.status == TrialStatus.CANCELLED:
        lines.append(tr(_("✖️ This trial is cancelled.")))
    elif trial.ends_at <= ctx.now:
        lines.append(tr(_("✔️ This trial is over.")))
    elif trial.starts_at <= ctx.now:
        lines.append(tr(_("▶️ This trial is under way.")))
    mentor = facts.staff.get(trial.mentor_id or 0)
    if mentor is None:
        lines.append(tr(_("👤 Mentor: not assigned yet")))
    else:
        state = tr(MENTOR_STATES.get(trial.mentor_status, MENTOR_STATES[MentorStatus.PENDING]))
        lines.append(tr(_("👤 Mentor: {name}, {state}"), name=mentor.full_name, state=state))
        if trial.mentor_status == MentorStatus.DECLINED and trial.mentor_reason:
            lines.append(tr(_("The reason given: {reason}"), reason=trial.mentor_reason))
    escort = facts.staff.get(trial.escort_id or 0)
    lines.append(tr(_("🧑‍🏫 Escort: {name}"), name=escort.full_name if escort
                    else tr(_("not assigned yet"))))

    pupils = list(facts.pupils.values())
    consent = facts.consents
    agreed = [p for p in pupils if p.id in consent and consent[p.id].participation == "agree"]
    declined = [p for p in pupils if p.id in consent and p not in agreed]
    missing = [p for p in pupils if p.id not in consent]
    lines += ["", tr(_("<b>Consents</b> ({count} pupils): ✅ {agreed} · ⛔ {declined} · "
                       "⏳ {missing}"), count=len(pupils), agreed=len(agreed),
                     declined=len(declined), missing=len(missing))]
    if declined:
        lines.append(tr(_("Declined: {names}"), names=_names(declined)))
    if missing:
        lines.append(tr(_("No answer yet: {names}"), names=_names(missing)))
    conflicts = await ctx.consents.conflicts(trial.id)
    disagree = [facts.pupils[c.pupil_id] for c in conflicts if c.pupil_id in facts.pupils]
    if disagree:
        lines.append(tr(_("⚠️ The parents disagree (the latest decision stands): {names}"),
                        names=_names(disagree)))
    earlier = sum(1 for c in consent.values() if c.text_version < trial.text_version)
    if earlier:
        lines.append(tr(_("Decisions given before the trial was changed (they stand): "
                          "{count}"), count=earlier))

    reflected = facts.reflections
    if ctx.now < trial.starts_at:
        lines += _count_line(
            tr, _("<b>Before-questionnaire:</b> {done} of {count}"),
            [p for p in pupils if "pupil.before" in reflected.get(p.id, {})], pupils,
            _("Not answered yet: {names}"))
    else:
        marks = Counter(p.attendance for p in facts.participants)
        lines.append(tr(_("<b>Attendance:</b> present {present}, absent {absent}, not marked "
                          "{unmarked}"), present=marks["present"], absent=marks["absent"],
                        unmarked=marks[None]))
        present = [p for p in pupils if took_part_in(facts, p.id)]
        lines += _count_line(tr, _("<b>Mentor's card:</b> {done} of {count} rated"),
                             [p for p in present if p.id in facts.rubric], present,
                             _("Not rated yet: {names}"))
        lines.append(tr(_("The card is submitted.")) if trial.card_submitted_at
                     else tr(_("The card is not submitted yet.")))
        if ctx.now >= trial.ends_at:
            for flow, title in (("pupil.after", _("<b>After-questionnaire:</b> {done} of "
                                                  "{count}")),
                                ("pupil.trace", _("<b>Trace reflection:</b> {done} of "
                                                  "{count}"))):
                lines += _count_line(tr, title,
                                     [p for p in present if flow in reflected.get(p.id, {})],
                                     present, _("Not answered yet: {names}"))
            summaries = Counter(s.status for s in await ctx.trial_setup
                                .summaries(trial.id))
            lines.append(tr(_("<b>Summaries for parents:</b> sent {sent}, approved {approved}, "
                              "awaiting approval {draft}"), sent=summaries[SENT],
                            approved=summaries[APPROVED], draft=summaries[DRAFT]))

    if trial.status != TrialStatus.CANCELLED:
        waiting = await pending_people(ctx, trial)
        if waiting:
            lines += ["", tr(_("<b>Not joined Synaq yet ({count}):</b> {names}"),
                             count=len(waiting), names=", ".join(p.full_name for p, _r in waiting))]
    undelivered = await ctx.trial_setup.undelivered(trial.id)
    if undelivered:
        lines += ["", tr(_("<b>Messages that did not arrive ({count}):</b>"),
                         count=len(undelivered))]
        for row, person in undelivered:
            why = (tr(_("not delivered")) if row.status == OutboxStatus.FAILED
                   else tr(_("still trying")))
            lines.append(tr(_("• {name}: {why}"), name=person.full_name, why=why))
        lines.append(tr(_("Details: “Delivery problems” in the menu.")))
    return Safe("\n".join(lines))


def status_buttons(ctx: Context, trial: Trial, waiting: int) -> list[list[Button]]:
    tr = ctx.tr
    rows: list[list[Button]] = []
    if trial.status != TrialStatus.CANCELLED and ctx.now < trial.starts_at:
        rows += [[Button(tr.plain(_("📅 Move")), MoveTrial(trial.id).pack()),
                  Button(tr.plain(_("✖️ Cancel")), CancelTrial(trial.id).pack())],
                 [Button(tr.plain(_("👤 Mentor and escort")), AssignStaff(trial.id).pack())]]
    if trial.status != TrialStatus.CANCELLED and waiting:
        rows.append([Button(tr.plain(_("✉️ Invite those who have not joined ({count})"),
                                     count=waiting), TrialInvites(trial.id).pack())])
    rows.append([Button(tr.plain(_("⧉ Duplicate")), DuplicateTrial(trial.id).pack())])
    rows.append([Button(tr.plain(_("⬅️ My trials")), MyTrials().pack())])
    return rows


async def status_message(ctx: Context, trial: Trial) -> Outbound:
    assert ctx.person is not None
    waiting = 0 if trial.status == TrialStatus.CANCELLED else len(
        await pending_people(ctx, trial))
    return Outbound(text=await status_text(ctx, trial), person_id=ctx.person.id,
                    buttons=status_buttons(ctx, trial, waiting), trial_id=trial.id)


@feature.button(ShowTrial)
async def _status(ctx: Context, p: ShowTrial) -> list[Outbound]:
    """Where the trial stands, with what can be done about it."""
    trial = await managed_trial(ctx, p.trial_id)
    return [await status_message(ctx, trial)]


# --- the trial's invites -------------------------------------------------------------------------

@feature.button(TrialInvites)
async def _invites(ctx: Context, p: TrialInvites) -> list[Outbound]:
    """Who would get a new code; asks before issuing (earlier codes stop)."""
    trial = await managed_trial(ctx, p.trial_id)
    if trial.status == TrialStatus.CANCELLED:
        raise Refusal(NOT_FOUND)
    waiting = await pending_people(ctx, trial)
    if not waiting:
        return [ctx.say(_("Everyone of «{trial}» has joined Synaq."), trial=trial.title)]
    tr = ctx.tr
    rows = [[Button(tr.plain(_("🔗 Links in this chat")), IssueTrialInvites(trial.id, LINKS).pack())]]
    if trial.class_id is not None:
        rows.append([Button(tr.plain(_("🖨 Printable sheet (PDF)")),
                            IssueTrialInvites(trial.id, PDF).pack())])
    return [ctx.say(_("«{trial}»: people who have not joined yet: {count} ({names}). New codes "
                      "will be issued for them, and the codes they were given earlier will "
                      "stop working."), rows, trial=trial.title, count=len(waiting),
                    names=", ".join(p.full_name for p, _r in waiting))]


@feature.button(IssueTrialInvites)
async def _issue(ctx: Context, p: IssueTrialInvites) -> list[Outbound]:
    """New codes for the trial's people who have not joined, as links or a sheet."""
    trial = await managed_trial(ctx, p.trial_id)
    kind = p.via
    if trial.status == TrialStatus.CANCELLED or kind not in (LINKS, PDF):
        raise Refusal(NOT_FOUND)
    school = await ctx.schools.get(trial.school_id)
    school_class = await ctx.schools.school_class(trial.class_id) if trial.class_id else None
    assert school is not None and ctx.person is not None
    on_trial = {p.pupil_id for p in await ctx.trials.participants(trial.id)}
    slips: list[Slip] = []
    for person, role in await pending_people(ctx, trial):
        code = await ctx.invites.issue(person.id, role, school.id, ctx.now,
                                       ctx.config.invite_ttl)
        children = ([c.full_name for c in await ctx.people.children(person.id)
                     if c.id in on_trial] if role == Role.PARENT else [])
        telegram, whatsapp = links(ctx, code)
        slips.append(Slip(InviteLine(school.id, person.id, role, person.full_name, children,
                                     code, telegram, whatsapp),
                          person.locale or school.default_locale,
                          school_class.name if school_class else ""))
    await ctx.audit.record(ctx.person.id, "invites.issue", f"trial:{trial.id}",
                                    ctx.now, count=len(slips), via=kind)
    if not slips:
        return [ctx.say(_("Everyone of «{trial}» has joined Synaq."), trial=trial.title)]
    tr = ctx.tr
    if kind == PDF and school_class is not None:
        data = sheet_pdf(school, school_class, slips, ctx.now, ctx.now + ctx.config.invite_ttl)
        key, _digest = MediaStore(ctx.config.media_dir).put(data, "application/pdf", ctx.now)
        return [Outbound(text=tr(_("«{trial}»: invitation slips to print and cut out "
                                   "({count}). Codes given earlier to these people no longer "
                                   "work."), trial=trial.title, count=len(slips)),
                         person_id=ctx.person.id, trial_id=trial.id,
                         buttons=[[Button(tr.plain(_("📋 Trial status")),
                                          ShowTrial(trial.id).pack())]],
                         attachments=[Attachment("document", key, f"invites-trial-{trial.id}.pdf",
                                                 "application/pdf")])]
    lines = [tr(_("«{trial}»: new codes. Codes given earlier to these people no longer work."),
                trial=trial.title)]
    for slip in slips:
        line = slip.line
        if line.role == Role.PARENT:
            who = tr(_("{name}, parent of {children}"), name=line.person,
                     children=", ".join(line.pupils))
        else:
            who = tr(_("{name} ({role})"), name=line.person, role=tr(ROLE_LABELS[line.role]))
        link = line.telegram_link or line.whatsapp_link
        lines.append(Safe(f"{who}\n<b>{line.code}</b>" + (f" {link}" if link else "")))
    return [Outbound(text=Safe("\n\n".join(lines)), person_id=ctx.person.id, trial_id=trial.id,
                     buttons=[[Button(tr.plain(_("📋 Trial status")), ShowTrial(trial.id).pack())],
                              [menu_button(tr)]])]


ROLE_LABELS = {"pupil": _("pupil"), "mentor": _("mentor"), "teacher": _("escort")}

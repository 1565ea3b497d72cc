"""The one-page summary for parents (form Г, l. 8148–8188).

Made for each pupil who took part (current consent "agree", not marked absent) once the
mentor's card is submitted and the pupil's after-questionnaire is complete, or three days
after the trial from whatever exists. It has the eight parts of form Г in each parent's own
language, one personal line "what my child did" (the mentor's result and plus, the pupil's own
"what did I do"; plain and honest, about the work, not the child — l. 7476–7480, 7550–7554),
the artefact photos the consents allow, the family's next-step choice as buttons, and the
contacts; it goes as a chat message and as a one-page PDF.

Where the school requires it (``School.summary_needs_approval``) the class teacher (the
trial's escort, else the class's teacher, else the coordinator) gets the draft first and
approves it, or rewrites the personal line (flow ``summary.edit``) and then approves.

The generated personal line is rendered in each reader's language from the data;
``Summary.personal_line`` holds only a line the teacher wrote. Texts are built as plain
strings (for the PDF) and escaped as a whole for chat messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flows.pupil_after import AFTER_TRIAL
from flows.summary_edit import SUMMARY_EDIT
from handlers import access, conversation
from handlers.access import Action
from handlers.briefing import TrialCard, load_card, when
from handlers.context import Context
from handlers.events import Attachment, Button, Outbound
from handlers.feature import Feature
from handlers.menu import menu_button
from handlers.portfolio.view import pictures, shown_media, took_part
from handlers.pupil.questionnaires import effective_tier
from handlers.refusal import Refusal
from handlers.schedule.school_time import SchoolTime
from handlers.summary.buttons import (
    ApproveSummary,
    ChooseNextStep,
    EditLine,
    ShowDraft,
    ViewSummary,
)
from locales import Safe, Translator, _, escape
from storage.files import MediaStore
from storage.models import FlowRun, Media, Person, PhotoTier, Summary, Trial, TrialStatus
from storage.repos.portfolio import Answers
from storage.repos.rubric import RubricCard
from storage.repos.summaries import APPROVED, DRAFT

feature = Feature("summary.family")

PURPOSE = "summary"
# T + 3 d: the summary is made from whatever exists (trial-cycle.md, timeline).
GRACE = timedelta(days=3)
# Trials that ended longer ago get no summary from the scheduler (a fresh install with an
# imported history must not write to every family about last year).
WINDOW = timedelta(days=14)
# The parent's menu lists the summaries of this long.
MENU_WINDOW = timedelta(days=60)
# The user-written parts of the personal line are cut to keep it one line.
QUOTE_LIMIT = 200
PHOTOS = 3

# Form Г part 7 (forms.md): the family's options, stored in Summary.family_choice; a short
# button label (WhatsApp lists take 24 characters) and the option in words.
NEXT_STEPS: dict[str, tuple[str, str]] = {
    "repeat": (_("🔁 Another operation"), _("repeat the trial on another operation")),
    "college": (_("🎓 College or university"), _("visit a specialised college or university")),
    "home": (_("🏠 Home mini-project"), _("a short home mini-project")),
    "online": (_("💻 Professional online"), _("an online meeting with a professional")),
}
RESULT_LINES = {
    "yes": _("{child}: the mini-task is done."),
    "partly": _("{child}: the mini-task is partly done."),
    "no": _("{child}: the mini-task was started; this time it was not finished."),
}
PHOTO_RULES = {
    PhotoTier.PUBLICATION: _("Photos: the consents allow the school to publish them."),
    PhotoTier.PORTFOLIO: _("Photos are kept for the portfolio only: only your child, you and "
                           "the school staff see them."),
    PhotoTier.PROHIBITED: _("No photos of your child are kept, as the permissions say."),
}


# --- what a summary is made of -----------------------------------------------------------------


@dataclass
class Facts:
    summary: Summary
    trial: Trial
    pupil: Person
    card: TrialCard
    class_teacher: Person | None
    rubric: RubricCard | None
    after: Answers
    tier: PhotoTier
    school: str = ""
    media: list[Media] = field(default_factory=list)  # what the family may see

    @property
    def child(self) -> str:
        return self.pupil.full_name.split()[0]


async def load(ctx: Context, summary: Summary) -> Facts | None:
    trial = await ctx.trials.get(summary.trial_id)
    pupil = await ctx.people.get(summary.pupil_id)
    if (trial is None or trial.status == TrialStatus.CANCELLED or pupil is None
            or pupil.anonymised_at is not None):
        return None
    card = await load_card(ctx, trial)
    teacher_id = await ctx.summaries.class_teacher(pupil.class_id)
    teacher = await ctx.people.get(teacher_id) if teacher_id else None
    run = await ctx.runs.latest(pupil.id, AFTER_TRIAL.id, trial.id)
    files = await ctx.portfolio.artefacts(pupil.id, [trial.id])
    school = await ctx.schools.get(trial.school_id)
    return Facts(
        summary=summary, trial=trial, pupil=pupil, card=card,
        class_teacher=teacher or card.escort,
        rubric=(await ctx.rubrics.cards(trial.id)).get(pupil.id),
        after=await ctx.runs.answers(run.id) if run else {},
        tier=await effective_tier(ctx, trial, pupil.id),
        school=school.name if school else "",
        media=await shown_media(ctx, trial, pupil.id, files.get(trial.id, [])),
    )


def _quote(text: str) -> str:
    text = " ".join(text.split()).rstrip(" .")
    return text if len(text) <= QUOTE_LIMIT else text[:QUOTE_LIMIT - 1].rstrip() + "…"


def personal_line(f: Facts, tr: Translator) -> str:
    """Part 5: the teacher's line, else one line from the mentor's result and plus and the
    pupil's own words."""
    if f.summary.personal_line:
        return f.summary.personal_line
    parts = []
    if f.rubric is not None:
        parts.append(tr.plain(RESULT_LINES.get(f.rubric.result, RESULT_LINES["partly"]),
                              child=f.child))
        if f.rubric.plus:
            parts.append(tr.plain(_("The mentor noted: «{plus}»."), plus=_quote(f.rubric.plus)))
    did = f.after.get("did", {}).get("text")
    if did:
        parts.append(tr.plain(_("{child}, in their own words: «{did}»."), child=f.child,
                              did=_quote(str(did))))
    if not parts:
        return tr.plain(_("Neither the mentor's card nor your child's own reflection came in, "
                          "so there is no personal note this time; the class teacher can tell "
                          "you more."))
    return " ".join(parts)


def _person(person: Person | None, position: bool = True, phone: bool = False) -> str | None:
    if person is None:
        return None
    parts = [person.full_name]
    if position and person.position:
        parts.append(person.position)
    if phone and person.phone:
        parts.append(person.phone)
    return ", ".join(parts)


@dataclass
class Section:
    title: str
    lines: list[str]
    pictures: list[Media] = field(default_factory=list)


def sections(f: Facts, tr: Translator) -> list[Section]:
    """The eight parts of form Г, as plain text in ``tr``'s language."""
    trial, card = f.trial, f.card
    what = [tr.plain(_("Our class tried the profession «{profession}» at a real workplace, to "
                       "see how this work is done and what skills it needs."),
                     profession=trial.profession or trial.title)]
    if trial.labour_function:
        what.append(tr.plain(_("The task we simulated: {function}."),
                             function=trial.labour_function.rstrip(" .")))
    if trial.pupil_goal:
        what.append(tr.plain(_("The pupils' goal: {goal}"), goal=trial.pupil_goal))

    where = []
    if card.partner:
        where.append(tr.plain(_("Partner: {partner}"), partner=card.partner.name))
    if card.site:
        where.append(tr.plain(_("Site: {address}"), address=", ".join(
            x for x in (card.site.address, card.site.place) if x)))
    if (mentor := _person(card.mentor)) is not None:
        where.append(tr.plain(_("Mentor: {mentor}"), mentor=mentor))
    if (escort := _person(card.escort, position=False)) is not None:
        where.append(tr.plain(_("Escorting teacher: {escort}"), escort=escort))
    where.append(tr.plain(_("When: {when}"), when=when(card, tr)))

    learn = []
    steps = [s for s in trial.mini_task if s]
    if steps:
        learn.append(tr.plain(_("The mini-task, step by step:")))
        learn += [f"{i}) {s}" for i, s in enumerate(steps, 1)]
    elif trial.labour_function:
        learn.append(trial.labour_function)
    if trial.subjects:
        learn.append(tr.plain(_("Linked school subjects: {subjects}"),
                              subjects=", ".join(trial.subjects)))

    safety = []
    if trial.safety_briefing:
        safety.append(tr.plain(_("Safety briefing: {briefing}"), briefing=trial.safety_briefing))
    if trial.ppe:
        safety.append(tr.plain(_("Protective equipment and clothing: {ppe}"), ppe=trial.ppe))
    responsible = [p.full_name for p in (card.mentor, card.escort or card.coordinator) if p]
    if responsible:
        safety.append(tr.plain(_("Responsible on site: {people}"),
                               people=", ".join(responsible)))
    safety.append(tr.plain(PHOTO_RULES[f.tier]))
    safety.append(tr.plain(_("Medical notes were shown only to the adults responsible for "
                             "the trial, as far as they needed them; other personal data "
                             "stays with the school.")))

    shown = pictures(f.media)
    if shown:
        artefact = [tr.plain(_("Photos of the work: {count}, attached."), count=len(shown))]
    elif f.tier == PhotoTier.PROHIBITED:
        artefact = [tr.plain(_("No photos of the work were kept: the permissions for this "
                               "trial do not allow it."))]
    else:
        artefact = [tr.plain(_("No photo of the work was sent."))]
    artefact.append(tr.plain(_("Your child's reflection and the mentor's feedback are in the "
                               "portfolio.")))

    choice = f.summary.family_choice
    if choice in NEXT_STEPS:
        nxt = [tr.plain(_("Your family's choice: {choice}."),
                        choice=tr.plain(NEXT_STEPS[choice][1]))]
    else:
        nxt = [tr.plain(_("Which next step would your family like? The options:"))]
        nxt += [f"• {tr.plain(long)}" for _label, long in NEXT_STEPS.values()]

    contacts = []
    if (teacher := _person(f.class_teacher, position=False, phone=True)) is not None:
        contacts.append(tr.plain(_("Class teacher: {person}"), person=teacher))
    if (coordinator := _person(card.coordinator, position=False, phone=True)) is not None:
        contacts.append(tr.plain(_("School coordinator: {person}"), person=coordinator))

    return [
        Section(tr.plain(_("What this was and why")), what),
        Section(tr.plain(_("Where and with whom")), where),
        Section(tr.plain(_("What the children learn")), learn),
        Section(tr.plain(_("How safety was ensured")), safety),
        Section(tr.plain(_("What my child did")), [personal_line(f, tr)]),
        Section(tr.plain(_("Artefact")), artefact, shown),
        Section(tr.plain(_("Next step (at the family's choice)")), nxt),
        Section(tr.plain(_("Contacts")), contacts or ["—"]),
    ]


def title(f: Facts, tr: Translator) -> tuple[str, str]:
    return (tr.plain(_("Summary for parents: {child}"), child=f.pupil.full_name),
            f"«{f.trial.title}», {when(f.card, tr)}")


def summary_html(f: Facts, tr: Translator) -> Safe:
    head, sub = title(f, tr)
    parts = [f"<b>{escape(head)}</b>\n{escape(sub)}"]
    for i, section in enumerate(sections(f, tr), 1):
        body = "\n".join(escape(line) for line in section.lines)
        parts.append(f"<b>{i}. {escape(section.title)}</b>\n{body}")
    return Safe("\n\n".join(parts))


def choice_buttons(tr: Translator, summary: Summary) -> list[list[Button]]:
    """The four options; the family's choice marked ✅ in place of its emoji."""
    rows = []
    for value, (label, _long) in NEXT_STEPS.items():
        text = tr.plain(label)
        if summary.family_choice == value:
            text = "✅" + text[text.find(" "):]
        rows.append([Button(text, ChooseNextStep(summary.id, value).pack())])
    return rows


def pdf_attachment(ctx: Context, f: Facts, tr: Translator) -> Attachment:
    from handlers.render.summary_pdf import summary_pdf

    store = MediaStore(ctx.config.media_dir)
    _head, sub = title(f, tr)
    data = summary_pdf(tr.plain(_("Summary for parents")), f.pupil.full_name, sub,
                       sections(f, tr), store, ctx.now, footer=f.school)
    key, _digest = store.put(data, "application/pdf", ctx.now)
    name = tr.plain(_("Summary for parents — {child}.pdf"), child=f.pupil.full_name)
    return Attachment("document", key, name, "application/pdf")


def family_message(ctx: Context, f: Facts, parent: Person) -> Outbound:
    """What a parent gets: the text, the next-step buttons, the photos, the PDF."""
    tr = ctx.tr_for(parent)
    photos = [Attachment("photo", m.storage_key, None, m.mime) for m in pictures(f.media)[:PHOTOS]]
    return Outbound(text=summary_html(f, tr), person_id=parent.id, trial_id=f.trial.id,
                    buttons=choice_buttons(tr, f.summary),
                    attachments=[*photos, pdf_attachment(ctx, f, tr)])


# --- sending ------------------------------------------------------------------------------------


async def deliver(ctx: Context, f: Facts) -> list[Outbound]:
    """An approved summary to every reachable parent (after quiet hours); marks it sent.
    Nothing while nobody can be reached, or when the pupil no longer counts as taking part."""
    if f.summary.status != APPROVED or not await took_part(ctx, f.trial, f.pupil.id):
        return []
    parents = [p for p in await ctx.people.guardians(f.pupil.id) if p.anonymised_at is None]
    reachable = await ctx.people.preferred_identities(p.id for p in parents)
    targets = [p for p in parents if p.id in reachable]
    if not targets:
        return []
    clock = SchoolTime.of(await ctx.schools.get(f.trial.school_id), ctx.config)
    hold = clock.not_before(ctx.now, "parent")
    out = []
    for parent in targets:
        message = family_message(ctx, f, parent)
        message.purpose = PURPOSE
        message.dedup_key = f"{PURPOSE}:{f.trial.id}:{parent.id}:{f.pupil.id}"
        message.not_before = hold
        out.append(message)
    await ctx.summaries.mark_sent(f.summary, ctx.now)
    return out


async def approver(ctx: Context, f: Facts) -> Person | None:
    """Who approves: the escorting teacher, else the class teacher, else the coordinator."""
    for person in (f.card.escort, f.class_teacher, f.card.coordinator):
        if person is not None and person.anonymised_at is None:
            return person
    return None


def draft_message(ctx: Context, f: Facts, viewer: Person, lead: str) -> Outbound:
    tr = ctx.tr_for(viewer)
    text = Safe(tr(lead, child=f.pupil.full_name, trial=f.trial.title) + "\n\n"
                + summary_html(f, tr))
    rows = [[Button(tr.plain(_("✅ Approve and send")), ApproveSummary(f.summary.id).pack())],
            [Button(tr.plain(_("✏️ Edit the personal line")), EditLine(f.summary.id).pack())]]
    return Outbound(text=text, person_id=viewer.id, buttons=rows, trial_id=f.trial.id)


DRAFT_LEAD = _("A summary for parents is ready: {child}, «{trial}». Please read it: approve "
               "it to send it to the parents, or first rewrite the line about what the pupil "
               "did.")


async def ask_approval(ctx: Context, f: Facts) -> list[Outbound]:
    person = await approver(ctx, f)
    if person is None:  # nobody at the school to ask: it goes out as made
        await ctx.summaries.approve(f.summary, None, ctx.now)
        return await deliver(ctx, f)
    message = draft_message(ctx, f, person, DRAFT_LEAD)
    message.purpose = "summary.approve"
    message.dedup_key = f"summary.approve:{f.summary.id}:{person.id}"
    return [message]


@feature.due(PURPOSE)
async def _due(ctx: Context) -> list[Outbound]:
    """New summaries (both parts in, or T + 3 d), and approved ones not sent yet."""
    repo = ctx.summaries
    out: list[Outbound] = []
    for trial_id, pupil_id in await repo.due(ctx.now, ctx.now - WINDOW, GRACE):
        trial = await ctx.trials.get(trial_id)
        if trial is None or not await took_part(ctx, trial, pupil_id):
            continue
        school = await ctx.schools.get(trial.school_id)
        needs = school is not None and school.summary_needs_approval
        summary = await repo.create(trial_id, pupil_id, DRAFT if needs else APPROVED, ctx.now)
        if summary is not None and needs and (f := await load(ctx, summary)) is not None:
            out += await ask_approval(ctx, f)
    for summary in await repo.unsent(ctx.now - WINDOW):
        if (f := await load(ctx, summary)) is not None:
            out += await deliver(ctx, f)
    return out


# --- the class teacher: approve, or rewrite the personal line -----------------------------------


async def _approvable(ctx: Context, summary_id: int) -> Facts | None:
    grant = await access.check(ctx, Action.APPROVE_SUMMARY, summary_id=summary_id)
    if grant is None or grant.summary is None:
        return None
    return await load(ctx, grant.summary)


async def approvable(ctx: Context, summary_id: int) -> Facts:
    """The summary if the current person may approve it (the trial's escort or coordinator,
    or the class teacher of the pupil's class: ``Action.APPROVE_SUMMARY``); for anyone else
    or a forged id it raises ``Refusal()``."""
    f = await _approvable(ctx, summary_id)
    if f is None:
        raise Refusal()
    return f


ALREADY = _("This summary is already approved and sent to the parents.")


@feature.button(ShowDraft)
async def _show_draft(ctx: Context, p: ShowDraft) -> list[Outbound]:
    """The draft with its buttons."""
    f = await approvable(ctx, p.summary_id)
    if f.summary.status != DRAFT:
        raise Refusal(ALREADY)
    assert ctx.person is not None
    return [draft_message(ctx, f, ctx.person, DRAFT_LEAD)]


@feature.button(ApproveSummary)
async def _approve(ctx: Context, p: ApproveSummary) -> list[Outbound]:
    """Approve, and send to the parents."""
    f = await approvable(ctx, p.summary_id)
    assert ctx.person is not None
    if not await took_part(ctx, f.trial, f.pupil.id):
        raise Refusal(_("{child}: nothing was sent — the parents' consent for this trial no "
                        "longer stands, or the pupil was marked absent."),
                      child=f.pupil.full_name)
    if not await ctx.summaries.approve(f.summary, ctx.person.id, ctx.now):
        raise Refusal(ALREADY)  # approved by a tap before this one: nothing was written
    await _cancel_edit(ctx, f.summary)
    sent = await deliver(ctx, f)
    reply = (_("✅ Approved — {child}: the summary goes to the parents.") if sent else
             _("✅ Approved — {child}: the summary goes to the parents as soon as one of them "
               "joins Synaq."))
    return [ctx.say(reply, child=f.pupil.full_name), *sent]


async def _cancel_edit(ctx: Context, summary: Summary) -> None:
    """An unfinished rewrite would change an approved text: close it."""
    assert ctx.person is not None
    run = await ctx.runs.latest(ctx.person.id, SUMMARY_EDIT.id, summary.trial_id,
                                summary.pupil_id)
    if run is not None and run.status == "active":
        await ctx.runs.cancel(run, ctx.now)


@feature.button(EditLine)
async def _edit(ctx: Context, p: EditLine) -> list[Outbound]:
    """Rewrite the personal line (a one-question flow)."""
    f = await approvable(ctx, p.summary_id)
    if f.summary.status != DRAFT:
        raise Refusal(ALREADY)
    return await conversation.start(ctx, SUMMARY_EDIT, trial_id=f.trial.id, pupil_id=f.pupil.id)


async def _edited(ctx: Context, run: FlowRun) -> Facts | None:
    summary = (await ctx.summaries.of(run.trial_id, run.pupil_id)
               if run.trial_id and run.pupil_id else None)
    f = await _approvable(ctx, summary.id) if summary else None
    return f if f is not None and f.summary.status == DRAFT else None


async def _edit_guard(ctx: Context, run: FlowRun) -> list[Outbound] | None:
    """The draft may have been approved, or the approver changed, since the run started."""
    if await _edited(ctx, run) is None:
        raise Refusal(ALREADY)
    return None


async def _edit_context(ctx: Context, run: FlowRun) -> dict[str, Any]:
    f = await _edited(ctx, run)
    if f is None:
        return {"child": "", "line": ""}
    return {"child": f.child, "line": personal_line(f, ctx.tr)}


async def _line_written(ctx: Context, run: FlowRun,
                        answers: dict[str, dict[str, Any]]) -> list[Outbound]:
    # The answer is stored by now: a refusal here is said, not raised (a Refusal is raised only
    # before anything of the event is written, as the guard does).
    f = await _edited(ctx, run)
    line = answers.get("line", {}).get("text")
    if f is None or not line or ctx.person is None:
        return [ctx.say(ALREADY)]
    await ctx.summaries.set_line(f.summary, str(line), ctx.person.id)
    return [draft_message(ctx, f, ctx.person, _("Saved — {child}: the summary now reads as "
                                                  "below."))]


async def _drafts(ctx: Context) -> list[Button]:
    assert ctx.person is not None
    buttons = []
    for summary in await ctx.summaries.drafts_for(ctx.person.id):
        pupil = await ctx.people.get(summary.pupil_id)
        if pupil is not None:
            buttons.append(Button(ctx.tr.plain(_("📝 Summary to approve: {child}"),
                                               child=pupil.full_name),
                                  ShowDraft(summary.id).pack()))
    return buttons


@feature.menu("teacher")
async def _teacher_menu(ctx: Context) -> list[Button]:
    return await _drafts(ctx)


@feature.menu("coordinator")
async def _coordinator_menu(ctx: Context) -> list[Button]:
    assert ctx.person is not None
    if "teacher" in ctx.person.role_names:
        return []  # the teacher's section lists them already
    return await _drafts(ctx)


# --- the family: read it again, choose a next step ----------------------------------------------


NOT_YOURS = _("I cannot find this summary among your children's, so nothing was shown or "
              "changed. Please use the buttons of your menu: /menu")


async def family_summary(ctx: Context, summary_id: int | None = None,
                         trial_id: int | None = None,
                         pupil_id: int | None = None) -> Facts:
    """The sent summary (by its id, or by trial and pupil) if the current person is a parent
    of its pupil (``Action.FAMILY_SUMMARY``); else it raises ``Refusal(NOT_YOURS)``."""
    grant = await access.check(ctx, Action.FAMILY_SUMMARY, summary_id=summary_id,
                               trial_id=trial_id, pupil_id=pupil_id)
    f = await load(ctx, grant.summary) if grant is not None and grant.summary else None
    if f is None:
        raise Refusal(NOT_YOURS)
    return f


@feature.menu("parent")
async def _parent_menu(ctx: Context) -> list[Button]:
    assert ctx.person is not None
    children = {c.id: c for c in await ctx.people.children(ctx.person.id)}
    buttons = []
    for summary in await ctx.summaries.sent_for(children, ctx.now - MENU_WINDOW):
        trial = await ctx.trials.get(summary.trial_id)
        if trial is None:
            continue
        tz = await ctx.timezone_of(trial.school_id)
        buttons.append(Button(
            ctx.tr.plain(_("📄 Summary: {child}, {date}"),
                         child=children[summary.pupil_id].full_name.split()[0],
                         date=ctx.tr.date(trial.starts_at, tz, "d MMM")),
            ViewSummary(trial.id, summary.pupil_id).pack()))
    return buttons


@feature.button(ViewSummary)
async def _view(ctx: Context, p: ViewSummary) -> list[Outbound]:
    """The summary again, with the photos and the PDF."""
    f = await family_summary(ctx, trial_id=p.trial_id, pupil_id=p.pupil_id)
    assert ctx.person is not None
    message = family_message(ctx, f, ctx.person)
    message.purpose = PURPOSE
    message.buttons.append([menu_button(ctx.tr)])
    return [message]


@feature.button(ChooseNextStep)
async def _choose(ctx: Context, p: ChooseNextStep) -> list[Outbound]:
    """The family's next step; the coordinator is told."""
    f = await family_summary(ctx, summary_id=p.summary_id)
    value = p.choice
    if value not in NEXT_STEPS:
        raise Refusal()
    assert ctx.person is not None
    await ctx.summaries.set_choice(f.summary, value)
    await ctx.audit.record(ctx.person.id, "summary.choice", f"summary:{f.summary.id}",
                                    ctx.now, choice=value)
    tr = ctx.tr
    out = [ctx.say(_("Thank you! Your choice is saved: {choice}. The school coordinator will "
                     "see it; you can change it with the same buttons."),
                   buttons=[*choice_buttons(tr, f.summary), [menu_button(tr)]],
                   choice=tr.plain(NEXT_STEPS[value][1]))]
    coordinator = f.card.coordinator
    if coordinator is not None and coordinator.anonymised_at is None:
        ctr = ctx.tr_for(coordinator)
        out.append(Outbound(
            text=ctr(_("{child}: the family chose a next step after «{trial}»: {choice}."),
                     child=f.pupil.full_name, trial=f.trial.title,
                     choice=ctr.plain(NEXT_STEPS[value][1])),
            person_id=coordinator.id, purpose="summary.choice", trial_id=f.trial.id,
            dedup_key=f"summary.choice:{f.summary.id}:{value}"))
    return out


feature.flow(SUMMARY_EDIT, guard=_edit_guard, context=_edit_context, on_complete=_line_written)

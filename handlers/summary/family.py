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

from typing import Any

from flows.summary_edit import SUMMARY_EDIT
from handlers import access, conversation
from handlers.access import Action
from handlers.context import Context
from handlers.events import Attachment, Button, Outbound
from handlers.feature import Feature
from handlers.menu import menu_button
from handlers.portfolio.entries import pictures, took_part
from handlers.refusal import Refusal
from handlers.schedule.school_time import SchoolTime
from handlers.summary.buttons import (
    ApproveSummary,
    ChooseNextStep,
    EditLine,
    ShowDraft,
    ViewSummary,
)
from handlers.summary.compose import (
    GRACE,
    MENU_WINDOW,
    NEXT_STEPS,
    PHOTOS,
    PURPOSE,
    WINDOW,
    Facts,
    choice_buttons,
    load,
    personal_line,
    sections,
    summary_html,
    title,
)
from locales import Safe, Translator, _
from storage.files import MediaStore
from storage.models import FlowRun, Person, Role, Summary
from storage.repos.summaries import APPROVED, DRAFT

feature = Feature("summary.family")


def pdf_attachment(ctx: Context, f: Facts, tr: Translator) -> Attachment:
    from handlers.render.summary_pdf import summary_pdf  # fpdf: only when a summary is made

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
    hold = clock.not_before(ctx.now, Role.PARENT)
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


@feature.menu(Role.TEACHER)
async def _teacher_menu(ctx: Context) -> list[Button]:
    return await _drafts(ctx)


@feature.menu(Role.COORDINATOR)
async def _coordinator_menu(ctx: Context) -> list[Button]:
    assert ctx.person is not None
    if Role.TEACHER in ctx.person.role_names:
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


@feature.menu(Role.PARENT)
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

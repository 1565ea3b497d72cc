"""What a parents' summary (form Г, l. 8148–8188) is made of: the facts it is written from,
its eight parts as plain text in a reader's language, the chat message's HTML and the family's
next-step buttons. No chat, no sending: ``family.py`` does that, ``render/summary_pdf.py``
lays the same parts out on one page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from flows.pupil_after import AFTER_TRIAL
from handlers.briefing import TrialCard, contact_line, load_card, when
from handlers.context import Context
from handlers.events import Button
from handlers.portfolio.entries import pictures, shown_media
from handlers.pupil.questionnaires import effective_tier
from handlers.summary.buttons import (
    ChooseNextStep,
)
from locales import Safe, Translator, _, escape
from storage.models import Media, Person, PhotoTier, Summary, Trial, TrialStatus
from storage.repos.portfolio import Answers
from storage.repos.rubric import RubricCard

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
    if (mentor := contact_line(card.mentor, phone=False)) is not None:
        where.append(tr.plain(_("Mentor: {mentor}"), mentor=mentor))
    if (escort := contact_line(card.escort, position=False, phone=False)) is not None:
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
    if (teacher := contact_line(f.class_teacher, position=False)) is not None:
        contacts.append(tr.plain(_("Class teacher: {person}"), person=teacher))
    if (coordinator := contact_line(card.coordinator, position=False)) is not None:
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

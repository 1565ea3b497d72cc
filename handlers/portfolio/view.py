"""The pupil's portfolio (trial-cycle.md, "Portfolio and trajectory").

Each completed trial adds one entry per pupil (``PortfolioEntry``, made by the due job below
and again on demand); what an entry says is read each time from the data: the trial, the
pupil's before / after / trace answers, the mentor's rubric beside the self-rating with plus /
delta / next step, and the artefacts the photo rule still allows. Over the entries a
trajectory shows: the fields tried, interest over time (trace Q1 "liked", Q3 "would choose"),
the professions ruled out.

Who sees it: the pupil and their parents (in chat, and as a PDF). An entry is shown only while
the pupil counts as having taken part (current consent "agree", not marked absent), and its
files only while the most restrictive of their stored tier and today's effective tier is not
"prohibited" ("portfolio only" is fine here: the portfolio is the family's).

Texts are built as plain strings (for the PDF) and escaped as a whole for chat messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flows.criteria import CRITERIA
from flows.mentor_rubric import RESULT_OPTIONS
from flows.model import NO, UNSURE, YES, Choice, Flow, Text
from flows.pupil_after import AFTER_TRIAL
from flows.pupil_before import BEFORE_TRIAL
from flows.pupil_trace import TRACE
from handlers import access, participation
from handlers.access import Action
from handlers.context import Context
from handlers.events import Attachment, Button, Outbound
from handlers.feature import Feature
from handlers.menu import menu_button
from handlers.portfolio.buttons import PortfolioPdf, ShowPortfolio
from handlers.pupil.questionnaires import effective_tier
from handlers.refusal import Refusal
from locales import Safe, Translator, _, escape
from storage.files import MediaStore
from storage.models import (
    Media,
    Partner,
    Person,
    PhotoTier,
    Site,
    Trial,
    most_restrictive,
)
from storage.repos.portfolio import Answers
from storage.repos.rubric import RubricCard

feature = Feature("portfolio.view")

# Entries shown in chat, newest first; the PDF has them all.
LATEST = 3
# Pictures attached to one entry's message.
PICTURES_PER_ENTRY = 3
# How far back the due job looks for trials that ended (older ones get their entry when the
# pupil or a parent opens the portfolio).
DUE_WINDOW = timedelta(days=30)
IMAGE_MIMES = ("image/jpeg", "image/png")
CHOICE_LABELS = {o.value: o.label for o in (YES, NO, UNSURE)}
RESULT_LABELS = {o.value: o.label for o in RESULT_OPTIONS}
NO_ANSWER = _("no answer yet")


# --- who took part, which files may be shown --------------------------------------------------


async def took_part(ctx: Context, trial: Trial, pupil_id: int) -> bool:
    """With the parent's current consent and not marked absent (unmarked counts as there)."""
    consent = await ctx.consents.current(trial.id, pupil_id)
    participant = await ctx.trials.participant(trial.id, pupil_id)
    return participant is not None and participation.took_part(
        consent.participation if consent else None, participant.attendance)


async def shown_media(ctx: Context, trial: Trial, pupil_id: int, media: list[Media],
                      public: bool = False) -> list[Media]:
    """The files that may be shown now: the tier stored with each file and today's effective
    tier (consents change) together; "portfolio only" files only when not ``public``."""
    if not media:
        return []
    today = await effective_tier(ctx, trial, pupil_id)
    allowed = {PhotoTier.PUBLICATION} if public else {PhotoTier.PUBLICATION, PhotoTier.PORTFOLIO}
    return [m for m in media
            if most_restrictive(m.tier or PhotoTier.PROHIBITED, today) in allowed]


def pictures(media: list[Media]) -> list[Media]:
    return [m for m in media if m.mime in IMAGE_MIMES]


def attachments(media: list[Media], limit: int) -> list[Attachment]:
    """Pictures go as photos, anything else (a scanned PDF) as a document."""
    return [Attachment("photo" if m.mime in IMAGE_MIMES else "document", m.storage_key,
                       None, m.mime) for m in media[:limit]]


# --- the entries ------------------------------------------------------------------------------


@dataclass
class Entry:
    """One portfolio entry, read from the data."""

    trial: Trial
    site: Site | None
    partner: Partner | None
    timezone: str
    before: Answers = field(default_factory=dict)
    after: Answers = field(default_factory=dict)
    trace: Answers = field(default_factory=dict)
    card: RubricCard | None = None
    media: list[Media] = field(default_factory=list)  # those that may be shown

    @property
    def sector(self) -> str | None:
        return self.trial.sector or (self.partner.sector if self.partner else None)

    @property
    def profession(self) -> str:
        return self.trial.profession or self.trial.title


async def add_due(ctx: Context, pupil_id: int | None = None) -> int:
    """Add the entries that are due (all recent ones, or all of one pupil's); returns how many."""
    repo = ctx.portfolio
    since = None if pupil_id is not None else ctx.now - DUE_WINDOW
    added = 0
    for trial_id, pupil in await repo.due(ctx.now, since=since, pupil_id=pupil_id):
        trial = await ctx.trials.get(trial_id)
        if trial is not None and await took_part(ctx, trial, pupil):
            added += int(await repo.add(pupil, trial_id, ctx.now))
    return added


@feature.due("portfolio")
async def _add_entries(ctx: Context) -> list[Outbound]:
    """Every minute: an entry for each pupil whose trial is complete (nothing is sent)."""
    await add_due(ctx)
    return []


async def entries(ctx: Context, pupil: Person) -> list[Entry]:
    """The pupil's entries that may be shown, newest first."""
    await add_due(ctx, pupil.id)
    repo = ctx.portfolio
    rows = await repo.entries(pupil.id)
    trials = [t for _e, t in rows if await took_part(ctx, t, pupil.id)]
    answers = await repo.answers(pupil.id, (t.id for t in trials))
    files = await repo.artefacts(pupil.id, (t.id for t in trials))
    rubrics = ctx.rubrics
    found = []
    for trial in trials:
        site, partner = await ctx.trials.site_and_partner(trial)
        found.append(Entry(
            trial=trial, site=site, partner=partner,
            timezone=await ctx.timezone_of(trial.school_id),
            before=answers.get((trial.id, BEFORE_TRIAL.id), {}),
            after=answers.get((trial.id, AFTER_TRIAL.id), {}),
            trace=answers.get((trial.id, TRACE.id), {}),
            card=(await rubrics.cards(trial.id)).get(pupil.id),
            media=await shown_media(ctx, trial, pupil.id, files.get(trial.id, [])),
        ))
    return found


# --- words (plain text; escaped as a whole for chat) -------------------------------------------


def answer_text(value: dict[str, Any] | None, tr: Translator) -> str | None:
    """A stored answer as the reader should see it; None when skipped or missing."""
    if not value or value.get("skipped"):
        return None
    if value.get("text"):
        return str(value["text"])
    if value.get("kind") == "voice":
        return tr.plain(_("(a voice note)"))
    if "choice" in value:
        return tr.plain(CHOICE_LABELS.get(value["choice"], value["choice"]))
    return None


def questions_and_answers(flow: Flow, answers: Answers, tr: Translator,
                          steps: tuple[str, ...] | None = None) -> list[tuple[str, str]]:
    """(the form's own question, the answer) for the answered text and choice steps."""
    pairs = []
    for step in flow.steps:
        if not isinstance(step, Text | Choice) or (steps and step.id not in steps):
            continue
        text = answer_text(answers.get(step.id), tr)
        if text:
            pairs.append((tr.plain(step.text), text))
    return pairs


AFTER_TEXTS = tuple(s.id for s in AFTER_TRIAL.steps if isinstance(s, Text))
TRACE_STEPS = ("liked", "choose", "useful", "new", "easy_hard", "requirements", "next_step")


def rubric_rows(entry: Entry, tr: Translator) -> list[tuple[str, str, str]]:
    """(criterion, mentor's score, the pupil's own score), "—" where missing."""
    rows = []
    for c in CRITERIA:
        mentor = str(entry.card.scores[c.id]) if entry.card else "—"
        own = str(entry.after.get(f"self_{c.id}", {}).get("choice", "—"))
        rows.append((tr.plain(c.question), mentor, own))
    return rows


def has_rubric(entry: Entry) -> bool:
    return entry.card is not None or any(f"self_{c.id}" in entry.after for c in CRITERIA)


def mentor_feedback(card: RubricCard | None, tr: Translator) -> list[tuple[str, str]]:
    if card is None:
        return []
    pairs = [(tr.plain(_("Mini-task result")), tr.plain(RESULT_LABELS.get(card.result,
                                                                          card.result)))]
    for label, text in ((_("Mentor's comment"), card.comment), (_("Plus"), card.plus),
                        (_("Delta"), card.delta), (_("Next step"), card.next_step)):
        if text:
            pairs.append((tr.plain(label), text))
    return pairs


def trajectory(found: list[Entry], tr: Translator) -> list[str]:
    """Fields tried, interest over time, professions ruled out (oldest first)."""
    ordered = sorted(found, key=lambda e: (e.trial.starts_at, e.trial.id))
    fields = list(dict.fromkeys(e.sector for e in ordered if e.sector))
    lines = [tr.plain(_("Fields tried: {fields}."), fields=", ".join(fields) or "—")]
    steps = []
    for e in ordered:
        liked = answer_text(e.trace.get("liked"), tr) or tr.plain(NO_ANSWER)
        choose = answer_text(e.trace.get("choose"), tr) or tr.plain(NO_ANSWER)
        steps.append(tr.plain(_("{date} {profession}: liked it — {liked}, would choose it — "
                                "{choose}"),
                              date=tr.date(e.trial.starts_at, e.timezone, "dd.MM.yy"),
                              profession=e.profession, liked=liked, choose=choose))
    lines.append(tr.plain(_("Interest over time: {steps}."), steps="; ".join(steps)))
    ruled_out = list(dict.fromkeys(e.profession for e in ordered
                                   if e.trace.get("choose", {}).get("choice") == "no"))
    if ruled_out:
        lines.append(tr.plain(_("Ruled out for now: {professions}."),
                              professions=", ".join(ruled_out)))
    return lines


def entry_heading(entry: Entry, tr: Translator) -> tuple[str, str]:
    """(the trial's title, "date · profession · partner") of an entry."""
    details = (tr.date(entry.trial.starts_at, entry.timezone, "d MMMM yyyy"),
               entry.trial.profession, entry.partner.name if entry.partner else None)
    return entry.trial.title, " · ".join(x for x in details if x)


def entry_text(entry: Entry, tr: Translator) -> Safe:
    """One entry as a chat message (HTML)."""
    title, where = entry_heading(entry, tr)
    parts = [f"<b>{escape(title)}</b>" + (f"\n{escape(where)}" if where else "")]
    if entry.trial.pupil_goal:
        parts.append(escape(tr.plain(_("Goal: {goal}"), goal=entry.trial.pupil_goal)))

    def block(heading: str, pairs: list[tuple[str, str]]) -> None:
        if pairs:
            lines = [f"<b>{escape(tr.plain(heading))}</b>"]
            lines += [f"<i>{escape(q)}</i> {escape(a)}" for q, a in pairs]
            parts.append("\n".join(lines))

    block(_("Before the trial"), questions_and_answers(BEFORE_TRIAL, entry.before, tr))
    block(_("After the trial"), questions_and_answers(AFTER_TRIAL, entry.after, tr,
                                                      steps=AFTER_TEXTS))
    if has_rubric(entry):
        heading = tr.plain(_("Rubric: the mentor / my own rating"))
        lines = [f"<b>{escape(heading)}</b>"]
        lines += [escape(f"{c}: {m} / {s}") for c, m, s in rubric_rows(entry, tr)]
        parts.append("\n".join(lines))
    block(_("The mentor's feedback"), mentor_feedback(entry.card, tr))
    block(_("A day later"), questions_and_answers(TRACE, entry.trace, tr, steps=TRACE_STEPS))
    if entry.media:
        parts.append(escape(tr.plain(_("Artefacts kept: {count}."), count=len(entry.media))))
    return Safe("\n\n".join(parts))


# --- access -----------------------------------------------------------------------------------


NOT_YOURS = _("I cannot find this portfolio among yours, so nothing was shown. Please use "
              "the buttons of your menu: /menu")


async def family_pupil(ctx: Context, pupil_id: int) -> Person:
    """The pupil if the current person is that pupil or one of their parents; for anyone else
    (another family's child, a mentor, a forged id) it raises ``Refusal(NOT_YOURS)``:
    ``Action.PORTFOLIO``."""
    grant = await access.check(ctx, Action.PORTFOLIO, pupil_id=pupil_id)
    if grant is None or grant.pupil is None:
        raise Refusal(NOT_YOURS)
    return grant.pupil


# --- the menu and the chat --------------------------------------------------------------------


@feature.menu("pupil")
async def _pupil_menu(ctx: Context) -> list[Button]:
    assert ctx.person is not None
    if ctx.person.id not in await ctx.portfolio.with_entries([ctx.person.id]):
        return []
    return [Button(ctx.tr.plain(_("🗂 My portfolio")), ShowPortfolio(ctx.person.id).pack())]


@feature.menu("parent")
async def _parent_menu(ctx: Context) -> list[Button]:
    assert ctx.person is not None
    children = await ctx.people.children(ctx.person.id)
    with_entries = await ctx.portfolio.with_entries(c.id for c in children)
    return [Button(ctx.tr.plain(_("🗂 Portfolio: {child}"), child=c.full_name.split()[0]),
                   ShowPortfolio(c.id).pack()) for c in children if c.id in with_entries]


@feature.button(ShowPortfolio)
async def _show(ctx: Context, p: ShowPortfolio) -> list[Outbound]:
    """The trajectory, the latest entries (one message each), the PDF button."""
    pupil = await family_pupil(ctx, p.pupil_id)
    assert ctx.person is not None
    tr = ctx.tr
    found = await entries(ctx, pupil)
    if not found:
        return [ctx.say(_("{name}: the portfolio is empty so far. An entry appears after each "
                          "trial, once the reflection or the mentor's card is in."),
                        buttons=[[menu_button(tr)]], name=pupil.full_name)]
    heading = tr.plain(_("Portfolio: {name}"), name=pupil.full_name)
    head = [f"<b>{escape(heading)}</b>",
            escape(tr.plain(_("Trials: {count}."), count=len(found))),
            *(escape(line) for line in trajectory(found, tr))]
    out = [Outbound(text=Safe("\n".join(head)), person_id=ctx.person.id)]
    for entry in found[:LATEST]:
        out.append(Outbound(text=entry_text(entry, tr), person_id=ctx.person.id,
                            trial_id=entry.trial.id,
                            attachments=attachments(entry.media, PICTURES_PER_ENTRY)))
    shown = min(LATEST, len(found))
    rows = [[Button(tr.plain(_("📄 The whole portfolio as a PDF")),
                    PortfolioPdf(pupil.id).pack())],
            [menu_button(tr)]]
    out.append(ctx.say(_("Shown: the latest {shown} of {count}. The PDF has every entry."),
                       buttons=rows, shown=shown, count=len(found)))
    return out


async def portfolio_document(ctx: Context, pupil: Person, tr: Translator) -> bytes:
    """The whole portfolio as a PDF in ``tr``'s language (the chat and ``synaq export
    portfolio`` send the same document)."""
    from handlers.render.portfolio_pdf import portfolio_pdf

    found = await entries(ctx, pupil)
    school = await ctx.school_of(pupil)
    school_class = await ctx.schools.school_class(pupil.class_id) if pupil.class_id else None
    return portfolio_pdf(pupil, found, MediaStore(ctx.config.media_dir), tr, ctx.now,
                         school=school.name if school else "",
                         class_name=school_class.name if school_class else "",
                         timezone=await ctx.timezone_of(pupil.school_id))


@feature.button(PortfolioPdf)
async def _pdf(ctx: Context, p: PortfolioPdf) -> list[Outbound]:
    """The whole portfolio as a PDF document."""
    pupil = await family_pupil(ctx, p.pupil_id)
    assert ctx.person is not None
    tr = ctx.tr
    data = await portfolio_document(ctx, pupil, tr)
    key, _digest = MediaStore(ctx.config.media_dir).put(data, "application/pdf", ctx.now)
    name = tr.plain(_("Portfolio — {name}.pdf"), name=pupil.full_name)
    return [Outbound(text=tr(_("Portfolio: {name}"), name=pupil.full_name),
                     person_id=ctx.person.id, purpose="portfolio",
                     attachments=[Attachment("document", key, name, "application/pdf")])]

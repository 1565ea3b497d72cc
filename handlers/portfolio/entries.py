"""A pupil's portfolio as data and words: who took part, which files may be shown, the
entries (one per trial) and their texts. No chat here; ``view.py`` shows them, and
``render/portfolio_pdf.py`` lays them out."""

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
from handlers import participation
from handlers.context import Context
from handlers.events import Attachment
from handlers.pupil.questionnaires import effective_tier
from locales import Safe, Translator, _, escape
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
class PortfolioItem:
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


async def entries(ctx: Context, pupil: Person) -> list[PortfolioItem]:
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
        found.append(PortfolioItem(
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


def rubric_rows(entry: PortfolioItem, tr: Translator) -> list[tuple[str, str, str]]:
    """(criterion, mentor's score, the pupil's own score), "—" where missing."""
    rows = []
    for c in CRITERIA:
        mentor = str(entry.card.scores[c.id]) if entry.card else "—"
        own = str(entry.after.get(f"self_{c.id}", {}).get("choice", "—"))
        rows.append((tr.plain(c.question), mentor, own))
    return rows


def has_rubric(entry: PortfolioItem) -> bool:
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


def trajectory(found: list[PortfolioItem], tr: Translator) -> list[str]:
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


def entry_heading(entry: PortfolioItem, tr: Translator) -> tuple[str, str]:
    """(the trial's title, "date · profession · partner") of an entry."""
    details = (tr.date(entry.trial.starts_at, entry.timezone, "d MMMM yyyy"),
               entry.trial.profession, entry.partner.name if entry.partner else None)
    return entry.trial.title, " · ".join(x for x in details if x)


def entry_text(entry: PortfolioItem, tr: Translator) -> Safe:
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

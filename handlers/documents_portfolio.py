"""A pupil's portfolio as a PDF (trial-cycle.md "Portfolio and trajectory"): a first version.

Per trial the pupil took part in: the trial, the goal, the before / after / trace answers,
the mentor's rubric beside the pupil's self-rating with plus / delta / next step, and the
artefact pictures the three-tier rule still allows (a "portfolio only" picture is fine here:
the portfolio belongs to the pupil and their family; a "prohibited" one never appears). The
portfolio feature may grow this; ``synaq export portfolio`` and the chat call
:func:`portfolio_pdf`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flows.criteria import CRITERIA
from flows.model import Text
from flows.pupil_after import AFTER_TRIAL
from flows.pupil_before import BEFORE_TRIAL
from flows.pupil_trace import TRACE
from locales import Translator, _
from storage.files import MediaStore
from storage.models import Person
from storage.repos.journal import TrialFacts

from .documents import Document
from .journal import RESULTS, kept_media, took_part

CHOICES = {"yes": _("yes"), "no": _("no"), "unsure": _("hard to say")}
PICTURES = ("image/jpeg", "image/png")


def _text(value: dict[str, Any] | None, tr: Translator) -> str | None:
    if not value or value.get("skipped"):
        return None
    if "text" in value:
        return str(value["text"])
    if value.get("kind") == "voice":
        return tr.plain(_("(a voice note)"))
    if "choice" in value:
        return tr.plain(CHOICES.get(value["choice"], value["choice"]))
    return None


def _answers(doc: Document, tr: Translator, title: str, steps: list[tuple[str, str]],
             answers: dict[str, dict[str, Any]]) -> None:
    pairs = [(tr.plain(question), text) for step, question in steps
             if (text := _text(answers.get(step), tr))]
    if pairs:
        doc.heading(title, 2)
        doc.fields(pairs, label_width=70)


def _questions(flow: Any) -> list[tuple[str, str]]:
    return [(s.id, s.text) for s in flow.steps if isinstance(s, Text)]


def portfolio_pdf(pupil: Person, school_name: str, class_name: str,
                  facts_list: list[TrialFacts], media: MediaStore, now: datetime,
                  tr: Translator) -> bytes:
    taken = [f for f in facts_list if pupil.id in f.pupils and took_part(f, pupil.id)]
    tz = taken[0].school.timezone if taken else "Asia/Almaty"
    doc = Document(tr.plain(_("Portfolio: {name}"), name=pupil.full_name), created=now,
                   footer=tr.plain(_("{school} · printed {when}"), school=school_name,
                                   when=tr.datetime(now, tz, "dd.MM.yyyy")))
    doc.paragraph(f"{school_name} · {class_name}", size=9, color=(80, 80, 80))
    if not taken:
        doc.paragraph(tr.plain(_("No trials yet.")))
        return doc.output()
    sectors = sorted({f.trial.sector for f in taken if f.trial.sector})
    doc.paragraph(tr.plain(_("Trials: {count}. Fields tried: {fields}."), count=len(taken),
                           fields=", ".join(sectors) or "—"))
    for facts in taken:
        trial = facts.trial
        partner = facts.partner.name if facts.partner else ""
        doc.heading(f"{trial.title} · {tr.date(trial.starts_at, tz, 'dd.MM.yyyy')}", 1)
        if partner:
            doc.paragraph(partner, size=9, color=(80, 80, 80))
        if trial.pupil_goal:
            doc.paragraph(tr.plain(_("Goal: {goal}"), goal=trial.pupil_goal))
        done = facts.reflections.get(pupil.id, {})
        _answers(doc, tr, tr.plain(_("Before the trial")), _questions(BEFORE_TRIAL),
                 done.get("pupil.before", {}))
        _answers(doc, tr, tr.plain(_("After the trial")), _questions(AFTER_TRIAL),
                 done.get("pupil.after", {}))
        after = done.get("pupil.after", {})
        card = facts.rubric.get(pupil.id)
        if card or any(f"self_{c.id}" in after for c in CRITERIA):
            doc.heading(tr.plain(_("Rubric: the mentor and the pupil")), 2)
            rows = [[tr.plain(c.question),
                     str(card.scores[c.id]) if card else "—",
                     str(after.get(f"self_{c.id}", {}).get("choice", "—"))] for c in CRITERIA]
            doc.table([tr.plain(_("Criterion")), tr.plain(_("Mentor")),
                       tr.plain(_("Self-rating"))], rows, widths=[100, 35, 35])
        if card:
            feedback = [(tr.plain(_("Mini-task done")),
                         tr.plain(RESULTS.get(card.result, card.result)))]
            for step, label in (("comment", _("Mentor's comment")), ("plus", _("Plus")),
                                ("delta", _("Delta")), ("next_step", _("Next step"))):
                text = _text(card.answers.get(step), tr)
                if text:
                    feedback.append((tr.plain(label), text))
            doc.fields(feedback)
        trace_steps = [(s.id, s.text) for s in TRACE.steps if s.id in
                       ("liked", "choose", "useful", "new", "easy_hard", "requirements",
                        "next_step")]
        _answers(doc, tr, tr.plain(_("A day later")), trace_steps, done.get("pupil.trace", {}))
        pictures = [m for m in kept_media(facts, pupil.id) if m.mime in PICTURES]
        for picture in pictures:
            try:
                data = media.read(picture.storage_key)
            except (OSError, ValueError):
                continue  # a file removed from disk: the rest of the portfolio still prints
            doc.need(70)
            doc.image(data, width=70)
            doc.paragraph("")
    return doc.output()

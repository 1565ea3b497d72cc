"""A pupil's whole portfolio as a PDF: the trajectory, then every entry (the trial, the goal,
the answers before / after / a day later, the mentor's rubric beside the self-rating, the
mentor's feedback, the pictures the photo rule allows)."""

from __future__ import annotations

from datetime import datetime

from flows.pupil_after import AFTER_TRIAL
from flows.pupil_before import BEFORE_TRIAL
from flows.pupil_trace import TRACE
from handlers.portfolio.entries import (
    AFTER_TEXTS,
    TRACE_STEPS,
    PortfolioItem,
    entry_heading,
    has_rubric,
    mentor_feedback,
    pictures,
    questions_and_answers,
    rubric_rows,
    trajectory,
)
from handlers.render.documents import Document
from locales import Translator, _
from storage.files import MediaStore
from storage.models import Person

GREY = (80, 80, 80)
PICTURE_WIDTH = 70.0


def portfolio_pdf(pupil: Person, found: list[PortfolioItem], media: MediaStore, tr: Translator,
                  now: datetime, *, school: str, class_name: str, timezone: str) -> bytes:
    doc = Document(tr.plain(_("Portfolio: {name}"), name=pupil.full_name), created=now,
                   footer=tr.plain(_("{school} · printed {date}"), school=school,
                                   date=tr.date(now, timezone, "dd.MM.yyyy")))
    doc.paragraph(" · ".join(x for x in (school, class_name) if x), size=9, color=GREY)
    if not found:
        doc.paragraph(tr.plain(_("There are no entries yet.")))
        return doc.output()
    doc.heading(tr.plain(_("Trajectory")), level=1)
    for line in trajectory(found, tr):
        doc.paragraph(line)
    for entry in found:
        _entry(doc, entry, media, tr)
    return doc.output()


def _entry(doc: Document, entry: PortfolioItem, media: MediaStore, tr: Translator) -> None:
    title, where = entry_heading(entry, tr)
    doc.heading(title, level=1)
    if where:
        doc.paragraph(where, size=9, color=GREY)
    if entry.trial.pupil_goal:
        doc.paragraph(tr.plain(_("Goal: {goal}"), goal=entry.trial.pupil_goal))
    for heading, pairs in (
        (_("Before the trial"), questions_and_answers(BEFORE_TRIAL, entry.before, tr)),
        (_("After the trial"), questions_and_answers(AFTER_TRIAL, entry.after, tr,
                                                     steps=AFTER_TEXTS)),
    ):
        if pairs:
            doc.heading(tr.plain(heading), level=2)
            doc.fields(pairs, label_width=70)
    if has_rubric(entry):
        doc.heading(tr.plain(_("Rubric: the mentor and the pupil's own rating")), level=2)
        doc.table([tr.plain(_("Criterion")), tr.plain(_("Mentor")), tr.plain(_("Self-rating"))],
                  [list(row) for row in rubric_rows(entry, tr)], widths=[100, 40, 40])
    feedback = mentor_feedback(entry.card, tr)
    if feedback:
        doc.heading(tr.plain(_("The mentor's feedback")), level=2)
        doc.fields(feedback, label_width=70)
    trace = questions_and_answers(TRACE, entry.trace, tr, steps=TRACE_STEPS)
    if trace:
        doc.heading(tr.plain(_("A day later")), level=2)
        doc.fields(trace, label_width=70)
    for i, picture in enumerate(pictures(entry.media)):
        try:
            data = media.read(picture.storage_key)
        except (OSError, ValueError):
            continue  # a file gone from disk: the rest still prints
        doc.need(PICTURE_WIDTH + 12)  # the heading stays with its picture
        if i == 0:
            doc.heading(tr.plain(_("Artefact")), level=2)
        try:
            doc.image(data, width=PICTURE_WIDTH)
        except Exception:  # not a picture the PDF library can read: left out
            continue

"""One trial's report for the coordinator (PDF): who took part, the mentor's ratings, the
reflections, the artefacts and the meaningful check."""

from __future__ import annotations

from datetime import datetime
from statistics import mean

from handlers.participation import meaningful_on
from handlers.reports.journal import (
    RESULTS,
    card_fields,
    entry,
    headers,
    kept_media,
)
from locales import Translator, _
from storage.reads.journal import TrialFacts

# --- one trial's report ---------------------------------------------------------------------


def trial_report_pdf(facts: TrialFacts, now: datetime, tr: Translator) -> bytes:
    """The card, the journal entry, and a line per pupil: consent, attendance, the mentor's
    rating, the reflections, the artefacts and the meaningful check. No phones, no medical
    notes: the report is a record, not a contact list."""
    from handlers.render.documents import Document  # fpdf: only when a report is made

    tz = facts.school.timezone
    doc = Document(facts.trial.title, created=now, footer=tr.plain(
        _("{school} · trial report, {when}"), school=facts.school.name,
        when=tr.datetime(now, tz, "dd.MM.yyyy HH:mm")))
    doc.heading(tr.plain(_("Technology card")), 1)
    doc.fields(card_fields(facts, tr))
    doc.heading(tr.plain(_("Journal entry")), 1)
    item = entry(facts, now, tr)
    doc.fields([(label, str(value)) for label, value in
                zip(headers(tr)[3:], list(vars(item).values())[3:], strict=True)])
    doc.heading(tr.plain(_("Pupils")), 1)
    rows = []
    for pupil_id, pupil in sorted(facts.pupils.items(), key=lambda p: p[1].full_name):
        consent = facts.consents.get(pupil_id)
        member = next(p for p in facts.participants if p.pupil_id == pupil_id)
        card = facts.rubric.get(pupil_id)
        done = facts.reflections.get(pupil_id, {})
        check = meaningful_on(facts, pupil_id)
        rows.append([
            pupil.full_name,
            tr.plain({"agree": _("agreed"), "decline": _("declined")}.get(
                consent.participation, _("no answer")) if consent else _("no answer")),
            tr.plain({"present": _("present"), "absent": _("absent")}.get(
                member.attendance or "", _("not marked"))),
            (f"{mean(card.scores.values()):.1f} / 3 · " + tr.plain(RESULTS.get(card.result,
                                                                               card.result))
             if card else "—"),
            " · ".join(tr.plain(label) for flow, label in (
                ("pupil.before", _("before")), ("pupil.after", _("after")),
                ("pupil.trace", _("trace"))) if flow in done) or "—",
            str(len(kept_media(facts, pupil_id))),
            tr.plain(_("yes")) if check.ok else tr.plain(_("no")),
        ])
    doc.table([tr.plain(h) for h in (_("Pupil"), _("Consent"), _("Attendance"),
                                     _("Mentor's rubric"), _("Reflections"), _("Files"),
                                     _("Meaningful"))],
              rows, widths=[38, 20, 25, 26, 30, 16, 25], size=8)
    doc.paragraph(tr.plain(_("Meaningful: a goal and a mini-task set with the employer, the "
                             "mentor's feedback on the pupil's work, and the pupil's "
                             "reflection.")), size=8, color=(90, 90, 90))
    return doc.output()

"""The journal (forms.md "Journal entry", l. 7588–7642): one entry per trial, and its exports.

Nobody fills the journal in: each entry is read from what the trial's card, the consent
ledger, the attendance marks, the pupils' reflections and the mentor's cards already hold,
so it is always as current as the data and cannot drift from it. Its eight fields:

1. date and time · 2. partner and site · 3. format and duration · 4. learning goal ·
5. group composition · 6. the portfolio artefacts · 7. briefings held and consents obtained ·
8. a short final evaluation from the teacher's and the pupils' point of view (and the
   mentor's, whose card the methodology also asks for).

Exports: CSV (UTF-8 with BOM and ``;``, as Excel in Kazakhstan reads it) and XLSX; a
per-trial report as PDF (handlers/documents.py).
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import astuple, dataclass, fields
from datetime import datetime

from locales import Translator, _
from storage.models import Media, PhotoTier, most_restrictive
from storage.reads.journal import TrialFacts
from storage.sheets import csv_writer, safe_workbook

FORMATS = {"in_person": _("in person"), "online": _("online"), "hybrid": _("hybrid")}
LENGTHS = {"mini": _("mini-trial (about 15 minutes)"),
           "intro": _("introductory trial (up to 2 academic hours)"),
           "deep": _("in-depth trial (up to 4 academic hours)")}
CATEGORIES = {"traditional": _("traditional professions"), "new": _("new professions"),
              "promising": _("promising professions")}
PURPOSES = {"intro": _("introduction"), "differentiate": _("differentiation"),
            "refine": _("refining the choice")}
PHOTO = {"publication": _("publication allowed"), "portfolio": _("portfolio only"),
         "prohibited": _("prohibited")}
RESULTS = {"yes": _("yes"), "no": _("no"), "partly": _("partially")}


@dataclass
class JournalEntry:
    """One trial's journal entry: identification, then the eight fields, as plain text."""

    trial_id: int
    title: str
    classes: str
    when: str  # 1
    where: str  # 2
    format_duration: str  # 3
    goal: str  # 4
    group: str  # 5
    artefacts: str  # 6
    briefings_consents: str  # 7
    evaluation: str  # 8


HEADERS = {
    "trial_id": _("Trial no."),
    "title": _("Trial"),
    "classes": _("Class"),
    "when": _("Date and time"),
    "where": _("Partner and site"),
    "format_duration": _("Format and duration"),
    "goal": _("Learning goal"),
    "group": _("Group composition"),
    "artefacts": _("Portfolio artefacts"),
    "briefings_consents": _("Briefings and consents"),
    "evaluation": _("Final evaluation: teacher, pupils, mentor"),
}


def headers(tr: Translator) -> list[str]:
    return [tr.plain(HEADERS[f.name]) for f in fields(JournalEntry)]


# --- what a trial's facts say ---------------------------------------------------------------


def kept_media(facts: TrialFacts, pupil_id: int) -> list[Media]:
    """The pupil's files that may still be shown: the three-tier rule is applied again with
    today's consent (a withdrawal or a stricter tier hides files at once)."""
    consent = facts.consents.get(pupil_id)
    parent_tier = consent.photo_tier if consent and consent.participation == "agree" else None
    policy = facts.trial.photo_policy or (facts.site.photo_policy if facts.site else None)
    after = facts.reflections.get(pupil_id, {}).get("pupil.after", {})
    own = after.get("photo_ok", {}).get("choice")
    tiers: list[str | None] = [parent_tier, policy]
    if own is not None:
        tiers.append(PhotoTier.PUBLICATION if own == "yes" else PhotoTier.PROHIBITED)
    return [m for m in facts.media.get(pupil_id, [])
            if most_restrictive(m.tier or PhotoTier.PUBLICATION, *tiers)
            != PhotoTier.PROHIBITED]


def _when(facts: TrialFacts, tr: Translator) -> str:
    t, tz = facts.trial, facts.school.timezone
    start = tr.datetime(t.starts_at, tz, "dd.MM.yyyy HH:mm")
    if tr.date(t.starts_at, tz, "yyyyMMdd") == tr.date(t.ends_at, tz, "yyyyMMdd"):
        return f"{start}–{tr.time(t.ends_at, tz)}"
    return f"{start} – {tr.datetime(t.ends_at, tz, 'dd.MM.yyyy HH:mm')}"


def _where(facts: TrialFacts, tr: Translator) -> str:
    if facts.site is None:
        return tr.plain(_("not set"))
    place = "; ".join(p for p in (facts.site.address, facts.site.place) if p)
    partner = f"{facts.partner.name} — " if facts.partner else ""
    return f"{partner}{facts.site.name} ({place})"


def minutes(facts: TrialFacts) -> int:
    return int((facts.trial.ends_at - facts.trial.starts_at).total_seconds() // 60)


def _format(facts: TrialFacts, tr: Translator) -> str:
    t = facts.trial
    parts = [tr.plain(FORMATS.get(t.format, t.format)),
             tr.plain(_("{minutes} min"), minutes=minutes(facts))]
    if t.length_kind in LENGTHS:
        parts.append(tr.plain(LENGTHS[t.length_kind]))
    return " · ".join(parts)


def _goal(facts: TrialFacts, tr: Translator) -> str:
    lines = [facts.trial.pupil_goal or tr.plain(_("not set"))]
    if facts.trial.school_goal:
        lines.append(tr.plain(_("School's goal: {goal}"), goal=facts.trial.school_goal))
    return "\n".join(lines)


def class_names(facts: TrialFacts) -> str:
    names = {c.name for c in facts.classes.values()}
    if facts.school_class is not None:
        names.add(facts.school_class.name)
    return ", ".join(sorted(names))


def _group(facts: TrialFacts, tr: Translator) -> str:
    marks = Counter(p.attendance for p in facts.participants)
    sen = sum(1 for p in facts.pupils.values() if p.special_needs)
    text = tr.plain(_("Pupils: {count} (present: {present}, absent: {absent}, not "
                      "marked: {unmarked})"), count=len(facts.participants),
                    present=marks["present"], absent=marks["absent"], unmarked=marks[None])
    if sen:
        text += " · " + tr.plain(_("with special educational needs: {count}"), count=sen)
    return text


def _artefacts(facts: TrialFacts, tr: Translator) -> str:
    lines = []
    for pupil_id, pupil in sorted(facts.pupils.items(), key=lambda p: p[1].full_name):
        files = len(kept_media(facts, pupil_id))
        if files or pupil_id in facts.portfolio:
            lines.append(tr.plain(_("{name} — files in the portfolio: {files}"),
                                  name=pupil.full_name, files=files))
    return "\n".join(lines) if lines else tr.plain(_("none yet"))


def _briefings(facts: TrialFacts, tr: Translator) -> str:
    decisions = Counter(c.participation for c in facts.consents.values())
    missing = sum(1 for p in facts.participants if p.pupil_id not in facts.consents)
    read = sum(1 for c in facts.consents.values() if c.safety_read)
    briefing = facts.trial.safety_briefing or tr.plain(_("not recorded"))
    return "\n".join([
        tr.plain(_("Safety briefing: {briefing}"), briefing=briefing),
        tr.plain(_("Parents' consents: {agreed} agreed, {declined} declined, {missing} no "
                   "answer; safety rules read: {read}"), agreed=decisions["agree"],
                 declined=decisions["decline"], missing=missing, read=read),
    ])


def _evaluation(facts: TrialFacts, now: datetime, tr: Translator) -> str:
    count = len(facts.participants)
    after = sum(1 for r in facts.reflections.values() if "pupil.after" in r)
    trace = [r["pupil.trace"] for r in facts.reflections.values() if "pupil.trace" in r]
    liked = Counter(t.get("liked", {}).get("choice") for t in trace)
    lines = [tr.plain(_("Teacher: {text}"), text=facts.trial.teacher_evaluation
                      or tr.plain(_("not recorded")))]
    pupils = tr.plain(_("Pupils: after-questionnaire {after} of {count}, trace reflection "
                        "{trace} of {count}"), after=after, trace=len(trace), count=count)
    if trace:
        pupils += "; " + tr.plain(_("liked it: {yes} yes, {unsure} hard to say, {no} no"),
                                  yes=liked["yes"], unsure=liked["unsure"], no=liked["no"])
    lines.append(pupils)
    if facts.trial.ends_at <= now and count and not after and not trace:
        lines.append(tr.plain(_("No pupil wrote a reflection: a signal to rework the task "
                                "and the feedback of this format.")))
    cards = list(facts.rubric.values())
    mentor = tr.plain(_("Mentor: {rated} of {count} rated"), rated=len(cards), count=count)
    if cards:
        average = sum(sum(c.scores.values()) for c in cards) / (5 * len(cards))
        mentor += "; " + tr.plain(_("average {score} of 3"), score=f"{average:.1f}")
    if facts.trial.conclusions:
        mentor += "; " + facts.trial.conclusions
    lines.append(mentor)
    return "\n".join(lines)


def entry(facts: TrialFacts, now: datetime, tr: Translator) -> JournalEntry:
    return JournalEntry(
        trial_id=facts.trial.id, title=facts.trial.title, classes=class_names(facts),
        when=_when(facts, tr), where=_where(facts, tr), format_duration=_format(facts, tr),
        goal=_goal(facts, tr), group=_group(facts, tr), artefacts=_artefacts(facts, tr),
        briefings_consents=_briefings(facts, tr), evaluation=_evaluation(facts, now, tr),
    )


# --- files ----------------------------------------------------------------------------------


def journal_csv(entries: list[JournalEntry], tr: Translator) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv_writer(buffer)
    writer.writerow(headers(tr))
    for item in entries:
        writer.writerow(astuple(item))
    return buffer.getvalue().encode("utf-8-sig")


def journal_xlsx(entries: list[JournalEntry], tr: Translator) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = tr.plain(_("Journal"))[:31]
    sheet.append(headers(tr))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for item in entries:
        sheet.append(list(astuple(item)))
    widths = [8, 30, 10, 18, 34, 26, 50, 30, 30, 40, 50]
    for column, width in enumerate(widths, 1):
        sheet.column_dimensions[sheet.cell(1, column).column_letter].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "B2"
    buffer = io.BytesIO()
    safe_workbook(book).save(buffer)
    return buffer.getvalue()


def card_fields(facts: TrialFacts, tr: Translator) -> list[tuple[str, str]]:
    """The technology card (form А) as label → value, without phones (least data)."""
    t = facts.trial
    staff = facts.staff

    def person(person_id: int | None) -> str:
        p = staff.get(person_id or 0)
        return f"{p.full_name}, {p.position}" if p and p.position else \
            (p.full_name if p else "—")

    partner = facts.partner
    rows = [
        (_("Class / group"), f"{class_names(facts)} · {len(facts.participants)}"),
        (_("Date and time"), _when(facts, tr)),
        (_("Partner"), (partner.name + (", " + tr.plain(_("BIN {bin}"), bin=partner.bin)
                                        if partner.bin else "")) if partner else "—"),
        (_("Site"), _where(facts, tr)),
        (_("Mentor"), person(t.mentor_id)),
        (_("Responsible at school"), person(t.coordinator_id)),
        (_("Escort"), person(t.escort_id)),
        (_("Goal for the pupil"), t.pupil_goal or "—"),
        (_("School's goal"), t.school_goal or "—"),
        (_("Labour function"), t.labour_function or "—"),
        (_("Mini-task"), "\n".join(f"{i}. {s}" for i, s in enumerate(t.mini_task or [], 1))
         or "—"),
        (_("Linked subjects"), ", ".join(t.subjects or []) or "—"),
        (_("Equipment and materials"), t.equipment or "—"),
        (_("PPE and clothing"), t.ppe or "—"),
        (_("Risks and mitigations"), t.risks or "—"),
        (_("Timing"), t.timing or "—"),
        (_("Expected artefact"), t.expected_artefact or "—"),
        (_("Safety briefing"), t.safety_briefing or "—"),
        (_("Photo and video"), tr.plain(PHOTO.get(
            t.photo_policy or (facts.site.photo_policy if facts.site else ""), _("not set")))),
        (_("Contacts and evacuation"), t.evacuation or (facts.site.evacuation if facts.site
                                                        else None) or "—"),
        (_("Format and duration"), _format(facts, tr)),
        (_("Profession and sector"), " · ".join(x for x in (t.profession, t.sector) if x)
         or "—"),
        (_("Category and purpose"), " · ".join(
            tr.plain(v) for v in (CATEGORIES.get(t.category or ""),
                                  PURPOSES.get(t.purpose or "")) if v) or "—"),
    ]
    return [(tr.plain(label), value) for label, value in rows]

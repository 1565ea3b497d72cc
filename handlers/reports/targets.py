"""The school year's targets (l. 4262–4272), per school year (1 September – 31 August):
every grade 7–11 class at least one trial and one meaningful employer encounter (the check is
``handlers/participation.py``); every pupil at least four contacts with the world of work and
one portfolio item; feedback averaging at least 4 of 5. A contact is a trial the pupil took part
in (consent given, not marked absent) that has ended. A portfolio item is a portfolio entry or
an artefact file that may still be shown.

**Feedback on a 5-point scale.** Synaq asks no 1–5 question, so the figure is derived, and
says so: the pupil's own view from the trace reflection (Annex 6: "did you like it?", "will it
be useful?": yes = 5, hard to say = 3, no = 1) and the mentor's rubric (1–3 mapped linearly:
1 → 1, 2 → 3, 3 → 5). The rubric rates the pupil's work, not the trial, so it stands in for
the mentors' side; both are reported separately and averaged. Serious incidents are not
recorded in Synaq and are not reported.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime, time
from statistics import mean
from zoneinfo import ZoneInfo

from handlers.participation import Meaningful, meaningful_on, took_part_in
from handlers.reports.journal import (
    kept_media,
)
from locales import Translator, _
from storage.models import Person, SchoolClass
from storage.reads.journal import TrialFacts
from storage.sheets import safe_workbook

CONTACTS_TARGET = 4
FEEDBACK_TARGET = 4.0
PUPIL_POINTS = {"yes": 5, "unsure": 3, "no": 1}


# --- meaningful -----------------------------------------------------------------------------


def rubric5(score: float) -> float:
    """A 1–3 rubric score on the 1–5 scale of the targets: 1 → 1, 2 → 3, 3 → 5."""
    return 2 * score - 1


def pupil_points(facts: TrialFacts, pupil_id: int) -> list[int]:
    trace = facts.reflections.get(pupil_id, {}).get("pupil.trace", {})
    return [PUPIL_POINTS[v] for v in (trace.get(q, {}).get("choice") for q in ("liked", "useful"))
            if v in PUPIL_POINTS]


def mentor_points(facts: TrialFacts, pupil_id: int) -> list[float]:
    card = facts.rubric.get(pupil_id)
    return [rubric5(mean(card.scores.values()))] if card else []


# --- the school year's targets ----------------------------------------------------------------


def school_year(now: datetime, timezone: str, start_year: int | None = None) \
        -> tuple[datetime, datetime]:
    """1 September 00:00 to the next 1 September, local time."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    year = start_year if start_year is not None else \
        (local.year if local.month >= 9 else local.year - 1)
    return (datetime.combine(date(year, 9, 1), time(), zone),
            datetime.combine(date(year + 1, 9, 1), time(), zone))


@dataclass
class PupilTargets:
    pupil: Person
    class_name: str
    contacts: int = 0
    meaningful: int = 0
    portfolio: int = 0
    pupil_view: list[float] = field(default_factory=list)
    mentor_view: list[float] = field(default_factory=list)

    @property
    def feedback(self) -> float | None:
        points = self.pupil_view + self.mentor_view
        return mean(points) if points else None


@dataclass
class ClassTargets:
    school_class: SchoolClass
    pupils: int = 0
    trials: set[int] = field(default_factory=set)
    meaningful_trials: set[int] = field(default_factory=set)
    with_four_contacts: int = 0
    with_portfolio: int = 0
    points: list[float] = field(default_factory=list)

    @property
    def counted(self) -> bool:
        """The targets name grades 7–11."""
        return 7 <= self.school_class.grade <= 11


@dataclass
class MeaningfulRow:
    facts: TrialFacts
    pupil: Person
    check: Meaningful
    took_part: bool


@dataclass
class Targets:
    classes: list[ClassTargets]
    pupils: list[PupilTargets]
    checks: list[MeaningfulRow]


def targets(facts_list: list[TrialFacts], classes: list[SchoolClass], pupils: list[Person],
            now: datetime) -> Targets:
    by_class = {c.id: ClassTargets(c) for c in classes}
    names = {c.id: c.name for c in classes}
    by_pupil = {p.id: PupilTargets(p, names.get(p.class_id or 0, "")) for p in pupils
                if p.anonymised_at is None}
    checks = []
    for facts in facts_list:
        ended = facts.trial.ends_at <= now
        for pupil_id, pupil in facts.pupils.items():
            check = meaningful_on(facts, pupil_id)
            part = took_part_in(facts, pupil_id)
            checks.append(MeaningfulRow(facts, pupil, check, part))
            target = by_pupil.get(pupil_id)
            if target is None or not ended or not part:
                continue
            target.contacts += 1
            target.meaningful += int(check.ok)
            target.portfolio += int(bool(kept_media(facts, pupil_id))
                                    or pupil_id in facts.portfolio)
            target.pupil_view += pupil_points(facts, pupil_id)
            target.mentor_view += mentor_points(facts, pupil_id)
            group = by_class.get(pupil.class_id or 0)
            if group is not None:
                group.trials.add(facts.trial.id)
                if check.ok:
                    group.meaningful_trials.add(facts.trial.id)
    for target in by_pupil.values():
        group = by_class.get(target.pupil.class_id or 0)
        if group is None:
            continue
        group.pupils += 1
        group.with_four_contacts += int(target.contacts >= CONTACTS_TARGET)
        group.with_portfolio += int(target.portfolio >= 1)
        group.points += target.pupil_view + target.mentor_view
    return Targets(sorted(by_class.values(), key=lambda c: (c.school_class.grade,
                                                            c.school_class.name)),
                   sorted(by_pupil.values(), key=lambda p: (p.class_name, p.pupil.full_name)),
                   checks)


def mark(tr: Translator, met: bool | None) -> str:
    if met is None:
        return "—"
    return tr.plain(_("yes")) if met else tr.plain(_("no"))


def score(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else "—"


def targets_xlsx(result: Targets, tr: Translator) -> bytes:
    """Three sheets: classes, pupils, and the meaningful check of every pupil on every trial."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheets = []
    classes = book.active
    assert classes is not None
    classes.title = tr.plain(_("Classes"))[:31]
    classes.append([tr.plain(h) for h in (
        _("Class"), _("Grade"), _("Pupils"), _("Trials"), _("Meaningful trials"),
        _("Target: a trial and a meaningful encounter"), _("Pupils with 4+ contacts"),
        _("Pupils with a portfolio item"), _("Average feedback (of 5)"),
        _("Target: feedback 4 of 5"))])
    for c in result.classes:
        average = mean(c.points) if c.points else None
        classes.append([
            c.school_class.name, c.school_class.grade, c.pupils, len(c.trials),
            len(c.meaningful_trials),
            mark(tr, bool(c.trials and c.meaningful_trials) if c.counted else None),
            c.with_four_contacts, c.with_portfolio, score(average),
            mark(tr, average >= FEEDBACK_TARGET if average is not None else None)])
    sheets.append(classes)
    pupils = book.create_sheet(tr.plain(_("Pupils"))[:31])
    pupils.append([tr.plain(h) for h in (
        _("Pupil"), _("Class"), _("Contacts with the world of work"), _("Target: 4 contacts"),
        _("Meaningful trials"), _("Portfolio items"), _("Target: 1 portfolio item"),
        _("Pupil's view (of 5)"), _("Mentor's rubric (of 5)"), _("Average feedback (of 5)"),
        _("Target: feedback 4 of 5"))])
    for p in result.pupils:
        pupils.append([
            p.pupil.full_name, p.class_name, p.contacts, mark(tr, p.contacts >= CONTACTS_TARGET),
            p.meaningful, p.portfolio, mark(tr, p.portfolio >= 1),
            score(mean(p.pupil_view) if p.pupil_view else None),
            score(mean(p.mentor_view) if p.mentor_view else None), score(p.feedback),
            mark(tr, p.feedback >= FEEDBACK_TARGET if p.feedback is not None else None)])
    sheets.append(pupils)
    checks = book.create_sheet(tr.plain(_("Meaningful"))[:31])
    checks.append([tr.plain(h) for h in (
        _("Trial"), _("Date"), _("Pupil"), _("Took part"), _("Goal"), _("Mini-task"),
        _("Employer's feedback"), _("Reflection"), _("Meaningful"))])
    for row in result.checks:
        tz = row.facts.school.timezone
        check = row.check
        checks.append([row.facts.trial.title, tr.date(row.facts.trial.starts_at, tz,
                                                      "dd.MM.yyyy"),
                       row.pupil.full_name, mark(tr, row.took_part), mark(tr, check.goal),
                       mark(tr, check.mini_task), mark(tr, check.feedback),
                       mark(tr, check.reflection), mark(tr, check.ok)])
    sheets.append(checks)
    for sheet in sheets:
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for column in range(1, sheet.max_column + 1):
            sheet.column_dimensions[sheet.cell(1, column).column_letter].width = \
                30 if column == 1 else 16
    buffer = io.BytesIO()
    safe_workbook(book).save(buffer)
    return buffer.getvalue()

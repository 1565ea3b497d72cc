"""Reports: the "meaningful" check, the year's targets, a trial's report, and the regional,
depersonalised figures; and the coordinator's menu entry for the journal and reports.

**Meaningful** (trial-cycle.md; Gatsby Benchmark 6): for a pupil on a trial, a goal
(card А field 7), a mini-task (field 10), the employer's feedback (the mentor's rated card,
form Б) and the pupil's reflection (a completed after- or trace questionnaire).

**Targets** (l. 4262–4272), per school year (1 September – 31 August): every grade 7–11
class at least one trial and one meaningful employer encounter; every pupil at least four
contacts with the world of work and one portfolio item; feedback averaging at least 4 of 5.
A contact is a trial the pupil took part in (consent given, not marked absent) that has
ended. A portfolio item is a portfolio entry or an artefact file that may still be shown.

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

from handlers import access
from handlers.access import Action
from handlers.context import Context
from handlers.events import Attachment, Button, Outbound
from handlers.feature import Feature
from handlers.participation import Meaningful, meaningful_on, took_part_in
from handlers.refusal import Refusal
from handlers.reports.buttons import CSV, EXCEL, JOURNAL, TARGETS, TRIAL, Reports
from handlers.reports.journal import (
    RESULTS,
    JournalEntry,
    card_fields,
    entry,
    headers,
    journal_csv,
    journal_xlsx,
    kept_media,
)
from locales import Translator, _
from storage.importer.plan import band
from storage.models import MentorStatus, Person, SchoolClass
from storage.repos.journal import Journal, TrialFacts
from storage.sheets import csv_writer, safe_workbook

feature = Feature("reports.targets")

# Groups of fewer pupils than this are never shown in depersonalised figures.
MIN_CELL = 5
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


def _mark(tr: Translator, met: bool | None) -> str:
    if met is None:
        return "—"
    return tr.plain(_("yes")) if met else tr.plain(_("no"))


def _score(value: float | None) -> str:
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
            _mark(tr, bool(c.trials and c.meaningful_trials) if c.counted else None),
            c.with_four_contacts, c.with_portfolio, _score(average),
            _mark(tr, average >= FEEDBACK_TARGET if average is not None else None)])
    sheets.append(classes)
    pupils = book.create_sheet(tr.plain(_("Pupils"))[:31])
    pupils.append([tr.plain(h) for h in (
        _("Pupil"), _("Class"), _("Contacts with the world of work"), _("Target: 4 contacts"),
        _("Meaningful trials"), _("Portfolio items"), _("Target: 1 portfolio item"),
        _("Pupil's view (of 5)"), _("Mentor's rubric (of 5)"), _("Average feedback (of 5)"),
        _("Target: feedback 4 of 5"))])
    for p in result.pupils:
        pupils.append([
            p.pupil.full_name, p.class_name, p.contacts, _mark(tr, p.contacts >= CONTACTS_TARGET),
            p.meaningful, p.portfolio, _mark(tr, p.portfolio >= 1),
            _score(mean(p.pupil_view) if p.pupil_view else None),
            _score(mean(p.mentor_view) if p.mentor_view else None), _score(p.feedback),
            _mark(tr, p.feedback >= FEEDBACK_TARGET if p.feedback is not None else None)])
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
                       row.pupil.full_name, _mark(tr, row.took_part), _mark(tr, check.goal),
                       _mark(tr, check.mini_task), _mark(tr, check.feedback),
                       _mark(tr, check.reflection), _mark(tr, check.ok)])
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


# --- the regional, depersonalised figures -----------------------------------------------------


DIMENSIONS = {
    "all": _("All"),
    "grade_band": _("Grade band"),
    "sector": _("Sector"),
    "district": _("District"),
    "area": _("Area"),
}
NOT_SPECIFIED = _("not specified")
AREAS = {"rural": _("rural"), "urban": _("urban")}


@dataclass
class Cell:
    """One group of one dimension; published only when it holds at least MIN_CELL pupils
    and no suppressed neighbour could be worked out from it."""

    dimension: str
    group: str  # a value, or a msgid for "not specified", "rural", "urban"
    trials: set[int] = field(default_factory=set)
    pupils: set[int] = field(default_factory=set)  # ids stay in memory, never in the file
    participations: int = 0
    meaningful: int = 0
    suppressed: str | None = None  # "small" / "secondary"


def regional_cells(facts_list: list[TrialFacts], now: datetime) -> list[Cell]:
    """Pupils who took part in trials that have ended, grouped four ways; then suppressed."""
    total = Cell("all", "all")
    cells: dict[tuple[str, str], Cell] = {}
    for facts in facts_list:
        if facts.trial.ends_at > now:
            continue
        school = facts.school
        sector = facts.trial.sector or (facts.partner.sector if facts.partner else None)
        for pupil_id, pupil in facts.pupils.items():
            if not took_part_in(facts, pupil_id):
                continue
            school_class = facts.classes.get(pupil.class_id or 0)
            grade_band = band(school_class.grade) if school_class else None
            ok = meaningful_on(facts, pupil_id).ok
            groups = {"grade_band": grade_band, "sector": sector, "district": school.district,
                      "area": "rural" if school.rural else "urban"}
            for dimension, value in [("all", "all"), *groups.items()]:
                key = (dimension, value or NOT_SPECIFIED)
                cell = total if dimension == "all" else cells.setdefault(
                    key, Cell(dimension, key[1]))
                cell.trials.add(facts.trial.id)
                cell.pupils.add(pupil_id)
                cell.participations += 1
                cell.meaningful += int(ok)
    ordered = [total]
    for dimension in ("grade_band", "sector", "district", "area"):
        group = sorted((c for c in cells.values() if c.dimension == dimension),
                       key=lambda c: c.group)
        suppress(group, total)
        ordered += group
    if len(total.pupils) < MIN_CELL:
        total.suppressed = "small"
    return ordered


def suppress(cells: list[Cell], total: Cell) -> None:
    """Hide every group of fewer than MIN_CELL pupils (primary suppression); then, since the
    total is published, hide more groups — the smallest first — until the hidden ones
    together hold at least MIN_CELL different pupils and are at least two, so that no hidden
    group can be worked out as the total minus the groups shown (secondary suppression)."""
    if len(total.pupils) < MIN_CELL:
        for cell in cells:
            cell.suppressed = "small"
        return
    for cell in cells:
        if len(cell.pupils) < MIN_CELL:
            cell.suppressed = "small"
    while True:
        hidden = [c for c in cells if c.suppressed]
        shown = [c for c in cells if not c.suppressed]
        if not hidden or not shown:
            return
        if len(hidden) >= 2 and len(set().union(*(c.pupils for c in hidden))) >= MIN_CELL:
            return
        min(shown, key=lambda c: (len(c.pupils), c.group)).suppressed = "secondary"


def _group_label(cell: Cell, tr: Translator) -> str:
    if cell.dimension == "all":
        return tr.plain(_("All"))
    if cell.group == NOT_SPECIFIED:
        return tr.plain(NOT_SPECIFIED)
    if cell.dimension == "area":
        return tr.plain(AREAS[cell.group])
    return cell.group


def regional_csv(cells: list[Cell], tr: Translator) -> bytes:
    """No names, no contacts, no ids: groups and counts only; hidden groups are empty."""
    buffer = io.StringIO(newline="")
    writer = csv_writer(buffer)
    writer.writerow([tr.plain(h) for h in (
        _("Dimension"), _("Group"), _("Trials"), _("Pupils reached"),
        _("Pupil participations"), _("Meaningful, %"), _("Note"))])
    notes = {"small": _("hidden: fewer than 5 pupils"),
             "secondary": _("hidden so that a smaller group cannot be worked out from the "
                            "total")}
    for cell in cells:
        label = [tr.plain(DIMENSIONS[cell.dimension]), _group_label(cell, tr)]
        if cell.suppressed:
            writer.writerow([*label, "", "", "", "", tr.plain(notes[cell.suppressed])])
            continue
        share = round(100 * cell.meaningful / cell.participations)
        writer.writerow([*label, len(cell.trials), len(cell.pupils), cell.participations,
                         share, ""])
    return buffer.getvalue().encode("utf-8-sig")


def regional_charts(cells: list[Cell], tr: Translator) -> dict[str, bytes]:
    """One bar chart per dimension: pupils reached and the meaningful share, shown groups
    only (a hidden group is not drawn, and the chart says how many are hidden)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    charts = {}
    for dimension in ("grade_band", "sector", "district", "area"):
        group = [c for c in cells if c.dimension == dimension]
        shown = [c for c in group if not c.suppressed]
        fig = Figure(figsize=(8, 1.8 + 0.5 * max(len(shown), 1)), dpi=110)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        labels = [_group_label(c, tr) for c in shown]
        values = [len(c.pupils) for c in shown]
        ax.barh(range(len(shown)), values, color="#2e7d32")
        ax.set_yticks(range(len(shown)), labels, fontfamily="DejaVu Sans")
        ax.invert_yaxis()
        for i, c in enumerate(shown):
            ax.text(values[i], i, "  " + tr.plain(_("{share}% meaningful"),
                                                  share=round(100 * c.meaningful
                                                              / c.participations)),
                    va="center", fontsize=8, fontfamily="DejaVu Sans")
        ax.set_xlabel(tr.plain(_("Pupils reached")), fontfamily="DejaVu Sans")
        title = tr.plain(_("Pupils reached by {dimension}"),
                         dimension=tr.plain(DIMENSIONS[dimension]).lower())
        hidden = len(group) - len(shown)
        if hidden:
            title += "\n" + tr.plain(
                _("Groups hidden to protect groups of fewer than 5 pupils: {count}"),
                count=hidden)
        ax.set_title(title, loc="left", fontfamily="DejaVu Sans", fontsize=10)
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_xlim(0, max(values, default=1) * 1.35)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        charts[dimension] = buffer.getvalue()
    return charts


# --- hosts and mentors by district --------------------------------------------------------------


@dataclass
class District:
    """A district's hosts and mentors (no pupils here): the sectors with a partner, and of
    the trials that ended, how many the mentor did not confirm or left without a card."""

    name: str  # a district, NOT_SPECIFIED, or "all" for the region
    schools: int = 0
    sectors: set[str] = field(default_factory=set)
    ended: int = 0
    unconfirmed: int = 0  # declined, or never answered: the no-show risk
    without_card: int = 0


def district_rows(facts_list: list[TrialFacts], partner_sectors: list[tuple[str | None,
                  str | None]], school_districts: list[str | None],
                  now: datetime) -> list[District]:
    """The region first, then each district by name."""
    region = District("all")
    rows: dict[str, District] = {}

    def of(district: str | None) -> District:
        name = district or NOT_SPECIFIED
        return rows.setdefault(name, District(name))

    for district in school_districts:
        of(district).schools += 1
        region.schools += 1
    for district, sector in partner_sectors:
        if sector and sector.strip():
            of(district).sectors.add(sector.strip())
            region.sectors.add(sector.strip())
    for facts in facts_list:
        if facts.trial.ends_at > now:
            continue
        for row in (region, of(facts.school.district)):
            row.ended += 1
            row.unconfirmed += int(facts.trial.mentor_status != MentorStatus.CONFIRMED)
            row.without_card += int(not facts.rubric)
    return [region, *sorted(rows.values(), key=lambda d: d.name)]


def districts_csv(rows: list[District], tr: Translator) -> bytes:
    """Counts, shares and sector names only. A district's shares need at least MIN_CELL
    trials: fewer would describe one or two mentors."""
    buffer = io.StringIO(newline="")
    writer = csv_writer(buffer)
    writer.writerow([tr.plain(h) for h in (
        _("District"), _("Schools"), _("Sectors with a partner"),
        _("The region's sectors with no partner here"), _("Trials ended"),
        _("Mentor declined or did not answer, %"), _("No mentor's card, %"), _("Note"))])
    region = rows[0].sectors
    for row in rows:
        name = (tr.plain(_("All")) if row.name == "all" else
                tr.plain(NOT_SPECIFIED) if row.name == NOT_SPECIFIED else row.name)
        missing = "" if row.name == "all" else ", ".join(sorted(region - row.sectors))
        shares: list[object] = ["", ""]
        note = ""
        if row.ended >= MIN_CELL:
            shares = [round(100 * row.unconfirmed / row.ended),
                      round(100 * row.without_card / row.ended)]
        elif row.ended:
            note = tr.plain(_("shares hidden: fewer than 5 trials"))
        writer.writerow([name, row.schools, ", ".join(sorted(row.sectors)), missing,
                         row.ended, *shares, note])
    return buffer.getvalue().encode("utf-8-sig")


@dataclass
class RegionalFiles:
    """What the regional centre gets, in the chat or from ``synaq export region``."""

    figures: bytes  # region.csv: pupils reached by group
    districts: bytes  # region-districts.csv: hosts and mentors by district
    charts: dict[str, bytes]  # one PNG per dimension
    count: int  # groups, for the audit log


async def regional_files(journal: Journal, since: datetime | None, until: datetime | None,
                         now: datetime, tr: Translator) -> RegionalFiles:
    facts = await journal.facts(await journal.trials(None, since, until))
    cells = regional_cells(facts, now)
    rows = district_rows(facts, await journal.partner_sectors(),
                         await journal.school_districts(), now)
    return RegionalFiles(regional_csv(cells, tr), districts_csv(rows, tr),
                         regional_charts(cells, tr), len(cells))


# --- what the coordinator gets in the chat ------------------------------------------------------


async def school_targets(ctx: Context, school_id: int, start_year: int | None = None) \
        -> Targets:
    school = await ctx.schools.get(school_id)
    assert school is not None
    since, until = school_year(ctx.now, school.timezone, start_year)
    journal = ctx.journal
    facts = await journal.facts(await journal.trials(school_id, since, until))
    return targets(facts, await ctx.schools.classes(school_id),
                   await ctx.people.with_role(school_id, "pupil"), ctx.now)


async def school_journal(ctx: Context, school_id: int, since: datetime | None,
                         until: datetime | None, tr: Translator) -> list[JournalEntry]:
    journal = ctx.journal
    facts = await journal.facts(await journal.trials(school_id, since, until))
    return [entry(f, ctx.now, tr) for f in facts]


def _document(ctx: Context, data: bytes, mime: str, name: str, caption: str) -> Outbound:
    from storage.files import MediaStore

    key, _digest = MediaStore(ctx.config.media_dir).put(data, mime, ctx.now)
    assert ctx.person is not None
    return Outbound(text=ctx.tr(caption), person_id=ctx.person.id,
                    attachments=[Attachment("document", key, name, mime)])


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@feature.menu("coordinator")
async def _reports_entry(ctx: Context) -> list[Button]:
    return [Button(ctx.tr.plain(_("📊 Journal and reports")), Reports().pack())]


@feature.button(Reports)
async def _reports(ctx: Context, p: Reports) -> list[Outbound]:
    """The choices; the journal (Excel or CSV); the targets; a trial's report (or the list of
    trials to choose from)."""
    grant = await access.check(ctx, Action.EXPORT)
    if grant is None or grant.school_id is None:
        raise Refusal()
    person, school_id = grant.person, grant.school_id
    tr = ctx.tr
    kind = p.report
    if kind is None:
        rows = [[Button(tr.plain(_("Journal (Excel)")), Reports(JOURNAL, EXCEL).pack()),
                 Button(tr.plain(_("Journal (CSV)")), Reports(JOURNAL, CSV).pack())],
                [Button(tr.plain(_("Targets of the year (Excel)")), Reports(TARGETS).pack())],
                [Button(tr.plain(_("A trial's report (PDF)")), Reports(TRIAL).pack())]]
        return [ctx.say(_("What would you like to receive? The journal and the targets cover "
                          "this school year."), rows)]
    school = await ctx.schools.get(school_id)
    assert school is not None
    since, until = school_year(ctx.now, school.timezone)
    audit = ctx.audit
    if kind == JOURNAL and p.option in (EXCEL, CSV):
        entries = await school_journal(ctx, school_id, since, until, tr)
        xlsx = p.option == EXCEL
        data = journal_xlsx(entries, tr) if xlsx else journal_csv(entries, tr)
        await audit.record(person.id, "export.journal", f"school:{school_id}", ctx.now,
                           format="xlsx" if xlsx else "csv", rows=len(entries), via="chat")
        return [_document(ctx, data, XLSX if xlsx else "text/csv",
                          "journal.xlsx" if xlsx else "journal.csv",
                          _("The journal of this school year: one row per trial."))]
    if kind == TARGETS:
        data = targets_xlsx(await school_targets(ctx, school_id), tr)
        await audit.record(person.id, "export.targets", f"school:{school_id}", ctx.now,
                           via="chat")
        return [_document(ctx, data, XLSX, "targets.xlsx", _(
            "The targets of this school year per class and per pupil, and the meaningful "
            "check of every pupil on every trial."))]
    if kind == TRIAL and p.option is None:
        trials = await ctx.journal.recent(school_id)
        if not trials:
            return [ctx.say(_("There are no trials yet."))]
        buttons = [[Button(f"{tr.date(t.starts_at, school.timezone, 'dd.MM')} {t.title}"[:60],
                           Reports(TRIAL, str(t.id)).pack())] for t in trials]
        return [ctx.say(_("Which trial?"), buttons)]
    if kind == TRIAL:
        found = await access.check(ctx, Action.EXPORT, trial_id=p.trial_id)
        if found is None or found.trial is None:
            raise Refusal()
        trial = found.trial
        facts = (await ctx.journal.facts([trial]))[0]
        await audit.record(person.id, "export.trial", f"trial:{trial.id}", ctx.now, via="chat")
        return [_document(ctx, trial_report_pdf(facts, ctx.now, tr), "application/pdf",
                          f"trial-{trial.id}.pdf", _("The trial's report."))]
    raise Refusal()

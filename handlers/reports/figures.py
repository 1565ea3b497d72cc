"""The regional, depersonalised figures: pupils who took part and the share of meaningful
trials by grade band, sector, district and area, with every group under five pupils hidden;
hosts and mentors by district."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime

from handlers.participation import meaningful_on, took_part_in
from locales import Translator, _
from storage.importer.plan import band
from storage.models import MentorStatus
from storage.reads.journal import Journal, TrialFacts
from storage.sheets import csv_writer

# Groups of fewer pupils than this are never shown in depersonalised figures.
MIN_CELL = 5


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

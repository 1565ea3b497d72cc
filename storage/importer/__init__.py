"""Importing a school's lists from CSV and XLSX files: check everything, then write all or nothing.

    result = await import_files(session, [("school.xlsx", data)], now=now)
    if result.ok: ... result.counts ... else: [p.render(tr) for p in result.problems]

Reading: :mod:`.sources`; the sheets and columns: :mod:`.schema`; cells: :mod:`.values`;
checking and matching to what is stored: :mod:`.plan`; writing: :mod:`.write`. The caller
owns the transaction: nothing is written unless every row of every file is good, and an
error while writing rolls back the caller's transaction.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from locales import Translator, _
from storage.models import Person, School, TrialStatus
from storage.repos.audit import Audit
from storage.repos.imports import Imports, Snapshot

from . import values
from .plan import (
    Checker,
    ClassRec,
    PartnerRec,
    PersonRec,
    Plan,
    PupilRec,
    SiteRec,
    TrialRec,
    class_key,
    local_day,
)
from .problems import Problem
from .sources import Table, read_all
from .values import Bad
from .write import Counts, Writer

# How long a coordinator in the chat has to confirm a file's removals by sending it again.
CONFIRM_WITHIN = timedelta(minutes=15)

__all__ = ["Counts", "ImportResult", "Problem", "CONFIRM_WITHIN", "Removal", "import_files",
           "removal_lines"]


@dataclass(frozen=True)
class Removal:
    """A link the file says to remove: found while checking, before anything is written."""

    source: str
    row: int
    parent: str
    pupil: str

    def render(self, tr: Translator) -> str:
        return tr.plain(_("{parent} — {pupil} (the link; {source}, row {row})"),
                        parent=self.parent, pupil=self.pupil, source=self.source, row=self.row)


@dataclass
class ImportResult:
    problems: list[Problem] = field(default_factory=list)  # errors and warnings
    removals: list[Removal] = field(default_factory=list)  # what the file says to remove
    held: bool = False  # nothing written: the removals are to be confirmed first
    counts: Counts | None = None  # None when nothing was written
    school_id: int | None = None
    # Trials whose time changed: (trial id, old start, old end).
    moved: list[tuple[int, datetime, datetime]] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if not p.warning]

    @property
    def ok(self) -> bool:
        return not self.errors


async def import_files(session: AsyncSession, files: list[tuple[str, bytes]], *,
                       now: datetime, school_id: int | None = None,
                       actor: Person | None = None,
                       confirm_removals: bool = False) -> ImportResult:
    """Check ``files`` (name, bytes) against the school's data; write them if all is well.

    The school is ``school_id`` (the coordinator's own school in the chat, ``--school`` on
    the command line), else the one a "school" sheet names (created if new), else the only
    school in the database. With ``confirm_removals`` (the chat), a file that asks to remove
    links is only checked the first time (``held``: the report says what it would remove,
    nothing is written) and imported when the same files come again from the same person
    within :data:`CONFIRM_WITHIN`.
    """
    repo = Imports(session)
    result = ImportResult()
    order = [name for name, _data in files]
    # Parsing is CPU work on bytes: a thread, so that a big file delays nobody else's answer,
    # and before the first statement of this import.
    tables, result.problems = await asyncio.to_thread(read_all, files)
    if not tables and not result.problems:
        result.problems.append(Problem(", ".join(order) or "-", None, None,
                                       _("There is nothing to import: the file is empty.")))
    school, school_fields, school_problems = await _school(repo, tables, school_id)
    result.problems += school_problems
    if result.errors and not tables:
        return result

    snapshot = await repo.snapshot(school)
    timezone = str(school_fields.get("timezone")
                   or (school.timezone if school else "Asia/Almaty"))
    plan = _plan(snapshot, timezone)
    plan.school_fields = school_fields
    plan.school_in_file = any(t.entity.key == "school" for t in tables)
    plan.problems = result.problems
    coordinator = actor if actor is not None and "coordinator" in actor.role_names else None
    default: Person | PersonRec | None
    # Matching thousands of rows is CPU work too, over rows already loaded: no statement is
    # issued while it runs, so it goes to the thread as well.
    await asyncio.to_thread(Checker(plan).check, tables)
    result.removals = _removals(plan)
    result.problems += _overlaps(plan)
    result.problems.sort(key=lambda p: (_file_index(p.source, order), p.row or 0))
    if result.errors:
        return result
    if school is None and not school_fields.get("name"):
        return result
    if result.removals and confirm_removals:
        digest = hashlib.sha256()
        for _name, data in files:
            digest.update(data)
        subject, actor_id = "sha256:" + digest.hexdigest(), actor.id if actor else None
        if not await repo.previewed(actor_id, subject, now - CONFIRM_WITHIN):
            await Audit(session).record(actor_id, "import.preview", subject, now)
            result.held = True
            return result

    default = coordinator
    if default is None:  # a school with one coordinator: theirs are the trials
        staff = [p for p in plan.people if "coordinator" in p.roles]
        default = staff[0] if len(staff) == 1 else None
    writer = Writer(plan, repo, now, default)
    written_school, counts = await writer.write()
    result.counts, result.school_id = counts, written_school.id
    result.moved = [(trial.id, start, end) for trial, start, end in writer.moved]
    if counts.changed:
        await Audit(session).record(actor.id if actor else None, "import",
                                    f"school:{written_school.id}", now,
                                    files=order, created=counts.created, updated=counts.updated,
                                    via="chat" if actor else "cli")
    return result


def removal_lines(result: ImportResult, tr: Translator, checked: bool) -> list[str]:
    """What the file removes, said apart from what it adds (or would, when only checked)."""
    if not result.removals or result.errors:
        return []
    if result.held:
        head = _("Nothing was saved yet: the file asks to remove these links ({count}). To "
                 "import it and remove them, send the same file again within {minutes} "
                 "minutes.")
    elif checked or result.counts is None:
        head = _("The file asks to remove these links ({count}); importing it would remove "
                 "them:")
    else:
        head = _("Removed, as the file asks ({count}):")
    minutes = int(CONFIRM_WITHIN.total_seconds() // 60)
    return [tr.plain(head, count=len(result.removals), minutes=minutes),
            *("• " + r.render(tr) for r in result.removals)]


def _removals(plan: Plan) -> list[Removal]:
    """The links the file asks to remove; one that is not there is a note, not a removal."""
    found = []
    for person in plan.people:
        for pupil in person.unlink:
            seen = person.seen.get("parents")
            assert seen is not None
            source, row = seen
            pupil_name = pupil.name + (f" ({pupil.school_class.name})"
                                       if pupil.school_class is not None else "")
            linked = person.existing is not None and pupil.existing is not None and \
                (person.existing.id, pupil.existing.id) in plan.guardians
            if linked:
                found.append(Removal(source, row, person.name, pupil_name))
            else:
                plan.problems.append(Problem(source, row, None, _(
                    "{pupil} is not linked to {parent} in Synaq: there is nothing to remove."),
                    {"pupil": pupil_name, "parent": person.name}, warning=True))
    return found


def _overlaps(plan: Plan) -> list[Problem]:
    """A trial of the file at the same time as another (of the file or the school) with the
    same mentor or class: a warning, as a person cannot be in two places."""
    people = {p.existing.id: p for p in plan.people if p.existing is not None}
    classes = {c.existing.id: c for c in plan.classes.values() if c.existing is not None}
    spans = []
    for rec in {id(t): t for t in [*plan.trials.values(), *plan.trials_by_id.values()]}.values():
        trial = rec.existing
        if trial is not None and trial.status == TrialStatus.CANCELLED:
            continue
        starts = rec.fields.get("starts_at") or (trial.starts_at if trial else None)
        ends = rec.fields.get("ends_at") or (trial.ends_at if trial else None)
        if starts is None or ends is None:
            continue
        # A row without a mentor (or class) keeps the stored one: so does the comparison.
        mentor = rec.people.get("mentor") or (people.get(trial.mentor_id or 0) if trial
                                              else None)
        school_class = rec.school_class or (classes.get(trial.class_id or 0) if trial
                                            else None)
        spans.append((rec, starts, ends, mentor, school_class))
    found = []
    for rec, starts, ends, mentor, school_class in spans:
        if not rec.in_file or rec.row is None or rec.source is None:
            continue
        for other, o_starts, o_ends, o_mentor, o_class in spans:
            if other is rec or not (starts < o_ends and o_starts < ends):
                continue
            if other.in_file and (other.row or 0) > rec.row:
                continue  # a pair of rows is reported once, on the later row
            when = o_starts.astimezone(ZoneInfo(plan.timezone)).strftime("%d.%m.%Y %H:%M")
            if mentor is not None and mentor is o_mentor:
                found.append(Problem(rec.source, rec.row, None, _(
                    "This trial overlaps “{title}” ({when}) and has the same mentor, {name}."),
                    {"title": other.title, "when": when, "name": mentor.name}, warning=True))
            elif school_class is not None and school_class is o_class:
                found.append(Problem(rec.source, rec.row, None, _(
                    "This trial overlaps “{title}” ({when}) and has the same class, {name}."),
                    {"title": other.title, "when": when, "name": school_class.name},
                    warning=True))
    return found


def _file_index(source: str, order: list[str]) -> int:
    return next((i for i, name in enumerate(order) if source.startswith(name)), len(order))


async def _school(repo: Imports, tables: list[Table], school_id: int | None) \
        -> tuple[School | None, dict[str, object], list[Problem]]:
    """Which school the files are for, and the fields its sheet gives."""
    problems: list[Problem] = []
    fields: dict[str, object] = {}
    sheets = [t for t in tables if t.entity.key == "school"]
    for table in sheets:
        for extra in table.rows[1:]:
            problems.append(Problem(table.source, extra.number, None, _(
                "The school sheet has one row: the school the file is for.")))
        if not table.rows:
            continue
        row = table.rows[0]
        readers = {"name": values.text, "district": values.text, "rural": values.yes_no,
                   "locale": values.locale, "timezone": _zone}
        targets = {"locale": "default_locale"}
        for column, reader in readers.items():
            if column not in table.headers:
                continue
            raw = row.cells.get(column)
            try:
                value = reader(raw) if values.text(raw) is not None else None
            except Bad as bad:
                problems.append(Problem(table.source, row.number, table.headers[column],
                                        bad.msgid, bad.params))
                continue
            if value is None and column in ("name", "rural", "locale", "timezone"):
                if column == "name":
                    problems.append(Problem(table.source, row.number, table.headers[column],
                                            _("This value is required.")))
                continue
            fields[targets.get(column, column)] = value
    if school_id is not None:
        school = await repo.school(school_id)
        if school is None:
            problems.append(Problem("--school", None, None, _(
                "There is no school with id {id}."), {"id": school_id}))
        elif "name" in fields and values.key(str(fields["name"])) != values.key(school.name):
            # A file made for another school must not rename this one.
            table = sheets[0]
            problems.append(Problem(table.source, table.rows[0].number, table.headers["name"], _(
                "This file is for the school “{value}”, but the import is for “{school}”."),
                {"value": fields["name"], "school": school.name}))
        return school, fields, problems
    if "name" in fields:
        wanted = values.key(str(fields["name"]))
        school = next((s for s in await repo.schools() if values.key(s.name) == wanted), None)
        return school, fields, problems
    schools = await repo.schools()
    if len(schools) == 1:
        return schools[0], fields, problems
    source = tables[0].source if tables else "-"
    problems.append(Problem(source, None, None, _(
        "Which school is this for? Add a “school” sheet with the school's name, or choose "
        "the school with --school ID.")))
    return None, fields, problems


def _zone(raw: object) -> str:
    name = values.text(raw) or ""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Bad(_("“{value}” is not a time zone: write it as Asia/Almaty."),
                  value=name) from None
    return name


def _plan(snapshot: Snapshot, timezone: str) -> Plan:
    """Every stored row as a record, so that references resolve against file and database."""
    plan = Plan(snapshot.school, timezone=timezone, guardians=set(snapshot.guardians),
                participants=set(snapshot.participants),
                class_teachers=dict(snapshot.class_teachers))
    partners = {p.id: PartnerRec(existing=p, name=p.name, bin=p.bin) for p in snapshot.partners}
    plan.partners = list(partners.values())
    sites = {s.id: SiteRec(existing=s, partner=partners[s.partner_id], name=s.name)
             for s in snapshot.sites}
    plan.sites = list(sites.values())
    classes = {c.id: ClassRec(existing=c, name=c.name, grade=c.grade) for c in snapshot.classes}
    plan.classes = {class_key(c.name): c for c in classes.values()}
    pupils: dict[int, PupilRec] = {}
    people: dict[int, PersonRec] = {}
    for person in snapshot.people:
        roles = set(person.role_names)
        if "pupil" in roles:
            pupils[person.id] = PupilRec(existing=person, name=person.full_name,
                                         school_class=classes.get(person.class_id or 0))
        if roles - {"pupil"}:
            people[person.id] = PersonRec(
                existing=person, name=person.full_name, phone=person.phone,
                roles=roles - {"pupil"},
                partner=partners.get(person.partner_id) if person.partner_id else None)
    for parent_id, pupil_id in snapshot.guardians:
        if parent_id in people and pupil_id in pupils:
            people[parent_id].children = [*(people[parent_id].children or []), pupils[pupil_id]]
    plan.pupils, plan.people = list(pupils.values()), list(people.values())
    for trial in snapshot.trials:
        key = (values.key(trial.title), local_day(trial, timezone))
        rec = TrialRec(existing=trial, title=trial.title, day=key[1],
                       site=sites.get(trial.site_id or 0))
        plan.trials_by_id[trial.id] = rec
        plan.trials.setdefault(key, rec)
    return plan

"""Checking an import: every row read, every reference resolved, every problem collected.

The plan starts from what the school already has (each row of the database becomes a record
with ``existing`` set) and lays the file's rows over it, matched by natural key:

- the school by name; partners by BIN, else by name; sites by (partner, name);
- classes by name (Latin letters that look Cyrillic, "8A" / "8А", count as the same);
- pupils by (class, full name);
- staff, parents and mentors by phone — one person may be on several sheets (a teacher who
  is also a parent) — and, when the phone changed, by name plus what ties them (a mentor's
  partner, a parent's children, a staff member's role);
- trials by Synaq's number when the sheet gives it (so title and date may change), else
  by (title, date).

Nothing is written here; :mod:`storage.importer.write` writes the plan when no problem was
found. Only the columns a sheet has are written: a missing optional column leaves stored
values alone, an empty cell in a present column clears them.

Long because every sheet's rows are checked against each other and against what is stored
in one pass (a class named in the people sheet, a site in the trials sheet); splitting it by
sheet would split those cross-checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from locales import _
from storage.models import School, Trial

from . import schema, values
from .problems import Problem
from .sources import Row, Table
from .values import Bad

# Latin letters that look like Cyrillic ones in class names ("8A" typed on a Latin keyboard).
_LOOKALIKES = str.maketrans("abcehkmoptxy", "авсенкмортху")
STAFF_ROLES = ("coordinator", "teacher")


def class_key(name: str) -> str:
    return values.key(name).replace(" ", "").translate(_LOOKALIKES)


@dataclass(eq=False)
class Rec:
    """One thing to import, matched to its database row (``existing``) if it has one."""

    existing: Any = None
    source: str | None = None  # where the file defines it; None: only in the database
    row: int | None = None
    fields: dict[str, Any] = field(default_factory=dict)  # the columns to write

    @property
    def in_file(self) -> bool:
        return self.source is not None


@dataclass(eq=False)
class PartnerRec(Rec):
    name: str = ""
    bin: str | None = None


@dataclass(eq=False)
class SiteRec(Rec):
    partner: PartnerRec | None = None
    name: str = ""


@dataclass(eq=False)
class PersonRec(Rec):
    name: str = ""
    phone: str | None = None
    roles: set[str] = field(default_factory=set)
    partner: PartnerRec | None = None  # a mentor's organisation
    # Where each sheet defines this person: entity key → (source, row).
    seen: dict[str, tuple[str, int]] = field(default_factory=dict)
    children: list[PupilRec] | None = None  # a parent's pupils, when the file lists them
    unlink: list[PupilRec] = field(default_factory=list)  # links the file says to remove


@dataclass(eq=False)
class ClassRec(Rec):
    name: str = ""
    grade: int | None = None
    teacher: PersonRec | None = None

    @property
    def locale(self) -> str | None:
        """The class's own language, as the file or the database has it."""
        if "locale" in self.fields:
            return self.fields["locale"]  # type: ignore[no-any-return]
        return self.existing.locale if self.existing is not None else None


@dataclass(eq=False)
class PupilRec(Rec):
    name: str = ""
    school_class: ClassRec | None = None


@dataclass(eq=False)
class TrialRec(Rec):
    title: str = ""
    day: date | None = None
    school_class: ClassRec | None = None
    site: SiteRec | None = None
    people: dict[str, PersonRec] = field(default_factory=dict)  # mentor / coordinator / escort
    pupils: list[PupilRec] | None = None  # None: the file does not say


@dataclass
class Plan:
    school: School | None
    school_fields: dict[str, Any] = field(default_factory=dict)
    school_in_file: bool = False
    timezone: str = "Asia/Almaty"
    partners: list[PartnerRec] = field(default_factory=list)
    sites: list[SiteRec] = field(default_factory=list)
    classes: dict[str, ClassRec] = field(default_factory=dict)
    people: list[PersonRec] = field(default_factory=list)
    pupils: list[PupilRec] = field(default_factory=list)
    trials: dict[tuple[str, date], TrialRec] = field(default_factory=dict)
    trials_by_id: dict[int, TrialRec] = field(default_factory=dict)  # every stored trial
    guardians: set[tuple[int, int]] = field(default_factory=set)  # as stored
    class_teachers: dict[int, int] = field(default_factory=dict)  # as stored
    participants: set[tuple[int, int]] = field(default_factory=set)  # as stored
    problems: list[Problem] = field(default_factory=list)


class Checker:
    """Builds a :class:`Plan` from the database snapshot and the tables of the files."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        # Indexes by name and phone: a school has thousands of pupils and parents, and every
        # parent's row names children.
        self.pupils_by_name: dict[str, list[PupilRec]] = {}
        for pupil in plan.pupils:
            self.pupils_by_name.setdefault(values.key(pupil.name), []).append(pupil)
        self.by_phone = {p.phone: p for p in plan.people if p.phone}
        self.people_by_name: dict[str, list[PersonRec]] = {}
        for person in plan.people:
            self.people_by_name.setdefault(values.key(person.name), []).append(person)

    # --- problems -------------------------------------------------------------------------

    def problem(self, table: Table, at: Row | None, column: str | None, msgid: str,
                **params: Any) -> None:
        shown = table.headers.get(column, column) if column else None
        self.plan.problems.append(Problem(table.source, at.number if at else None, shown,
                                          msgid, params))

    def cell(self, table: Table, row: Row, column: str, read: Any = values.text,
             limit: int | None = None) -> Any:
        """The value of one cell read with ``read``; None when empty or unreadable (a
        problem is recorded for a required empty cell and for an unreadable one)."""
        raw = row.cells.get(column)
        if raw is None or values.text(raw) is None:
            spec = next(c for c in table.entity.columns if c.key == column)
            if spec.required and column in table.headers:
                self.problem(table, row, column, _("This value is required."))
            return None
        try:
            value = read(raw)
            if limit is not None and isinstance(value, str):
                value = values.limited(value, limit)
            return value
        except Bad as bad:
            self.problem(table, row, column, bad.msgid, **bad.params)
            return None

    def present(self, table: Table, *columns: str) -> bool:
        return any(c in table.headers for c in columns)

    def put(self, rec: Rec, table: Table, row: Row, column: str, value: Any,
            target: str | None = None) -> None:
        """Record ``value`` for writing if the sheet has ``column``."""
        if column in table.headers:
            rec.fields[target or column] = value

    # --- lookups over database and file alike ---------------------------------------------

    def partner(self, name_or_bin: str) -> PartnerRec | None:
        wanted = re.sub(r"\s", "", name_or_bin)
        if wanted.isdigit():
            found = [p for p in self.plan.partners if p.bin == wanted]
            if found:
                return found[0]
        found = [p for p in self.plan.partners if values.key(p.name) == values.key(name_or_bin)]
        return found[0] if found else None

    def site(self, partner: PartnerRec, name: str) -> SiteRec | None:
        return next((s for s in self.plan.sites if s.partner is partner
                     and values.key(s.name) == values.key(name)), None)

    def person(self, ref: str, roles: tuple[str, ...]) -> list[PersonRec]:
        """People with one of ``roles`` named by phone or by full name."""
        phone = values.phone_in(ref)
        found = self.people_by_name.get(values.key(ref), [])
        if phone and phone in self.by_phone:
            found = [self.by_phone[phone]]
        return [p for p in found if p.roles & set(roles)]

    def pupils_named(self, ref: str) -> tuple[list[PupilRec], str]:
        """Pupils matching "Full Name" or "Full Name (8А)"; and the name part."""
        m = re.match(r"^(.*?)\s*\(([^()]+)\)\s*$", ref)
        name, class_name = (m.group(1), m.group(2)) if m else (ref, None)
        found = [p for p in self.pupils_by_name.get(values.key(name), [])
                 if class_name is None or (p.school_class is not None
                                           and class_key(p.school_class.name)
                                           == class_key(class_name))]
        return found, name

    # --- the sheets -----------------------------------------------------------------------

    def check(self, tables: list[Table]) -> None:
        ordered = sorted(tables, key=lambda t: schema.WRITE_ORDER.index(t.entity.key))
        for table in ordered:
            if table.entity.key == "school":
                continue  # read before the snapshot: it says which school this is
            missing = [c for c in table.entity.required if c not in table.headers]
            reader = getattr(self, f"_{table.entity.key}")
            for row in table.rows:
                reader(table, row, missing)

    def _staff(self, table: Table, row: Row, missing: list[str]) -> None:
        name = self.cell(table, row, "name", limit=200)
        role = self.cell(table, row, "role", lambda v: values.choice(v, schema.ROLES))
        phone = self.cell(table, row, "phone", values.phone)
        self._person(table, row, name, phone, role, {
            "position": self.cell(table, row, "position", limit=200),
            "locale": self.cell(table, row, "locale", values.locale),
        }, ("position", "locale"))

    def _partners(self, table: Table, row: Row, missing: list[str]) -> None:
        name = self.cell(table, row, "name", limit=200)
        bin_ = self.cell(table, row, "bin", values.bin_number)
        start = self.cell(table, row, "agreement_start", values.day)
        end = self.cell(table, row, "agreement_end", values.day)
        if start and end and end < start:
            self.problem(table, row, "agreement_end", _("The agreement ends before it starts."))
        fields = {
            "address": self.cell(table, row, "address", limit=300),
            "contact_name": self.cell(table, row, "contact_name", limit=200),
            "contact_phone": self.cell(table, row, "contact_phone", values.phone),
            "sector": self.cell(table, row, "sector", limit=100),
            "agreement_start": start, "agreement_end": end,
        }
        if name is None:
            return
        rec = self.partner(bin_) if bin_ else None
        rec = rec or next((p for p in self.plan.partners
                           if values.key(p.name) == values.key(name)), None)
        if rec is not None and rec.in_file:
            self.problem(table, row, "name", _("This partner is already on row {first}."),
                         first=rec.row)
            return
        if rec is None:
            rec = PartnerRec()
            self.plan.partners.append(rec)
        rec.source, rec.row, rec.name = table.source, row.number, name
        rec.fields["name"] = name
        if "bin" in table.headers:
            rec.bin = bin_
            rec.fields["bin"] = bin_
        for column, value in fields.items():
            self.put(rec, table, row, column, value)

    def _sites(self, table: Table, row: Row, missing: list[str]) -> None:
        partner_ref = self.cell(table, row, "partner")
        name = self.cell(table, row, "name", limit=200)
        fields = {
            "address": self.cell(table, row, "address", limit=300),
            "place": self.cell(table, row, "place", limit=200),
            "photo_policy": self.cell(table, row, "photo_policy",
                                      lambda v: values.choice(v, schema.PHOTO_POLICY)),
            "rules": self.cell(table, row, "rules"),
            "evacuation": self.cell(table, row, "evacuation"),
        }
        partner = self.partner(partner_ref) if partner_ref else None
        if partner_ref and partner is None:
            self.problem(table, row, "partner", _(
                "There is no partner “{value}” in the file or in the school."), value=partner_ref)
        if partner is None or name is None:
            return
        rec = self.site(partner, name)
        if rec is not None and rec.in_file:
            self.problem(table, row, "name", _("This site is already on row {first}."),
                         first=rec.row)
            return
        if rec is None:
            rec = SiteRec(partner=partner)
            self.plan.sites.append(rec)
        rec.source, rec.row, rec.name = table.source, row.number, name
        rec.fields["name"] = name
        if fields["photo_policy"] is None and "photo_policy" in table.headers:
            fields["photo_policy"] = "portfolio"  # the column's default: the middle tier
        for column, value in fields.items():
            self.put(rec, table, row, column, value)

    def _classes(self, table: Table, row: Row, missing: list[str]) -> None:
        name = self.cell(table, row, "name", limit=20)
        grade = self.cell(table, row, "grade", values.grade)
        teacher_ref = self.cell(table, row, "teacher")
        locale = self.cell(table, row, "locale", values.locale)
        teacher = None
        if teacher_ref:
            found = self.person(teacher_ref, STAFF_ROLES)
            if len(found) != 1:
                self.problem(table, row, "teacher", _(
                    "There is no staff member “{value}” in the file or in the school (the "
                    "staff sheet lists teachers with their phones)."), value=teacher_ref)
            else:
                teacher = found[0]
        if name is None:
            return
        rec = self.plan.classes.get(class_key(name))
        if rec is not None and rec.in_file:
            self.problem(table, row, "name", _("This class is already on row {first}."),
                         first=rec.row)
            return
        if rec is None:
            rec = self.plan.classes[class_key(name)] = ClassRec()
        rec.source, rec.row, rec.name = table.source, row.number, name
        rec.fields["name"] = rec.existing.name if rec.existing else name
        if grade is not None:
            rec.grade = rec.fields["grade"] = grade
        self.put(rec, table, row, "locale", locale)
        rec.teacher = teacher

    def _pupils(self, table: Table, row: Row, missing: list[str]) -> None:
        name = self.cell(table, row, "name", limit=200)
        class_name = self.cell(table, row, "class", limit=20)
        grade = self.cell(table, row, "grade", values.grade)
        fields = {
            "locale": self.cell(table, row, "locale", values.locale),
            "special_needs": self.cell(table, row, "special_needs", values.yes_no) or False,
        }
        school_class = self.plan.classes.get(class_key(class_name)) if class_name else None
        if class_name and school_class is None:
            self.problem(table, row, "class", _(
                "There is no class “{value}” in the file or in the school: add it to the "
                "classes sheet."), value=class_name)
        elif school_class and grade is not None and school_class.grade not in (None, grade):
            self.problem(table, row, "grade", _("Class {name} is grade {grade}, not {value}."),
                         name=school_class.name, grade=school_class.grade, value=grade)
        if name is None or school_class is None:
            return
        rec = next((p for p in self.pupils_by_name.get(values.key(name), [])
                    if p.school_class is school_class), None)
        if rec is not None and rec.in_file:
            self.problem(table, row, "name", _("This pupil is already on row {first}."),
                         first=rec.row)
            return
        if rec is None:
            rec = PupilRec(school_class=school_class, name=name)
            self.plan.pupils.append(rec)
            self.pupils_by_name.setdefault(values.key(name), []).append(rec)
        rec.source, rec.row, rec.name = table.source, row.number, name
        rec.fields["full_name"] = name
        for column, value in fields.items():
            self.put(rec, table, row, column, value)

    def _parents(self, table: Table, row: Row, missing: list[str]) -> None:
        name = self.cell(table, row, "name", limit=200)
        phone = self.cell(table, row, "phone", values.phone)
        refs = values.items(row.cells.get("pupils"))
        gone = values.items(row.cells.get("remove_pupils"))
        if "pupils" in table.headers and not refs and not gone:
            self.problem(table, row, "pupils", _("This value is required."))
        children = self._children(table, row, "pupils", refs)
        unlink = self._children(table, row, "remove_pupils", gone)
        for pupil in set(children) & set(unlink):
            self.problem(table, row, "remove_pupils", _(
                "{value} is both listed and to be removed: keep one of the two."),
                value=pupil.name)
        rec = self._person(table, row, name, phone, "parent", {
            "locale": self.cell(table, row, "locale", values.locale),
        }, ("locale",), children=children)
        if rec is not None and refs and len(children) == len(refs):
            rec.children = children
        if rec is not None and gone and len(unlink) == len(gone):
            rec.unlink = unlink

    def _children(self, table: Table, row: Row, column: str, refs: list[str]) \
            -> list[PupilRec]:
        """The pupils a parent's cell names, each exactly one (else a problem)."""
        found_all = []
        for ref in refs:
            found, bare = self.pupils_named(ref)
            if not found:
                self.problem(table, row, column, _(
                    "There is no pupil “{value}” in the file or in the school."), value=ref)
            elif len(found) > 1:
                self.problem(table, row, column, _(
                    "Several pupils are called “{value}”: add the class in brackets, for "
                    "example “{value} (8А)”."), value=bare)
            else:
                found_all.append(found[0])
        return found_all

    def _mentors(self, table: Table, row: Row, missing: list[str]) -> None:
        name = self.cell(table, row, "name", limit=200)
        phone = self.cell(table, row, "phone", values.phone)
        partner_ref = self.cell(table, row, "partner")
        partner = self.partner(partner_ref) if partner_ref else None
        if partner_ref and partner is None:
            self.problem(table, row, "partner", _(
                "There is no partner “{value}” in the file or in the school."), value=partner_ref)
        rec = self._person(table, row, name, phone, "mentor", {
            "position": self.cell(table, row, "position", limit=200),
            "locale": self.cell(table, row, "locale", values.locale),
        }, ("position", "locale"), partner=partner)
        if rec is not None and partner is not None:
            rec.partner = partner

    def _person(self, table: Table, row: Row, name: str | None, phone: str | None,
                role: str | None, fields: dict[str, Any], columns: tuple[str, ...],
                partner: PartnerRec | None = None,
                children: list[PupilRec] | None = None) -> PersonRec | None:
        """Match a staff / parent / mentor row to a person by phone (or, for a new phone,
        by name and what ties them), merging the roles of one person on several sheets."""
        if name is None or phone is None or role is None:
            return None
        entity = table.entity.key
        rec = self.by_phone.get(phone)
        if rec is not None and rec.in_file:
            if entity in rec.seen:
                source, number = rec.seen[entity]
                self.problem(table, row, "phone", _(
                    "The same phone number is already on row {first} of {source} ({name})."),
                    first=number, source=source, name=rec.name)
                return None
            if values.key(rec.name) != values.key(name):
                source, number = next(iter(rec.seen.values()))
                self.problem(table, row, "phone", _(
                    "The same phone number is on row {first} of {source} for {name}."),
                    first=number, source=source, name=rec.name)
                return None
        if rec is None:
            rec = self._moved_phone(name, role, partner, children)
        if rec is None:
            rec = PersonRec()
            self.plan.people.append(rec)
        if not rec.in_file:
            rec.source, rec.row = table.source, row.number
        rec.seen[entity] = (table.source, row.number)
        self._rename(rec, name, phone)
        rec.roles.add(role)
        rec.fields.update(full_name=name, phone=phone)
        for column in columns:
            if column in table.headers and (column != "locale" or fields[column] is not None):
                rec.fields[column] = fields[column]
        return rec

    def _moved_phone(self, name: str, role: str, partner: PartnerRec | None,
                     children: list[PupilRec] | None) -> PersonRec | None:
        """A stored person whose phone changed: same name, and the same partner (mentor),
        a shared child (parent) or the same role (staff)."""
        for rec in self.people_by_name.get(values.key(name), []):
            if rec.in_file or role not in rec.roles:
                continue
            if role == "mentor" and (partner is None or rec.partner is not partner):
                continue
            if role == "parent" and not set(map(id, rec.children or [])) & \
                    set(map(id, children or [])):
                continue
            return rec
        return None

    def _rename(self, rec: PersonRec, name: str, phone: str) -> None:
        """Set a person's name and phone, keeping the indexes right."""
        if rec.phone != phone:
            if rec.phone and self.by_phone.get(rec.phone) is rec:
                del self.by_phone[rec.phone]
            self.by_phone[phone] = rec
        old, new = values.key(rec.name), values.key(name)
        if old != new or rec not in self.people_by_name.get(new, []):
            if rec in self.people_by_name.get(old, []):
                self.people_by_name[old].remove(rec)
            self.people_by_name.setdefault(new, []).append(rec)
        rec.name, rec.phone = name, phone

    def _trials(self, table: Table, row: Row, missing: list[str]) -> None:
        title = self.cell(table, row, "title", limit=200)
        day = self.cell(table, row, "date", values.day)
        end_day = self.cell(table, row, "end_date", values.day)
        start = self.cell(table, row, "start", values.clock)
        end = self.cell(table, row, "end", values.clock)
        zone = ZoneInfo(self.plan.timezone)
        starts_at = ends_at = None
        if day and start and end:
            starts_at = datetime.combine(day, start, zone)
            ends_at = datetime.combine(end_day or day, end, zone)
            if ends_at <= starts_at:
                self.problem(table, row, "end", _(
                    "The trial ends before it starts ({start} – {end})."),
                    start=start.strftime("%H:%M"), end=end.strftime("%H:%M"))
        fields: dict[str, Any] = {"title": title}
        if starts_at and ends_at and ends_at > starts_at:
            fields.update(starts_at=starts_at, ends_at=ends_at)

        school_class = None
        class_name = self.cell(table, row, "class")
        if class_name:
            school_class = self.plan.classes.get(class_key(class_name))
            if school_class is None:
                self.problem(table, row, "class", _(
                    "There is no class “{value}” in the file or in the school: add it to the "
                    "classes sheet."), value=class_name)
        site = None
        partner_ref, site_ref = self.cell(table, row, "partner"), self.cell(table, row, "site")
        partner = self.partner(partner_ref) if partner_ref else None
        if partner_ref and partner is None:
            self.problem(table, row, "partner", _(
                "There is no partner “{value}” in the file or in the school."), value=partner_ref)
        if partner and site_ref:
            site = self.site(partner, site_ref)
            if site is None:
                self.problem(table, row, "site", _(
                    "Partner “{partner}” has no site “{value}” in the file or in the school."),
                    partner=partner.name, value=site_ref)

        people: dict[str, PersonRec] = {}
        for column, roles in (("mentor", ("mentor",)), ("coordinator", ("coordinator",)),
                              ("escort", STAFF_ROLES)):
            ref = self.cell(table, row, column)
            if not ref:
                continue
            matches = self.person(ref, roles)
            if column == "mentor" and len(matches) == 1 and partner is not None \
                    and matches[0].partner is not partner:
                self.problem(table, row, column, _(
                    "{value} is a mentor of another partner, not of “{partner}”."),
                    value=ref, partner=partner.name)
            elif len(matches) != 1:
                msgid = (_("There is no mentor “{value}” in the file or in the school.")
                         if column == "mentor" else
                         _("There is no staff member “{value}” in the file or in the school "
                           "(the staff sheet lists teachers with their phones)."))
                self.problem(table, row, column, msgid, value=ref)
            else:
                people[column] = matches[0]

        pupils: list[PupilRec] | None = None
        refs = values.items(row.cells.get("pupils"))
        if refs:
            pupils = []
            for ref in refs:
                found, bare = self.pupils_named(ref)
                if len(found) == 1:
                    pupils.append(found[0])
                elif found:
                    self.problem(table, row, "pupils", _(
                        "Several pupils are called “{value}”: add the class in brackets, for "
                        "example “{value} (8А)”."), value=bare)
                else:
                    self.problem(table, row, "pupils", _(
                        "There is no pupil “{value}” in the file or in the school."), value=ref)
        elif school_class is not None:
            pupils = [p for p in self.plan.pupils if p.school_class is school_class]

        texts = {"pupil_goal": None, "school_goal": None, "labour_function": None,
                 "equipment": None, "ppe": None, "risks": None, "timing": None,
                 "expected_artefact": None, "safety_briefing": None,
                 "special_conditions": None, "evacuation": None, "bring": None,
                 "teacher_evaluation": None}
        for column in texts:
            fields[column] = self.cell(table, row, column)
        for column, limit in (("profession", 200), ("sector", 100), ("gather_place", 300)):
            fields[column] = self.cell(table, row, column, limit=limit)
        for column, options in (("photo_policy", schema.PHOTO_POLICY),
                                ("category", schema.CATEGORY), ("grade_band", schema.GRADE_BAND),
                                ("length_kind", schema.LENGTH_KIND),
                                ("purpose", schema.PURPOSE), ("format", schema.FORMAT)):
            fields[column] = self.cell(table, row, column,
                                       lambda v, o=options: values.choice(v, o))
        if fields["format"] is None:
            fields["format"] = "in_person"
        if fields["grade_band"] is None and school_class is not None and school_class.grade:
            fields["grade_band"] = band(school_class.grade)
        fields["sen_open"] = self.cell(table, row, "sen_open", values.yes_no)
        if fields["sen_open"] is None:
            fields["sen_open"] = True
        gather = self.cell(table, row, "gather_time", values.clock)
        fields["gather_at"] = datetime.combine(day, gather, zone) if gather and day else None
        fields["mini_task"] = [s for s in (self.cell(table, row, f"mini_task_{i}")
                                           for i in (1, 2, 3)) if s]
        fields["subjects"] = values.items(row.cells.get("subjects"))

        number = self.cell(table, row, "number", values.number)
        unreadable_number = number is None and values.text(row.cells.get("number")) is not None
        if title is None or day is None or unreadable_number:
            return
        key = (values.key(title), day)
        if number is not None:
            rec = self.plan.trials_by_id.get(number)
            if rec is None:
                self.problem(table, row, "number", _(
                    "This school has no trial no. {value}: leave the cell empty for a new "
                    "trial."), value=number)
                return
            if rec.in_file:
                self.problem(table, row, "number", _(
                    "Trial no. {value} is already on row {first}."), value=number,
                    first=rec.row)
                return
            other = self.plan.trials.get(key)
            if other is not None and other is not rec and other.in_file:
                self.problem(table, row, "title", _(
                    "This trial (the same title on the same date) is already on row "
                    "{first}."), first=other.row)
                return
            # Filed under its new title and date from now on.
            for old_key in [k for k, t in self.plan.trials.items() if t is rec]:
                del self.plan.trials[old_key]
            self.plan.trials[key] = rec
        else:
            rec = self.plan.trials.get(key)
            if rec is not None and rec.in_file:
                self.problem(table, row, "title", _(
                    "This trial (the same title on the same date) is already on row {first}."),
                    first=rec.row)
                return
            if rec is None:
                rec = self.plan.trials[key] = TrialRec()
        rec.source, rec.row, rec.title, rec.day = table.source, row.number, title, day
        rec.school_class, rec.site, rec.people, rec.pupils = school_class, site, people, pupils
        written = set(table.headers) | {"title"}
        aliases = {"starts_at": "start", "ends_at": "end", "gather_at": "gather_time",
                   "mini_task": "mini_task_1"}
        for column, value in fields.items():
            source_column = aliases.get(column, column)
            if column == "mini_task":
                present = self.present(table, "mini_task_1", "mini_task_2", "mini_task_3")
            else:
                present = source_column in written
            if present and (column not in ("starts_at", "ends_at") or value is not None):
                rec.fields[column] = value
        if "grade_band" not in rec.fields and "grade_band" not in table.headers \
                and fields["grade_band"]:
            rec.fields["grade_band"] = fields["grade_band"]


def band(grade: int) -> str | None:
    """The grade band of Annex 2: 5–7, 8–9, 10–11."""
    if 5 <= grade <= 7:
        return "5-7"
    if grade in (8, 9):
        return "8-9"
    if grade in (10, 11):
        return "10-11"
    return None


def local_day(trial: Trial, timezone: str) -> date:
    return trial.starts_at.astimezone(ZoneInfo(timezone)).date()


def local_time(moment: datetime, timezone: str) -> time:
    return moment.astimezone(ZoneInfo(timezone)).time()

"""Writing a checked plan: creates and updates, in an order where every reference exists.

Runs inside the caller's transaction, after :mod:`storage.importer.plan` found no problem;
an exception here rolls everything back. A row whose values are all as stored is not
touched at all, so importing the same file twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.models import Participant, Partner, Person, School, SchoolClass, Site, Trial
from storage.repos.imports import Imports

from .plan import PersonRec, Plan, PupilRec, TrialRec

# Changing these after parents have answered changes what they consented to (the consent
# ledger cites the trial's text version).
CONSENT_FIELDS = ("starts_at", "ends_at", "site_id", "risks", "ppe", "photo_policy",
                  "mini_task", "special_conditions")


@dataclass
class Counts:
    """Per kind of sheet: how many rows created a record, changed one, or changed nothing."""

    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, created: bool, changed: bool) -> None:
        target = self.created if created else self.updated if changed else self.unchanged
        target[kind] = target.get(kind, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


class Writer:
    def __init__(self, plan: Plan, repo: Imports, now: datetime,
                 default_coordinator: Person | PersonRec | None) -> None:
        """``default_coordinator`` becomes the coordinator of new trials that name none."""
        self.plan, self.repo, self.now = plan, repo, now
        self.default_coordinator = default_coordinator
        self.counts = Counts()
        self.changed_trials: set[int] = set()  # id() of the records of updated trials
        # Trials whose time the file changed: (trial, old start, old end). The handler gives
        # them the consequences of a move (people told, reminders follow the new time).
        self.moved: list[tuple[Trial, datetime, datetime]] = []

    async def write(self) -> tuple[School, Counts]:
        school = await self._school()
        sid = school.id
        repo = self.repo
        for partner in self.plan.partners:
            if partner.in_file:
                created = partner.existing is None
                if created:
                    partner.existing = repo.add(Partner(school_id=sid, **partner.fields))
                changed = created or repo.update(partner.existing, partner.fields)
                self.counts.add("partners", created, changed)
        await repo.flush()
        for site in self.plan.sites:
            if site.in_file:
                assert site.partner is not None
                fields = {**site.fields, "partner_id": site.partner.existing.id}
                created = site.existing is None
                if created:
                    site.existing = repo.add(Site(**fields))
                changed = created or repo.update(site.existing, fields)
                self.counts.add("sites", created, changed)
        for person in self.plan.people:
            if person.in_file:
                self._person(person, sid)
        new_classes = set()
        for school_class in self.plan.classes.values():
            if school_class.in_file and school_class.existing is None:
                school_class.existing = repo.add(SchoolClass(school_id=sid,
                                                             **school_class.fields))
                new_classes.add(id(school_class))
        await repo.flush()
        for school_class in self.plan.classes.values():
            if school_class.in_file:
                created = id(school_class) in new_classes
                changed = created or repo.update(school_class.existing, school_class.fields)
                if school_class.teacher is not None:
                    changed |= await repo.set_class_teacher(
                        school_class.existing.id, school_class.teacher.existing.id)
                self.counts.add("classes", created, changed)
        for pupil in self.plan.pupils:
            if pupil.in_file:
                assert pupil.school_class is not None
                fields = {**pupil.fields, "class_id": pupil.school_class.existing.id}
                self._class_language(fields, pupil.existing, [pupil])
                created = pupil.existing is None
                if created:
                    pupil.existing = repo.add_person({"pupil"}, school_id=sid,
                                                     created_at=self.now, **fields)
                changed = created or repo.update(pupil.existing, fields)
                self.counts.add("pupils", created, changed)
        await repo.flush()
        children: dict[int, set[int]] = {}
        for parent_id, pupil_id in self.plan.guardians:
            children.setdefault(parent_id, set()).add(pupil_id)
        for person in self.plan.people:
            if person.in_file and (person.children is not None or person.unlink):
                # Links are added as listed; one goes only when the file says so (a parent
                # of three children may be on a class's list with one of them).
                stored = children.get(person.existing.id, set())
                new = {c.existing.id for c in person.children or []} - stored
                gone = {c.existing.id for c in person.unlink} & stored
                if await repo.change_children(person.existing.id, new, gone):
                    self._touched(person, "parents")
        trials = [t for t in self.plan.trials.values() if t.in_file]
        created_trials = {id(t) for t in trials if t.existing is None}
        for trial in trials:
            self._trial(trial, sid)
        await repo.flush()
        for trial in trials:
            self._roster(trial, created=id(trial) in created_trials)
        await repo.flush()
        return school, self.counts

    async def _school(self) -> School:
        if self.plan.school is None:
            school = self.repo.add(School(created_at=self.now, **self.plan.school_fields))
            await self.repo.flush()
            self.counts.add("school", True, True)
            return school
        school = self.plan.school
        if self.plan.school_in_file:
            changed = self.repo.update(school, self.plan.school_fields)
            self.counts.add("school", False, changed)
        return school

    @staticmethod
    def _class_language(fields: dict[str, Any], existing: Person | None,
                        pupils: list[PupilRec]) -> None:
        """A pupil or parent the row gives no language gets their class's (if it has one),
        unless they already have a language of their own."""
        if fields.get("locale") is not None:
            return
        locale = next((p.school_class.locale for p in pupils
                       if p.school_class is not None and p.school_class.locale), None)
        if locale and (existing is None or existing.locale is None or "locale" in fields):
            fields["locale"] = locale

    def _person(self, person: PersonRec, sid: int) -> None:
        fields: dict[str, Any] = dict(person.fields)
        if "parent" in person.roles:
            self._class_language(fields, person.existing, person.children or [])
        if person.partner is not None:
            fields["partner_id"] = person.partner.existing.id
        created = person.existing is None
        if created:
            person.existing = self.repo.add_person(
                person.roles, school_id=sid, created_at=self.now, **fields)
            changed = True
        else:
            if person.existing.locale is not None:
                fields.pop("locale", None)  # their own choice in the chat wins
            changed = self.repo.update(person.existing, fields)
            changed |= self.repo.add_roles(person.existing, person.roles)
        for kind in person.seen:
            self.counts.add(kind, created, changed)

    def _touched(self, person: PersonRec, kind: str) -> None:
        """A row counted as unchanged turned out to change (links written later)."""
        if self.counts.unchanged.get(kind) and person.existing is not None \
                and kind in person.seen:
            self.counts.unchanged[kind] -= 1
            if not self.counts.unchanged[kind]:
                del self.counts.unchanged[kind]
            self.counts.updated[kind] = self.counts.updated.get(kind, 0) + 1

    def _trial(self, rec: TrialRec, sid: int) -> None:
        fields: dict[str, Any] = dict(rec.fields)
        if rec.site is not None:
            fields["site_id"] = rec.site.existing.id
        if rec.school_class is not None:
            fields["class_id"] = rec.school_class.existing.id
        for column, person in rec.people.items():
            fields[f"{column}_id"] = person.existing.id
        if rec.existing is None:
            default = self.default_coordinator
            if isinstance(default, PersonRec):
                default = default.existing
            fields.setdefault("coordinator_id", default.id if default is not None else None)
            if "escort_id" not in fields and rec.school_class is not None:
                fields["escort_id"] = self._class_teacher(rec)
            rec.existing = self.repo.add(Trial(
                school_id=sid, created_at=self.now, updated_at=self.now, **fields))
            return
        trial: Trial = rec.existing
        before = {f: getattr(trial, f) for f in CONSENT_FIELDS}
        old_time = (trial.starts_at, trial.ends_at)
        if self.repo.update(trial, fields):
            if (trial.starts_at, trial.ends_at) != old_time:
                self.moved.append((trial, *old_time))
            self.changed_trials.add(id(rec))
            self.repo.update(trial, {"updated_at": self.now})  # one clock: the import's
            if any(getattr(trial, f) != before[f] for f in CONSENT_FIELDS):
                self.repo.update(trial, {"text_version": trial.text_version + 1})

    def _roster(self, rec: TrialRec, created: bool) -> None:
        """Add the listed pupils to the trial — only while it is new or has not started: a
        past trial's participants are history."""
        trial = rec.existing
        changed = created or id(rec) in self.changed_trials
        if rec.pupils is not None and (created or trial.starts_at > self.now):
            for pupil in rec.pupils:
                if (trial.id, pupil.existing.id) not in self.plan.participants:
                    self.repo.add(Participant(trial_id=trial.id, pupil_id=pupil.existing.id,
                                              added_at=self.now))
                    self.plan.participants.add((trial.id, pupil.existing.id))
                    changed = True
        self.counts.add("trials", created, changed)

    def _class_teacher(self, rec: TrialRec) -> int | None:
        assert rec.school_class is not None
        if rec.school_class.teacher is not None:
            return int(rec.school_class.teacher.existing.id)
        return self.plan.class_teachers.get(rec.school_class.existing.id)

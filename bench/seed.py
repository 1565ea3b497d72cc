"""Data for the benchmark, written with bulk inserts (the handlers are measured, not this).

``region``: schools of 100 pupils (four classes of 25), each pupil with a parent, everyone
joined on Telegram; each class had two trials earlier in the school year (with consents,
completed after-questionnaires, summaries sent, portfolio entries and the messages sent),
and ``active`` schools have trials around ``now`` (yesterday, today, tomorrow, in three days)
with half the consents given. ``users``: pupils half-way through their after-questionnaires,
for the closed-loop throughput run. ``outbox``: messages queued to distinct chats.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import SessionFactory
from storage.models import (
    AuditLog,
    ClassTeacher,
    Consent,
    FlowRun,
    Guardian,
    Identity,
    Outbox,
    Participant,
    Partner,
    Person,
    PersonRole,
    PortfolioEntry,
    School,
    SchoolClass,
    Site,
    Summary,
    Trial,
)
from storage.repos.privacy import REDACTED

CLASSES, CLASS_SIZE = 4, 25
PUPILS_PER_SCHOOL = CLASSES * CLASS_SIZE
CHUNK = 5_000


def _chunks(rows: Sequence[dict[str, Any]], size: int = CHUNK) -> Iterator[Sequence[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


async def _insert(session: AsyncSession, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    for part in _chunks(rows):
        await session.execute(insert(model), list(part))


class Ids:
    """Hands out primary keys, so that rows can point at each other before they are written."""

    def __init__(self, start: dict[str, int]) -> None:
        self.next = dict(start)

    def take(self, table: str, n: int = 1) -> int:
        first = self.next[table]
        self.next[table] = first + n
        return first


async def _ids(session: AsyncSession, models: Iterable[Any]) -> Ids:
    start = {}
    for model in models:
        top = await session.scalar(select(func.coalesce(func.max(model.id), 0)))
        start[model.__tablename__] = int(top or 0) + 1
    return Ids(start)


@dataclass
class Rows:
    """Rows to insert, table by table, in an order their foreign keys allow."""

    tables: dict[Any, list[dict[str, Any]]]

    def add(self, model: Any, **row: Any) -> None:
        self.tables.setdefault(model, []).append(row)

    @property
    def count(self) -> int:
        return sum(len(r) for r in self.tables.values())


ORDER = (School, SchoolClass, Partner, Site, Person, PersonRole, ClassTeacher, Guardian,
         Identity, Trial, Participant, Consent, FlowRun, Summary, PortfolioEntry, Outbox)


async def _write(sessions: SessionFactory, rows: Rows) -> None:
    async with sessions() as session, session.begin():
        for model in ORDER:
            if rows.tables.get(model):
                await _insert(session, model, rows.tables[model])
        if session.bind.dialect.name == "postgresql":
            # Rows written with their ids leave PostgreSQL's sequences behind: move them on,
            # or the service's own inserts would collide with these rows.
            for model in ORDER:
                if rows.tables.get(model) and "id" in model.__table__.c:
                    table = model.__tablename__
                    await session.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"))


async def region(sessions: SessionFactory, schools: int, active: int, now: datetime,
                 batch: int = 50) -> int:
    """``schools`` schools (``active`` of them with trials around ``now``); rows written."""
    written = 0
    # The daily purge (handlers/retention.py) last ran 23 hours ago, as it does every day in
    # a running region: the two measured minutes are ordinary minutes, not its first run
    # over a backlog of a year's messages.
    async with sessions() as session, session.begin():
        session.add(AuditLog(action="retention.purge", subject="retention",
                             at=now - timedelta(hours=23), detail={}))
    for first in range(0, schools, batch):
        async with sessions() as session:
            ids = await _ids(session, (School, SchoolClass, Partner, Site, Person, Identity,
                                       Trial, Participant, Consent, FlowRun, Summary,
                                       PortfolioEntry, Outbox))
        rows = Rows({})
        for n in range(first, min(first + batch, schools)):
            _school(rows, ids, n, now, active=n < active)
        await _write(sessions, rows)
        written += rows.count
    async with sessions() as session, session.begin():
        if session.bind.dialect.name == "postgresql":
            # What autovacuum does on a server that has been running: without statistics
            # right after a bulk load, the planner picks nested loops over millions of rows.
            await session.execute(text("ANALYZE"))
    return written


def _school(rows: Rows, ids: Ids, n: int, now: datetime, active: bool) -> None:
    year = now - timedelta(days=80)
    school = ids.take("school")
    rows.add(School, id=school, name=f"School {n}", timezone="Asia/Almaty",
             working_days="12345", default_locale="kk",
             summary_needs_approval=False, rural=n % 3 == 0, district=f"District {n % 17}",
             created_at=year)
    partner, site = ids.take("partner"), ids.take("site")
    rows.add(Partner, id=partner, school_id=school, name=f"Partner {n}", sector="Energy")
    rows.add(Site, id=site, partner_id=partner, name="Workshop", address="Main street 1",
             photo_policy="portfolio")

    def person(name: str, role: str, locale: str = "kk", **extra: Any) -> int:
        pid = ids.take("person")
        rows.add(Person, id=pid, school_id=school, full_name=name, locale=locale,
                 special_needs=False, created_at=year, **extra)
        rows.add(PersonRole, person_id=pid, role=role)
        rows.add(Identity, id=ids.take("identity"), person_id=pid, channel="telegram",
                 address=str(10_000_000 + pid), created_at=year, last_inbound_at=year)
        return pid

    coordinator = person(f"Coordinator {n}", "coordinator")
    teacher = person(f"Teacher {n}", "teacher")
    mentor = person(f"Mentor {n}", "mentor", partner_id=partner)
    for c in range(CLASSES):
        class_id = ids.take("school_class")
        rows.add(SchoolClass, id=class_id, school_id=school, name=f"{8 + c % 3}{'ABCD'[c]}",
                 grade=8 + c % 3)
        if c == 0:
            rows.add(ClassTeacher, class_id=class_id, teacher_id=teacher)
        pupils = []
        for k in range(CLASS_SIZE):
            pupil = person(f"Pupil {n}.{c}.{k}", "pupil", class_id=class_id)
            parent = person(f"Parent {n}.{c}.{k}", "parent", locale="ru")
            rows.add(Guardian, parent_id=parent, pupil_id=pupil)
            pupils.append((pupil, parent))
        # Two trials earlier in the year (80 to 27 days ago), all done with.
        for t in range(2):
            starts = year + timedelta(days=3 + 10 * c + 20 * t, hours=5)
            _trial(rows, ids, school, class_id, site, coordinator, mentor, teacher, pupils,
                   starts, now, past=True)
        if active:
            offset = (timedelta(days=-1), timedelta(hours=2), timedelta(days=1),
                      timedelta(days=3))[c]
            _trial(rows, ids, school, class_id, site, coordinator, mentor, teacher, pupils,
                   now + offset, now, past=False)


def _trial(rows: Rows, ids: Ids, school: int, class_id: int, site: int, coordinator: int,
           mentor: int, teacher: int, pupils: list[tuple[int, int]], starts: datetime,
           now: datetime, past: bool) -> int:
    trial = ids.take("trial")
    ends = starts + timedelta(hours=2)
    added = min(starts - timedelta(days=7), now - timedelta(days=5))
    rows.add(Trial, id=trial, school_id=school, title="Electrician", class_id=class_id,
             starts_at=starts, ends_at=ends, site_id=site, coordinator_id=coordinator,
             mentor_id=mentor, escort_id=teacher, pupil_goal="See the work", mini_task=["Wire"],
             subjects=["Physics"], format="in_person", sen_open=True,
             status="held" if past else "planned",
             mentor_status="confirmed", card_submitted_at=ends if past else None,
             text_version=1, schedule_version=1, created_at=added, updated_at=added,
             profession="Electrician", sector="Energy")
    for i, (pupil, parent) in enumerate(pupils):
        rows.add(Participant, id=ids.take("participant"), trial_id=trial, pupil_id=pupil,
                 added_at=added, attendance="present" if past else None)
        if past or i % 2 == 0:
            rows.add(Consent, id=ids.take("consent"), trial_id=trial, pupil_id=pupil,
                     parent_id=parent, action="given", participation="agree",
                     photo_tier="portfolio", safety_read=True, text_version=1,
                     channel="telegram", created_at=added + timedelta(hours=3))
        if not past:
            continue
        rows.add(FlowRun, id=ids.take("flow_run"), person_id=pupil, flow_id="pupil.after",
                 trial_id=trial, status="completed", step_id=None, history=[], version=15,
                 started_at=ends, updated_at=ends, completed_at=ends)
        rows.add(Summary, id=ids.take("summary"), trial_id=trial, pupil_id=pupil, status="sent",
                 created_at=ends + timedelta(days=1), sent_at=ends + timedelta(days=1))
        rows.add(PortfolioEntry, id=ids.take("portfolio_entry"), pupil_id=pupil,
                 trial_id=trial, created_at=ends, details={})
        for purpose, person_id, at in (("consent.request", parent, added),
                                       ("pupil.after", pupil, ends),
                                       ("summary", parent, ends + timedelta(days=1))):
            oid = ids.take("outbox")
            # What the daily purge has already done to it: a message handled more than
            # MESSAGE_TEXT_DAYS (30) ago keeps its purpose, status and dates only.
            redacted = at < now - timedelta(days=30)
            rows.add(Outbox, id=oid, person_id=person_id, channel="telegram",
                     address="" if redacted else str(10_000_000 + person_id),
                     purpose=purpose, dedup_key=f"bench:{oid}", trial_id=trial,
                     payload=REDACTED if redacted else
                     {"text": "…", "buttons": [], "attachments": []}, status="sent",
                     attempts=1, not_before=at, created_at=at, sent_at=at)
    return trial


@dataclass
class Users:
    chats: list[int]
    runs: int


USER_CHAT = 20_000_000


async def users(sessions: SessionFactory, count: int, runs: int, now: datetime) -> Users:
    """``count`` pupils, each with ``runs`` after-questionnaires open at the first question
    (one per trial, their parent's consent given), talking English on Telegram."""
    async with sessions() as session:
        ids = await _ids(session, (School, SchoolClass, Partner, Site, Person, Identity, Trial,
                                   Participant, Consent, FlowRun))
    rows = Rows({})
    school = ids.take("school")
    rows.add(School, id=school, name="Bench school", timezone="Asia/Almaty",
             created_at=now - timedelta(days=60))
    partner, site = ids.take("partner"), ids.take("site")
    rows.add(Partner, id=partner, school_id=school, name="Bench partner")
    rows.add(Site, id=site, partner_id=partner, name="Workshop", address="Main street 1",
             photo_policy="publication")
    chats = []
    for first in range(0, count, CLASS_SIZE):
        class_id = ids.take("school_class")
        rows.add(SchoolClass, id=class_id, school_id=school, name=f"C{first}", grade=9)
        pupils = []
        for k in range(first, min(first + CLASS_SIZE, count)):
            pupil, parent = ids.take("person"), ids.take("person")
            for pid, role in ((pupil, "pupil"), (parent, "parent")):
                rows.add(Person, id=pid, school_id=school, full_name=f"{role} {k}", locale="en",
                         class_id=class_id if role == "pupil" else None, special_needs=False,
                         created_at=now - timedelta(days=30))
                rows.add(PersonRole, person_id=pid, role=role)
            rows.add(Guardian, parent_id=parent, pupil_id=pupil)
            chat = USER_CHAT + k
            rows.add(Identity, id=ids.take("identity"), person_id=pupil, channel="telegram",
                     address=str(chat), created_at=now - timedelta(days=30),
                     last_inbound_at=now - timedelta(days=1))
            chats.append(chat)
            pupils.append((pupil, parent))
        for r in range(runs):
            # Ended 2 days 14 hours ago: the after-questionnaire is open, the trace reminders
            # are past their catch-up time, the summary is not due before T + 3 days.
            starts = now - timedelta(days=2, hours=16 + r)
            trial = ids.take("trial")
            rows.add(Trial, id=trial, school_id=school, title=f"Trial {r}", class_id=class_id,
                     starts_at=starts, ends_at=starts + timedelta(hours=2), site_id=site,
                     mini_task=["Wire"], subjects=[], status="held", mentor_status="confirmed",
                     text_version=1, schedule_version=1, created_at=starts - timedelta(days=9),
                     updated_at=starts - timedelta(days=9))
            for pupil, parent in pupils:
                rows.add(Participant, id=ids.take("participant"), trial_id=trial,
                         pupil_id=pupil, added_at=starts - timedelta(days=9),
                         attendance="present")
                rows.add(Consent, id=ids.take("consent"), trial_id=trial, pupil_id=pupil,
                         parent_id=parent, action="given", participation="agree",
                         photo_tier="publication", safety_read=True, text_version=1,
                         channel="telegram", created_at=starts - timedelta(days=8))
                rows.add(FlowRun, id=ids.take("flow_run"), person_id=pupil,
                         flow_id="pupil.after", trial_id=trial, status="active", step_id="did",
                         history=[], version=0, started_at=starts,
                         updated_at=starts + timedelta(hours=2))
    await _write(sessions, rows)
    return Users(chats, runs)


OUTBOX_CHAT = 30_000_000


async def outbox(sessions: SessionFactory, count: int, now: datetime, first: int = 0) -> None:
    """``count`` timed messages due now, each to a chat of its own (chats and keys from
    ``first`` on, so that several batches can be queued)."""
    rows = Rows({})
    for i in range(first, first + count):
        rows.add(Outbox, person_id=None, channel="telegram", address=str(OUTBOX_CHAT + i),
                 purpose="bench.notice", dedup_key=f"bench.notice:{i}",
                 payload={"text": f"Reminder {i}", "buttons": [], "attachments": []},
                 status="queued", attempts=0, not_before=now - timedelta(seconds=1),
                 created_at=now - timedelta(seconds=1))
    await _write(sessions, rows)
    async with sessions() as session, session.begin():
        if session.bind.dialect.name == "postgresql":
            # What autovacuum does within a minute of a large insert (see region()).
            await session.execute(text("ANALYZE outbox"))

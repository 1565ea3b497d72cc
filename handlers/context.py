"""Everything a handler needs, handed in: one session per event, one clock, the repositories."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.events import Button, Outbound

if TYPE_CHECKING:  # the wiring's types name Context; at run time it is handed in by bot/
    from handlers.feature import Wiring
from locales import Safe, Translator, translator
from storage.models import Identity, Person, School
from storage.reads.digest import DigestRepo
from storage.reads.due_work import DueWork
from storage.reads.journal import Journal
from storage.reads.outbox_report import OutboxReport
from storage.repos.access import AccessRepo
from storage.repos.attendance import AttendanceBook
from storage.repos.audit import Audit
from storage.repos.consents import Consents
from storage.repos.flows import FlowRuns
from storage.repos.invites import Invites
from storage.repos.media import MediaRepo
from storage.repos.messaging import OutboxRepo
from storage.repos.overlaps import Overlaps
from storage.repos.people import People
from storage.repos.portfolio import Portfolio
from storage.repos.privacy import PrivacyRepo
from storage.repos.rubric import Rubrics
from storage.repos.schools import Schools
from storage.repos.summaries import Summaries
from storage.repos.trial_setup import TrialSetup
from storage.repos.trials import Trials


@dataclass(frozen=True)
class Config:
    """What handlers need to know about this deployment (built from the settings by bot/)."""

    timezone: str = "Asia/Almaty"
    default_locale: str = "kk"
    media_dir: Path = Path("data/media")
    invite_ttl: timedelta = timedelta(days=30)
    telegram_username: str | None = None  # for t.me deep links
    whatsapp_from: str | None = None  # "whatsapp:+7…" for wa.me links
    max_upload_bytes: int = 20 * 1024 * 1024
    quiet_hours: str = "21:00-08:00"
    # Timed work (handlers/reminders.py, digest.py, quarterly.py): overrides of the timeline's
    # offsets and repeats, how late a missed reminder may still go out, the digest's local
    # time, and the month-day each quarter starts on.
    reminders: str = ""
    reminder_catch_up: timedelta = timedelta(hours=12)
    digest_at: str = "08:00"
    quarter_starts: str = "01-01,04-01,07-01,10-01"
    # Privacy (handlers/deletion.py, retention.py): how many days a deletion request may
    # take, how long media and free text are kept, how long message texts are kept.
    deletion_days: int = 30
    retention: str = "school-year+2"
    message_text_days: int = 30


@dataclass
class Context:
    session: AsyncSession
    now: datetime
    # The features joined (handlers/features.py): what a button, command or flow leads to.
    wiring: Wiring
    config: Config = field(default_factory=Config)
    # The person the event came from, once known, and the identity they used.
    person: Person | None = None
    identity: Identity | None = None
    # Set by handlers for the service: the inbound was a callback that changed nothing.
    extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def people(self) -> People:
        return People(self.session)

    @cached_property
    def invites(self) -> Invites:
        return Invites(self.session)

    @cached_property
    def schools(self) -> Schools:
        return Schools(self.session)

    @cached_property
    def trials(self) -> Trials:
        return Trials(self.session)

    @cached_property
    def runs(self) -> FlowRuns:
        return FlowRuns(self.session)

    @cached_property
    def outbox(self) -> OutboxRepo:
        return OutboxRepo(self.session)

    # Every repository is reached the same way: ``ctx.<name>``, one per event's session.

    @cached_property
    def trial_setup(self) -> TrialSetup:
        return TrialSetup(self.session)

    @cached_property
    def audit(self) -> Audit:
        return Audit(self.session)

    @cached_property
    def consents(self) -> Consents:
        return Consents(self.session)

    @cached_property
    def summaries(self) -> Summaries:
        return Summaries(self.session)

    @cached_property
    def privacy(self) -> PrivacyRepo:
        return PrivacyRepo(self.session)

    @cached_property
    def journal(self) -> Journal:
        return Journal(self.session)

    @cached_property
    def digest(self) -> DigestRepo:
        return DigestRepo(self.session)

    @cached_property
    def portfolio(self) -> Portfolio:
        return Portfolio(self.session)

    @cached_property
    def due_work(self) -> DueWork:
        return DueWork(self.session)

    @cached_property
    def rubrics(self) -> Rubrics:
        return Rubrics(self.session)

    @cached_property
    def outbox_report(self) -> OutboxReport:
        return OutboxReport(self.session)

    @cached_property
    def attendance(self) -> AttendanceBook:
        return AttendanceBook(self.session)

    @cached_property
    def media(self) -> MediaRepo:
        return MediaRepo(self.session)

    @cached_property
    def overlaps(self) -> Overlaps:
        return Overlaps(self.session)

    @cached_property
    def access_facts(self) -> AccessRepo:
        return AccessRepo(self.session)

    # --- words ---------------------------------------------------------------------------

    def tr_for(self, person: Person | None, hint: str | None = None) -> Translator:
        return translator((person.locale if person else None) or hint or self.config.default_locale)

    @property
    def tr(self) -> Translator:
        return self.tr_for(self.person)

    def say(self, msgid: str, buttons: list[list[Button]] | None = None, **params: Any) -> Outbound:
        """A reply to the current person in their language."""
        return Outbound(
            text=self.tr(msgid, **params), person_id=self.person.id if self.person else None,
            buttons=buttons or [],
        )

    def text_for(self, person: Person, msgid: str, **params: Any) -> Safe:
        return self.tr_for(person)(msgid, **params)

    async def school_of(self, person: Person | None) -> School | None:
        if person is None or person.school_id is None:
            return None
        return await self.schools.get(person.school_id)

    async def timezone_of(self, school_id: int | None) -> str:
        school = await self.schools.get(school_id) if school_id else None
        return school.timezone if school else self.config.timezone

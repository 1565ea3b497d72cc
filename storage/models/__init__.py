"""Every table of Synaq. Import from here: ``from storage.models import Person, Trial``."""

from .base import Base, UTCDateTime, utcnow
from .enums import (
    Attendance,
    Channel,
    MediaKind,
    MentorStatus,
    OutboxStatus,
    Participation,
    PhotoTier,
    Role,
    RunStatus,
    SummaryStatus,
    TrialStatus,
    most_restrictive,
)
from .flows import Answer, FlowRun, Media
from .messaging import AuditLog, Outbox, OutboxProcess, ProcessedInbound, SendBudget
from .people import CodeAttempt, Guardian, Identity, Invite, Person, PersonRole
from .privacy import DeletionRequest
from .school import ClassTeacher, Partner, School, SchoolClass, Site
from .trials import Consent, Participant, PortfolioEntry, Summary, Trial
from .whatsapp import WhatsAppChat, WhatsAppContent, WhatsAppMessage

__all__ = [
    "Answer", "Attendance", "AuditLog", "Base", "Channel", "ClassTeacher", "CodeAttempt", "Consent",
    "DeletionRequest", "FlowRun",
    "Guardian", "Identity", "Invite", "Media", "MediaKind", "MentorStatus", "Outbox",
    "OutboxProcess", "OutboxStatus", "Participant", "Participation", "Partner", "Person", "PersonRole",
    "PhotoTier", "PortfolioEntry", "ProcessedInbound", "Role", "RunStatus",
    "SummaryStatus", "School",
    "SchoolClass", "SendBudget", "Site", "Summary", "Trial", "TrialStatus", "UTCDateTime", "most_restrictive",
    "utcnow", "WhatsAppChat", "WhatsAppContent", "WhatsAppMessage",
]

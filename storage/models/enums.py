"""The closed vocabularies of the domain, stored as short strings."""

from enum import StrEnum


class Role(StrEnum):
    PUPIL = "pupil"
    PARENT = "parent"
    MENTOR = "mentor"
    COORDINATOR = "coordinator"
    TEACHER = "teacher"  # class teacher / escort (сынып жетекшісі)
    REGIONAL = "regional"  # district or regional career centre


class Channel(StrEnum):
    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"
    CONSOLE = "console"


class PhotoTier(StrEnum):
    """Photo/video permission, most open first (forms.md, card А field 19 and the consent)."""

    PUBLICATION = "publication"
    PORTFOLIO = "portfolio"
    PROHIBITED = "prohibited"


TIER_ORDER = [PhotoTier.PUBLICATION, PhotoTier.PORTFOLIO, PhotoTier.PROHIBITED]


def most_restrictive(*tiers: PhotoTier | str | None) -> PhotoTier:
    """The effective tier: the most restrictive of those given; no answer counts as prohibited."""
    ranks = [TIER_ORDER.index(PhotoTier(t)) if t else len(TIER_ORDER) - 1 for t in tiers]
    return TIER_ORDER[max(ranks, default=len(TIER_ORDER) - 1)]


class Participation(StrEnum):
    AGREE = "agree"
    DECLINE = "decline"


class SummaryStatus(StrEnum):
    """The parents' summary of a pupil's trial: written, approved by the class teacher, sent."""

    DRAFT = "draft"
    APPROVED = "approved"
    SENT = "sent"


class Attendance(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"


class TrialStatus(StrEnum):
    PLANNED = "planned"
    CANCELLED = "cancelled"
    HELD = "held"


class MentorStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DECLINED = "declined"


class RunStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"  # a timed message withdrawn before sending: the answer came first


class MediaKind(StrEnum):
    PHOTO = "photo"
    DOCUMENT = "document"
    VOICE = "voice"
    VIDEO = "video"

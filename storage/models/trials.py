"""Trials (the technology card, form А), who takes part, consents, summaries, portfolio."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow
from .enums import SummaryStatus


class Trial(Base):
    """One professional trial: the fields of the technology card (forms.md, А 1–23)."""

    __tablename__ = "trial"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))  # 1
    class_id: Mapped[int | None] = mapped_column(  # 2 (participants are listed separately)
        ForeignKey("school_class.id", ondelete="SET NULL")
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # 3
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="SET NULL"))  # 4, 5
    coordinator_id: Mapped[int | None] = mapped_column(  # 6, school side
        ForeignKey("person.id", ondelete="SET NULL")
    )
    mentor_id: Mapped[int | None] = mapped_column(  # 6, partner side
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    escort_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    pupil_goal: Mapped[str | None] = mapped_column(Text)  # 7
    school_goal: Mapped[str | None] = mapped_column(Text)  # 8
    labour_function: Mapped[str | None] = mapped_column(Text)  # 9
    mini_task: Mapped[list[str]] = mapped_column(JSON, default=list)  # 10: up to 3 steps
    subjects: Mapped[list[str]] = mapped_column(JSON, default=list)  # 11
    equipment: Mapped[str | None] = mapped_column(Text)  # 12
    ppe: Mapped[str | None] = mapped_column(Text)  # 13: goes into the logistics reminder
    risks: Mapped[str | None] = mapped_column(Text)  # 14: goes into the parent briefing
    timing: Mapped[str | None] = mapped_column(Text)  # 15
    expected_artefact: Mapped[str | None] = mapped_column(Text)  # 17
    safety_briefing: Mapped[str | None] = mapped_column(Text)  # 18
    photo_policy: Mapped[str | None] = mapped_column(String(16))  # 19; None: the site's
    special_conditions: Mapped[str | None] = mapped_column(Text)  # 20 (trial-wide)
    evacuation: Mapped[str | None] = mapped_column(Text)  # 21; None: the site's
    conclusions: Mapped[str | None] = mapped_column(Text)  # 22, filled after
    # The journal's "short final evaluation from the teacher's point of view" (l. 7588–7642).
    teacher_evaluation: Mapped[str | None] = mapped_column(Text)
    # Annex 2 and section 3 attributes
    profession: Mapped[str | None] = mapped_column(String(200))
    sector: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str | None] = mapped_column(String(16))  # traditional / new / promising
    grade_band: Mapped[str | None] = mapped_column(String(8))  # 5-7 / 8-9 / 10-11
    length_kind: Mapped[str | None] = mapped_column(String(16))  # mini / intro / deep
    purpose: Mapped[str | None] = mapped_column(String(16))  # intro / differentiate / refine
    format: Mapped[str] = mapped_column(String(16), default="in_person")  # online / hybrid
    sen_open: Mapped[bool] = mapped_column(Boolean, default=True)
    # Logistics (the evening-before message)
    gather_place: Mapped[str | None] = mapped_column(String(300))
    gather_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bring: Mapped[str | None] = mapped_column(Text)
    # Life cycle
    status: Mapped[str] = mapped_column(String(16), default="planned")
    mentor_status: Mapped[str] = mapped_column(String(16), default="pending")
    mentor_reason: Mapped[str | None] = mapped_column(Text)
    mentor_responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    card_submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped whenever what a parent consents to changes (the consent ledger cites it).
    text_version: Mapped[int] = mapped_column(Integer, default=1)
    # Bumped when the trial is moved: the timeline's reminders are keyed by it, so those of
    # the new time are not blocked by the ones already sent for the old time; occurrences of
    # the new schedule that fall before ``rescheduled_at`` are not caught up.
    schedule_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    rescheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Participant(Base):
    __tablename__ = "participant"
    __table_args__ = (UniqueConstraint("trial_id", "pupil_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trial.id", ondelete="CASCADE"), index=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    attendance: Mapped[str | None] = mapped_column(String(8))  # present / absent
    attendance_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    # Annex 5 quick card of the escorting teacher: "+" / "-"
    activity_mark: Mapped[str | None] = mapped_column(String(1))
    completed_mark: Mapped[str | None] = mapped_column(String(1))


class Consent(Base):
    """Append-only ledger of a parent's decisions for one pupil and one trial.

    The current state is the most recent row for (trial, pupil); nothing is ever updated.
    """

    __tablename__ = "consent"
    # The newest decision of one pupil on one trial, read on every reflection answer.
    __table_args__ = (Index("ix_consent_trial_pupil_created", "trial_id", "pupil_id",
                            "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trial.id", ondelete="CASCADE"), index=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(16))  # given / changed / withdrawn
    participation: Mapped[str] = mapped_column(String(8))  # agree / decline
    photo_tier: Mapped[str | None] = mapped_column(String(16))
    medical_note: Mapped[str | None] = mapped_column(Text)
    safety_read: Mapped[bool] = mapped_column(Boolean, default=False)
    text_version: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Summary(Base):
    """The one-page summary for a pupil's parents (form Г)."""

    __tablename__ = "summary"
    __table_args__ = (UniqueConstraint("trial_id", "pupil_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trial.id", ondelete="CASCADE"), index=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=SummaryStatus.DRAFT)
    # The personal line "what my child did", as generated or as edited by the teacher.
    personal_line: Mapped[str | None] = mapped_column(Text)
    edited_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    family_choice: Mapped[str | None] = mapped_column(String(32))  # next step picked by family


class PortfolioEntry(Base):
    """One completed trial in a pupil's portfolio; the content is read from the answers."""

    __tablename__ = "portfolio_entry"
    __table_args__ = (UniqueConstraint("pupil_id", "trial_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trial.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

"""Schools and the world they work with: classes, partner organisations and their sites."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class School(Base):
    __tablename__ = "school"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Almaty")
    # The school's own quiet hours for pupils and parents, local "HH:MM-HH:MM" (nothing is
    # sent in between); None: the deployment's QUIET_HOURS.
    quiet_hours: Mapped[str | None] = mapped_column(String(11))
    # ISO weekdays the school works, e.g. "12345" (Mon–Fri) or "123456".
    working_days: Mapped[str] = mapped_column(String(7), default="12345")
    default_locale: Mapped[str] = mapped_column(String(5), default="kk")
    # Where the school requires it, the class teacher approves a parent summary before it goes out.
    summary_needs_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    district: Mapped[str | None] = mapped_column(String(200))
    rural: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SchoolClass(Base):
    __tablename__ = "school_class"
    __table_args__ = (UniqueConstraint("school_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(20))  # e.g. "8А"
    grade: Mapped[int] = mapped_column(Integer)
    # The class's language when it is not the school's; its pupils and parents without one
    # of their own get it (set by the import).
    locale: Mapped[str | None] = mapped_column(String(5))


class ClassTeacher(Base):
    """The class teacher (сынып жетекшісі) of a class. A table of its own because
    ``person.class_id`` already points the other way, and a cycle of foreign keys cannot be
    created in one pass."""

    __tablename__ = "class_teacher"

    class_id: Mapped[int] = mapped_column(
        ForeignKey("school_class.id", ondelete="CASCADE"), primary_key=True
    )
    teacher_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)


class Partner(Base):
    """An employer that hosts trials (Annex 3 agreement)."""

    __tablename__ = "partner"
    __table_args__ = (UniqueConstraint("school_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    bin: Mapped[str | None] = mapped_column(String(12))  # business identification number
    address: Mapped[str | None] = mapped_column(String(300))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    sector: Mapped[str | None] = mapped_column(String(100))
    agreement_start: Mapped[date | None] = mapped_column(Date)
    agreement_end: Mapped[date | None] = mapped_column(Date)


class Site(Base):
    """A place at a partner where trials happen (card А field 5, 19, 21)."""

    __tablename__ = "site"
    __table_args__ = (UniqueConstraint("partner_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))
    place: Mapped[str | None] = mapped_column(String(200))  # workshop / room
    photo_policy: Mapped[str] = mapped_column(String(16), default="portfolio")
    rules: Mapped[str | None] = mapped_column(Text)  # phones allowed?, shoe covers, ID…
    evacuation: Mapped[str | None] = mapped_column(Text)

"""Requests to delete a person's data (the right the personal-data law No. 94-V gives the
subject or their legal representative)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class DeletionRequest(Base):
    """One request: who asked, for whom, and where it stands.

    ``pending`` until the school coordinator confirms (or declines) it in the chat;
    ``confirmed`` ones are carried out by the ``deletion`` due job, as are pending ones
    whose ``due_at`` (the promised time, ``DELETION_DAYS``) has passed; then ``done``. The
    row outlives the erasure with ids only (both people are anonymised by then), so the
    school can show that the request was met and when.
    """

    __tablename__ = "deletion_request"
    __table_args__ = (Index("ix_deletion_request_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"),
                                            index=True)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("person.id",
                                                                ondelete="SET NULL"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"))
    channel: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the erasure removed, as counts (no content): rows, files, answers redacted.
    outcome: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

"""Where each person is in each conversation, every answer, and the media they sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class FlowRun(Base):
    """One person going through one flow, optionally about one trial and one pupil.

    ``step_id`` is the question waiting for an answer; ``history`` the steps answered on the
    way, for "back". ``version`` increases with every change so that two deliveries racing
    for the same step cannot both win.
    """

    __tablename__ = "flow_run"
    __table_args__ = (Index("ix_flow_run_person_status", "person_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    flow_id: Mapped[str] = mapped_column(String(40))
    trial_id: Mapped[int | None] = mapped_column(
        ForeignKey("trial.id", ondelete="CASCADE"), index=True
    )
    pupil_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="active")
    step_id: Mapped[str | None] = mapped_column(String(40))
    history: Mapped[list[str]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Answer(Base):
    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("run_id", "step_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("flow_run.id", ondelete="CASCADE"))
    step_id: Mapped[str] = mapped_column(String(40))
    # {"choice": "yes"} / {"text": "…"} / {"media": [ids]} / {"skipped": true}
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Media(Base):
    """A file a person sent (artefact photo, scan, voice note). The bytes live in MEDIA_DIR
    under a generated name; the name the sender gave is never used as a path."""

    __tablename__ = "media"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    pupil_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    trial_id: Mapped[int | None] = mapped_column(ForeignKey("trial.id", ondelete="SET NULL"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("flow_run.id", ondelete="SET NULL"))
    step_id: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    tier: Mapped[str | None] = mapped_column(String(16))  # effective tier when stored
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""Inbound de-duplication, the outbox of messages to send, and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class ProcessedInbound(Base):
    """An inbound message already handled (Telegram update_id, Twilio MessageSid)."""

    __tablename__ = "processed_inbound"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Outbox(Base):
    """A message to send. Written in the same transaction as what caused it; sent later.

    ``dedup_key`` (recipient × purpose × occurrence) is unique, so a reminder computed twice
    is stored once. Rows with no person (a reply to someone not invited) are deleted once sent.

    Sending order (``storage.repos.messaging.OutboxRepo.claim``): ``priority`` first (0 a
    reply to someone who just wrote, 1 a time-sensitive notice, 2 routine timed bulk), then
    ``fair_seq``, a virtual start time given per ``lane`` (the recipient's school) when the
    row is queued, so that schools take turns instead of one school's batch going first.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_not_before", "status", "not_before"),
        # A chat's unfinished messages, to keep each chat's messages in order.
        Index("ix_outbox_chat_status", "channel", "address", "status"),
        # The claim's order, and the fair-queueing clock (the lowest queued fair_seq).
        Index("ix_outbox_claim_order", "status", "priority", "fair_seq", "id"),
        Index("ix_outbox_lane", "status", "priority", "lane", "fair_seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(40))
    dedup_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    trial_id: Mapped[int | None] = mapped_column(ForeignKey("trial.id", ondelete="SET NULL"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(64), index=True)
    delivery_status: Mapped[str | None] = mapped_column(String(16))  # delivered / read / failed
    priority: Mapped[int] = mapped_column(SmallInteger, default=2, server_default="2")
    lane: Mapped[int | None] = mapped_column(Integer)  # the recipient's school, for fairness
    fair_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    claimed_by: Mapped[str | None] = mapped_column(String(40))  # an OutboxProcess id


class OutboxProcess(Base):
    """A process that sends from the outbox, alive while ``seen_at`` is recent: what a
    process that stopped being seen had claimed is handed back at once (not after minutes)."""

    __tablename__ = "outbox_process"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SendBudget(Base):
    """A channel's sending schedule shared by every process (one bot, one limit): the
    next free moment, in seconds since the epoch. A process takes a few evenly spaced
    moments at a time (GCRA), so together they never go faster than the limit, and what
    an idle process does not take the others do."""

    __tablename__ = "send_budget"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    next_at: Mapped[float] = mapped_column(Float)


class AuditLog(Base):
    """Sensitive reads (medical notes, exports) and administrative actions."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str | None] = mapped_column(String(100))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

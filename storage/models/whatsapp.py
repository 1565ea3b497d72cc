"""What the WhatsApp channel must remember beyond the identity: numbered choices, messages sent
through Twilio (for status callbacks), and the interactive Content resources it created."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class WhatsAppChat(Base):
    """One WhatsApp identity's chat state; the row goes with the identity."""

    __tablename__ = "whatsapp_chat"

    identity_id: Mapped[int] = mapped_column(
        ForeignKey("identity.id", ondelete="CASCADE"), primary_key=True
    )
    # Payloads of the numbered list in the last message sent, in order ("2" → choices[1]);
    # None when the last message had no numbered list. Kept here so a restart loses nothing.
    choices: Mapped[list[str] | None] = mapped_column(JSON)
    choices_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Twilio refused a free-form message (63016): the 24-hour window is closed until the
    # person writes again, whatever our own clock says.
    window_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WhatsAppMessage(Base):
    """A message Twilio accepted for a known person, and what its status callbacks said."""

    __tablename__ = "whatsapp_message"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)  # Twilio's MessageSid
    outbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox.id", ondelete="SET NULL"), index=True
    )
    identity_id: Mapped[int] = mapped_column(
        ForeignKey("identity.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # session / template
    status: Mapped[str] = mapped_column(String(16))  # queued … delivered / read / failed
    error_code: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WhatsAppContent(Base):
    """A generic interactive Content resource (quick reply, list picker) created through
    Twilio's Content API, by shape: its texts are all variables, filled in per message."""

    __tablename__ = "whatsapp_content"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)  # e.g. "synaq_qr3_b1"
    sid: Mapped[str] = mapped_column(String(64))  # HX…
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

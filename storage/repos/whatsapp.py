"""The WhatsApp channel's own state: chats, messages sent through Twilio, Content resources."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Identity,
    Outbox,
    OutboxStatus,
    Person,
    School,
    WhatsAppChat,
    WhatsAppContent,
    WhatsAppMessage,
)

from .sql import insert_ignore

CHANNEL = "whatsapp"
# An outbox row that may only go out once the person writes again: a row refused for want of
# a template is "failed" with an error starting so (the coordinator's digest shows it)…
HELD = "held:"
# …and the message itself after a template notice waits in a status of its own: the notice
# was delivered, so it is nothing to report, and the sender does not claim it.
WAITING = "held"

# Status callbacks can arrive out of order; a later stage never goes back to an earlier one.
_STAGE = {"accepted": 1, "scheduled": 1, "queued": 1, "sending": 2, "sent": 3,
          "failed": 4, "undelivered": 4, "canceled": 4, "delivered": 5, "read": 6}


@dataclass(frozen=True)
class ChatState:
    """Who is behind a WhatsApp address, and what the sender needs to know about them."""

    identity_id: int
    person_id: int
    full_name: str
    locale: str | None  # the person's, else their school's default
    last_inbound_at: datetime | None
    window_closed_at: datetime | None


@dataclass(frozen=True)
class StatusChange:
    """A status callback applied to a message we sent."""

    sid: str
    status: str
    error_code: int | None
    kind: str
    outbox_id: int | None
    identity_id: int
    person_id: int
    address: str


class WhatsAppRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- chats ------------------------------------------------------------------------------

    async def chat(self, address: str) -> ChatState | None:
        row = (await self.session.execute(
            select(Identity, Person, WhatsAppChat.window_closed_at, School.default_locale)
            .join(Person, Person.id == Identity.person_id)
            .outerjoin(WhatsAppChat, WhatsAppChat.identity_id == Identity.id)
            .outerjoin(School, School.id == Person.school_id)
            .where(Identity.channel == CHANNEL, Identity.address == address)
        )).first()
        if row is None:
            return None
        identity, person, closed_at, school_locale = row
        return ChatState(identity.id, person.id, person.full_name, person.locale or school_locale,
                         identity.last_inbound_at, closed_at)

    async def _chat_row(self, identity_id: int) -> None:
        await self.session.execute(
            insert_ignore(self.session, WhatsAppChat).values(identity_id=identity_id))

    async def remember_choices(self, identity_id: int, payloads: Sequence[str] | None,
                               now: datetime) -> None:
        """The numbered list just sent (or None: the last message had none)."""
        await self._chat_row(identity_id)
        await self.session.execute(
            update(WhatsAppChat).where(WhatsAppChat.identity_id == identity_id)
            .values(choices=list(payloads) if payloads else None,
                    choices_at=now if payloads else None))

    async def numbered_choice(self, address: str, number: int) -> str | None:
        """The payload of choice ``number`` (1-based) of the numbered list last sent here."""
        choices = await self.session.scalar(
            select(WhatsAppChat.choices)
            .join(Identity, Identity.id == WhatsAppChat.identity_id)
            .where(Identity.channel == CHANNEL, Identity.address == address))
        if not choices or not 1 <= number <= len(choices):
            return None
        return str(choices[number - 1])

    async def close_window(self, identity_id: int, now: datetime) -> None:
        await self._chat_row(identity_id)
        await self.session.execute(
            update(WhatsAppChat).where(WhatsAppChat.identity_id == identity_id)
            .values(window_closed_at=now))

    # --- messages sent ----------------------------------------------------------------------

    async def record_sent(self, sid: str, *, outbox_id: int | None, identity_id: int, kind: str,
                          status: str, now: datetime) -> None:
        await self.session.execute(
            insert_ignore(self.session, WhatsAppMessage).values(
                sid=sid, outbox_id=outbox_id, identity_id=identity_id, kind=kind,
                status=status, created_at=now, updated_at=now))

    async def record_status(self, sid: str, status: str, error_code: int | None,
                            now: datetime) -> StatusChange | None:
        """Apply a status callback; None when the message is unknown (sent to someone not
        invited, whose messages we do not track) or the status is not newer than what we have:
        Twilio repeats callbacks, and each message and status is acted on once."""
        row = (await self.session.execute(
            select(WhatsAppMessage, Identity)
            .join(Identity, Identity.id == WhatsAppMessage.identity_id)
            .where(WhatsAppMessage.sid == sid).with_for_update()
        )).first()
        if row is None:
            return None
        message, identity = row
        if _STAGE.get(status, 0) <= _STAGE.get(message.status, 0):
            return None
        message.status = status
        message.error_code = error_code
        message.updated_at = now
        if message.outbox_id is not None:
            error = {"error": f"twilio {error_code}: {status}"} if error_code else {}
            await self.session.execute(
                update(Outbox).where(Outbox.id == message.outbox_id)
                .values(delivery_status=status[:16], **error))
        return StatusChange(sid, status, error_code, message.kind, message.outbox_id,
                            identity.id, identity.person_id, identity.address)

    async def requeue(self, outbox_id: int, now: datetime, reason: str) -> None:
        """Send an outbox row again (Twilio refused it after accepting it)."""
        await self.session.execute(
            update(Outbox).where(Outbox.id == outbox_id)
            .values(status=OutboxStatus.QUEUED, not_before=now, attempts=0,
                    error=reason[:500], delivery_status=None))

    async def notice_since(self, identity_id: int, since: datetime) -> bool:
        """Whether a template notice went to this identity after ``since``."""
        found = await self.session.scalar(
            select(WhatsAppMessage.sid).where(
                WhatsAppMessage.identity_id == identity_id, WhatsAppMessage.kind == "template",
                WhatsAppMessage.created_at > since).limit(1))
        return found is not None

    async def hold_copy(self, row: Outbox, now: datetime, reason: str) -> None:
        """A copy of ``row`` held until the person writes (see :meth:`release_held`)."""
        self.session.add(Outbox(
            person_id=row.person_id, channel=row.channel, address=row.address,
            purpose=row.purpose, payload=row.payload, trial_id=row.trial_id,
            status=WAITING, attempts=0, not_before=now, created_at=now, error=reason[:500]))
        await self.session.flush()

    async def release_held(self, address: str, now: datetime, since: datetime) -> int:
        """The person wrote: their held messages (newer than ``since``) can go out now."""
        result = await self.session.execute(
            update(Outbox)
            .where(Outbox.channel == CHANNEL, Outbox.address == address,
                   or_(Outbox.status == WAITING,
                       and_(Outbox.status == OutboxStatus.FAILED, Outbox.error.startswith(HELD))),
                   Outbox.created_at >= since)
            .values(status=OutboxStatus.QUEUED, not_before=now, attempts=0)
            .execution_options(synchronize_session=False))
        return result.rowcount  # type: ignore[attr-defined,no-any-return]

    # --- Content resources ------------------------------------------------------------------

    async def content_sid(self, name: str) -> str | None:
        return await self.session.scalar(
            select(WhatsAppContent.sid).where(WhatsAppContent.name == name))

    async def save_content(self, name: str, sid: str, now: datetime) -> str:
        """Keep ``sid`` for ``name``; if another process saved one first, that one wins."""
        await self.session.execute(
            insert_ignore(self.session, WhatsAppContent).values(name=name, sid=sid,
                                                                created_at=now))
        return await self.content_sid(name) or sid

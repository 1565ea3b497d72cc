"""The two shapes that cross the channel boundary: what a person sent, what we send back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class IncomingMedia:
    """A file someone sent. ``fetch`` downloads the bytes; it is only called once we have
    decided to keep the file (a prohibited photo is never downloaded)."""

    kind: str  # photo / document / voice / video / other
    mime: str
    size: int | None
    fetch: Callable[[], Awaitable[bytes]]
    file_name: str | None = None


@dataclass(frozen=True)
class Inbound:
    channel: str
    address: str  # who sent it on that channel (Telegram chat id, "whatsapp:+7…")
    received_at: datetime
    external_id: str | None = None  # update_id / MessageSid, for de-duplication
    text: str | None = None
    callback: str | None = None  # button payload
    media: tuple[IncomingMedia, ...] = ()
    # The client's language, a hint for people we do not know yet.
    language_hint: str | None = None
    # Something we cannot read at all (a sticker, a location…).
    unsupported: bool = False


@dataclass(frozen=True)
class Button:
    label: str
    payload: str  # ≤ 64 bytes: ids only, never text


@dataclass(frozen=True)
class Attachment:
    kind: str  # photo / document
    storage_key: str  # a file under MEDIA_DIR
    file_name: str | None = None
    mime: str | None = None


@dataclass
class Outbound:
    """One message. ``text`` is HTML-safe (rendered by :mod:`locales`); adapters turn the
    HTML subset (<b>, <i>) into what their channel shows."""

    text: str
    person_id: int | None = None
    buttons: list[list[Button]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    purpose: str = "reply"
    # Unique per recipient × purpose × occurrence; a second message with the same key is
    # dropped. None for direct replies.
    dedup_key: str | None = None
    trial_id: int | None = None
    not_before: datetime | None = None
    # Replies go back where the message came from; set by the service, not by handlers.
    reply_to: tuple[str, str] | None = None

    def payload(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "buttons": [[[b.label, b.payload] for b in row] for row in self.buttons],
            "attachments": [
                {"kind": a.kind, "key": a.storage_key, "name": a.file_name, "mime": a.mime}
                for a in self.attachments
            ],
        }

    @staticmethod
    def buttons_from(payload: dict[str, Any]) -> list[list[Button]]:
        return [[Button(label, data) for label, data in row] for row in payload.get("buttons", [])]

    @staticmethod
    def attachments_from(payload: dict[str, Any]) -> list[Attachment]:
        return [
            Attachment(a["kind"], a["key"], a.get("name"), a.get("mime"))
            for a in payload.get("attachments", [])
        ]

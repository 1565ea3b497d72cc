"""Drive Synaq over WhatsApp like Twilio does: signed form posts to the running web app.

    wa = WhatsApp harness on top of the Telegram harness ``h`` (same database, clock, service)
    mum = wa.user("+77011234567")
    await mum.says("JOIN 7K2QX5AB")      # a signed POST to /whatsapp/inbound, then delivery
    await mum.taps("Русский")           # ButtonPayload / ListId of the last buttons
    assert "Меню" in mum.last.text

Every post is signed with twilio's own ``RequestValidator.compute_signature`` over the
service's public URL; the outbox is then delivered to the fake Twilio (and Telegram).
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from twilio.request_validator import RequestValidator

from bot.outbox import OutboxWorker
from bot.runtime import Runtime
from bot.settings import Settings
from bot.web import build_app
from bot.whatsapp import WhatsAppSender, make_sender
from bot.whatsapp_web import CLOCK

from .fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, Message
from .harness import Harness

PUBLIC = "https://synaq.example.kz"
SENDER = "whatsapp:+77000000099"
_numbers = itertools.count(77011000001)


@dataclass
class WaUser:
    """One person writing to the service's WhatsApp number."""

    wa: WhatsApp
    number: str
    seen: int = 0

    @property
    def address(self) -> str:
        return f"whatsapp:{self.number}"

    @property
    def inbox(self) -> list[Message]:
        return self.wa.fake.to(self.address)

    @property
    def last(self) -> Message:
        assert self.inbox, f"{self.number} has received nothing"
        return self.inbox[-1]

    @property
    def last_with_buttons(self) -> Message:
        for message in reversed(self.inbox):
            if message.buttons:
                return message
        raise AssertionError(f"{self.number} has no message with buttons")

    def new(self) -> list[Message]:
        fresh, self.seen = self.inbox[self.seen:], len(self.inbox)
        return fresh

    def fields(self, **extra: str) -> dict[str, str]:
        number = self.number.lstrip("+")
        return {"MessageSid": f"SM{secrets.token_hex(16)}", "AccountSid": ACCOUNT_SID,
                "From": self.address, "To": SENDER, "WaId": number, "ProfileName": "Test",
                "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received",
                "ApiVersion": "2010-04-01", "Body": "", **extra}

    async def sends(self, **extra: str) -> list[Message]:
        """Any inbound message (its form fields); returns what came back."""
        status = await self.wa.post("/whatsapp/inbound", self.fields(**extra))
        assert status == 200
        await self.wa.h.deliver()
        return self.new()

    async def says(self, text: str) -> list[Message]:
        return await self.sends(Body=text, MessageType="text")

    async def taps(self, label: str) -> list[Message]:
        """Tap the quick reply or pick the list row whose title contains ``label``."""
        message = self.last_with_buttons
        for title, payload in message.buttons:
            if label in title:
                if message.kind == "list":
                    return await self.sends(Body=title, ListId=payload, ListTitle=title,
                                            MessageType="interactive")
                return await self.sends(Body=title, ButtonText=title, ButtonPayload=payload,
                                        MessageType="button")
        raise AssertionError(f"no button {label!r} in {message.labels}")

    async def sends_media(self, data: bytes, mime: str, caption: str = "") -> list[Message]:
        url = self.wa.fake.add_media(data, mime)
        return await self.sends(Body=caption, NumMedia="1", MediaUrl0=url,
                                MediaContentType0=mime, MessageType="image")


@dataclass
class WhatsApp:
    h: Harness
    fake: FakeTwilio
    client: TestClient[Any, Any]
    settings: Settings
    sender: WhatsAppSender
    validator: RequestValidator

    def user(self, number: str | None = None) -> WaUser:
        return WaUser(self, number or f"+{next(_numbers)}")

    def sign(self, path: str, fields: dict[str, str]) -> str:
        return str(self.validator.compute_signature(PUBLIC + path, fields))

    async def post(self, path: str, fields: dict[str, str], signature: str | None = None) -> int:
        """A form POST as Twilio makes it; the signature is right unless one is given."""
        sig = self.sign(path, fields) if signature is None else signature
        response = await self.client.post(path, data=fields, headers={"X-Twilio-Signature": sig})
        await response.read()
        return response.status

    async def status(self, sid: str, status: str, error_code: int | None = None) -> int:
        message = next(m for m in self.fake.messages if m.sid == sid)
        fields = {"MessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT_SID,
                  "MessageStatus": status, "SmsStatus": status, "To": message.to,
                  "From": SENDER, "ApiVersion": "2010-04-01", "ChannelPrefix": "whatsapp"}
        if error_code is not None:
            fields["ErrorCode"] = str(error_code)
        return await self.post("/whatsapp/status", fields)


@asynccontextmanager
async def whatsapp(h: Harness, tmp_path: Path, templates: str | None = None,
                   **settings: Any) -> AsyncIterator[WhatsApp]:
    """The service's web app with the WhatsApp routes, on a real local port, and a worker
    that delivers both Telegram and WhatsApp."""
    fake = FakeTwilio()
    await fake.start()
    templates_file = None
    if templates is not None:
        templates_file = tmp_path / "whatsapp-templates.toml"
        templates_file.write_text(templates, encoding="utf-8")
    config = Settings(
        database_url=h.settings.database_url, media_dir=h.settings.media_dir,
        twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN,
        twilio_whatsapp_from=SENDER, twilio_api_url=fake.url, public_base_url=PUBLIC,
        whatsapp_templates_file=templates_file, _env_file=None, **settings)  # type: ignore[call-arg]
    sender = make_sender(config, h.sessions, clock=h.clock)
    h.worker = OutboxWorker(
        h.sessions, {"telegram": h.worker.senders["telegram"], "whatsapp": sender},
        rates={"telegram": 10_000, "whatsapp": 10_000}, clock=h.clock, per_chat=frozenset())
    runtime = Runtime(config, h.engine, h.sessions, h.config, h.service,
                      dict(h.worker.senders), h.bot)
    app = build_app(runtime)
    app[CLOCK] = h.clock
    client: TestClient[Any, Any] = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield WhatsApp(h, fake, client, config, sender, RequestValidator(AUTH_TOKEN))
    finally:
        await client.close()
        await sender.close()
        await fake.stop()

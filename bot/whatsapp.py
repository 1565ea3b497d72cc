"""WhatsApp through Twilio: outbox rows out as Twilio Messages.

Inside the 24-hour window (the person wrote less than a day ago) a row goes out as it is:
text, a photo or file by URL, and its buttons as quick replies, a list picker or a numbered
list (``whatsapp_render``). Quick replies and list pickers need a Content resource; one
generic resource per shape (number of choices, number of body chunks) is created through the
Content API on first use, with every text a variable. Outside the window only an approved
template may be sent (``whatsapp_templates``): it names the message in one line, and the
message itself (with its buttons) follows once the person answers. With no template for the
row's purpose the row is held until the person writes again. Webhooks: ``whatsapp_web``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from twilio.base.exceptions import TwilioException
from twilio.http import AsyncHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from twilio.rest.content.v1.content import ContentList

from locales import translator
from storage.db import SessionFactory
from storage.files import MediaStore
from storage.models import Outbox
from storage.repos.whatsapp import HELD, ChatState, WhatsAppRepo

from .outbox import SendResult
from .settings import Settings
from .whatsapp_media import MediaLinks
from .whatsapp_render import Rendered, numbered, render
from .whatsapp_templates import Templates, complete, variables

log = logging.getLogger(__name__)

CHANNEL = "whatsapp"
STATUS_PATH = "/whatsapp/status"
INBOUND_PATH = "/whatsapp/inbound"
# WhatsApp's customer-service window, less a margin for a message still on its way.
WINDOW = timedelta(hours=24) - timedelta(minutes=5)
VARIABLE_LIMIT = 255  # Twilio: one Content variable's value

# Twilio error codes (https://www.twilio.com/docs/api/errors).
OUTSIDE_WINDOW = 63016
UNREACHABLE = {
    21211: "invalid 'To' number",
    21610: "the person unsubscribed",
    21614: "'To' is not a mobile number",
    63003: "the number is not on WhatsApp",
    63024: "invalid WhatsApp recipient",
}
RATE_LIMITED = {20429, 63018}


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Refusal:
    status: int | None  # HTTP status, None for a network error
    code: int | None  # Twilio's error code
    message: str


class TwilioHttp(AsyncHttpClient):
    """The SDK's async transport on one aiohttp session. (Its own ``AsyncTwilioHttpClient``
    form-encodes JSON bodies, which breaks the Content API, and cannot repeat a field for a
    list such as several ``MediaUrl``.)"""

    def __init__(self, timeout: float = 30.0) -> None:
        super().__init__(log, is_async=True, timeout=timeout)
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout))

    async def request(self, method: str, uri: str, params: dict[str, object] | None = None,
                      data: dict[str, object] | None = None,
                      headers: dict[str, str] | None = None,
                      auth: tuple[str, str] | None = None, timeout: float | None = None,
                      allow_redirects: bool = False) -> Response:
        as_json = (headers or {}).get("Content-Type") == "application/json"
        form = None if as_json else [
            (k, str(v)) for k, value in (data or {}).items()
            for v in (value if isinstance(value, list) else [value])]
        headers = dict(headers or {})
        if auth:
            headers["Authorization"] = aiohttp.encode_basic_auth(*auth)
        async with self.session.request(
            method.upper(), uri, params=params,  # type: ignore[arg-type]
            data=form, json=data if as_json else None, headers=headers,
            allow_redirects=allow_redirects,
        ) as response:
            return Response(response.status, await response.text(), response.headers)

    async def close(self) -> None:
        await self.session.close()


def make_client(settings: Settings) -> Client:
    assert settings.twilio_account_sid and settings.twilio_auth_token
    client = Client(settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value(),
                    http_client=TwilioHttp())
    if settings.twilio_api_url:  # a local stand-in (tests)
        client.api.base_url = settings.twilio_api_url.rstrip("/")
        client.content.base_url = settings.twilio_api_url.rstrip("/")
    return client


class Contents:
    """The generic interactive Content resources, created once and kept in the database."""

    def __init__(self, client: Client, sessions: SessionFactory,
                 clock: Callable[[], datetime]) -> None:
        self.client = client
        self.sessions = sessions
        self.clock = clock
        self.known: dict[str, str] = {}
        self.lock = asyncio.Lock()

    async def sid(self, kind: str, choices: int, chunks: int) -> str:
        name = f"synaq_{'qr' if kind == 'quick_reply' else 'list'}{choices}_b{chunks}"
        if name in self.known:
            return self.known[name]
        async with self.lock:
            async with self.sessions() as session:
                sid = await WhatsAppRepo(session).content_sid(name)
            if sid is None:
                created = await self.client.content.v1.contents.create_async(
                    ContentList.ContentCreateRequest(definition(name, kind, choices, chunks)))
                async with self.sessions() as session, session.begin():
                    sid = await WhatsAppRepo(session).save_content(name, str(created.sid),
                                                                   self.clock())
                log.info("created WhatsApp Content %s = %s", name, sid)
            self.known[name] = sid
            return sid


def definition(name: str, kind: str, choices: int, chunks: int) -> dict[str, Any]:
    """A Content resource whose every text is a variable: the body in ``chunks`` pieces (a
    variable holds 255 characters, a body 1,024), then each choice's title and id."""
    body = "".join(f"{{{{{i}}}}}" for i in range(1, chunks + 1))
    samples = {str(i): "Text" for i in range(1, chunks + 1)}
    n = chunks
    if kind == "quick_reply":
        actions = []
        for i in range(choices):
            actions.append({"type": "QUICK_REPLY", "title": f"{{{{{n + 1}}}}}",
                            "id": f"{{{{{n + 2}}}}}"})
            samples |= {str(n + 1): f"Option {i + 1}", str(n + 2): f"o:{i + 1}"}
            n += 2
        types: dict[str, Any] = {"twilio/quick-reply": {"body": body, "actions": actions}}
    else:
        samples[str(n + 1)] = "Choose"
        button, n = f"{{{{{n + 1}}}}}", n + 1
        items = []
        for i in range(choices):
            items.append({"item": f"{{{{{n + 1}}}}}", "id": f"{{{{{n + 2}}}}}"})
            samples |= {str(n + 1): f"Option {i + 1}", str(n + 2): f"o:{i + 1}"}
            n += 2
        types = {"twilio/list-picker": {"body": body, "button": button, "items": items}}
    return {"friendly_name": name, "language": "en", "variables": samples, "types": types}


def content_variables(rendered: Rendered) -> tuple[int, dict[str, str]]:
    """(number of body chunks, the variables) for an interactive message."""
    chunks = split_body(rendered.body)
    values = [*chunks]
    if rendered.kind == "list":
        values.append(rendered.button)
    for title, payload in rendered.choices:
        values += [title, payload]
    return len(chunks), {str(i): v for i, v in enumerate(values, 1)}


def split_body(body: str, limit: int = VARIABLE_LIMIT) -> list[str]:
    """Pieces of at most ``limit`` characters, cut inside a word so that no piece begins or
    ends with white space (which a variable might lose)."""
    pieces = []
    while len(body) > limit:
        cut = limit
        while cut > limit // 2 and (body[cut - 1].isspace() or body[cut].isspace()):
            cut -= 1
        pieces.append(body[:cut])
        body = body[cut:]
    pieces.append(body)
    return pieces


class WhatsAppSender:
    """The outbox's sender for channel "whatsapp" (see :class:`bot.outbox.ChannelSender`)."""

    channel = CHANNEL

    def __init__(self, settings: Settings, sessions: SessionFactory, templates: Templates,
                 clock: Callable[[], datetime] = utc_now) -> None:
        assert settings.twilio_whatsapp_from and settings.twilio_auth_token
        self.client = make_client(settings)
        self.sessions = sessions
        self.templates = templates
        self.clock = clock
        self.sender = settings.twilio_whatsapp_from
        self.default_locale = settings.default_locale
        base = (settings.public_base_url or "").rstrip("/")
        self.status_url = f"{base}{STATUS_PATH}" if base else None
        self.links = (MediaLinks(settings.twilio_auth_token.get_secret_value(), base,
                                 MediaStore(settings.media_dir)) if base else None)
        self.contents = Contents(self.client, sessions, clock)

    async def close(self) -> None:
        http = self.client.http_client
        if isinstance(http, TwilioHttp):
            await http.close()

    async def send(self, address: str, payload: dict[str, Any]) -> SendResult:
        """A payload with no outbox row behind it: treated as a reply."""
        return await self.deliver(address, payload, None)

    async def send_row(self, row: Outbox) -> SendResult:
        return await self.deliver(row.address, row.payload, row)

    async def deliver(self, address: str, payload: dict[str, Any],
                      row: Outbox | None) -> SendResult:
        now = self.clock()
        outbox_id = row.id if row is not None else None
        async with self.sessions() as session:
            chat = await WhatsAppRepo(session).chat(address)
        # Someone not invited only ever gets a reply to what they just wrote.
        if chat is None or _window_open(chat, now):
            result = await self._in_session(address, payload, chat, outbox_id)
            if not (isinstance(result, Refusal) and result.code == OUTSIDE_WINDOW):
                return result if isinstance(result, SendResult) else _failure(result)
            if chat is None:
                return _failure(result)
            log.info("Twilio says the window to %s is closed (63016)", chat.person_id)
            async with self.sessions() as session, session.begin():
                await WhatsAppRepo(session).close_window(chat.identity_id, now)
        return await self._template(address, payload, chat, row)

    async def _in_session(self, address: str, payload: dict[str, Any], chat: ChatState | None,
                          outbox_id: int | None) -> SendResult | Refusal:
        tr = translator((chat.locale if chat else None) or self.default_locale)
        attachments = payload.get("attachments") or []
        rendered = render(payload.get("text") or "", payload.get("buttons") or [], tr,
                          has_media=bool(attachments))
        fields: dict[str, Any] = {}
        if rendered.kind != "text":
            chunks, values = content_variables(rendered)
            try:
                fields["content_sid"] = await self.contents.sid(
                    rendered.kind, len(rendered.choices), chunks)
                fields["content_variables"] = json.dumps(values, ensure_ascii=False)
            except (TwilioException, aiohttp.ClientError, TimeoutError) as exc:
                refusal = (_refusal(exc) if isinstance(exc, TwilioException)
                           else Refusal(None, None, f"Content API: {type(exc).__name__}"))
                if refusal.status is None or refusal.status >= 500:
                    return refusal  # try again later
                # The Content API refuses (not enabled for the account…): numbers still work.
                log.warning("no WhatsApp Content resource (%s); sending a numbered list",
                            refusal.message)
                rendered = numbered(rendered.body, rendered.choices, tr)
        if rendered.kind == "text":
            if rendered.body:
                fields["body"] = rendered.body
            if attachments:
                if self.links is None:
                    return SendResult(ok=False, error="PUBLIC_BASE_URL is needed to send files")
                missing = [a["key"] for a in attachments if not self.links.exists(a["key"])]
                if missing:
                    return SendResult(ok=False, error="attachment file is missing")
                fields["media_url"] = [self.links.url(a["key"], self.clock())
                                       for a in attachments]
            if not fields:
                return SendResult(ok=True)  # nothing to show: an empty message is not sent
        sent = await self._create(address, fields)
        if isinstance(sent, Refusal):
            return sent
        sid, status = sent
        await self._record(chat, sid, status, outbox_id, "session", rendered.numbered)
        return SendResult(ok=True, external_id=sid)

    async def _template(self, address: str, payload: dict[str, Any], chat: ChatState | None,
                        row: Outbox | None) -> SendResult:
        assert chat is not None
        purpose = row.purpose if row is not None else "reply"
        template = self.templates.find(purpose)
        if template is None:
            return SendResult(ok=False, error=(
                f"{HELD} outside WhatsApp's 24-hour window and no template is configured for "
                f"purpose '{purpose}'; it goes out when the person writes again"))
        text = payload.get("text") or ""
        now = self.clock()
        since = max(chat.last_inbound_at or now - NOTICE_GAP, now - NOTICE_GAP)
        if row is not None:
            async with self.sessions() as session, session.begin():
                repo = WhatsAppRepo(session)
                # The rest of one message (its other parts, its files) and whatever else is
                # due meanwhile wait behind the notice already sent: one notice, not five.
                if await repo.notice_since(chat.identity_id, since):
                    await repo.hold_copy(row, now, f"{HELD} after an earlier template notice")
                    return SendResult(ok=True)
        values = variables(chat.full_name, text)
        sent = await self._create(address, {
            "content_sid": template.sid_for(chat.locale),
            "content_variables": json.dumps(values, ensure_ascii=False)})
        if isinstance(sent, Refusal):
            if sent.code == OUTSIDE_WINDOW:  # a template is never refused for the window
                return SendResult(ok=False, error=f"template {template.name}: {sent.message}")
            return _failure(sent)
        sid, status = sent
        # The notice says what the message is about; the message itself (its buttons, its
        # file, its whole text) follows as soon as the person answers.
        whole = not (payload.get("buttons") or payload.get("attachments")) and complete(text)
        await self._record(chat, sid, status, row.id if row else None, "template", (),
                           follow_up=None if whole else row)
        return SendResult(ok=True, external_id=sid)

    async def _create(self, address: str, fields: dict[str, Any]) -> tuple[str, str] | Refusal:
        if self.status_url:
            fields["status_callback"] = self.status_url
        try:
            message = await self.client.messages.create_async(
                to=address, from_=self.sender, **fields)
        except TwilioException as exc:
            return _refusal(exc)
        except (aiohttp.ClientError, TimeoutError) as exc:
            return Refusal(None, None, type(exc).__name__)
        return str(message.sid), str(message.status or "queued")

    async def _record(self, chat: ChatState | None, sid: str, status: str,
                      outbox_id: int | None, kind: str, choices: tuple[str, ...],
                      follow_up: Outbox | None = None) -> None:
        """Remember the message for its status callbacks, and the numbered list it carried
        (or that it carried none) so that a bare "2" means its second choice; hold a copy of
        ``follow_up`` for when the window opens again."""
        if chat is None:
            return  # nothing is kept about people who were not invited
        now = self.clock()
        try:
            async with self.sessions() as session, session.begin():
                repo = WhatsAppRepo(session)
                await repo.record_sent(sid, outbox_id=outbox_id, identity_id=chat.identity_id,
                                       kind=kind, status=status, now=now)
                await repo.remember_choices(chat.identity_id, choices or None, now)
                if follow_up is not None:
                    await repo.hold_copy(follow_up, now, f"{HELD} the message itself, after "
                                                         f"the template notice {sid}")
        except Exception:  # the message is out: failing here must not send it twice
            log.exception("could not record WhatsApp message %s", sid)


# A later message gets a notice of its own only this long after the last unanswered one.
NOTICE_GAP = timedelta(hours=12)


def _window_open(chat: ChatState, now: datetime) -> bool:
    last = chat.last_inbound_at
    if last is None or now - last >= WINDOW:
        return False
    return chat.window_closed_at is None or chat.window_closed_at < last


def _refusal(exc: TwilioException) -> Refusal:
    status = getattr(exc, "status", None)
    code = getattr(exc, "code", None)
    message = getattr(exc, "msg", None) or getattr(exc, "title", None) or type(exc).__name__
    return Refusal(int(status) if status else None, int(code) if code else None, str(message))


def _failure(refusal: Refusal) -> SendResult:
    """What the outbox should do about a message Twilio refused."""
    error = f"twilio {refusal.code or refusal.status or 'network'}: {refusal.message}"[:300]
    if refusal.code in UNREACHABLE:
        return SendResult(ok=False, unreachable=True,
                          error=f"{refusal.code}: {UNREACHABLE[refusal.code]}")
    if refusal.status == 429 or refusal.code in RATE_LIMITED:
        return SendResult(ok=False, retry_after=2.0, error=error)
    if refusal.status is None or refusal.status >= 500:
        return SendResult(ok=False, transient=True, error=error)
    return SendResult(ok=False, error=error)


def make_sender(settings: Settings, sessions: SessionFactory,
                clock: Callable[[], datetime] = utc_now) -> WhatsAppSender:
    return WhatsAppSender(settings, sessions, Templates.load(settings.whatsapp_templates_file),
                          clock)

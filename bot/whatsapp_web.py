"""Twilio's webhooks for WhatsApp: incoming messages and delivery statuses, and our media links.

Every request must carry a valid ``X-Twilio-Signature`` over the public URL (built from
``PUBLIC_BASE_URL``, never from the Host header, which a proxy or a forger controls) and the
form fields; anything else gets 403 and is not looked at. Incoming messages become the same
:class:`Inbound` events the Telegram adapter produces and go through ``Service.process``,
which de-duplicates them by ``MessageSid``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import aiohttp
from aiohttp import web
from multidict import MultiDictProxy
from twilio.request_validator import RequestValidator

from handlers.events import Inbound, IncomingMedia
from handlers.media import MediaTooLarge
from storage.files import MediaStore
from storage.repos.people import People
from storage.repos.whatsapp import WhatsAppRepo

from .runtime import Runtime
from .whatsapp import (
    CHANNEL,
    INBOUND_PATH,
    OUTSIDE_WINDOW,
    STATUS_PATH,
    UNREACHABLE,
    utc_now,
)
from .whatsapp_media import MediaLinks, media_route

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
CLOCK: web.AppKey[Clock] = web.AppKey("whatsapp_clock")
HTTP = web.AppKey("whatsapp_http", aiohttp.ClientSession)
# Messages held for want of a template go out when the person writes within this time.
HOLD_FOR = timedelta(days=3)
MAX_MEDIA = 10  # Twilio sends at most 10 files with one message
_NUMBER = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")
_EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def install(app: web.Application, runtime: Runtime) -> None:
    """Add the WhatsApp routes to the service's HTTP server (when WhatsApp is configured)."""
    settings = runtime.settings
    if not settings.whatsapp_enabled:
        return
    if not settings.public_base_url:
        log.error("WhatsApp is configured but PUBLIC_BASE_URL is not: Twilio's requests cannot "
                  "be verified, so the WhatsApp webhooks are not served")
        return
    assert settings.twilio_auth_token is not None
    token = settings.twilio_auth_token.get_secret_value()
    hooks = Webhooks(runtime, RequestValidator(token), settings.public_base_url.rstrip("/"))
    links = MediaLinks(token, settings.public_base_url, MediaStore(settings.media_dir))
    app[CLOCK] = utc_now  # tests put their own clock here before the server starts

    async def open_http(app: web.Application) -> None:
        app[HTTP] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))

    async def close_http(app: web.Application) -> None:
        await app[HTTP].close()

    app.on_startup.append(open_http)
    app.on_cleanup.append(close_http)
    app.router.add_post(INBOUND_PATH, hooks.inbound)
    app.router.add_post(STATUS_PATH, hooks.status)
    app.add_routes([media_route(links, lambda: app[CLOCK]())])


class Webhooks:
    def __init__(self, runtime: Runtime, validator: RequestValidator, base_url: str) -> None:
        self.runtime = runtime
        self.validator = validator
        self.base_url = base_url
        settings = runtime.settings
        self.account = (settings.twilio_account_sid or "",
                        settings.twilio_auth_token.get_secret_value()
                        if settings.twilio_auth_token else "")
        # Media URLs Twilio gives are on its API host; credentials go nowhere else.
        self.media_base = (settings.twilio_api_url or "https://api.twilio.com").rstrip("/") + "/"

    async def _verified(self, request: web.Request) -> MultiDictProxy[str]:
        form = await request.post()
        signature = request.headers.get("X-Twilio-Signature", "")
        url = self.base_url + request.raw_path
        fields_ok = all(isinstance(value, str) for value in form.values())
        if not signature or not fields_ok or not self.validator.validate(url, form, signature):
            log.warning("refused a request to %s with a missing or wrong Twilio signature "
                        "(from %s)", request.path, request.remote)
            raise web.HTTPForbidden()
        return form  # type: ignore[return-value]

    # --- incoming messages --------------------------------------------------------------------

    async def inbound(self, request: web.Request) -> web.Response:
        form = await self._verified(request)
        now = request.app[CLOCK]()
        sid = form.get("MessageSid") or form.get("SmsMessageSid") or ""
        address = form.get("From", "")
        if not sid or not address.startswith("whatsapp:"):
            log.info("ignored a Twilio message that is not from WhatsApp")
            return _twiml()
        service = self.runtime.service
        for event in await self._events(form, sid, address, now, request.app[HTTP]):
            await service.process(event)
        # The person wrote: the window is open again, so what waited for it can go now.
        async with self.runtime.sessions() as session, session.begin():
            await WhatsAppRepo(session).release_held(address, now, now - HOLD_FOR)
        service.outbox_ready.set()
        return _twiml()

    async def _events(self, form: MultiDictProxy[str], sid: str, address: str, now: datetime,
                      http: aiohttp.ClientSession) -> list[Inbound]:
        text = form.get("Body") or None
        # A quick reply carries its id in ButtonPayload, a list-picker row in ListId.
        choice = form.get("ButtonPayload") or form.get("ListId") or None
        if choice is not None:
            return [Inbound(CHANNEL, address, now, external_id=sid, callback=choice)]
        number = _NUMBER.match(text or "")
        if number is not None:
            async with self.runtime.sessions() as session:
                choice = await WhatsAppRepo(session).numbered_choice(address,
                                                                    int(number.group(1)))
            if choice is not None:
                return [Inbound(CHANNEL, address, now, external_id=sid, callback=choice)]
        media = self._media(form, http)
        unsupported = text is None and not media  # a location, a contact card without a file…
        first = Inbound(CHANNEL, address, now, external_id=sid, text=text, media=tuple(media[:1]),
                        unsupported=unsupported)
        # Several files in one message: one event each, so that each is kept (or refused).
        rest = [Inbound(CHANNEL, address, now, external_id=f"{sid}/{i}", media=(item,))
                for i, item in enumerate(media[1:], 1)]
        return [first, *rest]

    def _media(self, form: MultiDictProxy[str], http: aiohttp.ClientSession) -> list[IncomingMedia]:
        try:
            count = min(max(int(form.get("NumMedia") or 0), 0), MAX_MEDIA)
        except ValueError:
            count = 0
        items = []
        for i in range(count):
            url = form.get(f"MediaUrl{i}") or ""
            mime = (form.get(f"MediaContentType{i}") or "").split(";")[0].strip().lower()
            if not url.startswith(self.media_base):
                log.warning("ignored a media URL outside Twilio's API host")
                continue
            items.append(IncomingMedia(_kind(mime), mime or "application/octet-stream", None,
                                       self._fetcher(http, url)))
        return items

    def _fetcher(self, http: aiohttp.ClientSession, url: str) -> Callable[[], Awaitable[bytes]]:
        """Download with the account's credentials (Twilio's media are not public), stopping
        as soon as the file is larger than we keep."""
        limit = self.runtime.service.config.max_upload_bytes  # what handlers/media.py keeps

        async def fetch() -> bytes:
            # aiohttp drops the header if Twilio redirects to its file store on another host.
            headers = {"Authorization": aiohttp.encode_basic_auth(*self.account)}
            async with http.get(url, headers=headers) as response:
                response.raise_for_status()
                if response.content_length is not None and response.content_length > limit:
                    raise MediaTooLarge(response.content_length)
                data = bytearray()
                async for chunk in response.content.iter_chunked(1 << 16):
                    data += chunk
                    if len(data) > limit:
                        raise MediaTooLarge(len(data))
                return bytes(data)

        return fetch

    # --- delivery statuses ----------------------------------------------------------------------

    async def status(self, request: web.Request) -> web.Response:
        form = await self._verified(request)
        now = request.app[CLOCK]()
        sid = form.get("MessageSid") or ""
        status = (form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
        raw_code = form.get("ErrorCode") or ""
        code = int(raw_code) if raw_code.isdigit() else None
        if not sid or not status:
            return web.Response(text="")
        again = False
        async with self.runtime.sessions() as session, session.begin():
            repo = WhatsAppRepo(session)
            change = await repo.record_status(sid, status, code, now)
            if change is not None and status in ("failed", "undelivered"):
                if code in UNREACHABLE:
                    await People(session).mark_blocked(
                        CHANNEL, change.address, change.person_id, now,
                        f"{code}: {UNREACHABLE[code]}")
                elif (code == OUTSIDE_WINDOW and change.kind == "session"
                      and change.outbox_id is not None):
                    # Accepted, then refused for the window: send it again, as a template.
                    await repo.close_window(change.identity_id, now)
                    await repo.requeue(change.outbox_id, now,
                                       "63016: outside the 24-hour window; sending again")
                    again = True
        if again:
            self.runtime.service.outbox_ready.set()
        return web.Response(text="")


def _kind(mime: str) -> str:
    if mime.startswith("image/"):
        return "photo"
    if mime.startswith("audio/"):
        return "voice"
    if mime.startswith("video/"):
        return "video"
    return "document"


def _twiml() -> web.Response:
    # Replies go through the outbox (retried, rate-limited), not in the webhook's answer.
    return web.Response(text=_EMPTY_TWIML, content_type="text/xml")

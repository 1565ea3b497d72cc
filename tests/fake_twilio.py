"""A local stand-in for Twilio: the Messages API, the Content API and inbound media files.

It checks what Twilio checks (HTTP basic auth with the account's credentials; To, From and
one of Body / MediaUrl / ContentSid; the 1,600-character body; Content variables of at most
255 characters; WhatsApp's limits on quick replies and list pickers once the variables are
filled in; no free-form message to a closed 24-hour window), records every request's form
fields, renders what the person would see, and can be told to fail with Twilio's error codes
(63016, 21211, 63003, 429, 500…). Templates approved in the Console are registered with
:meth:`FakeTwilio.approve`.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BasicAuth, web
from multidict import MultiDict

ACCOUNT_SID = "AC" + "5" * 32
AUTH_TOKEN = "fake-twilio-auth-token-0123456789"
_VAR = re.compile(r"\{\{(\w+)\}\}")

# Twilio's messages for the errors tests ask for (https://www.twilio.com/docs/api/errors).
ERRORS = {
    21211: (400, "The 'To' number is not a valid phone number."),
    21656: (400, "The ContentVariables Parameter is invalid."),
    21655: (400, "The ContentSid is Invalid."),
    21617: (400, "The concatenated message body exceeds the 1600 character limit."),
    21619: (400, "A text message body, media URL or Content SID is required."),
    63003: (400, "Channel could not find To address."),
    63016: (400, "Failed to send freeform message because you are outside the allowed window."),
    63021: (400, "Channel invalid content error."),
    20403: (403, "Forbidden: the account has no access to this resource."),
    20429: (429, "Too Many Requests"),
    20500: (500, "An internal server error has occurred."),
}


@dataclass
class Message:
    """One message the service asked Twilio to send, and what the person would see."""

    sid: str
    fields: MultiDict[str]
    kind: str  # text / quick_reply / list / template
    text: str
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (title, id)
    list_button: str | None = None

    @property
    def to(self) -> str:
        return self.fields["To"]

    @property
    def labels(self) -> list[str]:
        return [title for title, _id in self.buttons]

    @property
    def media_urls(self) -> list[str]:
        return self.fields.getall("MediaUrl", [])

    @property
    def variables(self) -> dict[str, str]:
        return json.loads(self.fields.get("ContentVariables", "{}"))


@dataclass
class Failure:
    code: int
    status: int | None = None  # default: Twilio's status for the code

    def response(self) -> web.Response:
        status, message = ERRORS.get(self.code, (400, "Error"))
        return web.json_response({
            "code": self.code, "message": message, "status": self.status or status,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
        }, status=self.status or status)


@dataclass
class FakeTwilio:
    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    messages: list[Message] = field(default_factory=list)
    # Content resources by sid: their "types" as created; approved templates among them.
    contents: dict[str, dict[str, Any]] = field(default_factory=dict)
    approved: set[str] = field(default_factory=set)
    content_requests: list[dict[str, Any]] = field(default_factory=list)
    # Addresses whose 24-hour window Twilio considers closed (free-form → 63016).
    window_closed: set[str] = field(default_factory=set)
    # Address → failures to answer its next sends with, in order.
    fail_next: dict[str, deque[Failure]] = field(default_factory=dict)
    # Inbound media files: path → (bytes, content type); fetches by the service.
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    media_fetches: list[str] = field(default_factory=list)
    unauthorised: int = 0
    # Answer the Content API with this error (an account without Content API access…).
    content_failure: Failure | None = None

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""

    # --- server ---------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(middlewares=[self._auth])
        app.router.add_post("/2010-04-01/Accounts/{account}/Messages.json", self._create)
        app.router.add_post("/v1/Content", self._content)
        app.router.add_get("/2010-04-01/Accounts/{account}/Messages/{msg}/Media/{media}",
                           self._media)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        try:
            auth = BasicAuth.decode(header)
        except ValueError:
            auth = None
        if auth is None or (auth.login, auth.password) != (self.account_sid, self.auth_token):
            self.unauthorised += 1
            return web.json_response({"code": 20003, "message": "Authenticate",
                                      "status": 401}, status=401)
        account = request.match_info.get("account")
        if account is not None and account != self.account_sid:
            return web.json_response({"code": 20404, "message": "Not found", "status": 404},
                                     status=404)
        return await handler(request)

    # --- what tests do --------------------------------------------------------------------

    def approve(self, sid: str, body: str, buttons: list[tuple[str, str]] | None = None) -> None:
        """A template approved by WhatsApp in Twilio's Console (``{{1}}``-style variables)."""
        actions = [{"type": "QUICK_REPLY", "title": t, "id": i} for t, i in buttons or []]
        self.contents[sid] = {"twilio/quick-reply" if actions else "twilio/text":
                              {"body": body, **({"actions": actions} if actions else {})}}
        self.approved.add(sid)

    def fail(self, address: str, *codes: int, status: int | None = None) -> None:
        self.fail_next.setdefault(address, deque()).extend(Failure(c, status) for c in codes)

    def add_media(self, data: bytes, mime: str) -> str:
        """An inbound file as Twilio keeps it; returns its MediaUrl."""
        path = (f"/2010-04-01/Accounts/{self.account_sid}/Messages/MM{secrets.token_hex(16)}"
                f"/Media/ME{secrets.token_hex(16)}")
        self.media[path] = (data, mime)
        return self.url + path

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m.to == address]

    # --- the Messages API -----------------------------------------------------------------

    async def _create(self, request: web.Request) -> web.Response:
        fields: MultiDict[str] = MultiDict(await request.post())  # type: ignore[arg-type]
        to, sender = fields.get("To", ""), fields.get("From", "")
        if not to.startswith("whatsapp:+") or not sender.startswith("whatsapp:+"):
            return Failure(21211).response()
        queue = self.fail_next.get(to)
        if queue:
            return queue.popleft().response()
        content_sid = fields.get("ContentSid")
        if content_sid:
            if content_sid not in self.contents:
                return Failure(21655).response()
            if to in self.window_closed and content_sid not in self.approved:
                return Failure(63016).response()
            try:
                values = json.loads(fields.get("ContentVariables", "{}"))
            except ValueError:
                return Failure(21656).response()
            if (not isinstance(values, dict)
                    or not all(isinstance(v, str) and len(v) <= 255 for v in values.values())):
                return Failure(21656).response()
            rendered = _render(self.contents[content_sid], values)
            if rendered is None:
                return Failure(63021).response()
            kind, text, buttons, list_button = rendered
            if content_sid in self.approved:
                kind = "template"
        else:
            if to in self.window_closed:
                return Failure(63016).response()
            text = fields.get("Body", "")
            if not text and not fields.getall("MediaUrl", []):
                return Failure(21619).response()
            if len(text) > 1600:
                return Failure(21617).response()
            kind, buttons, list_button = "text", [], None
        sid = f"SM{next(self._ids):032x}"
        self.messages.append(Message(sid, fields, kind, text, buttons, list_button))
        return web.json_response({
            "sid": sid, "account_sid": self.account_sid, "to": to, "from": sender,
            "body": text, "status": "queued", "num_media": str(len(fields.getall("MediaUrl", []))),
            "num_segments": "1", "direction": "outbound-api", "api_version": "2010-04-01",
            "date_created": "Mon, 23 Nov 2026 04:00:00 +0000", "date_sent": None,
            "date_updated": "Mon, 23 Nov 2026 04:00:00 +0000", "error_code": None,
            "error_message": None, "messaging_service_sid": None, "price": None,
            "price_unit": "USD",
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
            "subresource_uris": {}}, status=201)

    # --- the Content API ------------------------------------------------------------------

    async def _content(self, request: web.Request) -> web.Response:
        if request.content_type != "application/json":
            return web.json_response({"code": 20001, "message": "JSON body expected",
                                      "status": 400}, status=400)
        if self.content_failure is not None:
            return self.content_failure.response()
        body = await request.json()
        self.content_requests.append(body)
        types = body.get("types") or {}
        if not body.get("friendly_name") or not types:
            return web.json_response({"code": 20001, "message": "Invalid content",
                                      "status": 400}, status=400)
        sid = f"HX{secrets.token_hex(16)}"
        self.contents[sid] = types
        return web.json_response({
            "sid": sid, "account_sid": self.account_sid, "friendly_name": body["friendly_name"],
            "language": body.get("language"), "variables": body.get("variables", {}),
            "types": types, "url": f"https://content.twilio.com/v1/Content/{sid}",
            "date_created": "2026-11-23T04:00:00Z", "date_updated": "2026-11-23T04:00:00Z",
            "links": {}}, status=201)

    # --- inbound media --------------------------------------------------------------------

    async def _media(self, request: web.Request) -> web.StreamResponse:
        found = self.media.get(request.path)
        if found is None:
            raise web.HTTPNotFound()
        self.media_fetches.append(request.path)
        data, mime = found
        return web.Response(body=data, content_type=mime)


def _fill(template: str, values: dict[str, str]) -> str:
    return _VAR.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def _render(types: dict[str, Any],
            values: dict[str, str]) -> tuple[str, str, list[tuple[str, str]], str | None] | None:
    """What WhatsApp shows for a Content resource; None if it breaks WhatsApp's limits."""
    if "twilio/quick-reply" in types:
        spec = types["twilio/quick-reply"]
        body = _fill(spec["body"], values)
        buttons = [(_fill(a["title"], values), _fill(a["id"], values))
                   for a in spec.get("actions", [])]
        if (len(body) > 1024 or not 1 <= len(buttons) <= 3
                or any(not t or len(t) > 20 for t, _i in buttons)
                or len({t for t, _i in buttons}) != len(buttons)):
            return None
        return "quick_reply", body, buttons, None
    if "twilio/list-picker" in types:
        spec = types["twilio/list-picker"]
        body = _fill(spec["body"], values)
        button = _fill(spec["button"], values)
        items = [(_fill(i["item"], values), _fill(i["id"], values)) for i in spec["items"]]
        if (len(body) > 1024 or not button or len(button) > 20 or not 1 <= len(items) <= 10
                or any(not t or len(t) > 24 for t, _i in items)):
            return None
        return "list", body, items, button
    if "twilio/text" in types:
        return "text", _fill(types["twilio/text"]["body"], values), [], None
    return None

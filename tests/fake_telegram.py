"""A local stand-in for the Telegram Bot API: enough of it to run Synaq for real.

It answers getMe, getUpdates (long polling, with offsets), sendMessage, sendPhoto,
sendDocument, answerCallbackQuery, getFile and file downloads, set/deleteWebhook, records
every call, and can be told to fail: a 429 with ``retry_after``, a 403 "blocked", a 500, or
a strict 30-messages-a-second limit like the real one.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 7000001
BOT_USERNAME = "SynaqTestBot"
SEND_METHODS = {"sendmessage", "sendphoto", "senddocument"}
TEXT_LIMIT, CAPTION_LIMIT, CALLBACK_DATA_LIMIT = 4096, 1024, 64
# Telegram's HTML parse mode: these tags, and "&" only as an entity; anything else is a 400.
HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
             "tg-spoiler", "span", "blockquote"}
_TAG = re.compile(r"<(/?)([a-z-]+)(\s[^<>]*)?>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


def html_problem(text: str) -> str | None:
    """Why Telegram would refuse ``text`` in HTML parse mode, or None."""
    stack: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            m = _TAG.match(text, i)
            if not m or m.group(2) not in HTML_TAGS:
                return f"unsupported start tag at byte offset {i}"
            if m.group(1):
                if not stack or stack.pop() != m.group(2):
                    return f"unmatched end tag at byte offset {i}"
            else:
                stack.append(m.group(2))
            i = m.end()
            continue
        if ch == "&" and not _ENTITY.match(text, i):
            return f"unescaped & at byte offset {i}"
        if ch == ">":
            return f"unescaped > at byte offset {i}"
        i += 1
    return f"unclosed tag {stack[-1]}" if stack else None


@dataclass
class Sent:
    """One message the bot sent."""

    method: str
    chat_id: int
    text: str
    buttons: list[list[tuple[str, str]]]
    message_id: int
    at: float
    file_name: str | None = None
    file_bytes: bytes | None = None

    @property
    def labels(self) -> list[str]:
        return [label for row in self.buttons for label, _ in row]


@dataclass
class Failure:
    status: int
    description: str
    retry_after: int | None = None


@dataclass
class FakeTelegram:
    token: str = "123456:TEST-TOKEN"
    sent: list[Sent] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # chat id → failures to return on that chat's next sends, in order
    fail_chat: dict[int, deque[Failure]] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    strict_rate: bool = False  # answer 429 beyond 30 messages in any second
    rate_limited: int = 0
    files: dict[str, bytes] = field(default_factory=dict)
    webhook: dict[str, Any] = field(default_factory=dict)
    # method (lower case) → seconds the API hangs before answering it
    stall: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._new_update = asyncio.Condition()
        self._new_sent = asyncio.Condition()
        self._send_times: deque[float] = deque()
        self._runner: web.AppRunner | None = None
        self.url = ""

    # --- server -------------------------------------------------------------------------

    async def start(self, port: int = 0) -> str:
        app = web.Application(client_max_size=50 * 2**20)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        sockets = site._server.sockets  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- what tests do ------------------------------------------------------------------

    def next_update_id(self) -> int:
        return next(self._update_ids)

    async def push_update(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates (the polling loop of a running service)."""
        async with self._new_update:
            self._updates.append(update)
            self._new_update.notify_all()

    def pending_updates(self) -> int:
        return len(self._updates)

    def to_chat(self, chat_id: int) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id]

    async def wait_sent(self, predicate: Any, timeout: float = 10.0) -> Sent:
        """Wait until a sent message matches ``predicate``; return it."""
        deadline = time.monotonic() + timeout
        async with self._new_sent:
            while True:
                for message in self.sent:
                    if predicate(message):
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("no matching message was sent")
                try:
                    await asyncio.wait_for(self._new_sent.wait(), remaining)
                except TimeoutError:
                    continue

    # --- the API ------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"].lower()
        params = await _params(request)
        self.calls.append((method, params))
        if method in self.stall:
            await asyncio.sleep(self.stall[method])
        if method == "getme":
            return _ok({"id": BOT_ID, "is_bot": True, "first_name": "Synaq",
                        "username": BOT_USERNAME})
        if method == "getupdates":
            return _ok(await self._get_updates(params))
        if method in SEND_METHODS:
            return await self._send(method, params)
        if method == "getfile":
            file_id = str(params.get("file_id"))
            if file_id not in self.files:
                return _error(400, "Bad Request: invalid file_id")
            return _ok({"file_id": file_id, "file_unique_id": file_id,
                        "file_size": len(self.files[file_id]), "file_path": f"f/{file_id}"})
        if method == "setwebhook":
            self.webhook = params
            return _ok(True)
        if method in ("deletewebhook", "answercallbackquery", "setmycommands",
                      "editmessagereplymarkup", "editmessagetext"):
            return _ok(True)
        return _error(404, f"Not Found: method {method}")

    async def _file(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        data = self.files.get(path.removeprefix("f/"))
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        async with self._new_update:
            # Updates below the offset are confirmed: Telegram forgets them.
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates and timeout:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._new_update.wait(), timeout)
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            return list(self._updates[:100])

    async def _send(self, method: str, params: dict[str, Any]) -> web.Response:
        chat_id = int(params["chat_id"])
        failures = self.fail_chat.get(chat_id)
        if failures:
            failure = failures.popleft()
            return _error(failure.status, failure.description, failure.retry_after)
        if chat_id in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        now = time.monotonic()
        if self.strict_rate:
            while self._send_times and now - self._send_times[0] >= 1.0:
                self._send_times.popleft()
            if len(self._send_times) >= 30:
                self.rate_limited += 1
                return _error(429, "Too Many Requests: retry after 1", 1)
            self._send_times.append(now)
        text = str(params.get("text") or params.get("caption") or "")
        limit = TEXT_LIMIT if method == "sendmessage" else CAPTION_LIMIT
        if method == "sendmessage" and not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text) > limit:
            return _error(400, "Bad Request: message is too long")
        if params.get("parse_mode") == "HTML" and (problem := html_problem(text)):
            return _error(400, f"Bad Request: can't parse entities: {problem}")
        markup = params.get("reply_markup")
        buttons = []
        if markup:
            data = json.loads(markup) if isinstance(markup, str) else markup
            buttons = [[(b["text"], b.get("callback_data", "")) for b in row]
                       for row in data.get("inline_keyboard", [])]
            for row in buttons:
                for label, data_ in row:
                    if not label or len(data_.encode()) > CALLBACK_DATA_LIMIT:
                        return _error(400, "Bad Request: BUTTON_DATA_INVALID")
        file_field = params.get("photo") or params.get("document")
        if isinstance(file_field, str) and file_field.startswith("attach://"):
            file_field = params.get(file_field.removeprefix("attach://"))  # multipart upload
        message_id = next(self._message_ids)
        sent = Sent(method, chat_id, text, buttons, message_id, now,
                    file_name=getattr(file_field, "filename", None),
                    file_bytes=getattr(file_field, "data", None))
        async with self._new_sent:
            self.sent.append(sent)
            self._new_sent.notify_all()
        result: dict[str, Any] = {
            "message_id": message_id, "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
        }
        if method == "sendmessage":
            result["text"] = text
        elif method == "sendphoto":
            result["photo"] = [{"file_id": f"p{message_id}", "file_unique_id": f"p{message_id}",
                                "width": 100, "height": 100}]
        else:
            result["document"] = {"file_id": f"d{message_id}", "file_unique_id": f"d{message_id}"}
        return _ok(result)


@dataclass
class Upload:
    filename: str
    data: bytes


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        return dict(await request.json())
    if request.method == "GET":
        return dict(request.query)
    form = await request.post()
    params: dict[str, Any] = {}
    for key, value in form.items():
        if hasattr(value, "file"):
            params[key] = Upload(value.filename, value.file.read())
        else:
            params[key] = value
    return params


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)

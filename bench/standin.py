"""The Bot API stand-in of the benchmark, with simulated people on the other side.

It is the tests' :class:`FakeTelegram` (same checks of every message), in the benchmark's own
process, plus closed-loop users: each user sends one update, waits for the bot's answer, and
only then sends the next — as people do. An update counts as answered when the message that
asks the next question (or says the questionnaire is done) reaches the user.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fake_telegram import FakeTelegram, Sent

# A message that comes before the question it leads into (Synaq sends both for one update).
PRELUDES = ("Now rate your own work",)


@dataclass
class User:
    chat: int
    pending_since: float | None = None  # when the unanswered update was sent
    sent_updates: int = 0


@dataclass
class Loop:
    """What the closed-loop run counted."""

    answered: int = 0
    latencies: list[float] = field(default_factory=list)  # round trips, seconds
    stalls: int = 0  # users that got no answer within STALL seconds and were nudged
    unexpected: int = 0  # answers that did not look like the next question


STALL = 10.0


class Standin(FakeTelegram):
    """FakeTelegram with users who answer what they are asked."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.users: dict[int, User] = {}
        self.loop_stats = Loop()
        self.mode = "synaq"  # "echo": every message is an answer, always answered with text
        self.active = False
        self.send_times: list[float] = []
        # Seconds a user takes to read a question and answer it (0: at once).
        self.think = 0.0
        # When each message to someone other than the users went out (a backlog's).
        self.other_times: list[float] = []
        self._thinking: set[asyncio.Task[None]] = set()
        self.trimming = True
        self._texts = itertools.count(1)
        self._watchdog: asyncio.Task[None] | None = None

    async def start(self, port: int = 0) -> str:
        url = await super().start(port)
        self._watchdog = asyncio.create_task(self._watch())
        return url

    async def stop(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        await super().stop()

    # --- the closed loop --------------------------------------------------------------------

    def add_users(self, chats: list[int], mode: str) -> None:
        self.users = {chat: User(chat) for chat in chats}
        self.mode = mode
        self.loop_stats = Loop()

    async def go(self) -> None:
        """Every user sends their first answer."""
        self.active = True
        for user in self.users.values():
            await self._act(user, None)

    def halt(self) -> None:
        self.active = False

    async def _act(self, user: User, message: Sent | None) -> None:
        user.pending_since = time.monotonic()
        user.sent_updates += 1
        button = _answer_button(message) if message is not None and self.mode == "synaq" \
            else None
        if button is not None:
            await self.push_update(self._callback(user.chat, button, message))
        else:
            await self.push_update(self._message(user.chat, f"Answer {next(self._texts)}"))

    async def _on_sent(self, sent: Sent) -> None:
        self.send_times.append(sent.at)
        user = self.users.get(sent.chat_id)
        if user is None:
            self.other_times.append(sent.at)
        if user is None or not self.active:
            return
        if self.mode == "synaq" and not sent.buttons and sent.text.startswith(PRELUDES):
            return
        if user.pending_since is None:
            self.loop_stats.unexpected += 1  # a second answer to one update
            return
        self.loop_stats.answered += 1
        self.loop_stats.latencies.append(time.monotonic() - user.pending_since)
        user.pending_since = None
        if self.think:
            task = asyncio.create_task(self._answer_later(user, sent))
            self._thinking.add(task)
            task.add_done_callback(self._thinking.discard)
        else:
            await self._act(user, sent)

    async def _answer_later(self, user: User, sent: Sent) -> None:
        await asyncio.sleep(self.think)
        if self.active and user.pending_since is None:
            await self._act(user, sent)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            self.trim()
            if not self.active:
                continue
            now = time.monotonic()
            for user in self.users.values():
                if user.pending_since is not None and now - user.pending_since > STALL:
                    self.loop_stats.stalls += 1
                    await self._act(user, None)

    def _message(self, chat: int, text: str) -> dict[str, Any]:
        return {"update_id": self.next_update_id(), "message": {
            "message_id": self.next_update_id(), "date": int(time.time()),
            "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": "Pupil", "language_code": "en"},
            "text": text}}

    def _callback(self, chat: int, data: str, message: Sent | None) -> dict[str, Any]:
        return {"update_id": self.next_update_id(), "callback_query": {
            "id": str(self.next_update_id()), "chat_instance": str(chat), "data": data,
            "from": {"id": chat, "is_bot": False, "first_name": "Pupil", "language_code": "en"},
            "message": {"message_id": message.message_id if message else 1,
                        "date": int(time.time()), "chat": {"id": chat, "type": "private"},
                        "text": "…"}}}

    # --- the API: every send also reaches the simulated user -------------------------------

    async def _send(self, method: str, params: dict[str, Any]) -> web.Response:
        response = await super()._send(method, params)
        if response.status == 200:
            message_id = json.loads(response.body)["result"]["message_id"]  # type: ignore[arg-type]
            for sent in reversed(self.sent):
                if sent.message_id == message_id:
                    await self._on_sent(sent)
                    break
        return response

    def trim(self) -> None:
        """Forget old calls and messages (a long run would otherwise grow this process)."""
        if not self.trimming:
            return
        if len(self.sent) > 5_000:
            del self.sent[:-1_000]
        if len(self.calls) > 5_000:
            del self.calls[:-1_000]


def _answer_button(message: Sent) -> str | None:
    """The first button that answers the question (not "« Back")."""
    for row in message.buttons:
        for _label, data in row:
            if not data.endswith("~back"):
                return data
    return None

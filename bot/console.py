"""The console channel: talk to Synaq in a terminal as any invited person.

Same service, same flows, same database as Telegram. Buttons are numbered: type a number to
press one. ``/photo PATH``, ``/file PATH`` and ``/voice PATH`` send a file.
"""

from __future__ import annotations

import asyncio
import html
import mimetypes
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from handlers.events import Inbound, IncomingMedia
from storage.models import Channel
from storage.outage import DatabaseUnavailable
from storage.repos.people import People

from .outbox import SendResult
from .runtime import Runtime

_TAGS = re.compile(r"</?[a-z]+[^>]*>")
_FILE_COMMANDS = {"/photo": "photo", "/file": "document", "/voice": "voice"}


def plain(text: str) -> str:
    return html.unescape(_TAGS.sub("", text))


class ConsoleSender:
    """Prints messages for the console's own person; remembers the last buttons shown."""

    channel: str = Channel.CONSOLE

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.buttons: list[str] = []

    async def send(self, address: str, payload: dict[str, Any]) -> SendResult:
        lines = [plain(payload.get("text") or "")]
        for attachment in payload.get("attachments") or []:
            lines.append(f"[{attachment['kind']}: {attachment.get('name') or attachment['key']}]")
        rows = payload.get("buttons") or []
        if rows:
            self.buttons = []
            rendered = []
            for row in rows:
                cells = []
                for label, data in row:
                    self.buttons.append(data)
                    cells.append(f"[{len(self.buttons)}] {plain(label)}")
                rendered.append("   ".join(cells))
            lines.append("\n".join(rendered))
        self.out.write("\n".join(line for line in lines if line) + "\n\n")
        self.out.flush()
        return SendResult(ok=True)


def to_inbound(line: str, address: str, sender: ConsoleSender) -> Inbound:
    now = datetime.now(UTC)
    hint = os.environ.get("LANG")  # "ru_RU.UTF-8": greet a stranger in the terminal's language
    word, _sep, rest = line.partition(" ")
    if word in _FILE_COMMANDS and rest.strip():
        path = Path(rest.strip()).expanduser()
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        size = path.stat().st_size if path.exists() else 0

        async def fetch() -> bytes:
            return path.read_bytes()

        kind = _FILE_COMMANDS[word]
        media = IncomingMedia(kind, mime, size, fetch, path.name)
        return Inbound(channel=Channel.CONSOLE, address=address, received_at=now, media=(media,),
                       language_hint=hint)
    stripped = line.strip()
    if stripped.isdigit() and 1 <= int(stripped) <= len(sender.buttons):
        return Inbound(channel=Channel.CONSOLE, address=address, received_at=now,
                       callback=sender.buttons[int(stripped) - 1], language_hint=hint)
    return Inbound(channel=Channel.CONSOLE, address=address, received_at=now, text=line,
                   language_hint=hint)


async def run_console(runtime: Runtime, address: str, person_id: int | None = None,
                      stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> int:
    sender = ConsoleSender(out)
    runtime.senders[Channel.CONSOLE] = sender
    worker = runtime.worker()
    if person_id is not None:
        error = await _bind(runtime, address, person_id)
        if error:
            print(error, file=sys.stderr)
            return 2
    echo = not stdin.isatty()
    out.write("Synaq console — type the invite code to join, a number to press a button, "
              "/help for help, Ctrl-D to leave.\n\n")
    await worker.drain(address=address)  # whatever was waiting for this person
    while True:
        if not echo:
            out.write("> ")
            out.flush()
        line = await asyncio.to_thread(stdin.readline)
        if not line:
            break
        line = line.rstrip("\n")
        if not line.strip():
            continue
        if echo:
            out.write(f"> {line}\n")
        try:
            await runtime.service.process(to_inbound(line, address, sender))
        except DatabaseUnavailable:
            out.write("(The database cannot be reached right now, so this was not taken; "
                      "please send it again in a minute.)\n")
            continue
        await worker.drain(address=address)
    return 0


async def _bind(runtime: Runtime, address: str, person_id: int) -> str | None:
    """``--as``: the local operator may act as anyone (they hold the database anyway)."""
    async with runtime.sessions() as session, session.begin():
        people = People(session)
        person = await people.get(person_id)
        if person is None:
            return f"No person with id {person_id}."
        found = await people.by_identity(Channel.CONSOLE, address)
        if found is None:
            await people.bind_identity(person, Channel.CONSOLE, address, datetime.now(UTC))
        elif found[0].id != person_id:
            return f"Console name {address!r} already belongs to person {found[0].id}."
    return None

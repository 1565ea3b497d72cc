"""Registries that let each feature plug in without editing a central switch.

- ``callback("x")`` registers the handler for button payloads ``x:…``;
- ``menu_section(role)`` registers what a role's menu shows;
- ``command("/name")`` registers a slash command for known people;
- ``file_handler`` registers a taker of files sent outside a question that expects one (a
  coordinator's spreadsheet to import); it returns None to leave the file to others.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from .context import Context
from .events import Button, Inbound, IncomingMedia, Outbound

CallbackHandler = Callable[[Context, list[str]], Awaitable[list[Outbound]]]
MenuProvider = Callable[[Context], Awaitable[list[Button]]]
CommandHandler = Callable[[Context, Inbound, str], Awaitable[list[Outbound]]]
FileHandler = Callable[[Context, IncomingMedia], Awaitable[list[Outbound] | None]]

CALLBACKS: dict[str, CallbackHandler] = {}
MENU_SECTIONS: dict[str, list[MenuProvider]] = {}
COMMANDS: dict[str, CommandHandler] = {}
FILE_HANDLERS: list[FileHandler] = []

# The order in which a person holding several roles sees their menu sections.
ROLE_ORDER = ("coordinator", "teacher", "mentor", "parent", "pupil", "regional")
# ``menu_section(EVERYONE)``: an entry every person's menu ends with (their data).
EVERYONE = "*"


def callback(prefix: str) -> Callable[[CallbackHandler], CallbackHandler]:
    def register(fn: CallbackHandler) -> CallbackHandler:
        if prefix in CALLBACKS:
            raise ValueError(f"callback prefix {prefix!r} registered twice")
        CALLBACKS[prefix] = fn
        return fn
    return register


def menu_section(role: str) -> Callable[[MenuProvider], MenuProvider]:
    def register(fn: MenuProvider) -> MenuProvider:
        MENU_SECTIONS.setdefault(role, []).append(fn)
        return fn
    return register


def command(name: str) -> Callable[[CommandHandler], CommandHandler]:
    def register(fn: CommandHandler) -> CommandHandler:
        COMMANDS[name] = fn
        return fn
    return register


def file_handler(fn: FileHandler) -> FileHandler:
    FILE_HANDLERS.append(fn)
    return fn


def payload(*parts: object) -> str:
    """Build button data from a prefix and ids; Telegram allows at most 64 bytes."""
    data = ":".join(str(p) for p in parts)
    if len(data.encode()) > 64:
        raise ValueError(f"callback data too long: {data!r}")
    return data


def int_arg(args: list[str], index: int) -> int | None:
    """The id at ``index`` of a payload, or None if it is missing or not a number (forged)."""
    try:
        value = int(args[index])
    except (IndexError, ValueError):
        return None
    return value if 0 < value < 2**62 else None

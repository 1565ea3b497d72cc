"""Untyped button payloads, while features move to typed ones (handlers/buttons.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from handlers.context import Context
from handlers.events import Outbound

CallbackHandler = Callable[[Context, list[str]], Awaitable[list[Outbound]]]
CALLBACKS: dict[str, CallbackHandler] = {}


def callback(prefix: str) -> Callable[[CallbackHandler], CallbackHandler]:
    def register(fn: CallbackHandler) -> CallbackHandler:
        if prefix in CALLBACKS:
            raise ValueError(f"callback prefix {prefix!r} registered twice")
        CALLBACKS[prefix] = fn
        return fn
    return register


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

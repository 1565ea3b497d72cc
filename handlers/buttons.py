"""Button payloads as typed values: a small class per kind of button.

A kind is declared once, with its prefix and typed fields::

    class RateCard(Payload, prefix="mr"):
        trial_id: int
        pupil_id: int | None = None

``RateCard(trial_id=7).pack()`` gives ``"mr:7"`` (checked against Telegram's 64 bytes), and
``unpack("mr:7:")`` gives the value back, or None for data that is not a well-formed button of a
known kind (a forged or stale payload). Fields are ``int`` (ids, never negative), ``str`` (short
tokens without ``:``, except the last field, which takes the rest) or either ``| None`` (packed
as an empty part, left out at the end). Missing trailing parts take the field's default, so that a button sent before
a field was added still works. The prefix of each kind is unique (checked when the class is made).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, ClassVar, Self, dataclass_transform

# Telegram's limit for callback_data, in bytes.
MAX_BYTES = 64
# Ids from a payload are never trusted beyond this (a forged 2**80 is not an id).
MAX_ID = 2**62


class PayloadError(ValueError):
    """A programming error: two kinds with one prefix, a field of a type we cannot pack."""


@dataclass_transform(frozen_default=True)
class Payload:
    """The base of every kind of button; see the module's docstring."""

    prefix: ClassVar[str]
    KINDS: ClassVar[dict[str, type[Payload]]] = {}
    _fields: ClassVar[tuple[tuple[str, type, bool, Any], ...]]

    def __init_subclass__(cls, *, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not prefix or ":" in prefix:
            raise PayloadError(f"bad prefix {prefix!r}")
        if prefix in Payload.KINDS:
            raise PayloadError(f"prefix {prefix!r} is used by {Payload.KINDS[prefix].__name__} "
                               f"and {cls.__name__}")
        cls.prefix = prefix
        dataclasses.dataclass(frozen=True)(cls)
        hints = typing.get_type_hints(cls)
        fields = []
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            base, optional = _base_type(hints[f.name])
            default = f.default if f.default is not dataclasses.MISSING else _REQUIRED
            fields.append((f.name, base, optional, default))
        cls._fields = tuple(fields)
        Payload.KINDS[prefix] = cls

    def pack(self) -> str:
        parts = [self.prefix]
        for name, _base, _optional, _default in self._fields:
            value = getattr(self, name)
            parts.append("" if value is None else str(value))
        while parts[-1] == "" and len(parts) > 1:  # trailing None fields are left out
            parts.pop()
        data = ":".join(parts)
        if len(data.encode()) > MAX_BYTES:
            raise PayloadError(f"callback data too long: {data!r}")
        return data

    @classmethod
    def parse(cls, parts: list[str]) -> Self | None:
        """The value from the parts after the prefix, or None when they do not fit."""
        fields = cls._fields
        if len(parts) > len(fields):
            if not fields or fields[-1][1] is not str:
                return None
            parts = [*parts[:len(fields) - 1], ":".join(parts[len(fields) - 1:])]
        values: dict[str, Any] = {}
        for i, (name, base, optional, default) in enumerate(fields):
            if i >= len(parts):
                if default is _REQUIRED:
                    return None
                values[name] = default
                continue
            raw = parts[i]
            if raw == "":
                if not optional:
                    return None
                values[name] = None
            elif base is int:
                if not raw.isdigit() or int(raw) >= MAX_ID:
                    return None
                values[name] = int(raw)
            else:
                values[name] = raw
        return cls(**values)


_REQUIRED = object()


def _base_type(hint: Any) -> tuple[type, bool]:
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        rest = [a for a in args if a is not type(None)]
        if len(rest) != 1 or rest[0] not in (int, str):
            raise PayloadError(f"unsupported field type {hint!r}")
        return rest[0], True
    if hint not in (int, str):
        raise PayloadError(f"unsupported field type {hint!r}")
    return hint, False


def unpack(data: str) -> Payload | None:
    """The typed value of ``data``, or None for an unknown kind or malformed fields."""
    prefix, *parts = data.split(":")
    kind = Payload.KINDS.get(prefix)
    return kind.parse(parts) if kind is not None else None

"""Splitting a long HTML message into parts a channel accepts, without losing a character.

Splits fall on paragraph, line or word boundaries outside tags; a <b>/<i> open at a split
is closed at the end of one part and opened again at the start of the next.
"""

from __future__ import annotations

import re

_TAG = re.compile(r"<(/?)([a-z]+)[^>]*>")


def split_html(text: str, limit: int) -> list[str]:
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    open_tags: list[str] = []
    rest = text
    while rest:
        prefix = "".join(f"<{t}>" for t in open_tags)
        room = limit - len(prefix) - sum(len(t) + 3 for t in open_tags) - 8
        if len(prefix) + len(rest) <= limit:
            parts.append(prefix + rest)
            break
        cut = _cut_point(rest, max(room, limit // 2))
        chunk, rest = rest[:cut], rest[cut:].lstrip("\n ")
        tags = _open_after(open_tags, chunk)
        parts.append(prefix + chunk.rstrip() + "".join(f"</{t}>" for t in reversed(tags)))
        open_tags = tags
    return parts


def _cut_point(text: str, room: int) -> int:
    window = text[:room]
    inside = _inside_tag_positions(window)
    for sep in ("\n\n", "\n", " "):
        pos = window.rfind(sep)
        while pos > 0 and pos in inside:
            pos = window.rfind(sep, 0, pos)
        if pos > room // 3:
            return pos + len(sep)
    # No boundary at all (one very long word): cut, but never inside a tag or an entity.
    pos = room
    while pos > 0 and (pos in inside or _in_entity(window, pos)):
        pos -= 1
    return pos or room


def _inside_tag_positions(text: str) -> set[int]:
    positions: set[int] = set()
    for m in _TAG.finditer(text):
        positions.update(range(m.start() + 1, m.end()))
    last_open = text.rfind("<")
    if last_open > text.rfind(">"):  # a tag cut off by the window
        positions.update(range(last_open + 1, len(text) + 1))
    return positions


def _in_entity(text: str, pos: int) -> bool:
    amp = text.rfind("&", 0, pos)
    return amp != -1 and ";" not in text[amp:pos] and pos - amp < 10


def _open_after(open_tags: list[str], chunk: str) -> list[str]:
    tags = list(open_tags)
    for m in _TAG.finditer(chunk):
        closing, name = m.group(1), m.group(2)
        if closing and name in tags:
            tags.remove(name)
        elif not closing:
            tags.append(name)
    return tags

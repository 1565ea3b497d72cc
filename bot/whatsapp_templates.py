"""Approved Content templates for messages outside WhatsApp's 24-hour window.

WhatsApp lets a business write first (or again after 24 hours of silence) only with a
template approved in advance. Which template serves which outbox ``purpose`` in which
language is configuration, in a TOML file named by ``WHATSAPP_TEMPLATES_FILE``::

    [reminder]                      # a name of your choice
    purposes = ["consent.request", "consent.reminder", "mentor.*", "pupil.*"]
    kk = "HX0123…"                  # the ContentSid of the approved template, per language
    ru = "HX4567…"

Every template takes the same two variables: ``{{1}}`` the recipient's name and ``{{2}}`` the
message itself, flattened to one line and shortened (README, "WhatsApp", has the exact
texts to submit for approval). A purpose may be a pattern (``mentor.*``); an exact purpose
wins over a pattern.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from locales import DEFAULT_LOCALE, LOCALES

from .whatsapp_render import to_whatsapp

_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")
NAME_LIMIT, EXCERPT_LIMIT = 60, 200


@dataclass(frozen=True)
class Template:
    name: str
    purposes: tuple[str, ...]
    sids: dict[str, str]  # locale → ContentSid

    def sid_for(self, locale: str | None) -> str:
        """The template in the person's language, else the default one, else any."""
        return (self.sids.get(locale or DEFAULT_LOCALE) or self.sids.get(DEFAULT_LOCALE)
                or next(iter(self.sids.values())))


class Templates:
    def __init__(self, templates: list[Template]) -> None:
        self.templates = templates

    @classmethod
    def load(cls, path: Path | None) -> Templates:
        """Read and check the file; a mistake in it stops the service at start, where the
        person configuring it sees the message."""
        if path is None:
            return cls([])
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        templates = []
        for name, entry in data.items():
            if not isinstance(entry, dict):
                raise ValueError(f"{path}: [{name}] must be a table")
            purposes = entry.get("purposes")
            if (not isinstance(purposes, list) or not purposes
                    or not all(isinstance(p, str) and p for p in purposes)):
                raise ValueError(f"{path}: [{name}] needs purposes = [\"…\", …]")
            sids = {loc: entry[loc] for loc in LOCALES if loc in entry}
            bad = [loc for loc, sid in sids.items() if not isinstance(sid, str)
                   or not _SID.match(sid)]
            if not sids or bad:
                raise ValueError(f"{path}: [{name}] needs a ContentSid (HX + 32 hex digits) "
                                 f"for kk, ru or en; wrong: {', '.join(bad) or 'none given'}")
            unknown = set(entry) - {"purposes", *LOCALES}
            if unknown:
                raise ValueError(f"{path}: [{name}] has unknown keys {sorted(unknown)}")
            templates.append(Template(name, tuple(purposes), sids))
        return cls(templates)

    def find(self, purpose: str) -> Template | None:
        exact = [t for t in self.templates if purpose in t.purposes]
        if exact:
            return exact[0]
        return next((t for t in self.templates
                     if any(fnmatchcase(purpose, p) for p in t.purposes)), None)


def variables(name: str, text: str) -> dict[str, str]:
    """The template's variables: {{1}} the recipient's name, {{2}} the message in one line."""
    return {"1": _param(name, NAME_LIMIT), "2": _param(to_whatsapp(text), EXCERPT_LIMIT)}


def complete(text: str) -> bool:
    """Whether {{2}} carries the whole message (nothing had to be cut)."""
    flat = " ".join(to_whatsapp(text).split())
    return _param(to_whatsapp(text), EXCERPT_LIMIT) == (flat or "…")


def _param(value: str, limit: int) -> str:
    # WhatsApp refuses template parameters with line breaks, tabs or runs of spaces.
    flat = " ".join(value.split())
    if len(flat) <= limit:
        return flat or "…"
    cut = flat[:limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[:cut.rfind(" ")]
    return cut.rstrip(" ,.;:") + "…"

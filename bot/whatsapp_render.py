"""An outbox payload as WhatsApp can show it: formatting, and choices within WhatsApp's limits.

Limits (Twilio Content API, WhatsApp in-session): quick replies up to 3 buttons with titles up
to 20 characters; a list picker up to 10 rows with titles up to 24 characters and a button
label up to 20; the body of either up to 1,024 characters. Anything else becomes a numbered
list in the text, answered by sending the number. A plain message body holds 1,600 characters.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Literal

from locales import Translator, _

QUICK_REPLIES, QUICK_REPLY_TITLE = 3, 20
LIST_ROWS, LIST_TITLE, LIST_BUTTON = 10, 24, 20
INTERACTIVE_BODY = 1024
TEXT_BODY = 1600

Kind = Literal["text", "quick_reply", "list"]


@dataclass(frozen=True)
class Rendered:
    kind: Kind
    body: str
    # (title, payload) of the quick replies or list rows; empty for a plain text.
    choices: tuple[tuple[str, str], ...] = ()
    # The payloads of the numbered list in ``body``, in order: "2" answers numbered[1].
    numbered: tuple[str, ...] = ()
    button: str = ""  # the list picker's button label


def render(text: str, buttons: list[list[list[str]]], tr: Translator,
           has_media: bool = False) -> Rendered:
    """Choose how to show ``text`` (Synaq's HTML subset) with ``buttons`` (rows of
    [label, payload]) on WhatsApp."""
    body = to_whatsapp(text)
    choices = tuple((html.unescape(label).strip(), data) for row in buttons for label, data in row)
    if not choices:
        return Rendered("text", _clip(body, TEXT_BODY))
    titles = [title for title, _data in choices]
    distinct = len(set(titles)) == len(titles) and all(titles)
    if not has_media and distinct and len(body) <= INTERACTIVE_BODY:
        body = body or tr(_("Please choose:"))
        if len(choices) <= QUICK_REPLIES and all(len(t) <= QUICK_REPLY_TITLE for t in titles):
            return Rendered("quick_reply", body, choices)
        if len(choices) <= LIST_ROWS and all(len(t) <= LIST_TITLE for t in titles):
            return Rendered("list", body, choices, button=tr(_("Choose"))[:LIST_BUTTON])
    return numbered(body, choices, tr)


def numbered(body: str, choices: tuple[tuple[str, str], ...], tr: Translator) -> Rendered:
    lines = "\n".join(f"{i}. {title}" for i, (title, _data) in enumerate(choices, 1))
    hint = str(tr(_("Reply with the number of your choice.")))
    tail = f"{lines}\n\n_{hint}_"
    room = TEXT_BODY - len(tail) - 2
    head = _clip(body, max(room, 0))
    return Rendered("text", f"{head}\n\n{tail}" if head else tail,
                    numbered=tuple(data for _title, data in choices))


def _clip(text: str, limit: int) -> str:
    """Only a message longer than WhatsApp takes is cut (handlers/delivery.py splits long
    texts before they get here, so this is a last resort)."""
    return text if len(text) <= limit else text[:max(limit - 1, 0)].rstrip() + "…"


# --- formatting ------------------------------------------------------------------------------

_MARKS = {"b": "*", "strong": "*", "i": "_", "em": "_", "s": "~", "strike": "~", "del": "~",
          "code": "```", "pre": "```"}


def to_whatsapp(text: str) -> str:
    """Synaq's HTML subset → WhatsApp: <b>x</b> → *x*, <i>x</i> → _x_, entities unescaped."""
    parser = _Converter()
    parser.feed(text)
    parser.close()
    return parser.result().strip()


class _Converter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[tuple[str, int, str | None]] = []  # tag, start in out, link

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.out.append("\n")
        elif tag in _MARKS or tag == "a":
            self.open.append((tag, len(self.out), dict(attrs).get("href")))

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1][0] != tag:
            return  # a stray end tag: keep the text, drop the tag
        _tag, start, href = self.open.pop()
        inner = "".join(self.out[start:])
        del self.out[start:]
        core = inner.strip()
        if not core:
            self.out.append(inner)
            return
        lead = inner[:len(inner) - len(inner.lstrip())]
        trail = inner[len(inner.rstrip()):]
        if tag == "a":
            wrapped = core if not href or href == core else f"{core} ({href})"
        else:
            wrapped = f"{_MARKS[tag]}{core}{_MARKS[tag]}"
        self.out.append(f"{lead}{wrapped}{trail}")

    def handle_data(self, data: str) -> None:
        self.out.append(data)

    def result(self) -> str:
        return "".join(self.out)

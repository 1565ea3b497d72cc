"""The parent summary (form Г) as one A4 page: the eight parts and a photo of the work.

It must stay one page ("one-page summary", l. 8148): the layout is tried with a larger type
and photo first and made more compact until it fits.
"""

from __future__ import annotations

from datetime import datetime

from handlers.render.documents import Document
from handlers.summary.compose import Section
from storage.files import MediaStore

# (type size, photo width in mm), most generous first; the last one always fits.
LAYOUTS = ((9.5, 60.0), (9.0, 50.0), (8.5, 40.0), (8.0, 30.0), (7.5, 0.0))
GREY = (80, 80, 80)


def summary_pdf(title: str, child: str, subtitle: str, sections: list[Section],
                media: MediaStore, now: datetime, footer: str = "") -> bytes:
    """``title`` is the form's name (short: a heading that wraps looks broken), ``child``
    the pupil's name under it."""
    photo = _first_picture(sections, media)
    data = b""
    for size, width in LAYOUTS:
        doc = _render(title, child, subtitle, sections, photo if width else None, size, width,
                      now, footer)
        data = doc.output()
        if doc.pdf.pages_count == 1:
            break
    return data


def _first_picture(sections: list[Section], media: MediaStore) -> bytes | None:
    for section in sections:
        for picture in section.pictures:
            try:
                return media.read(picture.storage_key)
            except (OSError, ValueError):
                continue  # a file gone from disk: the summary still prints
    return None


def _render(title: str, child: str, subtitle: str, sections: list[Section],
            photo: bytes | None, size: float, width: float, now: datetime,
            footer: str) -> Document:
    doc = Document(title, footer=footer, created=now)
    doc.paragraph(child, size=size + 3, bold=True)
    doc.paragraph(subtitle, size=size, color=GREY)
    for i, section in enumerate(sections, 1):
        doc.heading(f"{i}. {section.title}", level=2)
        doc.paragraph("\n".join(section.lines), size=size)
        if section.pictures and photo is not None:
            try:
                doc.image(photo, width=width)
            except Exception:  # not a picture fpdf can read: leave it out
                continue
    return doc

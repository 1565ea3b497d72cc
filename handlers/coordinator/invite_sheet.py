"""Invites of one class: fresh codes, links, QR pictures and a printable sheet of slips.

Codes are kept only as hashes (storage/repos/invites.py), so a code can be shown only when it
is issued: every sheet, every list of links issues new codes, and the codes printed earlier
for the same people stop working. The sheet says so in its footer, the coordinator is asked
before it happens, and only people who have not joined yet get a slip (a new code for
someone already in would let a second phone into their account).

The coordinator's menu entry "Invites of a class" lives here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from handlers import access
from handlers.access import Action
from handlers.context import Context
from handlers.coordinator.buttons import LINKS, PDF, ClassInvites, IssueClassInvites
from handlers.coordinator.invites import InviteLine, links
from handlers.coordinator.trials import NO_CLASSES
from handlers.events import Attachment, Button, Outbound
from handlers.feature import Feature
from handlers.menu import ROLE_NAMES
from handlers.refusal import Refusal
from locales import Safe, _, translator
from storage.files import MediaStore
from storage.models import Person, Role, School, SchoolClass

feature = Feature("coordinator.invite_sheet")

if TYPE_CHECKING:
    from handlers.render.documents import Document

# Two columns of 90 × 58 mm slips: four rows to an A4 page inside the margins.
COLUMNS = 2
SLIP_W, SLIP_H = 90.0, 58.0
QR_SIZE = 30.0


@dataclass
class Slip:
    line: InviteLine
    locale: str  # the language the slip is written in
    class_name: str


def qr_target(line: InviteLine) -> str:
    """What a slip's QR picture opens: the Telegram deep link, else WhatsApp, else the code."""
    return line.telegram_link or line.whatsapp_link or line.code


async def pending_of_class(ctx: Context, school_class: SchoolClass) -> list[tuple[Person, str]]:
    """The pupils of the class and their parents who have not joined yet, in slip order: each
    pupil followed by their parents (the pupil takes the parents' slips home)."""
    order: list[tuple[Person, str]] = []
    seen: set[int] = set()
    for pupil in await ctx.people.in_class(school_class.id):
        if pupil.anonymised_at is not None or Role.PUPIL not in pupil.role_names:
            continue
        if pupil.id not in seen and not await ctx.people.identities(pupil.id):
            order.append((pupil, Role.PUPIL))
        seen.add(pupil.id)
        for parent in await ctx.people.guardians(pupil.id):
            if parent.id in seen or parent.anonymised_at is not None:
                continue
            seen.add(parent.id)
            if not await ctx.people.identities(parent.id):
                order.append((parent, Role.PARENT))
    return order


async def issue_for_class(ctx: Context, school: School,
                          school_class: SchoolClass) -> list[Slip]:
    """New codes (earlier ones revoked) for everyone of the class who has not joined yet."""
    slips = []
    for person, role in await pending_of_class(ctx, school_class):
        code = await ctx.invites.issue(person.id, role, school.id, ctx.now, ctx.config.invite_ttl)
        children = ([c.full_name for c in await ctx.people.children(person.id)
                     if c.class_id == school_class.id] if role == Role.PARENT else [])
        telegram, whatsapp = links(ctx, code)
        line = InviteLine(school.id, person.id, role, person.full_name, children, code,
                          telegram, whatsapp)
        slips.append(Slip(line, person.locale or school.default_locale, school_class.name))
    return slips


def save_qr_pictures(lines: list[InviteLine], folder: Path) -> list[Path]:
    """One PNG per invite, named by school, role and person id (never by name)."""
    from handlers.render.documents import qr_png  # fpdf and segno: only when a document is made

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for line in lines:
        path = folder / f"invite-{line.school_id or 0}-{line.role}-{line.person_id}.png"
        path.write_bytes(qr_png(qr_target(line)))
        written.append(path)
    return written


def _formatted(code: str) -> str:
    return f"{code[:4]} {code[4:]}"  # easier to read off paper and type


def sheet_pdf(school: School, school_class: SchoolClass, slips: list[Slip], issued: datetime,
              expires: datetime) -> bytes:
    """The printable sheet: cut-out slips, eight to an A4 page, in each person's language."""
    from handlers.render.documents import (  # fpdf: only when a sheet is made
        A4_HEIGHT,
        A4_WIDTH,
        Document,
    )

    tr = translator(school.default_locale)
    when = tr.datetime(issued, school.timezone, "dd.MM.yyyy HH:mm")
    footer = tr.plain(_("Issued {when}. Printing this sheet made new codes: codes given to "
                        "these people earlier no longer work."), when=when)
    title = tr.plain(_("Class {name}: invitations to Synaq"), name=school_class.name)
    doc = Document(title, footer=footer, created=issued)
    doc.paragraph(school.name, size=9, color=(80, 80, 80))
    if not slips:
        doc.paragraph(tr.plain(_("Everyone in this class and their parents have already "
                                 "joined; no codes were issued.")))
        return doc.output()
    left = (A4_WIDTH - COLUMNS * SLIP_W) / 2
    bottom = A4_HEIGHT - 18  # above the footer
    doc.flowing(False)
    y = doc.y + 2
    for index, slip in enumerate(slips):
        column = index % COLUMNS
        if column == 0 and index:
            y += SLIP_H
        if y + SLIP_H > bottom:
            doc.page_break()
            y = doc.y
        _slip(doc, slip, school, expires, left + column * SLIP_W, y)
    return doc.output()


def _slip(doc: Document, slip: Slip, school: School, expires: datetime,
          x: float, y: float) -> None:
    from handlers.render.documents import qr_png

    tr = translator(slip.locale)
    line = slip.line
    doc.dashed_rect(x, y, SLIP_W, SLIP_H)
    pad = 3.0
    text_w = SLIP_W - QR_SIZE - 3 * pad
    doc.image(qr_png(qr_target(line), scale=6), width=QR_SIZE, x=x + SLIP_W - QR_SIZE - pad,
              y=y + pad)
    cursor = doc.text_at(x + pad, y + pad, text_w, line.person, size=10.5, bold=True)
    if line.role == Role.PARENT:
        role = tr.plain(_("Parent of {children}"), children=", ".join(line.pupils))
    else:
        role = tr.plain(_("{role}, class {name}"), role=tr.plain(ROLE_NAMES[line.role]),
                        name=slip.class_name)
    cursor = doc.text_at(x + pad, cursor + 0.5, text_w, role, size=8)
    cursor = doc.text_at(x + pad, cursor + 1.5, text_w, tr.plain(_("Your code:")), size=8)
    cursor = doc.text_at(x + pad, cursor, text_w, _formatted(line.code), size=15, bold=True)
    until = tr.date(expires, school.timezone, "dd.MM.yyyy")
    doc.text_at(x + pad, cursor + 0.5, text_w,
                tr.plain(_("Single use, valid until {date}."), date=until), size=7)
    below = y + pad + QR_SIZE + 2
    if line.telegram_link:
        below = doc.text_at(x + pad, below, SLIP_W - 2 * pad, f"Telegram: {line.telegram_link}",
                            size=7)
    if line.whatsapp_link:
        below = doc.text_at(x + pad, below, SLIP_W - 2 * pad, f"WhatsApp: {line.whatsapp_link}",
                            size=7)
    doc.text_at(x + pad, below + 0.8, SLIP_W - 2 * pad, tr.plain(_(
        "Scan the QR code with your phone's camera, or open the link, or send the code to "
        "the Synaq bot.")), size=7.5)


# --- the coordinator's menu ---------------------------------------------------------------


async def coordinator_class(ctx: Context, class_id: int) -> SchoolClass:
    """The class if it belongs to the current coordinator's school; raises :class:`Refusal`
    for a forged id (``Action.INVITE_CLASS``)."""
    grant = await access.check(ctx, Action.INVITE_CLASS, class_id=class_id)
    if grant is None or grant.school_class is None:
        raise Refusal()
    return grant.school_class


@feature.menu(Role.COORDINATOR)
async def _invites_entry(ctx: Context) -> list[Button]:
    return [Button(ctx.tr.plain(_("✉️ Invites of a class")), ClassInvites().pack())]


@feature.button(ClassInvites)
async def _choose_class(ctx: Context, p: ClassInvites) -> list[Outbound]:
    """Without a class, the classes; with one, what to issue for it."""
    grant = await access.check(ctx, Action.INVITE_CLASS)
    if grant is None or grant.school_id is None:
        raise Refusal()
    if p.class_id is None:
        classes = await ctx.schools.classes(grant.school_id)
        if not classes:
            raise Refusal(NO_CLASSES)
        buttons = [Button(c.name, ClassInvites(c.id).pack()) for c in classes]
        rows = [buttons[i:i + 4] for i in range(0, len(buttons), 4)]
        return [ctx.say(_("Which class?"), rows)]
    school_class = await coordinator_class(ctx, p.class_id)
    pending = await pending_of_class(ctx, school_class)
    if not pending:
        return [ctx.say(_("Everyone in class {name} and their parents have already joined."),
                        name=school_class.name)]
    tr = ctx.tr
    choices = [[Button(tr.plain(_("🖨 Printable sheet (PDF)")),
                       IssueClassInvites(school_class.id, PDF).pack())],
               [Button(tr.plain(_("🔗 Links in this chat")),
                       IssueClassInvites(school_class.id, LINKS).pack())]]
    return [ctx.say(_("Class {name}. People who have not joined yet: {count}. New codes "
                      "will be issued for them, and the codes they were given earlier will "
                      "stop working."), choices, name=school_class.name, count=len(pending))]


@feature.button(IssueClassInvites)
async def _issue(ctx: Context, p: IssueClassInvites) -> list[Outbound]:
    """Issue the codes and send the sheet or the links."""
    school_class = await coordinator_class(ctx, p.class_id)
    kind = p.via
    if kind not in (PDF, LINKS):
        raise Refusal()
    school = await ctx.schools.get(school_class.school_id)
    assert school is not None and ctx.person is not None
    slips = await issue_for_class(ctx, school, school_class)
    await ctx.audit.record(ctx.person.id, "invites.issue", f"class:{school_class.id}",
                                    ctx.now, count=len(slips), via=kind)
    if not slips:
        return [ctx.say(_("Everyone in class {name} and their parents have already joined."),
                        name=school_class.name)]
    if kind == PDF:
        data = sheet_pdf(school, school_class, slips, ctx.now, ctx.now + ctx.config.invite_ttl)
        key, _digest = MediaStore(ctx.config.media_dir).put(data, "application/pdf", ctx.now)
        name = f"invites-{school_class.id}.pdf"
        return [Outbound(text=ctx.tr(_("Class {name}: invitation slips to print and cut "
                                       "out ({count}). Codes given earlier to these people "
                                       "no longer work."), name=school_class.name,
                                     count=len(slips)),
                         person_id=ctx.person.id,
                         attachments=[Attachment("document", key, name, "application/pdf")])]
    tr = ctx.tr
    lines = [tr(_("Class {name}: new codes. Codes given earlier to these people no longer "
                  "work."), name=school_class.name)]
    for slip in slips:
        line = slip.line
        who = (tr(_("{name}, parent of {children}"), name=line.person,
                  children=", ".join(line.pupils)) if line.role == Role.PARENT else
               tr(_("{name}, pupil"), name=line.person))
        link = line.telegram_link or line.whatsapp_link
        lines.append(Safe(f"{who}\n<b>{line.code}</b>" + (f" {link}" if link else "")))
    return [Outbound(text=Safe("\n\n".join(lines)), person_id=ctx.person.id)]

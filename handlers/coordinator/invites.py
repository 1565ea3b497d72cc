"""Issuing invite codes and the links that carry them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from urllib.parse import quote

from handlers.context import Context
from handlers.feature import ROLE_ORDER
from storage.models import Person, Role


@dataclass
class InviteLine:
    school_id: int | None
    person_id: int
    role: str
    person: str
    pupils: list[str]  # for a parent: the children the invite links them to
    code: str
    telegram_link: str | None
    whatsapp_link: str | None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def primary_role(person: Person) -> str:
    return next((r for r in ROLE_ORDER if r in person.role_names), Role.PUPIL)


def links(ctx: Context, code: str) -> tuple[str | None, str | None]:
    telegram = (f"https://t.me/{ctx.config.telegram_username}?start={code}"
                if ctx.config.telegram_username else None)
    number = (ctx.config.whatsapp_from or "").removeprefix("whatsapp:").lstrip("+")
    whatsapp = f"https://wa.me/{number}?text={quote('JOIN ' + code)}" if number else None
    return telegram, whatsapp


async def issue_for_pending(ctx: Context, school_id: int | None = None,
                            role: str | None = None) -> list[InviteLine]:
    """A fresh code for everyone who has not joined yet (earlier codes stop working);
    recorded in the audit log (the command line's admin action: no person acts)."""
    people = [p for p in await ctx.people.not_joined(school_id)
              if role is None or role in p.role_names]
    await ctx.audit.record(None, "invites.issue", f"school:{school_id or 'all'}",
                                    ctx.now, count=len(people), role=role, via="cli")
    lines = []
    for person in people:
        main = role or primary_role(person)
        code = await ctx.invites.issue(person.id, main, person.school_id, ctx.now,
                                       ctx.config.invite_ttl)
        pupils = ([c.full_name for c in await ctx.people.children(person.id)]
                  if Role.PARENT in person.role_names else [])
        telegram, whatsapp = links(ctx, code)
        lines.append(InviteLine(person.school_id, person.id, main, person.full_name, pupils,
                                code, telegram, whatsapp))
    return lines

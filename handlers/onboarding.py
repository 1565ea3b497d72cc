"""Joining by invite, and the polite answer to anyone who is not invited.

A stranger is stored nowhere: only a hash of their address, and only after a wrong code, to
slow down guessing.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select

from flows.language import LANGUAGE
from handlers import conversation
from handlers.context import Context
from handlers.events import Inbound, Outbound
from handlers.feature import Feature
from handlers.menu import menu
from locales import LOCALES, Safe, _, translator
from storage.models import CodeAttempt, FlowRun, Invite
from storage.repos.invites import looks_like_code, normalise_code

feature = Feature("onboarding")

MAX_FAILED_CODES = 5
FAILED_CODE_WINDOW = timedelta(minutes=15)

_JOIN = re.compile(r"^\s*(?:/start|join|қосылу|войти)\s+(\S+)\s*$", re.IGNORECASE)


def code_in(text: str | None) -> str | None:
    """An invite code in a message: "/start CODE", "JOIN CODE", or the code alone."""
    if not text:
        return None
    m = _JOIN.match(text)
    candidate = m.group(1) if m else text
    return normalise_code(candidate) if looks_like_code(candidate) else (
        normalise_code(candidate) if m else None)


async def stranger(ctx: Context, inbound: Inbound) -> list[Outbound]:
    """A message from someone we do not know yet."""
    tr = translator(inbound.language_hint or ctx.config.default_locale)
    code = code_in(inbound.text)
    if code is None:
        return [Outbound(text=tr(_(
            "Hello! Synaq helps schools run professional trials. It works for the pupils, "
            "parents, mentors and teachers a school has invited.\n\n"
            "To join, send the invite code from your school (8 characters: letters and digits) "
            "or open the link you were given. No code? Please ask your school's "
            "career-guidance coordinator.")))]

    sender = _sender_hash(inbound.channel, inbound.address)
    if await _too_many_failures(ctx, sender):
        return [Outbound(text=tr(_(
            "Too many wrong codes were sent from this chat. Please wait 15 minutes and try "
            "again, or ask your coordinator to check the code.")))]

    invite = await ctx.invites.find(code)
    problem = _invite_problem(ctx, invite)
    if problem is not None:
        if invite is None:
            ctx.session.add(CodeAttempt(sender_hash=sender, at=ctx.now))
        return [Outbound(text=tr(problem))]
    assert invite is not None

    person = await ctx.people.get(invite.person_id)
    if person is None or not await ctx.invites.redeem(invite, ctx.now):
        return [Outbound(text=tr(_used_msg()))]
    await ctx.people.add_role(person, invite.role)
    ctx.identity = await ctx.people.bind_identity(person, inbound.channel, inbound.address, ctx.now)
    ctx.person = person
    await ctx.session.execute(delete(CodeAttempt).where(CodeAttempt.sender_hash == sender))
    if person.locale is None and inbound.language_hint:
        hinted = inbound.language_hint.split("-")[0].lower()
        person.locale = hinted if hinted in LOCALES else None
    welcome = ctx.say(_("Welcome to Synaq, {name}!"), name=person.full_name)
    return [welcome, *await ask_language(ctx)]


async def known_person_code(ctx: Context, code: str) -> list[Outbound]:
    """A code sent by someone already registered on this chat."""
    assert ctx.person is not None
    invite = await ctx.invites.find(code)
    problem = _invite_problem(ctx, invite)
    if problem is not None:
        return [ctx.say(problem)]
    assert invite is not None
    if invite.person_id != ctx.person.id:
        return [ctx.say(_(
            "This chat belongs to {name}, and this code was made for someone else. If the new "
            "role is for you, ask your coordinator to add it to your account; if the code is "
            "for another person, they should open it in their own chat."),
            name=ctx.person.full_name)]
    await ctx.invites.redeem(invite, ctx.now)
    await ctx.people.add_role(ctx.person, invite.role)

    return [ctx.say(_("Done: a new role is added to your account.")), await menu(ctx)]


def _invite_problem(ctx: Context, invite: Invite | None) -> str | None:
    if invite is None:
        return _("I do not know this code. Please check it against your invitation "
                 "(8 characters: letters and digits) or ask your school coordinator for a new "
                 "one.")
    if invite.used_at is not None:
        return _used_msg()
    if invite.revoked_at is not None:
        return _("This code has been replaced by a newer one. Please use the latest code "
                 "your school gave you.")
    if invite.expires_at <= ctx.now:
        return _("This code has expired. Please ask your school coordinator for a new one.")
    return None


def _used_msg() -> str:
    return _("This code has already been used. If that was you on another phone, you are "
             "registered there; otherwise please ask your coordinator for a new code.")


def _sender_hash(channel: str, address: str) -> str:
    return hashlib.sha256(f"{channel}:{address}".encode()).hexdigest()


async def _too_many_failures(ctx: Context, sender: str) -> bool:
    since = ctx.now - FAILED_CODE_WINDOW
    await ctx.session.execute(delete(CodeAttempt).where(CodeAttempt.at < since))
    count = await ctx.session.scalar(
        select(func.count()).select_from(CodeAttempt)
        .where(CodeAttempt.sender_hash == sender, CodeAttempt.at >= since))
    return (count or 0) >= MAX_FAILED_CODES


# --- language ----------------------------------------------------------------------------

async def ask_language(ctx: Context) -> list[Outbound]:
    return await conversation.start(ctx, LANGUAGE)


async def _language_prompt(ctx: Context, run: FlowRun) -> dict[str, Any]:
    lines = [translator(loc)(_("Please choose your language.")) for loc in LOCALES]
    return {"prompt": Safe("\n".join(lines))}


async def _language_chosen(ctx: Context, run: FlowRun,
                           answers: dict[str, dict[str, Any]]) -> list[Outbound]:
    assert ctx.person is not None
    ctx.person.locale = answers["locale"]["choice"]

    return [ctx.say(_("Language saved: English. You can change it any time with /language.")),
            await menu(ctx)]


feature.flow(LANGUAGE, context=_language_prompt, on_complete=_language_chosen)


@feature.command("/language")
async def _language_command(ctx: Context, inbound: Inbound, arg: str) -> list[Outbound]:
    return await ask_language(ctx)

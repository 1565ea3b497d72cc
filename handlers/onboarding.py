"""Joining by invite, and the polite answer to anyone who is not invited.

A stranger is stored nowhere: only a hash of their address, and only after a wrong code, to
slow down guessing.
"""

from __future__ import annotations

import re
from typing import Any

from flows.language import LANGUAGE
from handlers import conversation
from handlers.context import Context
from handlers.events import Inbound, Outbound
from handlers.feature import Feature
from handlers.menu import menu
from locales import LOCALES, Safe, _, translator
from storage.models import FlowRun, Invite
from storage.repos.invites import looks_like_code, normalise_code

feature = Feature("onboarding")

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

    if await ctx.invites.too_many_failures(inbound.channel, inbound.address, ctx.now):
        return [Outbound(text=tr(_too_many_msg()))]

    invite = await ctx.invites.find(code)
    problem = _invite_problem(ctx, invite)
    if problem is not None:
        await ctx.invites.failed(inbound.channel, inbound.address, ctx.now)
        return [Outbound(text=tr(problem))]
    assert invite is not None

    person = await ctx.people.get(invite.person_id)
    if person is None or not await ctx.invites.redeem(invite, ctx.now):
        return [Outbound(text=tr(_used_msg()))]
    await ctx.people.add_role(person, invite.role)
    ctx.identity = await ctx.people.bind_identity(person, inbound.channel, inbound.address, ctx.now)
    ctx.person = person
    await ctx.invites.forget_failures(inbound.channel, inbound.address)
    if person.locale is None and inbound.language_hint:
        hinted = inbound.language_hint.split("-")[0].lower()
        person.locale = hinted if hinted in LOCALES else None
    welcome = ctx.say(_("Welcome to Synaq, {name}!"), name=person.full_name)
    return [welcome, *await ask_language(ctx)]


async def known_person_code(ctx: Context, code: str) -> list[Outbound]:
    """A code sent by someone already registered on this chat."""
    assert ctx.person is not None and ctx.identity is not None
    sender = (ctx.identity.channel, ctx.identity.address)
    if await ctx.invites.too_many_failures(*sender, ctx.now):
        return [ctx.say(_too_many_msg())]
    invite = await ctx.invites.find(code)
    if invite is not None and invite.person_id != ctx.person.id:
        invite = None  # someone else's code, valid or not, is answered as an unknown one
    problem = _invite_problem(ctx, invite)
    if problem is not None:
        await ctx.invites.failed(*sender, ctx.now)
        return [ctx.say(problem)]
    assert invite is not None
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


def _too_many_msg() -> str:
    return _("Too many wrong codes were sent from this chat. Please wait 15 minutes and try "
             "again, or ask your coordinator to check the code.")


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

"""The entry point for every inbound event: who is it, and what did they mean?"""

from __future__ import annotations

from dataclasses import replace

from flows.engine import TextInput
from handlers import conversation, media, menu, onboarding
from handlers.context import Context
from handlers.events import Inbound, Outbound
from handlers.refusal import NOT_ACTIVE, Refusal
from locales import _
from locales.typed_text import clean_typed
from storage.repos.invites import looks_like_code

FLOW_COMMANDS = ("/back", "/skip", "/done")



async def handle(ctx: Context, inbound: Inbound) -> list[Outbound]:
    """What to answer ``inbound``; a handler's :class:`Refusal` is said here, in the
    person's language."""
    try:
        return await _handle(ctx, inbound)
    except Refusal as refusal:
        return [ctx.say(refusal.msgid, **refusal.params)]


async def _handle(ctx: Context, inbound: Inbound) -> list[Outbound]:
    if inbound.text:
        inbound = replace(inbound, text=clean_typed(inbound.text))
    found = await ctx.people.by_identity(inbound.channel, inbound.address)
    if found is None or found[0].anonymised_at is not None:
        return await onboarding.stranger(ctx, inbound)
    ctx.person, ctx.identity = found
    ctx.people.seen(ctx.person, ctx.identity, inbound.received_at)

    if inbound.callback is not None:
        prefix, *args = inbound.callback.split(":")
        route = ctx.wiring.buttons.get(prefix)
        pressed = route[0].parse(args) if route is not None else None
        if route is None or pressed is None:  # an unknown kind, or forged / stale fields
            raise Refusal(NOT_ACTIVE)
        return await route[1](ctx, pressed)

    text = (inbound.text or "").strip()
    if text.startswith("/") and not inbound.media:
        return await _command(ctx, inbound, text)

    runs = await ctx.runs.active_for(ctx.person.id)
    run = runs[0] if runs else None
    if inbound.unsupported:
        out = [ctx.say(_("I cannot read this kind of message. Please send text, a photo or a "
                         "file, or use the buttons."))]
        return out + (await conversation.resume(ctx, run) if run else [])
    if inbound.media and not (run and conversation.accepts_media(run, inbound.media[0].kind)):
        for take in ctx.wiring.files:  # a file no question is waiting for (an import)
            taken = await take(ctx, inbound.media[0])
            if taken is not None:
                return taken
    if run is None:
        if text and looks_like_code(text):
            return await onboarding.known_person_code(ctx, onboarding.code_in(text) or text)
        return [ctx.say(_("I did not quite understand. Here is what you can do now:")),
                await menu.menu(ctx)]
    if inbound.media:
        return await media.receive(ctx, run, inbound.media[0])
    if not text:
        return await conversation.resume(ctx, run)
    return await conversation.answer(ctx, run, TextInput(text))


async def _command(ctx: Context, inbound: Inbound, text: str) -> list[Outbound]:
    name, _sep, arg = text.partition(" ")
    name = name.split("@")[0].lower()  # "/help@SynaqBot" in groups
    arg = arg.strip()
    if name == "/start":
        code = onboarding.code_in(text) if arg else None
        if code:
            return await onboarding.known_person_code(ctx, code)
        return [await menu.menu(ctx)]
    if name in FLOW_COMMANDS:
        runs = await ctx.runs.active_for(ctx.person.id) if ctx.person else []
        if not runs:
            return [ctx.say(_("There is no open questionnaire right now.")), await menu.menu(ctx)]
        return await conversation.answer(ctx, runs[0], TextInput(name))
    handler = ctx.wiring.commands.get(name)
    if handler is None:
        return [ctx.say(_("I do not know the command {command}. Send /help to see what I can "
                          "do."), command=name[:40])]
    return await handler(ctx, inbound, arg)

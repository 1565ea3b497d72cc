"""The entry point for every inbound event: who is it, and what did they mean?"""

from __future__ import annotations

import importlib
from dataclasses import replace

from flows.engine import TextInput
from locales import _
from locales.typed_text import clean_typed
from storage.repos.invites import looks_like_code

from . import conversation, media, menu, onboarding
from .context import Context
from .events import Inbound, Outbound
from .routing import CALLBACKS, COMMANDS, FILE_HANDLERS

FLOW_COMMANDS = ("/back", "/skip", "/done")

# Feature modules register their callbacks, commands, menu sections and reminders on import.
FEATURES = (
    "coordinator",  # first: "New trial" and "My trials" head the coordinator's menu
    "pupil",
    "short_card",
    "mentor",
    "mentor_rubric",
    "escort",
    "parent",
    "portfolio",
    "summary",
    "reminders",
    "digest",
    "quarterly",
    "agreements",
    "delivery_report",
    "coordinator_import",
    "invite_sheet",
    "reports",
    "regional",
    "trial_setup",
    "trial_changes",
    "trial_status",
    "mydata",
    "deletion",
    "retention",
)
for _feature in FEATURES:
    importlib.import_module(f"{__package__}.{_feature}")


async def handle(ctx: Context, inbound: Inbound) -> list[Outbound]:
    if inbound.text:
        inbound = replace(inbound, text=clean_typed(inbound.text))
    found = await ctx.people.by_identity(inbound.channel, inbound.address)
    if found is None or found[0].anonymised_at is not None:
        return await onboarding.stranger(ctx, inbound)
    ctx.person, ctx.identity = found
    ctx.people.seen(ctx.person, ctx.identity, inbound.received_at)

    if inbound.callback is not None:
        prefix, *args = inbound.callback.split(":")
        handler = CALLBACKS.get(prefix)
        if handler is None:
            return [ctx.say(_("This button is no longer active."))]
        return await handler(ctx, args)

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
        for take in FILE_HANDLERS:  # a file no question is waiting for (an import)
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
    handler = COMMANDS.get(name)
    if handler is None:
        return [ctx.say(_("I do not know the command {command}. Send /help to see what I can "
                          "do."), command=name[:40])]
    return await handler(ctx, inbound, arg)

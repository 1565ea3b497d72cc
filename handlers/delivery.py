"""Puts outbound messages into the outbox, each addressed to the right channel."""

from __future__ import annotations

import logging

from handlers.context import Context
from handlers.events import Inbound, Outbound
from handlers.priority import priority_of
from handlers.textsplit import split_html

# What one message may carry, per channel (Telegram: 4096 text, 1024 caption; WhatsApp: a
# plain body 1600, but the body of quick replies and list pickers only 1024). A longer text
# becomes several messages, each one call to the channel, so that a retry never repeats a
# part already delivered.
TEXT_LIMIT = {"telegram": 4096, "whatsapp": 1024}
CAPTION_LIMIT = {"telegram": 1024, "whatsapp": 1024}

log = logging.getLogger(__name__)


async def enqueue(ctx: Context, messages: list[Outbound], inbound: Inbound | None = None) -> int:
    """Queue ``messages`` in the current transaction; returns how many were queued.

    A reply to the sender goes back where they wrote from; anything else goes to the
    recipient's most recently used channel. People who never joined get nothing (the digest
    lists them), and a ``dedup_key`` seen before is not queued again.
    """
    sender_id = ctx.person.id if ctx.person else None
    others = {m.person_id for m in messages if m.person_id is not None
              and m.reply_to is None and not (inbound and m.person_id == sender_id)}
    identities = await ctx.people.preferred_identities(others)
    routed: list[tuple[Outbound, str, str, int]] = []
    for message in messages:
        if message.reply_to is not None:
            channel, address = message.reply_to
        elif inbound is not None and (message.person_id is None or message.person_id == sender_id):
            channel, address = inbound.channel, inbound.address
        elif message.person_id in identities:
            identity = identities[message.person_id]
            channel, address = identity.channel, identity.address
        else:
            log.info("person %s has no channel yet; %s not queued", message.person_id,
                     message.purpose)
            continue
        to_sender = inbound is not None and (channel, address) == (inbound.channel,
                                                                    inbound.address)
        # The outbox's order: see handlers/priority.py and OutboxRepo.claim.
        routed.append((message, channel, address, await priority_of(ctx, message, to_sender)))
    turns = await ctx.outbox.fair_turns(
        [(priority, message.person_id, channel, address)
         for message, channel, address, priority in routed])
    queued = 0
    for (message, channel, address, priority), (lane, seq) in zip(routed, turns, strict=True):
        for index, part in enumerate(_parts(message, channel)):
            key = message.dedup_key
            if key is not None and index:
                key = f"{key}#{index}"
            added = await ctx.outbox.add(
                person_id=message.person_id, channel=channel, address=address,
                purpose=message.purpose, payload=part, now=ctx.now, dedup_key=key,
                trial_id=message.trial_id, not_before=message.not_before,
                priority=priority, lane=lane, fair_seq=seq,
            )
            if not added and index == 0:
                break  # queued before: so were its other parts
            queued += int(added)
    return queued


def _parts(message: Outbound, channel: str) -> list[dict[str, object]]:
    """One payload per call to the channel: text parts, then attachments; a single
    attachment carries a short text as its caption. Buttons go with the last text part."""
    payload = message.payload()
    attachments, buttons = payload["attachments"], payload["buttons"]
    text_limit = TEXT_LIMIT.get(channel)
    caption_limit = CAPTION_LIMIT.get(channel)
    if text_limit is None:
        return [payload]
    if len(attachments) == 1 and caption_limit and len(message.text) <= caption_limit:
        return [payload]
    parts: list[dict[str, object]] = []
    texts = split_html(message.text, text_limit) if message.text else []
    for i, text in enumerate(texts):
        last = i == len(texts) - 1
        parts.append({"text": text, "buttons": buttons if last else [], "attachments": []})
    for attachment in attachments:
        parts.append({"text": "", "buttons": [], "attachments": [attachment]})
    return parts

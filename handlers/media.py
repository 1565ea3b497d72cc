"""Receiving a file into a flow: checked, kept only where the rules allow, then answered.

Features decide per flow whether a pupil's media may be kept (the three-tier photo rule):
``Feature.flow(..., media_rule=...)`` binds a function returning the effective tier, or None
when no restriction applies (e.g. a document from staff).
"""

from __future__ import annotations

from handlers import conversation
from handlers.context import Context
from handlers.events import IncomingMedia, Outbound
from locales import _
from storage.files import EXTENSIONS, MediaStore
from storage.models import FlowRun, PhotoTier

# Kinds that the three-tier photo/video rule covers; a voice note is an answer, not an image.
VISUAL = {"photo", "video", "document"}


class MediaTooLarge(Exception):
    """Raised by :attr:`IncomingMedia.fetch` when the file turns out larger than allowed
    (channels that cannot tell the size before downloading stop there)."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


async def receive(ctx: Context, run: FlowRun, item: IncomingMedia) -> list[Outbound]:
    """A file sent while ``run`` waits for an answer."""
    if not conversation.accepts_media(run, item.kind):
        # Let the engine explain what this step expects instead (nothing is stored).
        return await conversation.media_input(ctx, run, 0, item.kind)
    # A flow that refuses input now (e.g. consent withdrawn) must not keep the file either.
    refusal = await conversation.guard(ctx, run)
    if refusal is not None:
        return refusal
    hooks = ctx.wiring.hooks(run.flow_id)
    tier = await hooks.media_rule(ctx, run) if hooks and hooks.media_rule else None
    if tier == PhotoTier.PROHIBITED and item.kind in VISUAL:
        return [ctx.say(_(
            "Thank you! Photos and videos from this trial cannot be kept: the permissions "
            "given for it do not allow it, so I have not saved the file. You can describe "
            "what you made in words instead."))]
    limit = ctx.config.max_upload_bytes
    if item.mime not in EXTENSIONS:
        return [ctx.say(_("I cannot keep this type of file. Please send a photo, a PDF or a "
                          "voice note."))]
    if item.size is not None and item.size > limit:
        return [_too_big(ctx, item.size, limit)]
    try:
        data = await item.fetch()
    except MediaTooLarge as exc:  # the channel learnt the size only while downloading
        return [_too_big(ctx, exc.size, limit)]
    if len(data) > limit:
        return [_too_big(ctx, len(data), limit)]
    store = MediaStore(ctx.config.media_dir)
    key, digest = store.put(data, item.mime, ctx.now)
    media = await ctx.media.add(
        person_id=ctx.person.id if ctx.person else None, pupil_id=run.pupil_id or run.person_id,
        trial_id=run.trial_id, run_id=run.id, step_id=run.step_id, kind=item.kind,
        mime=item.mime, size=len(data), sha256=digest, storage_key=key, tier=tier,
        created_at=ctx.now,
    )
    return await conversation.media_input(ctx, run, media.id, item.kind)


def _too_big(ctx: Context, size: int, limit: int) -> Outbound:
    return ctx.say(_("This file is {size} MB; I can keep files up to {limit} MB. Please send "
                     "a smaller one."), size=round(size / 2**20, 1), limit=limit // 2**20)

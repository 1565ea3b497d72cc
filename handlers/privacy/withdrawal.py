"""What a withdrawn consent stops, at once (trial-cycle.md: "consent can be withdrawn at any
time and the withdrawal takes effect at once").

Called in the same transaction as the ledger's "withdrawn" row (handlers/parent/consent.py): a
rubric card about the pupil still open is closed (the rubric's guard asks only whether the
card is the mentor's); the trial's timed messages still waiting for the pupil or their
parents are withdrawn; the files the pupil sent about that trial are deleted (the parent was
told that none would be kept). The pupil's own open questionnaire stays open so that their
next answer is refused with the reason (handlers/pupil/questionnaires.py's guard), and every
other reader checks the current consent again (the rubric's list, the summary, the portfolio),
so nothing new is collected, shown or sent about that trial. What was recorded before stays.
"""

from __future__ import annotations

from handlers.context import Context
from handlers.privacy.retention import unlink_after_commit
from storage.models import Person, Trial

WITHDRAWN = "the parent withdrew consent"


async def stop_processing(ctx: Context, trial: Trial, pupil: Person) -> dict[str, int]:
    repo = ctx.privacy
    runs = await repo.open_cards_about(trial.id, pupil.id)
    for run in runs:
        await ctx.runs.cancel(run, ctx.now)
    family = [pupil.id, *(p.id for p in await ctx.people.guardians(pupil.id))]
    withdrawn = await ctx.due_work.cancel(await repo.waiting_about(trial.id, family),
                                                  WITHDRAWN)
    media = await repo.media_of(trial.id, pupil.id)
    await repo.delete_media([m.id for m in media])
    unlink_after_commit(ctx, [m.storage_key for m in media])
    return {"runs": len(runs), "messages": withdrawn, "media": len(media)}

"""Warnings for a trial that would overlap another with the same mentor or class, shown on
the set-up card before "Create" (the import reports its own: storage/importer)."""

from __future__ import annotations

from datetime import datetime

from handlers.context import Context
from handlers.coordinator.trials import span
from locales import _


async def overlap_lines(ctx: Context, starts: datetime, ends: datetime, tz: str, *,
                        mentor_id: int | None, class_id: int | None,
                        except_id: int | None = None) -> list[str]:
    """One line (HTML, escaped) per overlapping trial; none when nothing overlaps."""
    lines: list[str] = []
    for trial in await ctx.overlaps.clashing(starts, ends, mentor_id=mentor_id,
                                                      class_id=class_id, except_id=except_id):
        msgid = (_("⚠️ The mentor has another trial at the same time: “{title}”, {when}.")
                 if mentor_id and trial.mentor_id == mentor_id else
                 _("⚠️ The class has another trial at the same time: “{title}”, {when}."))
        lines.append(ctx.tr(msgid, title=trial.title,
                            when=span(ctx.tr, trial.starts_at, trial.ends_at, tz)))
    return lines

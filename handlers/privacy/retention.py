"""Retention: how long Synaq keeps what, and the daily purge.

``RETENTION`` (default ``school-year+2``) says how long media and free text are kept. A
school year ends on 31 May; ``school-year+N`` keeps whatever was made during a school year
until the end of the N-th school year after it. The default, "the end of the school year
after next", keeps a photo sent in November 2026 (school year 2026/27, ending 31 May 2027)
until 31 May 2029 and purges it from 1 June 2029, 00:00 local time — long enough for the
quarterly reviews, the year's targets and a pupil's trajectory over the next year, no
longer. ``Nd`` keeps things N days instead.

What the purge removes, once a day (the ``retention`` due job; each run is recorded in the
audit log with its counts, which is also how the job knows when it last ran):

- media files and their rows made before the cutoff;
- free-text and voice/file answers of questionnaires answered before it (choices stay: they
  are the depersonalised counts), medical notes of consents, teachers' lines of summaries
  and mentors' reasons for not coming;
- message records: the text and address of a message handled more than
  ``MESSAGE_TEXT_DAYS`` ago (purpose, status and dates stay, for the delivery reports and
  for ``/mydata``), the whole row once it is older than the cutoff; inbound message ids
  older than 30 days (they only guard against a redelivery);
- files no row and no waiting message refers to (a generated PDF once its message is
  redacted, a file whose transaction never committed), once they are a day old.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import event

from handlers.context import Context
from handlers.events import Outbound
from handlers.feature import Feature
from storage.files import MediaStore

feature = Feature("privacy.retention")

PURGE = "retention.purge"
EVERY = timedelta(hours=24)
INBOUND_KEPT = timedelta(days=30)
# A file without a row may be one whose transaction has not committed yet.
ORPHAN_GRACE = timedelta(days=1)
SCHOOL_YEAR_END = (5, 31)  # 31 May

_SETTING = re.compile(r"^\s*(?:school-year\+(\d+)|(\d+)d)\s*$")


def parse_retention(text: str) -> tuple[str, int]:
    """``school-year+N`` → ("school-year", N); ``Nd`` → ("days", N)."""
    m = _SETTING.match(text)
    if m is None:
        raise ValueError(f"RETENTION must look like school-year+2 or 730d, not {text!r}")
    if m.group(1) is not None:
        return "school-year", int(m.group(1))
    days = int(m.group(2))
    if days < 1:
        raise ValueError("RETENTION in days must be at least 1d")
    return "days", days


def cutoff(now: datetime, setting: str, timezone: str) -> datetime:
    """Things made before this moment are purged at ``now``."""
    kind, n = parse_retention(setting)
    if kind == "days":
        return now - timedelta(days=n)
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    month, day = SCHOOL_YEAR_END
    # The latest school year that has fully ended ends on 31 May of ``ended``.
    ended = today.year if today > date(today.year, month, day) else today.year - 1
    # Kept to the end of the n-th school year after their own: those whose own year ended
    # on 31 May of ``ended - n`` or earlier are due, i.e. made before 1 June of that year.
    return datetime.combine(date(ended - n, month, day) + timedelta(days=1), time(), zone)


def unlink_after_commit(ctx: Context, keys: Iterable[str]) -> None:
    """Delete these files once the transaction that forgot their rows has committed (a
    rollback keeps them; a crash in between leaves orphans the purge removes later)."""
    keys = list(keys)
    if not keys:
        return
    store = MediaStore(ctx.config.media_dir)

    def gone(_session: object) -> None:
        for key in keys:
            with contextlib.suppress(ValueError, OSError):
                store.delete(key)

    event.listen(ctx.session.sync_session, "after_commit", gone, once=True)


def orphans(root: Path, referenced: set[str], older_than: datetime) -> list[str]:
    """Keys of files under ``root`` that nothing refers to and that are old enough."""
    if not root.is_dir():
        return []
    found = []
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        key = path.relative_to(root).as_posix()
        if key in referenced:
            continue
        if datetime.fromtimestamp(path.stat().st_mtime, older_than.tzinfo) < older_than:
            found.append(key)
    return found


async def purge(ctx: Context) -> dict[str, int]:
    """One purge as of ``ctx.now``; returns what it removed."""
    repo = ctx.privacy
    before = cutoff(ctx.now, ctx.config.retention, ctx.config.timezone)
    media = await repo.old_media(before)
    counts = {
        "media": await repo.delete_media([m.id for m in media]),
        "answers": await repo.redact_old_answers(before),
        "notes": await repo.clear_old_notes(before),
        "message_texts": await repo.redact_old_messages(
            ctx.now - timedelta(days=ctx.config.message_text_days)),
        "messages": await repo.delete_old_messages(before),
        "inbound_ids": await repo.forget_inbound(ctx.now - INBOUND_KEPT),
    }
    lost = orphans(ctx.config.media_dir, await repo.referenced_files(), ctx.now - ORPHAN_GRACE)
    counts["orphan_files"] = len(lost)
    unlink_after_commit(ctx, [m.storage_key for m in media] + lost)
    return counts


@feature.due("retention")
async def _daily(ctx: Context) -> list[Outbound]:
    """At most once a day: the purge, recorded in the audit log."""
    last = await ctx.privacy.last_audit(PURGE)
    if last is not None and timedelta(0) <= ctx.now - last < EVERY:
        return []
    counts = await purge(ctx)
    before = cutoff(ctx.now, ctx.config.retention, ctx.config.timezone)
    await ctx.audit.record(None, PURGE, "retention", ctx.now,
                                    before=before.isoformat(), **counts)
    return []

"""The timeline's timed messages: every registered :class:`Reminder` that is due at ``now``.

For each reminder the job knows when its occurrences fall (anchor + offset, moved to a local
time of day where the reminder asks for one); it looks only at trials whose anchor lies in a
window around ``now`` (index range queries, a few hundred trials at a time), and for each
recipient queues the latest occurrence that is due, not older than the catch-up limit, not
queued before (the dedup key), and still ``pending``. Messages to pupils and parents that fall
due in quiet hours wait in the outbox until the quiet hours end; if the answer arrives
first, the waiting message is withdrawn.

Offsets and repeats are settings (``REMINDERS``, see ``.env.example``): the defaults are the
timeline of trial-cycle.md as each feature registered it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from handlers.context import Config, Context
from handlers.events import Outbound
from handlers.feature import Feature
from handlers.schedule.school_time import SchoolTime, parse_hhmm
from handlers.schedule.timeline import Recipient, Reminder, remember_per_trial
from storage.models import Outbox, Trial, TrialStatus
from storage.repos.sql import chunks

feature = Feature("schedule.reminders")

# at_local moves an occurrence within its local day, so windows get a day of slack.
_SLACK = timedelta(days=1)
# Trials handled per round of queries.
_BATCH = 200
# Why a waiting message of a moved trial's old time was withdrawn (handlers/trial_changes.py).
MOVED = "the trial was moved"

_OFFSET = re.compile(r"^([+-]?)(\d+(?:\.\d+)?)([dhm])$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


# --- settings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overrides:
    offsets: dict[str, tuple[timedelta, ...]]
    repeats: dict[str, int]


def parse_offset(text: str) -> timedelta:
    """``-3d``, ``+3h``, ``90m`` or ``0``."""
    text = text.strip()
    if text in ("0", "+0", "-0"):
        return timedelta(0)
    m = _OFFSET.match(text)
    if m is None:
        raise ValueError(f"bad offset {text!r}: use a signed number with d, h or m, e.g. -3d")
    sign = -1 if m.group(1) == "-" else 1
    return sign * timedelta(**{_UNITS[m.group(3)]: float(m.group(2))})


@cache
def parse_overrides(text: str) -> Overrides:
    """``consent.reminder=-3d,-1d; rubric.prompt:repeats=1`` → offsets and repeat caps."""
    offsets: dict[str, tuple[timedelta, ...]] = {}
    repeats: dict[str, int] = {}
    for entry in text.split(";"):
        entry = entry.strip()
        if not entry:
            continue
        key, sep, value = entry.partition("=")
        key = key.strip()
        if not sep or not key or not value.strip():
            raise ValueError(f"bad reminder setting {entry!r}: use purpose=offsets or "
                             "purpose:repeats=N")
        if key.endswith(":repeats"):
            count = int(value)
            if count < 0:
                raise ValueError(f"repeats of {key[:-8]} must be 0 or more")
            repeats[key[:-8]] = count
        else:
            offsets[key] = tuple(parse_offset(v) for v in value.split(","))
    return Overrides(offsets, repeats)


def schedule(reminder: Reminder, config: Config) -> tuple[timedelta, ...]:
    """The reminder's offsets after the deployment's overrides: first send, then repeats."""
    overrides = parse_overrides(config.reminders)
    offsets = overrides.offsets.get(reminder.purpose, reminder.offsets)
    cap = overrides.repeats.get(reminder.purpose)
    return offsets if cap is None else offsets[:1 + cap]


# --- when ----------------------------------------------------------------------------------


def occurrence_at(reminder: Reminder, anchor: datetime, offset: timedelta,
                  clock: SchoolTime) -> datetime:
    moment = anchor + offset
    if reminder.at_local:
        moment = clock.at(clock.today(moment), parse_hhmm(reminder.at_local))
    return moment


def due_occurrence(reminder: Reminder, offsets: tuple[timedelta, ...], anchor: datetime,
                   trial: Trial, clock: SchoolTime, now: datetime,
                   catch_up: timedelta, since: datetime | None = None) -> int | None:
    """The occurrence to send at ``now``: the latest one due and not older than ``catch_up``
    (nor than ``since``: a moved trial's new schedule starts when it was moved, whose notice
    said it all).

    Earlier missed ones are not sent on top of it (one reminder, not a pile), and a message
    meant for before the trial is no use once the trial has begun.
    """
    best: tuple[datetime, int] | None = None
    for n, offset in enumerate(offsets):
        at = occurrence_at(reminder, anchor, offset, clock)
        if at > now or now - at > catch_up or (since is not None and at <= since):
            continue
        if at < trial.starts_at <= now:
            continue
        if best is None or at > best[0]:
            best = (at, n)
    return best[1] if best else None


def dedup_key(purpose: str, trial_id: int, recipient: Recipient, occurrence: int,
              version: int = 1) -> str:
    """``purpose:trial:person:pupil:occurrence``; after a trial is moved the occurrence
    carries the schedule version (``0v2``), so the new time's reminders are not blocked by
    those already sent for the old time, and none is sent twice for one schedule."""
    n = f"{occurrence}v{version}" if version > 1 else str(occurrence)
    return f"{purpose}:{trial_id}:{recipient.person_id}:{recipient.pupil_id or '-'}:{n}"


@dataclass(frozen=True)
class KeyParts:
    purpose: str
    trial_id: int
    recipient: Recipient
    version: int = 1  # the trial's schedule version the message was keyed for


def parse_key(key: str) -> KeyParts | None:
    """Read a reminder's dedup key back (its split parts and extra messages share it)."""
    base = key.split("#", 1)[0].split("+", 1)[0]
    parts = base.split(":")
    if len(parts) != 5:
        return None
    purpose, trial, person, pupil, occurrence = parts
    try:
        version = int(occurrence.partition("v")[2] or 1)
        return KeyParts(purpose, int(trial), Recipient(
            int(person), None if pupil == "-" else int(pupil)), version)
    except ValueError:
        return None


def outdated(ctx: Context, key: str | None, trial: Trial) -> bool:
    """A timed message of ``trial``'s timeline keyed for a time it no longer has (it was
    moved since). The consent request counts from when the pupil was put on the trial, not
    from its time, so it is never outdated."""
    parts = parse_key(key or "")
    reminder = ctx.wiring.reminders.get(parts.purpose) if parts else None
    return (parts is not None and reminder is not None and parts.trial_id == trial.id
            and reminder.anchor != "added" and parts.version != trial.schedule_version)


# --- the job -------------------------------------------------------------------------------


Plan = tuple[Reminder, tuple[timedelta, ...]]  # a reminder and its offsets after the settings


@dataclass
class _Candidate:
    reminder: Reminder
    trial: Trial
    recipient: Recipient
    occurrence: int
    key: str


@feature.due("timeline")
async def timeline(ctx: Context) -> list[Outbound]:
    """Every reminder of every trial's timeline that is due at ``ctx.now``."""
    remember_per_trial(ctx)
    await withdraw_answered(ctx)
    plans: list[Plan] = [(r, schedule(r, ctx.config)) for r in ctx.wiring.reminders.values()]
    plans = [(r, offsets) for r, offsets in plans if offsets]
    if not plans:
        return []
    repo = ctx.due_work
    catch_up = ctx.config.reminder_catch_up
    windows: dict[str, tuple[datetime, datetime]] = {}
    for reminder, offsets in plans:
        lo = ctx.now - catch_up - max(offsets) - _SLACK
        hi = ctx.now - min(offsets) + _SLACK
        old = windows.get(reminder.anchor)
        windows[reminder.anchor] = (min(lo, old[0]), max(hi, old[1])) if old else (lo, hi)
    ids = await repo.trial_ids_near(
        starts=windows.get("start"), ends=windows.get("end"), added=windows.get("added"))
    clocks: dict[int, SchoolTime] = {}
    messages: list[Outbound] = []
    for chunk in chunks(ids, _BATCH):
        trials = await repo.trials(chunk)
        added = await repo.added_at(chunk) if "added" in windows else {}
        candidates: list[_Candidate] = []
        for trial in trials:
            if trial.school_id not in clocks:
                clocks[trial.school_id] = SchoolTime.of(
                    await ctx.schools.get(trial.school_id), ctx.config)
            candidates += await _candidates(ctx, trial, plans, clocks[trial.school_id], added)
        queued = await repo.existing_keys(c.key for c in candidates)
        candidates = [c for c in candidates if c.key not in queued]
        # Nobody to write to (not joined yet, or every channel refused): nothing to build —
        # the digest lists them — until they join, within the catch-up time.
        reachable = await ctx.people.preferred_identities(
            c.recipient.person_id for c in candidates)
        for c in candidates:
            if (c.recipient.person_id not in reachable
                    or not await c.reminder.pending(ctx, c.trial, c.recipient)):
                continue
            built = await c.reminder.build(ctx, c.trial, c.recipient, c.occurrence)
            messages += _stamp(built, c, clocks[c.trial.school_id], ctx.now)
    return messages


async def _candidates(ctx: Context, trial: Trial, plans: list[Plan], clock: SchoolTime,
                      added: dict[int, dict[int, datetime]]) -> list[_Candidate]:
    """(reminder, recipient, occurrence) of ``trial`` that fall due now."""
    catch_up = ctx.config.reminder_catch_up
    found: list[_Candidate] = []
    for reminder, offsets in plans:
        if reminder.anchor == "added":
            times = added.get(trial.id, {})
            # Skip the recipients query when nobody was added recently enough.
            if not any(due_occurrence(reminder, offsets, at, trial, clock, ctx.now, catch_up)
                       is not None for at in times.values()):
                continue
            for recipient in await reminder.recipients(ctx, trial):
                anchor = times.get(recipient.pupil_id or 0, trial.created_at)
                n = due_occurrence(reminder, offsets, anchor, trial, clock, ctx.now, catch_up)
                if n is not None:
                    found.append(_Candidate(reminder, trial, recipient, n,
                                            dedup_key(reminder.purpose, trial.id, recipient, n)))
            continue
        anchor = trial.starts_at if reminder.anchor == "start" else trial.ends_at
        n = due_occurrence(reminder, offsets, anchor, trial, clock, ctx.now, catch_up,
                           since=trial.rescheduled_at)
        if n is None:
            continue
        for recipient in await reminder.recipients(ctx, trial):
            found.append(_Candidate(reminder, trial, recipient, n, dedup_key(
                reminder.purpose, trial.id, recipient, n, trial.schedule_version)))
    return found


def _stamp(built: list[Outbound], c: _Candidate, clock: SchoolTime,
           now: datetime) -> list[Outbound]:
    """Address, key and hold the messages of one occurrence."""
    hold = clock.not_before(now, c.reminder.audience)
    for i, message in enumerate(built):
        if message.person_id is None:
            message.person_id = c.recipient.person_id
        if message.purpose == "reply":
            message.purpose = c.reminder.purpose
        if message.trial_id is None:
            message.trial_id = c.trial.id
        message.dedup_key = c.key if i == 0 else f"{c.key}+{i}"
        if hold is not None:
            message.not_before = max(message.not_before or hold, hold)
    return built


async def withdraw_answered(ctx: Context) -> int:
    """Cancel timed messages still waiting (quiet hours, back-off) whose answer has come in
    meanwhile, whose trial was cancelled, or that were meant for a time the trial no longer
    has: an answer stops the reminders at once."""
    repo = ctx.due_work
    waiting: list[Outbox] = await repo.waiting()
    answered: list[int] = []
    cancelled: list[int] = []
    moved: list[int] = []
    trials: dict[int, Trial | None] = {}
    for row in waiting:
        parts = parse_key(row.dedup_key or "")
        reminder = ctx.wiring.reminders.get(parts.purpose) if parts else None
        if parts is None or reminder is None:
            continue
        if parts.trial_id not in trials:
            trials[parts.trial_id] = await ctx.trials.get(parts.trial_id)
        trial = trials[parts.trial_id]
        if trial is None or trial.status == TrialStatus.CANCELLED:
            cancelled.append(row.id)
        elif outdated(ctx, row.dedup_key, trial):
            moved.append(row.id)
        elif not await reminder.pending(ctx, trial, parts.recipient):
            answered.append(row.id)
    return (await repo.cancel(answered, "answered before it was sent")
            + await repo.cancel(cancelled, "the trial was cancelled")
            + await repo.cancel(moved, MOVED))

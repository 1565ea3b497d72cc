"""Who is due a morning message: each school's coordinators, from the school's morning hour
(``DIGEST_AT``, local time) on its working days — the daily digest, the quarterly review, the
partner agreements reminder.

A tick can come at any minute (or from the command line, or late after a restart): every
school whose morning has come today is looked at, and a coordinator is due if they can be
reached and today's message (its dedup key) is not in the outbox yet. One query each for the
coordinators, their channels and the keys, however many schools there are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from handlers.access import receives_digest
from handlers.context import Context
from handlers.schedule.school_time import SchoolTime, parse_hhmm
from storage.models import Person, School

Key = Callable[[School, Person, date], str]
When = Callable[[SchoolTime, date], bool]


@dataclass(frozen=True)
class Morning:
    school: School
    clock: SchoolTime
    today: date
    due: list[tuple[Person, str]]  # coordinators still to write to, each with the dedup key
    coordinators: int  # how many the school has in all


def every_school_day(clock: SchoolTime, today: date) -> bool:
    return True


async def mornings(ctx: Context, key: Key, when: When = every_school_day) -> list[Morning]:
    at = parse_hhmm(ctx.config.digest_at)
    schools: list[tuple[School, SchoolTime, date]] = []
    for school in await ctx.schools.all():
        clock = SchoolTime.of(school, ctx.config)
        today = clock.today(ctx.now)
        if (clock.is_working_day(today) and ctx.now >= clock.at(today, at)
                and when(clock, today)):
            schools.append((school, clock, today))
    if not schools:
        return []
    staff = await ctx.digest.coordinators_of([s.id for s, _c, _d in schools])
    reachable = await ctx.people.preferred_identities(
        p.id for people in staff.values() for p in people)
    # The policy's rule for digests (handlers/access.py): the school's own coordinators.
    keys = {(s.id, p.id): key(s, p, today) for s, _c, today in schools
            for p in staff.get(s.id, []) if p.id in reachable and receives_digest(p, s.id)}
    sent = await ctx.due_work.existing_keys(keys.values())
    found: list[Morning] = []
    for school, clock, today in schools:
        due = [(p, keys[(school.id, p.id)]) for p in staff.get(school.id, [])
               if (school.id, p.id) in keys and keys[(school.id, p.id)] not in sent]
        if due:
            found.append(Morning(school, clock, today, due, len(staff[school.id])))
    return found

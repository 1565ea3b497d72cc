"""Partner agreements (Annex 3) end on 31 December and renew for a year unless notice is
given a month ahead. On 1 December (or the first school day after it) the coordinator is
told which agreements that concerns, while there is still time to act."""

from __future__ import annotations

from datetime import date

from locales import Safe, _
from storage.models import Partner, Person, School
from storage.repos.digest import DigestRepo
from storage.repos.due_work import DueWork

from .context import Context
from .due import due_job
from .events import Outbound
from .school_time import SchoolTime, parse_hhmm

PURPOSE = "agreements"


def renewal_key(school_id: int, person_id: int, year: int) -> str:
    return f"{PURPOSE}:{school_id}:{person_id}:{year}"


@due_job("agreements")
async def renewal_reminder(ctx: Context) -> list[Outbound]:
    at = parse_hhmm(ctx.config.digest_at)
    repo = DigestRepo(ctx.session)
    out: list[Outbound] = []
    for school in await ctx.schools.all():
        clock = SchoolTime.of(school, ctx.config)
        today = clock.today(ctx.now)
        notice_day = clock.first_working_day(date(today.year, 12, 1))
        # From that day to the year's end (a missed day is caught up), on school days.
        if (not notice_day <= today <= date(today.year, 12, 31)
                or not clock.is_working_day(today) or ctx.now < clock.at(today, at)):
            continue
        coordinators = await repo.coordinators(school.id)
        reachable = await ctx.people.preferred_identities(c.id for c in coordinators)
        keys = {c.id: renewal_key(school.id, c.id, today.year) for c in coordinators
                if c.id in reachable}
        done = await DueWork(ctx.session).existing_keys(keys.values())
        todo = [c for c in coordinators if c.id in keys and keys[c.id] not in done]
        if not todo:
            continue
        partners = await repo.renewing_partners(school.id, today.year)
        if not partners:
            continue
        for coordinator in todo:
            message = render(ctx, school, coordinator, today, partners)
            message.dedup_key = keys[coordinator.id]
            out.append(message)
    return out


def render(ctx: Context, school: School, person: Person, today: date,
           partners: list[Partner]) -> Outbound:
    tr = ctx.tr_for(person, school.default_locale)
    lines: list[str] = [
        tr(_("<b>Partner agreements renew on 31 December</b>")),
        tr(_("These agreements end on 31 December {year} and renew for another year unless "
             "notice is given a month ahead (Annex 3). If an agreement should end or change, "
             "please tell the partner now."), year=today.year),
    ]
    for partner in partners:
        if partner.agreement_start is not None:
            lines.append(tr(_("• {partner} (since {date})"), partner=partner.name,
                            date=tr.date(partner.agreement_start, fmt="d MMMM yyyy")))
        else:
            lines.append(tr(_("• {partner}"), partner=partner.name))
    return Outbound(text=Safe("\n".join(lines)), person_id=person.id, purpose=PURPOSE)

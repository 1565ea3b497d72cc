"""Partner agreements (Annex 3) end on 31 December and renew for a year unless notice is
given a month ahead. On 1 December (or the first school day after it) the coordinator is
told which agreements that concerns, while there is still time to act."""

from __future__ import annotations

from datetime import date

from handlers.context import Context
from handlers.events import Outbound
from handlers.feature import Feature
from handlers.schedule.mornings import mornings
from handlers.schedule.school_time import SchoolTime
from locales import Safe, _
from storage.models import Partner, Person, School

feature = Feature("digest.agreements")

PURPOSE = "agreements"


def renewal_key(school_id: int, person_id: int, year: int) -> str:
    return f"{PURPOSE}:{school_id}:{person_id}:{year}"


def _notice_time(clock: SchoolTime, today: date) -> bool:
    """From 1 December (or the first school day after it) to the year's end: a day missed
    is caught up."""
    return clock.first_working_day(date(today.year, 12, 1)) <= today <= date(today.year, 12, 31)


@feature.due("agreements")
async def renewal_reminder(ctx: Context) -> list[Outbound]:
    out: list[Outbound] = []
    for morning in await mornings(
            ctx, lambda school, person, today: renewal_key(school.id, person.id, today.year),
            _notice_time):
        partners = await ctx.digest.renewing_partners(
            morning.school.id, morning.today.year)
        for coordinator, key in morning.due if partners else []:
            message = render(ctx, morning.school, coordinator, morning.today, partners)
            message.dedup_key = key
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

"""The quarterly review: on the first school day of a quarter, the coordinator gets the last
term in numbers — trials held, the share that was meaningful for pupils, trials after which
nobody reflected, and pupils whose portfolio is still empty (trial-cycle.md).

Quarters start on the month-days of ``QUARTER_STARTS`` (calendar quarters by default; a
school year's own terms can be set instead).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta

from handlers.context import Context
from handlers.events import Outbound
from handlers.feature import Feature
from handlers.participation import meaningful_in, present
from handlers.schedule.mornings import mornings
from handlers.schedule.school_time import (
    SchoolTime,
    parse_quarter_starts,
    previous_quarter,
    quarter_of,
)
from locales import Safe, Translator, _, escape
from storage.models import Person, School, Trial

feature = Feature("digest.quarterly")

PURPOSE = "quarterly"
# A review missed on its day (the server was off) still goes out during the next week.
CATCH_UP = timedelta(days=7)
MAX_LISTED = 10


def review_key(school_id: int, person_id: int, quarter: date) -> str:
    return f"{PURPOSE}:{school_id}:{person_id}:{quarter.isoformat()}"


@dataclass
class Review:
    start: date  # the term reviewed: [start, end)
    end: date
    trials: int = 0
    pupils: int = 0
    pairs: int = 0  # pupil × trial, pupils not absent
    meaningful: int = 0
    empty_reflections: list[Trial] = field(default_factory=list)
    pupils_total: int = 0
    without_portfolio: dict[str, int] = field(default_factory=dict)  # class → pupils


@feature.due("quarterly")
async def quarterly_review(ctx: Context) -> list[Outbound]:
    starts = parse_quarter_starts(ctx.config.quarter_starts)

    def review_day(clock: SchoolTime, today: date) -> bool:
        """The quarter's first school day — or, missed, one of the week after."""
        first = clock.first_working_day(quarter_of(today, starts)[0])
        return first <= today < first + CATCH_UP

    out: list[Outbound] = []
    for morning in await mornings(
            ctx, lambda school, person, today: review_key(
                school.id, person.id, quarter_of(today, starts)[0]), review_day):
        begin = quarter_of(morning.today, starts)[0]
        review = await gather(ctx, morning.school, morning.clock,
                              previous_quarter(begin, starts), begin)
        for coordinator, key in morning.due:
            message = render(ctx, morning.school, coordinator, morning.clock, review)
            message.dedup_key = key
            out.append(message)
    return out


async def gather(ctx: Context, school: School, clock: SchoolTime, start: date,
                 end: date) -> Review:
    repo = ctx.digest
    trials = await repo.trials(school.id, clock.at(start, time(0)), clock.at(end, time(0)),
                               by="ends")
    facts = await repo.facts(trials)
    review = Review(start, end, trials=len(trials))
    reached: set[int] = set()
    for trial in trials:
        f = facts[trial.id]
        took_part = present(f)
        reached.update(took_part)
        review.pairs += len(took_part)
        review.meaningful += sum(meaningful_in(f, p) for p in took_part)
        if took_part and not f.reflected:
            review.empty_reflections.append(trial)
    review.pupils = len(reached)
    review.pupils_total, review.without_portfolio = await repo.pupils_without_portfolio(
        school.id)
    return review


def render(ctx: Context, school: School, person: Person, clock: SchoolTime,
           r: Review) -> Outbound:
    tr = ctx.tr_for(person, school.default_locale)
    last = r.end - timedelta(days=1)
    lines: list[str] = [tr(_("<b>Quarterly review · {start} – {end}</b>"),
                           start=tr.date(r.start, fmt="d MMMM"),
                           end=tr.date(last, fmt="d MMMM yyyy"))]
    if not r.trials:
        lines.append(tr(_("No trials were held this term.")))
    else:
        share = round(100 * r.meaningful / r.pairs) if r.pairs else 0
        lines.append(tr(_("Trials held: {trials} · pupils reached: {pupils}"),
                        trials=r.trials, pupils=r.pupils))
        lines.append(tr(_("Meaningful for pupils (goal, mini-task, the mentor's feedback and "
                          "the pupil's reflection): {share}% ({count} of {total})"),
                        share=share, count=r.meaningful, total=r.pairs))
    if r.empty_reflections:
        lines.append("")
        lines.append(tr(_("<b>Trials after which no pupil wrote a reflection</b>")))
        lines += [tr(_("• «{trial}», {date}"), trial=t.title,
                     date=tr.date(t.starts_at, clock.zone, "d MMMM"))
                  for t in r.empty_reflections[:MAX_LISTED]]
        if len(r.empty_reflections) > MAX_LISTED:
            lines.append(tr(_("… and {count} more"), count=len(r.empty_reflections) - MAX_LISTED))
        lines.append(tr(_("Formats after which pupils write nothing are a signal to redesign "
                          "the scenario: a clearer mini-task, time for reflection on site, "
                          "or a shorter questionnaire.")))
    empty = sum(r.without_portfolio.values())
    lines.append("")
    if empty:
        lines.append(tr(_("<b>Empty portfolios: {count} of {total} pupils</b>"),
                        count=empty, total=r.pupils_total))
        lines.append(_classes(tr, r.without_portfolio))
        lines.append(tr(_("Every pupil should have at least one portfolio entry a year.")))
    elif r.pupils_total:
        lines.append(tr(_("Every pupil has at least one portfolio entry.")))
    return Outbound(text=Safe("\n".join(lines)), person_id=person.id, purpose=PURPOSE)


def _classes(tr: Translator, counts: dict[str, int]) -> str:
    return ", ".join(f"{escape(name)} — {count}" for name, count in counts.items())

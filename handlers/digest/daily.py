"""The coordinator's daily digest: every school day at 08:00 local time (trial-cycle.md).

Short and actionable, in the coordinator's language: today's and the next school day's
trials (consents, the mentor's answer), the trials held since the last school day (mentor
cards, reflections, summaries), the problems that need a hand, and the week's numbers, with
one chart of the consents where there are trials coming. When nothing needs attention it
says so in one line. One digest per coordinator per day (the dedup key holds the date), so a
second tick, or a tick from the command line, never sends it twice.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from handlers.context import Context
from handlers.events import Attachment, Outbound
from handlers.feature import Feature
from handlers.menu import ROLE_NAMES
from handlers.participation import meaningful_in, present
from handlers.render.charts import ConsentBar, consent_chart
from handlers.schedule.mornings import Morning, mornings
from handlers.schedule.school_time import SchoolTime
from locales import Safe, Translator, _, escape
from storage.files import MediaStore
from storage.models import MentorStatus, Person, School, Trial
from storage.reads.digest import Contact, TrialProgress

feature = Feature("digest.daily")

PURPOSE = "digest"
# How far back the problems and the week's numbers look.
WEEK = timedelta(days=7)
# The mentor is asked two days ahead (T − 2 d): still no answer after that is a problem.
MENTOR_DEADLINE = timedelta(hours=48)
# Reflections are counted as empty once the after-questionnaire and its repeat have had time.
REFLECTION_GRACE = timedelta(hours=24)


def digest_key(school_id: int, person_id: int, day: date) -> str:
    return f"{PURPOSE}:{school_id}:{person_id}:{day.isoformat()}"


@dataclass
class Digest:
    """What one coordinator's digest says, before it is put into words."""

    today: list[TrialProgress] = field(default_factory=list)
    upcoming: list[TrialProgress] = field(default_factory=list)  # to the next school day
    recent: list[TrialProgress] = field(default_factory=list)  # since the last school day
    no_consent: list[tuple[Trial, list[str]]] = field(default_factory=list)
    disagree: list[tuple[Trial, list[str]]] = field(default_factory=list)
    mentor_declined: list[Trial] = field(default_factory=list)
    mentor_silent: list[tuple[Trial, str]] = field(default_factory=list)
    not_joined: list[tuple[Trial, list[str]]] = field(default_factory=list)
    unreachable: list[Contact] = field(default_factory=list)
    empty_reflections: list[Trial] = field(default_factory=list)
    undelivered: int = 0
    week_trials: int = 0
    week_pupils: int = 0
    week_meaningful: int = 0
    week_pairs: int = 0

    @property
    def problems(self) -> bool:
        return bool(self.no_consent or self.disagree or self.mentor_declined
                    or self.mentor_silent or self.not_joined or self.unreachable
                    or self.empty_reflections or self.undelivered)

    @property
    def needs_attention(self) -> bool:
        coming = any(f.no_answer or f.trial.mentor_status != MentorStatus.CONFIRMED
                     for f in self.today + self.upcoming)
        held = any(not set(present(f)) <= f.rated or not set(present(f)) <= f.reflected
                   for f in self.recent)
        return self.problems or coming or held


@feature.due("digest")
async def daily_digest(ctx: Context) -> list[Outbound]:
    """The digest of every coordinator whose school's digest time has come today."""
    out: list[Outbound] = []
    due = await mornings(ctx, lambda school, person, today: digest_key(
        school.id, person.id, today))
    busy = await _busy(ctx, due)
    for morning in due:
        for coordinator, key in morning.due:
            # With several coordinators, each hears about their own trials (and those
            # nobody is named for); a school's only coordinator hears about all.
            theirs = coordinator.id if morning.coordinators > 1 else None
            digest = (await gather(ctx, morning.school, morning.clock, theirs)
                      if morning.school.id in busy else Digest())
            message = await render(ctx, morning.school, coordinator, morning.clock, digest)
            message.dedup_key = key
            out.append(message)
    return out


# --- gathering ------------------------------------------------------------------------------


async def _busy(ctx: Context, due: list[Morning]) -> set[int]:
    """The schools whose digest has something to say: a trial in one of :func:`gather`'s
    windows (taken wide: every school's, from a week back to the day after the next school
    day), someone unreachable, or a message that has not arrived. The others' digests are
    empty, and a region's thousand quiet schools cost three queries instead of thousands."""
    if not due:
        return set()
    starts, ends = [], []
    for m in due:
        today = m.clock.today(ctx.now)
        starts.append(_midnight(m.clock, min(m.clock.previous_working_day(today),
                                             today - WEEK)))
        ends.append(_midnight(m.clock, m.clock.first_working_day(today + timedelta(days=1))
                              + timedelta(days=1)))
    ids = [m.school.id for m in due]
    return (await ctx.digest.busy_schools(ids, min(starts), max(ends))
            | await ctx.outbox_report.schools_with_undelivered(
                ids, ctx.now - timedelta(days=1)))


def _midnight(clock: SchoolTime, day: date) -> datetime:
    return clock.at(day, time(0))


async def gather(ctx: Context, school: School, clock: SchoolTime,
                 coordinator_id: int | None = None) -> Digest:
    """Everything the digest needs, for the school (or one of its coordinators' trials)."""
    repo = ctx.digest
    today = clock.today(ctx.now)
    next_day = clock.first_working_day(today + timedelta(days=1))
    last_day = clock.previous_working_day(today)
    start = _midnight(clock, today)
    tomorrow = _midnight(clock, today + timedelta(days=1))
    coming = await repo.trials(school.id, start, _midnight(clock, next_day + timedelta(days=1)),
                               coordinator_id=coordinator_id)
    recent = await repo.trials(school.id, _midnight(clock, last_day), start, by="ends",
                               coordinator_id=coordinator_id)
    week = await repo.trials(school.id, start - WEEK, start, by="ends",
                             coordinator_id=coordinator_id)
    facts = await repo.facts({t.id: t for t in coming + recent + week}.values())
    d = Digest(
        today=[facts[t.id] for t in coming if t.starts_at < tomorrow],
        upcoming=[facts[t.id] for t in coming if t.starts_at >= tomorrow],
        recent=[facts[t.id] for t in recent],
    )
    # Problems before the trials to come.
    needed_by_trial: dict[int, set[int]] = {}
    for f in d.today + d.upcoming:
        trial = f.trial
        # Every pupil still without consent for a trial before the next school day is over:
        # this is also the T − 1 d alert of the timeline (and covers "within 24 h").
        if trial.starts_at > ctx.now and f.no_answer:
            d.no_consent.append((trial, [f.pupils[p] for p in f.no_answer]))
        conflicts = await ctx.consents.conflicts(trial.id)
        if conflicts:
            d.disagree.append((trial, [f.pupils.get(c.pupil_id, "") for c in conflicts]))
        if trial.mentor_status == MentorStatus.DECLINED:
            d.mentor_declined.append(trial)
        elif (trial.mentor_status == MentorStatus.PENDING and trial.mentor_id is not None
              and trial.starts_at <= ctx.now + MENTOR_DEADLINE):
            d.mentor_silent.append((trial, ""))
        # Who has to be reachable: the staff, the pupils not refused, the parents of those
        # without an answer yet.
        parents = await repo.parents(f.no_answer)
        needed = {p for p in (trial.mentor_id, trial.escort_id) if p is not None}
        needed |= set(f.pupils) - set(f.declined)
        needed |= {parent for ps in parents.values() for parent in ps}
        needed_by_trial[trial.id] = needed
    d.unreachable = await repo.unreachable(school.id)
    blocked = {c.person_id for c in d.unreachable}
    missing = await repo.without_channel(p for ids in needed_by_trial.values() for p in ids)
    names = await repo.names(missing | {t.mentor_id for t, _n in d.mentor_silent
                                        if t.mentor_id is not None})
    d.mentor_silent = [(t, names.get(t.mentor_id or 0, "")) for t, _n in d.mentor_silent]
    for f in d.today + d.upcoming:
        unjoined = sorted(needed_by_trial[f.trial.id] & missing - blocked,
                          key=lambda p: names.get(p, ""))
        if unjoined:
            d.not_joined.append((f.trial, [names.get(p, "") for p in unjoined]))
    # After the trials held.
    for trial in week:
        f = facts[trial.id]
        if (present(f) and not f.reflected & set(present(f))
                and ctx.now - trial.ends_at >= REFLECTION_GRACE):
            d.empty_reflections.append(trial)
        d.week_trials += 1
        d.week_pairs += len(present(f))
        d.week_meaningful += sum(meaningful_in(f, p) for p in present(f))
    d.week_pupils = len({p for t in week for p in present(facts[t.id])})
    d.undelivered = await ctx.outbox_report.undelivered_count(
        school.id, ctx.now - timedelta(days=1))
    return d


# --- words ------------------------------------------------------------------------------------


MENTOR_STATE: dict[str, str] = {
    MentorStatus.CONFIRMED: _("mentor confirmed ✅"),
    MentorStatus.DECLINED: _("mentor declined ❌"),
    MentorStatus.PENDING: _("mentor has not confirmed yet ⏳"),
}


async def render(ctx: Context, school: School, person: Person, clock: SchoolTime,
                 d: Digest) -> Outbound:
    tr = ctx.tr_for(person, school.default_locale)
    today = clock.today(ctx.now)
    if not d.needs_attention:
        return Outbound(
            text=tr(_("☀️ Good morning! Nothing needs your attention today ({date})."),
                    date=tr.date(today, fmt="d MMMM")),
            person_id=person.id, purpose=PURPOSE)
    parts: list[str] = [
        tr(_("<b>Daily digest · {date}</b>"), date=tr.date(today, fmt="d MMMM, EEEE"))]
    if d.today:
        parts.append(_section(tr(_("<b>Today</b>")), [_coming(tr, clock, f) for f in d.today]))
    if d.upcoming:
        next_day = clock.first_working_day(today + timedelta(days=1))
        title = (_("<b>Tomorrow, {date}</b>") if next_day == today + timedelta(days=1)
                 else _("<b>Up to the next school day, {date}</b>"))
        parts.append(_section(tr(title, date=tr.date(next_day, fmt="d MMMM, EEEE")),
                              [_coming(tr, clock, f) for f in d.upcoming]))
    if d.recent:
        last_day = clock.previous_working_day(today)
        title = (_("<b>Yesterday</b>") if last_day == today - timedelta(days=1)
                 else _("<b>Since {date}</b>"))
        parts.append(_section(tr(title, date=tr.date(last_day, fmt="d MMMM, EEEE")),
                              [_held(tr, f) for f in d.recent]))
    problems = _problems(tr, clock, d)
    if problems:
        parts.append(_section(tr(_("<b>Needs your attention</b>")), problems))
    parts.append(_section(tr(_("<b>The last 7 days</b>")), [_week(tr, d)]))
    message = Outbound(text=Safe("\n\n".join(parts)), person_id=person.id, purpose=PURPOSE)
    chart = await _chart(ctx, tr, clock, d.today + d.upcoming)
    if chart is not None:
        message.attachments.append(chart)
    return message


def _section(title: str, lines: list[str]) -> str:
    return "\n".join([title, *lines])


def _coming(tr: Translator, clock: SchoolTime, f: TrialProgress) -> str:
    line: str = tr(_("• {time} «{trial}»: consents {agreed} of {total}"),
              time=tr.time(f.trial.starts_at, clock.zone), trial=f.trial.title,
              agreed=len(f.agreed), total=len(f.pupils))
    if f.declined:
        line += tr(_(", declined {count}"), count=len(f.declined))
    if f.no_answer:
        line += tr(_(", no answer {count}"), count=len(f.no_answer))
    state = MENTOR_STATE.get(f.trial.mentor_status, MENTOR_STATE[MentorStatus.PENDING])
    return f"{line}; {tr(state)}"


def _held(tr: Translator, f: TrialProgress) -> str:
    took_part = set(present(f))
    return tr(_("• «{trial}»: mentor cards {rated} of {present}; reflections {reflected} of "
                "{present}; summaries sent {sent} of {present}"),
              trial=f.trial.title, present=len(took_part), rated=len(f.rated & took_part),
              reflected=len(f.reflected & took_part), sent=len(f.summaries_sent & took_part))


# Longer lists are cut: the digest stays short, the menu has the rest.
MAX_NAMES = 10


def _names(tr: Translator, names: list[str]) -> Safe:
    """Names, escaped (unless already safe), cut after MAX_NAMES."""
    shown = ", ".join(escape(n) for n in names[:MAX_NAMES])
    more = len(names) - MAX_NAMES
    return Safe(shown + (tr(_(" and {count} more"), count=more) if more > 0 else ""))


def _problems(tr: Translator, clock: SchoolTime, d: Digest) -> list[str]:
    lines: list[str] = []
    for trial, names in d.no_consent:
        lines.append(tr(_("• No consent yet, and «{trial}» starts {when}: {names}"),
                        trial=trial.title, when=tr.datetime(trial.starts_at, clock.zone,
                                                            "d MMMM, HH:mm"),
                        names=_names(tr, names)))
    for trial, names in d.disagree:
        lines.append(tr(_("• Parents disagree about taking part in «{trial}»: {names}"),
                        trial=trial.title, names=_names(tr, names)))
    for trial in d.mentor_declined:
        line: str = tr(_("• The mentor declined «{trial}»"), trial=trial.title)
        if trial.mentor_reason:
            line += tr(_(": “{reason}”"), reason=trial.mentor_reason)
        lines.append(line)
    for trial, mentor in d.mentor_silent:
        lines.append(tr(_("• The mentor has not confirmed «{trial}» yet ({mentor})"),
                        trial=trial.title, mentor=mentor))
    for trial, names in d.not_joined:
        lines.append(tr(_("• Not in Synaq yet, so messages about «{trial}» cannot reach them: "
                          "{names}"), trial=trial.title, names=_names(tr, names)))
    if d.unreachable:
        people = [str(tr(_("{name} ({roles})"), name=c.name,
                         roles=", ".join(tr(ROLE_NAMES[r]) for r in c.roles if r in ROLE_NAMES)))
                  for c in d.unreachable]
        lines.append(tr(_("• Cannot be reached (blocked the bot or the chat no longer "
                          "works): {people}"), people=_names(tr, [Safe(p) for p in people])))
    for trial in d.empty_reflections:
        lines.append(tr(_("• No pupil has written a reflection after «{trial}» ({date})"),
                        trial=trial.title, date=tr.date(trial.starts_at, clock.zone, "d MMMM")))
    if d.undelivered:
        lines.append(tr(_("• Messages not delivered in the last day: {count}. The menu "
                          "entry “Delivery problems” lists them."), count=d.undelivered))
    return lines


def _week(tr: Translator, d: Digest) -> str:
    share = round(100 * d.week_meaningful / d.week_pairs) if d.week_pairs else 0
    return tr(_("Trials held: {trials} · pupils reached: {pupils} · meaningful for pupils: "
                "{share}%"), trials=d.week_trials, pupils=d.week_pupils, share=share)


async def _chart(ctx: Context, tr: Translator, clock: SchoolTime,
                 coming: list[TrialProgress]) -> Attachment | None:
    """The consents of the trials to come, as a picture; None when there are none."""
    if not coming:
        return None
    bars = [ConsentBar(f"{tr.date(f.trial.starts_at, clock.zone, 'd.MM')} "
                       f"{tr.time(f.trial.starts_at, clock.zone)} {f.trial.title}",
                       len(f.agreed), len(f.declined), len(f.no_answer)) for f in coming]
    png = await asyncio.to_thread(
        consent_chart, bars, tr.gettext(_("Consents for the trials to come")),
        (tr.gettext(_("given")), tr.gettext(_("declined")), tr.gettext(_("no answer"))))
    key, _digest = MediaStore(ctx.config.media_dir).put(png, "image/png", ctx.now)
    return Attachment(kind="photo", storage_key=key, file_name="digest.png", mime="image/png")

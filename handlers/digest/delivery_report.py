"""Who has not received what: the coordinator's view of failed deliveries.

A menu entry (and ``/undelivered``) lists the school's people no channel reaches any more,
and the messages of the last two weeks that did not arrive or are still being retried. A
coordinator sees only their own school's people, and only what is needed to act: who, about
which trial, and why in plain words — never the message itself.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

from handlers import access
from handlers.context import Context
from handlers.digest import agreements, quarterly
from handlers.digest import daily as digest
from handlers.digest.buttons import DeliveryProblems
from handlers.events import Button, Inbound, Outbound
from handlers.feature import Feature
from handlers.menu import ROLE_NAMES
from handlers.refusal import Refusal
from handlers.schedule.school_time import SchoolTime
from locales import Safe, Translator, _
from storage.models import OutboxStatus, Role
from storage.reads.outbox_report import Undelivered

feature = Feature("digest.delivery_report")

PERIOD = timedelta(days=14)

OWN_PURPOSES = {
    digest.PURPOSE: _("the daily digest"),
    quarterly.PURPOSE: _("the quarterly review"),
    agreements.PURPOSE: _("the partner agreements reminder"),
}


async def _school_of_coordinator(ctx: Context) -> int | None:
    """The coordinator's school (``Action.DELIVERY_REPORT``: a coordinator sees their own
    school's people only)."""
    grant = await access.check(ctx, access.Action.DELIVERY_REPORT)
    return grant.school_id if grant is not None else None


@feature.menu(Role.COORDINATOR)
async def _entry(ctx: Context) -> list[Button]:
    school_id = await _school_of_coordinator(ctx)
    if school_id is None:
        return []
    count = await ctx.outbox_report.undelivered_count(school_id, ctx.now - PERIOD)
    label = (ctx.tr.plain(_("📭 Delivery problems ({count})"), count=count) if count
             else ctx.tr.plain(_("📭 Delivery problems")))
    return [Button(label, DeliveryProblems().pack())]


@feature.button(DeliveryProblems)
async def _report_button(ctx: Context, p: DeliveryProblems) -> list[Outbound]:
    return await report(ctx)


@feature.command("/undelivered")
async def _report_command(ctx: Context, inbound: Inbound, arg: str) -> list[Outbound]:
    return await report(ctx)


async def report(ctx: Context) -> list[Outbound]:
    school_id = await _school_of_coordinator(ctx)
    if school_id is None:
        raise Refusal(_("Only a school coordinator can see delivery problems."))
    school = await ctx.schools.get(school_id)
    clock = SchoolTime.of(school, ctx.config)
    tr = ctx.tr
    people = await ctx.digest.unreachable(school_id)
    rows = await ctx.outbox_report.undelivered(school_id, ctx.now - PERIOD)
    if not people and not rows:
        return [ctx.say(_("Every message of the last 14 days has arrived, and everyone can "
                          "be reached. 👍"))]
    lines: list[str] = [tr(_("<b>Delivery problems · the last 14 days</b>"))]
    if people:
        lines.append("")
        lines.append(tr(_("<b>Cannot be reached</b> (blocked the bot, or the chat no longer "
                          "works; it works again as soon as they write to the bot):")))
        for c in people:
            lines.append(tr(_("• {name} ({roles}) — since {date}: {reason}"),
                            name=c.name, roles=_roles(tr, c.roles),
                            date=tr.date(c.since, clock.zone, "d MMMM") if c.since else "",
                            reason=tr(_reason(c.reason or ""))))
    if rows:
        lines.append("")
        lines.append(tr(_("<b>Messages that have not arrived</b>")))
        lines += [_row(tr, clock, row, ctx.wiring.reminders.keys()) for row in rows]
    return [Outbound(text=Safe("\n".join(lines)), person_id=ctx.person.id if ctx.person else None)]


def _roles(tr: Translator, roles: tuple[str, ...]) -> Safe:
    return Safe(", ".join(tr(ROLE_NAMES[r]) for r in roles if r in ROLE_NAMES))


def _what(tr: Translator, row: Undelivered, timed: Collection[str]) -> Safe:
    if row.purpose in OWN_PURPOSES:
        return tr(OWN_PURPOSES[row.purpose])
    if row.trial_title:
        kind = (_("a reminder about «{trial}»") if row.purpose in timed
                else _("a message about «{trial}»"))
        return tr(kind, trial=row.trial_title)
    return tr(_("a message"))


def _reason(error: str) -> str:
    """The channel's error, in words a coordinator can act on."""
    text = error.lower()
    if "blocked" in text or "deactivated" in text or text.startswith("403"):
        return _("blocked the bot")
    if "chat not found" in text or text.startswith("404") or "not a valid" in text:
        return _("the chat no longer exists")
    return _("the messenger did not accept the message")


def _row(tr: Translator, clock: SchoolTime, row: Undelivered,
         timed: Collection[str]) -> str:
    when = tr.datetime(row.created_at, clock.zone, "d MMMM, HH:mm")
    if row.status == OutboxStatus.FAILED:
        why = tr(_reason(row.error or ""))
    else:
        why = tr(_("still trying (attempt {count})"), count=row.attempts)
    return tr(_("• {when} → {name} ({roles}): {what} — {why}"), when=when, name=row.name,
              roles=_roles(tr, row.roles), what=_what(tr, row, timed), why=why)

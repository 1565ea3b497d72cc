"""The regional career centre's view: depersonalised figures across the schools of this service.

Only what `synaq export region` gives: counts by grade band, sector, district and area,
groups under five pupils hidden; hosts and mentors by district (sectors with and without a
partner, mentors' confirmations and cards, shares hidden under five trials); no names,
contacts or ids of people.
"""

from __future__ import annotations

from handlers import access
from handlers.access import Action
from handlers.context import Context
from handlers.events import Attachment, Button, Outbound
from handlers.feature import Feature
from handlers.refusal import Refusal
from handlers.reports.buttons import RegionalFigures
from handlers.reports.figures import regional_files
from handlers.reports.targets import school_year
from locales import _
from storage.files import MediaStore
from storage.models import Role

feature = Feature("reports.regional")


@feature.menu(Role.REGIONAL)
async def _analytics_entry(ctx: Context) -> list[Button]:
    return [Button(ctx.tr.plain(_("📊 Figures across schools")), RegionalFigures().pack())]


@feature.button(RegionalFigures)
async def _analytics(ctx: Context, p: RegionalFigures) -> list[Outbound]:
    grant = await access.check(ctx, Action.REGIONAL_FIGURES)
    if grant is None:
        raise Refusal()
    person = grant.person
    since, until = school_year(ctx.now, ctx.config.timezone)
    files = await regional_files(ctx.journal, since, until, ctx.now, ctx.tr)
    store = MediaStore(ctx.config.media_dir)
    key, _digest = store.put(files.figures, "text/csv", ctx.now)
    out = [Outbound(
        text=ctx.tr(_("Figures of this school year across schools: trials, pupils reached and "
                      "the share of meaningful trials by grade band, sector, district and area. "
                      "Groups of fewer than five pupils are hidden; there are no names.")),
        person_id=person.id, attachments=[Attachment("document", key, "region.csv", "text/csv")])]
    key, _digest = store.put(files.districts, "text/csv", ctx.now)
    out.append(Outbound(
        text=ctx.tr(_("Hosts and mentors by district: the sectors with a partner there, the "
                      "region's sectors with none, and of the trials that ended, the share "
                      "whose mentor did not confirm and the share without a mentor's card "
                      "(hidden under five trials).")),
        person_id=person.id,
        attachments=[Attachment("document", key, "region-districts.csv", "text/csv")]))
    for name, png in files.charts.items():
        key, _digest = store.put(png, "image/png", ctx.now)
        out.append(Outbound(text="", person_id=person.id,
                            attachments=[Attachment("photo", key, f"{name}.png", "image/png")]))
    await ctx.audit.record(person.id, "export.region", "region", ctx.now,
                                    groups=files.count, via="chat")
    return out

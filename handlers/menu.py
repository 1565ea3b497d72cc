"""The role menu: one message whose buttons come from the person's roles' menu sections."""

from __future__ import annotations

from handlers.buttons import Payload
from handlers.context import Context
from handlers.events import Button, Inbound, Outbound
from handlers.feature import EVERYONE, ROLE_ORDER, Feature
from locales import Safe, Translator, _
from storage.models import Role


class ShowMenu(Payload, prefix="m"):
    """The "Menu" button under a message."""


feature = Feature("menu")


def menu_button(tr: Translator) -> Button:
    """"⬅️ Menu", under a message that ends what a person was doing."""
    return Button(tr.plain(_("⬅️ Menu")), ShowMenu().pack())

ROLE_NAMES: dict[str, str] = {
    Role.COORDINATOR: _("School coordinator"),
    Role.TEACHER: _("Class teacher"),
    Role.MENTOR: _("Mentor"),
    Role.PARENT: _("Parent"),
    Role.PUPIL: _("Pupil"),
    Role.REGIONAL: _("Regional career centre"),
}


async def menu(ctx: Context) -> Outbound:
    """The person's menu, a section per role they hold."""
    assert ctx.person is not None
    roles = [r for r in ROLE_ORDER if r in ctx.person.role_names]
    rows: list[list[Button]] = []
    for role in roles:
        for provider in ctx.wiring.menus.get(role, []):
            rows.extend([b] for b in await provider(ctx))
    names = ", ".join(ctx.tr(ROLE_NAMES[r]) for r in roles)
    text = ctx.tr(_("Menu ({roles}). What would you like to do?"), roles=Safe(names))
    if not rows:
        text = ctx.tr(_("Menu ({roles}). Nothing needs your attention right now."),
                      roles=Safe(names))
    for provider in ctx.wiring.menus.get(EVERYONE, []):  # last, under the roles' sections
        rows.extend([b] for b in await provider(ctx))
    return Outbound(text=text, person_id=ctx.person.id, buttons=rows)


@feature.button(ShowMenu)
async def _menu_button(ctx: Context, p: ShowMenu) -> list[Outbound]:
    return [await menu(ctx)]


@feature.command("/menu")
async def _menu_command(ctx: Context, inbound: Inbound, arg: str) -> list[Outbound]:
    return [await menu(ctx)]


ROLE_HELP = {
    Role.PUPIL: _("As a pupil you answer short questionnaires before and after a trial, rate "
               "your own work, and send a photo of what you made."),
    Role.PARENT: _("As a parent you read about each trial, give or withdraw consent, and get a "
                "one-page summary of what your child did."),
    Role.MENTOR: _("As a mentor you confirm the trial, get a short card on the day, and rate "
                "each pupil's work with a few taps."),
    Role.TEACHER: _("As a class teacher you mark attendance on the day and may approve the "
                 "summaries for parents."),
    Role.COORDINATOR: _("As a coordinator you set up trials, invite people and get a daily "
                     "digest of what is missing."),
    Role.REGIONAL: _("As a regional career centre you see depersonalised figures across "
                  "schools."),
}


@feature.command("/help")
async def _help(ctx: Context, inbound: Inbound, arg: str) -> list[Outbound]:
    assert ctx.person is not None
    tr = ctx.tr
    lines = [tr(ROLE_HELP[r]) for r in ROLE_ORDER if r in ctx.person.role_names]
    lines.append(tr(_(
        "Commands:\n/menu — what you can do now\n/language — change the language\n"
        "/back — go back one question\n/skip — skip an optional question\n/help — this help")))
    lines.append(tr(_("/mydata — everything Synaq holds about you, as a file\n/forgetme — ask "
                      "for your data to be deleted")))
    return [Outbound(text=Safe("\n\n".join(lines)), person_id=ctx.person.id)]

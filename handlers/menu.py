"""The role menu: one message whose buttons come from the person's roles' menu sections."""

from __future__ import annotations

from locales import Safe, _

from .context import Context
from .events import Button, Inbound, Outbound
from .onboarding import ask_language
from .routing import EVERYONE, MENU_SECTIONS, ROLE_ORDER, callback, command

ROLE_NAMES = {
    "coordinator": _("School coordinator"),
    "teacher": _("Class teacher"),
    "mentor": _("Mentor"),
    "parent": _("Parent"),
    "pupil": _("Pupil"),
    "regional": _("Regional career centre"),
}


async def menu(ctx: Context) -> Outbound:
    """The person's menu, a section per role they hold."""
    assert ctx.person is not None
    roles = [r for r in ROLE_ORDER if r in ctx.person.role_names]
    rows: list[list[Button]] = []
    for role in roles:
        for provider in MENU_SECTIONS.get(role, []):
            rows.extend([b] for b in await provider(ctx))
    names = ", ".join(ctx.tr(ROLE_NAMES[r]) for r in roles)
    text = ctx.tr(_("Menu ({roles}). What would you like to do?"), roles=Safe(names))
    if not rows:
        text = ctx.tr(_("Menu ({roles}). Nothing needs your attention right now."),
                      roles=Safe(names))
    for provider in MENU_SECTIONS.get(EVERYONE, []):  # last, under the roles' sections
        rows.extend([b] for b in await provider(ctx))
    return Outbound(text=text, person_id=ctx.person.id, buttons=rows)


@callback("m")
async def _menu_button(ctx: Context, args: list[str]) -> list[Outbound]:
    return [await menu(ctx)]


@command("/menu")
async def _menu_command(ctx: Context, inbound: Inbound, arg: str) -> list[Outbound]:
    return [await menu(ctx)]


@command("/language")
async def _language_command(ctx: Context, inbound: Inbound, arg: str) -> list[Outbound]:
    return await ask_language(ctx)


ROLE_HELP = {
    "pupil": _("As a pupil you answer short questionnaires before and after a trial, rate "
               "your own work, and send a photo of what you made."),
    "parent": _("As a parent you read about each trial, give or withdraw consent, and get a "
                "one-page summary of what your child did."),
    "mentor": _("As a mentor you confirm the trial, get a short card on the day, and rate "
                "each pupil's work with a few taps."),
    "teacher": _("As a class teacher you mark attendance on the day and may approve the "
                 "summaries for parents."),
    "coordinator": _("As a coordinator you set up trials, invite people and get a daily "
                     "digest of what is missing."),
    "regional": _("As a regional career centre you see depersonalised figures across "
                  "schools."),
}


@command("/help")
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

"""The pupil's portfolio (trial-cycle.md, "Portfolio and trajectory").

Each completed trial adds one entry per pupil (``PortfolioEntry``, made by the due job below
and again on demand); what an entry says is read each time from the data: the trial, the
pupil's before / after / trace answers, the mentor's rubric beside the self-rating with plus /
delta / next step, and the artefacts the photo rule still allows. Over the entries a
trajectory shows: the fields tried, interest over time (trace Q1 "liked", Q3 "would choose"),
the professions ruled out.

Who sees it: the pupil and their parents (in chat, and as a PDF). An entry is shown only while
the pupil counts as having taken part (current consent "agree", not marked absent), and its
files only while the most restrictive of their stored tier and today's effective tier is not
"prohibited" ("portfolio only" is fine here: the portfolio is the family's).

Texts are built as plain strings (for the PDF) and escaped as a whole for chat messages.
"""

from __future__ import annotations

from handlers import access
from handlers.access import Action
from handlers.context import Context
from handlers.events import Attachment, Button, Outbound
from handlers.feature import Feature
from handlers.menu import menu_button
from handlers.portfolio.buttons import PortfolioPdf, ShowPortfolio
from handlers.portfolio.entries import (
    LATEST,
    PICTURES_PER_ENTRY,
    add_due,
    attachments,
    entries,
    entry_text,
    trajectory,
)
from handlers.refusal import Refusal
from locales import Safe, Translator, _, escape
from storage.files import MediaStore
from storage.models import (
    Person,
    Role,
)

feature = Feature("portfolio.view")


@feature.due("portfolio")
async def _add_entries(ctx: Context) -> list[Outbound]:
    """Every minute: an entry for each pupil whose trial is complete (nothing is sent)."""
    await add_due(ctx)
    return []


# --- access -----------------------------------------------------------------------------------


NOT_YOURS = _("I cannot find this portfolio among yours, so nothing was shown. Please use "
              "the buttons of your menu: /menu")


async def family_pupil(ctx: Context, pupil_id: int) -> Person:
    """The pupil if the current person is that pupil or one of their parents; for anyone else
    (another family's child, a mentor, a forged id) it raises ``Refusal(NOT_YOURS)``:
    ``Action.PORTFOLIO``."""
    grant = await access.check(ctx, Action.PORTFOLIO, pupil_id=pupil_id)
    if grant is None or grant.pupil is None:
        raise Refusal(NOT_YOURS)
    return grant.pupil


# --- the menu and the chat --------------------------------------------------------------------


@feature.menu(Role.PUPIL)
async def _pupil_menu(ctx: Context) -> list[Button]:
    assert ctx.person is not None
    if ctx.person.id not in await ctx.portfolio.with_entries([ctx.person.id]):
        return []
    return [Button(ctx.tr.plain(_("🗂 My portfolio")), ShowPortfolio(ctx.person.id).pack())]


@feature.menu(Role.PARENT)
async def _parent_menu(ctx: Context) -> list[Button]:
    assert ctx.person is not None
    children = await ctx.people.children(ctx.person.id)
    with_entries = await ctx.portfolio.with_entries(c.id for c in children)
    return [Button(ctx.tr.plain(_("🗂 Portfolio: {child}"), child=c.full_name.split()[0]),
                   ShowPortfolio(c.id).pack()) for c in children if c.id in with_entries]


@feature.button(ShowPortfolio)
async def _show(ctx: Context, p: ShowPortfolio) -> list[Outbound]:
    """The trajectory, the latest entries (one message each), the PDF button."""
    pupil = await family_pupil(ctx, p.pupil_id)
    assert ctx.person is not None
    tr = ctx.tr
    found = await entries(ctx, pupil)
    if not found:
        return [ctx.say(_("{name}: the portfolio is empty so far. An entry appears after each "
                          "trial, once the reflection or the mentor's card is in."),
                        buttons=[[menu_button(tr)]], name=pupil.full_name)]
    heading = tr.plain(_("Portfolio: {name}"), name=pupil.full_name)
    head = [f"<b>{escape(heading)}</b>",
            escape(tr.plain(_("Trials: {count}."), count=len(found))),
            *(escape(line) for line in trajectory(found, tr))]
    out = [Outbound(text=Safe("\n".join(head)), person_id=ctx.person.id)]
    for entry in found[:LATEST]:
        out.append(Outbound(text=entry_text(entry, tr), person_id=ctx.person.id,
                            trial_id=entry.trial.id,
                            attachments=attachments(entry.media, PICTURES_PER_ENTRY)))
    shown = min(LATEST, len(found))
    rows = [[Button(tr.plain(_("📄 The whole portfolio as a PDF")),
                    PortfolioPdf(pupil.id).pack())],
            [menu_button(tr)]]
    out.append(ctx.say(_("Shown: the latest {shown} of {count}. The PDF has every entry."),
                       buttons=rows, shown=shown, count=len(found)))
    return out


async def portfolio_document(ctx: Context, pupil: Person, tr: Translator) -> bytes:
    """The whole portfolio as a PDF in ``tr``'s language (the chat and ``synaq export
    portfolio`` send the same document)."""
    from handlers.render.portfolio_pdf import portfolio_pdf  # fpdf: only when one is made

    found = await entries(ctx, pupil)
    school = await ctx.school_of(pupil)
    school_class = await ctx.schools.school_class(pupil.class_id) if pupil.class_id else None
    return portfolio_pdf(pupil, found, MediaStore(ctx.config.media_dir), tr, ctx.now,
                         school=school.name if school else "",
                         class_name=school_class.name if school_class else "",
                         timezone=await ctx.timezone_of(pupil.school_id))


@feature.button(PortfolioPdf)
async def _pdf(ctx: Context, p: PortfolioPdf) -> list[Outbound]:
    """The whole portfolio as a PDF document."""
    pupil = await family_pupil(ctx, p.pupil_id)
    assert ctx.person is not None
    tr = ctx.tr
    data = await portfolio_document(ctx, pupil, tr)
    key, _digest = MediaStore(ctx.config.media_dir).put(data, "application/pdf", ctx.now)
    name = tr.plain(_("Portfolio — {name}.pdf"), name=pupil.full_name)
    return [Outbound(text=tr(_("Portfolio: {name}"), name=pupil.full_name),
                     person_id=ctx.person.id, purpose="portfolio",
                     attachments=[Attachment("document", key, name, "application/pdf")])]

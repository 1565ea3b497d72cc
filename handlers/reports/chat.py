"""What the coordinator gets in the chat: the journal, the year's targets and a trial's report,
from one menu entry."""

from __future__ import annotations

from datetime import datetime

from handlers import access
from handlers.access import Action
from handlers.context import Context
from handlers.events import Attachment, Button, Outbound
from handlers.feature import Feature
from handlers.refusal import Refusal
from handlers.reports.buttons import CSV, EXCEL, JOURNAL, TARGETS, TRIAL, Reports
from handlers.reports.journal import (
    JournalEntry,
    entry,
    journal_csv,
    journal_xlsx,
)
from handlers.reports.targets import Targets, school_year, targets, targets_xlsx
from handlers.reports.trial_report import trial_report_pdf
from locales import Translator, _
from storage.models import Role

feature = Feature("reports.chat")


# --- what the coordinator gets in the chat ------------------------------------------------------


async def school_targets(ctx: Context, school_id: int, start_year: int | None = None) \
        -> Targets:
    school = await ctx.schools.get(school_id)
    assert school is not None
    since, until = school_year(ctx.now, school.timezone, start_year)
    journal = ctx.journal
    facts = await journal.facts(await journal.trials(school_id, since, until))
    return targets(facts, await ctx.schools.classes(school_id),
                   await ctx.people.with_role(school_id, Role.PUPIL), ctx.now)


async def school_journal(ctx: Context, school_id: int, since: datetime | None,
                         until: datetime | None, tr: Translator) -> list[JournalEntry]:
    journal = ctx.journal
    facts = await journal.facts(await journal.trials(school_id, since, until))
    return [entry(f, ctx.now, tr) for f in facts]


def _document(ctx: Context, data: bytes, mime: str, name: str, caption: str) -> Outbound:
    from storage.files import MediaStore

    key, _digest = MediaStore(ctx.config.media_dir).put(data, mime, ctx.now)
    assert ctx.person is not None
    return Outbound(text=ctx.tr(caption), person_id=ctx.person.id,
                    attachments=[Attachment("document", key, name, mime)])


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@feature.menu(Role.COORDINATOR)
async def _reports_entry(ctx: Context) -> list[Button]:
    return [Button(ctx.tr.plain(_("📊 Journal and reports")), Reports().pack())]


@feature.button(Reports)
async def _reports(ctx: Context, p: Reports) -> list[Outbound]:
    """The choices; the journal (Excel or CSV); the targets; a trial's report (or the list of
    trials to choose from)."""
    grant = await access.check(ctx, Action.EXPORT)
    if grant is None or grant.school_id is None:
        raise Refusal()
    person, school_id = grant.person, grant.school_id
    tr = ctx.tr
    kind = p.report
    if kind is None:
        rows = [[Button(tr.plain(_("Journal (Excel)")), Reports(JOURNAL, EXCEL).pack()),
                 Button(tr.plain(_("Journal (CSV)")), Reports(JOURNAL, CSV).pack())],
                [Button(tr.plain(_("Targets of the year (Excel)")), Reports(TARGETS).pack())],
                [Button(tr.plain(_("A trial's report (PDF)")), Reports(TRIAL).pack())]]
        return [ctx.say(_("What would you like to receive? The journal and the targets cover "
                          "this school year."), rows)]
    school = await ctx.schools.get(school_id)
    assert school is not None
    since, until = school_year(ctx.now, school.timezone)
    audit = ctx.audit
    if kind == JOURNAL and p.option in (EXCEL, CSV):
        entries = await school_journal(ctx, school_id, since, until, tr)
        xlsx = p.option == EXCEL
        data = journal_xlsx(entries, tr) if xlsx else journal_csv(entries, tr)
        await audit.record(person.id, "export.journal", f"school:{school_id}", ctx.now,
                           format="xlsx" if xlsx else "csv", rows=len(entries), via="chat")
        return [_document(ctx, data, XLSX if xlsx else "text/csv",
                          "journal.xlsx" if xlsx else "journal.csv",
                          _("The journal of this school year: one row per trial."))]
    if kind == TARGETS:
        data = targets_xlsx(await school_targets(ctx, school_id), tr)
        await audit.record(person.id, "export.targets", f"school:{school_id}", ctx.now,
                           via="chat")
        return [_document(ctx, data, XLSX, "targets.xlsx", _(
            "The targets of this school year per class and per pupil, and the meaningful "
            "check of every pupil on every trial."))]
    if kind == TRIAL and p.option is None:
        trials = await ctx.journal.recent(school_id)
        if not trials:
            return [ctx.say(_("There are no trials yet."))]
        buttons = [[Button(f"{tr.date(t.starts_at, school.timezone, 'dd.MM')} {t.title}"[:60],
                           Reports(TRIAL, str(t.id)).pack())] for t in trials]
        return [ctx.say(_("Which trial?"), buttons)]
    if kind == TRIAL:
        found = await access.check(ctx, Action.EXPORT, trial_id=p.trial_id)
        if found is None or found.trial is None:
            raise Refusal()
        trial = found.trial
        facts = (await ctx.journal.facts([trial]))[0]
        await audit.record(person.id, "export.trial", f"trial:{trial.id}", ctx.now, via="chat")
        return [_document(ctx, trial_report_pdf(facts, ctx.now, tr), "application/pdf",
                          f"trial-{trial.id}.pdf", _("The trial's report."))]
    raise Refusal()

"""A coordinator sends a spreadsheet (XLSX or CSV) to the bot: it is checked and imported.

The file is read in memory and never stored. Everything is checked first and written all or
nothing (storage/importer); the answer lists each problem by file or sheet, row and column in
the coordinator's language. Anyone else who sends a spreadsheet is told, kindly, that only
the school's coordinator can import lists — and nothing is read.
"""

from __future__ import annotations

import html
from pathlib import PurePath

from handlers import access
from handlers.access import Action
from handlers.context import Context
from handlers.coordinator.changes import moved_by_import
from handlers.events import IncomingMedia, Outbound
from handlers.feature import Feature
from handlers.media import MediaTooLarge
from handlers.refusal import Refusal
from locales import Safe, Translator, _
from storage.importer import ImportResult, import_files, removal_lines
from storage.importer.schema import BY_KEY, WRITE_ORDER

feature = Feature("coordinator.file_import")

SUFFIXES = (".csv", ".xlsx", ".xlsm")
MIMES = {"text/csv", "text/comma-separated-values", "application/csv",
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
# A chat message holds at most 4096 characters; beyond this many the list is cut short.
SHOWN_PROBLEMS = 40


def is_spreadsheet(item: IncomingMedia) -> bool:
    if item.file_name:
        return PurePath(item.file_name).suffix.lower() in SUFFIXES
    return item.mime in MIMES


def _name(item: IncomingMedia) -> str:
    """A label for the file in messages (never a path on disk)."""
    if item.file_name:
        return PurePath(item.file_name).name[:80]
    return "import.xlsx" if "spreadsheetml" in item.mime else "import.csv"


def summary_lines(result: ImportResult, tr: Translator) -> list[str]:
    """What the import did, one plain line per kind of sheet, in the order they are written."""
    counts = result.counts
    if counts is None:
        return []
    lines = []
    for kind in WRITE_ORDER:
        created, updated = counts.created.get(kind, 0), counts.updated.get(kind, 0)
        same = counts.unchanged.get(kind, 0)
        if created or updated or same:
            lines.append(tr.plain(_("{what}: {created} new, {updated} updated, {same} "
                                    "unchanged"), what=tr.plain(BY_KEY[kind].label),
                                  created=created, updated=updated, same=same))
    return lines


def report_lines(result: ImportResult, tr: Translator, checked: bool = False) -> list[str]:
    """The whole answer as plain lines: the verdict, then problems or what changed (or, when
    only ``checked``, what would change: nothing was saved)."""
    errors, warnings = result.errors, [p for p in result.problems if p.warning]
    if errors:
        lines = [tr.plain(_("Nothing was imported. Problems found: {count}. Please fix them "
                            "and send the file again."), count=len(errors))]
        lines += ["• " + p.render(tr) for p in errors[:SHOWN_PROBLEMS]]
        if len(errors) > SHOWN_PROBLEMS:
            lines.append(tr.plain(_("…and {count} more."), count=len(errors) - SHOWN_PROBLEMS))
    elif result.counts is not None and not result.counts.changed:
        lines = [tr.plain(_("Nothing changed: everything in the file is already in Synaq."))]
        lines += summary_lines(result, tr)
    elif result.held:
        lines = []  # what it would remove, below
    elif checked:
        lines = [tr.plain(_("Checked: every row of every file is fine. Nothing was saved; "
                            "importing the files would give:"))]
        lines += summary_lines(result, tr)
    else:
        lines = [tr.plain(_("Imported. Everything in the file was checked and saved:"))]
        lines += summary_lines(result, tr)
    lines += removal_lines(result, tr, checked)
    if warnings:
        lines.append(tr.plain(_("Notes:")))
        lines += ["• " + p.render(tr) for p in warnings[:SHOWN_PROBLEMS]]
    return lines


@feature.file
async def _spreadsheet(ctx: Context, item: IncomingMedia) -> list[Outbound] | None:
    if not is_spreadsheet(item):
        return None
    grant = await access.check(ctx, Action.IMPORT)
    if grant is None or grant.school_id is None:
        raise Refusal(_("Thank you, but only the school's coordinator can import lists. "
                        "I have not read this file."))
    person = grant.person
    limit = ctx.config.max_upload_bytes
    try:
        if item.size is not None and item.size > limit:
            raise MediaTooLarge(item.size)
        data = await item.fetch()
    except MediaTooLarge as exc:
        raise Refusal(_("This file is {size} MB; I can read files up to {limit} MB."),
                      size=round(exc.size / 2**20, 1), limit=limit // 2**20) from exc
    result = await import_files(ctx.session, [(_name(item), data)], now=ctx.now,
                                school_id=person.school_id, actor=person,
                                confirm_removals=True)
    lines = [html.escape(line, quote=False) for line in report_lines(result, ctx.tr)]
    notices = [n for trial_id, start, end in result.moved
               for n in await moved_by_import(ctx, trial_id, (start, end))]
    return [Outbound(text=Safe("\n".join(lines)), person_id=person.id), *notices]

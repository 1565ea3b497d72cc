"""The command line's file side: ``synaq import``, ``synaq export …`` and the sheet and QR
options of ``synaq invites``. Messages are English unless ``--lang`` says otherwise; the
work itself is done by storage/importer and the handlers."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

LANGS = ("en", "kk", "ru")


def parse_day(value: str) -> date:
    """27.11.2026 or 2026-11-27."""
    for fmt in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"not a date: {value!r} (write 27.11.2026 or 2026-11-27)")


def add_export_commands(sub: Any) -> None:
    """The ``import`` and ``export`` subcommands (called by bot/__main__.py)."""
    imp = sub.add_parser(
        "import", help="load school, staff, partners, sites, classes, pupils, parents, "
                       "mentors and trials from CSV or XLSX files",
        description="Check every row of every file first, then write all or nothing. An XLSX "
                    "workbook holds one sheet per kind; CSV files are named after theirs "
                    "(pupils.csv…). Importing the same files again changes nothing; changed "
                    "rows are updated. See README, section Import.")
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE")
    imp.add_argument("--school", type=int, help="import into this school id")
    imp.add_argument("--lang", choices=LANGS, default="en", help="language of the report")
    imp.add_argument("--check", action="store_true", help="check only, write nothing")

    export = sub.add_parser("export", help="journal, trial reports, targets, portfolios, "
                                           "regional figures to CSV / XLSX / PDF / PNG")
    kinds = export.add_subparsers(dest="kind", required=True, metavar="kind")
    journal = kinds.add_parser("journal", help="the journal: one entry per trial")
    journal.add_argument("--format", choices=("csv", "xlsx"), default="xlsx")
    journal.add_argument("--school", type=int, help="only this school id")
    journal.add_argument("--from", dest="since", type=parse_day, metavar="DATE")
    journal.add_argument("--to", dest="until", type=parse_day, metavar="DATE")
    trial = kinds.add_parser("trial", help="one trial's report (PDF)")
    trial.add_argument("trial_id", type=int, metavar="ID")
    targets = kinds.add_parser("targets", help="meaningful trials and the year's targets per "
                                               "class and pupil (XLSX)")
    targets.add_argument("--school", type=int, help="only this school id")
    targets.add_argument("--year", type=int, metavar="YYYY",
                         help="the school year starting in September of YYYY (default: now)")
    portfolio = kinds.add_parser("portfolio", help="one pupil's portfolio (PDF)")
    portfolio.add_argument("pupil_id", type=int, metavar="PUPIL_ID")
    region = kinds.add_parser("region", help="depersonalised figures across schools: CSV and "
                                             "charts; groups under 5 pupils suppressed")
    region.add_argument("--from", dest="since", type=parse_day, metavar="DATE")
    region.add_argument("--to", dest="until", type=parse_day, metavar="DATE")
    for parser in (journal, trial, targets, portfolio, region):
        parser.add_argument("-o", "--output", type=Path, required=True,
                            metavar="DIR" if parser is region else "FILE")
        parser.add_argument("--lang", choices=LANGS, default="en", help="language of the texts")


async def run(runtime: Any, args: argparse.Namespace) -> int:
    if args.command == "import":
        return await run_import(runtime, args)
    return await run_export(runtime, args)


async def run_import(runtime: Any, args: argparse.Namespace) -> int:
    from handlers.coordinator.file_import import report_lines
    from locales import translator
    from storage.importer import import_files

    files = []
    for path in args.files:
        try:
            files.append((path.name, path.read_bytes()))
        except OSError as exc:
            print(f"synaq import: cannot read {path}: {exc.strerror}", file=sys.stderr)
            return 2
    from handlers.context import Context
    from handlers.coordinator.changes import moved_by_import
    from handlers.delivery import enqueue
    from handlers.features import WIRING

    now = datetime.now(UTC)
    async with runtime.sessions() as session:
        transaction = await session.begin()
        try:
            result = await import_files(session, files, now=now, school_id=args.school)
            if result.ok and not args.check:
                # A trial the file moved: people are told, reminders follow the new time.
                ctx = Context(session=session, wiring=WIRING, now=now, config=runtime.config)
                notices = [n for trial_id, start, end in result.moved
                           for n in await moved_by_import(ctx, trial_id, (start, end))]
                await enqueue(ctx, notices)
        except BaseException:
            await transaction.rollback()
            raise
        if args.check or not result.ok:
            await transaction.rollback()
        else:
            await transaction.commit()
    tr = translator(args.lang)
    for line in report_lines(result, tr, checked=args.check):
        print(line)
    return 0 if result.ok else 1


async def run_invites(runtime: Any, args: argparse.Namespace) -> int:
    """``synaq invites`` with --class, --qr or --pdf."""
    from handlers.context import Context
    from handlers.coordinator.invite_sheet import issue_for_class, save_qr_pictures, sheet_pdf
    from handlers.coordinator.invites import issue_for_pending
    from handlers.features import WIRING
    from storage.repos.audit import Audit

    if args.pdf and not args.class_name:
        print("synaq invites: --pdf needs --class NAME (one sheet per class)", file=sys.stderr)
        return 2
    now = datetime.now(UTC)
    async with runtime.sessions() as session, session.begin():
        ctx = Context(session=session, wiring=WIRING, now=now, config=runtime.config)
        if args.class_name:
            found = await _class(ctx, args.class_name, args.school)
            if isinstance(found, str):
                print(f"synaq invites: {found}", file=sys.stderr)
                return 2
            school, school_class = found
            slips = await issue_for_class(ctx, school, school_class)
            lines = [s.line for s in slips]
            await Audit(session).record(None, "invites.issue", f"class:{school_class.id}", now,
                                        count=len(slips), via="cli")
            if args.pdf:
                args.pdf.parent.mkdir(parents=True, exist_ok=True)
                args.pdf.write_bytes(sheet_pdf(school, school_class, slips, now,
                                               now + runtime.config.invite_ttl))
        else:
            lines = await issue_for_pending(ctx, args.school, args.role)
    if args.qr:
        written = save_qr_pictures(lines, args.qr)
        print(f"{len(written)} QR pictures written to {args.qr}")
    if args.pdf:
        print(f"invitation sheet written to {args.pdf} ({len(lines)} slips)")
    if args.json:
        for line in lines:
            print(json.dumps(line.as_dict(), ensure_ascii=False))
    else:
        for line in lines:
            print(f"{line.code}  {line.role:<11} {line.person}"
                  + (f" (parent of {', '.join(line.pupils)})" if line.pupils else ""))
    print(f"\n{len(lines)} codes issued; earlier codes of these people no longer work.")
    return 0


async def _class(ctx: Any, name: str, school_id: int | None) -> Any:
    """(school, class) named on the command line, or what is wrong as a string."""
    from storage.importer.plan import class_key

    schools = [await ctx.schools.get(school_id)] if school_id else await ctx.schools.all()
    found = [(s, c) for s in schools if s is not None for c in await ctx.schools.classes(s.id)
             if class_key(c.name) == class_key(name)]
    if not found:
        return f"no class {name!r}" + (f" in school {school_id}" if school_id else "")
    if len(found) > 1:
        return f"class {name!r} exists in several schools; choose one with --school ID"
    return found[0]


async def run_export(runtime: Any, args: argparse.Namespace) -> int:
    """``synaq export KIND``: write the file(s), record the export in the audit log."""
    from handlers.context import Context
    from handlers.features import WIRING
    from locales import translator
    from storage.repos.audit import Audit

    tr = translator(args.lang)
    now = datetime.now(UTC)
    async with runtime.sessions() as session, session.begin():
        ctx = Context(session=session, wiring=WIRING, now=now, config=runtime.config)
        exporter = EXPORTS[args.kind]
        outcome = await exporter(ctx, args, tr)
        if isinstance(outcome, str):
            print(f"synaq export {args.kind}: {outcome}", file=sys.stderr)
            return 2
        subject, detail = outcome
        await Audit(session).record(None, f"export.{args.kind}", subject, now, via="cli",
                                    output=str(args.output), **detail)
    print(f"{args.kind} written to {args.output}")
    return 0


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _range(since: date | None, until: date | None, timezone: str) \
        -> tuple[datetime | None, datetime | None]:
    """--from and --to as moments in the school's zone; --to includes its whole day."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(timezone)
    start = datetime.combine(since, datetime.min.time(), zone) if since else None
    end = (datetime.combine(until + timedelta(days=1), datetime.min.time(), zone)
           if until else None)
    return start, end


Outcome = tuple[str | None, dict[str, Any]] | str


async def _journal(ctx: Any, args: argparse.Namespace, tr: Any) -> Outcome:
    from handlers.reports.chat import school_journal
    from handlers.reports.journal import journal_csv, journal_xlsx

    schools = [await ctx.schools.get(args.school)] if args.school else await ctx.schools.all()
    if not schools or schools[0] is None:
        return f"no school {args.school}" if args.school else "there is no school yet"
    entries = []
    for school in schools:
        since, until = _range(args.since, args.until, school.timezone)
        entries += await school_journal(ctx, school.id, since, until, tr)
    data = journal_xlsx(entries, tr) if args.format == "xlsx" else journal_csv(entries, tr)
    _write(args.output, data)
    subject = f"school:{args.school}" if args.school else "all schools"
    return subject, {"format": args.format, "rows": len(entries)}


async def _trial(ctx: Any, args: argparse.Namespace, tr: Any) -> Outcome:
    from handlers.reports.trial_report import trial_report_pdf
    from storage.reads.journal import Journal

    journal = Journal(ctx.session)
    trial = await journal.trial(args.trial_id)
    if trial is None:
        return f"no trial {args.trial_id}"
    facts = (await journal.facts([trial]))[0]
    _write(args.output, trial_report_pdf(facts, ctx.now, tr))
    return f"trial:{trial.id}", {}


async def _targets(ctx: Any, args: argparse.Namespace, tr: Any) -> Outcome:
    from handlers.reports.chat import school_targets
    from handlers.reports.targets import targets_xlsx

    schools = [await ctx.schools.get(args.school)] if args.school else await ctx.schools.all()
    if len(schools) != 1 or schools[0] is None:
        return "choose the school with --school ID"
    _write(args.output, targets_xlsx(await school_targets(ctx, schools[0].id, args.year), tr))
    return f"school:{schools[0].id}", {"year": args.year}


async def _portfolio(ctx: Any, args: argparse.Namespace, tr: Any) -> Outcome:
    """The same document the pupil and their parents get in the chat (handlers/portfolio)."""
    from handlers.portfolio.view import portfolio_document

    pupil = await ctx.people.get(args.pupil_id)
    if pupil is None or "pupil" not in pupil.role_names:
        return f"no pupil {args.pupil_id}"
    _write(args.output, await portfolio_document(ctx, pupil, tr))
    return f"pupil:{pupil.id}", {}


async def _region(ctx: Any, args: argparse.Namespace, tr: Any) -> Outcome:
    from handlers.reports.figures import regional_files
    from storage.reads.journal import Journal

    since, until = _range(args.since, args.until, ctx.config.timezone)
    files = await regional_files(Journal(ctx.session), since, until, ctx.now, tr)
    _write(args.output / "region.csv", files.figures)
    _write(args.output / "region-districts.csv", files.districts)
    for name, png in files.charts.items():
        _write(args.output / f"region-{name.replace('_', '-')}.png", png)
    return "region", {"groups": files.count}


EXPORTS = {"journal": _journal, "trial": _trial, "targets": _targets, "portfolio": _portfolio,
           "region": _region}

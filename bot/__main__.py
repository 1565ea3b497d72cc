"""The command line: ``synaq <command>`` (or ``python -m bot <command>``)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from .settings import Settings

DESCRIPTION = """\
Synaq runs professional trials (кәсіби сынақ) for schools in Telegram, WhatsApp and the
console. Settings come from the environment and .env (see .env.example)."""


def parse_now(value: str) -> datetime:
    """An ISO-8601 moment; without a zone it is taken as UTC."""
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="synaq", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")

    run = sub.add_parser("run", help="start the service: channels, webhook server, scheduler")
    roles = run.add_mutually_exclusive_group()
    roles.add_argument("--web-only", action="store_true",
                       help="serve webhooks only (several such processes may run)")
    roles.add_argument("--scheduler-only", action="store_true",
                       help="run the scheduler and the outbox only (exactly one process)")

    console = sub.add_parser("console", help="chat with the bot in this terminal")
    console.add_argument("--name", default="console",
                         help="who you are on the console channel (default: console)")
    console.add_argument("--as", dest="as_person", type=int, metavar="PERSON_ID",
                         help="act as this person without an invite code")

    sub.add_parser("demo", help="load a demo school (idempotent)")

    invites = sub.add_parser(
        "invites", help="issue invite codes for everyone who has not joined yet",
        description="Issue a fresh code for everyone who has not joined yet. Codes are stored "
                    "only as hashes, so each run issues new ones and earlier codes of those "
                    "people stop working: a sheet printed with --pdf replaces the codes of "
                    "every slip on it.")
    invites.add_argument("--json", action="store_true", help="print JSON lines for machines")
    invites.add_argument("--school", type=int, help="only this school id")
    invites.add_argument("--role", choices=["pupil", "parent", "mentor", "coordinator",
                                            "teacher", "regional"], help="only this role")
    invites.add_argument("--class", dest="class_name", metavar="NAME",
                         help="only the pupils of this class and their parents")
    invites.add_argument("--qr", type=Path, metavar="DIR",
                         help="also write one QR picture (PNG) per person into DIR")
    invites.add_argument("--pdf", type=Path, metavar="FILE",
                         help="write a printable sheet of cut-out slips (needs --class)")

    from .export import add_export_commands

    add_export_commands(sub)

    tick = sub.add_parser("tick", help="do all work due now (or at --now) once, then exit")
    tick.add_argument("--now", type=parse_now, help="ISO-8601 moment, e.g. 2026-11-27T08:00+05:00")
    tick.add_argument("--no-send", action="store_true", help="queue only, do not deliver")

    backup = sub.add_parser("backup", help="write the database and the media folder to one "
                                           "file (README, Backups)")
    backup.add_argument("--out", type=Path, metavar="FILE",
                        help="where to write it (default: synaq-backup-<time>.tar.gz here)")
    restore = sub.add_parser("restore", help="put a backup back: the database and the media "
                                             "folder (stop the service first)")
    restore.add_argument("file", type=Path, metavar="FILE")
    restore.add_argument("--yes", action="store_true",
                         help="really replace the current database and media folder")

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="db_command")
    db_sub.add_parser("upgrade", help="apply migrations")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"synaq: the settings are not valid:\n{exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # No message texts or phone numbers in the logs; aiogram's and twilio's INFO lines are
    # noise for a school server (bot/log_filter.py).
    from .log_filter import install

    install()
    try:
        return asyncio.run(_dispatch(args, settings))
    except BrokenPipeError:
        # The reader stopped early (`synaq invites --json | head`): not an error. Point stdout
        # at /dev/null so that flushing it at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "db":
        from storage.migrate import upgrade

        await upgrade(settings.database_url)
        print("database is up to date")
        return 0
    if args.command in ("backup", "restore"):
        return await _backup(args, settings)
    if args.command == "run":
        from .app import run_service

        return await run_service(settings, web_only=args.web_only,
                                 scheduler_only=args.scheduler_only)

    from .runtime import open_runtime

    runtime = await open_runtime(settings, channels=args.command in ("tick", "invites"))
    try:
        if args.command == "console":
            from .console import run_console

            address = f"person-{args.as_person}" if args.as_person and args.name == "console" \
                else args.name
            return await run_console(runtime, address, args.as_person)
        if args.command == "demo":
            return await _demo(runtime)
        if args.command == "invites":
            return await _invites(runtime, args)
        if args.command in ("import", "export"):
            from .export import run

            return await run(runtime, args)
        if args.command == "tick":
            return await _tick(runtime, args)
    finally:
        await runtime.close()
    return 2


async def _backup(args: argparse.Namespace, settings: Settings) -> int:
    from .backup import BackupError, run_backup, run_restore

    now = datetime.now(UTC)
    try:
        if args.command == "backup":
            done = await run_backup(settings, args.out, now)
            print(f"backup written to {done.path} ({done.backend} database, "
                  f"{done.media_files} media files, {done.bytes} bytes)")
            return 0
        if not args.yes:
            print(f"synaq restore: this replaces the database ({settings.database_url.split('://')[0]}) "
                  f"and the media folder {settings.media_dir} with the backup's; stop the "
                  "service, then run again with --yes", file=sys.stderr)
            return 2
        done = await run_restore(settings, args.file, now)
    except BackupError as exc:
        print(f"synaq {args.command}: {exc}", file=sys.stderr)
        return 1
    print(f"restored {done.path}: {done.backend} database and {done.media_files} media files; "
          "migrations applied")
    return 0


async def _demo(runtime: object) -> int:
    from storage.demo import load_demo

    async with runtime.sessions() as session, session.begin():  # type: ignore[attr-defined]
        demo = await load_demo(session, datetime.now(UTC))
    if demo.created:
        print(f"demo school loaded (school id {demo.school_id}, trial id {demo.trial_id}); "
              "`synaq invites` prints the invite codes")
    else:
        print(f"demo school already loaded (school id {demo.school_id}); nothing changed")
    return 0


async def _invites(runtime: object, args: argparse.Namespace) -> int:
    if args.class_name or args.qr or args.pdf:
        from .export import run_invites

        return await run_invites(runtime, args)
    from handlers.context import Context
    from handlers.coordinator.invites import issue_for_pending
    from handlers.features import WIRING

    async with runtime.sessions() as session, session.begin():  # type: ignore[attr-defined]
        ctx = Context(session=session, wiring=WIRING, now=datetime.now(UTC),
                      config=runtime.config)  # type: ignore[attr-defined]
        lines = await issue_for_pending(ctx, args.school, args.role)
    if args.json:
        for line in lines:
            print(json.dumps(line.as_dict(), ensure_ascii=False))
        return 0
    if not lines:
        print("everyone has joined; no codes issued")
        return 0
    for line in lines:
        pupils = f" (parent of {', '.join(line.pupils)})" if line.pupils else ""
        link = f"  {line.telegram_link}" if line.telegram_link else ""
        print(f"{line.code}  {line.role:<11} {line.person}{pupils}{link}")
    print(f"\n{len(lines)} codes issued; earlier codes of these people no longer work.")
    return 0


async def _tick(runtime: object, args: argparse.Namespace) -> int:
    from .runtime import tick

    now = args.now or datetime.now(UTC)
    report = await tick(runtime, now, deliver=not args.no_send)  # type: ignore[arg-type]
    queued = sum(report.queued.values())
    line = f"tick at {now.isoformat()}: {queued} queued"
    if report.delivery is not None:
        d = report.delivery
        line += f", {d.sent} sent, {d.retried} to retry, {d.failed} failed"
    if report.failed_jobs:
        line += f"; failed jobs: {', '.join(report.failed_jobs)}"
    print(line)
    return 1 if report.failed_jobs else 0


if __name__ == "__main__":
    sys.exit(main())

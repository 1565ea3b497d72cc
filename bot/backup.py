"""``synaq backup`` and ``synaq restore``: the database and the media folder in one file.

The data stays on the school's or region's own server (the personal-data law wants it kept
in Kazakhstan): a backup is a ``.tar.gz`` written where the operator says, with

- ``manifest.json``: when, which backend, the migration heads, the number and SHA-256 of
  the media files;
- ``database.sqlite3`` — SQLite's online backup API, a consistent copy even while the
  service writes — or ``database.pgdump`` — ``pg_dump --format=custom`` (PostgreSQL's own
  client tools must be on PATH, of the server's major version; the connection's password
  goes through the environment, never the command line);
- ``media/…``: every file under ``MEDIA_DIR``, copied after the database, so every row has
  its file (a file newer than the copy is merely unused).

``synaq restore FILE --yes`` checks the archive (only regular files, only those names, no
path leaving the folder), puts the database back — SQLite: the file replaced; PostgreSQL:
``pg_restore --clean --if-exists`` into ``DATABASE_URL``'s database — and the media folder
(the current one is kept beside it as ``<folder>.before-restore-<time>``), then applies the
migrations, so an older backup comes up to date. Stop the service first.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from sqlalchemy.engine import make_url

from storage.db import is_sqlite

from .settings import Settings

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
MEDIA = "media"
FORMAT = 1


class BackupError(Exception):
    """Something the operator must fix (a missing tool, a wrong archive); said in words."""


@dataclass
class Summary:
    path: Path
    backend: str
    media_files: int
    bytes: int


# --- the database ---------------------------------------------------------------------------


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("only a SQLite database in a file can be backed up")
    return Path(database)


def _pg_env(url: str) -> tuple[dict[str, str], str]:
    """libpq's environment for ``url`` (the password stays out of the argument list)."""
    u = make_url(url)
    env = {**os.environ}
    for key, value in (("PGHOST", u.host), ("PGPORT", u.port), ("PGUSER", u.username),
                       ("PGPASSWORD", u.password)):
        if value:
            env[key] = str(value)
    if not u.database:
        raise BackupError("DATABASE_URL names no database")
    return env, u.database


def _run(command: list[str], env: dict[str, str]) -> None:
    tool = shutil.which(command[0])
    if tool is None:
        raise BackupError(f"{command[0]} is not on PATH: install PostgreSQL's client tools "
                          "(the package postgresql-client of the server's major version)")
    done = subprocess.run([tool, *command[1:]], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[:2000]}")


def dump_database(url: str, folder: Path) -> Path:
    if is_sqlite(url):
        source = sqlite_path(url)
        if not source.is_file():
            raise BackupError(f"there is no database file at {source}")
        target = folder / SQLITE_FILE
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)  # the online backup API: consistent while others write
        finally:
            dst.close()
            src.close()
        return target
    env, database = _pg_env(url)
    target = folder / PG_FILE
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
          f"--file={target}", database], env)
    return target


def restore_database(url: str, dump: Path) -> None:
    if is_sqlite(url):
        if dump.name != SQLITE_FILE:
            raise BackupError("this backup is of a PostgreSQL database; DATABASE_URL is SQLite")
        check = sqlite3.connect(dump)
        try:
            ok = check.execute("PRAGMA integrity_check").fetchone()
        finally:
            check.close()
        if not ok or ok[0] != "ok":
            raise BackupError("the database in the backup is damaged")
        target = sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_name(target.name + ".restoring")
        shutil.copyfile(dump, staged)
        for suffix in ("-wal", "-shm"):
            target.with_name(target.name + suffix).unlink(missing_ok=True)
        os.replace(staged, target)
        return
    if dump.name != PG_FILE:
        raise BackupError("this backup is of a SQLite database; DATABASE_URL is PostgreSQL")
    env, database = _pg_env(url)
    _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", f"--dbname={database}", str(dump)], env)


# --- the archive -----------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _heads(url: str) -> list[str]:
    """The migration heads this version knows (what a restored database is brought to)."""
    from alembic.script import ScriptDirectory

    from storage.migrate import alembic_config

    return sorted(ScriptDirectory.from_config(alembic_config(url)).get_heads())


def backup(settings: Settings, out: Path | None, now: datetime) -> Summary:
    out = out or Path(f"synaq-backup-{now:%Y%m%d-%H%M%S}.tar.gz")
    out.parent.mkdir(parents=True, exist_ok=True)
    media_dir = settings.media_dir
    with tempfile.TemporaryDirectory(prefix="synaq-backup-") as tmp:
        dump = dump_database(settings.database_url, Path(tmp))
        files = sorted(p for p in media_dir.rglob("*") if p.is_file()) \
            if media_dir.is_dir() else []
        backend = "sqlite" if dump.name == SQLITE_FILE else "postgresql"
        manifest = {
            "format": FORMAT, "created_at": now.isoformat(), "backend": backend,
            "database": dump.name, "migrations": _heads(settings.database_url),
            "media": {p.relative_to(media_dir).as_posix(): _sha256(p) for p in files},
        }
        part = out.with_name(out.name + ".part")
        with tarfile.open(part, "w:gz") as tar:
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(data), int(now.timestamp())
            tar.addfile(info, io.BytesIO(data))
            tar.add(dump, arcname=dump.name)
            for path in files:
                tar.add(path, arcname=f"{MEDIA}/{path.relative_to(media_dir).as_posix()}")
        os.replace(part, out)
    return Summary(out, backend, len(files), out.stat().st_size)


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """Only the manifest, one database file and regular files under media/, none of them
    leaving the folder they are extracted to."""
    members = tar.getmembers()
    for m in members:
        path = PurePosixPath(m.name)
        if not m.isfile() or path.is_absolute() or ".." in path.parts or "\\" in m.name:
            raise BackupError(f"the archive holds an entry that is not allowed: {m.name!r}")
        if m.name not in (MANIFEST, SQLITE_FILE, PG_FILE) and path.parts[0] != MEDIA:
            raise BackupError(f"the archive holds an unknown entry: {m.name!r}")
    return members


def restore(settings: Settings, archive: Path, now: datetime) -> Summary:
    if not archive.is_file():
        raise BackupError(f"there is no file {archive}")
    media_dir = settings.media_dir
    with tempfile.TemporaryDirectory(prefix="synaq-restore-") as tmp, \
            tarfile.open(archive, "r:gz") as tar:
        members = _safe_members(tar)
        names = {m.name for m in members}
        if MANIFEST not in names:
            raise BackupError("this is not a Synaq backup (no manifest.json)")
        manifest = json.loads(tar.extractfile(MANIFEST).read())  # type: ignore[union-attr]
        if manifest.get("format") != FORMAT or manifest.get("database") not in names:
            raise BackupError("this backup's format is not one this version reads")
        tar.extractall(tmp, members=members, filter="data")
        staged_media = Path(tmp) / MEDIA
        staged_media.mkdir(exist_ok=True)
        for key, digest in manifest.get("media", {}).items():
            path = staged_media / key
            if not path.is_file() or _sha256(path) != digest:
                raise BackupError(f"the media file {key} in the backup is missing or damaged")
        restore_database(settings.database_url, Path(tmp) / manifest["database"])
        # The current folder is kept beside the restored one, never deleted.
        if media_dir.exists():
            media_dir.rename(media_dir.with_name(
                f"{media_dir.name}.before-restore-{now:%Y%m%d-%H%M%S}"))
        media_dir.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staged_media, media_dir)
    from storage.migrate import upgrade_sync

    upgrade_sync(settings.database_url)
    return Summary(archive, manifest["backend"], len(manifest.get("media", {})),
                   archive.stat().st_size)


async def run_backup(settings: Settings, out: Path | None, now: datetime) -> Summary:
    return await asyncio.to_thread(backup, settings, out, now)


async def run_restore(settings: Settings, archive: Path, now: datetime) -> Summary:
    return await asyncio.to_thread(restore, settings, archive, now)

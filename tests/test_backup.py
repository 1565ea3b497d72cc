"""`synaq backup` and `synaq restore` through the real command line: the restored database and
media folder carry on the same conversation where it stood, and an archive with path tricks
is refused before anything is touched."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import os
import sys
import tarfile
from pathlib import Path

from sqlalchemy import select

from storage.files import MediaStore
from storage.models import Answer, FlowRun, Media

from .demo_school import PARENTS, jpeg
from .harness import TgUser, harness


async def synaq(env: dict[str, str], *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT, cwd=Path(__file__).parent.parent)
    out, _err = await proc.communicate()
    return proc.returncode or 0, out.decode()


def environment(db_url: str, media: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": db_url, "MEDIA_DIR": str(media),
            "LOG_LEVEL": "WARNING", "TELEGRAM_BOT_TOKEN": "", "TELEGRAM_WEBHOOK_URL": ""}


async def test_backup_and_restore_carry_on_the_same_conversation(h, demo, template_db, tmp_path):
    await demo.consent(PARENTS[0], tier="Portfolio only")
    _parent, pupil, _mentor = await demo.held(tier=None, photo=jpeg())
    # The pupil is halfway through the trace reflection when the backup is made.
    h.clock.advance(days=1)
    await pupil.presses(f"pqt:{demo.trial_id}")
    await pupil.taps("Yes")
    assert "Would you like to choose this profession?" in pupil.last.text
    async with h.db() as s:
        photo = await s.scalar(select(Media))
        original = MediaStore(h.settings.media_dir).read(photo.storage_key)

    archive = tmp_path / "backups" / "synaq.tar.gz"
    code, out = await synaq(environment(h.settings.database_url, h.settings.media_dir),
                            "backup", "--out", str(archive))
    assert code == 0 and "backup written to" in out, out
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert photo.storage_key in manifest["media"] and f"media/{photo.storage_key}" in names
    from alembic.script import ScriptDirectory

    from storage.migrate import alembic_config
    [head] = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert manifest["database"] in names and head in manifest["migrations"]

    # Another, empty database and media folder: restore refuses without --yes, then works.
    (tmp_path / "restored").mkdir()
    target_db = await template_db.copy(tmp_path / "restored")
    target_media = tmp_path / "restored-media"
    target_media.mkdir()
    (target_media / "old.txt").write_text("kept aside, never deleted")
    env = environment(target_db, target_media)
    code, out = await synaq(env, "restore", str(archive))
    assert code == 2 and "--yes" in out
    code, out = await synaq(env, "restore", str(archive), "--yes")
    assert code == 0 and "restored" in out, out
    assert (MediaStore(target_media).read(photo.storage_key)) == original
    [aside] = [p for p in tmp_path.iterdir() if p.name.startswith("restored-media.before")]
    assert (aside / "old.txt").read_text() == "kept aside, never deleted"

    # The restored copy serves the same conversation: the next question comes.
    async with harness(target_db, target_media) as restored:
        # Telegram's update ids go on growing; the restored database has seen the earlier ones.
        restored.fake._update_ids = itertools.count(h.fake.next_update_id())  # noqa: SLF001
        again = TgUser(restored, pupil.id, pupil.first_name, pupil.lang)
        await again.taps("No", pupil.last)
        assert "Will this experience be useful" in again.last.text
        async with restored.db() as s:
            run = await s.scalar(select(FlowRun).where(FlowRun.flow_id == "pupil.trace"))
            steps = set(await s.scalars(select(Answer.step_id).where(Answer.run_id == run.id)))
            kept = await s.scalar(select(Media))
        assert steps == {"liked", "choose"} and kept.storage_key == photo.storage_key
    await template_db.drop(target_db)


async def test_restore_refuses_an_archive_with_path_tricks(h, tmp_path):
    media = tmp_path / "media"
    env = environment(h.settings.database_url, media)
    for name in ("../escape.txt", "/etc/synaq-owned", "media/../../escape.txt", "other.sql"):
        archive = tmp_path / "evil.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            for entry, data in (("manifest.json", b'{"format": 1}'), (name, b"x")):
                info = tarfile.TarInfo(entry)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        code, out = await synaq(env, "restore", str(archive), "--yes")
        assert code == 1 and "not allowed" in out or "unknown entry" in out, out
    assert not (tmp_path / "escape.txt").exists() and not media.exists()

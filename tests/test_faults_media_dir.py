"""A full or read-only media folder: the person is told what happened and what to do, the
operator's log says what to fix, and no half-written file stays behind."""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import storage.files

from .demo_school import PARENTS, PUPILS
from .test_pupil_after import after_the_trial, through_the_questions


async def at_the_artefact_question(h, demo):
    await demo.consent(PARENTS[0], tier="Publication allowed")
    aruzhan = await demo.join(PUPILS[0], lang="en")
    await after_the_trial(h, demo)
    await demo.remind("pupil.after")
    await aruzhan.taps("Start")
    await through_the_questions(aruzhan)
    assert "Your artefact" in aruzhan.last.text
    return aruzhan


def leftovers(root: Path) -> list[Path]:
    return [p for p in root.glob("**/*") if p.is_file() or p.is_symlink()]


async def test_a_full_disk_is_explained_and_leaves_no_part_file(h, demo, monkeypatch, caplog):
    aruzhan = await at_the_artefact_question(h, demo)
    # The stand-in: the file the store writes first is the kernel's always-full device.
    monkeypatch.setattr(storage.files.secrets, "token_hex", lambda n: "f" * 2 * n)
    month = h.settings.media_dir / f"{h.now:%Y/%m}"
    month.mkdir(parents=True)
    (month / f"{'f' * 32}.part").symlink_to("/dev/full")
    with caplog.at_level(logging.ERROR):
        [reply] = await aruzhan.sends_photo(b"\xff\xd8\xff circuit")
    assert "storage for files is full" in reply.text and "send it again later" in reply.text
    assert leftovers(h.settings.media_dir) == []
    assert any("is full" in r.getMessage() and "free disk space" in r.getMessage()
               for r in caplog.records)
    # Space again: the same photo is kept.
    monkeypatch.undo()
    await aruzhan.sends_photo(b"\xff\xd8\xff circuit")
    assert "Received. Send more" in aruzhan.last.text


@pytest.fixture
def read_only_dir(tmp_path: Path):
    """A real read-only file system (a tmpfs remounted ro); root with mount(8) only."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)],
            capture_output=True).returncode != 0:
        pytest.skip("needs permission to mount a tmpfs")
    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


async def test_a_read_only_media_folder_is_explained(h, demo, read_only_dir, caplog):
    aruzhan = await at_the_artefact_question(h, demo)
    h.service.config = dataclasses.replace(h.config, media_dir=read_only_dir)
    with caplog.at_level(logging.ERROR):
        [reply] = await aruzhan.sends_photo(b"\xff\xd8\xff circuit")
    assert "cannot write to its folder for files" in reply.text
    assert leftovers(read_only_dir) == []
    assert any("read-only" in r.getMessage() and "mounted read-write" in r.getMessage()
               for r in caplog.records)

"""Zone data too old for Kazakhstan's UTC+5 (before IANA 2024a) stops the service at start
with a clear message; old system zone files do not matter, the tzdata package wins."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def old_almaty() -> bytes:
    """A TZif (version 1) file as old data has it: Asia/Almaty at +06, no change."""
    header = b"TZif" + b"\0" + bytes(15) + struct.pack(">6l", 0, 0, 0, 0, 1, 4)
    return header + struct.pack(">lBB", 6 * 3600, 0, 0) + b"+06\0"


def tick(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("TELEGRAM_", "TWILIO_", "DATABASE_URL"))}
    environment.update(env, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'synaq.db'}",
                       MEDIA_DIR=str(tmp_path / "media"))
    return subprocess.run([sys.executable, "-m", "bot", "tick", "--now",
                           "2026-11-23T04:00:00+00:00"], cwd=tmp_path, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_a_tzdata_package_from_before_2024a_stops_the_service(tmp_path):
    fake = tmp_path / "old"
    asia = fake / "tzdata" / "zoneinfo" / "Asia"
    asia.mkdir(parents=True)
    (fake / "tzdata" / "__init__.py").write_text('IANA_VERSION = "2023c"\n')
    (fake / "tzdata" / "zoneinfo" / "__init__.py").write_text("")
    (asia / "__init__.py").write_text("")
    (asia / "Almaty").write_bytes(old_almaty())
    result = tick(tmp_path, PYTHONPATH=f"{fake}{os.pathsep}{ROOT}")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "tzdata package 2023c" in result.stderr
    assert "UTC+6 after 1 March 2024" in result.stderr and "pip install -U tzdata" in \
        result.stderr


def test_old_system_zone_files_are_not_used(tmp_path):
    system = tmp_path / "zoneinfo"
    (system / "Asia").mkdir(parents=True)
    (system / "Asia" / "Almaty").write_bytes(old_almaty())
    result = tick(tmp_path, PYTHONTZPATH=str(system), PYTHONPATH=str(ROOT))
    assert result.returncode == 0, result.stdout + result.stderr

"""The console channel and the command line, as a developer or a school would use them."""

from __future__ import annotations

import asyncio
import json
import os
import sys

from sqlalchemy import select

from storage.db import create_engine, session_factory
from storage.models import Answer, FlowRun, Identity


async def synaq(env: dict[str, str], *args: str, stdin: str = "") -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate(stdin.encode())
    return proc.returncode or 0, out.decode(), err.decode()


def console_env(db_url: str, tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TWILIO_"))}
    return {**env, "DATABASE_URL": db_url, "MEDIA_DIR": str(tmp_path / "media"),
            "LOG_LEVEL": "WARNING", "LANG": "C.UTF-8"}


async def test_demo_then_a_scripted_console_session_onboards_a_pupil(db_url, tmp_path):
    env = console_env(db_url, tmp_path)
    code, out, _ = await synaq(env, "demo")
    assert code == 0 and "demo school loaded" in out
    code, out, _ = await synaq(env, "demo")
    assert code == 0 and "nothing changed" in out
    code, out, _ = await synaq(env, "invites", "--json", "--role", "pupil")
    pupil = json.loads(out.splitlines()[0])
    script = "\n".join([
        "hello",                      # not joined yet: the polite refusal
        pupil["code"],                # the code typed as is
        "3",                          # English
        "1",                          # the menu's first button: the before-questionnaire
        "I expect to build a circuit",
        "/back",
        "I expect to build a real circuit",
        "Electricity might be dangerous",
        "2",                          # skip the optional hypothesis
    ]) + "\n"
    code, out, err = await synaq(env, "console", "--name", "pupil-1", stdin=script)
    assert code == 0, err
    assert "Сәлеметсіз бе" in out  # a stranger is greeted in Kazakh, the default
    assert f"Synaq-қа қош келдіңіз, {pupil['person']}!" in out
    assert "[1] Қазақша   [2] Русский   [3] English" in out
    assert "Your goal:" in out and "What do I expect?" in out
    assert "Good luck at the trial" in out

    engine = create_engine(db_url)
    async with session_factory(engine)() as s:
        identity = await s.scalar(select(Identity).where(Identity.channel == "console"))
        run = await s.scalar(select(FlowRun).where(FlowRun.flow_id == "pupil.before"))
        answers = {a.step_id: a.value for a in await s.scalars(
            select(Answer).where(Answer.run_id == run.id))}
    await engine.dispose()
    assert identity.address == "pupil-1" and identity.person_id == pupil["person_id"]
    assert run.status == "completed"
    assert answers == {"expect": {"text": "I expect to build a real circuit"},
                       "worry": {"text": "Electricity might be dangerous"},
                       "hypothesis": {"skipped": True}}


async def test_run_without_a_token_starts_the_console_and_says_how(db_url, tmp_path):
    env = console_env(db_url, tmp_path)
    code, out, err = await synaq(env, "run", stdin="")
    assert code == 0
    assert "TELEGRAM_BOT_TOKEN is not set" in err and "synaq demo" in err
    assert "Synaq console" in out


async def test_console_as_a_person_skips_the_code(db_url, tmp_path):
    env = console_env(db_url, tmp_path)
    await synaq(env, "demo")
    code, out, _ = await synaq(env, "console", "--as", "1", stdin="/menu\n")
    assert code == 0 and "Мәзір" in out


async def test_bad_settings_are_reported_plainly(tmp_path):
    env = {**os.environ, "QUIET_HOURS": "nine to five", "DATABASE_URL":
           f"sqlite+aiosqlite:///{tmp_path}/x.db"}
    code, _out, err = await synaq(env, "tick")
    assert code == 2 and "QUIET_HOURS" in err

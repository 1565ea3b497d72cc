"""The benchmark: one run, one table. See README "Benchmark" and docs/performance.md.

Processes: this one holds the Bot API stand-in and the simulated users (bench/standin.py);
the service (``python -m bench.service``, i.e. ``synaq run``), the echo bot and each tick run
in processes of their own, so that what is measured is only theirs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from storage.db import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import Answer, Outbox, ProcessedInbound

from . import seed
from .memory import cpu_seconds, peak_rss_mb
from .standin import Standin

RESULTS = Path(__file__).parent / "results"
# Wednesday 2026-11-25, 08:00 in Astana: the digest's minute, the busiest of a school day.
NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@localhost:5544/postgres"


@dataclass(frozen=True)
class Plan:
    users: int  # closed-loop users at once
    runs: int  # open questionnaires per user
    warmup: float
    window: float
    outbox: int  # messages for the drain
    sizes: tuple[int, int]  # schools of 100 pupils, for the two tick runs
    active: int  # schools with trials around now (the same in both sizes)
    backlogs: tuple[int, ...] = (3000, 30000)  # bulk messages queued while people answer
    backlog_window: float = 20  # seconds measured, idle and under each backlog
    kill_batch: int = 600  # messages of the drain killed mid-way


FULL = Plan(users=1000, runs=3, warmup=5, window=30, outbox=1800, sizes=(100, 1000), active=20)
QUICK = Plan(users=300, runs=2, warmup=3, window=10, outbox=450, sizes=(20, 200), active=20,
             backlog_window=10, kill_batch=300)
# People answering questionnaires while a backlog drains: how many, and how long each takes
# to read a question and answer (a closed loop with no pause would itself be a flood).
BACKLOG_USERS = 15
THINK = 3.0


# --- databases -------------------------------------------------------------------------------


class Databases:
    """Fresh databases for one backend: SQLite files in a scratch folder, or PostgreSQL
    databases created (and dropped) on the server of ``postgres_url``."""

    def __init__(self, backend: str, postgres_url: str) -> None:
        self.backend = backend
        self.base = postgres_url
        self.scratch = Path(tempfile.mkdtemp(prefix="synaq-bench-"))

    @asynccontextmanager
    async def fresh(self, name: str) -> AsyncIterator[str]:
        if self.backend == "sqlite":
            url = f"sqlite+aiosqlite:///{self.scratch / name}.db"
        else:
            db = f"synaq_bench_{name}_{uuid.uuid4().hex[:6]}"
            await self._admin(f'CREATE DATABASE "{db}"')
            url = make_url(self.base).set(database=db).render_as_string(hide_password=False)
        try:
            await upgrade(url)
            yield url
        finally:
            if self.backend != "sqlite":
                await self._admin(f'DROP DATABASE IF EXISTS "{make_url(url).database}" '
                                  "WITH (FORCE)")

    async def _admin(self, statement: str) -> None:
        dsn = make_url(self.base).set(drivername="postgresql").render_as_string(
            hide_password=False)
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    def close(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)


# --- processes -------------------------------------------------------------------------------


def _env(url: str, standin: Standin, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TWILIO_"))}
    env.update(DATABASE_URL=url, TELEGRAM_BOT_TOKEN=standin.token, TELEGRAM_API_URL=standin.url,
               LOG_LEVEL="WARNING", MEDIA_DIR=tempfile.mkdtemp(prefix="synaq-media-"), **extra)
    return env


async def _start(module: str, env: dict[str, str], log: Path,
                 *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, *args, env=env, stdout=log.open("ab"),
        stderr=asyncio.subprocess.STDOUT, cwd=Path(__file__).parent.parent)


async def _polling(standin: Standin, timeout: float = 60) -> None:
    """Wait until a freshly started bot asks for updates."""
    mark = len(standin.calls)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(m == "getupdates" for m, _p in standin.calls[mark:]):
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("the bot did not start polling")


async def _stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 30)
        except TimeoutError:
            proc.kill()
            await proc.wait()


def _read(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- the parts -------------------------------------------------------------------------------


async def closed_loop(standin: Standin, chats: list[int], mode: str, plan: Plan,
                      proc: asyncio.subprocess.Process | None = None,
                      timings: Path | None = None,
                      profile: Path | None = None) -> dict[str, Any]:
    """Users answer for warm-up + window seconds; what the window saw."""
    standin.add_users(chats, mode)
    await standin.go()
    await asyncio.sleep(plan.warmup)
    if proc is not None and timings is not None:
        proc.send_signal(signal.SIGUSR1)
    start, answered0, lat0 = time.monotonic(), standin.loop_stats.answered, \
        len(standin.loop_stats.latencies)
    cpu0 = cpu_seconds(proc.pid) if proc is not None else 0.0
    spy = None
    if proc is not None and profile is not None:
        # Sampled from outside, so the service runs at full speed: collapsed stacks.
        spy = await asyncio.create_subprocess_exec(
            shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy")), "record",
            "--pid", str(proc.pid), "--duration", str(int(plan.window)), "--rate", "250",
            "--format", "raw", "--output", str(profile), "--nonblocking",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    await asyncio.sleep(plan.window)
    if spy is not None:
        await spy.wait()
    elapsed = time.monotonic() - start
    cpu = (cpu_seconds(proc.pid) - cpu0) / elapsed if proc is not None else 0.0
    answered = standin.loop_stats.answered - answered0
    latencies = standin.loop_stats.latencies[lat0:]
    handling: list[float] = []
    if proc is not None and timings is not None:
        proc.send_signal(signal.SIGUSR2)
        for _ in range(100):
            await asyncio.sleep(0.05)
            text = await asyncio.to_thread(_read, timings)
            if text:
                handling = json.loads(text)
                break
    standin.halt()
    standin._updates.clear()  # what nobody will answer any more
    return {
        "rate": answered / elapsed, "answered": answered, "seconds": elapsed,
        "round_trip_ms": [1000 * _pct(latencies, q) for q in (0.5, 0.95, 0.99)],
        "handling_ms": [1000 * _pct(handling, q) for q in (0.5, 0.95, 0.99)],
        "handled": len(handling), "cpu": cpu, "stalls": standin.loop_stats.stalls,
        "unexpected": standin.loop_stats.unexpected,
    }


async def throughput(db: Databases, standin: Standin, plan: Plan, log: Path,
                     profile: Path | None) -> dict[str, Any]:
    """The service and the echo bot, the same users, the same stand-in (no rate cap)."""
    result: dict[str, Any] = {}
    async with db.fresh("loop") as url:
        engine = create_engine(url)
        sessions = session_factory(engine)
        # The service runs on the real clock: the users' trials are yesterday for it.
        users = await seed.users(sessions, plan.users, plan.runs, datetime.now(UTC))
        timings = db.scratch / "timings.json"
        env = _env(url, standin, TELEGRAM_RATE="100000", BENCH_TIMINGS=str(timings),
                   TELEGRAM_WEBHOOK_URL="")
        proc = await _start("bench.service", env, log)
        try:
            await _polling(standin)
            result["synaq"] = await closed_loop(standin, users.chats, "synaq", plan, proc,
                                                timings, profile)
            result["synaq"]["rss_mb"] = peak_rss_mb(proc.pid)
        finally:
            await _stop(proc)
        async with sessions() as session:
            result["synaq"]["answers_stored"] = await session.scalar(
                select(func.count()).select_from(Answer))
            result["synaq"]["updates_stored"] = await session.scalar(
                select(func.count()).select_from(ProcessedInbound))
            result["synaq"]["outbox_rows"] = await session.scalar(
                select(func.count()).select_from(Outbox))

        echo = await _start("bench.echo_bot", _env(url, standin), log)
        try:
            await _polling(standin)
            result["echo"] = await closed_loop(standin, users.chats, "echo", plan, echo)
            result["echo"]["rss_mb"] = peak_rss_mb(echo.pid)
        finally:
            await _stop(echo)

        # The outbox against the real cap: a strict stand-in (429 beyond 30 in a second).
        await seed.outbox(sessions, plan.outbox, datetime.now(UTC))
        await engine.dispose()
        result["outbox"] = await drain(standin, url, plan, log)
    return result


async def drain(standin: Standin, url: str, plan: Plan, log: Path) -> dict[str, Any]:
    standin.strict_rate = True
    standin.rate_limited = 0
    chats = {seed.OUTBOX_CHAT + i for i in range(plan.outbox)}
    proc = await _start("bench.service", _env(url, standin, TELEGRAM_WEBHOOK_URL=""), log)
    times: list[float] = []
    try:
        deadline = time.monotonic() + plan.outbox / 20 + 60
        while time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            times = [s.at for s in standin.sent if s.chat_id in chats]
            if len(times) >= plan.outbox:
                break
        rss = peak_rss_mb(proc.pid)
    finally:
        await _stop(proc)
        standin.strict_rate = False
    times.sort()
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    busiest = max((sum(1 for u in times[i:i + 40] if u - t < 1.0)
                   for i, t in enumerate(times)), default=0)
    per_10s = [sum(1 for u in times if t <= u < t + 10) / 10
               for t in times[:: max(1, len(times) // 50)] if t + 10 <= times[-1]]
    return {"sent": len(times), "rate": (len(times) - 1) / span if span else 0.0,
            "slowest_10s": min(per_10s, default=0.0), "busiest_second": busiest,
            "rate_limited": standin.rate_limited, "rss_mb": rss}


async def _answering(standin: Standin, chats: list[int], window: float) -> dict[str, Any]:
    """People answer (with THINK seconds each to read and answer) for ``window`` seconds:
    their round trips, and what else went out meanwhile."""
    standin.add_users(chats, "synaq")
    standin.think = THINK
    others0, limited0 = len(standin.other_times), standin.rate_limited
    start = time.monotonic()
    await standin.go()
    await asyncio.sleep(window)
    standin.halt()
    end = time.monotonic()
    latencies = standin.loop_stats.latencies
    others = [t for t in standin.other_times[others0:] if start <= t < end]
    everything = [t for t in standin.send_times if start <= t < end]
    await asyncio.sleep(3)  # answers still on their way are not the next window's
    return {"latency_ms": [1000 * _pct(latencies, q) for q in (0.5, 0.95)],
            "answered": len(latencies), "bulk_rate": len(others) / (end - start),
            "total_rate": len(everything) / (end - start),
            "rate_limited": standin.rate_limited - limited0,
            "busiest_second": _busiest(everything), "stalls": standin.loop_stats.stalls}


def _busiest(times: list[float]) -> int:
    times = sorted(times)
    return max((sum(1 for u in times[i:i + 40] if u - t < 1.0) for i, t in enumerate(times)),
               default=0)


async def backlog(db: Databases, standin: Standin, plan: Plan, log: Path) -> dict[str, Any]:
    """Replies under a backlog: people answer questionnaires, first with an empty outbox,
    then with each backlog of bulk messages queued; the stand-in enforces 30 a second."""
    out: dict[str, Any] = {}
    for size in plan.backlogs:
        async with db.fresh(f"backlog{size}") as url:
            engine = create_engine(url)
            sessions = session_factory(engine)
            users = await seed.users(sessions, BACKLOG_USERS, 3, datetime.now(UTC))
            standin.strict_rate = True
            standin.send_times.clear()
            proc = await _start("bench.service", _env(url, standin, TELEGRAM_WEBHOOK_URL=""),
                                log)
            try:
                await _polling(standin)
                idle = await _answering(standin, users.chats, plan.backlog_window / 2)
                await seed.outbox(sessions, size, datetime.now(UTC))
                await asyncio.sleep(2)  # the drain is under way
                busy = await _answering(standin, users.chats, plan.backlog_window)
            finally:
                await _stop(proc)
                standin.strict_rate = False
                standin.think = 0.0
                await engine.dispose()
            out[str(size)] = {"idle": idle, "busy": busy}
    return out


async def kill(db: Databases, standin: Standin, plan: Plan, log: Path) -> dict[str, Any]:
    """A drain killed (SIGKILL) a third of the way, then started again: how many messages
    the channel had accepted that were not recorded (at risk of going twice), how many went
    twice, how many were lost, and how long until everything was out."""
    n = plan.kill_batch
    first = 1_000_000
    chats = {seed.OUTBOX_CHAT + first + i for i in range(n)}
    async with db.fresh("kill") as url:
        engine = create_engine(url)
        sessions = session_factory(engine)
        await seed.outbox(sessions, n, datetime.now(UTC), first=first)
        env = _env(url, standin, TELEGRAM_WEBHOOK_URL="")
        proc = await _start("bench.service", env, log)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if sum(1 for s in standin.sent if s.chat_id in chats) >= n // 3:
                    break
                await asyncio.sleep(0.05)
            proc.kill()
            await proc.wait()
            killed_at = time.monotonic()
            accepted = sum(1 for s in standin.sent if s.chat_id in chats)
            async with sessions() as session:
                # Rows to no one we know are deleted once recorded as sent.
                recorded = n - int(await session.scalar(
                    select(func.count()).select_from(Outbox)
                    .where(Outbox.status.in_(("queued", "sending")))) or 0)
            proc = await _start("bench.service", env, log)
            deadline = time.monotonic() + n / 20 + 120
            while time.monotonic() < deadline:
                await asyncio.sleep(0.5)
                if {s.chat_id for s in standin.sent} >= chats:
                    break
        finally:
            await _stop(proc)
            await engine.dispose()
    got = [s.chat_id for s in standin.sent if s.chat_id in chats]
    return {"at_risk": accepted - recorded, "twice": len(got) - len(set(got)),
            "lost": len(chats - set(got)), "recovered_s": max(
                (s.at for s in standin.sent if s.chat_id in chats), default=0)
            - killed_at}


async def senders(db: Databases, standin: Standin, plan: Plan, log: Path) -> dict[str, Any]:
    """Three sending processes (``synaq run --scheduler-only`` each: a full outbox worker)
    drain one backlog together on PostgreSQL, sharing the bot's 29 a second through the
    database; the stand-in enforces 30 a second."""
    n = plan.outbox
    first = 2_000_000
    chats = {seed.OUTBOX_CHAT + first + i for i in range(n)}
    async with db.fresh("senders") as url:
        engine = create_engine(url)
        await seed.outbox(session_factory(engine), n, datetime.now(UTC), first=first)
        await engine.dispose()
        standin.strict_rate = True
        limited0 = standin.rate_limited
        env = _env(url, standin, TELEGRAM_WEBHOOK_URL="")
        procs = [await _start("bench.service", env, log, "--scheduler-only")
                 for _ in range(3)]
        try:
            deadline = time.monotonic() + n / 20 + 90
            while time.monotonic() < deadline:
                await asyncio.sleep(0.5)
                if {s.chat_id for s in standin.sent} >= chats:
                    break
        finally:
            for proc in procs:
                await _stop(proc)
            standin.strict_rate = False
    times = sorted(s.at for s in standin.sent if s.chat_id in chats)
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    return {"sent": len(times), "rate": (len(times) - 1) / span if span else 0.0,
            "busiest_second": _busiest(times), "rate_limited": standin.rate_limited - limited0}


async def ticks(db: Databases, plan: Plan, log: Path) -> list[dict[str, Any]]:
    out = []
    for schools in plan.sizes:
        async with db.fresh(f"tick{schools}") as url:
            engine = create_engine(url)
            started = time.perf_counter()
            rows = await seed.region(session_factory(engine), schools, plan.active, NOW)
            seeded = time.perf_counter() - started
            await engine.dispose()
            env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING",
                   "TELEGRAM_BOT_TOKEN": ""}
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.tickrun", "--now", NOW.isoformat(), env=env,
                stdout=asyncio.subprocess.PIPE, stderr=log.open("ab"),
                cwd=Path(__file__).parent.parent)
            stdout, _err = await proc.communicate()
            if proc.returncode != 0:
                raise RuntimeError(f"tick run failed; see {log}")
            result = json.loads(stdout)
            out.append({"schools": schools, "pupils": schools * seed.PUPILS_PER_SCHOOL,
                        "rows": rows, "seed_seconds": seeded, **result})
    return out


async def one_backend(backend: str, plan: Plan, postgres_url: str, parts: set[str],
                      profile: bool) -> dict[str, Any]:
    db = Databases(backend, postgres_url)
    log = RESULTS / f"{backend}.log"
    result: dict[str, Any] = {"backend": backend}
    standin = Standin()
    await standin.start()
    try:
        if "tick" in parts:
            result["ticks"] = await ticks(db, plan, log)
        if "loop" in parts:
            result.update(await throughput(
                db, standin, plan, log,
                RESULTS / f"profile-{backend}.folded" if profile else None))
        if "outbox" in parts:
            standin.trimming = False  # these parts count every message they sent
            result["backlog"] = await backlog(db, standin, plan, log)
            result["kill"] = await kill(db, standin, plan, log)
            if backend == "postgres":
                result["senders"] = await senders(db, standin, plan, log)
            standin.trimming = True
    finally:
        await standin.stop()
        db.close()
    return result


# --- the table -------------------------------------------------------------------------------


def table(results: list[dict[str, Any]], plan: Plan) -> str:
    cols = [r["backend"] for r in results]
    rows: list[tuple[str, str, list[str]]] = []

    def row(name: str, target: str, fmt: Any) -> None:
        cells = []
        for r in results:
            try:
                cells.append(fmt(r))
            except (KeyError, IndexError, TypeError):
                cells.append("–")
        rows.append((name, target, cells))

    def ratio_target(r: dict[str, Any]) -> str:
        return "≥ 0.5" if r["backend"] == "sqlite" else "≥ 0.7"

    row("throughput: Synaq, updates answered/s", "", lambda r: f"{r['synaq']['rate']:.0f}")
    row("throughput: aiogram echo bot, updates/s", "", lambda r: f"{r['echo']['rate']:.0f}")
    row("ratio Synaq / echo", "≥ 0.5 SQLite, ≥ 0.7 PG",
        lambda r: f"{r['synaq']['rate'] / r['echo']['rate']:.2f} ({ratio_target(r)})")
    row("  service process CPU during the window", "",
        lambda r: f"{100 * r['synaq']['cpu']:.0f} %")
    row("  echo bot process CPU during the window", "",
        lambda r: f"{100 * r['echo']['cpu']:.0f} %")
    row("handling per update p50 / p95 / p99, ms", "p95 < 25",
        lambda r: " / ".join(f"{v:.1f}" for v in r["synaq"]["handling_ms"]))
    row("round trip seen by a user p50 / p95, ms", "",
        lambda r: " / ".join(f"{v:.0f}" for v in r["synaq"]["round_trip_ms"][:2]))
    row("  (echo bot round trip p50 / p95, ms)", "",
        lambda r: " / ".join(f"{v:.0f}" for v in r["echo"]["round_trip_ms"][:2]))
    row("stalled users / stray answers", "0 / 0",
        lambda r: f"{r['synaq']['stalls']} / {r['synaq']['unexpected']}")
    row("outbox drain, msg/s (slowest 10 s)", "≥ 28.5",
        lambda r: f"{r['outbox']['rate']:.1f} ({r['outbox']['slowest_10s']:.1f})")
    row("outbox: 429 answers / busiest second", "0 / ≤ 30",
        lambda r: f"{r['outbox']['rate_limited']} / {r['outbox']['busiest_second']}")
    row("outbox: at risk per kill / sent twice / lost", "≤ 5 / ≤ 5 / 0",
        lambda r: f"{r['kill']['at_risk']} / {r['kill']['twice']} / {r['kill']['lost']}")
    row("  all out again after the kill, s", "",
        lambda r: f"{r['kill']['recovered_s']:.0f}")
    for size in plan.backlogs:
        row(f"reply p50 / p95 under {size:,} bulk, ms (idle p95)", "p95 ≤ 1000, ≤ 3× idle",
            lambda r, k=str(size): " / ".join(
                f"{v:.0f}" for v in r["backlog"][k]["busy"]["latency_ms"])
            + f" ({r['backlog'][k]['idle']['latency_ms'][1]:.0f})")
        row("  meanwhile bulk / all msg/s; 429; busiest s", "≥ 28.5 all; 0; ≤ 30",
            lambda r, k=str(size): (lambda b: f"{b['bulk_rate']:.1f} / {b['total_rate']:.1f}; "
                                              f"{b['rate_limited']}; {b['busiest_second']}")(
                r["backlog"][k]["busy"]))
    row("three senders on one DB: msg/s; 429; busiest s", "≥ 28.5; 0; ≤ 30",
        lambda r: f"{r['senders']['rate']:.1f}; {r['senders']['rate_limited']}; "
                  f"{r['senders']['busiest_second']}")
    for i, size in enumerate(plan.sizes):
        pupils = size * seed.PUPILS_PER_SCHOOL
        row(f"tick, {pupils:,} pupils: first / next minute, s", "< 5" if i else "",
            lambda r, i=i: f"{r['ticks'][i]['ticks'][0]['seconds']:.2f} / "
                           f"{r['ticks'][i]['ticks'][1]['seconds']:.2f}")
        row(f"  queued; slowest job ({size} schools, rows)", "",
            lambda r, i=i: _slowest(r["ticks"][i]))
    row("peak RSS: service (loop / outbox), MB", "< 200",
        lambda r: f"{r['synaq']['rss_mb']:.0f} / {r['outbox']['rss_mb']:.0f}")
    row("peak RSS: tick process, MB", "< 200",
        lambda r: f"{max(t['rss_mb'] for t in r['ticks']):.0f}")

    width = [max(len(x) for x in [n for n, _t, _c in rows] + ["measure"]),
             max(len(x) for x in [t for _n, t, _c in rows] + ["target"])]
    widths = [max([len(c[i]) for _n, _t, c in rows] + [len(cols[i])]) for i in range(len(cols))]
    lines = ["| " + " | ".join(["measure".ljust(width[0]), "target".ljust(width[1])]
                               + [c.ljust(w) for c, w in zip(cols, widths, strict=True)]) + " |",
             "|" + "|".join("-" * (w + 2) for w in width + widths) + "|"]
    for name, target, cells in rows:
        lines.append("| " + " | ".join([name.ljust(width[0]), target.ljust(width[1])]
                                       + [c.ljust(w) for c, w in zip(cells, widths, strict=True)])
                     + " |")
    return "\n".join(lines)


def _slowest(t: dict[str, Any]) -> str:
    first = t["ticks"][0]
    name, seconds = max(first["jobs"].items(), key=lambda kv: kv[1])
    return f"{first['queued']}; {name} {seconds:.2f} s ({t['rows'] / 1e6:.1f} M rows)"


def describe(plan: Plan) -> str:
    return (f"{plan.users} closed-loop users × {plan.runs} open after-questionnaires; "
            f"{plan.warmup:.0f} s warm-up, {plan.window:.0f} s measured; outbox {plan.outbox} "
            f"messages; tick over {plan.sizes[0]} and {plan.sizes[1]} schools × 100 pupils "
            f"({plan.active} with trials around now); {os.cpu_count()} CPUs, load "
            f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL",
                                                                 DEFAULT_POSTGRES))
    parser.add_argument("--quick", action="store_true", help="smaller and shorter")
    parser.add_argument("--only", choices=["tick", "loop", "outbox"],
                        help="run one part only")
    parser.add_argument("--profile", action="store_true",
                        help="sample the service with py-spy during the measured window "
                             "(collapsed stacks: bench/results/profile-*.folded)")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    RESULTS.mkdir(exist_ok=True)
    backends = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    parts = {args.only} if args.only else {"tick", "loop", "outbox"}
    results = []
    for backend in backends:
        print(f"… {backend}", file=sys.stderr, flush=True)
        results.append(await one_backend(backend, plan, args.postgres_url, parts,
                                         args.profile))
    text = table(results, plan)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    header = f"python -m bench {' '.join(argv if argv is not None else sys.argv[1:])}\n" \
             f"{describe(plan)}\n"
    print(header + "\n" + text)
    (RESULTS / f"bench-{stamp}.md").write_text(header + "\n" + text + "\n")
    (RESULTS / f"bench-{stamp}.json").write_text(json.dumps(
        {"plan": plan.__dict__, "results": results}, indent=1, default=str))
    return 0

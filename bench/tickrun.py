"""One process that runs ``tick`` (queue only) at ``--now`` and a minute later, and prints
how long each took, per due job, and the process's peak memory, as JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import datetime, timedelta
from typing import Any

from bot.runtime import open_runtime, tick
from bot.settings import Settings
from handlers.context import Context
from handlers.features import WIRING

from .memory import peak_rss_mb


async def main(now: datetime, minutes: int) -> dict[str, Any]:
    runtime = await open_runtime(Settings(), channels=False)
    job_seconds: dict[str, float] = {}

    def timed(name: str, job: Any) -> Any:
        async def run(ctx: Context) -> Any:
            started = time.perf_counter()
            try:
                return await job(ctx)
            finally:
                job_seconds[name] = time.perf_counter() - started
        return run

    for name, job in list(WIRING.due_jobs.items()):
        WIRING.due_jobs[name] = timed(name, job)
    ticks = []
    try:
        for minute in range(minutes):
            job_seconds.clear()
            started = time.perf_counter()
            report = await tick(runtime, now + timedelta(minutes=minute), deliver=False)
            ticks.append({"seconds": time.perf_counter() - started,
                          "queued": sum(report.queued.values()),
                          "failed": report.failed_jobs, "jobs": dict(job_seconds)})
    finally:
        await runtime.close()
    return {"ticks": ticks, "rss_mb": peak_rss_mb()}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--now", required=True, type=datetime.fromisoformat)
    parser.add_argument("--minutes", type=int, default=2)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.now, args.minutes))))

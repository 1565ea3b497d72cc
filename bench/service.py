"""``synaq run`` as the benchmark starts it: the same service, plus two signals to read its
per-update handling times (``Service.timings``) for the measured window only.

SIGUSR1 forgets the times so far; SIGUSR2 writes those since to ``BENCH_TIMINGS`` (JSON).
With ``BENCH_PROFILE=FILE`` the whole run is profiled with pyinstrument (text to FILE).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from typing import Any

from bot import app
from bot.runtime import Runtime
from bot.settings import Settings


async def main() -> int:
    settings = Settings()
    if os.environ.get("BENCH_SWITCH"):
        sys.setswitchinterval(float(os.environ["BENCH_SWITCH"]))
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    opened: list[Runtime] = []
    open_runtime = app.open_runtime

    async def keep(settings: Settings, *args: Any, **kwargs: Any) -> Runtime:
        runtime = await open_runtime(settings, *args, **kwargs)
        opened.append(runtime)
        return runtime

    app.open_runtime = keep  # type: ignore[assignment]
    loop = asyncio.get_running_loop()

    def reset() -> None:
        for runtime in opened:
            runtime.service.timings.clear()

    def dump() -> None:
        times = [t for runtime in opened for t in runtime.service.timings]
        with open(os.environ["BENCH_TIMINGS"], "w") as out:
            json.dump(times, out)

    loop.add_signal_handler(signal.SIGUSR1, reset)
    loop.add_signal_handler(signal.SIGUSR2, dump)
    role = sys.argv[1:]
    return await app.run_service(settings, web_only="--web-only" in role,
                                 scheduler_only="--scheduler-only" in role)


if __name__ == "__main__":
    profile = os.environ.get("BENCH_PROFILE")
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="disabled", interval=0.0005)
        profiler.start()
        try:
            code = asyncio.run(main())
        finally:
            profiler.stop()
            with open(profile, "w") as out:
                out.write(profiler.output_text(unicode=True, show_all=False))
        sys.exit(code)
    sys.exit(asyncio.run(main()))

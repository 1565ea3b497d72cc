"""Read py-spy's collapsed stacks: where the samples are, by function (own and total).

``python -m bench.folded bench/results/profile-sqlite.folded [--top 40] [--match TEXT]``
"""

from __future__ import annotations

import argparse
import re
from collections import Counter

_FRAME = re.compile(r"^(?P<fn>[^ ]+) \((?P<file>[^:]+)(?::\d+)?\)$")


def frames(stack: str) -> list[str]:
    out = []
    for frame in stack.split(";"):
        m = _FRAME.match(frame.strip())
        name = f"{m.group('fn')} ({m.group('file').split('site-packages/')[-1]})" if m \
            else frame.strip()
        out.append(name)
    return out


# Where a sample's time goes: sending to Telegram as a whole, else the innermost frame that
# belongs to one of these.
SENDING = "aiogram sending (request model, HTTP, response model)"
LIBRARIES = (
    ("sqlite_inline.py", "SQLite itself (sqlite3 calls)"),
    ("asyncpg/", "asyncpg"),
    ("sqlalchemy/", "SQLAlchemy (statements, results, unit of work)"),
    ("handlers/", "Synaq handlers, flows, words"),
    ("flows/", "Synaq handlers, flows, words"),
    ("locales/", "Synaq handlers, flows, words"),
    ("aiogram/", "aiogram/pydantic reading updates, dispatch"),
    ("pydantic", "aiogram/pydantic reading updates, dispatch"),
    ("bot/", "outbox and polling logic"),
)


def category(names: list[str]) -> str:
    if any("TelegramSender.send" in name for name in names):
        return SENDING
    for name in reversed(names):
        for needle, label in LIBRARIES:
            if needle in name:
                return label
    return "asyncio, aiohttp, other"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--match", default="")
    parser.add_argument("--categories", action="store_true",
                        help="only the share of each kind of work")
    args = parser.parse_args()
    own: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    with open(args.file) as lines:
        for line in lines:
            stack, _sep, count = line.rstrip("\n").rpartition(" ")
            if args.match and args.match not in stack:
                continue
            if not count.isdigit():
                continue  # a frame name with a line break in it
            n = int(count)
            samples += n
            names = frames(stack)
            own[names[-1]] += n
            kinds[category(names)] += n
            for name in set(names):
                total[name] += n
    print(f"{samples} samples")
    if args.categories:
        for label, n in kinds.most_common():
            print(f"{100 * n / samples:5.1f}%  {label}")
        return
    print("-- total (inclusive)")
    for name, n in total.most_common(args.top):
        print(f"{100 * n / samples:5.1f}%  {name}")
    print("-- own")
    for name, n in own.most_common(args.top // 2):
        print(f"{100 * n / samples:5.1f}%  {name}")


if __name__ == "__main__":
    main()

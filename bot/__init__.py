"""The running service: settings, channel adapters, webhook server, outbox, scheduler, CLI."""

# Before anything imports aiogram: its Bot API models are built when first used (see there).
from . import lazy_aiogram  # noqa: F401

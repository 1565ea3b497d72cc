"""The running service: settings, channel adapters, webhook server, outbox, scheduler, CLI."""

"""Repositories: the only code that reads and writes SQL. Each takes the event's session."""

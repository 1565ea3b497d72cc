"""The performance benchmark: ``python -m bench [--db sqlite|postgres|both] [--quick]``."""

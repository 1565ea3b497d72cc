"""The robustness figures (generated cases, tampering attempts refused, kill points, the roles
× actions matrix) at the end of every run of the suite, also under ``pytest -q``."""

from __future__ import annotations

from typing import Any

from .support import FIGURES


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.section("robustness figures")
        for line in FIGURES:
            terminalreporter.write_line(line)

"""Chaos fixtures: the served world of the sync tests, and the figures table at the end."""

from __future__ import annotations

import pytest

from tests.sync.conftest import served_world

from .checker import RESULTS, chaos_seed

__all__ = ["served_world"]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not RESULTS:
        return
    write = terminalreporter.write_line
    write(f"chaos figures (seed {chaos_seed()}; MLC_CHAOS_SEED overrides):")
    write(f"{'scenario':<34}{'seed':>10}{'injected':>10}{'rounds':>8}{'dupl':>6}"
          f"{'lost':>6}{'diverg':>8}{'invisible':>11}")
    for f in RESULTS:
        write(f"{f.scenario:<34}{f.seed:>10}{f.injected:>10}{f.rounds:>8}{f.duplicates:>6}"
              f"{f.lost_edits:>6}{f.divergent:>8}{f.invisible_failures:>11}")

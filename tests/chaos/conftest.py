"""Chaos fixtures: the served world of the sync tests; each scenario's figures travel on its
test report (tests/conftest.py prints them as one table at the end, from xdist workers too)."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import asdict

import pytest

from tests.conftest import CHAOS_FIGURES
from tests.sync.conftest import served_world

from .checker import RESULTS

__all__ = ["served_world"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]) -> Generator[None, None, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if report.when == "call":
        while RESULTS:
            report.user_properties.append((CHAOS_FIGURES, asdict(RESULTS.pop(0))))

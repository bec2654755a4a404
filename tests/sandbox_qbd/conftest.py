"""Fixtures for the QuickBooks simulator tests: a hand-moved clock and a fresh company."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connector.sandbox.qbd import QuickBooksSimulator


class FakeClock:
    """The true time, moved only by the test."""

    def __init__(self, start: datetime = datetime(2024, 5, 1, 15, 0, tzinfo=UTC)):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def qb(clock: FakeClock) -> QuickBooksSimulator:
    return QuickBooksSimulator(clock=clock, sleep=lambda seconds: None)

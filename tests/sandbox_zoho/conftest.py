"""Fixtures for the Zoho simulator tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from connector.sandbox.zoho import ZohoSimulator

from .helpers import CLIENT_ID, REDIRECT, SECRET, ManualClock, Receiver, api_client


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sim(clock: ManualClock) -> Iterator[ZohoSimulator]:
    simulator = ZohoSimulator(clock=clock)
    simulator.register_client(CLIENT_ID, SECRET, REDIRECT)
    yield simulator
    simulator.close()


@pytest.fixture
def api(sim: ZohoSimulator) -> Iterator[httpx.Client]:
    with api_client(sim) as client:
        yield client


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rx = Receiver()
    rx.thread.start()
    yield rx
    rx.server.shutdown()
    rx.server.server_close()


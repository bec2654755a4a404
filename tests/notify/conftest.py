"""A bridge, a simulated Zoho org whose callbacks reach that bridge, and a stored connection.

Callbacks travel in-process (httpx's WSGI transport into the Flask app) unless a test asks
for ``live``, in which case the simulator POSTs them over real HTTP to waitress.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from flask import Flask

from connector.config import Settings
from connector.crypto import SecretBox
from connector.sandbox.zoho import ZohoSimulator
from connector.store import Database, ZohoConnection
from connector.zoho import ZohoClient
from connector.zoho.connection import load_connection, open_client
from soap_bridge.app import create_app
from tests.bridge.conftest import live  # noqa: F401 - the bridge behind waitress, re-exported
from tests.sync.conftest import connect_zoho
from tests.zoho.conftest import CLIENT_ID, FAST, SECRET, FakeClock, add_key_fields

BRIDGE = "http://bridge.test"
NOTIFY_URL = f"{BRIDGE}/zoho/notify"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(settings: Settings, db: Database, clock: FakeClock) -> Flask:
    return create_app(settings, db=db, clock=clock)


@pytest.fixture
def bridge(app: Flask) -> Iterator[httpx.Client]:
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url=BRIDGE) as http:
        yield http


def _simulator(clock: FakeClock, transport: httpx.BaseTransport | None) -> ZohoSimulator:
    sim = ZohoSimulator(clock=clock, notify_transport=transport)
    sim.register_client(CLIENT_ID, SECRET)
    add_key_fields(sim)
    return sim


@pytest.fixture
def sim(app: Flask, clock: FakeClock) -> Iterator[ZohoSimulator]:
    simulator = _simulator(clock, httpx.WSGITransport(app=app))
    yield simulator
    simulator.close()


@pytest.fixture
def connection(sim: ZohoSimulator, db: Database, secrets: SecretBox,
               clock: FakeClock) -> ZohoConnection:
    connect_zoho(db, secrets, sim, clock)
    return load_connection(db)


@pytest.fixture
def secrets(settings: Settings) -> SecretBox:
    return SecretBox.from_settings(settings)


@pytest.fixture
def client(connection: ZohoConnection, sim: ZohoSimulator, settings: Settings, db: Database,
           secrets: SecretBox, clock: FakeClock) -> Iterator[ZohoClient]:
    zoho = open_client(settings, db, secrets, transport=sim.api_transport(),
                       accounts_transport=sim.accounts_transport(), retry=FAST, clock=clock)
    yield zoho
    zoho.close()

"""A bridge, a simulated Zoho org whose callbacks reach that bridge, and a stored connection.

Callbacks travel in-process (httpx's WSGI transport into the Flask app) unless a test asks
for ``live_bridge``, in which case the simulator POSTs them over real HTTP to waitress.
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
from connector.zoho.connection import NewConnection, load_connection, open_client, save_connection
from soap_bridge.app import create_app
from tests.bridge.conftest import LiveServer
from tests.zoho.conftest import CLIENT_ID, FAST, SCOPE, SECRET, FakeClock, add_key_fields, endpoint_for

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
def live_bridge(app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(app)
    yield server
    server.stop()


@pytest.fixture
def connection(sim: ZohoSimulator, db: Database, secrets: SecretBox,
               clock: FakeClock) -> ZohoConnection:
    endpoint = endpoint_for(sim, clock)
    grant = endpoint.exchange_code(sim.grant_code(CLIENT_ID, scope=SCOPE))
    endpoint.close()
    assert grant.refresh_token
    save_connection(db, secrets, NewConnection(app=endpoint.app, region=None,
                                               refresh_token=grant.refresh_token, grant=grant,
                                               org_id=sim.org_id, edition=sim.edition))
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

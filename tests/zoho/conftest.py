"""A simulated Zoho org, a stored connection to it, and a client, for the Zoho tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from connector.config import Settings
from connector.crypto import SecretBox
from connector.sandbox.zoho import ZohoSimulator
from connector.store import Database
from connector.zoho import DEFAULT_SCOPES, OAuthApp, TokenEndpoint, ZohoClient
from connector.zoho.connection import NewConnection, open_client, save_connection
from connector.zoho.fields import REQUIRED_CUSTOM_FIELDS
from connector.zoho.retry import RetryPolicy

CLIENT_ID = "1000.TESTCLIENT00000000000000000001"
SECRET = "0123456789abcdef0123456789abcdef01234567"
SCOPE = ",".join(DEFAULT_SCOPES)
ACCOUNTS = "http://zoho-accounts.sim"
# Retries without waiting: tests check what is retried, not how long it takes.
FAST = RetryPolicy(attempts=4, base_delay=0.0, max_delay=0.0, sleep=lambda s: None,
                   random=lambda: 0.0)


class FakeClock:
    """One clock for the simulator and the client, moved by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def add_key_fields(sim: ZohoSimulator) -> None:
    for want in REQUIRED_CUSTOM_FIELDS:
        if want.module in sim.modules and want.api_name not in sim.fields(want.module):
            sim.add_field(want.module, want.api_name, want.data_type, unique=want.unique)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "zoho_sim(keys=True, **options): how to build the simulated org "
        "(ZohoSimulator options; keys=False leaves our custom fields out)")


@pytest.fixture
def sim(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[ZohoSimulator]:
    marker = request.node.get_closest_marker("zoho_sim")
    options = dict(marker.kwargs) if marker else {}
    keys = options.pop("keys", True)
    simulator = ZohoSimulator(clock=clock, **options)
    simulator.register_client(CLIENT_ID, SECRET)
    if keys:
        add_key_fields(simulator)
    yield simulator
    simulator.close()


@pytest.fixture
def secrets(settings: Settings) -> SecretBox:
    return SecretBox.from_settings(settings)


def endpoint_for(sim: ZohoSimulator, clock: Callable[[], datetime], *,
                 client_id: str = CLIENT_ID, secret: str = SECRET,
                 redirect_uri: str | None = None,
                 transport: httpx.BaseTransport | None = None) -> TokenEndpoint:
    return TokenEndpoint(OAuthApp(ACCOUNTS, client_id, secret, redirect_uri),
                         transport=transport or sim.accounts_transport(), retry=FAST,
                         clock=clock)


@pytest.fixture
def connect(sim: ZohoSimulator, db: Database, secrets: SecretBox,
            clock: FakeClock) -> Callable[..., str]:
    """Store a connection the way `zoho connect --grant-code` does; returns the refresh token."""

    def run(name: str = "default") -> str:
        endpoint = endpoint_for(sim, clock)
        grant = endpoint.exchange_code(sim.grant_code(CLIENT_ID, scope=SCOPE))
        endpoint.close()
        assert grant.refresh_token
        save_connection(db, secrets, NewConnection(
            app=endpoint.app, region=None, refresh_token=grant.refresh_token, grant=grant,
            org_id=sim.org_id, edition=sim.edition), name=name)
        return grant.refresh_token

    return run


@pytest.fixture
def make_client(sim: ZohoSimulator, db: Database, settings: Settings, secrets: SecretBox,
                clock: FakeClock) -> Iterator[Callable[..., ZohoClient]]:
    made: list[ZohoClient] = []

    def build(**kw: Any) -> ZohoClient:
        options: dict[str, Any] = {"retry": FAST, "clock": clock} | kw
        client = open_client(settings, db, secrets, transport=sim.api_transport(),
                             accounts_transport=sim.accounts_transport(), **options)
        made.append(client)
        return client

    yield build
    for client in made:
        client.close()


@pytest.fixture
def client(connect: Callable[..., str], make_client: Callable[..., ZohoClient]) -> ZohoClient:
    connect()
    return make_client()

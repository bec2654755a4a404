"""Token refresh lives in ZohoAuth: ahead of expiry, once on a 401, one refresh per need
across threads and processes, and a clear stop when the refresh token is gone."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import text

from connector.crypto import SecretBox
from connector.errors import FatalError
from connector.sandbox.zoho import ZohoSimulator
from connector.store import Database
from connector.zoho import ZohoAuth, ZohoClient
from connector.zoho.connection import DbTokenStore, load_connection
from connector.zoho.fields import QBD_KEY

from .conftest import FakeClock, endpoint_for

TOKEN = "/oauth/v2/token"


def _accounts(n: int) -> list[dict[str, object]]:
    return [{"Account_Name": f"C{i}", QBD_KEY: f"1:{i}"} for i in range(n)]


def test_calls_carry_the_zoho_oauthtoken_header_and_go_to_api_domain(
        client: ZohoClient, sim: ZohoSimulator) -> None:
    assert client.api_domain == "http://zoho-api.sim"
    client.org()
    assert sim.calls[-1][:2] == ("GET", "/crm/v8/org")


def test_token_is_refreshed_ahead_of_expiry_without_a_401(client: ZohoClient,
                                                          sim: ZohoSimulator,
                                                          clock: FakeClock) -> None:
    client.org()
    before = sim.call_count("POST", TOKEN)
    clock.advance(minutes=56)  # four minutes left: inside the five-minute margin
    client.org()
    assert sim.call_count("POST", TOKEN) == before + 1
    assert all(status != 401 for _, _, status in sim.calls)


def test_expiry_mid_batch_costs_one_refresh_and_every_batch_is_replayed(
        client: ZohoClient, sim: ZohoSimulator) -> None:
    client.org()
    before = sim.call_count("POST", TOKEN)
    sim.expire_access_tokens()  # Zoho drops the token while we still think it is good
    results = client.upsert("Accounts", _accounts(500), duplicate_check_fields=[QBD_KEY])
    assert all(r.ok for r in results) and len(sim.records("Accounts")) == 500
    assert sim.call_count("POST", TOKEN) == before + 1
    refused = [c for c in sim.calls if c[2] == 401]
    assert 1 <= len(refused) <= 5  # the batches already in flight, each replayed once


def test_revoked_refresh_token_is_a_clear_fatal_error_and_no_loop(
        client: ZohoClient, sim: ZohoSimulator, db: Database, secrets: SecretBox) -> None:
    refresh = secrets.decrypt(load_connection(db).refresh_token_enc)
    sim.revoke_refresh_token(refresh)
    sim.expire_access_tokens()
    before = sim.call_count("POST", TOKEN)
    with pytest.raises(FatalError, match="connect again with a new grant code"):
        client.upsert("Accounts", _accounts(3), duplicate_check_fields=[QBD_KEY])
    assert sim.call_count("POST", TOKEN) == before + 1
    with pytest.raises(FatalError):
        client.org()  # the next call tries once more, and again stops cleanly
    assert sim.call_count("POST", TOKEN) == before + 2


class _SlowAccounts(httpx.BaseTransport):
    """The accounts server answering slowly, so two refreshers surely overlap."""

    def __init__(self, inner: httpx.BaseTransport):
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        time.sleep(0.3)
        return self.inner.handle_request(request)


def test_two_processes_refresh_once_and_the_loser_adopts_the_winners_token(
        sim: ZohoSimulator, connect: Callable[..., str], db: Database, secrets: SecretBox,
        clock: FakeClock) -> None:
    refresh = connect()
    row = load_connection(db)
    assert row.id is not None
    auths = []
    for _ in range(2):
        endpoint = endpoint_for(sim, clock, transport=_SlowAccounts(sim.accounts_transport()))
        # A lock of its own each: as if in two processes, sharing only the database.
        auths.append(ZohoAuth(endpoint, refresh, DbTokenStore(db, row.id, secrets),
                              clock=clock, lock=threading.Lock()))
    clock.advance(minutes=58)
    before = sim.call_count("POST", TOKEN)
    tokens: list[str | None] = []
    threads = [threading.Thread(target=lambda a=a: tokens.append(a.token().access_token))
               for a in auths]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sim.call_count("POST", TOKEN) == before + 1
    assert len(set(tokens)) == 1 and sorted(a.refresh_count for a in auths) == [0, 1]


def test_tokens_and_client_secret_are_encrypted_at_rest(
        client: ZohoClient, db: Database, secrets: SecretBox) -> None:
    client.org()
    row = load_connection(db)
    plain = [secrets.decrypt(row.refresh_token_enc), secrets.decrypt(row.client_secret_enc or ""),
             client.auth.token().access_token]
    with db.engine.connect() as conn:
        raw = " ".join(str(v) for r in conn.execute(text("select * from mlc_zoho_connection"))
                       for v in r)
    for secret in plain:
        assert secret and secret not in raw

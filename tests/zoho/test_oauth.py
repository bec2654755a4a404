"""OAuth against the simulated accounts server: each error names its likely cause."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connector.errors import FatalError, RetriableError
from connector.sandbox.zoho import ZohoSimulator

from .conftest import CLIENT_ID, SCOPE, FakeClock, endpoint_for


def test_unknown_client_id_points_at_the_data_centre(sim: ZohoSimulator,
                                                     clock: FakeClock) -> None:
    endpoint = endpoint_for(sim, clock, client_id="1000.MADEINEU")
    with pytest.raises(FatalError, match="wrong data centre") as info:
        endpoint.exchange_code(sim.grant_code(CLIENT_ID, scope=SCOPE))
    assert info.value.code == "invalid_client" and "--region" in info.value.message


def test_wrong_client_secret_says_so(sim: ZohoSimulator, clock: FakeClock) -> None:
    with pytest.raises(FatalError, match="client secret does not match") as info:
        endpoint_for(sim, clock, secret="wrong").exchange_code(sim.grant_code(CLIENT_ID))
    assert info.value.code == "invalid_client_secret"


def test_expired_grant_code_says_how_long_codes_last(sim: ZohoSimulator,
                                                     clock: FakeClock) -> None:
    code = sim.grant_code(CLIENT_ID, scope=SCOPE)
    clock.advance(minutes=2)
    with pytest.raises(FatalError, match=r"expired .*1-10 minutes") as info:
        endpoint_for(sim, clock).exchange_code(code)
    assert info.value.code == "invalid_code"


def test_a_grant_code_works_only_once(sim: ZohoSimulator, clock: FakeClock) -> None:
    endpoint = endpoint_for(sim, clock)
    code = sim.grant_code(CLIENT_ID, scope=SCOPE)
    assert endpoint.exchange_code(code).refresh_token
    with pytest.raises(FatalError, match="already used"):
        endpoint.exchange_code(code)


def test_redirect_uri_mismatch_names_the_uri(clock: FakeClock) -> None:
    sim = ZohoSimulator(clock=clock)
    sim.register_client(CLIENT_ID, "s", redirect_uri="https://example.test/cb")
    endpoint = endpoint_for(sim, clock, secret="s", redirect_uri="http://127.0.0.1:1/cb")
    with pytest.raises(FatalError, match=r"register http://127\.0\.0\.1:1/cb") as info:
        endpoint.exchange_code(sim.grant_code(CLIENT_ID))
    assert info.value.code == "invalid_redirect_uri"


def test_revoked_refresh_token_asks_to_connect_again(sim: ZohoSimulator,
                                                     clock: FakeClock) -> None:
    refresh = sim.issue_refresh_token(CLIENT_ID, scope=SCOPE)
    sim.revoke_refresh_token(refresh)
    with pytest.raises(FatalError, match="ml-connector zoho connect"):
        endpoint_for(sim, clock).refresh(refresh)


def test_more_than_ten_refreshes_in_ten_minutes_is_throttled_not_fatal(
        sim: ZohoSimulator, clock: FakeClock) -> None:
    endpoint = endpoint_for(sim, clock)
    refresh = sim.issue_refresh_token(CLIENT_ID, scope=SCOPE)
    for _ in range(10):
        endpoint.refresh(refresh)
    with pytest.raises(RetriableError, match="10 access tokens per 10"):
        endpoint.refresh(refresh)


def test_token_response_names_the_api_domain(sim: ZohoSimulator, clock: FakeClock) -> None:
    grant = endpoint_for(sim, clock).exchange_code(sim.grant_code(CLIENT_ID, scope=SCOPE))
    assert grant.api_domain == "http://zoho-api.sim"
    assert grant.expires_at == clock() + timedelta(hours=1)

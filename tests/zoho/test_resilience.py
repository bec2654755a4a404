"""429 storms, 5xx, timeouts and limits: retried where safe, stopped where not."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from connector.config import Settings
from connector.errors import RetriableError
from connector.sandbox.zoho import ZohoSimulator
from connector.zoho import CreditBudgetExceeded, ZohoClient
from connector.zoho.fields import QBD_KEY
from connector.zoho.limits import ConcurrencyLimiter

UPSERT = "/Accounts/upsert"


def _accounts(n: int) -> list[dict[str, object]]:
    return [{"Account_Name": f"C{i}", QBD_KEY: f"1:{i}"} for i in range(n)]


def test_a_429_storm_is_retried_until_it_passes(client: ZohoClient, sim: ZohoSimulator) -> None:
    sim.faults.fail_next(3, status=429, path_contains=UPSERT)
    results = client.upsert("Accounts", _accounts(5), duplicate_check_fields=[QBD_KEY])
    assert all(r.ok for r in results)
    assert sim.call_count("POST", UPSERT) == 4


def test_retries_that_run_out_raise_a_retriable_error(client: ZohoClient,
                                                      sim: ZohoSimulator) -> None:
    sim.faults.fail_next(10, status=429, path_contains=UPSERT)
    with pytest.raises(RetriableError) as info:
        client.upsert("Accounts", _accounts(5), duplicate_check_fields=[QBD_KEY])
    assert info.value.code == "TOO_MANY_REQUESTS"
    assert sim.call_count("POST", UPSERT) == 4  # the policy's four attempts, no more
    assert sim.records("Accounts") == []


def test_server_errors_are_retried(client: ZohoClient, sim: ZohoSimulator) -> None:
    sim.faults.fail_next(2, status=503)
    assert client.org().id == sim.org_id


def test_a_timed_out_upsert_is_repeated_safely(client: ZohoClient, sim: ZohoSimulator) -> None:
    sim.faults.timeout_next(1, 5.0, path_contains=UPSERT)
    results = client.upsert("Accounts", _accounts(3), duplicate_check_fields=[QBD_KEY])
    assert all(r.ok for r in results)
    assert len(sim.records("Accounts")) == 3  # the lost first answer did not duplicate


def test_a_timed_out_insert_is_not_repeated(client: ZohoClient, sim: ZohoSimulator) -> None:
    sim.faults.timeout_next(1, 5.0, path_contains="/Accounts")
    with pytest.raises(RetriableError) as info:
        client.insert("Accounts", _accounts(1))
    assert info.value.code == "TIMEOUT"
    assert len(sim.records("Accounts")) == 1  # Zoho did it once; we did not do it twice


def test_our_own_parallel_batches_never_trip_zohos_concurrency_limits(
        connect: Callable[..., str], make_client: Callable[..., ZohoClient],
        sim: ZohoSimulator) -> None:
    connect()
    sim.latency = 0.02
    client = make_client()
    client.limiter = ConcurrencyLimiter(15, sub_concurrency=10)
    results = client.upsert("Accounts", _accounts(3000), duplicate_check_fields=[QBD_KEY])
    assert all(r.ok for r in results)
    assert sim.count_429 == 0
    assert sim.max_sub_in_flight_seen <= 10 and sim.max_in_flight_seen > 1


def test_credit_budget_stops_us_before_zoho_would(connect: Callable[..., str],
                                                  make_client: Callable[..., ZohoClient],
                                                  sim: ZohoSimulator,
                                                  settings: Settings) -> None:
    connect()
    settings.zoho_daily_credit_budget = 25
    client = make_client()
    client.upsert("Accounts", _accounts(200), duplicate_check_fields=[QBD_KEY])  # 20 credits
    calls = len(sim.calls)
    with pytest.raises(CreditBudgetExceeded, match="MLC_ZOHO_DAILY_CREDIT_BUDGET"):
        client.upsert("Accounts", _accounts(100), duplicate_check_fields=[QBD_KEY])
    assert len(sim.calls) == calls  # stopped before sending anything

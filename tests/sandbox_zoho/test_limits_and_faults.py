"""Concurrency, sub-concurrency and credits (429 TOO_MANY_REQUESTS), injected faults."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from connector.sandbox.zoho import ZohoSimulator
from connector.sandbox.zoho.errors import ApiError
from connector.sandbox.zoho.limits import Limiter
from connector.tls import tls_context

from .helpers import ACCOUNTS, CLIENT_ID, REDIRECT, SECRET, ManualClock, api_client, token


def _sim(clock: ManualClock, **kw: Any) -> ZohoSimulator:
    sim = ZohoSimulator(clock=clock, **kw)
    sim.register_client(CLIENT_ID, SECRET, REDIRECT)
    return sim


def _parallel(sim: ZohoSimulator, requests: list[tuple[str, str, Any]]) -> list[httpx.Response]:
    """Fire the requests at once over real HTTP, each on its own connection."""
    access = token(sim)["access_token"]
    with sim.serve() as urls:
        def one(request: tuple[str, str, Any]) -> httpx.Response:
            method, path, body = request
            return httpx.request(method, f"{urls.api_url}{path}", json=body, timeout=10,
                                 headers={"Authorization": f"Zoho-oauthtoken {access}"},
                                 verify=tls_context())
        with ThreadPoolExecutor(len(requests)) as pool:
            return list(pool.map(one, requests))


def test_calls_above_the_concurrency_limit_get_429(clock: ManualClock) -> None:
    sim = _sim(clock, concurrency_limit=3, latency=0.5)
    replies = _parallel(sim, [("GET", "/crm/v8/org", None)] * 6)
    refused = [r for r in replies if r.status_code == 429]
    assert {r.status_code for r in replies} == {200, 429}
    assert len(refused) == sim.count_429 >= 1
    assert sim.max_in_flight_seen == 3
    assert refused[0].json()["code"] == "TOO_MANY_REQUESTS"
    assert "retry-after" not in refused[0].headers


def test_edition_sets_the_concurrency_limit(clock: ManualClock) -> None:
    sim = _sim(clock, edition="free", latency=0.5)
    replies = _parallel(sim, [("GET", "/crm/v8/org", None)] * 7)
    assert sum(r.status_code == 429 for r in replies) >= 1
    assert sim.max_in_flight_seen == 5


def test_big_upserts_and_coql_share_a_sub_concurrency_of_ten(clock: ManualClock) -> None:
    sim = _sim(clock, sub_concurrency_limit=2, latency=0.5)
    rows = [{"Account_Name": f"A{i}"} for i in range(11)]
    replies = _parallel(sim, [
        ("POST", "/crm/v8/Accounts/upsert", {"data": rows}),
        ("POST", "/crm/v8/Accounts/upsert", {"data": rows}),
        ("POST", "/crm/v8/coql", {"select_query": "select id from Accounts where id is null"}),
        ("POST", "/crm/v8/Accounts/upsert", {"data": rows[:10]}),  # ten records: not heavy
    ])
    assert replies[3].status_code == 200
    assert [r.status_code for r in replies[:3]].count(429) >= 1
    assert sim.max_sub_in_flight_seen == 2


def test_a_composite_is_heavy_whatever_it_bundles(clock: ManualClock) -> None:
    """Zoho lists Composite among its complex APIs (Kaizen #93 and #203): a composite of one
    light read still takes a sub-concurrency slot."""
    sim = _sim(clock, sub_concurrency_limit=1, latency=0.5)
    light = {"__composite_requests": [{"sub_request_id": "1", "method": "GET",
                                       "uri": "/crm/v8/org"}]}
    replies = _parallel(sim, [("POST", "/crm/v8/__composite_requests", light)] * 2
                        + [("GET", "/crm/v8/org", None)])
    assert replies[2].status_code == 200
    assert sorted(r.status_code for r in replies[:2]) == [200, 429]
    assert sim.max_sub_in_flight_seen == 1


def test_a_sorted_listing_is_heavy_and_a_plain_one_is_not(clock: ManualClock) -> None:
    sim = _sim(clock, sub_concurrency_limit=1, latency=0.5)
    sorted_list = ("GET", "/crm/v8/Accounts?fields=Account_Name&sort_by=Modified_Time", None)
    plain = ("GET", "/crm/v8/Accounts?fields=Account_Name", None)
    replies = _parallel(sim, [sorted_list, sorted_list, plain, plain])
    assert [r.status_code == 429 for r in replies].count(True) == 1
    assert all(r.status_code != 429 for r in replies[2:])
    assert sim.max_sub_in_flight_seen == 1


def test_daily_credits_run_out_and_come_back_after_24_hours(clock: ManualClock) -> None:
    sim = _sim(clock, daily_credits=4)
    with api_client(sim) as api:
        rows = [{"Account_Name": f"A{i}"} for i in range(25)]
        assert api.post("/crm/v8/Accounts", json={"data": rows}).status_code == 201  # 3 credits
        assert api.get("/crm/v8/org").status_code == 200
        refused = api.get("/crm/v8/org")
        assert (refused.status_code, refused.json()["code"]) == (429, "TOO_MANY_REQUESTS")
        assert sim.credits_remaining == 0
    clock.advance(hours=24, seconds=1)
    assert sim.credits_remaining == 4
    with api_client(sim) as api:
        assert api.get("/crm/v8/org").status_code == 200


def test_professional_credits_follow_the_edition_table(clock: ManualClock) -> None:
    assert _sim(clock, users=10).credits_remaining == 55_000
    assert _sim(clock, edition="free").credits_remaining == 5_000


def test_fail_next_answers_the_status_without_doing_the_work(
        sim: ZohoSimulator, api: httpx.Client) -> None:
    sim.faults.fail_next(2, 503, path_contains="/Accounts")
    assert api.get("/crm/v8/org").status_code == 200
    for _ in range(2):
        reply = api.post("/crm/v8/Accounts", json={"data": [{"Account_Name": "A"}]})
        assert (reply.status_code, reply.json()["code"]) == (503, "INTERNAL_ERROR")
    assert sim.records("Accounts") == []
    assert api.post("/crm/v8/Accounts", json={"data": [{"Account_Name": "A"}]}).status_code == 201
    assert sim.call_count("POST", "/crm/v8/Accounts") == 3
    assert [c[2] for c in sim.calls if c[0] == "POST" and "Accounts" in c[1]] == [503, 503, 201]


def test_fail_next_on_the_token_endpoint(sim: ZohoSimulator) -> None:
    sim.faults.fail_next(1, 500, path_contains="/oauth/v2/token")
    with httpx.Client(transport=sim.accounts_transport(), base_url=ACCOUNTS) as accounts:
        data = {"grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
                "refresh_token": sim.issue_refresh_token(CLIENT_ID)}
        assert accounts.post("/oauth/v2/token", data=data).status_code == 500
        assert accounts.post("/oauth/v2/token", data=data).status_code == 200


def test_in_process_timeout_raises_after_the_write_landed(
        sim: ZohoSimulator, api: httpx.Client) -> None:
    sim.faults.timeout_next(1, 30)
    with pytest.raises(httpx.ReadTimeout):
        api.post("/crm/v8/Accounts", json={"data": [{"Account_Name": "Maybe saved"}]})
    assert [a["Account_Name"] for a in sim.records("Accounts")] == ["Maybe saved"]


def test_served_timeout_holds_the_answer(sim: ZohoSimulator) -> None:
    access = token(sim)["access_token"]
    sim.faults.timeout_next(1, 0.5)
    with sim.serve() as urls, httpx.Client(
            base_url=urls.api_url, timeout=0.1,
            headers={"Authorization": f"Zoho-oauthtoken {access}"}) as api:
        with pytest.raises(httpx.ReadTimeout):
            api.get("/crm/v8/org")
        assert api.get("/crm/v8/org").status_code == 200


def test_unknown_path_and_method(api: httpx.Client) -> None:
    assert api.get("/crm/v8/settings/nothing").json()["code"] == "INVALID_URL_PATTERN"
    assert api.patch("/crm/v8/org").json()["code"] == "INVALID_REQUEST_METHOD"


def test_credits_leave_the_rolling_window_one_charge_at_a_time(clock: ManualClock) -> None:
    limiter = Limiter(clock, concurrency=15, sub_concurrency=10, daily_credits=100)
    for cost in (5, 7, 11):
        limiter.charge(cost)
        clock.advance(hours=8)
    assert limiter.credits_used == 18  # 24 h after the first: only its 5 are back
    clock.advance(hours=8)
    assert limiter.credits_used == 11 and limiter.credits_remaining == 89
    with pytest.raises(ApiError):
        limiter.charge(90)
    limiter.charge(89)
    assert limiter.credits_remaining == 0

"""Zoho Accounts as the simulator plays it: grants, errors (HTTP 200!), expiry and limits."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from connector.sandbox.zoho import ZohoSimulator

from .helpers import ACCOUNTS, CLIENT_ID, REDIRECT, SECRET, ManualClock, token


def _token_call(sim: ZohoSimulator, **data: str) -> httpx.Response:
    with httpx.Client(transport=sim.accounts_transport(), base_url=ACCOUNTS) as accounts:
        return accounts.post("/oauth/v2/token", data=data)


def _code_grant(sim: ZohoSimulator, grant: str, **over: str) -> httpx.Response:
    data = {"grant_type": "authorization_code", "client_id": CLIENT_ID, "client_secret": SECRET,
            "redirect_uri": REDIRECT, "code": grant, **over}
    return _token_call(sim, **data)


def _refresh(sim: ZohoSimulator, refresh: str, **over: str) -> httpx.Response:
    data = {"grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
            "refresh_token": refresh, **over}
    return _token_call(sim, **data)


def _get_org(sim: ZohoSimulator, access: str) -> httpx.Response:
    with httpx.Client(transport=sim.api_transport(), base_url="http://zoho-api.sim") as api:
        return api.get("/crm/v8/org", headers={"Authorization": f"Zoho-oauthtoken {access}"})


def test_code_grant_returns_tokens_and_in_process_api_domain(sim: ZohoSimulator) -> None:
    body = _code_grant(sim, sim.grant_code(CLIENT_ID)).json()
    assert set(body) == {"access_token", "refresh_token", "scope", "api_domain", "token_type",
                         "expires_in"}
    assert body["api_domain"] == "http://zoho-api.sim"
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)
    assert "ZohoCRM.modules.ALL" in body["scope"].split()


def test_refresh_grant_has_no_refresh_token(sim: ZohoSimulator) -> None:
    body = _refresh(sim, sim.issue_refresh_token(CLIENT_ID)).json()
    assert "access_token" in body and "refresh_token" not in body


@pytest.mark.parametrize(("over", "error"), [
    ({"client_id": "1000.UNKNOWN"}, "invalid_client"),
    ({"client_secret": "wrong"}, "invalid_client_secret"),
    ({"redirect_uri": "http://elsewhere/cb"}, "invalid_redirect_uri"),
    ({"code": "1000.forged.code"}, "invalid_code"),
    ({"grant_type": "password"}, "unsupported_grant_type"),
])
def test_token_errors_come_back_as_http_200(sim: ZohoSimulator, over: dict[str, str],
                                             error: str) -> None:
    reply = _code_grant(sim, sim.grant_code(CLIENT_ID), **over)
    assert reply.status_code == 200
    assert reply.json() == {"error": error}


def test_grant_code_works_once(sim: ZohoSimulator) -> None:
    code = sim.grant_code(CLIENT_ID)
    assert "access_token" in _code_grant(sim, code).json()
    assert _code_grant(sim, code).json() == {"error": "invalid_code"}


def test_grant_code_expires_after_a_minute(sim: ZohoSimulator, clock: ManualClock) -> None:
    code = sim.grant_code(CLIENT_ID)
    clock.advance(seconds=61)
    assert _code_grant(sim, code).json() == {"error": "invalid_code"}


def test_unknown_or_revoked_refresh_token_answers_invalid_code(sim: ZohoSimulator) -> None:
    refresh = sim.issue_refresh_token(CLIENT_ID)
    access = token(sim, refresh)["access_token"]
    sim.revoke_refresh_token(refresh)
    assert _refresh(sim, refresh).json() == {"error": "invalid_code"}
    assert _get_org(sim, access).json()["code"] == "INVALID_TOKEN"


def test_client_of_another_data_centre_is_invalid_client(clock: ManualClock) -> None:
    eu, us = ZohoSimulator(dc="eu", clock=clock), ZohoSimulator(dc="us", clock=clock)
    eu.register_client(CLIENT_ID, SECRET, REDIRECT)
    code = eu.grant_code(CLIENT_ID)
    assert _code_grant(us, code).json() == {"error": "invalid_client"}
    assert "access_token" in _code_grant(eu, code).json()


def test_access_token_expires_after_an_hour(sim: ZohoSimulator, clock: ManualClock) -> None:
    access = token(sim)["access_token"]
    clock.advance(minutes=59)
    assert _get_org(sim, access).status_code == 200
    clock.advance(minutes=1)
    reply = _get_org(sim, access)
    assert reply.status_code == 401
    assert reply.json() == {"code": "INVALID_TOKEN", "details": {},
                            "message": "invalid oauth token", "status": "error"}


def test_expire_access_tokens_helper_invalidates_every_token(sim: ZohoSimulator) -> None:
    access = token(sim)["access_token"]
    sim.expire_access_tokens()
    assert _get_org(sim, access).status_code == 401


def test_refresh_token_mints_ten_access_tokens_per_ten_minutes(
        sim: ZohoSimulator, clock: ManualClock) -> None:
    refresh = sim.issue_refresh_token(CLIENT_ID)
    for _ in range(10):
        assert "access_token" in _refresh(sim, refresh).json()
        clock.advance(seconds=30)
    refused = _refresh(sim, refresh)
    assert refused.status_code == 400
    assert refused.json()["error"] == "Access Denied"
    clock.advance(seconds=301)  # the first mint leaves the ten-minute window
    assert "access_token" in _refresh(sim, refresh).json()


def test_eleventh_live_access_token_invalidates_the_oldest(
        sim: ZohoSimulator, clock: ManualClock) -> None:
    refresh = sim.issue_refresh_token(CLIENT_ID)
    first = _refresh(sim, refresh).json()["access_token"]
    clock.advance(minutes=11)
    for _ in range(10):
        _refresh(sim, refresh)
    assert _get_org(sim, first).status_code == 401


def test_twenty_first_refresh_token_silently_evicts_the_oldest(sim: ZohoSimulator) -> None:
    tokens = [sim.issue_refresh_token(CLIENT_ID) for _ in range(20)]
    assert "access_token" in _refresh(sim, tokens[0]).json()
    newest = _code_grant(sim, sim.grant_code(CLIENT_ID)).json()["refresh_token"]
    assert _refresh(sim, tokens[0]).json() == {"error": "invalid_code"}
    assert "access_token" in _refresh(sim, tokens[1]).json()
    assert "access_token" in _refresh(sim, newest).json()


def test_revoke_endpoint_revokes_the_refresh_token(sim: ZohoSimulator) -> None:
    refresh = sim.issue_refresh_token(CLIENT_ID)
    with httpx.Client(transport=sim.accounts_transport(), base_url=ACCOUNTS) as accounts:
        reply = accounts.post("/oauth/v2/token/revoke", params={"token": refresh})
    assert reply.json() == {"status": "success"}
    assert _refresh(sim, refresh).json() == {"error": "invalid_code"}


def _authorize(sim: ZohoSimulator, **params: str) -> httpx.Response:
    query = {"client_id": CLIENT_ID, "response_type": "code", "redirect_uri": REDIRECT,
             "scope": "ZohoCRM.modules.ALL", "state": "xyz", **params}
    with httpx.Client(transport=sim.accounts_transport(), base_url=ACCOUNTS) as accounts:
        return accounts.get("/oauth/v2/auth", params=query)


def _code_from(reply: httpx.Response) -> dict[str, Any]:
    return {k: v[0] for k, v in parse_qs(urlsplit(reply.headers["location"]).query).items()}


def test_consent_page_redirects_with_code_state_and_location(sim: ZohoSimulator) -> None:
    reply = _authorize(sim, access_type="offline")
    assert reply.status_code == 302
    query = _code_from(reply)
    assert (query["state"], query["location"]) == ("xyz", "us")
    assert "refresh_token" in _code_grant(sim, query["code"]).json()


def test_online_access_code_gives_no_refresh_token(sim: ZohoSimulator) -> None:
    body = _code_grant(sim, _code_from(_authorize(sim))["code"]).json()
    assert "access_token" in body and "refresh_token" not in body


def test_consent_page_refuses_a_foreign_redirect_uri(sim: ZohoSimulator) -> None:
    reply = _authorize(sim, redirect_uri="http://evil.example/cb")
    assert reply.status_code == 400 and reply.json() == {"error": "invalid_redirect_uri"}


def test_served_token_response_names_the_served_api_server(sim: ZohoSimulator) -> None:
    with sim.serve() as urls:
        reply = httpx.post(f"{urls.accounts_url}/oauth/v2/token", data={
            "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
            "refresh_token": sim.issue_refresh_token(CLIENT_ID)})
        body = reply.json()
        assert body["api_domain"] == urls.api_url != urls.accounts_url
        org = httpx.get(f"{body['api_domain']}/crm/v8/org",
                        headers={"Authorization": f"Zoho-oauthtoken {body['access_token']}"})
        assert org.status_code == 200
        wrong = httpx.get(f"{urls.accounts_url}/crm/v8/org",
                          headers={"Authorization": f"Zoho-oauthtoken {body['access_token']}"})
        assert wrong.status_code == 404

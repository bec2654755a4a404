"""The client-credentials grant as the simulator plays it: a Self Client's own access token for
one org (soid=ZohoCRM.{org id}), never a refresh token, and Zoho's refusals as HTTP 200."""

from __future__ import annotations

import httpx
import pytest

from connector.sandbox.zoho import ZohoSimulator

from .helpers import ACCOUNTS, CLIENT_ID, SECRET, ManualClock

SERVER_CLIENT = "1000.SERVERBASEDCLIENT"
SCOPE = "ZohoCRM.modules.ALL,ZohoCRM.org.READ"


def _grant(accounts: httpx.Client, sim: ZohoSimulator, **over: str) -> httpx.Response:
    data = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET,
            "scope": SCOPE, "soid": f"ZohoCRM.{sim.org_id}", **over}
    return accounts.post("/oauth/v2/token", data={k: v for k, v in data.items() if v})


@pytest.fixture
def accounts(sim: ZohoSimulator) -> httpx.Client:
    return httpx.Client(transport=sim.accounts_transport(), base_url=ACCOUNTS)


def test_served_grant_answers_the_documented_fields_and_no_refresh_token(
        sim: ZohoSimulator) -> None:
    with sim.serve() as urls, httpx.Client(base_url=urls.accounts_url) as accounts:
        reply = _grant(accounts, sim)
        body = reply.json()
        assert reply.status_code == 200
        assert set(body) == {"access_token", "scope", "api_domain", "token_type", "expires_in"}
        assert (body["api_domain"], body["token_type"], body["expires_in"]) == (
            urls.api_url, "Bearer", 3600)
        assert body["scope"].split() == SCOPE.split(",")
        org = httpx.get(f"{urls.api_url}/crm/v8/org",
                        headers={"Authorization": f"Zoho-oauthtoken {body['access_token']}"})
    assert org.status_code == 200 and org.json()["org"][0]["id"] == sim.org_id


def test_parameters_in_the_query_string_work_as_in_zoho_s_example(sim: ZohoSimulator,
                                                                   accounts: httpx.Client) -> None:
    reply = accounts.post("/oauth/v2/token", params={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET,
        "scope": SCOPE, "soid": f"ZohoCRM.{sim.org_id}"})
    assert "access_token" in reply.json()


@pytest.mark.parametrize(("over", "error"), [
    ({"soid": ""}, "missing_org_info"),                       # documented
    ({"soid": "ZohoCRM.600000000000046"}, "missing_org_info"),  # another org: our choice
    ({"soid": "ZohoRecruit.{org}"}, "missing_org_info"),       # another service: our choice
    ({"scope": ""}, "invalid_scope"),
    ({"client_secret": "wrong"}, "invalid_client_secret"),
    ({"client_id": "1000.UNKNOWN"}, "invalid_client"),
])
def test_refusals_come_back_as_http_200(sim: ZohoSimulator, accounts: httpx.Client,
                                        over: dict[str, str], error: str) -> None:
    over = {k: v.replace("{org}", sim.org_id) for k, v in over.items()}
    reply = _grant(accounts, sim, **over)
    assert (reply.status_code, reply.json()) == (200, {"error": error})


def test_only_a_self_client_may_use_the_grant(sim: ZohoSimulator,
                                              accounts: httpx.Client) -> None:
    sim.register_client(SERVER_CLIENT, SECRET, "http://127.0.0.1:9/cb", self_client=False)
    reply = _grant(accounts, sim, client_id=SERVER_CLIENT)
    assert reply.json() == {"error": "unauthorized_client"}


def test_the_token_lives_an_hour(sim: ZohoSimulator, accounts: httpx.Client,
                                 clock: ManualClock) -> None:
    token = _grant(accounts, sim).json()["access_token"]
    with httpx.Client(transport=sim.api_transport(), base_url="http://zoho-api.sim",
                      headers={"Authorization": f"Zoho-oauthtoken {token}"}) as api:
        assert api.get("/crm/v8/org").status_code == 200
        clock.advance(minutes=61)
        expired = api.get("/crm/v8/org")
    assert (expired.status_code, expired.json()["code"]) == (401, "INVALID_TOKEN")


def test_a_deleted_client_gets_no_token_and_its_tokens_stop_working(
        sim: ZohoSimulator) -> None:
    with sim.serve() as urls, httpx.Client(base_url=urls.accounts_url) as accounts:
        token = _grant(accounts, sim).json()["access_token"]
        deleted = httpx.delete(f"{urls.api_url}/__admin/clients/{CLIENT_ID}")
        assert deleted.status_code == 200
        assert _grant(accounts, sim).json() == {"error": "invalid_client"}
        org = httpx.get(f"{urls.api_url}/crm/v8/org",
                        headers={"Authorization": f"Zoho-oauthtoken {token}"})
    assert (org.status_code, org.json()["code"]) == (401, "INVALID_TOKEN")

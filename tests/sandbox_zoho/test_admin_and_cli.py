"""The admin back door (``/__admin/``) and ``ml-connector sandbox zoho``."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from connector.cli.sandbox_zoho import zoho_sandbox
from connector.sandbox.zoho import ZohoSimulator

from .helpers import CLIENT_ID, SECRET, Receiver


@pytest.fixture
def served(sim: ZohoSimulator) -> Iterator[tuple[httpx.Client, httpx.Client, str]]:
    """(admin client, API client with a token, accounts url) on the served simulator."""
    with sim.serve() as urls, httpx.Client(base_url=f"{urls.api_url}/__admin") as admin:
        refresh = admin.post("/refresh-token", json={"client_id": CLIENT_ID}).json()
        body = httpx.post(f"{urls.accounts_url}/oauth/v2/token", data={
            "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": SECRET,
            "refresh_token": refresh["refresh_token"]}).json()
        with httpx.Client(base_url=body["api_domain"], headers={
                "Authorization": f"Zoho-oauthtoken {body['access_token']}"}) as api:
            yield admin, api, urls.accounts_url


def test_salesperson_edit_through_admin_notifies_and_is_not_a_call(
        served: tuple[httpx.Client, httpx.Client, str], sim: ZohoSimulator,
        receiver: Receiver) -> None:
    admin, api, _ = served
    api.post("/crm/v8/actions/watch", json={"watch": [{
        "channel_id": "7", "events": ["Accounts.edit"], "notify_url": receiver.url}]})
    made = admin.post("/records/Accounts", json={"Account_Name": "Acme"}).json()["data"]
    edited = admin.patch(f"/records/Accounts/{made['id']}", json={"Phone": "555"}).json()
    assert edited["data"]["Modified_By"]["name"] == "Sam Seller"
    assert sim.wait_for_notifications()
    assert [b["ids"] for b in receiver.bodies] == [[made["id"]]]
    calls = admin.get("/calls", params={"path_contains": "/crm/v8/"}).json()
    assert calls["count"] == 1  # only the watch call; admin calls are not Zoho calls


def test_admin_injects_faults_and_expires_tokens(
        served: tuple[httpx.Client, httpx.Client, str]) -> None:
    admin, api, _ = served
    admin.post("/faults", json={"kind": "fail", "n": 1, "status": 502})
    assert api.get("/crm/v8/org").status_code == 502
    assert api.get("/crm/v8/org").status_code == 200
    admin.post("/tokens/expire")
    assert api.get("/crm/v8/org").json()["code"] == "INVALID_TOKEN"


def test_admin_adds_fields_and_reports_state(served: tuple[httpx.Client, httpx.Client, str]
                                             ) -> None:
    admin, _, _ = served
    made = admin.post("/fields/Accounts", json={"api_name": "QBD_Key", "unique": True})
    assert made.json()["field"]["unique"] == {"casesensitive": "false"}
    state = admin.get("/state").json()
    assert (state["edition"], state["concurrency_limit"]) == ("professional", 15)
    bad = admin.post("/records/Nowhere", json={})
    assert bad.status_code == 400 and "Nowhere" in bad.json()["error"]


def test_cli_prints_urls_and_a_refresh_token() -> None:
    result = CliRunner().invoke(zoho_sandbox, ["--client-id", "1000.CLI", "--client-secret",
                                               "s", "--duration", "0.05", "--edition",
                                               "standard"])
    assert result.exit_code == 0, result.output
    assert "standard edition" in result.output and "Invoices" not in result.output
    assert "refresh token   : 1000." in result.output


def test_cli_serves_an_org_of_the_chosen_profile() -> None:
    result = CliRunner().invoke(zoho_sandbox, ["--duration", "0.05", "--profile", "standard"])
    assert result.exit_code == 0, result.output
    assert "standard edition, profile standard" in result.output


def test_cli_wants_secret_with_client_id() -> None:
    result = CliRunner().invoke(zoho_sandbox, ["--client-id", "1000.CLI", "--duration", "0"])
    assert result.exit_code != 0 and "go together" in result.output


@pytest.mark.slow
def test_another_process_drives_the_served_simulator() -> None:
    exe = Path(sys.executable).with_name("ml-connector")
    proc = subprocess.Popen([str(exe), "sandbox", "zoho", "--client-id", "1000.P",
                             "--client-secret", "s", "--duration", "60"],
                            stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        lines = {}
        assert proc.stdout is not None
        while "refresh token" not in lines:
            line = proc.stdout.readline()
            assert line, "the simulator process stopped before printing its URLs"
            key, _, value = line.partition(":")
            lines[key.strip()] = value.split()[0] if value.split() else ""
        admin = f"{lines['API server']}/__admin"
        httpx.post(f"{admin}/records/Contacts", json={"Last_Name": "Ng"}).raise_for_status()
        token = httpx.post(f"{lines['accounts server']}/oauth/v2/token", data={
            "grant_type": "refresh_token", "client_id": "1000.P", "client_secret": "s",
            "refresh_token": lines["refresh token"]}).json()
        reply = httpx.get(f"{token['api_domain']}/crm/v8/Contacts", params={
            "fields": "Last_Name"}, headers={"Authorization": f"Zoho-oauthtoken "
                                                              f"{token['access_token']}"})
        assert reply.json()["data"][0]["Last_Name"] == "Ng"
    finally:
        proc.terminate()
        proc.wait(timeout=10)

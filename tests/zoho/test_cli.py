"""`ml-connector zoho connect|setup` and `ml-connector ping` against the simulator over HTTP."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result
from sqlmodel import select

from connector.cli import cli
from connector.config import Settings
from connector.crypto import SecretBox
from connector.sandbox.zoho import ZohoSimulator
from connector.store import (
    ClosedDealPolicy,
    Company,
    Database,
    InvoiceLinesPolicy,
    ZohoBornPolicy,
    ZohoConnection,
)
from connector.store.types import utcnow
from connector.sync.policy import set_policy
from connector.zoho.fields import QBD_KEY

from .conftest import CLIENT_ID, SCOPE, SECRET, add_key_fields


@dataclass
class Served:
    sim: ZohoSimulator
    accounts_url: str
    api_url: str
    env: dict[str, str]

    def run(self, *args: str, input: str | None = None, **env: str) -> Result:
        return CliRunner().invoke(cli, list(args), env={**self.env, **env}, input=input,
                                  catch_exceptions=False)

    def connect(self) -> Result:
        code = self.sim.grant_code(CLIENT_ID, scope=SCOPE)
        return self.run("zoho", "connect", "--client-id", CLIENT_ID, "--grant-code", code)


@pytest.fixture
def served(settings: Settings) -> Iterator[Served]:
    sim = ZohoSimulator(org_name="Acme Widgets")
    sim.register_client(CLIENT_ID, SECRET)
    assert settings.secret_key is not None
    with sim.serve() as urls:
        env = {"MLC_ZOHO_ACCOUNTS_URL": urls.accounts_url, "MLC_ZOHO_CLIENT_SECRET": SECRET,
               "MLC_DATABASE_URL": settings.resolved_database_url,
               "MLC_DATA_DIR": str(settings.data_dir),
               "MLC_SECRET_KEY": settings.secret_key.get_secret_value()}
        yield Served(sim, urls.accounts_url, urls.api_url, env)
    sim.close()


def _company(db: Database, **fields: Any) -> None:
    values: dict[str, Any] = {
        "name": "Acme",
        "qbwc_user": "acme",
        "password_hash": "x",
        "owner_id": "{o}",
        "file_id": "{f}",
        "company_file": r"C:\QB\acme.qbw",
    } | fields
    with db.session() as s:
        s.add(Company(**values))


def test_connect_stores_the_connection_and_shows_org_edition_and_api_domain(
        served: Served, db: Database) -> None:
    result = served.connect()
    assert result.exit_code == 0, result.output
    assert "Acme Widgets" in result.output and "Professional" in result.output
    assert f"api_domain   : {served.api_url}" in result.output
    assert served.api_url != served.accounts_url  # two servers: ignoring api_domain would fail
    with db.session() as s:
        row = s.exec(select(ZohoConnection)).one()
    assert (row.api_domain, row.org_id, row.edition) == (served.api_url, served.sim.org_id,
                                                         "professional")


@pytest.mark.parametrize("args,env,expected", [
    (["--client-id", "1000.OTHERDC"], {}, "wrong data centre"),
    (["--client-id", CLIENT_ID], {"MLC_ZOHO_CLIENT_SECRET": "nope"}, "client secret does not"),
])
def test_connect_names_the_likely_cause_of_an_oauth_error(
        served: Served, args: list[str], env: dict[str, str], expected: str) -> None:
    code = served.sim.grant_code(CLIENT_ID, scope=SCOPE)
    result = served.run("zoho", "connect", *args, "--grant-code", code, **env)
    assert result.exit_code == 1 and expected in result.output


def test_connect_needs_exactly_one_way_to_authorise(served: Served) -> None:
    result = served.run("zoho", "connect", "--client-id", CLIENT_ID)
    assert result.exit_code == 2 and "exactly one of" in result.output


def test_connect_with_the_browser_flow(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    served.sim.register_client(CLIENT_ID, SECRET, redirect_uri=f"http://127.0.0.1:{port}/callback")

    def browser(url: str) -> None:  # the user's browser: follow Zoho's redirect to us
        threading.Thread(target=httpx.get, args=(url,), kwargs={"follow_redirects": True},
                         daemon=True).start()

    monkeypatch.setattr("webbrowser.open", browser)
    result = served.run("zoho", "connect", "--client-id", CLIENT_ID, "--browser",
                        "--port", str(port))
    assert result.exit_code == 0, result.output
    assert "Open this URL" in result.output and "Connected to Zoho CRM" in result.output


def test_setup_shows_then_creates_the_fields_and_is_idempotent(served: Served) -> None:
    served.connect()
    declined = served.run("zoho", "setup", input="n\n")
    assert declined.exit_code == 1 and "Accounts.QBD_Key" in declined.output
    assert QBD_KEY not in served.sim.fields("Accounts")
    created = served.run("zoho", "setup", "--yes")
    assert created.exit_code == 0 and created.output.count("created ") == 6
    assert all(QBD_KEY in served.sim.fields(m) for m in served.sim.modules)
    again = served.run("zoho", "setup", "--yes")
    assert again.exit_code == 0 and "Nothing to create." in again.output


def test_ping_is_all_green_when_everything_works(served: Served, db: Database) -> None:
    served.connect()
    add_key_fields(served.sim)
    _company(db, last_poll_at=utcnow() - timedelta(minutes=3),
             last_company_file_seen=r"C:\QB\acme.qbw", last_file_matched=True)
    result = served.run("ping")
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.output and "0 failed" in result.output
    for name in ("Zoho connection", "Zoho token refresh", "Zoho organisation", "Zoho modules",
                 "custom fields", "API credits", "QuickBooks 'Acme' polls",
                 "QuickBooks 'Acme' company file"):
        assert f"PASS  {name}" in result.output


def test_ping_names_each_companys_money_and_lost_deal_policy(served: Served, db: Database) -> None:
    served.connect()
    add_key_fields(served.sim)
    _company(db, last_poll_at=utcnow() - timedelta(minutes=3),
             last_company_file_seen=r"C:\QB\acme.qbw", last_file_matched=True)
    before = served.run("ping").output
    assert "QuickBooks 'Acme' money" in before and "QuickBooks owns money" in before
    assert "leaves its invoice as it is and waits in review list" in before
    assert "an Account created in Zoho waits in review list" in before
    set_policy(db, "Acme", closed_deals=ClosedDealPolicy.VOID, zoho_born=ZohoBornPolicy.IGNORE)
    after = served.run("ping").output
    assert "voids its invoice" in after
    assert "PASS  QuickBooks 'Acme' Zoho-born records" in after
    assert "an Account created in Zoho is only audited" in after
    set_policy(db, "Acme", invoice_lines=InvoiceLinesPolicy.BOTH_WAYS)
    assert "invoice lines both ways: a Zoho Invoice's line edits" in served.run("ping").output


def test_ping_is_red_and_names_the_cause_when_the_client_secret_is_wrong(
        served: Served, db: Database, settings: Settings) -> None:
    served.connect()
    add_key_fields(served.sim)
    with db.session() as s:
        row = s.exec(select(ZohoConnection)).one()
        row.client_secret_enc = SecretBox.from_settings(settings).encrypt("rotated-away")
    result = served.run("ping")
    assert result.exit_code == 1
    assert "FAIL  Zoho token refresh" in result.output
    assert "client secret does not match" in result.output and "fix:" in result.output
    assert "SKIP  custom fields" in result.output


def test_ping_is_red_when_a_custom_field_is_missing(served: Served) -> None:
    served.connect()
    add_key_fields(served.sim)
    served.sim.remove_field("Deals", QBD_KEY)
    result = served.run("ping")
    assert result.exit_code == 1
    assert "FAIL  custom fields" in result.output and "Deals.QBD_Key missing" in result.output
    assert "ml-connector zoho setup" in result.output


def test_ping_without_a_connection_says_how_to_connect(served: Served) -> None:
    result = served.run("ping")
    assert result.exit_code == 1 and "FAIL  Zoho connection" in result.output
    assert "ml-connector zoho connect" in result.output


def test_ping_reports_a_company_that_never_polled_or_opened_another_file(
        served: Served, db: Database) -> None:
    served.connect()
    add_key_fields(served.sim)
    _company(db)
    _company(db, name="Beta", qbwc_user="beta", last_poll_at=utcnow(),
             last_company_file_seen=r"C:\QB\other.qbw", last_file_matched=False)
    result = served.run("ping")
    assert result.exit_code == 1
    assert "FAIL  QuickBooks 'Acme' polls" in result.output and "ml-connector qwc" in result.output
    assert "FAIL  QuickBooks 'Beta' company file" in result.output
    assert r"C:\QB\other.qbw" in result.output

"""A headless connection end to end over real HTTP: `zoho connect --client-credentials`, then
`ml-connector sync` lands QuickBooks records in the served Zoho simulator; an expired token is
replaced without anyone noticing, a deleted Self Client stops the run with a clear error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result

from connector.cli import cli
from connector.config import Settings
from connector.crypto import SecretBox
from connector.qbwc.service import QbwcService
from connector.sandbox.zoho import ZohoSimulator
from connector.store import Database
from tests.qbwc.driver import Clock
from tests.zoho.conftest import CLIENT_ID, SECRET, add_key_fields

from .conftest import World

pytestmark = pytest.mark.slow
TOKEN = "/oauth/v2/token"


def _cli(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def headless(db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The served simulator, connected the headless way through the CLI."""
    sim = ZohoSimulator()
    sim.register_client(CLIENT_ID, SECRET)
    add_key_fields(sim)
    tuned = settings.model_copy(update={"min_poll_seconds": 0, "max_returned_customers": 5,
                                        "max_returned_invoices": 4, "sync_chunk_responses": 4})
    assert tuned.secret_key is not None
    with sim.serve() as urls:
        for name, value in (("DATABASE_URL", tuned.resolved_database_url),
                            ("DATA_DIR", str(tuned.data_dir)),
                            ("SECRET_KEY", tuned.secret_key.get_secret_value()),
                            ("ZOHO_TIMEOUT_SECONDS", "10"),
                            ("ZOHO_ACCOUNTS_URL", urls.accounts_url),
                            ("ZOHO_CLIENT_ID", CLIENT_ID), ("ZOHO_CLIENT_SECRET", SECRET)):
            monkeypatch.setenv(f"MLC_{name}", value)
        connected = _cli("zoho", "connect", "--client-credentials", "--org-id", sim.org_id)
        assert connected.exit_code == 0, connected.output
        clock = Clock()
        yield World(db, tuned, SecretBox.from_settings(tuned), clock, sim,
                    QbwcService(db, tuned, clock=clock), in_process=False)
    sim.close()


def test_sync_over_a_client_credentials_connection_lands_in_zoho(headless: World) -> None:
    headless.add_books("Acme")
    headless.session("Acme")
    result = _cli("sync", "--company", "Acme")
    assert result.exit_code == 0, result.output
    assert "qb_to_zoho · Acme · completed" in result.output
    assert len(headless.records("Deals")) == 8 and headless.unprocessed() == []
    assert headless.sim.call_count("POST", TOKEN) == 1  # connect's token, shared via the store


def test_an_expired_token_is_fetched_again_and_the_sync_goes_on(headless: World) -> None:
    acme = headless.add_books("Acme")
    headless.session("Acme")
    assert _cli("sync").exit_code == 0
    headless.sim.expire_access_tokens()
    acme.qb.company.add_customer("Late Arrival Ltd", Phone="555-0199")
    headless.session("Acme")
    result = _cli("sync")
    assert result.exit_code == 0, result.output
    assert "Late Arrival Ltd" in {a["Account_Name"] for a in headless.records("Accounts")}
    assert headless.sim.call_count("POST", TOKEN) == 2
    assert any(status == 401 for _, _, status in headless.sim.calls)


def test_a_deleted_self_client_stops_the_sync_with_a_clear_error(headless: World) -> None:
    headless.add_books("Acme")
    headless.session("Acme")
    headless.sim.delete_client(CLIENT_ID)
    result = _cli("sync")
    assert result.exit_code == 1
    assert "qb_to_zoho · Acme · failed" in result.output
    assert "[invalid_client]" in result.output and "Self Client was deleted" in result.output
    assert headless.records("Deals") == []
    ping = _cli("ping")
    assert ping.exit_code == 1 and "FAIL  Zoho token refresh" in ping.output

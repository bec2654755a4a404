"""Headless connections: `zoho connect --client-credentials --org-id` against the simulator
served over HTTP. No refresh token exists; ZohoAuth asks for a new access token on expiry and
on a 401, and a deleted Self Client stops the connector with a clear message."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text
from sqlmodel import select

from connector.cli import cli
from connector.config import Settings
from connector.crypto import SecretBox
from connector.errors import FatalError
from connector.sandbox.zoho import ZohoSimulator
from connector.store import SCHEMA_VERSION, Database, ZohoConnection
from connector.zoho import ZohoClient
from connector.zoho.auth import ClientCredentials
from connector.zoho.connection import load_connection, open_client

from .conftest import CLIENT_ID, FAST, SCOPE, SECRET, FakeClock, add_key_fields

TOKEN = "/oauth/v2/token"
SERVER_CLIENT = "1000.SERVERBASEDCLIENT0000000000001"


@dataclass
class Served:
    sim: ZohoSimulator
    accounts_url: str
    api_url: str
    env: dict[str, str]

    def run(self, *args: str, **env: str) -> Result:
        return CliRunner().invoke(cli, list(args), env={**self.env, **env},
                                  catch_exceptions=False)

    def connect(self, org_id: str | None = None, client_id: str = CLIENT_ID) -> Result:
        return self.run("zoho", "connect", "--client-id", client_id, "--client-credentials",
                        "--org-id", org_id or self.sim.org_id)

    def token_calls(self) -> int:
        return self.sim.call_count("POST", TOKEN)


@pytest.fixture
def clock() -> FakeClock:
    """Starts at the real time: `zoho connect` (the CLI) stamps expiry by the real clock."""
    now = FakeClock()
    now.now = datetime.now(UTC)
    return now


@pytest.fixture
def served(settings: Settings, clock: FakeClock) -> Iterator[Served]:
    # One hand-moved clock for the simulator and the clients the tests open.
    sim = ZohoSimulator(org_name="Acme Widgets", clock=clock)
    sim.register_client(CLIENT_ID, SECRET)
    add_key_fields(sim)
    assert settings.secret_key is not None
    with sim.serve() as urls:
        env = {"MLC_ZOHO_ACCOUNTS_URL": urls.accounts_url, "MLC_ZOHO_CLIENT_SECRET": SECRET,
               "MLC_DATABASE_URL": settings.resolved_database_url,
               "MLC_DATA_DIR": str(settings.data_dir),
               "MLC_SECRET_KEY": settings.secret_key.get_secret_value()}
        yield Served(sim, urls.accounts_url, urls.api_url, env)
    sim.close()


@pytest.fixture
def connected(served: Served) -> Served:
    result = served.connect()
    assert result.exit_code == 0, result.output
    return served


@pytest.fixture
def client(connected: Served, settings: Settings, db: Database, secrets: SecretBox,
           clock: FakeClock) -> Iterator[ZohoClient]:
    """The stored connection as the sync opens it: real HTTP, the test's clock."""
    with open_client(settings, db, secrets, retry=FAST, clock=clock) as opened:
        yield opened


def _row(db: Database) -> ZohoConnection:
    with db.session() as s:
        return s.exec(select(ZohoConnection)).one()


@pytest.mark.parametrize("as_typed", ["{org}", "ZohoCRM.{org}", " {org} "])
def test_connect_stores_a_client_credentials_connection_without_a_refresh_token(
        served: Served, db: Database, as_typed: str) -> None:
    result = served.connect(as_typed.format(org=served.sim.org_id))
    assert result.exit_code == 0, result.output
    assert "Acme Widgets" in result.output and f"api_domain   : {served.api_url}" in result.output
    assert f"client credentials for org {served.sim.org_id}" in result.output
    assert "one-off tasks" in result.output  # Zoho's own advice, passed on
    row = _row(db)
    assert (row.auth_mode, row.org_id, row.refresh_token_enc) == (
        "client_credentials", served.sim.org_id, "")
    assert served.token_calls() == 1


def test_the_client_secret_and_access_token_are_encrypted_at_rest(
        connected: Served, client: ZohoClient, db: Database, secrets: SecretBox) -> None:
    row = _row(db)
    plain = [secrets.decrypt(row.client_secret_enc or ""), client.auth.token().access_token]
    with db.engine.connect() as conn:
        raw = " ".join(str(v) for r in conn.execute(text("select * from mlc_zoho_connection"))
                       for v in r)
    for secret in plain:
        assert secret and secret not in raw


def test_the_token_from_connect_is_reused_until_it_nears_expiry(
        connected: Served, client: ZohoClient, clock: FakeClock) -> None:
    client.org()
    assert connected.token_calls() == 1  # the one `zoho connect` fetched, read from the store
    clock.advance(minutes=56)  # four minutes left: inside the five-minute margin
    client.org()
    client.org()
    assert connected.token_calls() == 2
    assert all(status != 401 for _, _, status in connected.sim.calls)


def test_a_refused_token_is_replaced_once_and_the_call_replayed(
        connected: Served, client: ZohoClient, db: Database) -> None:
    client.org()
    before = _row(db).access_token_enc
    connected.sim.expire_access_tokens()  # Zoho drops the token while we still think it good
    assert client.org().id == connected.sim.org_id
    assert connected.token_calls() == 2
    assert [c[2] for c in connected.sim.calls if c[1] == "/crm/v8/org"][-2:] == [401, 200]
    row = _row(db)
    assert row.access_token_enc != before and row.refresh_token_enc == ""
    assert isinstance(client.auth.credential, ClientCredentials)


def test_a_deleted_self_client_is_a_clear_fatal_error_and_no_loop(
        connected: Served, client: ZohoClient) -> None:
    client.org()
    connected.sim.delete_client(CLIENT_ID)
    with pytest.raises(FatalError, match="Self Client was deleted") as caught:
        client.org()
    assert caught.value.code == "invalid_client"
    assert "--client-credentials --org-id" in str(caught.value)
    assert connected.token_calls() == 2
    with pytest.raises(FatalError):
        client.org()  # the next call asks once more, and again stops cleanly
    assert connected.token_calls() == 3


def test_connect_with_another_org_id_names_the_soid_and_stores_nothing(
        served: Served, db: Database) -> None:
    result = served.connect("600000000000046")
    assert result.exit_code == 1
    assert "soid=ZohoCRM.600000000000046" in result.output and "org id" in result.output
    assert load_connection_or_none(db) is None


def test_connect_with_a_server_based_client_says_self_client_only(
        served: Served, db: Database) -> None:
    served.sim.register_client(SERVER_CLIENT, SECRET, "http://127.0.0.1:9/cb", self_client=False)
    result = served.connect(client_id=SERVER_CLIENT)
    assert result.exit_code == 1 and "only for a Self Client" in result.output
    assert load_connection_or_none(db) is None


@pytest.mark.parametrize(("args", "expected"), [
    (["--client-credentials"], "go together"),
    (["--client-credentials", "--org-id", " "], "go together"),
    (["--grant-code", "1000.x", "--org-id", "123"], "go together"),
    (["--client-credentials", "--org-id", "1", "--grant-code", "1000.x"], "exactly one of"),
])
def test_client_credentials_and_org_id_go_together(served: Served, args: list[str],
                                                   expected: str) -> None:
    result = served.run("zoho", "connect", "--client-id", CLIENT_ID, *args)
    assert result.exit_code == 2 and expected in result.output


def test_ping_names_the_connection_mode(connected: Served) -> None:
    result = connected.run("ping")
    assert "PASS  Zoho connection" in result.output
    assert f"client credentials for org {connected.sim.org_id}" in result.output
    assert "PASS  Zoho token refresh" in result.output
    assert "PASS  Zoho organisation" in result.output


def test_ping_names_the_refresh_token_mode_of_a_grant_code_connection(served: Served) -> None:
    code = served.sim.grant_code(CLIENT_ID, scope=SCOPE)
    assert served.run("zoho", "connect", "--client-id", CLIENT_ID, "--grant-code",
                      code).exit_code == 0
    assert "refresh token (authorization code grant)" in served.run("ping").output


def test_a_grant_code_connection_can_become_a_client_credentials_one(
        served: Served, db: Database) -> None:
    code = served.sim.grant_code(CLIENT_ID, scope=SCOPE)
    assert served.run("zoho", "connect", "--client-id", CLIENT_ID, "--grant-code",
                      code).exit_code == 0
    assert _row(db).auth_mode == "authorization_code" and _row(db).refresh_token_enc
    assert served.connect().exit_code == 0
    row = _row(db)
    assert (row.auth_mode, row.refresh_token_enc) == ("client_credentials", "")


def load_connection_or_none(db: Database) -> ZohoConnection | None:
    try:
        return load_connection(db)
    except FatalError:
        return None


def test_a_connection_stored_before_the_mode_existed_stays_a_refresh_token_one(
        connect: Callable[..., str], make_client: Callable[..., ZohoClient],
        db: Database) -> None:
    connect()
    with db.engine.begin() as conn:
        # What a schema-4 database looked like: no auth_mode yet.
        conn.execute(text('ALTER TABLE "mlc_zoho_connection" DROP COLUMN "auth_mode"'))
        conn.execute(text("UPDATE mlc_schema_version SET version = 4"))
    db.create_all()
    assert db.schema_version() == SCHEMA_VERSION
    assert _row(db).auth_mode == "authorization_code"
    client = make_client()
    client.auth.force_refresh()
    assert client.org().id

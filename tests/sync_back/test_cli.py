"""`ml-connector sync-back` and `sync-back-policy` through the CLI, Zoho served over HTTP."""

from __future__ import annotations

from click.testing import CliRunner, Result
from sqlmodel import select

from connector.cli import cli
from connector.notify import watch
from connector.store import Database, SyncBackPolicy, WriteBack
from connector.store.types import utcnow
from connector.zoho.connection import load_connection, open_client
from connector.zoho.fields import QBD_KEY
from soap_bridge.app import create_app
from tests.bridge.conftest import LiveServer
from tests.sync.conftest import World, served_world  # noqa: F401 - fixture re-exported


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_sync_back_queues_the_mods_and_prints_the_audit(served_world: World,  # noqa: F811
                                                        db: Database) -> None:
    served_world.add_books("Acme", customers=2, invoices=0)
    served_world.session("Acme")
    served_world.sync("Acme")
    bridge = LiveServer(create_app(served_world.settings, db=db))
    try:
        with open_client(served_world.settings, db, served_world.secrets) as client:
            watch(db, client, notify_url=f"{bridge.base_url}/zoho/notify",
                  connection_id=load_connection(db).id, now=utcnow(),
                  lifetime=served_world.settings.channel_lifetime)
        account = next(a for a in served_world.sim.records("Accounts") if a.get(QBD_KEY))
        served_world.sim.edit_record("Accounts", account["id"], Fax="555-0177")
        assert served_world.sim.wait_for_notifications()
    finally:
        bridge.stop()
    result = _run("sync-back")
    assert result.exit_code == 0, result.output
    assert "zoho_to_qb · all companies · completed" in result.output
    with db.session() as s:
        [row] = s.exec(select(WriteBack)).all()
    assert row.changes["want"] == {"fax": "555-0177"}


def test_sync_back_policy_opts_a_company_in_and_out(served_world: World,  # noqa: F811
                                                    db: Database) -> None:
    served_world.add_books("Acme", customers=1, invoices=0)
    assert "voids its QuickBooks invoice" in _run(
        "sync-back-policy", "Acme", "--void-closed-invoices").output
    assert "untouched" in _run("sync-back-policy", "Acme", "--keep-invoices").output
    with db.session() as s:
        [policy] = s.exec(select(SyncBackPolicy)).all()
    assert policy.void_closed_invoices is False
    unknown = CliRunner().invoke(cli, ["sync-back-policy", "Nobody", "--keep-invoices"])
    assert unknown.exit_code == 1 and "no company named 'Nobody'" in unknown.output

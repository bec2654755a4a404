"""`ml-connector sync-back` and `company policy` through the CLI, Zoho served over HTTP."""

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


def test_company_policy_shows_and_sets_each_choice(served_world: World,  # noqa: F811
                                                   db: Database) -> None:
    served_world.add_books("Acme", customers=1, invoices=0)
    shown = _run("company", "policy", "Acme").output
    assert "--zoho-born review: an Account created in Zoho waits in review list" in shown
    assert "--closed-deals review:" in shown
    assert "voids its invoice" in _run("company", "policy", "Acme", "--closed-deals",
                                       "void").output
    changed = _run("company", "policy", "Acme", "--zoho-born", "ignore").output
    assert "--zoho-born ignore: an Account created in Zoho is only audited" in changed
    assert "--closed-deals void:" in changed  # the other choice is kept
    assert "becomes a QuickBooks customer" in _run("company", "policy", "Acme", "--zoho-born",
                                                   "create").output
    with db.session() as s:
        [policy] = s.exec(select(SyncBackPolicy)).all()
    assert (policy.zoho_born, policy.closed_deals) == ("create", "void")
    unknown = CliRunner().invoke(cli, ["company", "policy", "Nobody", "--closed-deals", "void"])
    assert unknown.exit_code == 1 and "no company named 'Nobody'" in unknown.output
    wrong = CliRunner().invoke(cli, ["company", "policy", "Acme", "--closed-deals", "maybe"])
    assert wrong.exit_code == 2 and "'maybe' is not one of" in wrong.output


def test_company_policy_opts_in_to_invoice_lines_both_ways(served_world: World,  # noqa: F811
                                                           db: Database) -> None:
    served_world.add_books("Acme", customers=1, invoices=0)
    assert "--invoice-lines quickbooks: QuickBooks owns money" in _run(
        "company", "policy", "Acme").output
    both = _run("company", "policy", "Acme", "--invoice-lines", "both-ways").output
    assert "--invoice-lines both-ways: invoice lines both ways: a Zoho Invoice's line edits" in both
    assert "--closed-deals review:" in both  # the other choices are kept
    with db.session() as s:
        [policy] = s.exec(select(SyncBackPolicy)).all()
    assert policy.invoice_lines == "both-ways"

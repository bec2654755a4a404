"""An Account created in Zoho is raised for the office, once, and never becomes a customer on
its own."""

from __future__ import annotations

from click.testing import CliRunner

from connector.cli import cli
from connector.reviews import list_reviews
from connector.store import ZohoBornPolicy
from connector.sync.policy import set_policy

from .conftest import Loop


def test_an_account_created_in_zoho_is_raised_for_review_until_ignored(loop: Loop) -> None:
    made = loop.sim.create_record("Accounts", Account_Name="Walk-in Client Ltd")
    summary = loop.sync_back()
    assert [(e.action, e.qb_name) for e in loop.events(summary)] == [
        ("zoho_born", "Walk-in Client Ltd")]
    [item] = list_reviews(loop.db)
    assert (item.qb_type, item.qb_id, item.qb_name) == (
        "ZohoAccount", str(made["id"]), "Walk-in Client Ltd")
    assert "created in Zoho" in item.reason
    assert loop.writes_queued() == []  # nothing is created in QuickBooks
    env = {"MLC_DATABASE_URL": loop.world.settings.resolved_database_url,
           "MLC_DATA_DIR": str(loop.world.settings.data_dir)}
    closed = CliRunner().invoke(cli, ["review", "resolve", str(item.id), "--ignore"], env=env)
    assert closed.exit_code == 0, closed.output
    loop.sim.edit_record("Accounts", str(made["id"]), Phone="555-0300")
    again = loop.sync_back()
    assert list_reviews(loop.db) == []
    assert [e.action for e in loop.events(again)] == []


def test_a_contact_created_in_zoho_is_sales_own_work(loop: Loop) -> None:
    loop.sim.create_record("Contacts", Last_Name="Second contact")
    summary = loop.sync_back()
    assert [e.action for e in loop.events(summary)] == ["not_linked"]
    assert list_reviews(loop.db) == []


def test_a_company_that_ignores_zoho_born_accounts_only_audits_them(loop: Loop) -> None:
    set_policy(loop.db, "Acme", zoho_born=ZohoBornPolicy.IGNORE)
    loop.sim.create_record("Accounts", Account_Name="Walk-in Client Ltd")
    summary = loop.sync_back()
    assert [(e.action, e.qb_name) for e in loop.events(summary)] == [
        ("zoho_born_ignored", "Walk-in Client Ltd")]
    assert list_reviews(loop.db) == [] and loop.writes_queued() == []

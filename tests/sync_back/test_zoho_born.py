"""An Account created in Zoho is raised for the office, once, and never becomes a customer on
its own."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from connector.cli import cli
from connector.mapping.keys import parse_key
from connector.qbxml.schema import validate
from connector.reviews import ReviewRefused, decide, list_reviews
from connector.store import ZohoBornPolicy
from connector.sync.policy import set_policy
from connector.xmlsafe import parse_xml
from connector.zoho.fields import QBD_KEY

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


def _walk_in(loop: Loop, **account: Any) -> str:
    """A salesperson's new Account, then its person (a Contact made right after)."""
    made = loop.sim.create_record("Accounts", Account_Name="Walk-in Client Ltd",
                                  Phone="555-0300", Billing_City="Shelbyville", **account)
    loop.sim.create_record("Contacts", First_Name="Wanda", Last_Name="Walker",
                           Email="wanda@walkin.example", Mobile="555-0301",
                           Account_Name={"id": made["id"]})
    return str(made["id"])


def _counts(loop: Loop) -> tuple[int, int]:
    return len(loop.sim.records("Accounts")), len(loop.sim.records("Contacts"))


def test_a_zoho_born_account_becomes_a_customer_linked_to_the_same_account(loop: Loop) -> None:
    set_policy(loop.db, "Acme", zoho_born=ZohoBornPolicy.CREATE)
    account_id = _walk_in(loop)
    summary = loop.sync_back()
    [queued] = [e for e in loop.events(summary) if e.action == "customer_add_queued"]
    assert (queued.zoho_id, queued.qb_name) == (account_id, "Walk-in Client Ltd")
    [write] = loop.writes_queued()
    validate(parse_xml(write.qbxml))
    assert "<CustomerAddRq" in write.qbxml
    assert list_reviews(loop.db) == []
    loop.session()
    customer = loop.customer("Walk-in Client Ltd")
    assert {k: customer.fields.get(k) for k in ("CompanyName", "FirstName", "LastName", "Phone",
                                                "AltPhone", "Email", "Contact")} == {
        "CompanyName": "Walk-in Client Ltd", "FirstName": "Wanda", "LastName": "Walker",
        "Phone": "555-0300", "AltPhone": "555-0301", "Email": "wanda@walkin.example",
        "Contact": "Wanda Walker"}
    assert customer.fields["BillAddress"]["City"] == "Shelbyville"
    assert loop.link("Customer", customer.list_id).zoho_id == account_id
    before = _counts(loop)
    loop.sync()
    assert _counts(loop) == before  # the Account and its Contact took the customer: no copies
    key = parse_key(loop.sim.record("Accounts", account_id)[QBD_KEY])
    assert key.qb_id == customer.list_id and key.role is None
    assert loop.zoho_id("Contacts", customer.list_id) == loop.link(
        "CustomerContact", customer.list_id).zoho_id
    settled = loop.sync_back()
    assert [(e.action, e.qb_id, e.zoho_id) for e in loop.events(settled)
            if e.action == "customer_added"] == [("customer_added", customer.list_id, account_id)]
    assert len(loop.writes_queued()) == 1  # the Account is never added twice
    loop.qb.company.modify_customer("Walk-in Client Ltd", Phone="555-0399")
    loop.session()
    loop.sync()
    assert _counts(loop) == before
    assert loop.sim.record("Accounts", account_id)["Phone"] == "555-0399"


def test_a_zoho_born_name_quickbooks_already_uses_ends_in_review(loop: Loop) -> None:
    set_policy(loop.db, "Acme", zoho_born=ZohoBornPolicy.CREATE)
    made = loop.sim.create_record("Accounts", Account_Name="Bolt Bikes", Phone="555-0900")
    loop.sync_back()
    loop.session()
    refused = loop.sync_back()
    [failure] = refused.failures
    assert failure.error_code == "3100" and failure.zoho_id == str(made["id"])
    [item] = list_reviews(loop.db)
    assert (item.qb_type, item.qb_id, item.status) == ("ZohoAccount", str(made["id"]), "open")
    assert "already uses the name 'Bolt Bikes'" in item.reason and "--create" in item.reason
    loop.sim.edit_record("Accounts", str(made["id"]), Phone="555-0901")
    again = loop.sync_back()
    loop.session()
    assert len(loop.writes_queued()) == 1 and loop.events(again) == []  # no second try alone
    assert [i.reason for i in list_reviews(loop.db)] == [item.reason]


def test_review_resolve_create_adds_the_one_account_whatever_the_policy(loop: Loop) -> None:
    account_id = _walk_in(loop)
    loop.sync_back()
    [item] = list_reviews(loop.db)
    assert item.qb_id == account_id and loop.writes_queued() == []
    env = {"MLC_DATABASE_URL": loop.world.settings.resolved_database_url,
           "MLC_DATA_DIR": str(loop.world.settings.data_dir)}
    decided = CliRunner().invoke(cli, ["review", "resolve", str(item.id), "--create"], env=env)
    assert decided.exit_code == 0, decided.output
    assert "becomes a QuickBooks customer" in decided.output
    applied = loop.sync_back()
    assert [e.action for e in loop.events(applied)] == ["customer_add_queued"]
    loop.session()
    customer = loop.customer("Walk-in Client Ltd")
    before = _counts(loop)
    loop.sync()
    assert _counts(loop) == before
    assert parse_key(loop.sim.record("Accounts", account_id)[QBD_KEY]).qb_id == customer.list_id
    loop.sync_back()
    assert list_reviews(loop.db) == []
    assert [i.status for i in list_reviews(loop.db, status=None)] == ["resolved"]
    assert len(loop.writes_queued()) == 1


def test_review_resolve_refuses_to_link_a_zoho_born_account(loop: Loop) -> None:
    loop.sim.create_record("Accounts", Account_Name="Walk-in Client Ltd")
    loop.sync_back()
    [item] = list_reviews(loop.db)
    with pytest.raises(ReviewRefused, match="--create makes it a QuickBooks customer"):
        decide(loop.db, item.id, link_to=item.qb_id, now=loop.clock())


def test_an_account_edited_before_quickbooks_got_its_add_is_added_as_it_is_now(
        loop: Loop) -> None:
    set_policy(loop.db, "Acme", zoho_born=ZohoBornPolicy.CREATE)
    account_id = _walk_in(loop)
    loop.sync_back()
    loop.sim.edit_record("Accounts", account_id, Phone="555-0310", Fax="555-0311")
    edited = loop.sync_back()
    assert [e.action for e in loop.events(edited)] == ["customer_add_queued"]
    first, second = loop.writes_queued()
    assert first.state == "cancelled" and "555-0310" in second.qbxml
    loop.session()
    customer = loop.customer("Walk-in Client Ltd")
    assert (customer.fields["Phone"], customer.fields["Fax"]) == ("555-0310", "555-0311")
    assert [r.name for r in loop.qb.company.records.values()
            if r.kind == "Customer" and r.name == "Walk-in Client Ltd"] == ["Walk-in Client Ltd"]
    loop.sync()
    assert loop.sim.record("Accounts", account_id)["Phone"] == "555-0310"
    assert [e.action for e in loop.events(loop.sync_back())
            if e.action.startswith("customer")] == ["customer_added"]


def test_an_account_raised_before_the_company_chose_create_is_added_and_its_item_closed(
        loop: Loop) -> None:
    account_id = _walk_in(loop)
    loop.sync_back()
    [item] = list_reviews(loop.db)
    set_policy(loop.db, "Acme", zoho_born=ZohoBornPolicy.CREATE)
    loop.sim.edit_record("Accounts", account_id, Fax="555-0311")
    loop.sync_back()
    loop.session()
    loop.sync_back()
    assert loop.customer("Walk-in Client Ltd").fields["Fax"] == "555-0311"
    assert list_reviews(loop.db) == []
    assert [i.id for i in list_reviews(loop.db, status=None)] == [item.id]

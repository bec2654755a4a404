"""QuickBooks -> bridge -> stored responses -> sync -> Zoho, and what a second look costs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connector.audit import run_events
from connector.mapping import company_scope, is_product
from connector.mapping.keys import parse_key
from connector.zoho.fields import QBD_ACTIVE, QBD_KEY
from tests.mapping.conftest import read_books

from .conftest import Books, World, by_qb_id, zoho_writes


@pytest.mark.all_profiles
def test_first_sync_creates_accounts_contacts_products_deals_and_invoices(
        world: World, acme: Books) -> None:
    summary = world.sync("Acme")
    books = read_books(acme.qb)
    tops = [c for c in books.customers if not c.is_job]
    products = [i for i in books.items if is_product(i)]
    invoices = len(books.invoices) if world.has_invoices else 0
    assert summary.status == "completed", summary.markdown()
    assert summary.counts["failed"] == 0
    assert len(world.records("Accounts")) == len(tops)
    assert len(world.records("Contacts")) == len(tops)  # every seeded customer names a person
    assert len(world.records("Products")) == len(products)
    assert len(world.records("Deals")) == len(books.invoices)
    assert len(world.records("Invoices")) == invoices
    assert summary.counts["created"] == (len(tops) * 2 + len(products) + len(books.invoices)
                                         + invoices)
    assert world.unprocessed() == []


@pytest.mark.all_profiles
def test_deals_and_invoices_get_the_orgs_own_values_by_meaning(world: World, acme: Books) -> None:
    company = acme.qb.company
    first = next(iter(company.invoices.values()))
    company.record_payment(first.txn_id, company.totals(first).balance)
    world.session("Acme")
    world.sync("Acme")
    paid = {i.txn_id: bool(i.is_paid) for i in read_books(acme.qb).invoices}
    assert set(paid.values()) == {True, False}
    for deal in world.records("Deals"):
        meaning = "Closed Won" if paid[parse_key(deal[QBD_KEY]).qb_id] else "Open"
        assert world.forecast_type(deal["Stage"]) == meaning
    statuses = {o["display_value"]
                for o in world.sim.field_meta("Invoices", "Status")["pick_list_values"]} \
        if world.has_invoices else set()
    assert all(i.get("Status") in statuses | {None} for i in world.records("Invoices"))


def test_every_deal_links_its_customers_account_and_totals_the_invoice(
        world: World, acme: Books) -> None:
    world.sync("Acme")
    books = read_books(acme.qb)
    accounts = {parse_key(a[QBD_KEY]).qb_id: a["id"] for a in world.records("Accounts")}
    by_id = {c.list_id: c for c in books.customers}
    for deal in world.records("Deals"):
        inv = next(i for i in books.invoices if i.txn_id == parse_key(deal[QBD_KEY]).qb_id)
        customer = by_id[inv.customer.list_id or ""]
        top = customer if not customer.is_job else next(
            c for c in books.customers if c.full_name == customer.full_name.split(":")[0])
        assert deal["Account_Name"]["id"] == accounts[top.list_id]
        assert Decimal(str(deal["Amount"])) == inv.total
        assert set(world.sim.related_products(deal["id"])) <= {
            p["id"] for p in world.records("Products")}


@pytest.mark.all_profiles
def test_zoho_invoice_grand_total_is_the_quickbooks_total(world: World, acme: Books) -> None:
    if not world.has_invoices:
        pytest.skip("the org has no Invoices module")
    world.sync("Acme")
    totals = {i.txn_id: i.total for i in read_books(acme.qb).invoices}
    for invoice in world.records("Invoices"):
        assert Decimal(str(invoice["Grand_Total"])) == totals[parse_key(invoice[QBD_KEY]).qb_id]


def test_keys_carry_the_company_file_guid(world: World, acme: Books) -> None:
    world.sync("Acme")
    scope = company_scope(acme.company.file_id)
    for module in world.sim.modules:
        assert all(parse_key(r[QBD_KEY]).scope == scope for r in world.records(module))


def test_inactive_customer_arrives_as_inactive_account(world: World, acme: Books) -> None:
    world.sync("Acme")
    inactive = [c for c in read_books(acme.qb).customers if not c.is_active and not c.is_job]
    assert inactive
    flags = {parse_key(a[QBD_KEY]).qb_id: a[QBD_ACTIVE] for a in world.records("Accounts")}
    assert all(flags[c.list_id] is False for c in inactive)


@pytest.mark.all_profiles
def test_replayed_session_costs_no_zoho_writes(world: World, acme: Books) -> None:
    world.sync("Acme")
    writes = zoho_writes(world.sim)
    world.forget_watermarks()
    world.session("Acme")  # reads every record again
    assert world.unprocessed()
    summary = world.sync("Acme")
    assert zoho_writes(world.sim) == writes
    assert summary.counts["created"] == summary.counts["updated"] == 0
    assert summary.counts["unchanged"] > 0 and world.unprocessed() == []


@pytest.mark.all_profiles
def test_same_responses_synced_twice_cost_no_writes(world: World, acme: Books) -> None:
    world.sync("Acme")
    writes = zoho_writes(world.sim)
    world.reprocess_all()
    world.sync("Acme")
    assert zoho_writes(world.sim) == writes


@pytest.mark.all_profiles
def test_an_edit_in_quickbooks_updates_only_that_record(world: World, acme: Books) -> None:
    world.sync("Acme")
    customer = next(c for c in acme.qb.company.listed("Customer") if c.parent_id is None)
    acme.qb.company.modify_customer(customer.list_id, Fax="+1 555 0199")
    world.session("Acme")
    summary = world.sync("Acme")
    assert summary.counts["updated"] == 1 and summary.counts["created"] == 0
    account = next(a for a in world.records("Accounts")
                   if parse_key(a[QBD_KEY]).qb_id == customer.list_id)
    assert account["Fax"] == "+1 555 0199"
    events = [e for e in run_events(world.db, summary.run_id) if e.action == "updated"]
    assert [(e.qb_id, e.changed_fields) for e in events] == [(customer.list_id, ["Fax"])]



def test_an_edit_in_quickbooks_keeps_a_zoho_edit_of_another_field(
        world: World, acme: Books) -> None:
    world.sync("Acme")
    customer = next(c for c in acme.qb.company.listed("Customer") if c.parent_id is None)
    zoho_id = str(by_qb_id(world, "Accounts")[customer.list_id]["id"])
    world.sim.edit_record("Accounts", zoho_id, Phone="+1 555 0101")  # sales, meanwhile
    acme.qb.company.modify_customer(customer.list_id, Fax="+1 555 0199")
    world.session("Acme")
    world.sync("Acme")
    account = by_qb_id(world, "Accounts")[customer.list_id]
    assert (account["Fax"], account["Phone"]) == ("+1 555 0199", "+1 555 0101")


# The name is the Account's only mandatory field: renamed, the update alone would create a
# bare record, so the rest is written over it by id.
@pytest.mark.parametrize(("change", "field", "value"), [
    ({"Fax": "+1 555 0199"}, "Fax", "+1 555 0199"),
    ({"name": "Renamed Ltd"}, "Account_Name", "Renamed Ltd"),
], ids=["another-field", "the-name"])
def test_a_record_deleted_in_zoho_comes_back_whole_with_the_next_quickbooks_edit(
        world: World, acme: Books, change: dict[str, str], field: str, value: str) -> None:
    world.sync("Acme")
    customer = next(c for c in acme.qb.company.listed("Customer") if c.parent_id is None)
    before = by_qb_id(world, "Accounts")[customer.list_id]
    world.sim.delete_record("Accounts", str(before["id"]))
    acme.qb.company.modify_customer(customer.list_id, **change)
    world.session("Acme")
    summary = world.sync("Acme")
    assert summary.counts["failed"] == 0, summary.markdown()
    again = by_qb_id(world, "Accounts")[customer.list_id]
    assert again["id"] != before["id"] and again[field] == value
    kept = {"Account_Name", "Billing_City", "Phone"} - {field}
    assert {f: again[f] for f in kept} == {f: before[f] for f in kept}

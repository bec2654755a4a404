"""Deals and Zoho Invoices carry the customer's primary Contact, and follow it when it changes."""

from __future__ import annotations

from typing import Any

import pytest

from connector.mapping.keys import parse_key
from connector.zoho.fields import QBD_KEY
from tests.mapping.conftest import read_books

from .conftest import Books, World


def _by_key(world: World, module: str, role: str | None = None) -> dict[str, dict[str, Any]]:
    return {parse_key(str(r[QBD_KEY])).qb_id: r for r in world.records(module)
            if r.get(QBD_KEY) and parse_key(str(r[QBD_KEY])).role == role}


def _lookup(record: dict[str, Any], name: str) -> str | None:
    value = record.get(name)
    return str(value["id"]) if isinstance(value, dict) else None


def _top(books: Any, customer_id: str) -> str:
    customer = books.customer(customer_id)
    if not customer.is_job:
        return str(customer.list_id)
    top = customer.full_name.split(":")[0]
    return str(next(c.list_id for c in books.customers if c.full_name == top))


@pytest.mark.all_profiles
def test_every_deal_and_invoice_carries_its_customers_primary_contact(
        world: World, acme: Books) -> None:
    world.sync("Acme")
    books = read_books(acme.qb)
    contacts = _by_key(world, "Contacts", "contact")
    invoices = _by_key(world, "Invoices")
    deals = _by_key(world, "Deals")
    assert deals
    for inv in books.invoices:
        want = contacts[_top(books, inv.customer.list_id or "")]["id"]
        assert _lookup(deals[inv.txn_id], "Contact_Name") == want
        if world.has_invoices:
            assert _lookup(invoices[inv.txn_id], "Contact_Name") == want


def test_a_jobs_invoice_carries_the_top_level_customers_contact(world: World) -> None:
    acme = world.add_books("Acme")
    company = acme.qb.company
    parent = next(c for c in company.listed("Customer") if c.parent_id is None)
    job = company.add_customer("Roof repair 2", parent=parent.list_id)
    service = next(i for i in company.listed("Item") if i.kind == "ItemService")
    inv = company.add_invoice(job.list_id, lines=[{"ItemRef": service.list_id, "Quantity": 1}])
    world.session("Acme")
    world.sync("Acme")
    contact = _by_key(world, "Contacts", "contact")[parent.list_id]
    assert _lookup(_by_key(world, "Deals")[inv.txn_id], "Contact_Name") == contact["id"]


def test_deals_follow_when_the_customer_first_names_a_person(world: World) -> None:
    acme = world.add_books("Acme")
    company = acme.qb.company
    nameless = company.add_customer("Harbor Logistics")
    service = next(i for i in company.listed("Item") if i.kind == "ItemService")
    inv = company.add_invoice(nameless.list_id,
                              lines=[{"ItemRef": service.list_id, "Quantity": 3}])
    world.session("Acme")
    world.sync("Acme")
    deal = _by_key(world, "Deals")[inv.txn_id]
    assert nameless.list_id not in _by_key(world, "Contacts", "contact")
    assert _lookup(deal, "Contact_Name") is None

    company.modify_customer(nameless.list_id, FirstName="Greta", LastName="Olsen",
                            Email="greta@harbor.example")
    world.session("Acme")
    summary = world.sync("Acme")
    contact = _by_key(world, "Contacts", "contact")[nameless.list_id]
    assert contact["Last_Name"] == "Olsen"
    assert _lookup(world.sim.record("Deals", deal["id"]), "Contact_Name") == contact["id"]
    if world.has_invoices:
        assert _lookup(_by_key(world, "Invoices")[inv.txn_id], "Contact_Name") == contact["id"]
    assert summary.counts["failed"] == 0


def test_a_contact_recreated_after_its_deletion_in_zoho_takes_the_deals_along(
        world: World, acme: Books) -> None:
    world.sync("Acme")
    books = read_books(acme.qb)
    inv = next(i for i in books.invoices if not books.customer(i.customer.list_id or "").is_job)
    customer_id = inv.customer.list_id or ""
    old = _by_key(world, "Contacts", "contact")[customer_id]["id"]
    world.sim.delete_record("Contacts", old)
    # The bookkeeper changes the person; the Contact is written anew under our key.
    acme.qb.company.modify_customer(customer_id, Phone="555-0199")
    world.session("Acme")  # reads the customer, not its invoices
    world.sync("Acme")
    new = _by_key(world, "Contacts", "contact")[customer_id]["id"]
    assert new != old
    assert _lookup(_by_key(world, "Deals")[inv.txn_id], "Contact_Name") == new


def test_a_renamed_contact_person_keeps_the_deals_on_the_same_contact(
        world: World, acme: Books) -> None:
    world.sync("Acme")
    books = read_books(acme.qb)
    inv = books.invoices[0]
    top = _top(books, inv.customer.list_id or "")
    before = _by_key(world, "Contacts", "contact")[top]
    acme.qb.company.modify_customer(top, FirstName="Rosa", LastName="Lindgren")
    world.session("Acme")
    world.sync("Acme")
    after = _by_key(world, "Contacts", "contact")[top]
    assert after["id"] == before["id"] and after["Last_Name"] == "Lindgren"
    assert _lookup(_by_key(world, "Deals")[inv.txn_id], "Contact_Name") == after["id"]

"""Deletions close records in Zoho, jobs land on their customer's Account, and two company
files that share ListIDs stay apart."""

from __future__ import annotations

import pytest

from connector.mapping.keys import parse_key
from connector.store import Database
from connector.zoho.fields import QBD_ACTIVE, QBD_KEY
from tests.mapping.conftest import read_books

from .conftest import CANCELLED_STATUS, Books, World, by_qb_id, delete_some, zoho_writes


@pytest.mark.all_profiles
def test_deletions_deactivate_accounts_and_products_and_close_deals(world: World,
                                                                    acme: Books) -> None:
    world.sync("Acme")
    invoice, item, customer = delete_some(acme)
    world.session("Acme")
    summary = world.sync("Acme")
    # deal, invoice, product, account (+ contact link)
    assert summary.counts["deleted"] >= (4 if world.has_invoices else 3)
    assert summary.counts["failed"] == 0
    assert world.forecast_type(str(by_qb_id(world, "Deals")[invoice]["Stage"])) == "Closed Lost"
    if world.has_invoices:
        assert by_qb_id(world, "Invoices")[invoice]["Status"] == CANCELLED_STATUS[world.profile]
    assert by_qb_id(world, "Products")[item]["Product_Active"] is False
    assert by_qb_id(world, "Accounts")[customer][QBD_ACTIVE] is False
    writes = zoho_writes(world.sim)
    world.reprocess_all()
    world.sync("Acme")
    assert zoho_writes(world.sim) == writes  # a deletion seen again costs nothing


def test_job_invoice_links_the_top_level_account_and_names_the_job(world: World) -> None:
    acme = world.add_books("Acme")
    company = acme.qb.company
    parent = next(c for c in company.listed("Customer") if c.parent_id is None)
    job = company.add_customer("Kitchen remodel", parent=parent.list_id)
    sub = company.add_customer("Phase 2", parent=job.list_id)
    service = next(i for i in company.listed("Item") if i.kind == "ItemService")
    inv = company.add_invoice(sub.list_id, lines=[{"ItemRef": service.list_id, "Quantity": 2}])
    world.session("Acme")
    world.sync("Acme")
    deal = by_qb_id(world, "Deals")[inv.txn_id]
    account = by_qb_id(world, "Accounts")[parent.list_id]
    assert deal["Account_Name"]["id"] == account["id"]  # type: ignore[index]
    assert str(deal["Deal_Name"]).endswith(f"{parent.name} · Kitchen remodel · Phase 2")
    assert job.list_id not in by_qb_id(world, "Accounts")


def test_two_company_files_with_the_same_list_ids_never_collide(world: World,
                                                                db: Database) -> None:
    acme = world.add_books("Acme", seed=5)
    globex = world.add_books("Globex", seed=5)
    ids_a = {c.list_id for c in read_books(acme.qb).customers}
    assert ids_a == {c.list_id for c in read_books(globex.qb).customers}  # same template
    for name in ("Acme", "Globex"):
        world.session(name)
        world.sync(name)
    accounts = world.records("Accounts")
    tops = sum(1 for c in read_books(acme.qb).customers if not c.is_job)
    assert len(accounts) == 2 * tops == len({a[QBD_KEY] for a in accounts})
    scopes = {parse_key(str(a[QBD_KEY])).scope for a in accounts}
    assert len(scopes) == 2
    assert len(world.records("Deals")) == 16

"""An invoice amended in QuickBooks amends its Deal and Zoho Invoice: amount, lines added and
removed, another customer, voided."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from connector.mapping.keys import parse_key
from connector.sandbox.qbd.records import Invoice, ListRecord
from connector.zoho.fields import QBD_KEY

from .conftest import CANCELLED_STATUS, Books, World


@dataclass
class Amend:
    world: World
    books: Books
    invoice: Invoice
    chair: ListRecord
    desk: ListRecord
    lamp: ListRecord

    def resync(self) -> None:
        self.world.session("Acme")
        summary = self.world.sync("Acme")
        assert summary.counts["failed"] == 0, summary.markdown()

    def find(self, module: str, qb_id: str, role: str | None = None) -> dict[str, Any]:
        return next(r for r in self.world.records(module) if r.get(QBD_KEY)
                    and parse_key(r[QBD_KEY]).qb_id == qb_id and parse_key(r[QBD_KEY]).role == role)

    @property
    def deal(self) -> dict[str, Any]:
        return self.find("Deals", self.invoice.txn_id)

    @property
    def zoho_invoice(self) -> dict[str, Any]:
        return self.find("Invoices", self.invoice.txn_id)

    def product(self, item: ListRecord) -> str:
        return str(self.find("Products", item.list_id)["id"])

    def related(self) -> set[str]:
        return set(self.world.sim.related_products(self.deal["id"]))

    def rows(self) -> dict[str, Decimal]:
        """Product id -> quantity of the Zoho Invoice's rows."""
        return {r["Product_Name"]["id"]: Decimal(str(r["Quantity"]))
                for r in self.zoho_invoice["Invoiced_Items"]}

    def total(self) -> Decimal:
        company = self.books.qb.company
        totals = company.totals(company.invoice(self.invoice.txn_id))
        return totals.subtotal + totals.tax_total

    def lines(self, *keep: ListRecord, **quantities: Decimal) -> list[dict[str, Any]]:
        """The invoice's lines for InvoiceMod: those of ``keep`` (by item), quantities changed
        by item name."""
        current = self.books.qb.company.invoice(self.invoice.txn_id).lines
        wanted = {i.list_id: i for i in keep}
        out: list[dict[str, Any]] = []
        for line in current:
            item = wanted.get(line.fields.get("ItemRef", ""))
            if item is None:
                continue
            change = quantities.get(item.name.replace(" ", "_"))
            out.append({"TxnLineID": line.txn_line_id,
                        **({"Quantity": change} if change is not None else {})})
        return out


@pytest.fixture
def amend(world: World) -> Amend:
    books = world.add_books("Acme")
    company = books.qb.company
    chair = company.add_item("ItemInventory", "Oak Chair", SalesPrice=Decimal("120.00"),
                             ManufacturerPartNumber="OC-1")
    desk = company.add_item("ItemInventory", "Oak Desk", SalesPrice=Decimal("480.00"))
    lamp = company.add_item("ItemNonInventory", "Desk Lamp",
                            SalesOrPurchase={"Desc": "LED lamp", "Price": Decimal("45.00")})
    customer = next(c for c in company.listed("Customer") if c.parent_id is None and c.is_active)
    invoice = company.add_invoice(customer.list_id, lines=[
        {"ItemRef": chair.list_id, "Quantity": Decimal(4)},
        {"ItemRef": desk.list_id, "Quantity": Decimal(1)}])
    made = Amend(world, books, invoice, chair, desk, lamp)
    made.resync()
    return made


@pytest.mark.all_profiles
def test_a_changed_quantity_changes_the_deal_amount_and_the_invoice_row(amend: Amend) -> None:
    assert Decimal(str(amend.deal["Amount"])) == amend.total()
    before = amend.total()
    amend.books.qb.company.modify_invoice(
        amend.invoice.txn_id, lines=amend.lines(amend.chair, amend.desk, Oak_Chair=Decimal(6)))
    amend.resync()
    assert amend.total() > before
    assert Decimal(str(amend.deal["Amount"])) == amend.total()
    if amend.world.has_invoices:
        assert amend.rows()[amend.product(amend.chair)] == Decimal(6)
        assert Decimal(str(amend.zoho_invoice["Grand_Total"])) == amend.total()


def test_an_added_line_relates_its_product_and_adds_a_row(amend: Amend) -> None:
    lines = [*amend.lines(amend.chair, amend.desk),
             {"ItemRef": amend.lamp.list_id, "Quantity": Decimal(2)}]
    amend.books.qb.company.modify_invoice(amend.invoice.txn_id, lines=lines)
    amend.resync()
    wanted = {amend.product(i) for i in (amend.chair, amend.desk, amend.lamp)}
    assert amend.related() == wanted
    if amend.world.has_invoices:  # Standard edition has no Invoices module
        assert set(amend.rows()) == wanted
    assert Decimal(str(amend.deal["Amount"])) == amend.total()


@pytest.mark.all_profiles
def test_a_removed_line_unrelates_its_product_and_leaves_the_zoho_invoice(amend: Amend) -> None:
    desk = amend.product(amend.desk)
    # A product a salesperson related by hand is theirs and stays.
    own = amend.world.sim.create_record("Products", Product_Name="Extended warranty")["id"]
    amend.world.sim.relate_product(amend.deal["id"], own)
    assert desk in amend.related()
    amend.books.qb.company.modify_invoice(amend.invoice.txn_id,
                                          lines=amend.lines(amend.chair))
    amend.resync()
    assert amend.related() == {amend.product(amend.chair), own}
    assert Decimal(str(amend.deal["Amount"])) == amend.total() == Decimal("480.00")
    if amend.world.has_invoices:
        assert set(amend.rows()) == {amend.product(amend.chair)}
        assert Decimal(str(amend.zoho_invoice["Grand_Total"])) == amend.total()


def test_another_customer_moves_the_deal_to_its_account_and_contact(amend: Amend) -> None:
    company = amend.books.qb.company
    old = amend.deal["Account_Name"]["id"]
    other = next(c for c in company.listed("Customer") if c.parent_id is None and c.is_active
                 and c.list_id != amend.invoice.customer_id)
    company.modify_invoice(amend.invoice.txn_id, customer=other.list_id)
    amend.resync()
    account = amend.find("Accounts", other.list_id)["id"]
    contact = amend.find("Contacts", other.list_id, "contact")["id"]
    assert account != old
    assert amend.deal["Account_Name"]["id"] == account
    assert amend.deal["Contact_Name"]["id"] == contact
    if amend.world.has_invoices:
        assert amend.zoho_invoice["Account_Name"]["id"] == account
        assert amend.zoho_invoice["Contact_Name"]["id"] == contact


@pytest.mark.all_profiles
def test_a_voided_invoice_zeroes_the_deal_and_closes_it_lost(amend: Amend) -> None:
    amend.books.qb.company.void_invoice(amend.invoice.txn_id)
    amend.resync()
    assert Decimal(str(amend.deal["Amount"])) == 0
    assert amend.world.forecast_type(str(amend.deal["Stage"])) == "Closed Lost"
    if amend.world.has_invoices:
        assert amend.zoho_invoice.get("Status") == CANCELLED_STATUS[amend.world.profile]


def test_a_deleted_invoice_closes_the_deal_lost(amend: Amend) -> None:
    amend.books.qb.company.delete_invoice(amend.invoice.txn_id)
    amend.resync()
    assert amend.world.forecast_type(str(amend.deal["Stage"])) == "Closed Lost"
    if amend.world.has_invoices:
        assert amend.zoho_invoice.get("Status") == CANCELLED_STATUS[amend.world.profile]

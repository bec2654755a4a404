"""Products arrive with their SKU, price, description, tax and active flag; items that are not
sold stay out of Products and are folded into the Deal."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connector.mapping.keys import parse_key
from connector.zoho.fields import QBD_KEY

from .conftest import World


def _products(world: World) -> dict[str, dict[str, Any]]:
    return {parse_key(str(r[QBD_KEY])).qb_id: r for r in world.records("Products")}


def test_products_carry_the_sku_and_follow_its_change(world: World) -> None:
    acme = world.add_books("Acme")
    company = acme.qb.company
    chair = company.add_item("ItemInventory", "Oak Chair", ManufacturerPartNumber="OC-2210",
                             SalesDesc="Solid oak chair", SalesPrice=Decimal("129.00"),
                             SalesTaxCodeRef="Tax")
    fee = company.add_item("ItemOtherCharge", "Delivery",
                           SalesOrPurchase={"Desc": "Delivery fee", "Price": Decimal("35.00")})
    world.session("Acme")
    world.sync("Acme")
    products = _products(world)
    assert products[chair.list_id]["Product_Code"] == "OC-2210"
    assert Decimal(str(products[chair.list_id]["Unit_Price"])) == Decimal("129.00")
    assert products[chair.list_id]["Description"] == "Solid oak chair"
    assert products[chair.list_id]["Taxable"] is True
    assert products[fee.list_id]["Product_Code"] == "Delivery"  # no SKU: its name

    company.modify_item(chair.list_id, ManufacturerPartNumber="OC-2210-B")
    world.session("Acme")
    world.sync("Acme")
    assert _products(world)[chair.list_id]["Product_Code"] == "OC-2210-B"


def test_discount_and_tax_lines_are_folded_into_the_deal_not_products(world: World) -> None:
    acme = world.add_books("Acme")
    company = acme.qb.company
    customer = next(c for c in company.listed("Customer") if c.parent_id is None)
    service = next(i for i in company.listed("Item") if i.kind == "ItemService")
    discount = next(i for i in company.listed("Item") if i.kind == "ItemDiscount")
    inv = company.add_invoice(customer.list_id, lines=[
        {"ItemRef": service.list_id, "Quantity": Decimal(4), "Rate": Decimal("50.00")},
        {"ItemRef": discount.list_id}])
    world.session("Acme")
    world.sync("Acme")
    deal = next(d for d in world.records("Deals") if parse_key(d[QBD_KEY]).qb_id == inv.txn_id)
    total = company.totals(company.invoice(inv.txn_id))
    assert Decimal(str(deal["Amount"])) == total.subtotal + total.tax_total < Decimal("200.00")
    products = _products(world)
    assert discount.list_id not in products
    assert set(world.sim.related_products(deal["id"])) == {products[service.list_id]["id"]}

"""Zoho invoice lines carry their own discount and tax, as Zoho's Invoiced_Items define them;
whatever has no line is the Adjustment, and an Adjustment beyond rounding is a warning."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connector.mapping import map_invoice
from connector.mapping.lines import spread

from .test_deals_and_invoices import ctx, invoice, zoho_grand_total

D = Decimal
PRODUCTS = {"I-1": "p-1", "I-2": "p-2"}


def line(n: int, amount: str, *, item: str | None = None, qty: str | None = None,
         rate: str | None = None, tax: str | None = None,
         desc: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"TxnLineID": f"L{n}", "Amount": amount, "_element": "InvoiceLineRet"}
    if item:
        out["ItemRef"] = {"ListID": item, "FullName": item}
    if qty:
        out["Quantity"] = qty
    if rate:
        out["Rate"] = rate
    if tax:
        out["SalesTaxCodeRef"] = {"FullName": tax}
    if desc:
        out["Desc"] = desc
    return out


def zoho_invoice(*lines: dict[str, Any], subtotal: str, tax: str = "0.00") -> dict[str, Any]:
    mapped = map_invoice(invoice(InvoiceLines=list(lines), Subtotal=subtotal, SalesTaxTotal=tax),
                         ctx(), "deal-1", PRODUCTS)
    assert mapped is not None
    return {"payload": mapped.payload, "notes": [n.code for n in mapped.notes]}


def test_a_discount_line_goes_on_the_product_line_above_it() -> None:
    made = zoho_invoice(line(1, "200.00", item="I-1", qty="2", rate="100", tax="Tax"),
                        line(2, "-20.00", item="DISC"),
                        line(3, "50.00", item="I-2", qty="1", rate="50", tax="Non"),
                        subtotal="230.00")
    rows = made["payload"]["Invoiced_Items"]
    assert rows[0]["Discount"] == D("20.00") and "Discount" not in rows[1]
    assert made["payload"]["Adjustment"] == 0 and made["notes"] == []
    assert zoho_grand_total(made["payload"]) == D("230.00")


def test_sales_tax_is_spread_over_the_taxable_lines_to_the_cent() -> None:
    made = zoho_invoice(line(1, "100.00", item="I-1", qty="1", rate="100", tax="Tax"),
                        line(2, "200.00", item="I-2", qty="1", rate="200", tax="Tax"),
                        line(3, "50.00", item="I-1", qty="1", rate="50", tax="Non"),
                        subtotal="350.00", tax="21.76")
    rows = made["payload"]["Invoiced_Items"]
    assert [r.get("Tax") for r in rows] == [D("7.25"), D("14.51"), None]
    assert made["payload"]["Tax"] == 0
    assert zoho_grand_total(made["payload"]) == D("371.76")


def test_an_adjustment_beyond_rounding_is_a_warning() -> None:
    made = zoho_invoice(line(1, "100.00", item="I-1", qty="1", rate="100"),
                        line(2, "80.00", desc="Labour, no item"), subtotal="180.00")
    assert made["payload"]["Adjustment"] == D("80.00")
    assert made["notes"] == ["ADJUSTMENT"]
    assert zoho_grand_total(made["payload"]) == D("180.00")


def test_a_discount_below_a_line_without_a_product_stays_in_the_adjustment() -> None:
    made = zoho_invoice(line(1, "100.00", item="I-1", qty="1", rate="100"),
                        line(2, "80.00", desc="Labour"), line(3, "-8.00", item="DISC"),
                        subtotal="172.00")
    assert "Discount" not in made["payload"]["Invoiced_Items"][0]
    assert made["payload"]["Adjustment"] == D("72.00")


def test_spread_adds_up_exactly() -> None:
    shares = spread(D("10.00"), [D(1), D(1), D(1)])
    assert sum(shares) == D("10.00") and sorted(shares) == [D("3.33"), D("3.33"), D("3.34")]
    assert spread(D("5.00"), []) == [] and spread(D("5.00"), [D(0)]) == []

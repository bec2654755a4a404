"""Invoices -> Deals (amount = invoice total, exactly) and Zoho Invoices with line items."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connector.mapping import (
    DealContext,
    OrgCurrency,
    deal_name,
    is_product,
    map_deal,
    map_invoice,
    resolve_values,
)
from connector.qbxml import Invoice

from .conftest import SCOPE, Books, org_meta

STAMP = "2026-01-05T10:00:00-05:00"


def invoice(**fields: Any) -> Invoice:
    base = {"TxnID": "1A-1", "EditSequence": "7", "TimeCreated": STAMP, "TimeModified": STAMP,
            "TxnDate": "2026-01-05", "RefNumber": "1042",
            "CustomerRef": {"ListID": "80000001-1", "FullName": "Müller GmbH"},
            "Subtotal": "1000.00", "SalesTaxTotal": "0.00"}
    return Invoice.model_validate({**base, **fields})


DEFAULT_VALUES = resolve_values(org_meta("default"))


def ctx(**kw: Any) -> DealContext:
    return DealContext(scope=SCOPE, account_id="acc-1", **{"values": DEFAULT_VALUES, **kw})


def zoho_grand_total(payload: dict[str, Any]) -> Decimal:
    """What Zoho computes from the lines, the way it computes it: each row's total in cents,
    less its discount, plus its tax; then the invoice's own discount, tax and adjustment."""
    zero = Decimal(0)
    lines = sum(((r["Quantity"] * r["List_Price"]).quantize(Decimal("0.01"))
                 - r.get("Discount", zero) + r.get("Tax", zero)
                 for r in payload["Invoiced_Items"]), zero)
    return lines - payload["Discount"] + payload["Tax"] + payload["Adjustment"]


def test_deal_amount_is_the_invoice_total_with_discount_and_tax_lines(books: Books) -> None:
    inv = next(i for i in books.invoices
               if any(line.amount is not None and line.amount < 0 for line in i.lines)
               and i.sales_tax_total > 0)
    payload = map_deal(inv, ctx()).payload
    assert payload["Amount"] == inv.subtotal + inv.sales_tax_total
    assert payload["Amount"] == sum((line.amount or Decimal(0) for line in inv.lines),
                                    Decimal(0)) + inv.sales_tax_total
    assert isinstance(payload["Amount"], Decimal)
    assert payload["Closing_Date"] == inv.txn_date.isoformat()
    assert payload["Account_Name"] == {"id": "acc-1"}


def test_job_invoice_names_the_job_and_links_the_given_account(books: Books) -> None:
    job = next(c for c in books.customers if c.is_job)
    parent, job_name = job.full_name.split(":", 1)
    inv = invoice(CustomerRef={"ListID": job.list_id, "FullName": job.full_name})
    payload = map_deal(inv, ctx()).payload
    assert payload["Deal_Name"] == f"Invoice 1042 · {parent} · {job_name}"
    assert payload["Account_Name"] == {"id": "acc-1"}


def test_stage_is_the_orgs_stage_for_paid_open_and_the_chosen_open_stage() -> None:
    assert map_deal(invoice(IsPaid="true"), ctx()).payload["Stage"] == "Closed Won"
    assert map_deal(invoice(IsPaid="false"), ctx()).payload["Stage"] == "Qualification"
    chosen = ctx(values=resolve_values(org_meta(), {"open-stage": "proposal/price quote"}))
    assert map_deal(invoice(IsPaid="false"), chosen).payload["Stage"] == "Proposal/Price Quote"


def test_an_org_without_a_fitting_stage_gets_none_sent() -> None:
    meta = org_meta("own_pipeline")
    values = resolve_values(meta, {"won-stage": "Closed Won"})  # not a stage of this org
    mapped = map_deal(invoice(IsPaid="true"), ctx(values=values))
    assert "Stage" not in mapped.payload and mapped.states == {"Stage": "paid"}


def test_a_long_job_path_is_clipped_but_keeps_the_reference() -> None:
    long_name = ":".join(["Ångström Optics International Holding AG"] * 5)
    name = deal_name(invoice(CustomerRef={"ListID": "8-1", "FullName": long_name}))
    assert len(name) == 120 and name.startswith("Invoice 1042 · Ångström") and name[-1] == "…"


EURO = {"CurrencyRef": {"FullName": "Euro"}, "ExchangeRate": "1.08",
        "Subtotal": "1000.00", "SalesTaxTotal": "55.55"}


def test_multi_currency_org_keeps_currency_and_zoho_rate() -> None:
    payload = map_deal(invoice(**EURO), ctx(org=OrgCurrency("USD", True))).payload
    assert payload["Amount"] == Decimal("1055.55") and payload["Currency"] == "EUR"
    assert payload["Exchange_Rate"] == Decimal("0.925925926")  # EUR per USD


def test_single_currency_org_gets_home_amount_and_the_original_in_the_description() -> None:
    payload = map_deal(invoice(**EURO), ctx(org=OrgCurrency("USD", False))).payload
    assert payload["Amount"] == Decimal("1139.99")  # 1055.55 * 1.08, to the cent
    assert "Currency" not in payload
    assert "1,055.55 EUR at exchange rate 1.08" in payload["Description"]


def test_home_currency_invoice_in_a_multi_currency_org_is_plain() -> None:
    home = {"CurrencyRef": {"FullName": "US Dollar"}, "ExchangeRate": "1"}
    payload = map_deal(invoice(**home), ctx(org=OrgCurrency("USD", True))).payload
    assert payload["Amount"] == Decimal("1000.00") and "Currency" not in payload


def test_zoho_invoice_grand_total_equals_the_quickbooks_total(books: Books) -> None:
    products = {i.list_id: f"p-{i.list_id}" for i in books.items if is_product(i)}
    for inv in books.invoices:
        mapped = map_invoice(inv, ctx(), "deal-1", products)
        assert mapped is not None
        assert zoho_grand_total(mapped.payload) == inv.total, inv.txn_id
        assert mapped.payload["Deal_Name"] == {"id": "deal-1"}
        product_lines = [line for line in inv.lines if line.item
                         and line.item.list_id in products]
        assert len(mapped.payload["Invoiced_Items"]) == len(product_lines)


def test_converted_zoho_invoice_totals_the_home_amount(books: Books) -> None:
    products = {i.list_id: f"p-{i.list_id}" for i in books.items if is_product(i)}
    inv = books.invoices[0].model_copy(update={"currency": EURO_REF, "exchange_rate":
                                               Decimal("1.0837")})
    mapped = map_invoice(inv, ctx(org=OrgCurrency("USD", False)), "deal-1", products)
    assert mapped is not None
    assert zoho_grand_total(mapped.payload) == (inv.total * Decimal("1.0837")).quantize(
        Decimal("0.01"))


def test_invoice_without_product_lines_makes_no_zoho_invoice() -> None:
    lines = {"InvoiceLines": [{"TxnLineID": "L1", "Desc": "Labour", "Amount": "80.00",
                               "_element": "InvoiceLineRet"}]}
    assert map_invoice(invoice(**lines), ctx(), "deal-1", {}) is None


EURO_REF = Invoice.model_validate({
    "TxnID": "x", "EditSequence": "1", "TimeCreated": STAMP, "TimeModified": STAMP,
    "TxnDate": "2026-01-05", "CustomerRef": {"FullName": "x"},
    "CurrencyRef": {"FullName": "Euro"}}).currency

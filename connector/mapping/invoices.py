"""QuickBooks invoices -> Zoho Invoices (Professional edition and up), beside the Deal.

Each product line becomes an ``Invoiced_Items`` row (product, quantity, list price). Zoho
computes the totals itself, so what QuickBooks has and Zoho has no line for — discount and
tax-item lines, description-only lines, rounding — goes into the invoice's Adjustment, and
Zoho's Grand_Total equals the QuickBooks total to the cent.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from connector.mapping.currency import CENT, conversion
from connector.mapping.deals import DealContext, invoice_label, invoice_state
from connector.mapping.fields import INVOICE_FIELDS, clip, map_fields
from connector.mapping.keys import INVOICE, qbd_key
from connector.mapping.payload import Mapped
from connector.qbxml.models import Invoice, InvoiceLine
from connector.zoho.fields import QBD_KEY
from connector.zoho.invoices import InvoiceLine as ZohoLine
from connector.zoho.invoices import invoiced_items

__all__ = ["INVOICE_STATUS", "ADJUSTMENT_NOTE", "map_invoice", "cancelled_invoice"]

INVOICE_STATUS: dict[str, str] = {"paid": "Paid", "open": "Created", "deleted": "Cancelled"}
ADJUSTMENT_NOTE = ("Adjustment: discounts, sales-tax item lines and other lines without a "
                   "product in QuickBooks")
_SUBJECT = next(r for r in INVOICE_FIELDS if r.zoho == "Subject")


def _zoho_line(line: InvoiceLine, product_id: str, money: Any) -> ZohoLine | None:
    if line.amount is None:
        return None
    quantity = line.quantity if line.quantity not in (None, Decimal(0)) else Decimal(1)
    price = line.rate if line.rate is not None and line.quantity else line.amount / quantity
    return ZohoLine(product_id=product_id, quantity=quantity,
                    list_price=money.amount(price.quantize(CENT)),
                    description=clip(line.desc, 2000))


def map_invoice(invoice: Invoice, ctx: DealContext, deal_id: str,
                products: Mapping[str, str]) -> Mapped | None:
    """The Zoho Invoice, or None when no line names a product (Zoho needs at least one)."""
    money = conversion(invoice, ctx.org)
    lines: list[ZohoLine] = []
    for line in invoice.lines:
        product_id = products.get(line.item.list_id or "") if line.item else None
        made = _zoho_line(line, product_id, money) if product_id else None
        if made is not None:
            lines.append(made)
    if not lines:
        return None
    tax = money.amount(invoice.sales_tax_total)
    goods = sum(((row.quantity * row.list_price).quantize(CENT) for row in lines), Decimal(0))
    payload: dict[str, Any] = map_fields(invoice, INVOICE_FIELDS)
    payload.update(
        Subject=clip(invoice_label(invoice), _SUBJECT.max_length),
        Status=INVOICE_STATUS[invoice_state(invoice)],
        Account_Name={"id": ctx.account_id},
        Deal_Name={"id": deal_id},
        Tax=tax,
        Discount=Decimal(0),
        Adjustment=money.amount(invoice.total) - goods - tax,
        Description="\n".join(p for p in (ADJUSTMENT_NOTE, money.note(invoice.total)) if p),
        **invoiced_items(lines),
        **money.zoho_fields(),
    )
    payload[QBD_KEY] = qbd_key(ctx.scope, invoice.txn_id, INVOICE)
    return Mapped(INVOICE, invoice.txn_id, invoice.edit_sequence, payload,
                  label=invoice_label(invoice))


def cancelled_invoice(zoho_id: str) -> dict[str, Any]:
    return {"id": zoho_id, "Status": INVOICE_STATUS["deleted"]}

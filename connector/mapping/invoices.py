"""QuickBooks invoices -> Zoho Invoices (Professional edition and up), beside the Deal.

Each product line becomes an ``Invoiced_Items`` row (product, quantity, list price) with its
own discount and sales tax (``lines``). Zoho computes the totals itself; what QuickBooks bills
without a product goes into the invoice's Adjustment, so Zoho's Grand_Total equals the
QuickBooks total to the cent, and an Adjustment beyond rounding is recorded as a warning. The
Status is the org's own (``values``), set like a Deal's stage: on creation and when QuickBooks
moves the invoice on.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from connector.mapping.currency import CENT, conversion
from connector.mapping.deals import DealContext, contact_field, invoice_label, invoice_state
from connector.mapping.fields import INVOICE_FIELDS, clip, map_fields
from connector.mapping.keys import INVOICE, qbd_key
from connector.mapping.lines import invoice_rows
from connector.mapping.payload import Mapped, Note
from connector.mapping.values import OrgValues, QbState
from connector.qbxml.models import Invoice
from connector.zoho.fields import QBD_KEY
from connector.zoho.invoices import invoiced_items

__all__ = ["ADJUSTMENT_NOTE", "STATUS", "map_invoice", "cancelled_invoice"]

STATUS = "Status"
ADJUSTMENT_NOTE = ("Adjustment: lines QuickBooks bills without a product (description lines, "
                   "sales-tax items, discounts of subtotals) and rounding")
_SUBJECT = next(r for r in INVOICE_FIELDS if r.zoho == "Subject")


def _adjustment_note(adjustment: Decimal, total: Decimal) -> Note | None:
    if abs(adjustment) <= CENT:
        return None  # rounding: not worth anyone's attention
    return Note("ADJUSTMENT", f"the Zoho invoice needs an Adjustment of {adjustment:,.2f} to "
                f"reach the QuickBooks total {total:,.2f}: QuickBooks bills it on lines with no "
                "Zoho product (description lines, sales-tax items, discounts of subtotals)")


def map_invoice(invoice: Invoice, ctx: DealContext, deal_id: str,
                products: Mapping[str, str]) -> Mapped | None:
    """The Zoho Invoice, or None when no line names a product (Zoho needs at least one)."""
    money = conversion(invoice, ctx.org)
    rows = invoice_rows(invoice, products, money)
    if not rows.lines:
        return None
    total = money.amount(invoice.total)
    adjustment = total - rows.net - rows.tax
    state = invoice_state(invoice)
    payload: dict[str, Any] = map_fields(invoice, INVOICE_FIELDS)
    payload.update(
        Subject=clip(invoice_label(invoice), _SUBJECT.max_length),
        Account_Name={"id": ctx.account_id},
        **contact_field(ctx),
        Deal_Name={"id": deal_id},
        Tax=rows.tax,
        Discount=Decimal(0),
        Adjustment=adjustment,
        Description="\n".join(p for p in (ADJUSTMENT_NOTE, money.note(invoice.total)) if p),
        **invoiced_items(rows.lines),
        **money.zoho_fields(),
    )
    status = ctx.values.value(INVOICE.zoho_module, STATUS, state)
    if status is not None:
        payload[STATUS] = status
    payload[QBD_KEY] = qbd_key(ctx.scope, invoice.txn_id, INVOICE)
    note = _adjustment_note(adjustment, total)
    return Mapped(INVOICE, invoice.txn_id, invoice.edit_sequence, payload,
                  label=invoice_label(invoice), states={STATUS: state.value},
                  notes=(note,) if note else ())


def cancelled_invoice(zoho_id: str, values: OrgValues) -> dict[str, Any] | None:
    """The update for an invoice deleted in QuickBooks (None: no status of the org means
    cancelled, and the Zoho Invoice is left as it is)."""
    status = values.value(INVOICE.zoho_module, STATUS, QbState.DELETED)
    return {"id": zoho_id, STATUS: status} if status is not None else None

"""QuickBooks invoices -> Zoho Deals linked to the customer's Account.

The Deal's Amount is the invoice total (subtotal, discounts and tax-item lines included, plus
sales tax), exactly, in Decimal. A job's invoice links to its top-level customer's Account
and carries the job's name in the Deal name. The stage follows the invoice: paid, open, or
deleted in QuickBooks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connector.mapping.currency import OrgCurrency, conversion
from connector.mapping.fields import DEAL_FIELDS, clip, map_fields
from connector.mapping.keys import DEAL, qbd_key
from connector.mapping.payload import Mapped
from connector.qbxml.models import Invoice
from connector.zoho.fields import QBD_KEY

__all__ = ["STAGES", "DEFAULT_OPEN_STAGE", "DealContext", "invoice_state", "invoice_label",
           "deal_name", "map_deal", "closed_deal"]

DEFAULT_OPEN_STAGE = "Negotiation/Review"
# Invoice state -> Deal stage; "open" takes the configured stage (MLC_SYNC_OPEN_DEAL_STAGE).
STAGES: dict[str, str | None] = {"paid": "Closed Won", "open": None, "deleted": "Closed Lost"}
_DEAL_NAME = next(r for r in DEAL_FIELDS if r.zoho == "Deal_Name")
_DESCRIPTION = next(r for r in DEAL_FIELDS if r.zoho == "Description")


@dataclass(frozen=True)
class DealContext:
    """What mapping an invoice needs beyond the invoice: resolved Zoho ids and org facts."""

    scope: str
    account_id: str
    product_ids: tuple[str, ...] = ()
    org: OrgCurrency = field(default_factory=OrgCurrency)
    open_stage: str = DEFAULT_OPEN_STAGE


def invoice_state(invoice: Invoice) -> str:
    return "paid" if invoice.is_paid else "open"


def invoice_label(invoice: Invoice) -> str:
    return f"Invoice {invoice.ref_number or invoice.txn_number or invoice.txn_id}"


def deal_name(invoice: Invoice) -> str:
    """"Invoice 1042 · Müller GmbH · Kitchen remodel": the reference first, so clipping a long
    job path never loses it."""
    customer = (invoice.customer.full_name or "").replace(":", " · ")
    name = f"{invoice_label(invoice)} · {customer}" if customer else invoice_label(invoice)
    return clip(name, _DEAL_NAME.max_length) or invoice_label(invoice)


def _description(invoice: Invoice, note: str | None) -> str | None:
    parts = [f"QuickBooks {invoice_label(invoice).lower()}"
             + (f", PO {invoice.po_number}" if invoice.po_number else ""),
             invoice.memo, note]
    return clip("\n".join(p for p in parts if p), _DESCRIPTION.max_length)


def map_deal(invoice: Invoice, ctx: DealContext) -> Mapped:
    money = conversion(invoice, ctx.org)
    payload: dict[str, Any] = map_fields(invoice, DEAL_FIELDS)
    payload.update(
        Deal_Name=deal_name(invoice),
        Amount=money.amount(invoice.total),
        Stage=STAGES[invoice_state(invoice)] or ctx.open_stage,
        Account_Name={"id": ctx.account_id},
        Description=_description(invoice, money.note(invoice.total)),
        **money.zoho_fields(),
    )
    payload[QBD_KEY] = qbd_key(ctx.scope, invoice.txn_id, DEAL)
    return Mapped(DEAL, invoice.txn_id, invoice.edit_sequence, payload,
                  related=tuple(sorted(set(ctx.product_ids))), label=deal_name(invoice))


def closed_deal(zoho_id: str) -> dict[str, Any]:
    """The update for an invoice deleted in QuickBooks."""
    return {"id": zoho_id, "Stage": STAGES["deleted"]}

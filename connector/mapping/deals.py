"""QuickBooks invoices -> Zoho Deals linked to the customer's Account.

The Deal's Amount is the invoice total (subtotal, discounts and tax-item lines included, plus
sales tax), exactly, in Decimal. A job's invoice links to its top-level customer's Account
and carries the job's name in the Deal name. The stage is the org's own (``values``): set
when the Deal is created and when QuickBooks moves the invoice on (paid, voided, deleted);
in between it is the salesperson's (``Mapped.states``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connector.mapping.currency import OrgCurrency, conversion
from connector.mapping.fields import DEAL_FIELDS, clip, map_fields
from connector.mapping.keys import DEAL, qbd_key
from connector.mapping.payload import Mapped
from connector.mapping.values import NO_VALUES, OrgValues, QbState
from connector.qbxml.models import Invoice
from connector.zoho.fields import QBD_KEY

__all__ = ["RELATED_PRODUCTS", "PRODUCT_DEALS", "DealContext", "contact_field", "invoice_state",
           "invoice_label", "deal_name", "map_deal", "closed_deal", "VOID_MEMO"]

STAGE = "Stage"
# The Deal's related list of the Products its invoice bills.
RELATED_PRODUCTS = "Products"
# The same relation seen from a Product. Zoho documents the relation ("Products - to -
# Potentials") but not this list's API name; "Deals" follows the module's name, a choice
# (UNCONFIRMED): where an org names it otherwise, relating falls back to the Deals' side.
PRODUCT_DEALS = "Deals"
# qbXML has no void flag on InvoiceRet: QuickBooks zeroes a voided invoice and starts its
# memo with "VOID:" (its own marker; reading it so is a choice, UNCONFIRMED for SDK voids).
VOID_MEMO = "VOID:"
_DEAL_NAME = next(r for r in DEAL_FIELDS if r.zoho == "Deal_Name")
_DESCRIPTION = next(r for r in DEAL_FIELDS if r.zoho == "Description")


@dataclass(frozen=True)
class DealContext:
    """What mapping an invoice needs beyond the invoice: resolved Zoho ids and org facts."""

    scope: str
    account_id: str
    product_ids: tuple[str, ...] = ()
    org: OrgCurrency = field(default_factory=OrgCurrency)
    values: OrgValues = NO_VALUES
    # The primary Contact of the customer's Account (None: the customer names no person,
    # and a Contact a salesperson chose is left alone).
    contact_id: str | None = None


def invoice_state(invoice: Invoice) -> QbState:
    if (invoice.memo or "").lstrip().upper().startswith(VOID_MEMO) and not invoice.total:
        return QbState.VOIDED
    return QbState.PAID if invoice.is_paid else QbState.OPEN


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


def contact_field(ctx: DealContext) -> dict[str, Any]:
    """``Contact_Name`` for a Deal or Zoho Invoice, when the customer has a primary Contact."""
    return {"Contact_Name": {"id": ctx.contact_id}} if ctx.contact_id else {}


def map_deal(invoice: Invoice, ctx: DealContext) -> Mapped:
    money = conversion(invoice, ctx.org)
    state = invoice_state(invoice)
    payload: dict[str, Any] = map_fields(invoice, DEAL_FIELDS)
    payload.update(
        Deal_Name=deal_name(invoice),
        Amount=money.amount(invoice.total),
        Account_Name={"id": ctx.account_id},
        **contact_field(ctx),
        Description=_description(invoice, money.note(invoice.total)),
        **money.zoho_fields(),
    )
    stage = ctx.values.value(DEAL.zoho_module, STAGE, state)
    if stage is not None:
        payload[STAGE] = stage
    payload[QBD_KEY] = qbd_key(ctx.scope, invoice.txn_id, DEAL)
    return Mapped(DEAL, invoice.txn_id, invoice.edit_sequence, payload,
                  related=tuple(sorted(set(ctx.product_ids))), related_list=RELATED_PRODUCTS,
                  label=deal_name(invoice),
                  states={STAGE: state.value})


def closed_deal(zoho_id: str, values: OrgValues) -> dict[str, Any] | None:
    """The update for an invoice deleted in QuickBooks: the org's lost stage (None: the org
    has no stage that means lost, and the Deal is left as it is)."""
    stage = values.value(DEAL.zoho_module, STAGE, QbState.DELETED)
    return {"id": zoho_id, STAGE: stage} if stage is not None else None

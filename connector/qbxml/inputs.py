"""What we ask QuickBooks to write: the input of a CustomerMod, the lines of an InvoiceMod.

``None`` always means "leave as it is" (the element is omitted); an empty string clears a
text field.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from connector.qbxml.models import Address, Ref

__all__ = ["CustomerInput", "InvoiceLineChange"]


class _Input(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CustomerInput(_Input):
    """Fields of a CustomerMod we write."""

    name: str | None = None
    is_active: bool | None = None
    parent: Ref | None = None
    company_name: str | None = None
    salutation: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    job_title: str | None = None
    bill_address: Address | None = None
    ship_address: Address | None = None
    phone: str | None = None
    alt_phone: str | None = None
    fax: str | None = None
    email: str | None = None
    cc: str | None = None
    contact: str | None = None
    alt_contact: str | None = None
    customer_type: Ref | None = None
    terms: Ref | None = None
    account_number: str | None = None
    notes: str | None = None
    currency: Ref | None = None


class InvoiceLineChange(_Input):
    """One InvoiceLineMod: an existing line by its TxnLineID (only the fields set change), or
    a new one (TxnLineID ``-1``, with its item)."""

    txn_line_id: str
    item: Ref | None = None
    desc: str | None = None
    quantity: Decimal | None = None
    rate: Decimal | None = None

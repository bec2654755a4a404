"""What we ask QuickBooks to write: inputs for CustomerAdd/CustomerMod and InvoiceMod.

``None`` always means "leave as it is" (the element is omitted); an empty string clears a
text field. Amounts must be ``Decimal`` (or int): a float is refused, never converted.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator

from connector.qbxml.models import Address, Invoice, Ref

__all__ = ["NEW_LINE_ID", "Number", "CustomerInput", "InvoiceLineInput", "KeepLineGroup",
           "InvoiceInput", "keep_existing_lines"]

NEW_LINE_ID = "-1"  # the TxnLineID that tells InvoiceMod to add a line


def _refuse_float(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError("amounts and quantities must be Decimal (or int/str), never float")
    return value


Number = Annotated[Decimal, BeforeValidator(_refuse_float)]


class _Input(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CustomerInput(_Input):
    """Fields of CustomerAdd / CustomerMod we write. ``name`` is required to add."""

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


class InvoiceLineInput(_Input):
    """One InvoiceLineMod: an existing line by TxnLineID (only given fields change) or, with
    the default TxnLineID "-1", a new line."""

    txn_line_id: str = NEW_LINE_ID
    item: Ref | None = None
    desc: str | None = None
    quantity: Number | None = None
    rate: Number | None = None
    rate_percent: Number | None = None
    amount: Number | None = None
    service_date: date | None = None
    sales_tax_code: Ref | None = None

    @model_validator(mode="after")
    def _one_rate(self) -> InvoiceLineInput:
        if self.rate is not None and self.rate_percent is not None:
            raise ValueError("a line has a Rate or a RatePercent, not both")
        return self

    @classmethod
    def keep(cls, txn_line_id: str) -> InvoiceLineInput:
        """An existing line kept exactly as it is."""
        return cls(txn_line_id=txn_line_id)


class KeepLineGroup(_Input):
    """An existing InvoiceLineGroup kept as it is (InvoiceLineGroupMod with its TxnLineID)."""

    txn_line_id: str


class InvoiceInput(_Input):
    """InvoiceMod header fields, and optionally the complete new list of lines.

    QuickBooks deletes every existing line an InvoiceMod with lines does not name, so
    ``lines`` must list all lines to keep (``keep_existing_lines``) plus new ones; ``None``
    leaves the lines alone.
    """

    customer: Ref | None = None
    txn_date: date | None = None
    ref_number: str | None = None
    bill_address: Address | None = None
    ship_address: Address | None = None
    is_pending: bool | None = None
    po_number: str | None = None
    terms: Ref | None = None
    due_date: date | None = None
    ship_date: date | None = None
    memo: str | None = None
    other: str | None = None
    exchange_rate: Number | None = None
    lines: list[InvoiceLineInput | KeepLineGroup] | None = None


def keep_existing_lines(invoice: Invoice) -> list[InvoiceLineInput | KeepLineGroup]:
    """Keep-entries for every line and line group of ``invoice``, in document order."""
    kept: list[InvoiceLineInput | KeepLineGroup] = []
    seen_groups: set[str] = set()
    for line in invoice.lines:
        if line.group_line_id is None:
            kept.append(InvoiceLineInput.keep(line.txn_line_id))
        elif line.group_line_id not in seen_groups:
            seen_groups.add(line.group_line_id)
            kept.append(KeepLineGroup(txn_line_id=line.group_line_id))
    # A group without lines has no position of its own; it stays, at the end.
    kept.extend(KeepLineGroup(txn_line_id=g.txn_line_id)
                for g in invoice.groups if g.txn_line_id not in seen_groups)
    return kept

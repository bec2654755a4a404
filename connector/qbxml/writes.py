"""Builders for the requests that change QuickBooks: CustomerAdd, CustomerMod, InvoiceMod and
TxnVoid.

The field table below follows the XSD sequence of the aggregate; the builder writes only the
fields that are set, so a Mod changes exactly what the caller asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from lxml import etree

from connector.qbxml.document import FieldSpec, QbxmlRequest, RequestBuilder
from connector.qbxml.inputs import CustomerInput, InvoiceLineChange

__all__ = ["NEW_LINE", "customer_add", "customer_mod", "invoice_mod", "txn_void"]

# The TxnLineID that asks an InvoiceMod to add a line.
NEW_LINE = "-1"

# CustomerMod order (after ListID and EditSequence), as CustomerAdd has it too.
_CUSTOMER_FIELDS: tuple[FieldSpec, ...] = (
    ("Name", "name", "text"),
    ("IsActive", "is_active", "bool"),
    ("ParentRef", "parent", "ref"),
    ("CompanyName", "company_name", "text"),
    ("Salutation", "salutation", "text"),
    ("FirstName", "first_name", "text"),
    ("MiddleName", "middle_name", "text"),
    ("LastName", "last_name", "text"),
    ("JobTitle", "job_title", "text"),
    ("BillAddress", "bill_address", "address"),
    ("ShipAddress", "ship_address", "address"),
    ("Phone", "phone", "text"),
    ("AltPhone", "alt_phone", "text"),
    ("Fax", "fax", "text"),
    ("Email", "email", "text"),
    ("Cc", "cc", "text"),
    ("Contact", "contact", "text"),
    ("AltContact", "alt_contact", "text"),
    ("CustomerTypeRef", "customer_type", "ref"),
    ("TermsRef", "terms", "ref"),
    ("AccountNumber", "account_number", "text"),
    ("Notes", "notes", "text"),
    ("CurrencyRef", "currency", "ref"),
)


def _need(value: str, what: str) -> str:
    if not value:
        raise ValueError(f"{what} must not be empty")
    return value


def customer_mod(request_id: str, list_id: str, edit_sequence: str,
                 changes: CustomerInput) -> QbxmlRequest:
    """CustomerModRq changing the fields set in ``changes`` (``is_active=False`` is how a
    customer closed in Zoho becomes inactive in QuickBooks)."""
    builder = RequestBuilder()
    rq = builder.request("CustomerModRq", request_id)
    mod = etree.SubElement(rq, "CustomerMod")
    builder.add_raw(mod, "ListID", _need(list_id, "CustomerMod: ListID"))
    builder.add_raw(mod, "EditSequence", _need(edit_sequence, "CustomerMod: EditSequence"))
    builder.add_fields(mod, changes, _CUSTOMER_FIELDS)
    return builder.finish()


def _decimal(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _line_mod(builder: RequestBuilder, parent: etree._Element, line: InvoiceLineChange) -> None:
    # TxnLineCorePriceLevel's order: ItemRef, Desc, Quantity, (UnitOfMeasure,) Rate.
    element = etree.SubElement(parent, "InvoiceLineMod")
    builder.add_raw(element, "TxnLineID", _need(line.txn_line_id, "InvoiceLineMod: TxnLineID"))
    builder.add_ref(element, "ItemRef", line.item)
    builder.add_text(element, "Desc", line.desc)
    if line.quantity is not None:
        builder.add_raw(element, "Quantity", _decimal(line.quantity))
    if line.rate is not None:
        builder.add_raw(element, "Rate", _decimal(line.rate))


def invoice_mod(request_id: str, txn_id: str, edit_sequence: str,
                lines: Sequence[InvoiceLineChange]) -> QbxmlRequest:
    """InvoiceModRq whose line list is ``lines``: QuickBooks deletes every line an InvoiceMod
    leaves out, so each line to keep is named by its TxnLineID (with nothing else, it stays as
    it is), and ``NEW_LINE`` adds one."""
    if not lines:
        raise ValueError("InvoiceMod: an invoice keeps at least one line")
    builder = RequestBuilder()
    rq = builder.request("InvoiceModRq", request_id)
    mod = etree.SubElement(rq, "InvoiceMod")
    builder.add_raw(mod, "TxnID", _need(txn_id, "InvoiceMod: TxnID"))
    builder.add_raw(mod, "EditSequence", _need(edit_sequence, "InvoiceMod: EditSequence"))
    for line in lines:
        _line_mod(builder, mod, line)
    return builder.finish()


def customer_add(request_id: str, customer: CustomerInput) -> QbxmlRequest:
    """CustomerAddRq for a new customer with the fields set in ``customer`` (its ``name``,
    unique among QuickBooks' names, is required: a taken one is refused with 3100)."""
    if not customer.name or not customer.name.strip():
        raise ValueError("CustomerAdd: Name must not be empty")
    builder = RequestBuilder()
    rq = builder.request("CustomerAddRq", request_id)
    builder.add_fields(etree.SubElement(rq, "CustomerAdd"), customer, _CUSTOMER_FIELDS)
    return builder.finish()


def txn_void(request_id: str, txn_id: str, *, txn_type: str = "Invoice") -> QbxmlRequest:
    """TxnVoidRq: the transaction's amounts become zero, and it stays on the books."""
    builder = RequestBuilder()
    rq = builder.request("TxnVoidRq", request_id)
    builder.add_raw(rq, "TxnVoidType", txn_type)
    builder.add_raw(rq, "TxnID", _need(txn_id, "TxnVoid: TxnID"))
    return builder.finish()

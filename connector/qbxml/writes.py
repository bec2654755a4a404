"""Builders for the requests that change QuickBooks: CustomerAdd, CustomerMod, InvoiceMod and
TxnVoid.

The field tables below follow the XSD sequence of each aggregate; the builder writes only the
fields that are set, so a Mod changes exactly what the caller asked for.
"""

from __future__ import annotations

from lxml import etree

from connector.qbxml.document import FieldSpec, QbxmlRequest, RequestBuilder
from connector.qbxml.inputs import CustomerInput, InvoiceInput, KeepLineGroup

__all__ = ["customer_add", "customer_mod", "invoice_mod", "txn_void"]

# CustomerAdd and CustomerMod share this order (Mod puts ListID/EditSequence first).
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

_INVOICE_FIELDS: tuple[FieldSpec, ...] = (
    ("CustomerRef", "customer", "ref"),
    ("TxnDate", "txn_date", "date"),
    ("RefNumber", "ref_number", "text"),
    ("BillAddress", "bill_address", "address"),
    ("ShipAddress", "ship_address", "address"),
    ("IsPending", "is_pending", "bool"),
    ("PONumber", "po_number", "text"),
    ("TermsRef", "terms", "ref"),
    ("DueDate", "due_date", "date"),
    ("ShipDate", "ship_date", "date"),
    ("Memo", "memo", "text"),
    ("Other", "other", "text"),
    ("ExchangeRate", "exchange_rate", "decimal"),
)

_LINE_FIELDS: tuple[FieldSpec, ...] = (
    ("TxnLineID", "txn_line_id", "text"),
    ("ItemRef", "item", "ref"),
    ("Desc", "desc", "text"),
    ("Quantity", "quantity", "decimal"),
    ("Rate", "rate", "decimal"),
    ("RatePercent", "rate_percent", "decimal"),
    ("Amount", "amount", "amount"),
    ("ServiceDate", "service_date", "date"),
    ("SalesTaxCodeRef", "sales_tax_code", "ref"),
)


def _need(value: str, what: str) -> str:
    if not value:
        raise ValueError(f"{what} must not be empty")
    return value


def customer_add(request_id: str, customer: CustomerInput) -> QbxmlRequest:
    """CustomerAddRq for a new customer (or a job, when ``customer.parent`` is set)."""
    if not customer.name:
        raise ValueError("CustomerAdd: a new customer needs a name")
    builder = RequestBuilder()
    rq = builder.request("CustomerAddRq", request_id)
    builder.add_fields(etree.SubElement(rq, "CustomerAdd"), customer, _CUSTOMER_FIELDS)
    return builder.finish()


def customer_mod(request_id: str, list_id: str, edit_sequence: str, changes: CustomerInput,
                 *, is_active: bool | None = None) -> QbxmlRequest:
    """CustomerModRq changing the fields set in ``changes``; ``is_active`` overrides theirs
    (``is_active=False`` is how a customer closed in Zoho becomes inactive in QuickBooks)."""
    if is_active is not None:
        changes = changes.model_copy(update={"is_active": is_active})
    builder = RequestBuilder()
    rq = builder.request("CustomerModRq", request_id)
    mod = etree.SubElement(rq, "CustomerMod")
    builder.add_raw(mod, "ListID", _need(list_id, "CustomerMod: ListID"))
    builder.add_raw(mod, "EditSequence", _need(edit_sequence, "CustomerMod: EditSequence"))
    builder.add_fields(mod, changes, _CUSTOMER_FIELDS)
    return builder.finish()


def invoice_mod(request_id: str, txn_id: str, edit_sequence: str,
                changes: InvoiceInput) -> QbxmlRequest:
    """InvoiceModRq changing the header fields set in ``changes`` and, when ``changes.lines``
    is given, replacing the lines: listed TxnLineIDs are kept (or changed), "-1" adds."""
    builder = RequestBuilder()
    rq = builder.request("InvoiceModRq", request_id)
    mod = etree.SubElement(rq, "InvoiceMod")
    builder.add_raw(mod, "TxnID", _need(txn_id, "InvoiceMod: TxnID"))
    builder.add_raw(mod, "EditSequence", _need(edit_sequence, "InvoiceMod: EditSequence"))
    builder.add_fields(mod, changes, _INVOICE_FIELDS)
    for line in changes.lines or ():
        if isinstance(line, KeepLineGroup):
            group = etree.SubElement(mod, "InvoiceLineGroupMod")
            builder.add_raw(group, "TxnLineID", _need(line.txn_line_id, "line group TxnLineID"))
        else:
            _need(line.txn_line_id, "InvoiceLineMod: TxnLineID")
            builder.add_fields(etree.SubElement(mod, "InvoiceLineMod"), line, _LINE_FIELDS)
    return builder.finish()


def txn_void(request_id: str, txn_id: str, *, txn_type: str = "Invoice") -> QbxmlRequest:
    """TxnVoidRq: the transaction's amounts become zero, and it stays on the books."""
    builder = RequestBuilder()
    rq = builder.request("TxnVoidRq", request_id)
    builder.add_raw(rq, "TxnVoidType", txn_type)
    builder.add_raw(rq, "TxnID", _need(txn_id, "TxnVoid: TxnID"))
    return builder.finish()

"""Builders for every qbXML request the connector sends.

Each returns the complete document as a ``QbxmlRequest`` (a ``str`` with ``.warnings``):
the XML declaration, ``<?qbxml version="13.0"?>`` and one QBXMLMsgsRq with
``onError="continueOnError"``, built as an element tree in XSD order and validated against
the qbXML 13.0 schema before it is returned. The requestID ties the response to its queue row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from lxml import etree

from connector.qbxml.document import QbxmlRequest, RequestBuilder, finish_document
from connector.qbxml.models import ITEM_TYPES
from connector.qbxml.writes import customer_add, customer_mod, invoice_mod, txn_void
from connector.xmlsafe import UnsafeXmlError, parse_xml

__all__ = [
    "DELETED_LIST_TYPES",
    "customer_query",
    "item_query",
    "invoice_query",
    "receive_payment_query",
    "key_scan_query",
    "KEY_SCANS",
    "list_deleted_query",
    "txn_deleted_query",
    "host_company_query",
    "customer_query_by_id",
    "invoice_query_by_id",
    "invoice_query_by_ids",
    "TXN_DELETED_TYPES",
    "continue_iterator",
    "customer_add",
    "customer_mod",
    "invoice_mod",
    "txn_void",
]

# Customers and every item kind ItemQuery returns: a deleted item of any kind must reach Zoho.
DELETED_LIST_TYPES: tuple[str, ...] = ("Customer", *(f"Item{kind}" for kind in ITEM_TYPES))
# Invoices, and the payments applied to them: a deleted payment makes its invoices unpaid.
TXN_DELETED_TYPES: tuple[str, ...] = ("Invoice", "ReceivePayment")
# OwnerID 0 asks QuickBooks to include the public custom fields (DataExtRet) in each record.
_CUSTOM_FIELDS_OWNER = "0"


def _start(builder: RequestBuilder, name: str, request_id: str, max_returned: int,
           iterator: bool) -> etree._Element:
    if max_returned < 1:
        raise ValueError(f"{name}: MaxReturned must be at least 1, got {max_returned}")
    rq = builder.request(name, request_id, iterator="Start" if iterator else None)
    builder.add_int(rq, "MaxReturned", max_returned)
    return rq


def _list_query(name: str, request_id: str, from_modified: datetime | None,
                max_returned: int, iterator: bool, custom_fields: bool) -> QbxmlRequest:
    builder = RequestBuilder()
    rq = _start(builder, name, request_id, max_returned, iterator)
    # Inactive customers and items still sync (as inactive), so ask for all of them.
    builder.add_raw(rq, "ActiveStatus", "All")
    builder.add_datetime(rq, "FromModifiedDate", from_modified)
    if custom_fields:
        builder.add_raw(rq, "OwnerID", _CUSTOM_FIELDS_OWNER)
    return builder.finish()


def customer_query(request_id: str, *, from_modified: datetime | None = None,
                   max_returned: int = 500, iterator: bool = True,
                   custom_fields: bool = False) -> QbxmlRequest:
    """CustomerQueryRq for all customers (and jobs) modified since ``from_modified``."""
    return _list_query("CustomerQueryRq", request_id, from_modified, max_returned, iterator,
                       custom_fields)


def item_query(request_id: str, *, from_modified: datetime | None = None,
               max_returned: int = 500, iterator: bool = True,
               custom_fields: bool = False) -> QbxmlRequest:
    """ItemQueryRq: every item kind, active or not, modified since ``from_modified``."""
    return _list_query("ItemQueryRq", request_id, from_modified, max_returned, iterator,
                       custom_fields)


def _txn_query(builder: RequestBuilder, name: str, request_id: str,
               from_modified: datetime | None, max_returned: int,
               iterator: bool) -> etree._Element:
    rq = _start(builder, name, request_id, max_returned, iterator)
    if from_modified is not None:
        date_filter = etree.SubElement(rq, "ModifiedDateRangeFilter")
        builder.add_datetime(date_filter, "FromModifiedDate", from_modified)
    return rq


def invoice_query(request_id: str, *, from_modified: datetime | None = None,
                  max_returned: int = 100, iterator: bool = True,
                  include_line_items: bool = True, custom_fields: bool = False) -> QbxmlRequest:
    """InvoiceQueryRq filtered on modification time, with line items by default."""
    builder = RequestBuilder()
    rq = _txn_query(builder, "InvoiceQueryRq", request_id, from_modified, max_returned,
                    iterator)
    builder.add_bool(rq, "IncludeLineItems", include_line_items)
    if custom_fields:
        builder.add_raw(rq, "OwnerID", _CUSTOM_FIELDS_OWNER)
    return builder.finish()


def receive_payment_query(request_id: str, *, from_modified: datetime | None = None,
                          max_returned: int = 100, iterator: bool = True) -> QbxmlRequest:
    """ReceivePaymentQueryRq for payments modified since ``from_modified``, with the
    transactions each is applied to (IncludeLineItems: the AppliedToTxnRet)."""
    builder = RequestBuilder()
    rq = _txn_query(builder, "ReceivePaymentQueryRq", request_id, from_modified, max_returned,
                    iterator)
    builder.add_bool(rq, "IncludeLineItems", True)
    return builder.finish()


# Entity -> (query, the id element): what a key-only scan of the live records asks for.
KEY_SCANS: dict[str, tuple[str, str]] = {
    "Customer": ("CustomerQueryRq", "ListID"),
    "Item": ("ItemQueryRq", "ListID"),
    "Invoice": ("InvoiceQueryRq", "TxnID"),
}


def key_scan_query(request_id: str, entity: str, *, max_returned: int = 1000) -> QbxmlRequest:
    """Every live ``entity`` record (customers and items active or not), ids only
    (IncludeRetElement): what is missing from it was deleted, whatever ListDeletedQuery
    and TxnDeletedQuery still remember."""
    if entity not in KEY_SCANS:
        raise ValueError(f"no key scan is defined for {entity!r}; one of {sorted(KEY_SCANS)}")
    name, id_tag = KEY_SCANS[entity]
    builder = RequestBuilder()
    rq = _start(builder, name, request_id, max_returned, True)
    if entity != "Invoice":
        builder.add_raw(rq, "ActiveStatus", "All")
    builder.add_raw(rq, "IncludeRetElement", id_tag)
    return builder.finish()


def _deleted_query(name: str, type_tag: str, request_id: str, types: Sequence[str],
                   from_deleted: datetime | None) -> QbxmlRequest:
    if isinstance(types, str) or not types:
        raise ValueError(f"{name}: give a non-empty sequence of {type_tag} values")
    builder = RequestBuilder()
    rq = builder.request(name, request_id)
    for kind in types:
        builder.add_raw(rq, type_tag, kind)
    if from_deleted is not None:
        date_filter = etree.SubElement(rq, "DeletedDateRangeFilter")
        builder.add_datetime(date_filter, "FromDeletedDate", from_deleted)
    return builder.finish()


def list_deleted_query(request_id: str, *, types: Sequence[str] = DELETED_LIST_TYPES,
                       from_deleted: datetime | None = None) -> QbxmlRequest:
    """ListDeletedQueryRq for customers and items deleted since ``from_deleted``."""
    return _deleted_query("ListDeletedQueryRq", "ListDelType", request_id, types, from_deleted)


def txn_deleted_query(request_id: str, *, types: Sequence[str] = ("Invoice",),
                      from_deleted: datetime | None = None) -> QbxmlRequest:
    """TxnDeletedQueryRq for transactions (invoices) deleted since ``from_deleted``."""
    return _deleted_query("TxnDeletedQueryRq", "TxnDelType", request_id, types, from_deleted)


def host_company_query(request_id: str) -> QbxmlRequest:
    """HostQueryRq and CompanyQueryRq in one message: which QuickBooks and file are open."""
    builder = RequestBuilder()
    builder.request("HostQueryRq", request_id)
    builder.request("CompanyQueryRq", request_id)
    return builder.finish()


def customer_query_by_id(request_id: str, list_id: str) -> QbxmlRequest:
    """CustomerQueryRq for the one customer with ``list_id``, e.g. to re-read it afresh after
    QuickBooks refused a Mod for a stale EditSequence (3200)."""
    if not list_id:
        raise ValueError("CustomerQuery: ListID must not be empty")
    builder = RequestBuilder()
    rq = builder.request("CustomerQueryRq", request_id)
    builder.add_raw(rq, "ListID", list_id)
    return builder.finish()


def invoice_query_by_id(request_id: str, txn_id: str, *,
                        include_line_items: bool = True) -> QbxmlRequest:
    """InvoiceQueryRq for the one invoice with ``txn_id``, with its lines by default."""
    if not txn_id:
        raise ValueError("InvoiceQuery: TxnID must not be empty")
    return invoice_query_by_ids(request_id, [txn_id], include_line_items=include_line_items)


def invoice_query_by_ids(request_id: str, txn_ids: Sequence[str], *,
                         include_line_items: bool = True) -> QbxmlRequest:
    """InvoiceQueryRq for the invoices with ``txn_ids`` (e.g. those a payment was applied
    to, read afresh for their BalanceRemaining and IsPaid), with their lines by default."""
    if isinstance(txn_ids, str) or not txn_ids or not all(txn_ids):
        raise ValueError("InvoiceQuery: give a non-empty sequence of non-empty TxnIDs")
    builder = RequestBuilder()
    rq = builder.request("InvoiceQueryRq", request_id)
    for txn_id in txn_ids:
        builder.add_raw(rq, "TxnID", txn_id)
    builder.add_bool(rq, "IncludeLineItems", include_line_items)
    return builder.finish()


def continue_iterator(request_xml: str, *, iterator_id: str, request_id: str) -> QbxmlRequest:
    """The same iterator query with ``iterator="Continue"``, its iteratorID and a new
    requestID; every child (MaxReturned, filters) is kept as it was."""
    if not iterator_id:
        raise ValueError("continue_iterator: iteratorID must not be empty")
    if not request_id:
        raise ValueError("continue_iterator: requestID must not be empty")
    try:
        root = parse_xml(request_xml)
    except UnsafeXmlError as exc:
        raise ValueError(f"continue_iterator: cannot read the original request: {exc}") from exc
    queries = root.findall("QBXMLMsgsRq/*")
    if root.tag != "QBXML" or len(queries) != 1 or queries[0].get("iterator") is None:
        raise ValueError("continue_iterator: the original request must hold exactly one "
                         "iterator query (iterator=\"Start\" or \"Continue\")")
    query = queries[0]
    query.set("requestID", request_id)
    query.set("iterator", "Continue")
    query.set("iteratorID", iterator_id)
    return finish_document(root, ())

"""qbXML for QuickBooks Desktop: typed records, request builders, streaming parsers, statuses.

Builders return complete, schema-validated request documents; parsers read responses
tolerantly and safely; ``status`` sorts QuickBooks' status codes into what they mean for us.
"""

from connector.qbxml.builders import (
    DELETED_LIST_TYPES,
    KEY_SCANS,
    TXN_DELETED_TYPES,
    continue_iterator,
    customer_add,
    customer_mod,
    customer_query,
    customer_query_by_id,
    host_company_query,
    invoice_mod,
    invoice_query,
    invoice_query_by_id,
    invoice_query_by_ids,
    item_query,
    key_scan_query,
    list_deleted_query,
    receive_payment_query,
    txn_deleted_query,
    txn_void,
)
from connector.qbxml.document import QBXML_VERSION, QbxmlRequest
from connector.qbxml.inputs import CustomerInput, InvoiceLineChange
from connector.qbxml.models import (
    ITEM_TYPES,
    Address,
    CompanyInfo,
    Customer,
    DataExt,
    DeletedListRecord,
    DeletedTxnRecord,
    HostInfo,
    Invoice,
    InvoiceLine,
    InvoiceLineGroup,
    Item,
    Payment,
    Ref,
)
from connector.qbxml.parse import (
    QbxmlParseError,
    Record,
    ResponseStream,
    iter_records,
    read_statuses,
)
from connector.qbxml.status import STATUS_CODES, ResponseStatus, StatusKind, classify
from connector.qbxml.text import FIELD_LIMITS, TextWarning

__all__ = [
    # builders
    "DELETED_LIST_TYPES", "QBXML_VERSION", "QbxmlRequest", "customer_query", "item_query",
    "invoice_query", "list_deleted_query", "txn_deleted_query", "host_company_query",
    "customer_query_by_id", "invoice_query_by_id", "invoice_query_by_ids",
    "receive_payment_query", "TXN_DELETED_TYPES", "key_scan_query", "KEY_SCANS",
    "continue_iterator", "customer_add", "customer_mod", "invoice_mod", "txn_void",
    # inputs
    "CustomerInput", "InvoiceLineChange",
    # records
    "ITEM_TYPES", "Address", "CompanyInfo", "Customer", "DataExt", "DeletedListRecord",
    "DeletedTxnRecord", "HostInfo", "Invoice", "InvoiceLine", "InvoiceLineGroup", "Item",
    "Payment", "Ref", "Record",
    # parsing and status
    "QbxmlParseError", "ResponseStream", "iter_records", "read_statuses", "ResponseStatus",
    "STATUS_CODES", "StatusKind", "classify",
    # text rules
    "FIELD_LIMITS", "TextWarning",
]

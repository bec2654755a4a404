"""A QuickBooks Desktop simulator: a company file that answers qbXML as QuickBooks does.

``QuickBooksSimulator.handle(request_xml) -> response_xml`` is the request processor the Web
Connector talks to; ``qb.company`` is the company file itself (the bookkeeper's helpers);
``qb.faults`` arms locks, partial answers, slowness, oversize answers and unopenable files;
``seed_company`` fills a company with realistic, deterministic data.
"""

from connector.sandbox.qbd.company import Company
from connector.sandbox.qbd.faults import Faults
from connector.sandbox.qbd.records import Deleted, Invoice, InvoiceLine, ListRecord
from connector.sandbox.qbd.seed import seed_company
from connector.sandbox.qbd.simulator import DEFAULT_COMPANY_FILE, QuickBooksSimulator
from connector.sandbox.qbd.status import (
    PARSE_ERROR_HRESULT,
    PARSE_ERROR_MESSAGE,
    CompanyFileUnavailable,
    QbStatus,
    QbxmlRequestRejected,
    QuickBooksHResultError,
)

__all__ = [
    "QuickBooksSimulator", "seed_company", "Company", "Faults", "ListRecord", "Invoice",
    "InvoiceLine", "Deleted", "QbStatus", "QuickBooksHResultError", "QbxmlRequestRejected",
    "CompanyFileUnavailable", "PARSE_ERROR_HRESULT", "PARSE_ERROR_MESSAGE",
    "DEFAULT_COMPANY_FILE",
]

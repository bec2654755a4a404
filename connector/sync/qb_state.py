"""What QuickBooks last told us about a record, read from the stored responses.

Every delta read, every Mod answer and every re-query is kept as it arrived, so the newest
response that mentions a ListID holds the newest version we know: its EditSequence is the one
a Mod must carry, and its values show what QuickBooks changed since the last sync.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from connector.qbxml.models import Customer
from connector.qbxml.parse import QbxmlParseError, ResponseStream
from connector.store import RawResponse

__all__ = ["latest_customer", "customer_in_response"]

# Newest responses mentioning the id that are searched; a customer read long ago is fine.
_SEARCH_DEPTH = 20


def customer_in_response(body: str, list_id: str) -> Customer | None:
    """The CustomerRet for ``list_id`` in one stored response (the last, if repeated)."""
    found: Customer | None = None
    try:
        for record in ResponseStream(body, strict=False):
            if isinstance(record, Customer) and record.list_id == list_id:
                found = record
    except QbxmlParseError:
        return None
    return found


def latest_customer(s: Session, company_id: int, list_id: str) -> Customer | None:
    """The newest version of customer ``list_id`` in the company's stored responses."""
    rows = s.exec(
        select(RawResponse.body)
        .where(RawResponse.company_id == company_id)
        .where(RawResponse.entity == "Customer")
        .where(col(RawResponse.body).contains(f"<ListID>{list_id}</ListID>", autoescape=True))
        .order_by(col(RawResponse.id).desc())
        .limit(_SEARCH_DEPTH)
    ).all()
    versions = [c for body in rows if (c := customer_in_response(body, list_id)) is not None]
    if not versions:
        return None
    return max(versions, key=lambda c: (c.time_modified, int(c.edit_sequence)
                                        if c.edit_sequence.isdigit() else 0))

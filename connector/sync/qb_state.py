"""What QuickBooks last told us about a record, read from the stored responses.

Every delta read, every Mod answer and every re-query is kept as it arrived, so the newest
response that mentions a ListID holds the newest version we know: its EditSequence is the one
a Mod must carry, and its values show what QuickBooks changed since the last sync.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_
from sqlmodel import Session, col, select

from connector.qbxml.models import Customer
from connector.qbxml.parse import QbxmlParseError, ResponseStream
from connector.store import RawResponse

__all__ = ["latest_customers", "customer_in_response"]

# ListIDs looked up per query (one LIKE each), and responses read per query at most: the
# newest responses that mention them are enough, a customer read long ago is fine.
_IDS_PER_QUERY = 50
_RESPONSES_PER_QUERY = 200


def customer_in_response(body: str, list_id: str) -> Customer | None:
    """The CustomerRet for ``list_id`` in one stored response (the last, if repeated)."""
    return _customers(body, {list_id}).get(list_id)


def _customers(body: str, wanted: set[str]) -> dict[str, Customer]:
    found: dict[str, Customer] = {}
    try:
        for record in ResponseStream(body, strict=False):
            if isinstance(record, Customer) and record.list_id in wanted:
                found[record.list_id] = record
    except QbxmlParseError:
        return {}
    return found


def _newer(a: Customer | None, b: Customer) -> bool:
    def order(c: Customer) -> tuple[object, int]:
        return c.time_modified, int(c.edit_sequence) if c.edit_sequence.isdigit() else 0
    return a is None or order(b) > order(a)


def _mentioning(s: Session, company_id: int, list_ids: set[str]) -> list[int]:
    return [rid for rid in s.exec(
        select(RawResponse.id)
        .where(RawResponse.company_id == company_id)
        .where(RawResponse.entity == "Customer")
        .where(or_(*(col(RawResponse.body).contains(f"<ListID>{i}</ListID>", autoescape=True)
                     for i in list_ids)))
        .order_by(col(RawResponse.id).desc())
        .limit(_RESPONSES_PER_QUERY)
    ).all() if rid is not None]


def latest_customers(s: Session, company_id: int, list_ids: Iterable[str]) -> dict[str, Customer]:
    """The newest known version of each customer, from the company's stored responses; a
    customer never read (or only in a response long gone) is simply absent."""
    wanted = sorted(set(list_ids))
    responses: set[int] = set()
    for start in range(0, len(wanted), _IDS_PER_QUERY):
        responses.update(_mentioning(s, company_id, set(wanted[start:start + _IDS_PER_QUERY])))
    latest: dict[str, Customer] = {}
    # Each stored response is read once, however many of the customers it holds.
    for response_id in sorted(responses):
        body = s.exec(select(RawResponse.body).where(RawResponse.id == response_id)).one()
        for list_id, customer in _customers(body, set(wanted)).items():
            if _newer(latest.get(list_id), customer):
                latest[list_id] = customer
    return latest

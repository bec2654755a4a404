"""What QuickBooks last told us about a record, read from the stored responses.

Every delta read, every Mod answer and every re-query is kept as it arrived, so the newest
response that mentions a ListID holds the newest version we know: its EditSequence is the one
a Mod must carry, and its values show what QuickBooks changed since the last sync.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import or_
from sqlmodel import Session, col, select

from connector.qbxml.models import Customer, Invoice, Item
from connector.qbxml.parse import QbxmlParseError, ResponseStream
from connector.store import RawResponse

__all__ = ["latest_customers", "latest_invoices", "latest_items", "customer_in_response",
           "invoice_in_response"]

_R = TypeVar("_R", Customer, Invoice, Item)

# ListIDs looked up per query (one LIKE each), and responses read per query at most: the
# newest responses that mention them are enough, a customer read long ago is fine.
_IDS_PER_QUERY = 50
_RESPONSES_PER_QUERY = 200


def customer_in_response(body: str, list_id: str) -> Customer | None:
    """The CustomerRet for ``list_id`` in one stored response (the last, if repeated)."""
    return _customers(body, {list_id}).get(list_id)


def invoice_in_response(body: str, txn_id: str) -> Invoice | None:
    """The InvoiceRet for ``txn_id`` in one stored response (the last, if repeated)."""
    return _records(body, {txn_id}, Invoice).get(txn_id)


def _key(record: Customer | Invoice | Item) -> str:
    return record.txn_id if isinstance(record, Invoice) else record.list_id


def _records(body: str, wanted: set[str], model: type[_R]) -> dict[str, _R]:
    found: dict[str, _R] = {}
    try:
        for record in ResponseStream(body, strict=False):
            if isinstance(record, model) and _key(record) in wanted:
                found[_key(record)] = record
    except QbxmlParseError:
        return {}
    return found


def _customers(body: str, wanted: set[str]) -> dict[str, Customer]:
    return _records(body, wanted, Customer)


def _newer(a: _R | None, b: _R) -> bool:
    def order(c: _R) -> tuple[object, int]:
        return c.time_modified, int(c.edit_sequence) if c.edit_sequence.isdigit() else 0
    return a is None or order(b) > order(a)


def _mentioning(s: Session, company_id: int, entity: str, tag: str, ids: set[str]) -> list[int]:
    return [rid for rid in s.exec(
        select(RawResponse.id)
        .where(RawResponse.company_id == company_id)
        .where(RawResponse.entity == entity)
        .where(or_(*(col(RawResponse.body).contains(f"<{tag}>{i}</{tag}>", autoescape=True)
                     for i in ids)))
        .order_by(col(RawResponse.id).desc())
        .limit(_RESPONSES_PER_QUERY)
    ).all() if rid is not None]


def _latest(s: Session, company_id: int, ids: Iterable[str], model: type[_R], entity: str,
            tag: str, observed: dict[str, datetime] | None = None) -> dict[str, _R]:
    wanted = sorted(set(ids))
    responses: set[int] = set()
    for start in range(0, len(wanted), _IDS_PER_QUERY):
        responses.update(_mentioning(s, company_id, entity, tag,
                                     set(wanted[start:start + _IDS_PER_QUERY])))
    latest: dict[str, _R] = {}
    # Each stored response is read once, however many of the records it holds.
    for response_id in sorted(responses):
        body, received_at = s.exec(select(RawResponse.body, RawResponse.received_at)
                                   .where(RawResponse.id == response_id)).one()
        for record_id, record in _records(body, set(wanted), model).items():
            if _newer(latest.get(record_id), record):
                latest[record_id] = record
                if observed is not None:
                    observed[record_id] = received_at
    return latest


def latest_customers(s: Session, company_id: int, list_ids: Iterable[str],
                     observed: dict[str, datetime] | None = None) -> dict[str, Customer]:
    """The newest known version of each customer, from the company's stored responses; a
    customer never read (or only in a response long gone) is simply absent. ``observed``
    (when given) learns when the response holding each version reached us."""
    return _latest(s, company_id, list_ids, Customer, "Customer", "ListID", observed)


def latest_invoices(s: Session, company_id: int, txn_ids: Iterable[str]) -> dict[str, Invoice]:
    """The newest known version of each invoice (as ``latest_customers``)."""
    return _latest(s, company_id, txn_ids, Invoice, "Invoice", "TxnID")


def latest_items(s: Session, company_id: int, list_ids: Iterable[str]) -> dict[str, Item]:
    """The newest known version of each item (as ``latest_customers``)."""
    return _latest(s, company_id, list_ids, Item, "Item", "ListID")

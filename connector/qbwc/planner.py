"""What a QBWC session asks QuickBooks for, decided at ``authenticate``.

Order: the company-file check, pending Zoho->QBD writes, then one delta read per entity from
its watermark minus the overlap (QuickBooks stamps local time with unreliable DST, so windows
overlap and the sync's dedupe absorbs the repeat). No watermark means a full, paged read.
Payments and deleted payments bring re-reads of their invoices (``connector.qbwc.payments``);
deleted lists that may have lapsed bring key scans (``connector.qbwc.retention``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from connector.config import Settings
from connector.qbwc.clock_offset import offset_of
from connector.qbwc.queue import Band, Request, enqueue_all
from connector.qbwc.retention import plan_key_scans
from connector.qbwc.watermarks import watermarks
from connector.qbxml import builders
from connector.store import Company, RequestKind
from connector.store.rows import require_id

__all__ = ["ReadSpec", "READ_PLAN", "CHECK_ENTITY", "plan_session", "reader"]

CHECK_ENTITY = "Check"


@dataclass(frozen=True)
class ReadSpec:
    entity: str
    build: Callable[[str, datetime | None, Settings], str]


READ_PLAN: tuple[ReadSpec, ...] = (
    ReadSpec(
        "Customer",
        lambda rid, since, st: builders.customer_query(
            rid, from_modified=since, max_returned=st.max_returned_customers
        ),
    ),
    ReadSpec(
        "Item",
        lambda rid, since, st: builders.item_query(
            rid, from_modified=since, max_returned=st.max_returned_items
        ),
    ),
    ReadSpec(
        "Invoice",
        lambda rid, since, st: builders.invoice_query(
            rid, from_modified=since, max_returned=st.max_returned_invoices
        ),
    ),
    # Payments after invoices: the invoices they apply to are read again by TxnID
    # (connector.qbwc.payments), whether or not the payment moved their TimeModified.
    ReadSpec(
        "ReceivePayment",
        lambda rid, since, st: builders.receive_payment_query(
            rid, from_modified=since, max_returned=st.max_returned_invoices
        ),
    ),
    ReadSpec(
        "ListDeleted", lambda rid, since, st: builders.list_deleted_query(rid, from_deleted=since)
    ),
    ReadSpec(
        "TxnDeleted",
        lambda rid, since, st: builders.txn_deleted_query(
            rid, types=builders.TXN_DELETED_TYPES, from_deleted=since
        ),
    ),
)


def plan_session(s: Session, company: Company, session_id: int, settings: Settings,
                 now: datetime) -> int:
    """Queue this session's check and reads; returns how many requests were queued."""
    company_id = require_id(company)
    marks = watermarks(s, company_id)
    # A QuickBooks clock measured behind ours stamps changes earlier than they happened: the
    # window reaches back that much further (never less far: a wrong measure costs a repeat).
    behind = min(offset_of(company), timedelta(0))

    def since(entity: str) -> datetime | None:
        mark = marks.get(entity)
        return mark - settings.overlap + behind if mark else None

    check = Request(kind=RequestKind.CHECK, entity=CHECK_ENTITY, seq=Band.CHECK,
                    session_id=session_id, build=builders.host_company_query)
    reads = [Request(kind=RequestKind.QUERY, entity=spec.entity, seq=Band.QUERY + position,
                     session_id=session_id, watermark_key=spec.entity, watermark_to=now,
                     build=reader(spec, since(spec.entity), settings))
             for position, spec in enumerate(READ_PLAN)]
    enqueue_all(s, company_id, [check, *reads])
    scans = plan_key_scans(s, company_id, session_id, marks, settings, now)
    return 1 + len(READ_PLAN) + scans


def reader(spec: ReadSpec, since: datetime | None, settings: Settings) -> Callable[[str], str]:
    """``spec``'s request reading changes since ``since``, built once its requestID is known."""
    return lambda request_id: spec.build(request_id, since, settings)

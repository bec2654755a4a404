"""What the bridge does with QuickBooks' answers to Zoho -> QuickBooks writes.

A Mod that QuickBooks accepted moves the record's ``RecordLink.edit_sequence`` to the one in
its answer — but only when the link was at the EditSequence the Mod was built on, i.e. when
QuickBooks held nothing newer that still has to reach Zoho. The delta read that follows in
the same session then sees the record as already synced: our own echo, not a change.

A Mod refused for a stale EditSequence (3200) queues a re-read of that one record, so the
next ``zoho_to_qb`` run can re-apply the change on the fresh EditSequence. The re-read is a
``refresh`` request: not a delta read (those die with their session), handed out first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from connector.qbwc.clock_offset import measure
from connector.qbwc.queue import Band, enqueue
from connector.qbxml.builders import customer_query_by_id, invoice_query_by_id
from connector.qbxml.document import QbxmlRequest
from connector.qbxml.parse import QbxmlParseError, ResponseStream
from connector.store import QueuedRequest, RequestKind
from connector.sync.links import move_edit_sequence
from connector.xmlsafe import UnsafeXmlError, parse_xml

__all__ = ["refresh_request", "queue_refresh", "acknowledge_write"]

log = logging.getLogger(__name__)

# Entity of a write -> the query that reads its one record back.
_REFRESH: dict[str, Callable[[str, str], QbxmlRequest]] = {
    "Customer": customer_query_by_id,
    "Invoice": invoice_query_by_id,
}


def refresh_request(entity: str, request_id: str, record_ref: str) -> QbxmlRequest:
    """The query that reads one Customer (by ListID) or Invoice (by TxnID) afresh."""
    build = _REFRESH.get(entity)
    if build is None:
        raise ValueError(f"no re-query is defined for {entity} writes")
    if not record_ref:
        raise ValueError("a re-query needs the record's ListID/TxnID")
    return build(request_id, record_ref)


def queue_refresh(s: Session, row: QueuedRequest) -> QueuedRequest | None:
    """After a 3200: queue a re-read of the record ``row`` tried to change."""
    if row.entity not in _REFRESH or not row.record_ref:
        log.warning("company %s: request %s was refused as stale but names no record to "
                    "re-read", row.company_id, row.id)
        return None
    ref, entity = row.record_ref, row.entity
    return enqueue(s, row.company_id, kind=RequestKind.REFRESH, entity=entity, seq=Band.WRITE,
                   record_ref=ref, build=lambda rid: refresh_request(entity, rid, ref))


def _sent_edit_sequence(qbxml: str) -> str | None:
    """The EditSequence a Mod was built on, when the record's links move with its answer."""
    try:
        root = parse_xml(qbxml)
    except UnsafeXmlError:
        return None
    if root.find("QBXMLMsgsRq/InvoiceModRq") is not None:
        # QuickBooks works out an amended invoice's totals itself and Zoho does not hold them
        # yet: the links stay, so the sync writes the answered version to the Deal.
        return None
    found = root.findtext("QBXMLMsgsRq/*/*/EditSequence")
    return found or None


def _answered(response: str, record_ref: str) -> tuple[str | None, datetime | None]:
    """The written record's new EditSequence and TimeModified in QuickBooks' answer."""
    try:
        for record in ResponseStream(response, strict=False):
            ident = getattr(record, "list_id", None) or getattr(record, "txn_id", None)
            sequence = getattr(record, "edit_sequence", None)
            if ident == record_ref and isinstance(sequence, str):
                return sequence, getattr(record, "time_modified", None)
    except QbxmlParseError:
        return None, None
    return None, None


def acknowledge_write(s: Session, row: QueuedRequest, response: str,
                      now: datetime | None = None) -> int:
    """Move the links of the written record on to its new EditSequence (returns how many),
    and measure QuickBooks' clock on the stamp it gave our write."""
    if not row.record_ref:
        return 0
    sent = _sent_edit_sequence(row.qbxml)
    answered, stamp = _answered(response, row.record_ref)
    if stamp is not None and now is not None:
        measure(s, row.company_id, stamp, row.sent_at, now)
    if sent is None or answered is None or sent == answered:
        return 0
    return move_edit_sequence(s, row.company_id, row.record_ref, sent, answered)

"""Key scans against the links: what QuickBooks no longer has was deleted.

When QuickBooks' deleted lists may have lapsed (``connector.qbwc.retention``), a session reads
the ids of every live customer, item and invoice. Once such a scan is answered in full, every
linked record it lacks is closed in Zoho exactly as a listed deletion would be (the Account
inactive, the Deal lost, ...) through the deletions stage, and the audit says why. A scan cut
short (its session died) is dropped: the next session scans again.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import col, select

from connector.mapping.keys import ACCOUNT, CONTACT, DEAL, INVOICE, JOB, PRODUCT, LinkKind
from connector.qbwc.retention import SCAN_ENTITIES, SCAN_PREFIX
from connector.qbxml.builders import KEY_SCANS
from connector.qbxml.models import DeletedListRecord, DeletedTxnRecord
from connector.store import Database, QueuedRequest, RawResponse, RecordLink, RequestState
from connector.store.types import utcnow
from connector.sync.batch import Batch, Entry
from connector.sync.context import SyncContext
from connector.sync.deletions import sync_deletions
from connector.xmlsafe import UnsafeXmlError, parse_xml

__all__ = ["Scan", "finished_scans", "reconcile"]

log = logging.getLogger(__name__)

# Scanned entity -> the link types it vouches for, and the kinds a deletion closes.
_LINKED: dict[str, tuple[LinkKind, ...]] = {
    "Customer": (ACCOUNT, JOB), "Item": (PRODUCT,), "Invoice": (DEAL,)}
_CLOSED: dict[str, tuple[LinkKind, ...]] = {
    "Customer": (ACCOUNT, JOB, CONTACT), "Item": (PRODUCT,), "Invoice": (DEAL, INVOICE)}
_OPEN = (RequestState.PENDING, RequestState.SENT)


@dataclass
class Scan:
    """One key scan: its stored pages, whether all were answered, and the ids it found."""

    entity: str
    responses: list[int] = field(default_factory=list)
    complete: bool = True
    unreadable: bool = False  # a page that could not be read: the scan proves nothing
    running: bool = False
    live: set[str] = field(default_factory=set)
    received_at: datetime = field(default_factory=utcnow)


def _ids(body: str, tag: str) -> set[str] | None:
    """The ids on one scan page; None when the page cannot be read (then the scan proves
    nothing missing: an empty set would close every record the page should have listed)."""
    try:
        root = parse_xml(body)
    except UnsafeXmlError:
        return None
    return {e.text for e in root.iter(tag) if e.text}


def finished_scans(db: Database, company_id: int) -> list[Scan]:
    """The unprocessed key scans of the company whose reads are over (complete or not)."""
    scans: dict[int, Scan] = {}
    with db.session() as s:
        rows = s.exec(select(RawResponse, QueuedRequest)
                      .join(QueuedRequest, col(QueuedRequest.id) == col(RawResponse.request_id))
                      .where(RawResponse.company_id == company_id)
                      .where(col(RawResponse.entity).in_(SCAN_ENTITIES))
                      .where(col(RawResponse.processed_at).is_(None))
                      .order_by(col(RawResponse.id))).all()
        for response, request in rows:
            root = request.root_id or request.id or 0
            entity = response.entity.removeprefix(SCAN_PREFIX)
            scan = scans.setdefault(root, Scan(entity))
            scan.responses.append(response.id or 0)
            found = _ids(response.body, KEY_SCANS[entity][1])
            if found is None:
                scan.unreadable = True
            else:
                scan.live |= found
            scan.received_at = response.received_at
        pages: dict[int, list[QueuedRequest]] = defaultdict(list)
        for page in s.exec(select(QueuedRequest)
                           .where(col(QueuedRequest.root_id).in_(list(scans)))).all():
            pages[page.root_id or 0].append(page)
    for root, scan in scans.items():
        states = {p.state for p in pages[root]}
        scan.running = bool(states & set(_OPEN))
        scan.complete = states == {RequestState.ANSWERED} and not scan.unreadable
    return [scan for scan in scans.values() if not scan.running]


def _vanished(db: Database, company_id: int, scan: Scan) -> list[str]:
    types = [kind.qb_type for kind in _LINKED[scan.entity]]
    with db.session() as s:
        linked = s.exec(select(RecordLink.qb_id).where(RecordLink.company_id == company_id)
                        .where(col(RecordLink.qb_type).in_(types))
                        .where(col(RecordLink.deleted).is_(False))).all()
    return sorted(set(linked) - scan.live)


def _batch(scan: Scan, gone: list[str]) -> Batch:
    batch = Batch()
    moment = scan.received_at
    response_id = scan.responses[0]
    for qb_id in gone:
        if scan.entity == "Invoice":
            batch.deleted_txns[qb_id] = Entry(DeletedTxnRecord(
                txn_del_type="Invoice", txn_id=qb_id, time_created=moment,
                time_deleted=moment), response_id)
        else:
            batch.deleted_lists[qb_id] = Entry(DeletedListRecord(
                list_del_type=scan.entity, list_id=qb_id, time_created=moment,
                time_deleted=moment), response_id)
    return batch


def reconcile(ctx: SyncContext, scan: Scan) -> int:
    """Close in Zoho what a complete ``scan`` no longer finds; returns how many records."""
    if not scan.complete:
        log.info("company %s: a %s key scan was cut short; the next session scans again",
                 ctx.company, scan.entity)
        return 0
    gone = _vanished(ctx.db, ctx.company_id, scan)
    if gone:
        ctx.links.load(_CLOSED[scan.entity], gone)
        sync_deletions(ctx, _batch(scan, gone))
        ctx.links.flush()
    # Said either way: the run shows the window had lapsed and what the scan found.
    found = (f"{len(gone)} linked record(s) are no longer in QuickBooks and were closed in "
             f"Zoho as deleted (first: {gone[0]})" if gone else "nothing was lost")
    ctx.journal.recorder.count("warnings")
    ctx.journal.recorder.event(
        "warning", qb_type=scan.entity, error_code="DELETED_LIST_LAPSED",
        error_message=(f"QuickBooks' deleted list may have lapsed; a scan of {len(scan.live)} "
                       f"live {scan.entity} ids: {found}"))
    return len(gone)

"""Stored QuickBooks responses, read a chunk at a time and folded into one batch per chunk.

Delta windows overlap (QuickBooks stamps local time with unreliable DST), so a record often
arrives twice: the batch keeps only its latest version, and a deletion in the same chunk
replaces the record itself.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import col, select

from connector.qbwc.payments import APPLIED_INVOICE_ENTITY
from connector.qbwc.retention import SCAN_ENTITIES
from connector.qbxml.models import Customer, DeletedListRecord, DeletedTxnRecord, Invoice, Item
from connector.qbxml.parse import QbxmlParseError, Repaired, ResponseStream
from connector.store import Database, RawResponse, ResponseSync
from connector.store.rows import require_id

__all__ = ["Entry", "Batch", "Chunk", "Resync", "read_chunks"]

log = logging.getLogger(__name__)
R = TypeVar("R")
# The records that carry a TimeModified and replace older versions of themselves.
Versioned = TypeVar("Versioned", Customer, Item, Invoice)


@dataclass(frozen=True)
class Entry(Generic[R]):
    """A record and the stored response it came from (which is done when its records are)."""

    record: R
    response_id: int
    force: bool = False
    # Read again because a payment touched it: its EditSequence may not have moved, so only
    # its content says whether Zoho is behind (``force`` would also rewrite equal content).
    recheck: bool = False


def _newer(old: Entry[Versioned] | None, new: Entry[Versioned]) -> bool:
    if old is None:
        return True
    return (new.record.time_modified, new.response_id) >= (old.record.time_modified,
                                                           old.response_id)


@dataclass
class Batch:
    customers: dict[str, Entry[Customer]] = field(default_factory=dict)
    items: dict[str, Entry[Item]] = field(default_factory=dict)
    invoices: dict[str, Entry[Invoice]] = field(default_factory=dict)
    deleted_lists: dict[str, Entry[DeletedListRecord]] = field(default_factory=dict)
    deleted_txns: dict[str, Entry[DeletedTxnRecord]] = field(default_factory=dict)
    read: int = 0

    def add(self, record: object, response_id: int, force: bool, recheck: bool = False) -> None:
        self.read += 1
        if isinstance(record, Customer):
            self._keep(self.customers, record.list_id, Entry(record, response_id, force))
        elif isinstance(record, Item):
            self._keep(self.items, record.list_id, Entry(record, response_id, force))
        elif isinstance(record, Invoice):
            self._keep(self.invoices, record.txn_id,
                       Entry(record, response_id, force, recheck))
        elif isinstance(record, DeletedListRecord):
            self.deleted_lists[record.list_id] = Entry(record, response_id, force)
        elif isinstance(record, DeletedTxnRecord):
            self.deleted_txns[record.txn_id] = Entry(record, response_id, force)
        else:
            self.read -= 1  # host and company info, payments: nothing of their own to sync

    @staticmethod
    def _keep(into: dict[str, Entry[Versioned]], key: str, entry: Entry[Versioned]) -> None:
        old = into.get(key)
        if _newer(old, entry):
            # A re-read stays a re-read when the same version comes again in the chunk.
            if old is not None and old.recheck and not entry.recheck \
                    and old.record.time_modified == entry.record.time_modified:
                entry = Entry(entry.record, entry.response_id, entry.force, True)
            into[key] = entry

    def settle_deletions(self) -> None:
        """A record deleted in the same chunk is synced as deleted, not as it last was."""
        for list_id in self.deleted_lists:
            self.customers.pop(list_id, None)
            self.items.pop(list_id, None)
        for txn_id in self.deleted_txns:
            self.invoices.pop(txn_id, None)


@dataclass
class Chunk:
    responses: list[int]
    attempts: dict[int, int]
    batch: Batch
    # Responses (or records) nobody can read: recorded once, never retried.
    rejected: list[tuple[int, QbxmlParseError]] = field(default_factory=list)
    # Records read after characters XML cannot carry were removed from their free text.
    repaired: list[tuple[int, Repaired]] = field(default_factory=list)


@dataclass(frozen=True)
class Resync:
    """Stored responses a backfill would reopen (received in [since, until], of these
    entities), read as if reopened and forced: what a backfill plan reads."""

    entities: tuple[str, ...]
    since: datetime | None = None
    until: datetime | None = None

    def covers(self, row: RawResponse) -> bool:
        return (row.entity in self.entities
                and (self.since is None or row.received_at >= self.since)
                and (self.until is None or row.received_at <= self.until))


def _load(db: Database, company_id: int, after: int, size: int, resync: Resync | None
          ) -> list[tuple[RawResponse, ResponseSync | None]]:
    waiting: ColumnElement[bool] = col(RawResponse.processed_at).is_(None)
    if resync is not None:
        reopened: ColumnElement[bool] = col(RawResponse.entity).in_(resync.entities)
        if resync.since is not None:
            reopened = and_(reopened, col(RawResponse.received_at) >= resync.since)
        if resync.until is not None:
            reopened = and_(reopened, col(RawResponse.received_at) <= resync.until)
        waiting = or_(waiting, reopened)
    with db.session() as s:
        query = (select(RawResponse, ResponseSync)
                 .join(ResponseSync, col(ResponseSync.response_id) == col(RawResponse.id),
                       isouter=True)
                 .where(RawResponse.company_id == company_id)
                 .where(waiting)
                 # Key scans hold ids, not records: connector.sync.reconcile reads them.
                 .where(col(RawResponse.entity).not_in(SCAN_ENTITIES))
                 .where(col(RawResponse.id) > after)
                 .order_by(col(RawResponse.id)).limit(size))
        return list(s.exec(query).all())


def _parse(row: RawResponse, response_id: int, force: bool, chunk: Chunk) -> None:
    if row.hresult or not row.body.strip():
        return  # QuickBooks refused the request: there is nothing in it to sync
    stream = ResponseStream(row.body, strict=False)
    recheck = row.entity == APPLIED_INVOICE_ENTITY
    try:
        for record in stream:
            chunk.batch.add(record, response_id, force, recheck)
    except QbxmlParseError as exc:
        chunk.rejected.append((response_id, exc))
    chunk.rejected.extend((response_id, exc) for exc in stream.rejected)
    chunk.repaired.extend((response_id, fixed) for fixed in stream.repaired)


def read_chunks(db: Database, company_id: int, *, size: int, resync: Resync | None = None,
                max_records: int | None = None) -> Iterator[Chunk]:
    """Unprocessed responses of one company in id order, parsed (and, with ``resync``, those
    a backfill would reopen, forced): ``size`` per chunk, fewer once a chunk holds
    ``max_records`` records (the rest start the next chunk)."""
    after = 0
    while True:
        rows = _load(db, company_id, after, size, resync)
        if not rows:
            return
        chunk = Chunk(responses=[], attempts={}, batch=Batch())
        for row, state in rows:
            response_id = require_id(row)
            chunk.responses.append(response_id)
            chunk.attempts[response_id] = state.attempts if state else 0
            forced = resync is not None and resync.covers(row)
            _parse(row, response_id, forced or bool(state and state.force), chunk)
            if max_records is not None and chunk.batch.read >= max_records:
                break
        rows.clear()  # parsed: the bodies need not live while the chunk is synced
        chunk.batch.settle_deletions()
        after = chunk.responses[-1]
        log.debug("company #%s: read %d responses up to #%d, %d records", company_id,
                  len(chunk.responses), after, chunk.batch.read)
        yield chunk

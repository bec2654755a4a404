"""``zoho_to_qb``: stored Zoho notifications -> CustomerMods (and opted-in voids) for QuickBooks.

One run: settle the write-backs QuickBooks answered since the last run, then read the stored
notifications in batches — resolve each record to its company and QuickBooks id through the
links (or its ``QBD_Key``), fetch only the mapped fields, decide field by field
(``zoho_changes``), and queue one CustomerMod per customer for the next Web Connector session.
Every run is one audit unit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from connector.audit import AuditRecorder
from connector.config import Settings
from connector.mapping.values import lost_stages
from connector.notify.inbox import release_key
from connector.store import Company, Database, ZohoChannel, ZohoConnection, ZohoNotification
from connector.store.rows import require_id, require_row
from connector.store.types import utcnow
from connector.sync.born_customers import apply_create_decisions, settle_customer_adds
from connector.sync.records import Work, handle_batch
from connector.sync.settle import settle_write_backs
from connector.zoho.client import ZohoClient
from connector.zoho.org_state import org_meta

__all__ = ["apply_notifications"]

# The connection a company without one of its own syncs to (``runs.company_connection``).
DEFAULT_CONNECTION = "default"
# Notifications per batch: a few Zoho reads of 100 ids each, one database transaction.
_BATCH = 200


@dataclass
class _Batch:
    notes: list[ZohoNotification]
    work: dict[tuple[str, str], Work] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for note in self.notes:
            note_id = require_id(note)
            for record_id in note.ids:
                item = self.work.setdefault((note.module, record_id), Work(note.module, record_id))
                item.notes.add(note_id)
                # The last operation wins: an edit after a delete cannot happen, the reverse can.
                item.deleted = note.operation == "delete"
                if note.source != "callback" or record_id not in note.affected_fields:
                    item.any_field = True
                else:
                    item.affected |= set(note.affected_fields[record_id])


def _next_batch(db: Database, after: int, connection_id: int | None) -> _Batch:
    query = (select(ZohoNotification).where(col(ZohoNotification.processed_at).is_(None))
             .where(col(ZohoNotification.id) > after))
    if connection_id is not None:
        # Only the records this connection's client can read: its own channels' callbacks.
        query = query.where(col(ZohoNotification.channel_id).in_(
            select(ZohoChannel.channel_id).where(ZohoChannel.connection_id == connection_id)))
    with db.session() as s:
        notes = s.exec(query.order_by(col(ZohoNotification.id)).limit(_BATCH)).all()
    return _Batch(list(notes))


def _served(db: Database, companies: dict[int, Company], company_id: int | None,
            connection_id: int | None) -> list[int]:
    """The companies whose Zoho records this run's client reads: the one asked for, else
    those of its connection (a company without one of its own uses the default)."""
    if company_id is not None:
        return [company_id]
    if connection_id is None:
        return list(companies)
    with db.session() as s:
        connection = s.get(ZohoConnection, connection_id)
    default = connection is not None and connection.name == DEFAULT_CONNECTION
    return [cid for cid, c in companies.items() if c.zoho_connection_id == connection_id
            or (c.zoho_connection_id is None and default)]


def _mark_processed(s: Session, batch: _Batch, now: datetime) -> None:
    left = {n for item in batch.work.values() if not item.done for n in item.notes}
    for note in batch.notes:
        if note.id not in left:
            row = require_row(s, ZohoNotification, note.id)
            row.processed_at = now
            release_key(row)


def apply_notifications(db: Database, client: ZohoClient, settings: Settings,
                        audit: AuditRecorder, *, company_id: int | None = None,
                        connection_id: int | None = None,
                        clock: Callable[[], datetime] = utcnow) -> None:
    """Apply the Zoho edits waiting in the notifications (of one company, if given; of the
    channels of one connection, if given); raises what stops the run (a ``RetriableError``
    is worth retrying)."""
    with db.session() as s:
        settle_write_backs(s, audit, company_id=company_id,
                           max_attempts=settings.sync_back_max_attempts, now=clock())
        settle_customer_adds(s, audit, company_id=company_id, now=clock())
        companies = {c.id: c for c in s.exec(select(Company)).all() if c.id is not None}
    apply_create_decisions(db, client, audit, _served(db, companies, company_id, connection_id),
                           clock())
    cursor = 0
    lost: frozenset[str] | None = None
    while (batch := _next_batch(db, cursor, connection_id)).notes:
        cursor = batch.notes[-1].id or cursor
        if lost is None:
            # Which stages mean lost is the org's choice: read from its metadata, once a run.
            meta = (org_meta(db, client, connection_id, now=clock(),
                             max_age=settings.metadata_max_age)
                    if connection_id is not None else client.org_meta(("Deals",)))
            lost = lost_stages(meta)
        handle_batch(db, client, audit, list(batch.work.values()), companies,
                     only_company=company_id, now=clock(), lost_stages=lost)
        with db.session() as s:
            _mark_processed(s, batch, clock())

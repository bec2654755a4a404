"""Backfill: a first load or a re-sync of a date range, in two independent halves.

``queue_reads`` leaves full (or since-a-date) QuickBooks reads as standing orders, bound to no
session, which the next Web Connector session picks up (they survive the stale-read cleanup
at login; only reads a session took die with it). ``mark_for_resync`` reopens stored
responses received in a date range and marks them forced, so the next sync sends their
records again even where the links say Zoho has them — never an older version over a newer
one. Both are resumable: queued reads and reopened responses stay until they are done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select

from connector.config import Settings
from connector.qbwc.planner import READ_PLAN, reader
from connector.qbwc.queue import Band, enqueue
from connector.store import (
    Company,
    Database,
    QueuedRequest,
    RawResponse,
    RequestKind,
    RequestState,
)
from connector.store.rows import require_id

__all__ = ["BACKFILL_SEQ", "BackfillStatus", "queue_reads", "backfill_status"]

# After the session's own delta reads: a backfill never delays the regular cycle.
BACKFILL_SEQ = Band.QUERY + 50


def _standing(company_id: int) -> object:
    return (select(QueuedRequest).where(QueuedRequest.company_id == company_id)
            .where(QueuedRequest.kind == RequestKind.QUERY)
            .where(col(QueuedRequest.session_id).is_(None))
            .where(QueuedRequest.state == RequestState.PENDING))


def queue_reads(db: Database, company: Company, settings: Settings, *,
                since: datetime | None = None) -> int:
    """Queue one read per entity (modified since ``since``, else everything) for the next
    session; an entity that already has one waiting is left alone. Returns how many."""
    company_id = require_id(company)
    with db.session() as s:
        waiting = {r.entity for r in s.exec(_standing(company_id)).all()}  # type: ignore[call-overload]
        queued = 0
        for position, spec in enumerate(READ_PLAN):
            if spec.entity in waiting:
                continue
            enqueue(s, company_id, kind=RequestKind.QUERY, entity=spec.entity,
                    seq=BACKFILL_SEQ + position, session_id=None,
                    build=reader(spec, since, settings))
            queued += 1
    return queued


@dataclass(frozen=True)
class BackfillStatus:
    reads_waiting: int  # standing reads no session has taken yet
    responses_waiting: int  # stored responses the sync has not processed yet


def backfill_status(db: Database, company_id: int) -> BackfillStatus:
    with db.session() as s:
        reads = s.exec(select(func.count()).select_from(
            _standing(company_id).subquery())).one()  # type: ignore[attr-defined]
        responses = s.exec(select(func.count()).select_from(RawResponse)
                           .where(RawResponse.company_id == company_id)
                           .where(col(RawResponse.processed_at).is_(None))).one()
    return BackfillStatus(int(reads), int(responses))

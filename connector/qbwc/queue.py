"""The per-company request queue: ordered, each request handed out exactly once.

Hand-out is a compare-and-set on the row's state, so any number of bridge processes sharing
one database can serve the same company without sending a request twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import IntEnum

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from connector.store import QueuedRequest, RequestKind, RequestState
from connector.store.rows import require_id

__all__ = ["Band", "READ_KINDS", "enqueue", "claim_next", "outstanding", "session_progress"]


# Everything but writes: reads die (or, standing, go back to the queue) with their session.
READ_KINDS = (RequestKind.QUERY, RequestKind.CHECK, RequestKind.REFRESH)


class Band(IntEnum):
    """Priority bands for ``seq``: the file check first, then Zoho->QBD writes, then reads."""

    CHECK = 0
    WRITE = 1
    QUERY = 10


def enqueue(
    s: Session,
    company_id: int,
    *,
    kind: RequestKind,
    entity: str,
    seq: int,
    build: Callable[[str], str],
    session_id: int | None = None,
    root_id: int | None = None,
    page: int = 1,
    pages_after: int = 0,
    watermark_key: str | None = None,
    watermark_to: datetime | None = None,
    record_ref: str | None = None,
    standing: bool | None = None,
) -> QueuedRequest:
    """Insert a request; ``build(request_id)`` makes its qbXML so responses tie back to the row.

    A read queued for no session is ``standing`` (whichever session comes next takes it, and
    one that dies gives it back); an iterator's next page passes its root's flag on.
    """
    if standing is None:
        standing = session_id is None and kind in READ_KINDS
    row = QueuedRequest(
        company_id=company_id, session_id=session_id, kind=kind, entity=entity, seq=seq,
        qbxml="", root_id=root_id, page=page, pages_after=pages_after,
        watermark_key=watermark_key, watermark_to=watermark_to, record_ref=record_ref,
        standing=standing,
    )
    s.add(row)
    s.flush()
    row_id = require_id(row)
    row.qbxml = build(str(row_id))
    if row.root_id is None:
        row.root_id = row_id
    s.flush()
    return row


def claim_next(
    s: Session, company_id: int, session_id: int, now: datetime
) -> QueuedRequest | None:
    """Atomically move the next pending request of the company to ``sent`` for this session.

    In the caller's transaction: a SOAP call that resolves its ticket, claims and counts
    commits once. The guarded update is what makes the claim atomic: a request another
    bridge process claimed first updates no row here, and the next candidate is tried."""
    for _ in range(20):
        candidate = s.exec(
            select(QueuedRequest.id)
            .where(QueuedRequest.company_id == company_id)
            .where(QueuedRequest.state == RequestState.PENDING)
            .where(
                (col(QueuedRequest.session_id).is_(None))
                | (QueuedRequest.session_id == session_id)
            )
            .order_by(col(QueuedRequest.seq), col(QueuedRequest.id))
            .limit(1)
        ).first()
        if candidate is None:
            return None
        claimed = s.exec(
            update(QueuedRequest)
            .where(col(QueuedRequest.id) == candidate)
            .where(col(QueuedRequest.state) == RequestState.PENDING)
            .values(state=RequestState.SENT, session_id=session_id, sent_at=now,
                    attempts=QueuedRequest.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:
            return s.get(QueuedRequest, candidate, populate_existing=True)
    return None


def outstanding(s: Session, session_id: int) -> QueuedRequest | None:
    """The request QBWC is answering now (QBWC is strictly one request at a time)."""
    return s.exec(
        select(QueuedRequest)
        .where(QueuedRequest.session_id == session_id)
        .where(QueuedRequest.state == RequestState.SENT)
        .order_by(col(QueuedRequest.sent_at).desc(), col(QueuedRequest.id).desc())
        .limit(1)
    ).first()


def session_progress(s: Session, company_id: int, session_id: int) -> tuple[int, int]:
    """(done, total) requests for the session, counting the iterator pages still expected."""
    done = s.exec(
        select(func.count()).select_from(QueuedRequest)
        .where(QueuedRequest.session_id == session_id)
        .where(col(QueuedRequest.state).in_([RequestState.ANSWERED, RequestState.FAILED]))
    ).one()
    pending_rows = s.exec(
        select(func.count(), func.coalesce(func.sum(QueuedRequest.pages_after), 0))
        .where(QueuedRequest.company_id == company_id)
        .where(col(QueuedRequest.state).in_([RequestState.PENDING, RequestState.SENT]))
        .where((col(QueuedRequest.session_id).is_(None)) | (QueuedRequest.session_id == session_id))
    ).one()
    pending, pages_after = int(pending_rows[0]), int(pending_rows[1])
    return int(done), int(done) + pending + pages_after

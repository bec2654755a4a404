"""The per-company request queue: ordered, each request handed out exactly once.

Hand-out is a compare-and-set on the row's state, so any number of bridge processes sharing
one database can serve the same company without sending a request twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import cast

import sqlalchemy as sa
from sqlalchemy import bindparam, func, insert, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from connector.store import QueuedRequest, RequestKind, RequestState
from connector.store.rows import require_row
from connector.store.types import utcnow

__all__ = ["Band", "READ_KINDS", "Claimed", "Request", "enqueue", "enqueue_all", "claim_next",
           "outstanding", "session_progress"]


# Everything but writes: reads die (or, standing, go back to the queue) with their session.
READ_KINDS = (RequestKind.QUERY, RequestKind.CHECK, RequestKind.REFRESH)


class Band(IntEnum):
    """Priority bands for ``seq``: the file check first, then Zoho->QBD writes, then reads."""

    CHECK = 0
    WRITE = 1
    QUERY = 10


@dataclass(frozen=True)
class Request:
    """A request to queue; ``build(request_id)`` makes its qbXML so responses tie back to the
    row.

    A read queued for no session is ``standing`` (whichever session comes next takes it, and
    one that dies gives it back); an iterator's next page passes its root's flag on.
    """

    kind: RequestKind
    entity: str
    seq: int
    build: Callable[[str], str]
    session_id: int | None = None
    root_id: int | None = None
    page: int = 1
    pages_after: int = 0
    watermark_key: str | None = None
    watermark_to: datetime | None = None
    record_ref: str | None = None
    standing: bool | None = None

    def values(self, company_id: int, now: datetime) -> dict[str, object]:
        standing = self.standing
        if standing is None:
            standing = self.session_id is None and self.kind in READ_KINDS
        return {"company_id": company_id, "session_id": self.session_id, "kind": self.kind,
                "entity": self.entity, "seq": self.seq, "state": RequestState.PENDING,
                "qbxml": "", "root_id": self.root_id, "page": self.page,
                "pages_after": self.pages_after, "watermark_key": self.watermark_key,
                "watermark_to": self.watermark_to, "record_ref": self.record_ref,
                "standing": standing, "attempts": 0, "created_at": now}


_INSERT = insert(QueuedRequest).returning(col(QueuedRequest.id), sort_by_parameter_order=True)
_FINISH = (update(QueuedRequest).where(col(QueuedRequest.id) == bindparam("request"))
           .values(qbxml=bindparam("xml"), root_id=bindparam("root")))


def enqueue_all(s: Session, company_id: int, requests: Sequence[Request]) -> list[int]:
    """Insert ``requests`` in two statements whatever their number; returns their ids.

    A session's plan queues a dozen at each authenticate: one ORM insert and update each was
    most of what a login cost."""
    if not requests:
        return []
    # What the caller changed before comes first, as an ORM insert would have flushed it.
    s.flush()
    conn = s.connection()
    now = utcnow()
    # RETURNING of the primary key: never NULL, whatever the column's Python type says.
    ids = cast(list[int], conn.execute(
        _INSERT, [r.values(company_id, now) for r in requests]).scalars().all())
    conn.execute(_FINISH, [{"request": request_id, "xml": r.build(str(request_id)),
                            "root": r.root_id or request_id}
                           for request_id, r in zip(ids, requests, strict=True)])
    return ids


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
    """Insert one ``Request`` and return its row."""
    request_id, = enqueue_all(s, company_id, [Request(
        kind=kind, entity=entity, seq=seq, build=build, session_id=session_id, root_id=root_id,
        page=page, pages_after=pages_after, watermark_key=watermark_key,
        watermark_to=watermark_to, record_ref=record_ref, standing=standing)])
    return require_row(s, QueuedRequest, request_id)


@dataclass(frozen=True)
class Claimed:
    """A request handed out: what sendRequestXML sends and logs of it."""

    id: int
    kind: str
    entity: str
    page: int
    qbxml: str


# Built once: every sendRequestXML runs them, and building and keying a statement costs more
# than SQLite takes to run it.
_ASKED = aliased(QueuedRequest)
_NEXT = (
    select(col(QueuedRequest.id))
    # Nothing while the session's last request is unanswered: in the claiming UPDATE too, so
    # two asks racing on one ticket hand out one request between them.
    .where(~sa.exists().where(col(_ASKED.session_id) == bindparam("session"))
           .where(col(_ASKED.state) == RequestState.SENT))
    .where(col(QueuedRequest.company_id) == bindparam("company"))
    .where(col(QueuedRequest.state) == RequestState.PENDING)
    .where(col(QueuedRequest.session_id).is_(None)
           | (col(QueuedRequest.session_id) == bindparam("session")))
    .order_by(col(QueuedRequest.seq), col(QueuedRequest.id))
    .limit(1)
)
_CLAIM = (
    update(QueuedRequest)
    .where(col(QueuedRequest.id) == _NEXT.scalar_subquery())
    .where(col(QueuedRequest.state) == RequestState.PENDING)
    .values(state=RequestState.SENT, session_id=bindparam("session"), sent_at=bindparam("now"),
            attempts=col(QueuedRequest.attempts) + 1)
    .returning(col(QueuedRequest.id), col(QueuedRequest.kind), col(QueuedRequest.entity),
               col(QueuedRequest.page), col(QueuedRequest.qbxml))
)


def claim_next(s: Session, company_id: int, session_id: int, now: datetime) -> Claimed | None:
    """Atomically move the next pending request of the company to ``sent`` for this session.

    In the caller's transaction: a SOAP call that resolves its ticket, claims and counts
    commits once. One guarded UPDATE picks the next request and claims it: a request another
    bridge process claimed first fails the guard (``state = pending`` is checked again on the
    row it locked), updates nothing here, and the next one is tried. Core statements on the
    session's connection: the claimed row is never loaded as an object."""
    conn = s.connection()
    params = {"company": company_id, "session": session_id, "now": now}
    for _ in range(20):
        claimed = conn.execute(_CLAIM, params).first()
        if claimed is not None:
            return Claimed(*claimed)
        if conn.execute(_NEXT, params).scalar() is None:
            return None
    return None


_OUTSTANDING = (
    select(QueuedRequest)
    .where(col(QueuedRequest.session_id) == bindparam("session"))
    .where(col(QueuedRequest.state) == RequestState.SENT)
    .order_by(col(QueuedRequest.sent_at).desc(), col(QueuedRequest.id).desc())
    .limit(1)
)


def outstanding(s: Session, session_id: int) -> QueuedRequest | None:
    """The request QBWC is answering now (QBWC is strictly one request at a time)."""
    return s.exec(_OUTSTANDING, params={"session": session_id}).first()


_DONE = (
    select(func.count()).select_from(QueuedRequest)
    .where(col(QueuedRequest.session_id) == bindparam("session"))
    .where(col(QueuedRequest.state).in_([RequestState.ANSWERED, RequestState.FAILED]))
)
_LEFT = (
    col(QueuedRequest.company_id) == bindparam("company"),
    col(QueuedRequest.state).in_([RequestState.PENDING, RequestState.SENT]),
    col(QueuedRequest.session_id).is_(None)
    | (col(QueuedRequest.session_id) == bindparam("session")),
)
# One statement: every receiveResponseXML runs it.
_PROGRESS = sa.select(
    _DONE.scalar_subquery(),
    select(func.count()).select_from(QueuedRequest).where(*_LEFT).scalar_subquery(),
    select(func.coalesce(func.sum(QueuedRequest.pages_after), 0)).where(*_LEFT)
    .scalar_subquery(),
)


def session_progress(s: Session, company_id: int, session_id: int) -> tuple[int, int]:
    """(done, total) requests for the session, counting the iterator pages still expected."""
    done, pending, pages_after = s.connection().execute(
        _PROGRESS, {"company": company_id, "session": session_id}).one()
    return int(done), int(done) + int(pending) + int(pages_after)

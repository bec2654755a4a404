"""What a session that ends gives back: the reads it held.

A read the session planned itself dies with it: its iterator lived only in that QBWC session,
and the next session plans the same window again from the unmoved watermark. A *standing* read
(queued for whichever session comes next: a backfill, a re-read after a stale EditSequence)
must not die with a session that merely took it: it goes back to the queue, from its first
page, since QuickBooks forgot its iterator when the session ended.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, update
from sqlmodel import Session, col, select

from connector.qbwc.queue import READ_KINDS, enqueue
from connector.qbxml.document import finish_document
from connector.store import QueuedRequest, RequestKind, RequestState
from connector.store.rows import require_row
from connector.xmlsafe import parse_xml

__all__ = ["release_reads", "restart_standing", "restart_request"]

log = logging.getLogger(__name__)

_OPEN = (RequestState.PENDING, RequestState.SENT)


def _held(query: Any, *, by_session: bool, keeping: bool) -> Any:
    """``query`` narrowed to the open reads some session holds: ``by_session`` those of
    :session, ``keeping`` those of every session but :keep."""
    query = (query.where(col(QueuedRequest.company_id) == bindparam("company"))
             .where(col(QueuedRequest.state).in_(_OPEN))
             .where(col(QueuedRequest.kind).in_(READ_KINDS))
             .where(col(QueuedRequest.session_id).is_not(None)))
    if by_session:
        query = query.where(col(QueuedRequest.session_id) == bindparam("session"))
    if keeping:
        query = query.where(col(QueuedRequest.session_id) != bindparam("keep"))
    return query


# Built once for each (by_session, keeping): every closeConnection and login runs them.
_SHAPES = [(by_session, keeping) for by_session in (False, True) for keeping in (False, True)]
_CANCEL = {shape: _held(update(QueuedRequest), by_session=shape[0], keeping=shape[1])
           .where(col(QueuedRequest.standing).is_(False))
           .values(state=RequestState.CANCELLED, error=bindparam("reason"))
           for shape in _SHAPES}
_STANDING = {shape: _held(select(QueuedRequest), by_session=shape[0], keeping=shape[1])
             .where(col(QueuedRequest.standing).is_(True))
             for shape in _SHAPES}


def release_reads(s: Session, company_id: int, *, reason: str, session_id: int | None = None,
                  keep: int | None = None) -> tuple[int, int]:
    """End the reads held by ``session_id`` (or by every session but ``keep``).

    Returns (cancelled, restarted): the session's own reads are cancelled with ``reason``;
    each standing read is queued again for the next session.
    """
    shape = (session_id is not None, keep is not None)
    params = {"company": company_id, "session": session_id, "keep": keep}
    s.flush()  # rows this transaction changed are judged by their new state
    cancelled = s.connection().execute(_CANCEL[shape], {**params, "reason": reason}).rowcount
    chains: dict[int, list[QueuedRequest]] = defaultdict(list)
    for row in s.exec(_STANDING[shape], params=params).all():
        chains[row.root_id or row.id or 0].append(row)
    for root_id, rows in chains.items():
        restart_standing(s, require_row(s, QueuedRequest, root_id), rows, reason=reason)
    return int(cancelled), len(chains)


def restart_standing(s: Session, root: QueuedRequest, unfinished: Sequence[QueuedRequest], *,
                     reason: str) -> QueuedRequest:
    """Queue the standing read ``root`` again for the next session; return the pending row.

    A root that has no answer yet simply goes back to the queue. Once a page was answered, its
    iterator is gone with the session: the ``unfinished`` pages are cancelled (pointing at the
    restart) and the read is queued anew from its first page, as a fresh request. The pages
    already stored stay for the sync, which drops the records it reads twice.
    """
    if root.state in _OPEN:
        root.state, root.session_id, root.sent_at, root.error = (
            RequestState.PENDING, None, None, None)
        log.info("company %s: standing %s read %s goes back to the queue (%s)",
                 root.company_id, root.entity, root.id, reason)
        return root
    qbxml = root.qbxml
    again = enqueue(
        s, root.company_id, kind=RequestKind(root.kind), entity=root.entity, seq=root.seq,
        watermark_key=root.watermark_key, watermark_to=root.watermark_to,
        record_ref=root.record_ref, standing=True,
        build=lambda request_id: restart_request(qbxml, request_id),
    )
    for row in unfinished:
        if row.id != again.id:
            row.state = RequestState.CANCELLED
            row.error = f"{reason}; the read starts again from its first page as request {again.id}"
    log.info("company %s: standing %s read %s restarts from its first page as request %s (%s)",
             root.company_id, root.entity, root.id, again.id, reason)
    return again


def restart_request(request_xml: str, request_id: str) -> str:
    """``request_xml`` (a first page we built) as a new request: new requestID, and an iterator
    that starts afresh."""
    root = parse_xml(request_xml)
    for query in root.iterfind("QBXMLMsgsRq/*"):
        query.set("requestID", request_id)
        if query.get("iterator") is not None:
            query.set("iterator", "Start")
            query.attrib.pop("iteratorID", None)
    return finish_document(root, ())

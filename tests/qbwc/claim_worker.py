"""Runs in a separate process: claims requests until the queue gives no more."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col

from connector.qbwc.queue import claim_next
from connector.store import Database, QueuedRequest, RequestState
from connector.store.types import utcnow


def answer(s: Session, request_id: int) -> None:
    """What receiveResponseXML does to the request it answers, as far as the queue cares."""
    s.execute(update(QueuedRequest).where(col(QueuedRequest.id) == request_id)
              .values(state=RequestState.ANSWERED))


def claim_all(url: str, company_id: int, session_id: int, answered: bool = True) -> list[int]:
    """``answered``: each claim is answered before the next, as a Web Connector does."""
    db = Database(url)
    claimed: list[int] = []
    while True:
        with db.session() as s:  # one claim per transaction, as each sendRequestXML is
            row = claim_next(s, company_id, session_id, utcnow())
            if row is None:
                break
            claimed.append(row.id)
            if answered:
                answer(s, row.id)
    db.dispose()
    return claimed

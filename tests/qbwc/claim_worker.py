"""Runs in a separate process: claims requests until the queue is empty."""

from __future__ import annotations

from connector.qbwc.queue import claim_next
from connector.store import Database
from connector.store.types import utcnow


def claim_all(url: str, company_id: int, session_id: int) -> list[int]:
    db = Database(url)
    claimed: list[int] = []
    while True:
        with db.session() as s:  # one claim per transaction, as each sendRequestXML is
            row = claim_next(s, company_id, session_id, utcnow())
            if row is None:
                break
            claimed.append(row.id or 0)
    db.dispose()
    return claimed

"""Runs in a separate process: claims requests until the queue is empty."""

from __future__ import annotations

from connector.qbwc.queue import claim_next
from connector.store import Database
from connector.store.types import utcnow


def claim_all(url: str, company_id: int, session_id: int) -> list[int]:
    db = Database(url)
    claimed: list[int] = []
    while (row := claim_next(db, company_id, session_id, utcnow())) is not None:
        claimed.append(row.id or 0)
    db.dispose()
    return claimed

"""Sync requests: the bridge's only way to ask for a QuickBooks -> Zoho run.

A Web Connector session that closed with new responses leaves a row here; a flow takes the
rows of a company when its run starts. The bridge never calls the orchestrator.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from connector.store import Company, Database, SyncRequest

__all__ = ["request_sync", "requested_company_ids", "take_requests"]


def request_sync(s: Session, company_id: int, session_id: int | None, now: datetime) -> None:
    """Record, in the caller's transaction, that the company has new responses to sync."""
    s.add(SyncRequest(company_id=company_id, session_id=session_id, requested_at=now))


def requested_company_ids(db: Database) -> list[int]:
    """Active companies with a request no run has taken yet, oldest request first."""
    with db.session() as s:
        rows = s.exec(select(SyncRequest.company_id, SyncRequest.requested_at)
                      .join(Company, col(Company.id) == SyncRequest.company_id)
                      .where(col(SyncRequest.taken_at).is_(None))
                      .where(col(Company.active).is_(True))
                      .order_by(col(SyncRequest.requested_at))).all()
    return list(dict.fromkeys(company_id for company_id, _ in rows))


def take_requests(db: Database, company_id: int, audit_run_id: int, now: datetime) -> int:
    """Mark the company's open requests as taken by a starting run; returns how many."""
    table = SyncRequest.__table__  # type: ignore[attr-defined]
    with db.engine.begin() as conn:
        done = conn.execute(update(table).where(table.c.company_id == company_id)
                            .where(table.c.taken_at.is_(None))
                            .values(taken_at=now, audit_run_id=audit_run_id))
    return int(done.rowcount)

"""Records the sync would not decide alone, kept for a person: ``ml-connector review list``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from connector.store import Database, ReviewItem, ReviewStatus

__all__ = ["open_review", "close_reviews", "list_reviews"]

def open_review(s: Session, *, company_id: int, qb_type: str, qb_id: str, qb_name: str | None,
                reason: str, zoho_module: str, candidates: Sequence[str],
                now: datetime) -> ReviewItem:
    """One open item per record: seeing the record again refreshes it instead of adding one."""
    item = s.exec(select(ReviewItem).where(ReviewItem.company_id == company_id)
                  .where(ReviewItem.qb_type == qb_type).where(ReviewItem.qb_id == qb_id)
                  .where(ReviewItem.status == ReviewStatus.OPEN)).first()
    if item is None:
        item = ReviewItem(company_id=company_id, qb_type=qb_type, qb_id=qb_id,
                          zoho_module=zoho_module, reason=reason, created_at=now)
    item.qb_name, item.reason, item.candidates = qb_name, reason, list(candidates)
    s.add(item)
    return item


def close_reviews(s: Session, company_id: int, qb_type: str, qb_ids: Sequence[str],
                  now: datetime) -> None:
    """Records that synced after all no longer need anyone."""
    if not qb_ids:
        return
    for item in s.exec(select(ReviewItem).where(ReviewItem.company_id == company_id)
                       .where(ReviewItem.qb_type == qb_type)
                       .where(col(ReviewItem.qb_id).in_(list(qb_ids)))
                       .where(ReviewItem.status == ReviewStatus.OPEN)).all():
        item.status, item.resolved_at = ReviewStatus.RESOLVED, now


def list_reviews(
    db: Database,
    *,
    company_id: int | None = None,
    status: ReviewStatus | None = ReviewStatus.OPEN,
    limit: int = 200,
) -> list[ReviewItem]:
    with db.session() as s:
        query = select(ReviewItem).order_by(col(ReviewItem.id)).limit(limit)
        if company_id is not None:
            query = query.where(ReviewItem.company_id == company_id)
        if status is not None:
            query = query.where(ReviewItem.status == status)
        return list(s.exec(query).all())

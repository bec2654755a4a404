"""Records the sync would not decide alone, kept for a person: ``ml-connector review list``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from connector.errors import ConfigError
from connector.store import Database, ReviewDecision, ReviewItem, ReviewStatus

__all__ = ["ZOHO_ACCOUNT", "ReviewRefused", "open_review", "close_reviews", "list_reviews",
           "decide", "decisions"]

# Still waiting for the sync: a decided item is applied by the next run, then resolved.
_UNSETTLED = (ReviewStatus.OPEN, ReviewStatus.DECIDED)


# Records whose review items are matches: --link and --create settle them.
_MATCHED_TYPES = ("Customer",)
# ReviewItem.qb_type of an Account created in Zoho with no QuickBooks record (its qb_id is the
# Zoho id): --create makes it a QuickBooks customer.
ZOHO_ACCOUNT = "ZohoAccount"


class ReviewRefused(ConfigError):
    """A decision that cannot be taken (unknown item, already resolved, not a candidate)."""

def open_review(s: Session, *, company_id: int, qb_type: str, qb_id: str, qb_name: str | None,
                reason: str, zoho_module: str, candidates: Sequence[str],
                now: datetime, add_reason: bool = False) -> ReviewItem:
    """One open item per record: seeing the record again refreshes it instead of adding one.
    With ``add_reason`` the item keeps what it already says and adds ``reason`` (a Deal both
    closed lost and with its amount edited needs both said)."""
    item = s.exec(select(ReviewItem).where(ReviewItem.company_id == company_id)
                  .where(ReviewItem.qb_type == qb_type).where(ReviewItem.qb_id == qb_id)
                  .where(col(ReviewItem.status).in_(_UNSETTLED))).first()
    if item is None:
        item = ReviewItem(company_id=company_id, qb_type=qb_type, qb_id=qb_id,
                          zoho_module=zoho_module, reason=reason, created_at=now)
    if add_reason and item.reason and reason not in item.reason:
        reason = f"{item.reason} | {reason}"
    item.qb_name = qb_name or item.qb_name
    item.reason, item.candidates = reason, list(candidates)
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
                       .where(col(ReviewItem.status).in_(_UNSETTLED))).all():
        item.status, item.resolved_at = ReviewStatus.RESOLVED, now


def list_reviews(
    db: Database,
    *,
    company_id: int | None = None,
    status: ReviewStatus | tuple[ReviewStatus, ...] | None = _UNSETTLED,
    limit: int = 200,
) -> list[ReviewItem]:
    """Items by id; by default those still waiting (open, or decided and not yet applied)."""
    with db.session() as s:
        query = select(ReviewItem).order_by(col(ReviewItem.id)).limit(limit)
        if company_id is not None:
            query = query.where(ReviewItem.company_id == company_id)
        if status is not None:
            wanted = (status,) if isinstance(status, ReviewStatus) else status
            query = query.where(col(ReviewItem.status).in_(wanted))
        return list(s.exec(query).all())


def decide(db: Database, item_id: int, *, link_to: str | None, now: datetime,
           ignore: bool = False) -> ReviewItem:
    """Settle an item: adopt the Zoho record ``link_to`` (one of its candidates), or, with
    None, create a new one; the next sync applies the decision and resolves the item. With
    ``ignore`` the item is closed at once: a person saw it and nothing is to be done."""
    with db.session() as s:
        item = s.get(ReviewItem, item_id)
        if item is None:
            raise ReviewRefused(f"no review item #{item_id}; see `ml-connector review list`")
        if item.status == ReviewStatus.RESOLVED:
            raise ReviewRefused(f"review item #{item_id} is already resolved")
        if ignore:
            item.decision, item.decided_at = ReviewDecision.IGNORE, now
            item.status, item.resolved_at = ReviewStatus.RESOLVED, now
            s.add(item)
            return item
        if item.qb_type == ZOHO_ACCOUNT and link_to is not None:
            raise ReviewRefused(f"review item #{item_id} is an Account created in Zoho: "
                                "--create makes it a QuickBooks customer, --ignore closes it")
        if item.qb_type not in (*_MATCHED_TYPES, ZOHO_ACCOUNT):
            raise ReviewRefused(f"review item #{item_id} is not a match to settle ({item.reason}); "
                                "close it with --ignore once it is dealt with")
        if link_to is not None and link_to not in item.candidates:
            raise ReviewRefused(
                f"{item.zoho_module} {link_to} is not a candidate of review item #{item_id} "
                f"(candidates: {', '.join(item.candidates) or 'none'})")
        item.decision = ReviewDecision.LINK if link_to else ReviewDecision.CREATE
        item.decision_zoho_id, item.decided_at = link_to, now
        item.status = ReviewStatus.DECIDED
        s.add(item)
        return item


def decisions(db: Database, company_id: int, qb_type: str,
              qb_ids: Sequence[str]) -> dict[str, ReviewItem]:
    """The decided, not yet applied items of these records, by QuickBooks id."""
    if not qb_ids:
        return {}
    with db.session() as s:
        rows = s.exec(select(ReviewItem).where(ReviewItem.company_id == company_id)
                      .where(ReviewItem.qb_type == qb_type)
                      .where(col(ReviewItem.qb_id).in_(list(qb_ids)))
                      .where(ReviewItem.status == ReviewStatus.DECIDED)).all()
    return {row.qb_id: row for row in rows}

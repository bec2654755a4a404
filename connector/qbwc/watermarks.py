"""Per company and entity, the time up to which QuickBooks changes have been read completely."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlmodel import Session, col, select

from connector.store import QueuedRequest, RequestState, Watermark

__all__ = ["watermarks", "advance_completed"]


def watermarks(s: Session, company_id: int) -> dict[str, datetime]:
    rows = s.exec(select(Watermark).where(Watermark.company_id == company_id)).all()
    return {row.entity: row.value for row in rows}


def advance_completed(s: Session, company_id: int, session_id: int, now: datetime) -> list[str]:
    """Move each watermark whose read got every page answered in this session; return their keys.

    A read with a failed, cancelled or unanswered page leaves its watermark alone, so the next
    session reads the same window again (the sync dedupes the repeat).
    """
    pages = s.exec(
        select(QueuedRequest)
        .where(QueuedRequest.session_id == session_id)
        .where(col(QueuedRequest.watermark_key).is_not(None))
    ).all()
    by_root: dict[int, list[QueuedRequest]] = defaultdict(list)
    for page in pages:
        by_root[page.root_id or page.id or 0].append(page)
    advanced: list[str] = []
    for root_pages in by_root.values():
        if any(p.state != RequestState.ANSWERED for p in root_pages):
            continue
        key, to = root_pages[0].watermark_key, root_pages[0].watermark_to
        if key is None or to is None:
            continue  # the planner gives every read both; a page without them moves nothing
        mark = s.get(Watermark, (company_id, key))
        if mark is None:
            s.add(Watermark(company_id=company_id, entity=key, value=to, updated_at=now))
        elif to > mark.value:
            mark.value, mark.updated_at = to, now
        advanced.append(key)
    return sorted(advanced)

"""Per company and entity, the time up to which QuickBooks changes have been read completely."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Row, bindparam, insert, update
from sqlmodel import Session, col

from connector.store import QueuedRequest, RequestState, Watermark

__all__ = ["watermarks", "advance_completed"]


_MARKS = (sa.select(col(Watermark.entity), col(Watermark.value))
          .where(col(Watermark.company_id) == bindparam("company")))
_PAGES = (sa.select(col(QueuedRequest.id), col(QueuedRequest.root_id), col(QueuedRequest.state),
                    col(QueuedRequest.watermark_key), col(QueuedRequest.watermark_to))
          .where(col(QueuedRequest.session_id) == bindparam("session"))
          .where(col(QueuedRequest.watermark_key).is_not(None)))
_NEW_MARK = insert(Watermark)
# Never backwards: a mark another process moved further in the meantime stays where it is.
_MOVE_MARK = (update(Watermark)
              .where(col(Watermark.company_id) == bindparam("company"))
              .where(col(Watermark.entity) == bindparam("key"))
              .where(col(Watermark.value) < bindparam("to"))
              .values(value=bindparam("to"), updated_at=bindparam("now")))


def watermarks(s: Session, company_id: int) -> dict[str, datetime]:
    s.flush()  # as an ORM query would: what this transaction changed is read back
    return {mark.entity: mark.value
            for mark in s.connection().execute(_MARKS, {"company": company_id})}


def advance_completed(s: Session, company_id: int, session_id: int, now: datetime) -> list[str]:
    """Move each watermark whose read got every page answered in this session; return their keys.

    A read with a failed, cancelled or unanswered page leaves its watermark alone, so the next
    session reads the same window again (the sync dedupes the repeat).
    """
    s.flush()  # the pages' states as this transaction left them
    conn = s.connection()
    by_root: dict[int, list[Row[Any]]] = defaultdict(list)
    for page in conn.execute(_PAGES, {"session": session_id}):
        by_root[page.root_id or page.id].append(page)
    marks = watermarks(s, company_id)
    added: list[dict[str, Any]] = []
    moved: list[dict[str, Any]] = []
    advanced: list[str] = []
    for root_pages in by_root.values():
        if any(p.state != RequestState.ANSWERED for p in root_pages):
            continue
        key, to = root_pages[0].watermark_key, root_pages[0].watermark_to
        if key is None or to is None:
            continue  # the planner gives every read both; a page without them moves nothing
        if key not in marks:
            added.append({"company_id": company_id, "entity": key, "value": to,
                          "updated_at": now})
        elif to > marks[key]:
            moved.append({"company": company_id, "key": key, "to": to, "now": now})
        advanced.append(key)
    if added:
        conn.execute(_NEW_MARK, added)
    if moved:
        conn.execute(_MOVE_MARK, moved)
    return sorted(advanced)

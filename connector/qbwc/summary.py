"""The human-readable line QBWC shows after ``closeConnection``."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from sqlalchemy import bindparam
from sqlmodel import Session, col

from connector.store import (
    QueuedRequest,
    RawResponse,
    RequestKind,
    RequestState,
    SessionState,
)

__all__ = ["session_summary"]


_REQUESTS = (sa.select(col(QueuedRequest.kind), col(QueuedRequest.entity),
                       col(QueuedRequest.state), col(QueuedRequest.error))
             .where(col(QueuedRequest.session_id) == bindparam("session"))
             .order_by(col(QueuedRequest.id)))
_RECORDS = (sa.select(col(RawResponse.entity), col(RawResponse.record_count))
            .where(col(RawResponse.session_id) == bindparam("session")))


def session_summary(s: Session, company_name: str, session_id: int, state: str,
                    last_error: str | None, advanced: list[str]) -> str:
    s.flush()  # the requests' states as this transaction left them
    conn = s.connection()
    rows = conn.execute(_REQUESTS, {"session": session_id}).all()
    answered = [r for r in rows if r.state == RequestState.ANSWERED]
    failed = [r for r in rows if r.state == RequestState.FAILED]
    records: Counter[str] = Counter()
    for entity, count in conn.execute(_RECORDS, {"session": session_id}):
        records[entity] += count
    pages = Counter(r.entity for r in answered if r.kind == RequestKind.QUERY)
    parts = [f"ml-connector · {company_name}: {len(answered)} of {len(rows)} requests answered"]
    if pages:
        parts.append(
            "read "
            + ", ".join(
                f"{records[entity]} {entity} in {n} page{'s' if n > 1 else ''}"
                for entity, n in pages.items()
            )
        )
    writes = sum(1 for r in answered if r.kind == RequestKind.WRITE)
    if writes:
        parts.append(f"{writes} change{'s' if writes > 1 else ''} written to QuickBooks")
    if failed:
        parts.append(f"{len(failed)} failed (first: {failed[0].error})")
    parts.append("up to date: " + (", ".join(advanced) if advanced else "nothing"))
    if last_error and state != SessionState.CLOSED:
        parts.append(f"stopped: {last_error}")
    return "; ".join(parts)

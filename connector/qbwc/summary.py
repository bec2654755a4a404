"""The human-readable line QBWC shows after ``closeConnection``."""

from __future__ import annotations

from collections import Counter

from sqlmodel import Session, select

from connector.store import (
    Company,
    QbwcSession,
    QueuedRequest,
    RawResponse,
    RequestKind,
    RequestState,
    SessionState,
)

__all__ = ["session_summary"]


def session_summary(s: Session, company: Company, session: QbwcSession, advanced: list[str]) -> str:
    rows = s.exec(select(QueuedRequest).where(QueuedRequest.session_id == session.id)).all()
    answered = [r for r in rows if r.state == RequestState.ANSWERED]
    failed = [r for r in rows if r.state == RequestState.FAILED]
    records: Counter[str] = Counter()
    for entity, count in s.exec(select(RawResponse.entity, RawResponse.record_count)
                                .where(RawResponse.session_id == session.id)).all():
        records[entity] += count
    pages = Counter(r.entity for r in answered if r.kind == RequestKind.QUERY)
    parts = [f"ml-connector · {company.name}: {len(answered)} of {len(rows)} requests answered"]
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
    if session.last_error and session.state != SessionState.CLOSED:
        parts.append(f"stopped: {session.last_error}")
    return "; ".join(parts)

"""Stored QuickBooks responses, as the sync sees them: which wait, which are done, which a
backfill reopens. The only writer of a response's processing state (``processed_at``) and of
``ResponseSync``; the bridge only inserts responses (``connector.qbwc.exchange``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from connector.errors import ConfigError
from connector.qbwc.payments import APPLIED_INVOICE_ENTITY
from connector.qbwc.planner import READ_PLAN
from connector.qbwc.retention import SCAN_ENTITIES
from connector.store import Company, Database, RawResponse, ResponseSync
from connector.sync.journal import Settled

__all__ = ["SYNCED_ENTITIES", "check_range", "pending_count", "pending_companies",
           "records_waiting", "settle_responses", "mark_for_resync", "reopen_record"]

# The entities whose responses the sync reads (not host checks or write answers).
SYNCED_ENTITIES = (*(spec.entity for spec in READ_PLAN), APPLIED_INVOICE_ENTITY)


def _unprocessed(company_id: int | None = None) -> object:
    query = select(RawResponse.company_id).where(col(RawResponse.processed_at).is_(None))
    return query if company_id is None else query.where(RawResponse.company_id == company_id)


def pending_count(db: Database, company_id: int, *, scans: bool = False) -> int:
    """Stored responses of the company the sync has not processed yet; key scans (which
    connector.sync.reconcile takes) only with ``scans``."""
    query = (select(func.count()).select_from(RawResponse)
             .where(RawResponse.company_id == company_id)
             .where(col(RawResponse.processed_at).is_(None)))
    if not scans:
        query = query.where(col(RawResponse.entity).not_in(SCAN_ENTITIES))
    with db.session() as s:
        return int(s.exec(query).one())


def records_waiting(db: Database, company_id: int, entity: str) -> int:
    """Records in the company's unprocessed responses to its ``entity`` reads."""
    with db.session() as s:
        return int(s.exec(select(func.coalesce(func.sum(RawResponse.record_count), 0))
                          .where(RawResponse.company_id == company_id)
                          .where(RawResponse.entity == entity)
                          .where(col(RawResponse.processed_at).is_(None))).one())


def pending_companies(db: Database) -> list[Company]:
    """Active companies with stored responses the sync has not processed yet."""
    with db.session() as s:
        ids = set(s.exec(_unprocessed().distinct()).all())  # type: ignore[attr-defined]
        rows = s.exec(select(Company).where(col(Company.id).in_(ids))
                      .where(col(Company.active).is_(True)).order_by(Company.name)).all()
        return list(rows)


def settle_responses(db: Database, settled: Settled, now: datetime) -> None:
    """Close the responses that are done or given up; count a try on those still failing."""
    closed = settled.done + list(settled.given_up)
    failing = {**settled.retry, **settled.given_up}
    touched = closed + list(settled.retry)
    with db.session() as s:
        if closed:
            s.execute(update(RawResponse).where(col(RawResponse.id).in_(closed))
                      .values(processed_at=now))
        states = {r.response_id: r for r in s.exec(select(ResponseSync).where(
            col(ResponseSync.response_id).in_(touched))).all()}
        for response_id in touched:
            state = states.get(response_id)
            if response_id in failing:
                state = state or ResponseSync(response_id=response_id)
                state.attempts += 1
                state.last_error = failing[response_id]
            elif state is None:
                continue
            if response_id in closed:
                state.force = False
            s.add(state)


def check_range(since: datetime | None, until: datetime | None) -> None:
    """A backfill's range before anything runs: one that ends before it starts holds
    nothing, and a run over it would report "nothing to do" as if the books had nothing."""
    if since is not None and until is not None and until < since:
        raise ConfigError(f"the range ends ({until:%Y-%m-%d}) before it starts "
                          f"({since:%Y-%m-%d}); swap since and until")


def mark_for_resync(db: Database, company_id: int, *, since: datetime | None = None,
                    until: datetime | None = None) -> int:
    """Reopen the stored responses received in [since, until] for a forced sync: the next
    sync sends their records again even where the links say Zoho has them."""
    with db.session() as s:
        query = (select(RawResponse.id).where(RawResponse.company_id == company_id)
                 .where(col(RawResponse.entity).in_(SYNCED_ENTITIES)))
        if since is not None:
            query = query.where(col(RawResponse.received_at) >= since)
        if until is not None:
            query = query.where(col(RawResponse.received_at) <= until)
        ids = [i for i in s.exec(query).all() if i is not None]
        if not ids:
            return 0
        _force(s, ids)
    return len(ids)


def _force(s: Session, ids: Sequence[int]) -> None:
    s.execute(update(RawResponse).where(col(RawResponse.id).in_(ids)).values(processed_at=None))
    known = {r.response_id: r for r in s.exec(select(ResponseSync).where(
        col(ResponseSync.response_id).in_(ids))).all()}
    for response_id in ids:
        state = known.get(response_id) or ResponseSync(response_id=response_id)
        state.force, state.attempts, state.last_error = True, 0, None
        s.add(state)


def reopen_record(db: Database, company_id: int, entity: str, id_tag: str, qb_id: str) -> int:
    """Reopen, forced, the newest stored ``entity`` response that holds the record ``qb_id``
    (its ``<ListID>``/``<TxnID>``): the next sync sends that record again. Returns 0 when no
    stored response holds it (the next QuickBooks read of it will)."""
    needle = f"<{id_tag}>{qb_id}</{id_tag}>"
    with db.session() as s:
        newest = s.exec(select(RawResponse.id).where(RawResponse.company_id == company_id)
                        .where(RawResponse.entity == entity)
                        .where(col(RawResponse.body).contains(needle, autoescape=True))
                        .order_by(col(RawResponse.id).desc())).first()
        if newest is None:
            return 0
        _force(s, [newest])
    return 1

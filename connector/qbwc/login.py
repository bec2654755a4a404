"""``authenticate``: password check with lockout, one live session per company, session plan."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from connector.config import Settings
from connector.qbwc.passwords import burn_verification_time, verify_password
from connector.qbwc.planner import plan_session
from connector.qbwc.queue import cancel_pending
from connector.qbwc.tickets import hash_ticket, new_ticket
from connector.store import (
    Company,
    QbwcSession,
    QueuedRequest,
    RequestKind,
    RequestState,
    SessionState,
)
from connector.store.rows import require_id

__all__ = ["LoginOutcome", "login", "release_lease", "NVU", "BUSY", "NONE"]

log = logging.getLogger(__name__)

NVU, BUSY, NONE = "nvu", "busy", "none"


@dataclass(frozen=True)
class LoginOutcome:
    ticket: str
    status: str  # "" or company file path: go; "nvu", "busy", "none": stop
    session_id: int | None = None


def _failed_login(company: Company, settings: Settings, now: datetime) -> None:
    company.failed_logins += 1
    if company.failed_logins >= settings.login_max_failures:
        company.locked_until = now + settings.lockout
        company.failed_logins = 0
        log.warning("company %s: QBWC user locked for %s after %d failed logins",
                    company.name, settings.lockout, settings.login_max_failures)


def _take_lease(
    s: Session, company: Company, session_id: int, now: datetime, until: datetime
) -> bool:
    """Compare-and-set on the company row: the only thing that makes ``busy`` safe across
    processes."""
    result = s.exec(
        update(Company)
        .where(col(Company.id) == company.id)
        .where(col(Company.live_session_id).is_(None) | (col(Company.live_until) < now))
        .values(live_session_id=session_id, live_until=until)
    )
    return bool(result.rowcount == 1)


def release_lease(s: Session, company: Company, session_id: int) -> None:
    s.exec(
        update(Company)
        .where(col(Company.id) == company.id)
        .where(col(Company.live_session_id) == session_id)
        .values(live_session_id=None, live_until=None)
    )


def _recover_dropped(s: Session, company: Company, now: datetime, *, keep: int) -> None:
    """Sessions that vanished without closeConnection: expire them, forget their reads.

    Their iterators died with them; a write that was sent may or may not have reached
    QuickBooks, so it is re-queued and the EditSequence check (3200) tells us which.
    """
    stale = s.exec(
        select(QbwcSession)
        .where(QbwcSession.company_id == company.id)
        .where(QbwcSession.state == SessionState.OPEN)
        .where(QbwcSession.id != keep)
    ).all()
    for old in stale:
        old.state, old.ended_at = SessionState.EXPIRED, now
        old.last_error = (
            old.last_error or "the Web Connector stopped calling before closeConnection"
        )
    cancel_pending(
        s,
        company.id or 0,
        kinds=(RequestKind.QUERY, RequestKind.CHECK),
        reason="superseded by a new session",
        bound_only=True,
    )
    s.exec(
        update(QueuedRequest)
        .where(col(QueuedRequest.company_id) == company.id)
        .where(col(QueuedRequest.kind) == RequestKind.WRITE)
        .where(col(QueuedRequest.state) == RequestState.SENT)
        .values(state=RequestState.PENDING, session_id=None)
    )


def _too_soon(s: Session, company: Company, settings: Settings, now: datetime) -> bool:
    """True when nothing is waiting and the last complete read is fresher than the minimum."""
    if settings.min_poll_seconds <= 0:
        return False
    # Writes and standing reads (a backfill, bound to no session yet) are worth a session now.
    writes = s.exec(
        select(QueuedRequest.id)
        .where(QueuedRequest.company_id == company.id)
        .where(
            (col(QueuedRequest.kind) == RequestKind.WRITE) | col(QueuedRequest.session_id).is_(None)
        )
        .where(QueuedRequest.state == RequestState.PENDING)
        .limit(1)
    ).first()
    last = s.exec(
        select(QbwcSession.ended_at)
        .where(QbwcSession.company_id == company.id)
        .where(QbwcSession.state == SessionState.CLOSED)
        .order_by(col(QbwcSession.ended_at).desc())
        .limit(1)
    ).first()
    return (
        writes is None
        and last is not None
        and now - last < timedelta(seconds=settings.min_poll_seconds)
    )


def login(
    s: Session, username: str, password: str, settings: Settings, now: datetime
) -> LoginOutcome:
    company = s.exec(select(Company).where(Company.qbwc_user == username)).first()
    if company is None:
        burn_verification_time(password)
        log.warning("QBWC login refused: unknown user %r", username)
        return LoginOutcome("", NVU)
    if not company.active:
        log.warning("company %s: QBWC login refused, company is disabled", company.name)
        return LoginOutcome("", NVU)
    if company.locked_until and company.locked_until > now:
        log.warning(
            "company %s: QBWC login refused, locked until %s", company.name, company.locked_until
        )
        return LoginOutcome("", NVU)
    if not verify_password(password, company.password_hash):
        _failed_login(company, settings, now)
        log.warning("company %s: QBWC login refused, wrong password", company.name)
        return LoginOutcome("", NVU)
    company.failed_logins, company.locked_until, company.last_poll_at = 0, None, now
    if company.live_session_id is not None and company.live_until and company.live_until >= now:
        log.info("company %s: QBWC login while a session is live: busy", company.name)
        return LoginOutcome("", BUSY)
    if _too_soon(s, company, settings, now):
        return LoginOutcome("", NONE)

    ticket = new_ticket()
    session = QbwcSession(ticket_hash=hash_ticket(ticket), company_id=company.id or 0,
                          started_at=now, last_seen_at=now)
    s.add(session)
    s.flush()
    session_id = require_id(session)
    if not _take_lease(s, company, session_id, now, now + settings.ticket_idle):
        s.rollback()
        return LoginOutcome("", BUSY)
    _recover_dropped(s, company, now, keep=session_id)
    session.requests_planned = plan_session(s, company, session, settings, now)
    return LoginOutcome(ticket, company.company_file or "", session_id)


"""``authenticate``: a throttled password check, one live session per company, the session plan.

Every answer costs the same: one scrypt check, against the user's hash or, where there is none
to check (unknown user, disabled company, a try the throttle holds back), against a dummy hash.
So neither the answer nor its timing says which user names exist or which are being slowed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import bindparam, func, insert, update
from sqlmodel import Session, col, select

from connector.config import Settings
from connector.qbwc.passwords import Verifier, dummy_hash, verify_password
from connector.qbwc.planner import plan_session
from connector.qbwc.release import release_reads
from connector.qbwc.throttle import Attempt, Throttle, ThrottlePolicy
from connector.qbwc.tickets import UNKNOWN_TICKET, hash_ticket, new_ticket
from connector.store import (
    Company,
    Database,
    QbwcSession,
    QueuedRequest,
    RequestKind,
    RequestState,
    SessionState,
)
from connector.store.rows import require_id, require_row

__all__ = ["LoginOutcome", "login", "release_lease", "NVU", "BUSY", "NONE"]

log = logging.getLogger(__name__)

NVU, BUSY, NONE = "nvu", "busy", "none"


@dataclass(frozen=True)
class LoginOutcome:
    ticket: str
    status: str  # "" (the open file) or a pinned company file path: go; "nvu", "busy", "none": stop
    session_id: int | None = None


# Built once: every login runs them.
_TAKE_LEASE = (
    update(Company)
    .where(col(Company.id) == bindparam("company"))
    # A NULL ``taking_from`` (no dead holder to take over from) matches no row.
    .where(col(Company.live_session_id).is_(None) | (col(Company.live_until) < bindparam("now"))
           | (col(Company.live_session_id) == bindparam("taking_from")))
    .values(live_session_id=bindparam("session"), live_until=bindparam("until"))
)


def _take_lease(s: Session, company_id: int, session_id: int, now: datetime, until: datetime,
                *, taking_from: int | None) -> bool:
    """Compare-and-set on the company row: the only thing that makes ``busy`` safe across
    processes. ``taking_from`` is a dead session whose lease this login may take over."""
    result = s.connection().execute(_TAKE_LEASE, {
        "company": company_id, "now": now, "taking_from": taking_from, "session": session_id,
        "until": until})
    return bool(result.rowcount == 1)


_RELEASE = (update(Company)
            .where(col(Company.id) == bindparam("company"))
            .where(col(Company.live_session_id) == bindparam("session"))
            .values(live_session_id=None, live_until=None))


def release_lease(s: Session, company_id: int, session_id: int) -> None:
    s.connection().execute(_RELEASE, {"company": company_id, "session": session_id})


_DROPPED = "the Web Connector stopped calling before closeConnection"
_EXPIRE_DROPPED = (
    update(QbwcSession)
    .where(col(QbwcSession.company_id) == bindparam("company"))
    .where(col(QbwcSession.state) == SessionState.OPEN)
    .where(col(QbwcSession.id) != bindparam("keep"))
    .values(state=SessionState.EXPIRED, ended_at=bindparam("now"),
            last_error=func.coalesce(func.nullif(col(QbwcSession.last_error), ""), _DROPPED))
)
_REQUEUE_SENT_WRITES = (
    update(QueuedRequest)
    .where(col(QueuedRequest.company_id) == bindparam("company"))
    .where(col(QueuedRequest.kind) == RequestKind.WRITE)
    .where(col(QueuedRequest.state) == RequestState.SENT)
    .values(state=RequestState.PENDING, session_id=None)
)


def _recover_dropped(s: Session, company_id: int, now: datetime, *, keep: int) -> None:
    """Sessions that vanished without closeConnection: expire them, take back what they held.

    Their own reads die with their iterators; standing reads go back to the queue. A write that
    was sent may or may not have reached QuickBooks, so it is re-queued and the EditSequence
    check (3200) tells us which.
    """
    conn = s.connection()
    conn.execute(_EXPIRE_DROPPED, {"company": company_id, "keep": keep, "now": now})
    release_reads(s, company_id, keep=keep, reason="superseded by a new session")
    conn.execute(_REQUEUE_SENT_WRITES, {"company": company_id})


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


def _silent_holder(s: Session, company: Company, settings: Settings,
                   now: datetime) -> tuple[bool, QbwcSession | None]:
    """(busy, dead holder): is a live session holding the company, or one that died holding it?

    A crashed Web Connector (or a dropped network) leaves its session holding the company until
    the ticket expires (``ticket_idle``, 30 min). But QBWC never waits longer than its request
    timeout for any one call: it is a .NET SOAP client (Intuit's WSDL names an ASP.NET service),
    and .NET's WebClientProtocol.Timeout waits 100 000 ms by default
    (https://learn.microsoft.com/dotnet/api/system.web.services.protocols.webclientprotocol.timeout;
    no Intuit page we could find states QBWC's own figure, so it is the setting
    ``qbwc_request_timeout_seconds``, 120 s by default: that, plus a margin). A session silent
    longer than that has been given up by its own Web Connector, so a right password takes over.
    """
    if company.live_session_id is None or company.live_until is None or company.live_until < now:
        return False, None
    holder = s.get(QbwcSession, company.live_session_id)
    if holder is None:
        return False, None
    silent = now - holder.last_seen_at
    if holder.state == SessionState.OPEN and silent <= settings.qbwc_request_timeout:
        return True, None
    return False, holder


def _retire(s: Session, holder: QbwcSession, now: datetime) -> bool:
    """Expire the dead holder, unless it spoke since we looked (compare-and-set on its last
    call): a session that is alive after all keeps the company."""
    silent = int((now - holder.last_seen_at).total_seconds())
    result = s.exec(
        update(QbwcSession)
        .where(col(QbwcSession.id) == holder.id)
        .where(col(QbwcSession.last_seen_at) == holder.last_seen_at)
        .values(state=SessionState.EXPIRED, ended_at=now,
                last_error=f"{UNKNOWN_TICKET} (A new Web Connector login took this company over "
                f"after this session had been silent for {silent} s; the requests it had not "
                "finished went back to the queue.)")
    )
    return bool(result.rowcount == 1)


_NEW_SESSION = insert(QbwcSession).returning(col(QbwcSession.id))
_POLLED = (update(Company).where(col(Company.id) == bindparam("company"))
           .values(last_poll_at=bindparam("now")))
_PLANNED = (update(QbwcSession).where(col(QbwcSession.id) == bindparam("session"))
            .values(requests_planned=bindparam("planned")))


def _open_session(s: Session, company_id: int, settings: Settings, now: datetime) -> LoginOutcome:
    company = require_row(s, Company, company_id)
    conn = s.connection()
    conn.execute(_POLLED, {"company": company_id, "now": now})
    busy, dead = _silent_holder(s, company, settings, now)
    if busy:
        log.info("company %s: QBWC login while a session is live: busy", company.name)
        return LoginOutcome("", BUSY)
    # Taking over always has something to redo: what the dead session held.
    if dead is None and _too_soon(s, company, settings, now):
        return LoginOutcome("", NONE)

    ticket = new_ticket()
    # RETURNING of the primary key: never NULL, whatever the column's Python type says.
    session_id = cast(int, conn.execute(_NEW_SESSION, {
        "ticket_hash": hash_ticket(ticket), "company_id": company_id,
        "state": SessionState.OPEN, "started_at": now, "last_seen_at": now,
        "requests_planned": 0, "requests_sent": 0, "responses_received": 0, "percent": 0,
    }).scalar_one())
    taking_from = dead.id if dead is not None else None
    taken = _take_lease(s, company_id, session_id, now, now + settings.ticket_idle,
                        taking_from=taking_from)
    if not taken or (dead is not None and dead.state == SessionState.OPEN
                     and not _retire(s, dead, now)):
        s.rollback()
        return LoginOutcome("", BUSY)
    if dead is not None:
        log.warning("company %s: session %s had been silent since %s; a new login took over",
                    company.name, dead.id, dead.last_seen_at)
    _recover_dropped(s, company_id, now, keep=session_id)
    planned = plan_session(s, company, session_id, settings, now)
    conn.execute(_PLANNED, {"session": session_id, "planned": planned})
    # "" lets QBWC use the company file open in QuickBooks, under whatever path it knows it;
    # the file check then says whether it is this company. A path is named only when pinned.
    pinned = company.company_file if company.pin_company_file else None
    return LoginOutcome(ticket, pinned or "", session_id)


def _refusal(company: Company | None, attempt: Attempt, username: str) -> str:
    if not attempt.allowed:
        return (f"slowed after repeated failures from {attempt.address}; the next try is "
                f"checked after {attempt.retry_at}")
    if company is None:
        return f"unknown user {username!r}"
    if not company.active:
        return f"company {company.name} is disabled"
    return f"company {company.name}: wrong password (from {attempt.address})"


_BY_USER = select(Company).where(col(Company.qbwc_user) == bindparam("user"))


def login(db: Database, username: str, password: str, settings: Settings, now: datetime, *,
          address: str = "", throttle: Throttle | None = None,
          verify: Verifier = verify_password) -> LoginOutcome:
    """Check the password (throttled per user and address) and open a session.

    No connection is held while scrypt runs: the check is ~70 ms, and many parallel guesses
    would otherwise exhaust the pool the real Web Connector needs.
    """
    throttle = throttle or Throttle(ThrottlePolicy.from_settings(settings))
    attempt = throttle.reserve(db, username, address, now)
    with db.session() as s:
        company = s.exec(_BY_USER, params={"user": username}).first()
    checked = attempt.allowed and company is not None and company.active
    stored = company.password_hash if company is not None and checked else dummy_hash()
    if not (verify(password, stored) and checked and company is not None):
        log.warning("QBWC login refused: %s", _refusal(company, attempt, username))
        return LoginOutcome("", NVU)
    throttle.refund(db, attempt, now)
    with db.session() as s:
        return _open_session(s, require_id(company), settings, now)

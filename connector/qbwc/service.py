"""The QuickBooks Web Connector protocol as plain Python: the SOAP bridge only forwards to this.

QBWC calls, per session: serverVersion, clientVersion, authenticate, then sendRequestXML /
receiveResponseXML until we report 100 (or a negative percent, after which it calls
getLastError), then closeConnection. connectionError replaces the loop when QuickBooks could
not open the company file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import bindparam, update
from sqlmodel import Session, col, select

from connector import __version__
from connector.config import Settings
from connector.logsafe import clip
from connector.qbwc.client_address import client_address
from connector.qbwc.companies import MAX_USER_NAME
from connector.qbwc.exchange import record_response
from connector.qbwc.identity import path_problem
from connector.qbwc.login import login, release_lease
from connector.qbwc.passwords import RememberedLogins, Verifier, dummy_hash
from connector.qbwc.queue import claim_next, outstanding, session_progress
from connector.qbwc.release import release_reads
from connector.qbwc.summary import session_summary
from connector.qbwc.throttle import Throttle, ThrottlePolicy
from connector.qbwc.tickets import UNKNOWN_TICKET, hash_ticket, ticket_prefix
from connector.qbwc.watermarks import advance_completed
from connector.runs.requests import request_sync
from connector.store import Company, Database, QbwcSession, SessionState
from connector.store.rows import require_row
from connector.store.types import utcnow
from connector.xmlsafe import MARK, mark_illegal_text

__all__ = ["QbwcService", "MIN_CLIENT_VERSION", "MIN_QBXML_MAJOR", "UNKNOWN_TICKET"]

log = logging.getLogger(__name__)

MIN_CLIENT_VERSION = (2, 1)
MIN_QBXML_MAJOR = 13


@dataclass(frozen=True)
class _Call:
    """What a SOAP call needs of its session and company, read in one statement."""

    session_id: int
    company_id: int
    company_name: str
    state: str
    company_file: str | None
    percent: int
    responses_received: int
    last_error: str | None


# Built once: every call runs some of them, and building and keying a statement costs more
# than SQLite takes to run it.
_CALL = (
    sa.select(col(QbwcSession.id), col(QbwcSession.company_id), col(Company.name),
           col(QbwcSession.state), col(QbwcSession.company_file), col(QbwcSession.percent),
           col(QbwcSession.responses_received), col(QbwcSession.last_error),
           col(QbwcSession.last_seen_at), col(Company.live_session_id), col(Company.live_until))
    .join_from(QbwcSession, Company, col(Company.id) == col(QbwcSession.company_id))
    .where(col(QbwcSession.ticket_hash) == bindparam("ticket"))
)
_THIS_SESSION = col(QbwcSession.id) == bindparam("session")
_SEEN = update(QbwcSession).where(_THIS_SESSION).values(last_seen_at=bindparam("now"))
_EXTEND = (update(Company).where(col(Company.id) == bindparam("company"))
           .where(col(Company.live_session_id) == bindparam("session"))
           .values(live_until=bindparam("until")))
# sendRequestXML and receiveResponseXML touch the session (last_seen_at) in the UPDATE that
# ends them: one statement fewer a call, in the same transaction.
_SENT_ONE = update(QbwcSession).where(_THIS_SESSION).values(
    requests_sent=col(QbwcSession.requests_sent) + 1, last_seen_at=bindparam("now"))
_NOTHING_TO_SEND = update(QbwcSession).where(_THIS_SESSION).values(
    last_error="ml-connector: nothing left to send in this session", last_seen_at=bindparam("now"))
_RECEIVED_ONE = update(QbwcSession).where(_THIS_SESSION).values(
    responses_received=col(QbwcSession.responses_received) + 1)
_ANSWERED = update(QbwcSession).where(_THIS_SESSION).values(
    responses_received=col(QbwcSession.responses_received) + 1, percent=bindparam("percent"),
    last_seen_at=bindparam("now"))
_CLOSED = update(QbwcSession).where(_THIS_SESSION).values(
    state=bindparam("state"), summary=bindparam("summary"),
    ended_at=sa.func.coalesce(col(QbwcSession.ended_at), bindparam("now")))


def _version_tuple(version: str) -> tuple[int, ...] | None:
    try:
        return tuple(int(part) for part in version.strip().split("."))
    except ValueError:
        return None


class QbwcService:
    """The Web Connector's calls. A session that closes cleanly with new responses records a
    sync request in the store, in the same transaction; the flows take it from there."""

    def __init__(self, db: Database, settings: Settings, *,
                 clock: Callable[[], datetime] | None = None,
                 verify: Verifier | None = None) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock or utcnow
        self.verify = verify or RememberedLogins()
        self.throttle = Throttle(ThrottlePolicy.from_settings(settings))
        # Made now, so the first refusal costs one scrypt check like every later one.
        dummy_hash()

    # -- handshake ---------------------------------------------------------------------------
    def server_version(self) -> str:
        return f"ml-connector {__version__}"

    def client_version(self, version: str) -> str:
        parsed = _version_tuple(version)
        if parsed is not None and parsed[:2] < MIN_CLIENT_VERSION:
            return (f"W:QuickBooks Web Connector {version} is older than 2.1; ml-connector is "
                    "tested with 2.1 and later. Please update the Web Connector.")
        return ""

    def client_address(self, environ: Mapping[str, Any]) -> str:
        """The caller's address from a WSGI environ (a trusted proxy's header where configured)."""
        return client_address(environ, self.settings)

    def authenticate(self, username: str, password: str, address: str = "") -> list[str]:
        """``address`` is the caller's, for the per-address login throttle."""
        now = self.clock()
        # No registered user has a longer name: answered before any lookup (it tells an
        # attacker nothing about real users), such a name reaches neither logs nor counters.
        if len(username) > MAX_USER_NAME:
            log.warning("QBWC authenticate refused: user name %s is longer than any registered",
                        clip(username, 40))
            return ["", "nvu", "", ""]
        outcome = login(self.db, username, password, self.settings, now, address=address,
                        throttle=self.throttle, verify=self.verify)
        log.info("QBWC authenticate user=%s from %s -> %s ticket=%s", clip(username),
                 clip(address or "?", 60),
                 outcome.status or "go", ticket_prefix(outcome.ticket))
        return [outcome.ticket, outcome.status, "", ""]

    # -- the loop ----------------------------------------------------------------------------
    def send_request_xml(self, ticket: str, hcp_response: str, company_file: str, country: str,
                         major: int, minor: int) -> str:
        now = self.clock()
        with self.db.session() as s:
            call = self._touch(s, ticket, now, seen=False)
            if call is None or call.state != SessionState.OPEN:
                return ""
            if call.company_file is None:
                session, company = self._rows(s, call)
                problem = self._check_environment(company, session, company_file, major, minor)
                if problem:
                    self._stop(s, session, company, problem, now)
                    return ""
            request = claim_next(s, call.company_id, call.session_id, now)
            if request is None and (waiting := outstanding(s, call.session_id)) is not None:
                # QBWC asks for one request at a time; a second ask before the answer is not
                # the Web Connector, and an answer could no longer say which it is for.
                self._stop(s, *self._rows(s, call), f"ml-connector: a request was asked for "
                           f"while request {waiting.id} ({waiting.entity}) was unanswered", now)
                return ""
            s.connection().execute(_SENT_ONE if request else _NOTHING_TO_SEND,
                                   {"session": call.session_id, "now": now})
            if request is None:
                return ""
        log.info("company %s: sending request %s (%s %s page %d)", call.company_name, request.id,
                 request.kind, request.entity, request.page)
        return request.qbxml

    def receive_response_xml(self, ticket: str, response: str, hresult: str, message: str) -> int:
        # Through SOAP, characters XML cannot carry arrive already marked (the gate); a caller
        # in-process may pass them raw, and no database column stores a NUL.
        response, hresult, message = map(mark_illegal_text, (response, hresult, message))
        now = self.clock()
        with self.db.session() as s:
            call = self._touch(s, ticket, now, seen=False)
            if call is None or call.state != SessionState.OPEN:
                return -1
            row = outstanding(s, call.session_id)
            if row is None:
                self._stop(s, *self._rows(s, call), "ml-connector: a response arrived but no "
                           "request was outstanding in this session", now)
                return -1
            marks = response.count(MARK)
            if marks:
                log.warning("company %s: request %s (%s): the answer holds %d character(s) XML "
                            "cannot carry; the sync removes them from free text",
                            call.company_name, row.id, row.entity, marks)
            verdict = record_response(s, row, call.session_id, response or "", hresult or "",
                                      message or "", now)
            if not verdict.ok:
                log.warning("company %s: request %s (%s) failed: %s", call.company_name, row.id,
                            row.entity, clip(row.error, 300))
            if verdict.stop:
                s.connection().execute(_RECEIVED_ONE, {"session": call.session_id})
                self._stop(s, *self._rows(s, call), verdict.stop, now)
                return -1
            s.flush()
            done, total = session_progress(s, call.company_id, call.session_id)
            estimate = 100 if done >= total else min(99, done * 100 // max(total, 1))
            percent = max(call.percent, estimate)
            s.connection().execute(_ANSWERED, {"session": call.session_id, "percent": percent,
                                               "now": now})
            return percent

    def session_is_live(self, ticket: str) -> bool:
        """Whether ``ticket`` names an open session that has not gone idle; changes nothing.

        Asked before the bridge reads a large response: only a live session may send one."""
        with self.db.session() as s:
            session = self._session(s, ticket)
            return (session is not None and session.state == SessionState.OPEN
                    and self.clock() - session.last_seen_at <= self.settings.ticket_idle)

    def refuse_oversize_response(self, ticket: str, size: int | None, cap: int) -> int:
        """QuickBooks answered with more than the bridge reads: stop the session with a last
        error telling the user what to change; the answer (-1) makes QBWC show it."""
        mb = f"{size / 2**20:.0f} MB" if size is not None else "more"
        reason = (f"ml-connector: QuickBooks answered with {mb}, over the bridge's limit of "
                  f"{cap / 2**20:.0f} MB (MLC_MAX_BODY_BYTES); nothing of it was stored. Lower "
                  "MLC_MAX_RETURNED_CUSTOMERS, _ITEMS or _INVOICES so each answer is smaller, "
                  "or raise MLC_MAX_BODY_BYTES (and any proxy's body limit); the next update "
                  "reads the same records again.")
        now = self.clock()
        with self.db.session() as s:
            found = self._resolve(s, ticket, now)
            if found is not None and found[0].state == SessionState.OPEN:
                self._stop(s, found[0], found[1], reason, now)
        return -1

    def connection_error(self, ticket: str, hresult: str, message: str) -> str:
        now = self.clock()
        with self.db.session() as s:
            found = self._resolve(s, ticket, now)
            # A session that already ended keeps its own outcome.
            if found is not None and found[0].state == SessionState.OPEN:
                session, company = found
                self._stop(s, session, company, f"QuickBooks could not open the company file "
                           f"({hresult}): {message}", now)
        return "done"

    def get_last_error(self, ticket: str) -> str:
        with self.db.session() as s:
            session = self._session(s, ticket)
            if session is None:
                return UNKNOWN_TICKET
            return session.last_error or ""

    def close_connection(self, ticket: str) -> str:
        now = self.clock()
        with self.db.session() as s:
            call = self._touch(s, ticket, now)
            if call is None:
                return UNKNOWN_TICKET
            advanced: list[str] = []
            state = call.state
            if state == SessionState.OPEN:
                release_reads(s, call.company_id, session_id=call.session_id,
                              reason="session closed before this request was sent")
                advanced = advance_completed(s, call.company_id, call.session_id, now)
                state = SessionState.CLOSED
                if call.responses_received:
                    request_sync(s, call.company_id, call.session_id, now)
            release_lease(s, call.company_id, call.session_id)
            summary = session_summary(s, call.company_name, call.session_id, state,
                                      call.last_error, advanced)
            s.connection().execute(_CLOSED, {"session": call.session_id, "state": state,
                                             "now": now, "summary": summary})
        log.info("company %s: session %s closed: %s", call.company_name, ticket_prefix(ticket),
                 summary)
        return summary

    # -- helpers -----------------------------------------------------------------------------
    def _session(self, s: Session, ticket: str) -> QbwcSession | None:
        if not ticket:
            return None
        return s.exec(select(QbwcSession)
                      .where(QbwcSession.ticket_hash == hash_ticket(ticket))).first()

    def _touch(self, s: Session, ticket: str, now: datetime, *,
               seen: bool = True) -> _Call | None:
        """The ticket's session, touched (its lease extended); an idle session expires here.

        Read and touched with Core statements: most calls never need the rows as objects.
        ``seen=False``: the caller sets ``last_seen_at`` itself, in the UPDATE that ends it."""
        found = s.connection().execute(_CALL, {"ticket": hash_ticket(ticket)}).first() \
            if ticket else None
        if found is None:
            log.warning("QBWC call with unknown ticket %s", ticket_prefix(ticket))
            return None
        call = _Call(*found[:8])
        if call.state != SessionState.OPEN:
            return call
        if now - found.last_seen_at > self.settings.ticket_idle:
            reason = (f"ml-connector: the ticket expired after "
                      f"{self.settings.ticket_idle_minutes} idle minutes")
            self._stop(s, *self._rows(s, call), reason, now, state=SessionState.EXPIRED)
            return replace(call, state=SessionState.EXPIRED, last_error=reason)
        conn = s.connection()
        if seen:
            conn.execute(_SEEN, {"session": call.session_id, "now": now})
        until = now + self.settings.ticket_idle
        # The lease is renewed once a tenth of it has run, not on every call: a session's
        # calls come milliseconds apart, and this UPDATE was one of the few statements each
        # of them ran. The lease still reaches at least 9/10 of ``ticket_idle`` (27 min by
        # default) past the last call, far beyond the QBWC request timeout after which a
        # silent session may be taken over (``login._silent_holder``).
        if (found.live_session_id == call.session_id
                and (found.live_until is None
                     or found.live_until < until - self.settings.ticket_idle / 10)):
            conn.execute(_EXTEND, {"company": call.company_id, "session": call.session_id,
                                   "until": until})
        return call

    @staticmethod
    def _rows(s: Session, call: _Call) -> tuple[QbwcSession, Company]:
        return (require_row(s, QbwcSession, call.session_id),
                require_row(s, Company, call.company_id))

    def _resolve(self, s: Session, ticket: str,
                 now: datetime) -> tuple[QbwcSession, Company] | None:
        """The ticket's session and company as rows, touched (``_touch``)."""
        call = self._touch(s, ticket, now)
        return None if call is None else self._rows(s, call)

    def _check_environment(self, company: Company, session: QbwcSession, company_file: str,
                           major: int, minor: int) -> str | None:
        session.company_file = company_file
        session.qbxml_version = f"{major}.{minor}"
        company.last_company_file_seen = company_file
        problem = path_problem(company, company_file)
        if problem:
            company.last_file_matched = False
            return problem
        if major and major < MIN_QBXML_MAJOR:
            return (f"ml-connector: this QuickBooks supports qbXML {major}.{minor}; ml-connector "
                    f"needs qbXML {MIN_QBXML_MAJOR}.0 (QuickBooks Desktop 2014 or later).")
        return None

    def _stop(self, s: Session, session: QbwcSession, company: Company, reason: str, now: datetime,
              *, state: str = SessionState.ERROR) -> None:
        log.warning("company %s: session stopped: %s", company.name, clip(reason, 400))
        session.state, session.last_error, session.ended_at = state, reason, now
        release_reads(s, company.id or 0, session_id=session.id,
                      reason=f"session stopped: {reason}")
        release_lease(s, company.id or 0, session.id or 0)

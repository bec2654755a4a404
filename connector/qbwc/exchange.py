"""``receiveResponseXML``: store what QuickBooks answered, continue iterators, judge the result."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from connector.qbwc.customer_add import link_added_customer
from connector.qbwc.identity import confirm_company
from connector.qbwc.payments import follow_payments
from connector.qbwc.queue import Request, enqueue_all
from connector.qbwc.release import restart_standing
from connector.qbwc.writeback import acknowledge_write, queue_refresh
from connector.qbxml import builders
from connector.qbxml.parse import QbxmlParseError, read_statuses
from connector.qbxml.status import ResponseStatus, StatusKind
from connector.store import (
    Company,
    QbwcSession,
    QueuedRequest,
    RawResponse,
    RequestKind,
    RequestState,
)
from connector.store.rows import require_row

__all__ = ["Verdict", "record_response"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    """What one response means for the session: ``stop`` carries the reason to end it early."""

    ok: bool
    stop: str | None = None


def _ours(status: ResponseStatus, row: QueuedRequest) -> bool:
    """Whether ``status`` answers ``row``: its requestID, and an Rs of an Rq the row sent
    (``row.qbxml`` is ours, built by the builders)."""
    return (status.request_id == str(row.id)
            and f"<{status.rs_name.removesuffix('Rs')}Rq" in row.qbxml)


def _own_status(statuses: list[ResponseStatus]) -> ResponseStatus:
    ranked = sorted(
        statuses,
        key=lambda st: (st.status_severity.lower() != "error", st.status_code == 0),
    )
    return ranked[0]


def _foreign(statuses: list[ResponseStatus], row: QueuedRequest) -> str | None:
    """Why an answer is not to the request outstanding, or None: QuickBooks answers exactly
    the Rq elements it was sent, each under its requestID. Anything else (a replayed answer,
    one to another request, records of another entity) would be synced as if asked for, and
    would move that request's watermark over records never read."""
    others = [st for st in statuses if not _ours(st, row)]
    if not others:
        return None
    named = ", ".join(f"{st.rs_name} requestID {st.request_id or '(none)'}" for st in others[:3])
    return (f"ml-connector: the answer to request {row.id} ({row.entity}) holds {named}, which "
            "no request of this session asked for; nothing of it is synced, and the next "
            "session reads again")


_STORE = insert(RawResponse)


def _store(s: Session, row: QueuedRequest, session_id: int, body: str, now: datetime, *,
           status: ResponseStatus | None = None, hresult: str | None = None,
           message: str | None = None, inert: bool = False) -> None:
    """``inert``: kept to show what arrived, never synced (marked processed at once)."""
    # A Core insert on the session's connection: nothing reads the stored answer back in this
    # transaction, and an ORM object would cost a unit-of-work flush on every response.
    s.connection().execute(_STORE, {
        "request_id": row.id or 0, "company_id": row.company_id, "session_id": session_id,
        "entity": row.entity, "received_at": now, "body": body, "hresult": hresult or None,
        "status_code": status.status_code if status else None,
        "status_severity": status.status_severity if status else None,
        "status_message": status.status_message if status else message,
        "iterator_remaining": status.iterator_remaining if status else None,
        "record_count": status.ret_count if status else 0,
        # The file check carries nothing to sync; the flows only see entity reads and writes.
        "processed_at": now if inert or row.kind == RequestKind.CHECK else None,
    })


def _continue(s: Session, row: QueuedRequest, status: ResponseStatus) -> None:
    remaining = status.iterator_remaining or 0
    page_size = max(status.ret_count, 1)
    enqueue_all(s, row.company_id, [Request(
        kind=RequestKind(row.kind),
        entity=row.entity,
        seq=row.seq,
        session_id=row.session_id,
        root_id=row.root_id,
        page=row.page + 1,
        pages_after=max(math.ceil(remaining / page_size) - 1, 0),
        watermark_key=row.watermark_key,
        watermark_to=row.watermark_to,
        standing=row.standing,
        build=lambda rid: builders.continue_iterator(
            row.qbxml, iterator_id=status.iterator_id or "", request_id=rid
        ),
    )])


_SETTLE = (update(QueuedRequest).where(col(QueuedRequest.id) == bindparam("request"))
           .values(state=bindparam("state"), answered_at=bindparam("at"),
                   error=bindparam("error")))


def _settle(s: Session, row: QueuedRequest, now: datetime, state: RequestState,
            error: str | None) -> None:
    """The answered row's new state, written at once with a Core update and set on the object
    as already stored: a unit-of-work flush of one changed row cost more than the rest of the
    call's statements together."""
    s.connection().execute(_SETTLE, {"request": row.id, "state": state, "at": now,
                                     "error": error})
    for name, value in (("state", state), ("answered_at", now), ("error", error)):
        set_committed_value(row, name, value)


def _fail(s: Session, row: QueuedRequest, now: datetime, error: str) -> None:
    _settle(s, row, now, RequestState.FAILED, error)


def record_response(s: Session, row: QueuedRequest, session_id: int, response: str, hresult: str,
                    message: str, now: datetime) -> Verdict:
    verdict = _judge(s, row, session_id, response, hresult, message, now)
    if row.kind == RequestKind.CHECK and not verdict.ok and verdict.stop is None:
        # The file check is the first request of every session: a check without an answer
        # leaves only the path to vouch for the file, before anything else is sent.
        wrong = confirm_company(require_row(s, Company, row.company_id),
                                require_row(s, QbwcSession, session_id), response,
                                failure=row.error or "no answer")
        if wrong:
            return Verdict(ok=False, stop=wrong)
    return verdict


def _judge(s: Session, row: QueuedRequest, session_id: int, response: str, hresult: str,
           message: str, now: datetime) -> Verdict:
    if hresult:
        # QuickBooks refused the request itself (e.g. 0x80040400: it could not parse our XML).
        _store(s, row, session_id, response or "", now, hresult=hresult, message=message)
        _fail(s, row, now, f"QuickBooks error {hresult}: {message}")
        return Verdict(ok=False)
    try:
        statuses = read_statuses(response)
    except QbxmlParseError as exc:
        _store(s, row, session_id, response, now, message=str(exc))
        _fail(s, row, now, f"unreadable response: {exc}")
        return Verdict(ok=False)
    if not statuses:
        _store(s, row, session_id, response, now, message="response holds no *Rs element")
        _fail(s, row, now, "response holds no *Rs element")
        return Verdict(ok=False)
    foreign = _foreign(statuses, row)
    if foreign:
        _store(s, row, session_id, response, now, message=foreign, inert=True)
        _fail(s, row, now, foreign)
        return Verdict(ok=False, stop=foreign)
    status = _own_status(statuses)
    _store(s, row, session_id, response, now, status=status)
    kind = status.kind
    if kind in (StatusKind.OK, StatusKind.NO_MATCH, StatusKind.WARNING):
        _settle(s, row, now, RequestState.ANSWERED, row.error)
        if row.kind == RequestKind.WRITE:
            acknowledge_write(s, row, response, now)
            link_added_customer(s, row, response, now)
        if row.kind == RequestKind.CHECK:
            # The file check is the first request of every session: nothing else was sent yet.
            wrong = confirm_company(require_row(s, Company, row.company_id),
                                    require_row(s, QbwcSession, session_id), response)
            if wrong:
                return Verdict(ok=True, stop=wrong)
        if status.iterator_remaining and status.iterator_id:
            _continue(s, row, status)
        follow_payments(s, row, response)
        return Verdict(ok=True)
    error = f"{status.rs_name} status {status.status_code}: {status.status_message}"
    _fail(s, row, now, error)
    if kind is StatusKind.STALE and row.kind == RequestKind.WRITE:
        queue_refresh(s, row)
    if kind is StatusKind.RETRIABLE:
        # A locked or busy company file fails every following request too: stop and retry later.
        # A planned read is planned again; a standing one (no session plans it) is queued again.
        if row.standing:
            root = require_row(s, QueuedRequest, row.root_id or row.id)
            restart_standing(s, root, [], reason=f"QuickBooks was busy ({error})")
        return Verdict(ok=False, stop=f"QuickBooks is busy ({error}); the next poll will retry")
    return Verdict(ok=False)

"""Follow queued write-backs to QuickBooks' answer: applied, stale (re-apply), or failed."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from connector.audit import AuditRecorder, short_value
from connector.mapping.keys import ACCOUNT as ACCOUNT_KIND
from connector.mapping.keys import CONTACT, LinkKind
from connector.qbwc.clock_offset import true_time
from connector.qbwc.writeback import queue_refresh
from connector.qbxml.models import Customer, Invoice
from connector.qbxml.status import STATUS_CODES, StatusKind, classify
from connector.store import (
    Company,
    QbwcSession,
    QueuedRequest,
    RawResponse,
    RecordLink,
    RequestKind,
    RequestState,
    SessionState,
    WriteBack,
    WriteBackState,
)
from connector.store.rows import require_row
from connector.sync.invoice_mods import invoice_lines_mod, send_invoice_mod
from connector.sync.qb_state import customer_in_response, invoice_in_response
from connector.sync.write_backs import CUSTOMER_MOD, TXN_VOID, send_mod
from connector.sync.zoho_changes import QBD, ZOHO
from connector.sync.zoho_fields import current_values, hashes, same
from connector.zoho.invoices import INVOICED_ITEMS

__all__ = ["settle_write_backs"]

log = logging.getLogger(__name__)

_LINK_OF_MODULE: dict[str, LinkKind] = {"Accounts": ACCOUNT_KIND, "Contacts": CONTACT}
_WAITING = (RequestState.PENDING, RequestState.SENT)


def _answer(s: Session, request_id: int | None) -> RawResponse | None:
    return s.exec(select(RawResponse).where(RawResponse.request_id == request_id)
                  .order_by(col(RawResponse.id).desc()).limit(1)).first()


def _event(audit: AuditRecorder, row: WriteBack, action: str, **kw: Any) -> None:
    audit.event(action, qb_type=row.qb_type, qb_id=row.qb_id, zoho_module=row.zoho_module,
                zoho_id=row.zoho_id, **kw)


def _fail(audit: AuditRecorder, row: WriteBack, now: datetime, code: str | int | None,
          message: str) -> None:
    row.state, row.updated_at = WriteBackState.FAILED, now
    row.error_code, row.error_message = (str(code) if code is not None else None), message
    audit.count("failed")
    _event(audit, row, "failed", error_code=code, error_message=message)
    log.warning("company %s: %s of %s %s failed: %s", row.company_id, row.action, row.qb_type,
                row.qb_id, message)


def _zoho_fields(row: WriteBack) -> list[str]:
    return sorted({f for values in row.changes.get("zoho", {}).values() for f in values})


def _record_in(row: WriteBack, body: str) -> Customer | Invoice | None:
    """The record ``row`` writes, as one stored response shows it."""
    if row.action == CUSTOMER_MOD:
        return customer_in_response(body, row.qb_id)
    return invoice_in_response(body, row.qb_id)


def _applied(s: Session, audit: AuditRecorder, row: WriteBack, answer: RawResponse | None,
             now: datetime) -> None:
    row.state, row.updated_at = WriteBackState.APPLIED, now
    after = _record_in(row, answer.body) if answer else None
    # Zoho holds these values, and now QuickBooks does too: the links say so, so the next
    # notification for this record does not mistake them for fresh Zoho edits.
    new: dict[str, Any] = {}
    old: dict[str, Any] = {}
    for module, values in row.changes.get("zoho", {}).items():
        new.update(values)
        kind = _LINK_OF_MODULE.get(module)
        link = s.exec(select(RecordLink).where(RecordLink.company_id == row.company_id)
                      .where(RecordLink.qb_type == kind.qb_type)
                      .where(RecordLink.qb_id == row.qb_id)).first() if kind else None
        if link is not None:
            old.update({k: v for k, v in (link.field_values or {}).items() if k in values})
            link.field_hashes = {**(link.field_hashes or {}), **hashes(values, list(values))}
            link.field_values = {**(link.field_values or {}),
                                 **{k: short_value(v) for k, v in values.items()}}
    want = row.changes.get("want", {})
    deactivated = row.action == CUSTOMER_MOD and want.get("is_active") is False
    action = "voided" if row.action == TXN_VOID else "deactivated" if deactivated else "updated"
    audit.count("updated" if action == "updated" else "deleted")
    _event(audit, row, action, edit_sequence=after.edit_sequence if after else None,
           changed_fields=_zoho_fields(row), values=new, old_values=old)


def _refresh_lost(s: Session, refresh: QueuedRequest) -> bool:
    """A re-query that will never be answered: cancelled, or sent in a session that ended."""
    if refresh.state == RequestState.CANCELLED:
        return True
    if refresh.state != RequestState.SENT:
        return False
    session = s.get(QbwcSession, refresh.session_id) if refresh.session_id else None
    return session is None or session.state != SessionState.OPEN


def _reapply(s: Session, audit: AuditRecorder, row: WriteBack, fresh: Customer,
             now: datetime, observed: datetime | None = None) -> None:
    want: dict[str, Any] = row.changes.get("want", {})
    was: dict[str, Any] = row.changes.get("was", {})
    held = current_values(fresh, want)
    again: dict[str, Any] = {}
    for key, value in want.items():
        if same(held[key], value):
            continue
        if not same(held[key], was.get(key)):
            # QuickBooks' stamp on our clock (its offset measured per company), never raw.
            qb_at = true_time(s.get(Company, row.company_id), fresh.time_modified, observed)
            newer = row.zoho_modified_at is not None and row.zoho_modified_at > qb_at
            audit.count("conflicts")
            _event(audit, row, f"conflict_{ZOHO if newer else QBD}_won", changed_fields=[key],
                   edit_sequence=fresh.edit_sequence)
            if not newer:
                continue
        again[key] = value
    if not again:
        _applied(s, audit, row, None, now)
        return
    request = send_mod(s, row.company_id, row.qb_id, fresh.edit_sequence, again)
    row.changes = {**row.changes, "want": again, "was": {k: held[k] for k in again}}
    row.request_id, row.base_edit_sequence = request.id, fresh.edit_sequence
    row.state, row.attempts, row.updated_at = WriteBackState.QUEUED, row.attempts + 1, now
    _event(audit, row, "requeued", edit_sequence=fresh.edit_sequence, changed_fields=sorted(again))


def _reapply_lines(s: Session, audit: AuditRecorder, row: WriteBack, fresh: Invoice,
                   now: datetime) -> None:
    """The wanted line changes again, over the invoice as QuickBooks now holds it; a line
    QuickBooks removed meanwhile stays removed (its change is a conflict QuickBooks won)."""
    want: dict[str, Any] = row.changes.get("want", {})
    lines, gone = invoice_lines_mod(fresh, want)
    for line_id in gone:
        audit.count("conflicts")
        _event(audit, row, f"conflict_{QBD}_won", changed_fields=[INVOICED_ITEMS],
               edit_sequence=fresh.edit_sequence,
               error_message=f"QuickBooks removed line {line_id} meanwhile")
    if fresh.groups or not lines:
        _fail(audit, row, now, 3200, "the invoice changed in QuickBooks so that its lines "
              "cannot be amended as Zoho asked")
        return
    request = send_invoice_mod(s, row.company_id, row.qb_id, fresh.edit_sequence, lines)
    row.request_id, row.base_edit_sequence = request.id, fresh.edit_sequence
    row.state, row.attempts, row.updated_at = WriteBackState.QUEUED, row.attempts + 1, now
    _event(audit, row, "requeued", edit_sequence=fresh.edit_sequence,
           changed_fields=[INVOICED_ITEMS])


def _stale(s: Session, audit: AuditRecorder, row: WriteBack, max_attempts: int,
           now: datetime) -> None:
    refresh = s.get(QueuedRequest, row.refresh_request_id) if row.refresh_request_id else None
    if refresh is None or _refresh_lost(s, refresh):
        requeued = queue_refresh(s, require_row(s, QueuedRequest, row.request_id))
        row.refresh_request_id = requeued.id if requeued else None
        return
    if refresh.state in _WAITING:
        return
    answer = _answer(s, refresh.id)
    fresh = _record_in(row, answer.body) if answer else None
    what = "customer" if row.action == CUSTOMER_MOD else "invoice"
    if fresh is None:
        _fail(audit, row, now, answer.status_code if answer else None,
              f"QuickBooks no longer has {what} {row.qb_id}")
    elif row.attempts >= max_attempts:
        _fail(audit, row, now, 3200, f"the {what} kept changing in QuickBooks; gave up after "
              f"{row.attempts} attempts")
    elif isinstance(fresh, Invoice):
        _reapply_lines(s, audit, row, fresh, now)
    else:
        _reapply(s, audit, row, fresh, now, answer.received_at if answer else None)


def _queued(s: Session, audit: AuditRecorder, row: WriteBack, now: datetime) -> None:
    request = s.get(QueuedRequest, row.request_id)
    if request is None or request.state in _WAITING:
        return
    answer = _answer(s, row.request_id)
    if request.state == RequestState.ANSWERED:
        _applied(s, audit, row, answer, now)
        return
    code = answer.status_code if answer else None
    if code is not None and classify(code) is StatusKind.STALE and row.action != TXN_VOID:
        row.state, row.updated_at = WriteBackState.STALE, now
        row.refresh_request_id = s.exec(
            select(QueuedRequest.id)
            .where(QueuedRequest.company_id == row.company_id)
            .where(QueuedRequest.kind == RequestKind.REFRESH)
            .where(QueuedRequest.record_ref == row.qb_id)
            .where(col(QueuedRequest.id) > request.id)
            .order_by(col(QueuedRequest.id))
            .limit(1)
        ).first()
        return
    meaning = STATUS_CODES.get(code, (None, ""))[1] if code is not None else ""
    message = (answer.status_message if answer and answer.status_message else request.error) \
        or meaning or "QuickBooks refused the change"
    _fail(audit, row, now, code if code is not None else answer.hresult if answer else None,
          message)


def settle_write_backs(s: Session, audit: AuditRecorder, *, company_id: int | None,
                       max_attempts: int, now: datetime) -> None:
    """Move every open write-back on by what QuickBooks answered since the last run."""
    query = select(WriteBack).where(col(WriteBack.state).in_([WriteBackState.QUEUED,
                                                               WriteBackState.STALE]))
    if company_id is not None:
        query = query.where(WriteBack.company_id == company_id)
    for row in s.exec(query.order_by(col(WriteBack.id))).all():
        if row.state == WriteBackState.QUEUED:
            _queued(s, audit, row, now)
        if row.state == WriteBackState.STALE:
            _stale(s, audit, row, max_attempts, now)

"""Payments read in a session, and the invoices they make paid (or unpaid) read again.

Intuit does not document that applying a payment moves the invoice's TimeModified, so the
invoice delta read cannot be trusted to see an invoice turn paid. Instead every session reads
the payments changed since its watermark (and the deleted ones), and for each payment queues
an InvoiceQuery by TxnID of the invoices it applies to — now and when last read, since a
payment moved to other invoices or deleted leaves the old ones unpaid. Those re-reads belong
to the payment (or deletion) read: its watermark moves only once they are answered too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlmodel import Session, col, delete, select

from connector.qbwc.queue import Band, Request, enqueue_all
from connector.qbxml.builders import invoice_query_by_ids
from connector.qbxml.document import QbxmlRequest
from connector.qbxml.models import DeletedTxnRecord, Payment
from connector.qbxml.parse import QbxmlParseError, ResponseStream
from connector.store import PaymentApplication, QueuedRequest, RequestKind

__all__ = ["PAYMENT_ENTITY", "APPLIED_INVOICE_ENTITY", "TXN_DELETED_ENTITY", "follow_payments",
           "RE_READ_BATCH"]

log = logging.getLogger(__name__)

PAYMENT_ENTITY = "ReceivePayment"
TXN_DELETED_ENTITY = "TxnDeleted"
# The entity of the invoice re-reads: the sync reads them as invoices whose EditSequence may
# not have moved (a payment need not change it), so it compares their content instead.
APPLIED_INVOICE_ENTITY = "AppliedInvoice"
# TxnIDs per InvoiceQuery: one answer stays well inside QBWC's time per request.
RE_READ_BATCH = 50
# After every planned read (connector.qbwc.planner.READ_PLAN has fewer entries than this),
# before backfill reads (connector.sync.backfill.BACKFILL_SEQ).
_RE_READ_SEQ = Band.QUERY + 40


def _applications(s: Session, company_id: int, payment_ids: list[str]) -> set[str]:
    if not payment_ids:
        return set()
    rows = s.exec(select(PaymentApplication.invoice_id)
                  .where(PaymentApplication.company_id == company_id)
                  .where(col(PaymentApplication.payment_id).in_(payment_ids))).all()
    return set(rows)


def _remember(s: Session, company_id: int, payment: Payment) -> None:
    s.exec(delete(PaymentApplication)
           .where(col(PaymentApplication.company_id) == company_id)
           .where(col(PaymentApplication.payment_id) == payment.txn_id))
    for invoice_id in dict.fromkeys(payment.invoice_ids):
        s.add(PaymentApplication(company_id=company_id, payment_id=payment.txn_id,
                                 invoice_id=invoice_id))


def _invoices_touched(s: Session, row: QueuedRequest, response: str) -> set[str]:
    payments: list[Payment] = []
    deleted: list[str] = []
    try:
        for record in ResponseStream(response, strict=False):
            if isinstance(record, Payment):
                payments.append(record)
            elif isinstance(record, DeletedTxnRecord) and record.txn_del_type == PAYMENT_ENTITY:
                deleted.append(record.txn_id)
    except QbxmlParseError as exc:
        # The sync records the unreadable response; the payments read before it still count.
        log.warning("company %s: payments in response to request %s could not all be read: %s",
                    row.company_id, row.id, exc)
    wanted = _applications(s, row.company_id, [p.txn_id for p in payments] + deleted)
    for payment in payments:
        wanted.update(payment.invoice_ids)
        _remember(s, row.company_id, payment)
    return wanted


def _re_read(txn_ids: list[str]) -> Callable[[str], QbxmlRequest]:
    return lambda request_id: invoice_query_by_ids(request_id, txn_ids)


def follow_payments(s: Session, row: QueuedRequest, response: str) -> int:
    """After a payment read (or a deletion read) was answered: queue the re-reads of the
    invoices its payments apply or applied to; returns how many requests were queued."""
    if row.kind != RequestKind.QUERY or row.entity not in (PAYMENT_ENTITY, TXN_DELETED_ENTITY):
        return 0
    wanted = sorted(_invoices_touched(s, row, response))
    batches = [wanted[i:i + RE_READ_BATCH] for i in range(0, len(wanted), RE_READ_BATCH)]
    enqueue_all(s, row.company_id, [
        Request(kind=RequestKind.QUERY, entity=APPLIED_INVOICE_ENTITY, seq=_RE_READ_SEQ,
                session_id=row.session_id, root_id=row.root_id or row.id, page=row.page,
                watermark_key=row.watermark_key, watermark_to=row.watermark_to,
                standing=row.standing, build=_re_read(batch))
        for batch in batches])
    if batches:
        log.info("company %s: %d invoice(s) a payment touched are read again",
                 row.company_id, len(wanted))
    return len(batches)

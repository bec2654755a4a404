"""Invoice lines both ways (opt-in): a Zoho Invoice's row edits become an ``InvoiceMod``.

What the salesperson changed (``invoice_lines.diff_lines``) is kept as the wanted change of a
``WriteBack``: per QuickBooks line (TxnLineID) its new quantity, rate or description, the
lines to remove, and the lines to add (with the QuickBooks item of their Zoho product). The
InvoiceMod is built from it over the invoice as QuickBooks last showed it: QuickBooks deletes
every line an InvoiceMod leaves out, so every line kept is named by its TxnLineID, changed or
not; added lines go as TxnLineID -1. When QuickBooks refuses the Mod as stale (3200), the
invoice is read again and the same wanted change is built over the fresh lines.

A change that cannot go to QuickBooks whole (an added row whose product has no QuickBooks
item, a row whose only change is its discount or tax, an invoice with group lines or in a
foreign currency, an earlier change still with QuickBooks) is not half-applied: the caller
restores the rows and raises the reason for review.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from connector.mapping.keys import PRODUCT
from connector.mapping.payload import field_hashes
from connector.qbwc.queue import Band, enqueue
from connector.qbxml.inputs import InvoiceLineChange
from connector.qbxml.models import Invoice, Ref
from connector.qbxml.writes import NEW_LINE, invoice_mod
from connector.store import (
    QueuedRequest,
    RecordLink,
    RequestKind,
    WriteBack,
    WriteBackState,
    WrittenInvoiceLines,
)
from connector.store.rows import require_id
from connector.sync.line_edits import LineEdit
from connector.sync.qb_state import latest_invoices
from connector.sync.write_backs import withdraw
from connector.zoho.invoices import INVOICED_ITEMS

__all__ = ["INVOICE_MOD", "Refused", "queue_line_edit", "invoice_lines_mod", "send_invoice_mod"]

INVOICE_MOD = "InvoiceMod"
# Write-backs that still stand for what Zoho holds (not failed, not replaced).
_STANDING = (WriteBackState.QUEUED, WriteBackState.STALE, WriteBackState.APPLIED)


@dataclass(frozen=True)
class Refused:
    """Why a Zoho line edit cannot go to QuickBooks whole."""

    reason: str


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _item_of(s: Session, company_id: int, product_id: str) -> str | None:
    link = s.exec(select(RecordLink).where(RecordLink.company_id == company_id)
                  .where(RecordLink.qb_type == PRODUCT.qb_type)
                  .where(RecordLink.zoho_id == product_id)
                  .where(col(RecordLink.deleted).is_(False))).first()
    return link.qb_id if link is not None else None


def _wanted(s: Session, edit: LineEdit) -> dict[str, Any] | Refused:
    edits: dict[str, dict[str, str | None]] = {}
    for was, seen in edit.diff.edited:
        change: dict[str, str | None] = {}
        if seen.row.quantity != was.row.quantity:
            change["quantity"] = _text(seen.row.quantity)
        if seen.row.list_price != was.row.list_price:
            change["rate"] = _text(seen.row.list_price)
        if (seen.row.description or None) != (was.row.description or None):
            change["desc"] = seen.row.description or ""
        if not change:
            return Refused(f"the {was.item_name} row's discount or tax was changed, and "
                           "QuickBooks keeps discounts as lines of their own and works out tax "
                           "itself")
        edits[was.txn_line_id] = change
    added = []
    for seen in edit.diff.added:
        item = _item_of(s, edit.link.company_id, seen.row.product_id)
        if item is None:
            return Refused(f"the added row's product {seen.product_name or seen.row.product_id} "
                           "has no QuickBooks item, so the line cannot be added in QuickBooks "
                           "(create the item there first)")
        added.append({"item": item, "quantity": _text(seen.row.quantity),
                      "rate": _text(seen.row.list_price), "desc": seen.row.description})
    return {"edit": edits, "remove": [w.txn_line_id for w in edit.diff.removed], "add": added}


def invoice_lines_mod(invoice: Invoice, want: dict[str, Any]
                      ) -> tuple[list[InvoiceLineChange], list[str]]:
    """The InvoiceMod lines that make ``invoice`` (as QuickBooks holds it) what ``want``
    says, and the TxnLineIDs ``want`` names that the invoice no longer has."""
    edits: dict[str, dict[str, Any]] = want.get("edit", {})
    removed = set(want.get("remove", []))
    lines: list[InvoiceLineChange] = []
    for line in invoice.lines:
        if line.txn_line_id in removed:
            continue
        change = edits.get(line.txn_line_id, {})
        lines.append(InvoiceLineChange(
            txn_line_id=line.txn_line_id, desc=change.get("desc"),
            quantity=Decimal(change["quantity"]) if "quantity" in change else None,
            rate=Decimal(change["rate"]) if "rate" in change else None))
    lines += [InvoiceLineChange(txn_line_id=NEW_LINE, item=Ref(list_id=a["item"]), desc=a["desc"],
                                quantity=Decimal(a["quantity"]), rate=Decimal(a["rate"]))
              for a in want.get("add", [])]
    have = {line.txn_line_id for line in invoice.lines}
    gone = [i for i in [*edits, *removed] if i not in have]
    return lines, gone


def send_invoice_mod(s: Session, company_id: int, txn_id: str, edit_sequence: str,
                     lines: Sequence[InvoiceLineChange]) -> QueuedRequest:
    return enqueue(s, company_id, kind=RequestKind.WRITE, entity="Invoice", seq=Band.WRITE,
                   record_ref=txn_id,
                   build=lambda rid: invoice_mod(rid, txn_id, edit_sequence, lines))


def _seen_hash(edit: LineEdit) -> str:
    return field_hashes({INVOICED_ITEMS: [r.row.to_zoho() for r in edit.seen]})[INVOICED_ITEMS]


def _since_written(s: Session, edit: LineEdit) -> list[WriteBack]:
    """The InvoiceMods of this invoice made since the sync last wrote its rows to Zoho: each
    was built against those rows, and none has come back as QuickBooks' lines yet."""
    written = s.get(WrittenInvoiceLines, (edit.link.company_id, edit.link.qb_id))
    rows = s.exec(select(WriteBack).where(WriteBack.link_id == require_id(edit.link))
                  .where(WriteBack.action == INVOICE_MOD)
                  .where(col(WriteBack.state).in_(_STANDING))).all()
    return [r for r in rows if written is None or r.created_at >= written.written_at]


def queue_line_edit(s: Session, edit: LineEdit, now: datetime) -> WriteBack | Refused | None:
    """Queue the InvoiceMod for ``edit`` (None: these rows are on their way already)."""
    link = edit.link
    seen = _seen_hash(edit)
    earlier = _since_written(s, edit)
    if any(r.changes.get("seen") == seen for r in earlier):
        return None  # a repeated notification, or the echo of rows already on their way
    # An earlier change not handed to QuickBooks yet is replaced (this one holds it too: both
    # are measured against the same written rows); one QuickBooks has or may have applied is
    # not, since building this one over it would apply its added lines twice.
    for row in earlier:
        if row.state == WriteBackState.QUEUED and withdraw(s, row.request_id):
            row.state, row.updated_at = WriteBackState.SUPERSEDED, now
    if any(r.state != WriteBackState.SUPERSEDED for r in earlier):
        return Refused("an earlier change of these lines is on its way to QuickBooks; once the "
                       "Zoho Invoice shows QuickBooks' lines again, make this change again")
    invoice = latest_invoices(s, link.company_id, [link.qb_id]).get(link.qb_id)
    if invoice is None:
        return Refused("QuickBooks' invoice is not known here yet")
    if invoice.groups:
        return Refused("the invoice has group lines, which the connector does not change")
    if invoice.exchange_rate not in (None, Decimal(1)):
        # Its Zoho prices may be home-currency conversions (an org without multi-currency):
        # sent back as rates they would bill another amount.
        currency = invoice.currency.full_name if invoice.currency else "a foreign currency"
        return Refused(f"the invoice is in {currency}, whose prices the connector does not "
                       "take back from Zoho")
    want = _wanted(s, edit)
    if isinstance(want, Refused):
        return want
    lines, gone = invoice_lines_mod(invoice, want)
    if gone:
        return Refused("QuickBooks changed the invoice's lines since they were written to Zoho")
    request = send_invoice_mod(s, link.company_id, link.qb_id, invoice.edit_sequence, lines)
    row = WriteBack(company_id=link.company_id, link_id=require_id(link), action=INVOICE_MOD,
                    qb_type=link.qb_type, qb_id=link.qb_id, zoho_module=link.zoho_module,
                    zoho_id=edit.zoho_id, request_id=request.id,
                    base_edit_sequence=invoice.edit_sequence, created_at=now, updated_at=now,
                    changes={"want": want, "seen": seen,
                             "zoho": {link.zoho_module: {INVOICED_ITEMS: edit.zoho_text()}}})
    s.add(row)
    s.flush()
    return row

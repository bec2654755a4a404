"""QuickBooks owns money, lines included: a Zoho Invoice's rows edited there are put back.

A salesperson who changes a row's quantity, price or description on a Zoho Invoice, adds a
row or removes one, changes what the invoice bills; QuickBooks still bills what it has. Under
the default money policy the rows the sync last wrote go back onto the Zoho Invoice, the
change is recorded as a conflict won by QuickBooks with both sides' rows, and a review item
tells the office what sales asked for. The same happens under the opt-in "invoice lines both
ways" when the change cannot go to QuickBooks whole (the review item says why).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from connector.audit import AuditRecorder
from connector.mapping.lines import WrittenLine
from connector.reviews import open_review
from connector.store import Database, RecordLink
from connector.sync.invoice_lines import LineDiff, SeenRow, diff_lines, rows_text, seen_rows
from connector.zoho.client import ZohoClient
from connector.zoho.invoices import INVOICED_ITEMS
from connector.zoho.records import RecordFailed

__all__ = ["LineEdit", "line_edit", "restore_lines", "DEAL_TYPE"]

# Review items of an invoice share the Deal's (QuickBooks type "Invoice"): one item per
# invoice says everything sales changed on it.
DEAL_TYPE = "Invoice"


@dataclass(frozen=True)
class LineEdit:
    """A linked Zoho Invoice whose rows are no longer the ones the sync wrote."""

    link: RecordLink
    zoho_id: str
    label: str | None
    written: list[WrittenLine]
    seen: list[SeenRow]
    diff: LineDiff

    def zoho_text(self) -> str:
        return rows_text((r.row, r.product_name) for r in self.seen)

    def qb_text(self) -> str:
        return rows_text((w.row, w.item_name) for w in self.written)

    def what(self) -> str:
        """``2 rows edited, 1 added``: the shape of the change."""
        parts = [f"{len(rows)} row{'s' if len(rows) > 1 else ''} {verb}"
                 for rows, verb in ((self.diff.edited, "edited"), (self.diff.added, "added"),
                                    (self.diff.removed, "removed")) if rows]
        return ", ".join(parts)


def line_edit(link: RecordLink, zoho_id: str, record: Mapping[str, Any],
              written: Sequence[WrittenLine] | None) -> LineEdit | None:
    """The edit of ``record``'s rows, if any; None when they are the written ones, or when
    nothing is known of what was written (an invoice last written before rows were kept)."""
    if written is None or INVOICED_ITEMS not in record:
        return None
    seen = seen_rows(record)
    diff = diff_lines(written, seen)
    if not diff:
        return None
    subject = record.get("Subject")
    return LineEdit(link, zoho_id, str(subject) if subject else None, list(written), seen, diff)


def _raise(s: Session, audit: AuditRecorder, edit: LineEdit, why: str, now: datetime) -> None:
    link = edit.link
    audit.count("conflicts")
    audit.event("conflict_qbd_won", qb_type=link.qb_type, qb_id=link.qb_id, qb_name=edit.label,
                edit_sequence=link.edit_sequence, zoho_module=link.zoho_module,
                zoho_id=edit.zoho_id, changed_fields=[INVOICED_ITEMS],
                values={INVOICED_ITEMS: f"Zoho {edit.zoho_text()} -> QuickBooks "
                                        f"{edit.qb_text()} (restored)"})
    open_review(s, company_id=link.company_id, qb_type=DEAL_TYPE, qb_id=link.qb_id,
                qb_name=edit.label, zoho_module=link.zoho_module, candidates=[edit.zoho_id],
                now=now, add_reason=True,
                reason=(f"sales changed the Zoho Invoice's lines ({edit.what()}): "
                        f"{edit.zoho_text()}; QuickBooks has {edit.qb_text()}; {why}, so "
                        "they were restored. If sales is right, change the invoice in "
                        "QuickBooks"))


def restore_lines(db: Database, client: ZohoClient, audit: AuditRecorder,
                  edits: Sequence[tuple[LineEdit, str]], now: datetime) -> None:
    """Write the rows the sync last wrote back onto each edited Zoho Invoice, record the
    conflict and raise it for review (``edits``: each with why it is not taken)."""
    if not edits:
        return
    results = client.update("Invoices", [
        {"id": e.zoho_id, INVOICED_ITEMS: [w.row.to_zoho() for w in e.written]}
        for e, _ in edits])
    with db.session() as s:
        for result in results:
            edit, why = edits[result.index]
            if isinstance(result, RecordFailed):
                audit.count("failed")
                audit.event("failed", qb_type=edit.link.qb_type, qb_id=edit.link.qb_id,
                            zoho_module=edit.link.zoho_module, zoho_id=edit.zoho_id,
                            changed_fields=[INVOICED_ITEMS], error_code=result.error.code,
                            error_message=f"QuickBooks' invoice lines could not be restored: "
                                          f"{result.error.message}")
            else:
                _raise(s, audit, edit, why, now)

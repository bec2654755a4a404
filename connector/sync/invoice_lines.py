"""A Zoho Invoice's rows against the rows the sync wrote: unchanged, edited, added, removed.

Zoho's ``Invoiced_Items`` rows carry no QuickBooks id, so the store keeps, per invoice, the
rows as last written with the QuickBooks line each came from (``WrittenInvoiceLines``). A
row Zoho shows is matched to a written one in two passes, in order: first one holding the
very same values (untouched), then one of the same product (edited: quantity, price or
description changed). Rows left over in Zoho were added there; written rows left over were
removed there. A row whose product was swapped for another is thus a removal plus an addition.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, col, select

from connector.mapping.lines import WrittenLine
from connector.store import WrittenInvoiceLines
from connector.zoho.invoices import INVOICED_ITEMS
from connector.zoho.invoices import InvoiceLine as ZohoLine

# Bound parameters per IN list, well inside SQLite's and PostgreSQL's limits.
_IN_BATCH = 500

__all__ = ["SeenRow", "LineDiff", "Written", "seen_rows", "diff_lines", "remember_written",
           "written_of", "rows_text"]


@dataclass(frozen=True)
class SeenRow:
    """One ``Invoiced_Items`` row as Zoho holds it now, reduced to what the sync writes."""

    row: ZohoLine
    product_name: str


@dataclass
class LineDiff:
    """How Zoho's rows differ from the written ones (each list in Zoho's order)."""

    edited: list[tuple[WrittenLine, SeenRow]] = field(default_factory=list)
    added: list[SeenRow] = field(default_factory=list)
    removed: list[WrittenLine] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.edited or self.added or self.removed)


def _amount(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        # Zoho answers numbers as JSON numbers; str() keeps the digits a float printed.
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _nonzero(value: Any) -> Decimal | None:
    amount = _amount(value)
    return amount if amount else None


def seen_rows(record: Mapping[str, Any]) -> list[SeenRow]:
    """The record's rows, shaped as the sync writes them (computed totals and the row ids
    left out; an absent discount, tax or description is None, as the sync writes it)."""
    out = []
    for raw in record.get(INVOICED_ITEMS) or []:
        if not isinstance(raw, Mapping):
            continue
        product = raw.get("Product_Name")
        product_id = str(product.get("id") or "") if isinstance(product, Mapping) else ""
        name = str(product.get("name") or "") if isinstance(product, Mapping) else ""
        description = raw.get("Description")
        out.append(SeenRow(ZohoLine(
            product_id=product_id, quantity=_amount(raw.get("Quantity")) or Decimal(0),
            list_price=_amount(raw.get("List_Price")) or Decimal(0),
            discount=_nonzero(raw.get("Discount")), tax=_nonzero(raw.get("Tax")),
            description=str(description) if description else None), name))
    return out


def _same(a: ZohoLine, b: ZohoLine) -> bool:
    return (a.product_id == b.product_id and a.quantity == b.quantity
            and a.list_price == b.list_price and (a.description or None) == (b.description or None)
            and (a.discount or None) == (b.discount or None) and (a.tax or None) == (b.tax or None))


def diff_lines(written: Sequence[WrittenLine], seen: Sequence[SeenRow]) -> LineDiff:
    free = list(written)
    pending: list[SeenRow] = []
    for row in seen:
        twin = next((w for w in free if _same(w.row, row.row)), None)
        if twin is None:
            pending.append(row)
        else:
            free.remove(twin)
    diff = LineDiff()
    for row in pending:
        was = next((w for w in free if w.row.product_id == row.row.product_id), None)
        if was is None:
            diff.added.append(row)
        else:
            free.remove(was)
            diff.edited.append((was, row))
    diff.removed = free
    return diff


def _row_text(row: ZohoLine, name: str) -> str:
    text = f"{name or row.product_id} x{row.quantity.normalize():f} @ {row.list_price:,.2f}"
    return f"{text} ({row.description})" if row.description else text


def rows_text(rows: Iterable[tuple[ZohoLine, str]]) -> str:
    """``Consulting x3 @ 100.00; Design x1 @ 50.00``: rows as a person reads them."""
    return "; ".join(_row_text(row, name) for row, name in rows) or "no lines"


@dataclass(frozen=True)
class Written:
    """The rows one Zoho Invoice now holds, as the sync wrote them for its QuickBooks invoice."""

    txn_id: str
    zoho_id: str
    edit_sequence: str | None
    lines: Sequence[WrittenLine]


def remember_written(s: Session, company_id: int, written: Sequence[Written],
                     now: datetime) -> None:
    """These Zoho Invoices now hold these rows: one statement for the rows known before and
    one for the new (Core statements: an ORM row per invoice cost more than the rest of its
    sync)."""
    # SQLModel sets __table__ on table models but does not declare it.
    table = WrittenInvoiceLines.__table__  # type: ignore[attr-defined]
    values = {w.txn_id: {"zoho_id": w.zoho_id, "edit_sequence": w.edit_sequence,
                         "rows": [line.to_json() for line in w.lines], "written_at": now}
              for w in written}
    wanted = sorted(values)
    known: set[str] = set()
    for start in range(0, len(wanted), _IN_BATCH):
        known.update(s.exec(select(WrittenInvoiceLines.txn_id)
                            .where(WrittenInvoiceLines.company_id == company_id)
                            .where(col(WrittenInvoiceLines.txn_id).in_(
                                wanted[start:start + _IN_BATCH]))).all())
    if known:
        s.connection().execute(
            update(table).where(table.c.company_id == company_id)
            .where(table.c.txn_id == bindparam("txn")),
            [{"txn": txn_id, **values[txn_id]} for txn_id in sorted(known)])
    fresh = [{"company_id": company_id, "txn_id": txn_id, **values[txn_id]}
             for txn_id in wanted if txn_id not in known]
    if fresh:
        s.connection().execute(insert(table), fresh)


def written_of(s: Session, company_id: int, txn_ids: Iterable[str]
               ) -> dict[str, list[WrittenLine]]:
    """The rows last written to the Zoho Invoices of these invoices (absent: none known)."""
    wanted = sorted(set(txn_ids))
    if not wanted:
        return {}
    rows = s.exec(select(WrittenInvoiceLines)
                  .where(WrittenInvoiceLines.company_id == company_id)
                  .where(col(WrittenInvoiceLines.txn_id).in_(wanted))).all()
    return {r.txn_id: [WrittenLine.from_json(d) for d in r.rows] for r in rows}

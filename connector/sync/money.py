"""QuickBooks owns money: a Zoho edit of a Deal's amount or a Product's price is put back.

The books are in QuickBooks, so a salesperson's change of an amount or a price in Zoho must
not quietly stand there while QuickBooks bills another number. When the Zoho -> QuickBooks run
sees such a field no longer holding what the sync last wrote (the link's field hash), it
writes QuickBooks' value back (the newest version QuickBooks told us of, mapped as the sync
maps it), records a conflict won by QuickBooks with both values, and opens a review item, so
the office sees what sales asked for and can change the invoice in QuickBooks if sales is
right. An echo of our own write holds the hashed value and is not an edit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session

from connector.audit import AuditRecorder, short_value
from connector.mapping.currency import OrgCurrency
from connector.mapping.deals import DealContext, deal_name, map_deal
from connector.mapping.keys import company_scope
from connector.mapping.payload import field_hashes
from connector.reviews import open_review
from connector.store import Company, Database, RecordLink
from connector.sync.qb_state import latest_invoices, latest_items
from connector.zoho.client import ZohoClient
from connector.zoho.records import RecordFailed, RecordSaved

__all__ = ["MONEY_FIELDS", "MoneyEdit", "money_edits", "restore_money"]

# Zoho module -> its fields that are money QuickBooks decides.
MONEY_FIELDS: dict[str, tuple[str, ...]] = {"Deals": ("Amount",), "Products": ("Unit_Price",)}


@dataclass(frozen=True)
class MoneyEdit:
    """A money field of one linked Zoho record that Zoho changed since the sync wrote it."""

    link: RecordLink
    module: str
    zoho_id: str
    field: str
    zoho_value: Decimal | None


def _amount(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        # Zoho answers numbers as JSON numbers; str() keeps the digits a float printed.
        return Decimal(str(value))
    except InvalidOperation:
        return None


def money_edits(module: str, zoho_id: str, record: dict[str, Any],
                link: RecordLink) -> list[MoneyEdit]:
    """The money fields of ``record`` that no longer hold what the sync last wrote."""
    baseline = link.field_hashes or {}
    out = []
    for name in MONEY_FIELDS.get(module, ()):
        if name not in record or name not in baseline:
            continue
        value = _amount(record.get(name))
        if field_hashes({name: value})[name] != baseline[name]:
            out.append(MoneyEdit(link, module, zoho_id, name, value))
    return out


def _qb_values(s: Session, client: ZohoClient, company: Company,
               edits: Sequence[MoneyEdit]) -> dict[tuple[str, str], tuple[str, Decimal | None]]:
    """(module, QuickBooks id) -> (record name, QuickBooks' value as the sync maps it)."""
    company_id = company.id or 0
    scope = company_scope(company.file_id)
    out: dict[tuple[str, str], tuple[str, Decimal | None]] = {}
    deals = [e.link.qb_id for e in edits if e.module == "Deals"]
    if deals:
        info = client.org()
        ctx = DealContext(scope, "", org=OrgCurrency(info.currency, info.multi_currency))
        for txn_id, invoice in latest_invoices(s, company_id, deals).items():
            out[("Deals", txn_id)] = (deal_name(invoice), map_deal(invoice, ctx).payload["Amount"])
    items = [e.link.qb_id for e in edits if e.module == "Products"]
    for list_id, item in latest_items(s, company_id, items).items():
        out[("Products", list_id)] = (item.full_name, item.price)
    return out


def _text(value: Decimal | None) -> str:
    return "empty" if value is None else f"{value:,.2f}"


def _restored(recorder: AuditRecorder, s: Session, link: RecordLink, edit: MoneyEdit,
              name: str, value: Decimal | None, now: datetime) -> None:
    recorder.count("conflicts")
    both = f"Zoho {_text(edit.zoho_value)} -> QuickBooks {_text(value)} (restored)"
    recorder.event("conflict_qbd_won", qb_type=link.qb_type, qb_id=link.qb_id, qb_name=name,
                   edit_sequence=link.edit_sequence, zoho_module=edit.module,
                   zoho_id=edit.zoho_id, changed_fields=[edit.field],
                   values={edit.field: both})
    what = "Deal" if edit.module == "Deals" else "Product"
    open_review(s, company_id=link.company_id, qb_type=link.qb_type, qb_id=link.qb_id,
                qb_name=name, zoho_module=edit.module, candidates=[edit.zoho_id], now=now,
                add_reason=True,
                reason=(f"sales set the {what}'s {edit.field} to {_text(edit.zoho_value)} in "
                        f"Zoho; QuickBooks has {_text(value)} and owns money, so it was "
                        "restored. If sales is right, change it in QuickBooks"))
    hashes = dict(link.field_hashes or {})
    hashes.update(field_hashes({edit.field: value}))
    link.field_hashes = hashes
    link.field_values = {**(link.field_values or {}), edit.field: short_value(value)}
    s.add(link)


def restore_money(db: Database, client: ZohoClient, audit: AuditRecorder,
                  edits: Sequence[MoneyEdit], companies: dict[int, Company],
                  now: datetime) -> None:
    """Put QuickBooks' value back into each edited money field, record the conflict, and
    raise it for review."""
    by_company: dict[int, list[MoneyEdit]] = defaultdict(list)
    for edit in edits:
        by_company[edit.link.company_id].append(edit)
    for company_id, mine in by_company.items():
        with db.session() as s:
            known = _qb_values(s, client, companies[company_id], mine)
        ready = [(e, known[(e.module, e.link.qb_id)]) for e in mine
                 if (e.module, e.link.qb_id) in known]
        for edit in mine:
            if (edit.module, edit.link.qb_id) not in known:
                audit.event("kept_qbd", qb_type=edit.link.qb_type, qb_id=edit.link.qb_id,
                            zoho_module=edit.module, zoho_id=edit.zoho_id,
                            changed_fields=[edit.field],
                            error_message="QuickBooks' value is not known here yet; restored "
                                          "when QuickBooks next changes the record")
        written: list[tuple[MoneyEdit, str, Decimal | None]] = []
        for module in MONEY_FIELDS:
            batch = [(e, name, value) for e, (name, value) in ready if e.module == module]
            if not batch:
                continue
            results = client.update(module, [{"id": e.zoho_id, e.field: value}
                                             for e, _, value in batch])
            written += [batch[r.index] for r in results if isinstance(r, RecordSaved)]
            for r in results:
                if isinstance(r, RecordFailed):
                    edit = batch[r.index][0]
                    audit.count("failed")
                    audit.event("failed", qb_type=edit.link.qb_type, qb_id=edit.link.qb_id,
                                zoho_module=module, zoho_id=edit.zoho_id,
                                changed_fields=[edit.field], error_code=r.error.code,
                                error_message=f"QuickBooks' {edit.field} could not be "
                                              f"restored: {r.error.message}")
        with db.session() as s:
            for edit, name, value in written:
                # The link as it is now: a QuickBooks -> Zoho run may have moved it since it
                # was read; only the restored field's hash and value change here.
                link = s.get(RecordLink, edit.link.id) if edit.link.id is not None else None
                if link is not None:
                    _restored(audit, s, link, edit, name, value, now)

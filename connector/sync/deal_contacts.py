"""A customer's primary Contact changed: its Deals (and Zoho Invoices) follow.

A Deal written before its customer had a Contact, or whose Contact was replaced (the old one
deleted in Zoho and written anew, a Contact adopted later), would keep pointing at the old one
until QuickBooks changes the invoice. So when a customer's Contact link moves to another Zoho
record, the Deals and Zoho Invoices of its Account that carry our key are pointed at the new
Contact at once. The new value goes into each Deal link's field hashes, so the Zoho -> QuickBooks
direction takes the resulting notification for our own echo.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import col, select

from connector.audit import short_value
from connector.mapping.keys import DEAL, INVOICE, LinkKind, parse_key
from connector.mapping.payload import field_hashes
from connector.store import RecordLink
from connector.sync.context import SyncContext
from connector.zoho.base import chunks
from connector.zoho.coql import COQL_MAX_IN, quote
from connector.zoho.fields import QBD_KEY
from connector.zoho.records import RecordFailed, RecordSaved

__all__ = ["CONTACT_FIELD", "repoint_contacts"]

CONTACT_FIELD = "Contact_Name"


def _ours(ctx: SyncContext, row: Mapping[str, Any]) -> str | None:
    """The TxnID of a record we wrote for this company (None: not ours)."""
    try:
        key = parse_key(str(row.get(QBD_KEY) or ""))
    except ValueError:
        return None
    return key.qb_id if key.scope == ctx.scope else None


def _lookup_id(value: Any) -> str | None:
    return str(value["id"]) if isinstance(value, dict) and value.get("id") else None


def _stale(ctx: SyncContext, kind: LinkKind,
           contacts: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(Zoho id, TxnID, new Contact id) of our records whose Contact is not the Account's."""
    found: list[tuple[str, str, str]] = []
    for batch in chunks(sorted(contacts), COQL_MAX_IN):
        where = f"Account_Name in ({', '.join(quote(a) for a in batch)})"
        for row in ctx.client.coql_all(kind.zoho_module,
                                       ["id", "Account_Name", CONTACT_FIELD, QBD_KEY], where):
            txn_id = _ours(ctx, row)
            account = _lookup_id(row.get("Account_Name"))
            want = contacts.get(account or "")
            if txn_id and want and _lookup_id(row.get(CONTACT_FIELD)) != want:
                found.append((str(row["id"]), txn_id, want))
    return found


def _remember(ctx: SyncContext, kind: LinkKind, written: Mapping[str, str]) -> None:
    """Our own write, in the links' field hashes; the content hash stays as it was, so the
    next read of the invoice writes the Deal once more, whole."""
    if not written:
        return
    with ctx.db.session() as s:
        for link in s.exec(select(RecordLink).where(RecordLink.company_id == ctx.company_id)
                           .where(RecordLink.qb_type == kind.qb_type)
                           .where(col(RecordLink.zoho_id).in_(list(written)))).all():
            value = {"id": written[link.zoho_id or ""]}
            hashes = dict(link.field_hashes or {})
            hashes.update(field_hashes({CONTACT_FIELD: value}))
            link.field_hashes = hashes
            link.field_values = {**(link.field_values or {}), CONTACT_FIELD: short_value(value)}
            s.add(link)


def repoint_contacts(ctx: SyncContext, contacts: Mapping[str, str]) -> None:
    """Point the Deals and Zoho Invoices of each Account (``contacts``: Account id -> its
    new primary Contact id) at that Contact."""
    if not contacts:
        return
    kinds = (DEAL, INVOICE) if ctx.has_invoices else (DEAL,)
    for kind in kinds:
        stale = _stale(ctx, kind, contacts)
        if not stale:
            continue
        results = ctx.client.update(kind.zoho_module, [
            {"id": zoho_id, CONTACT_FIELD: {"id": contact}} for zoho_id, _, contact in stale])
        written: dict[str, str] = {}
        for result in results:
            zoho_id, txn_id, contact = stale[result.index]
            if isinstance(result, RecordSaved):
                written[zoho_id] = contact
                ctx.journal.written(kind, txn_id, None, zoho_id, "updated", [CONTACT_FIELD],
                                    values={CONTACT_FIELD: {"id": contact}})
            elif isinstance(result, RecordFailed):
                ctx.journal.warning(kind, txn_id, None, zoho_id, str(result.error.code or "FAILED"),
                                    f"its Contact could not follow the customer's new primary "
                                    f"Contact: {result.error.message}")
        _remember(ctx, kind, written)

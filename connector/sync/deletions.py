"""Stage 4: deletions. Nothing is deleted in Zoho: the Account turns inactive, the Product
inactive, the Deal moves to the org's lost stage and the Zoho Invoice to its cancelled status
(when the org has one: else they stay as they are); jobs and contacts only forget."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connector.mapping.accounts import deactivated_account
from connector.mapping.deals import closed_deal
from connector.mapping.invoices import cancelled_invoice
from connector.mapping.keys import ACCOUNT, CONTACT, DEAL, INVOICE, JOB, PRODUCT, LinkKind
from connector.mapping.products import deactivated_product
from connector.mapping.values import OrgValues
from connector.sync.batch import Batch, Entry
from connector.sync.context import SyncContext
from connector.zoho.records import RecordFailed

__all__ = ["sync_deletions", "DELETION_UPDATES"]

# Kind -> the update that closes its Zoho record (None: nothing to change for this org);
# kinds without one are only marked deleted.
DELETION_UPDATES: dict[LinkKind, Callable[[str, OrgValues], dict[str, Any] | None]] = {
    ACCOUNT: lambda zoho_id, _: deactivated_account(zoho_id),
    PRODUCT: lambda zoho_id, _: deactivated_product(zoho_id),
    DEAL: closed_deal, INVOICE: cancelled_invoice,
}
_CUSTOMER_KINDS = (ACCOUNT, JOB, CONTACT)


@dataclass
class _Close:
    entry: Entry[Any]
    kind: LinkKind
    qb_id: str
    payload: dict[str, Any]


def _kinds(entry: Entry[Any]) -> tuple[tuple[LinkKind, ...], str]:
    record = entry.record
    if hasattr(record, "list_del_type"):
        kinds = _CUSTOMER_KINDS if record.list_del_type == "Customer" else (PRODUCT,)
        return kinds, record.list_id
    return ((DEAL, INVOICE) if record.txn_del_type == "Invoice" else ()), record.txn_id


def _plan(ctx: SyncContext, batch: Batch) -> list[_Close]:
    closes: list[_Close] = []
    entries: list[Entry[Any]] = [*batch.deleted_lists.values(), *batch.deleted_txns.values()]
    for entry in entries:
        kinds, qb_id = _kinds(entry)
        for kind in kinds:
            link = ctx.links.get(kind, qb_id)
            if link is None:
                continue  # never reached Zoho: nothing to close
            update = (DELETION_UPDATES[kind](link.zoho_id, ctx.zoho.values)
                      if kind in DELETION_UPDATES and link.zoho_id else None)
            if link.deleted:
                ctx.journal.unchanged()
            elif update is not None:
                closes.append(_Close(entry, kind, qb_id, update))
            else:
                ctx.links.mark_deleted(kind, qb_id)
                ctx.journal.deleted(kind, qb_id, link.zoho_id)
    return closes


def sync_deletions(ctx: SyncContext, batch: Batch) -> None:
    closes = _plan(ctx, batch)
    for module in dict.fromkeys(c.kind.zoho_module for c in closes):
        mine = [c for c in closes if c.kind.zoho_module == module]
        for result in ctx.client.update(module, [c.payload for c in mine]):
            close = mine[result.index]
            if isinstance(result, RecordFailed):
                ctx.fail(close.entry, close.kind, close.qb_id, result.error)
                continue
            ctx.links.mark_deleted(close.kind, close.qb_id)
            ctx.journal.deleted(close.kind, close.qb_id, close.payload["id"],
                                sorted(k for k in close.payload if k != "id"))

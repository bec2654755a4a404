"""Stage 2: items -> Products (items that are not sold are remembered, not written; a
Product written for one before its type was left out of Products is made inactive)."""

from __future__ import annotations

from connector.mapping.keys import PRODUCT
from connector.mapping.products import deactivated_product, is_product, map_product
from connector.sync.batch import Batch
from connector.sync.context import Pending, SyncContext

__all__ = ["sync_products"]


def _retire(ctx: SyncContext, list_id: str) -> None:
    zoho_id = ctx.links.zoho_id([PRODUCT], list_id)
    if zoho_id is not None:
        ctx.client.update(PRODUCT.zoho_module, [deactivated_product(zoho_id)])
        ctx.journal.deleted(PRODUCT, list_id, zoho_id, ["Product_Active"])


def sync_products(ctx: SyncContext, batch: Batch) -> None:
    pending: list[Pending] = []
    for e in batch.items.values():
        item = e.record
        if ctx.links.already_synced(PRODUCT, item.list_id, item.edit_sequence, force=e.force):
            ctx.journal.unchanged()
        elif not is_product(item):
            _retire(ctx, item.list_id)
            ctx.links.record_not_written(PRODUCT, item.list_id, item.edit_sequence)
        else:
            ctx.sort_out(e, map_product(item, ctx.scope), pending)
    ctx.write_and_commit(PRODUCT.zoho_module, pending)

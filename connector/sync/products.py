"""Stage 2: items -> Products (items that are not sold are remembered, not written)."""

from __future__ import annotations

from connector.mapping.keys import PRODUCT
from connector.mapping.products import is_product, map_product
from connector.sync.batch import Batch
from connector.sync.context import Pending, SyncContext

__all__ = ["sync_products"]


def sync_products(ctx: SyncContext, batch: Batch) -> None:
    pending: list[Pending] = []
    for e in batch.items.values():
        item = e.record
        if ctx.links.already_synced(PRODUCT, item.list_id, item.edit_sequence, force=e.force):
            ctx.journal.unchanged()
        elif not is_product(item):
            ctx.links.record_not_written(PRODUCT, item.list_id, item.edit_sequence)
        else:
            ctx.sort_out(e, map_product(item, ctx.scope), pending)
    ctx.write_and_commit(PRODUCT.zoho_module, pending)

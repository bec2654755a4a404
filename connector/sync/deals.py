"""Stage 3: invoices -> Deals (Products related) and, where the org has them, Zoho Invoices.

An invoice waits (is retried next run) while its customer or one of its items is not in
Zoho yet; a Deal counts as written only once its Products are related too. Its Invoice is
written while the Products are related: it needs the Deal, not its Products.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from connector.mapping.currency import conversion
from connector.mapping.deals import PRODUCT_DEALS, RELATED_PRODUCTS, DealContext, map_deal
from connector.mapping.invoices import map_invoice
from connector.mapping.keys import ACCOUNT, CONTACT, DEAL, INVOICE, JOB, PRODUCT, parse_key
from connector.mapping.lines import invoice_rows, written_lines
from connector.qbxml.models import Invoice
from connector.sync.batch import Batch, Entry
from connector.sync.context import Pending, Saved, SyncContext
from connector.sync.invoice_lines import Written, remember_written
from connector.sync.overlap import alongside
from connector.zoho.fields import QBD_KEY
from connector.zoho.records import RecordFailed, RecordResult

__all__ = ["sync_deals"]


@dataclass
class _Resolved:
    entry: Entry[Invoice]
    deal: DealContext
    products: dict[str, str]  # item ListID -> Zoho product id


def _load_top_customers(ctx: SyncContext, invoices: Sequence[Invoice]) -> None:
    """A job's invoice takes the Contact of its top-level customer: load that customer's
    Account and Contact links (a job's own link names only the Account)."""
    accounts = [ctx.links.zoho_id([JOB], i.customer.list_id or "") for i in invoices]
    ctx.links.load_by_zoho(ACCOUNT, [a for a in accounts if a])
    tops = [ctx.links.qb_id_of(ACCOUNT, a) for a in accounts if a]
    ctx.links.load((CONTACT,), [t for t in tops if t])


def primary_contact(ctx: SyncContext, customer_id: str, account_id: str) -> str | None:
    """The Zoho id of the primary Contact of the Account an invoice's customer belongs to."""
    own = ctx.links.get(ACCOUNT, customer_id)
    top = customer_id if own is not None and own.zoho_id else ctx.links.qb_id_of(ACCOUNT,
                                                                                account_id)
    return ctx.links.zoho_id([CONTACT], top) if top else None


def _resolve(ctx: SyncContext, entry: Entry[Invoice]) -> _Resolved | None:
    inv = entry.record
    account = ctx.links.zoho_id([ACCOUNT, JOB], inv.customer.list_id or "")
    if account is None:
        ctx.defer(entry, DEAL, inv.txn_id,
                  f"its customer {inv.customer.full_name!r} is not in Zoho yet")
        return None
    products: dict[str, str] = {}
    for line in inv.lines:
        if line.item is None or not line.item.list_id:
            continue
        link = ctx.links.get(PRODUCT, line.item.list_id)
        if link is None:
            ctx.defer(entry, DEAL, inv.txn_id,
                      f"its item {line.item.full_name!r} is not synced yet")
            return None
        if link.zoho_id and not link.deleted:
            products[line.item.list_id] = link.zoho_id
    contact = primary_contact(ctx, inv.customer.list_id or "", account)
    deal = DealContext(ctx.scope, account, tuple(products.values()), ctx.org, ctx.zoho.values,
                       contact_id=contact)
    return _Resolved(entry, deal, products)


def _products_changed(ctx: SyncContext, s: Saved) -> bool:
    """True when the Deal existed and its invoice's set of Products is not the one last
    related (a link written before the set was hashed counts as changed, once)."""
    link = ctx.links.get(DEAL, s.pending.mapped.qb_id)
    if link is None or not link.zoho_id or s.action == "created":
        return False
    return link.field_hashes.get(RELATED_PRODUCTS) != s.pending.mapped.fields.get(
        RELATED_PRODUCTS)


def _ours(ctx: SyncContext, row: dict[str, object]) -> bool:
    try:
        return parse_key(str(row.get(QBD_KEY) or "")).scope == ctx.scope
    except ValueError:
        return False


def _unrelate_removed(ctx: SyncContext, s: Saved) -> list[RecordFailed]:
    """Unrelate the Products of lines removed from the invoice. Only Products of this
    company's items go: a product a salesperson related to the Deal by hand stays."""
    wanted = set(s.pending.mapped.related)
    current = ctx.client.related_records(DEAL.zoho_module, s.zoho_id, PRODUCT.zoho_module,
                                         ["id", QBD_KEY])
    removed = [str(r["id"]) for r in current if str(r["id"]) not in wanted and _ours(ctx, r)]
    if not removed:
        return []
    results = ctx.client.unrelate(DEAL.zoho_module, s.zoho_id, PRODUCT.zoho_module, removed)
    return [r for r in results if isinstance(r, RecordFailed)]


def _relate_calls(ctx: SyncContext, saved: Sequence[Saved]) -> dict[str, list[RecordResult]]:
    """Relate each written Deal's Products (only Zoho calls: it runs beside the Invoices);
    from the Products' side when that takes fewer calls (a first load: a few Products on
    many Deals)."""
    wanted = {s.zoho_id: list(s.pending.mapped.related) for s in saved
              if s.pending.mapped.related}
    return ctx.client.relate_many(DEAL.zoho_module, RELATED_PRODUCTS, wanted,
                                  back=PRODUCT_DEALS) if wanted else {}


def _related(ctx: SyncContext, saved: Sequence[Saved],
             answers: Mapping[str, Sequence[RecordResult]]) -> list[Saved]:
    """The Deals whose Products are now related as their invoices have them."""
    ok: list[Saved] = []
    for s in saved:
        failed = [r for r in answers.get(s.zoho_id, []) if isinstance(r, RecordFailed)]
        if not failed and _products_changed(ctx, s):
            failed = _unrelate_removed(ctx, s)
        if failed:
            ctx.fail(s.pending.entry, DEAL, s.pending.mapped.qb_id, failed[0].error)
        else:
            ok.append(s)
    return ok


def _remember_rows(ctx: SyncContext, resolved: Sequence[_Resolved],
                   saved: Sequence[Saved]) -> None:
    """Keep the rows each written Zoho Invoice now holds, with their QuickBooks lines: what
    tells a row a salesperson edited from one they added (``invoice_lines``)."""
    by_txn = {r.entry.record.txn_id: r for r in resolved}
    written: list[Written] = []
    for done in saved:
        found = by_txn.get(done.pending.mapped.qb_id)
        if found is None:
            continue
        inv = found.entry.record
        rows = invoice_rows(inv, found.products, conversion(inv, found.deal.org))
        written.append(Written(inv.txn_id, done.zoho_id, inv.edit_sequence, written_lines(rows)))
    if written:
        with ctx.db.session() as s:
            remember_written(s, ctx.company_id, written, ctx.clock())


def _write_invoices(ctx: SyncContext, resolved: Sequence[_Resolved],
                    deals: Mapping[str, str]) -> list[Saved]:
    """Write the Zoho Invoices of the resolved invoices whose Deal is in Zoho (``deals``: the
    Deals written just now, by TxnID; the others' come from their links)."""
    pending: list[Pending] = []
    for r in resolved:
        inv = r.entry.record
        deal_id = deals.get(inv.txn_id) or ctx.links.zoho_id([DEAL], inv.txn_id)
        if deal_id is None or ctx.links.already_synced(INVOICE, inv.txn_id, inv.edit_sequence,
                                                       force=r.entry.force or r.entry.recheck):
            continue  # no Deal (its failure is journaled), or nothing new
        mapped = map_invoice(inv, r.deal, deal_id, r.products)
        if mapped is None:
            ctx.links.record_not_written(INVOICE, inv.txn_id, inv.edit_sequence)
        else:
            ctx.sort_out(r.entry, mapped, pending)
    return ctx.write(INVOICE.zoho_module, pending)


def sync_deals(ctx: SyncContext, batch: Batch) -> None:
    pending: list[Pending] = []
    resolved: list[_Resolved] = []
    _load_top_customers(ctx, [e.record for e in batch.invoices.values()])
    for e in batch.invoices.values():
        inv = e.record
        # A payment's re-read skips the EditSequence shortcut: the content hash decides.
        again = e.force or e.recheck
        deal_done = ctx.links.already_synced(DEAL, inv.txn_id, inv.edit_sequence, force=again)
        invoice_done = not ctx.has_invoices or ctx.links.already_synced(
            INVOICE, inv.txn_id, inv.edit_sequence, force=again)
        if deal_done and invoice_done:
            ctx.journal.unchanged()
            continue
        found = _resolve(ctx, e)
        if found is None:
            continue
        resolved.append(found)
        if not deal_done:
            ctx.sort_out(e, map_deal(inv, found.deal), pending)
    saved = ctx.write(DEAL.zoho_module, pending)
    written = {s.pending.mapped.qb_id: s.zoho_id for s in saved}
    # The Products are related (from the Products' side on a first load: a hundred Deals a
    # PUT, five PUTs a call) while the Invoices are mapped and written; a Deal still counts
    # as written only once related.
    with alongside(lambda: _relate_calls(ctx, saved)) as relating:
        invoices = _write_invoices(ctx, resolved, written) if ctx.has_invoices else []
        answers = relating.result()
    ctx.commit(_related(ctx, saved, answers))
    ctx.commit(invoices)
    _remember_rows(ctx, resolved, invoices)

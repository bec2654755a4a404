"""QuickBooks -> Zoho for one company: stored responses in, Zoho records out, one audit unit.

Responses are read in id order a chunk at a time; each chunk goes through the stages in
dependency order (customers, items, invoices, deletions) so every lookup a record needs is in
Zoho before it. A record Zoho refuses is journaled and retried next run; a retriable error
(network, 429 or 5xx beyond the client's retries, the day's credits) stops the run at once,
keeping what was written and leaving the rest of the responses for the next run.

The org's fields metadata and value mapping are loaded at the start (from the store while
fresh); when Zoho refuses a picklist value, the metadata is marked stale and read again
before the next chunk, once per run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from connector.audit import AuditRecorder
from connector.config import Settings
from connector.mapping.currency import OrgCurrency
from connector.mapping.keys import ACCOUNT, CONTACT, DEAL, INVOICE, JOB, PRODUCT, company_scope
from connector.match_index import IndexSource
from connector.phones import DEFAULT_REGION, region_of
from connector.store import Company, Database
from connector.store.rows import require_id
from connector.store.types import utcnow
from connector.sync.batch import Batch, Chunk, read_chunks
from connector.sync.confirmed import ConfirmedPlan
from connector.sync.context import Signals, SyncContext
from connector.sync.customers import sync_customers
from connector.sync.deals import sync_deals
from connector.sync.deletions import sync_deletions
from connector.sync.journal import Journal
from connector.sync.links import LinkBook, any_written
from connector.sync.org import Org, OrgSource, load_org, load_ready_org
from connector.sync.overlap import alongside, read_ahead
from connector.sync.products import sync_products
from connector.sync.progress import Progress, ProgressReport
from connector.sync.reconcile import Scan, finished_scans, reconcile
from connector.sync.responses import pending_count, records_waiting, settle_responses
from connector.zoho.client import ZohoClient
from connector.zoho.org_state import mark_stale

__all__ = ["STAGES", "SyncOptions", "Progress", "sync_company", "load_links"]

STAGES: tuple[Callable[[SyncContext, Batch], None], ...] = (
    sync_customers, sync_products, sync_deals, sync_deletions)


# The stored responses of QuickBooks' customer reads (``RawResponse.entity``).
CUSTOMER_READS = "Customer"


@dataclass(frozen=True)
class SyncOptions:
    chunk_responses: int = 20
    max_attempts: int = 5
    metadata_max_age: timedelta = timedelta(days=1)
    open_stage: str | None = None
    phone_region: str | None = None  # MLC_PHONE_REGION: wins over the company's country
    auto_link_score: float | None = None  # MLC_MATCH_AUTO_LINK_SCORE
    chunk_records: int = 5000

    @classmethod
    def from_settings(cls, settings: Settings) -> SyncOptions:
        return cls(settings.sync_chunk_responses, settings.sync_max_attempts,
                   settings.metadata_max_age, settings.sync_open_deal_stage,
                   settings.phone_region, settings.match_auto_link_score,
                   settings.sync_chunk_records)

    def region_for(self, company: Company) -> str:
        """Where the company's phone numbers are local: the setting, else QuickBooks'."""
        return (region_of(self.phone_region) or region_of(company.qb_country)
                or DEFAULT_REGION)


def load_links(links: LinkBook, batch: Batch) -> None:
    invoices = [e.record for e in batch.invoices.values()]
    parents = [e.record.parent.list_id or "" for e in batch.customers.values() if e.record.parent]
    links.load((ACCOUNT, JOB, CONTACT), [*batch.customers, *parents, *batch.deleted_lists,
                                         *(i.customer.list_id or "" for i in invoices)])
    links.load((PRODUCT,), [*batch.items, *batch.deleted_lists,
                            *(line.item.list_id or "" for i in invoices for line in i.lines
                              if line.item)])
    links.load((DEAL, INVOICE), [*batch.invoices, *batch.deleted_txns])


def _run_chunk(ctx: SyncContext, chunk: Chunk, checkpoint: Callable[[], None]) -> None:
    load_links(ctx.links, chunk.batch)
    ctx.journal.read(chunk.batch.read)
    for response_id, error in chunk.rejected:
        ctx.journal.unreadable(response_id, error)
    for response_id, fixed in chunk.repaired:
        ctx.journal.repaired(response_id, fixed)
    try:
        for stage in STAGES:
            # A stop asked for here leaves the chunk's responses unsettled: the next run
            # reads them again and finds in the links what was already written.
            checkpoint()
            stage(ctx, chunk.batch)
            ctx.links.flush()
    finally:
        # What Zoho accepted stays recorded even when a stage stopped the run.
        ctx.links.flush()


def _refreshed(db: Database, client: ZohoClient, source: OrgSource, signals: Signals,
               clock: Callable[[], datetime]) -> Org | None:
    """The org read again when a write showed its metadata is out of date (else None)."""
    if signals.stale is None or signals.refreshed:
        return None
    mark_stale(db, source.connection_id, signals.stale)
    return load_org(db, client, source, now=clock(), refresh=True)


def _index_needed(db: Database, company_id: int) -> bool:
    """Whether the run will match customers against the org: customers read from QuickBooks
    wait, and none of the company's is in Zoho yet (its first load)."""
    return (records_waiting(db, company_id, CUSTOMER_READS) > 0
            and not any_written(db, company_id, ACCOUNT))


def _index_while_parsing(chunks: Iterator[Chunk], index: IndexSource) -> Iterator[Chunk]:
    """``chunks``, the org's matching index read while the first is parsed: in a populated
    org that index is several pages of COQL, one after another. A read that failed stops the
    run here, as the matching's own read would have a moment later."""
    with alongside(index.get) as early:
        first = next(chunks, None)
    early.result()
    if first is not None:
        yield first
        yield from chunks


def _no_gate() -> ConfirmedPlan | None:
    return None


def _no_stop() -> None:
    return None


def sync_company(db: Database, client: ZohoClient, company: Company, recorder: AuditRecorder,
                 *, connection_id: int, options: SyncOptions = SyncOptions(),
                 clock: Callable[[], datetime] = utcnow,
                 progress: Progress | None = None,
                 gate: Callable[[], ConfirmedPlan | None] = _no_gate,
                 checkpoint: Callable[[], None] = _no_stop) -> ConfirmedPlan | None:
    """Sync every unprocessed response of ``company`` to the org of Zoho connection
    ``connection_id``; raises what stops the run. ``gate`` is asked beside the org's reads,
    before anything is written: it gives the plan a person confirmed for the customers (a
    first load into a populated org), which the sync follows and returns, or raises to stop
    the run.

    ``progress`` hears after each chunk how many stored responses and records are behind us
    (and may raise to stop the run between chunks); ``checkpoint`` is asked before each of a
    chunk's stages, and may raise to stop the run there.
    """
    if company.id is None:
        raise ValueError(f"company {company.name!r} is not stored")
    scans = finished_scans(db, company.id)
    total = pending_count(db, company.id)
    if not total and not scans:
        return None
    with read_ahead(read_chunks(db, company.id, size=options.chunk_responses,
                                max_records=options.chunk_records)) as chunks:
        return _sync_chunks(db, client, company, recorder, scans, chunks, total,
                            connection_id=connection_id, options=options, clock=clock,
                            progress=progress, gate=gate, checkpoint=checkpoint)


def _sync_chunks(db: Database, client: ZohoClient, company: Company, recorder: AuditRecorder,
                 scans: list[Scan], chunks: Iterator[Chunk], total: int, *, connection_id: int,
                 options: SyncOptions, clock: Callable[[], datetime], progress: Progress | None,
                 gate: Callable[[], ConfirmedPlan | None],
                 checkpoint: Callable[[], None]) -> ConfirmedPlan | None:
    done = records = 0
    started = clock()
    source = OrgSource(connection_id, options.metadata_max_age, options.open_stage)
    # Independent reads of the org (its currency, whether a first load may go on, its fields)
    # in one round trip's time.
    with alongside(client.org) as org_info, alongside(gate) as gated:
        zoho, signals = load_ready_org(db, client, source, now=clock()), Signals()
        info = org_info.result()
        plan = gated.result()
    journal = Journal(recorder, company=company.name, max_attempts=options.max_attempts)
    index = IndexSource(client, options.region_for(company), zoho.meta, options.auto_link_score)
    company_id = require_id(company)

    def context() -> SyncContext:
        return SyncContext(db=db, client=client, company_id=company_id, company=company.name,
                           scope=company_scope(company.file_id),
                           links=LinkBook(db, company_id, clock), journal=journal, clock=clock,
                           org=OrgCurrency(info.currency, info.multi_currency), zoho=zoho,
                           signals=signals, index=index, plan=plan)

    # Key scans first: what QuickBooks no longer has is closed before later reads are synced.
    for scan in scans:
        reconcile(context(), scan)
        settle_responses(db, journal.settle(scan.responses, {}), clock())
        recorder.flush()
    if _index_needed(db, company_id):
        chunks = _index_while_parsing(chunks, index)
    for chunk in chunks:
        ctx = context()
        _run_chunk(ctx, chunk, checkpoint)
        fresh = _refreshed(db, client, source, signals, clock)
        if fresh is not None:
            # Once per run: a value the fresh metadata still lists is refused for another
            # reason, and reading the metadata again would not help.
            zoho, signals = fresh, Signals(refreshed=True)
        settled = journal.settle(chunk.responses, chunk.attempts)
        settle_responses(db, settled, clock())
        recorder.flush()
        done += len(chunk.responses)
        records += chunk.batch.read
        if progress is not None:
            progress(ProgressReport(done, total, records,
                                    (clock() - started).total_seconds()))
    return plan

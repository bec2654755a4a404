"""What a QuickBooks -> Zoho sync would do, worked out without writing anything anywhere.

The same stored responses, read in the same chunks, the same links and the same matching as
``sync_company``; instead of writing, every record gets a row: its action (create, link to an
existing Zoho record, update, skip, review, defer (waits for a record it needs), fail) and
why. Zoho is only read: the org's
metadata (usually from the store), the keys it already carries, and its index of adoptable
Accounts (``OrgIndex``). The store is only read too: the links are never flushed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from connector.mapping.accounts import map_account, map_contact
from connector.mapping.conform import conform, missing_mandatory
from connector.mapping.keys import (
    ACCOUNT,
    CONTACT,
    DEAL,
    INVOICE,
    JOB,
    PRODUCT,
    LinkKind,
    company_scope,
)
from connector.mapping.payload import Mapped, changed_fields
from connector.mapping.products import is_product, map_product
from connector.match_index import IndexSource
from connector.matching import AMBIGUOUS, NEW, Match, MatchRequest, match_accounts
from connector.qbxml.models import Customer, Invoice, Item
from connector.store import Company, Database
from connector.store.rows import require_id
from connector.store.types import utcnow
from connector.sync.batch import Batch, Chunk, Entry
from connector.sync.customers import reviewed
from connector.sync.links import LinkBook
from connector.sync.org import Org, OrgSource, load_ready_org
from connector.sync.qb_to_zoho import SyncOptions, load_links
from connector.zoho.client import ZohoClient
from connector.zoho.limits import COMPOSITE, write_cost
from connector.zoho.records import MAX_WRITE_BATCH
from connector.zoho.related import relating_calls

__all__ = ["PlanEntry", "PlanReport", "ACTIONS", "plan_company"]

ACTIONS = ("create", "link", "update", "skip", "review", "defer", "fail")
# Shown in place of a Zoho id for a record this plan creates.
NEW_RECORD = "(new)"


@dataclass
class PlanEntry:
    qb_type: str
    qb_id: str
    edit_sequence: str | None
    name: str | None
    action: str
    zoho_module: str
    zoho_id: str | None = None
    reason: str = ""
    candidates: tuple[str, ...] = ()


@dataclass
class PlanReport:
    company_id: int
    connection_id: int
    entries: list[PlanEntry] = field(default_factory=list)
    zoho_reads: int = 0
    read_credits: int = 0
    write_calls: int = 0
    write_credits: int = 0
    org_accounts: int = 0  # adoptable (unkeyed) Accounts the org holds

    @property
    def totals(self) -> dict[str, int]:
        counted = Counter(e.action for e in self.entries)
        return {a: counted[a] for a in ACTIONS if counted[a]}


@dataclass
class _Writes:
    """Records one chunk would send, per module and kind of call."""

    upserts: Counter[str] = field(default_factory=Counter)
    updates: Counter[str] = field(default_factory=Counter)
    # Deals whose Products get related, and how many of them each Product is on.
    related_deals: int = 0
    relations: Counter[str] = field(default_factory=Counter)

    def cost(self) -> tuple[int, int]:
        calls = credits = 0
        for counter in (self.upserts, self.updates):
            for n in counter.values():
                for start in range(0, n, MAX_WRITE_BATCH):
                    calls += 1
                    credits += write_cost(min(MAX_WRITE_BATCH, n - start)).credits
        relating = relating_calls(self.related_deals, self.relations.values())
        return calls + relating, credits + relating * COMPOSITE.credits


@dataclass
class _Planner:
    client: ZohoClient
    db: Database
    company_id: int
    scope: str
    org: Org
    index: IndexSource
    report: PlanReport
    links: LinkBook  # the chunk's links, read and never flushed
    # What this plan already decided, so later chunks see it as a sync would see the links.
    planned: dict[tuple[str, str], PlanEntry] = field(default_factory=dict)
    writes: _Writes = field(default_factory=_Writes)

    def add(self, entry: PlanEntry, *, upsert: bool = False, adopt: bool = False) -> None:
        key = (entry.qb_type, entry.qb_id)
        if key in self.planned and self.planned[key].action not in ("skip", "defer"):
            # A later version of a record this plan already writes: it rides on that write.
            self.planned[key].edit_sequence = entry.edit_sequence
            return
        if key in self.planned:
            self.report.entries.remove(self.planned[key])
        self.planned[key] = entry
        self.report.entries.append(entry)
        if upsert:
            self.writes.upserts[entry.zoho_module] += 1
        if adopt:
            self.writes.updates[entry.zoho_module] += 1

    def zoho_id(self, kinds: Sequence[LinkKind], qb_id: str) -> str | None:
        """The record's Zoho id, or NEW_RECORD when this plan creates it."""
        known = self.links.zoho_id(kinds, qb_id)
        if known:
            return known
        for kind in kinds:
            entry = self.planned.get((kind.qb_type, qb_id))
            if entry is not None and entry.action in ("create", "link", "update"):
                return entry.zoho_id or NEW_RECORD
        return None

    def fit(self, mapped: Mapped) -> Mapped:
        module = mapped.kind.zoho_module
        return conform(mapped, self.org.meta.module(module), self.org.values.fixed.get(module))

    def changed(self, mapped: Mapped, force: bool) -> PlanEntry | None:
        """An update or a skip for a record Zoho has; None when it has not."""
        link = self.links.get(mapped.kind, mapped.qb_id)
        if link is None or link.zoho_id is None or link.deleted:
            return None
        base = PlanEntry(mapped.kind.qb_type, mapped.qb_id, mapped.edit_sequence, mapped.label,
                         "skip", mapped.kind.zoho_module, link.zoho_id)
        same = self.links.unchanged(mapped)
        if same and not force:
            base.reason = "Zoho already holds this content"
            return base
        base.action = "update"
        fields = changed_fields(link.field_hashes or None, mapped.fields)
        base.reason = (RESENT if same
                       else f"changed in QuickBooks: {', '.join(fields) or 'content'}")
        return base


# Why a backfill writes a record QuickBooks has not changed since: it is forced (Zoho may have
# drifted from what was written), and the plan should not claim a change.
RESENT = "re-sent by the backfill, unchanged in QuickBooks since last written"


def _match_reason(match: Match) -> str:
    if match.how == "email":
        return f"matched on e-mail {match.evidence}"
    if match.how == "phone":
        return f"matched on phone {match.evidence}"
    if match.how == "review":
        return "a person chose this Account (review resolve)"
    if match.how == "suggested":
        return f"suggested strongly enough to link: {match.evidence}"
    return f"already carries this customer's key {match.evidence}"


def _matches(p: _Planner, customers: Sequence[Customer]) -> dict[str, Match]:
    unlinked = [c for c in customers if p.links.zoho_id([ACCOUNT], c.list_id) is None]
    if not unlinked:
        return {}
    decided = reviewed(p.db, p.company_id, unlinked)
    return decided | match_accounts(p.client, [
        MatchRequest.of(c, p.scope) for c in unlinked if c.list_id not in decided],
        index=p.index)


def _account(p: _Planner, e: Entry[Customer], match: Match | None) -> None:
    c = e.record
    mapped = p.fit(map_account(c, p.scope))
    row = PlanEntry(ACCOUNT.qb_type, c.list_id, c.edit_sequence, c.full_name, "create",
                    ACCOUNT.zoho_module)
    if match is not None and match.how == AMBIGUOUS:
        row.action, row.candidates = "review", match.candidates
        if match.evidence.startswith("possibly"):
            row.reason = f"no e-mail or phone match, but {match.evidence}"
        elif len(match.candidates) > 1:
            row.reason = f"ambiguous between {', '.join(match.candidates)} ({match.evidence})"
        else:
            row.reason = (f"Account {match.candidates[0]} matches several customers "
                          f"({match.evidence})")
        p.add(row)
        return
    known = p.changed(mapped, e.force)
    if known is not None:
        p.add(known, upsert=known.action == "update")
    elif match is not None and match.how != NEW and match.account_id:
        row.action = "update" if match.how == "key" else "link"
        row.zoho_id, row.reason = match.account_id, _match_reason(match)
        p.add(row, upsert=match.how == "key", adopt=match.adopts)
    else:
        missing = missing_mandatory(mapped.payload, p.org.meta.module(ACCOUNT.zoho_module))
        if missing:
            row.action = "fail"
            row.reason = f"Accounts.{missing[0].api_name} is mandatory and nothing maps it"
            p.add(row)
            return
        row.reason = ("no Account of the org matches by e-mail or phone"
                      if p.report.org_accounts else "the org holds no Account to match")
        p.add(row, upsert=True)


def _contact(p: _Planner, e: Entry[Customer], match: Match | None) -> None:
    """The customer's primary Contact, as the sync writes it once its Account is in Zoho:
    the Contact an e-mail match found is adopted, else one is created."""
    c = e.record
    account = p.zoho_id([ACCOUNT], c.list_id)
    if account is None or p.links.already_synced(CONTACT, c.list_id, c.edit_sequence,
                                                 force=e.force):
        return
    contact = map_contact(c, p.scope, account)
    if contact is None:
        return
    mapped = p.fit(contact)
    known = p.changed(mapped, e.force)
    if known is not None:
        p.add(known, upsert=known.action == "update")
        return
    row = PlanEntry(CONTACT.qb_type, c.list_id, c.edit_sequence, c.full_name, "create",
                    CONTACT.zoho_module, reason="the customer's person, new to Zoho")
    if match is not None and match.contact_id:
        row.action, row.zoho_id = "link", match.contact_id
        row.reason = f"the Account's Contact with e-mail {match.evidence}"
        p.add(row, adopt=True)
        return
    missing = missing_mandatory(mapped.payload, p.org.meta.module(CONTACT.zoho_module))
    if missing:
        row.action = "fail"
        row.reason = f"Contacts.{missing[0].api_name} is mandatory and nothing maps it"
    p.add(row, upsert=row.action == "create")


def _customers(p: _Planner, batch: Batch) -> None:
    tops = [e for e in batch.customers.values() if not e.record.is_job]
    fresh = []
    for e in tops:
        c = e.record
        if p.links.already_synced(ACCOUNT, c.list_id, c.edit_sequence, force=e.force):
            p.add(PlanEntry(ACCOUNT.qb_type, c.list_id, c.edit_sequence, c.full_name, "skip",
                            ACCOUNT.zoho_module, p.links.zoho_id([ACCOUNT], c.list_id),
                            f"already synced at EditSequence {c.edit_sequence}"))
        else:
            fresh.append(e)
    matches = _matches(p, [e.record for e in fresh])
    p.report.org_accounts = len(p.index.get().accounts) if matches else p.report.org_accounts
    for e in fresh:
        _account(p, e, matches.get(e.record.list_id))
    for e in tops:
        _contact(p, e, matches.get(e.record.list_id))
    for e in sorted((e for e in batch.customers.values() if e.record.is_job),
                    key=lambda x: x.record.sublevel):
        job = e.record
        parent = job.parent.list_id if job.parent else None
        account = p.zoho_id([ACCOUNT, JOB], parent) if parent else None
        row = PlanEntry(JOB.qb_type, job.list_id, job.edit_sequence, job.full_name, "link",
                        ACCOUNT.zoho_module, account,
                        f"a job: belongs to its customer {job.full_name.split(':')[0]!r}")
        if p.links.already_synced(JOB, job.list_id, job.edit_sequence, force=e.force):
            row.action, row.reason = "skip", "already synced"
        elif account is None:
            row.action, row.reason = "defer", "waits: its customer is not in Zoho"
        p.add(row)


def _item(p: _Planner, e: Entry[Item]) -> None:
    item = e.record
    row = PlanEntry(PRODUCT.qb_type, item.list_id, item.edit_sequence, item.full_name, "skip",
                    PRODUCT.zoho_module)
    if p.links.already_synced(PRODUCT, item.list_id, item.edit_sequence, force=e.force):
        row.zoho_id, row.reason = p.links.zoho_id([PRODUCT], item.list_id), "already synced"
    elif not is_product(item):
        row.reason = "not sold: not a Product"
    else:
        mapped = p.fit(map_product(item, p.scope))
        known = p.changed(mapped, e.force)
        if known is not None:
            p.add(known, upsert=known.action == "update")
            return
        row.action, row.reason = "create", "new item"
        p.add(row, upsert=True)
        return
    p.add(row)


def _invoice(p: _Planner, e: Entry[Invoice]) -> None:
    inv = e.record
    row = PlanEntry(DEAL.qb_type, inv.txn_id, inv.edit_sequence,
                    f"#{inv.ref_number}" if inv.ref_number else None, "create", DEAL.zoho_module,
                    p.links.zoho_id([DEAL], inv.txn_id))
    missing = [line.item.full_name for line in inv.lines if line.item and line.item.list_id
               and p.links.get(PRODUCT, line.item.list_id) is None
               and (PRODUCT.qb_type, line.item.list_id) not in p.planned]
    changed = (RESENT if p.links.already_synced(DEAL, inv.txn_id, inv.edit_sequence)
               else "changed in QuickBooks")
    if p.links.already_synced(DEAL, inv.txn_id, inv.edit_sequence, force=e.force):
        row.action, row.reason = "skip", "already synced"
    elif p.zoho_id([ACCOUNT, JOB], inv.customer.list_id or "") is None:
        row.action = "defer"
        row.reason = f"waits: its customer {inv.customer.full_name!r} is not in Zoho"
    elif missing:
        row.action, row.reason = "defer", f"waits: its item {missing[0]!r} is not synced"
    elif row.zoho_id:
        row.action, row.reason = "update", changed
    else:
        row.reason = "new invoice"
    writes = row.action in ("create", "update")
    p.add(row, upsert=writes)
    products = {line.item.list_id for line in inv.lines if line.item and line.item.list_id
                and p.zoho_id([PRODUCT], line.item.list_id)} if writes else set()
    if products:  # the Deal's Products get related
        p.writes.related_deals += 1
        p.writes.relations.update(products)
    # Zoho needs a product row in an Invoice: one whose lines name none gets no Invoice.
    if products and p.org.meta.has_invoices:
        known = p.links.zoho_id([INVOICE], inv.txn_id)
        p.add(PlanEntry(INVOICE.qb_type, inv.txn_id, inv.edit_sequence, row.name,
                        "update" if known else "create", INVOICE.zoho_module, known,
                        changed if known else "new invoice, with its lines"),
              upsert=True)


def _deletions(p: _Planner, batch: Batch) -> None:
    for list_id, e in batch.deleted_lists.items():
        kind = ACCOUNT if e.record.list_del_type == "Customer" else PRODUCT
        _closed(p, kind, list_id, e.record.full_name)
    for txn_id, t in batch.deleted_txns.items():
        if t.record.txn_del_type == "Invoice":
            _closed(p, DEAL, txn_id, f"#{t.record.ref_number}" if t.record.ref_number else None)


def _closed(p: _Planner, kind: LinkKind, qb_id: str, name: str | None) -> None:
    link = p.links.get(kind, qb_id)
    row = PlanEntry(kind.qb_type, qb_id, None, name, "skip", kind.zoho_module,
                    link.zoho_id if link else None, "deleted in QuickBooks, never in Zoho")
    if link is not None and link.deleted:
        row.reason = "already closed in Zoho"
    elif link is not None and link.zoho_id:
        row.action, row.reason = "update", "deleted in QuickBooks: closed in Zoho"
        p.writes.updates[kind.zoho_module] += 1
    p.add(row)


def _chunk(p: _Planner, chunk: Chunk, clock: Callable[[], datetime]) -> None:
    p.links = LinkBook(p.db, p.company_id, clock)
    load_links(p.links, chunk.batch)
    p.writes = _Writes()
    _customers(p, chunk.batch)
    for item in chunk.batch.items.values():
        _item(p, item)
    for invoice in chunk.batch.invoices.values():
        _invoice(p, invoice)
    _deletions(p, chunk.batch)
    calls, credits = p.writes.cost()
    p.report.write_calls += calls
    p.report.write_credits += credits


def plan_company(db: Database, client: ZohoClient, company: Company, chunks: Iterable[Chunk],
                 *, connection_id: int, options: SyncOptions | None = None,
                 clock: Callable[[], datetime] = utcnow) -> PlanReport:
    """The plan of syncing ``chunks`` (``read_chunks`` of the stored responses) of
    ``company`` to the org of ``connection_id``."""
    options = options or SyncOptions()
    before_reads, before_credits = client.tally.reads, client.tally.credits
    org = load_ready_org(db, client, OrgSource(connection_id, options.metadata_max_age,
                                               options.open_stage), now=clock())
    report = PlanReport(require_id(company), connection_id)
    planner = _Planner(client, db, report.company_id, company_scope(company.file_id), org,
                       IndexSource(client, options.region_for(company), org.meta,
                                   options.auto_link_score), report,
                       LinkBook(db, report.company_id, clock))
    for chunk in chunks:
        _chunk(planner, chunk, clock)
    report.zoho_reads = client.tally.reads - before_reads
    report.read_credits = client.tally.credits - before_credits
    return report

"""One batch of notified Zoho records: resolve, fetch, decide, queue.

Records are resolved to QuickBooks through their links (Zoho id), else through the
``QBD_Key`` they carry. Reads from Zoho happen outside any database transaction; the
decisions and the queued Mods of a batch are one transaction, so a failure leaves the
notifications for the next run and nothing half-queued.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from connector.audit import AuditRecorder
from connector.mapping.fields import DEAL_FIELDS, Owner
from connector.mapping.keys import (
    ACCOUNT,
    CONTACT,
    DEAL,
    INVOICE,
    PRODUCT,
    LinkKind,
    company_scope,
    parse_key,
)
from connector.qbwc.clock_offset import true_time
from connector.qbxml.models import Customer
from connector.reviews import open_review
from connector.store import (
    ClosedDealPolicy,
    Company,
    Database,
    InvoiceLinesPolicy,
    RecordLink,
    ZohoBornPolicy,
)
from connector.sync.born_customers import add_accounts, latest_add, withdraw_add
from connector.sync.invoice_lines import written_of
from connector.sync.invoice_mods import Refused, queue_line_edit
from connector.sync.line_edits import LineEdit, line_edit, restore_lines
from connector.sync.money import MONEY_FIELDS, MoneyEdit, money_edits, restore_money
from connector.sync.policy import policy_of
from connector.sync.qb_state import latest_customers
from connector.sync.write_backs import (
    CustomerEdit,
    open_write_backs,
    queue_customer_edit,
    queue_txn_void,
)
from connector.sync.zoho_born import raise_zoho_born_account
from connector.sync.zoho_changes import decide, zoho_time
from connector.sync.zoho_fields import MODIFIED_TIME, current_values, customer_changes, fetch_fields
from connector.zoho.client import ZohoClient
from connector.zoho.fields import QBD_ACTIVE, QBD_KEY
from connector.zoho.invoices import INVOICED_ITEMS

__all__ = ["Work", "KINDS", "handle_batch"]

log = logging.getLogger(__name__)

# Zoho module -> how its records link to QuickBooks.
KINDS: dict[str, LinkKind] = {"Accounts": ACCOUNT, "Contacts": CONTACT, "Deals": DEAL,
                              "Products": PRODUCT, "Invoices": INVOICE}
_OWNS_MONEY = "QuickBooks owns money"
_DEAL_FETCH = ["Stage", "Amount", QBD_KEY, MODIFIED_TIME]
# A salesperson's edit of these is reported as kept by QuickBooks (money is restored, see
# ``money``); the stage is theirs.
_DEAL_FIELDS = frozenset(r.zoho for r in DEAL_FIELDS
                         if r.owner is Owner.QBD and r.zoho not in MONEY_FIELDS["Deals"])


@dataclass
class Work:
    """One notified Zoho record: the fields Zoho said changed, or ``any_field`` when a
    notification did not say (an insert, a catch-up after a lapse)."""

    module: str
    zoho_id: str
    deleted: bool = False
    affected: set[str] = field(default_factory=set)
    any_field: bool = False
    notes: set[int] = field(default_factory=set)
    done: bool = False
    link: RecordLink | None = None
    record: dict[str, Any] | None = None


@dataclass
class _Context:
    audit: AuditRecorder
    companies: dict[int, Company]
    now: datetime
    # The org's stages that mean lost (their forecast type is Closed Lost), by display value.
    lost_stages: frozenset[str] = frozenset()
    edits: dict[tuple[int, str], CustomerEdit] = field(default_factory=dict)
    # (company id, ListID) -> the newest version QuickBooks told us of
    known: dict[tuple[int, str], Customer] = field(default_factory=dict)
    # ... and when that version reached us (a bound on when QuickBooks changed it)
    observed: dict[tuple[int, str], datetime] = field(default_factory=dict)
    # The company a record with no QuickBooks key belongs to, when that can be told.
    home: int | None = None
    # Money edited in Zoho, restored once the batch's decisions are stored.
    money: list[MoneyEdit] = field(default_factory=list)
    # Zoho Invoices whose rows go back to the written ones, each with why.
    lines: list[tuple[LineEdit, str]] = field(default_factory=list)
    # Zoho-born Accounts the home company adds to QuickBooks, once the batch is stored.
    born: list[dict[str, Any]] = field(default_factory=list)
    # ... and the review item that decided one, by Account id.
    born_reviews: dict[str, int] = field(default_factory=dict)

    def event(self, action: str, item: Work, **kw: Any) -> None:
        link = item.link
        self.audit.event(action, qb_type=link.qb_type if link else None,
                         qb_id=link.qb_id if link else None, zoho_module=item.module,
                         zoho_id=item.zoho_id, **kw)


def _links(s: Session, kind: LinkKind, ids: Iterable[str]) -> dict[str, RecordLink]:
    rows = s.exec(select(RecordLink).where(RecordLink.zoho_module == kind.zoho_module)
                  .where(RecordLink.qb_type == kind.qb_type)
                  .where(col(RecordLink.zoho_id).in_(list(ids)))).all()
    return {row.zoho_id: row for row in rows if row.zoho_id}


def _link_by_key(s: Session, kind: LinkKind, record: Mapping[str, Any],
                 scopes: Mapping[str, int]) -> RecordLink | None:
    try:
        key = parse_key(str(record.get(QBD_KEY) or ""))
    except ValueError:
        return None
    company_id = scopes.get(key.scope)
    if company_id is None or key.role != kind.role:
        return None
    return s.exec(select(RecordLink).where(RecordLink.company_id == company_id)
                  .where(RecordLink.qb_type == kind.qb_type)
                  .where(RecordLink.qb_id == key.qb_id)).first()


def _resolve(db: Database, client: ZohoClient, module: str, items: list[Work],
             scopes: Mapping[str, int], only_company: int | None) -> list[Work]:
    """Link and fetch ``items``; returns those this run decides on (the others stay)."""
    kind = KINDS[module]
    with db.session() as s:
        links = _links(s, kind, (i.zoho_id for i in items))
    ours = []
    for item in items:
        item.link = links.get(item.zoho_id)
        if only_company is None or item.link is None or item.link.company_id == only_company:
            ours.append(item)
    wanted = [i.zoho_id for i in ours if not i.deleted]
    if module == INVOICE.zoho_module:
        found = client.get_whole_records(module, wanted)  # the rows come only this way
    else:
        fields = _DEAL_FETCH if module == "Deals" else fetch_fields(module)
        found = client.get_records(module, wanted, fields) if wanted else []
    fetched = {str(r["id"]): r for r in found}
    with db.session() as s:
        for item in ours:
            item.record = fetched.get(item.zoho_id)
            # Gone between the notification and our read: it was deleted.
            item.deleted = item.deleted or item.record is None
            if item.link is None and item.record is not None:
                item.link = _link_by_key(s, kind, item.record, scopes)
    return [i for i in ours if only_company is None or i.link is None
            or i.link.company_id == only_company]


def _customer_edit(s: Session, ctx: _Context, link: RecordLink, current_es: str | None
                   ) -> CustomerEdit | None:
    key = (link.company_id, link.qb_id)
    if key not in ctx.edits:
        account = link if link.qb_type == ACCOUNT.qb_type else s.exec(
            select(RecordLink).where(RecordLink.company_id == link.company_id)
            .where(RecordLink.qb_type == ACCOUNT.qb_type)
            .where(RecordLink.qb_id == link.qb_id)).first() or link
        sequence = current_es or account.edit_sequence
        if not sequence:
            return None
        ctx.edits[key] = CustomerEdit(link=account, edit_sequence=sequence)
    return ctx.edits[key]


def _customer(s: Session, ctx: _Context, item: Work, link: RecordLink) -> None:
    current = ctx.known.get((link.company_id, link.qb_id))
    modified: datetime | None
    # A record Zoho no longer returns counts as deleted (``_resolve`` marks it so).
    if item.deleted or item.record is None:
        if item.module != "Accounts" or link.deleted or (current and not current.is_active):
            ctx.audit.count("unchanged")
            return
        want, zoho, modified = {"is_active": False}, {}, ctx.now
    else:
        company = ctx.companies[link.company_id]
        changed_at = true_time(company, current.time_modified,
                               ctx.observed.get((link.company_id, link.qb_id))) \
            if current is not None else None
        decision = decide(item.module, item.record, link.field_hashes or {}, current,
                          company_scope(company.file_id),
                          affected=None if item.any_field else item.affected,
                          qb_changed_at=changed_at)
        for conflict in decision.conflicts:
            ctx.audit.count("conflicts")
            ctx.event(f"conflict_{conflict.winner}_won", item, changed_fields=[conflict.field])
        if decision.kept_by_qbd:
            _kept(s, ctx, item, link, decision.kept_by_qbd)
        if not decision.apply:
            ctx.audit.count("unchanged")
            return
        want = customer_changes(item.module, decision.apply, current)
        zoho, modified = {item.module: decision.apply}, zoho_time(item.record)
    edit = _customer_edit(s, ctx, link, current.edit_sequence if current else None)
    if edit is None:
        ctx.audit.count("failed")
        ctx.event("failed", item, error_message="no EditSequence is known for this customer yet; "
                  "it has to be read from QuickBooks first")
        return
    edit.add(item.module, item.zoho_id, zoho.get(item.module, {}), want,
             current_values(current, want), modified)


def _kept(s: Session, ctx: _Context, item: Work, link: RecordLink, fields: list[str]) -> None:
    """Zoho edited fields QuickBooks owns: reported, and no longer taken as what Zoho holds,
    so the next QuickBooks change of the record sends QuickBooks' values back with it (an
    update sends only changed fields; without this the Zoho edit would stay for good)."""
    ctx.event("kept_qbd", item, changed_fields=fields)
    row = s.get(RecordLink, link.id) if link.id is not None else None
    for held in filter(None, (link, row)):
        held.field_hashes = {k: v for k, v in (held.field_hashes or {}).items()
                             if k not in fields}


def _deal(s: Session, ctx: _Context, item: Work, link: RecordLink) -> None:
    stage = None if item.record is None else item.record.get("Stage")
    lost = item.deleted or stage in ctx.lost_stages
    kept = sorted(item.affected & _DEAL_FIELDS)
    if kept:
        ctx.event("kept_qbd", item, changed_fields=kept)
    stage_moved = item.deleted or item.any_field or "Stage" in item.affected
    if not lost or link.deleted or not stage_moved:
        ctx.audit.count("unchanged")
        return
    choice = policy_of(s, link.company_id).closed_deals
    if choice == ClosedDealPolicy.VOID:
        if queue_txn_void(s, link, item.zoho_id, ctx.now) is not None:
            ctx.event("void_queued", item, edit_sequence=link.edit_sequence,
                      changed_fields=["Stage"])
        return
    ctx.audit.count("unchanged")
    ctx.event("invoice_kept", item, changed_fields=["deleted" if item.deleted else "Stage"])
    if choice == ClosedDealPolicy.IGNORE:
        return
    # The office decides: the invoice may still be owed, or it should be voided in QuickBooks.
    how = "deleted" if item.deleted else f"closed lost ({stage})"
    open_review(s, company_id=link.company_id, qb_type=link.qb_type, qb_id=link.qb_id,
                qb_name=None, zoho_module=item.module, candidates=[item.zoho_id], now=ctx.now,
                add_reason=True,
                reason=(f"sales {how} this Deal in Zoho; its QuickBooks invoice is left as it "
                        "is. Void it in QuickBooks if it is void (or let lost Deals void their "
                        "invoices: ml-connector company policy COMPANY --closed-deals void), "
                        "then close this with --ignore"))


def _product(s: Session, ctx: _Context, item: Work, link: RecordLink) -> None:
    if item.record is not None:
        decision = decide(item.module, item.record, link.field_hashes or {}, None, "",
                          affected=None if item.any_field else item.affected)
        kept = [f for f in decision.kept_by_qbd if f not in MONEY_FIELDS["Products"]]
        if kept:
            _kept(s, ctx, item, link, kept)
    ctx.audit.count("unchanged")


def _invoice(s: Session, ctx: _Context, item: Work, link: RecordLink) -> None:
    ctx.audit.count("unchanged")
    if item.record is None or link.deleted:
        return
    written = written_of(s, link.company_id, [link.qb_id]).get(link.qb_id)
    edit = line_edit(link, item.zoho_id, item.record, written)
    if edit is None:
        return
    if policy_of(s, link.company_id).invoice_lines != InvoiceLinesPolicy.BOTH_WAYS:
        ctx.lines.append((edit, _OWNS_MONEY))
        return
    outcome = queue_line_edit(s, edit, ctx.now)
    if isinstance(outcome, Refused):
        ctx.lines.append((edit, f"{outcome.reason} (lines go both ways for this company)"))
    elif outcome is not None:
        ctx.event("queued", item, edit_sequence=outcome.base_edit_sequence,
                  changed_fields=[INVOICED_ITEMS], values={INVOICED_ITEMS: edit.zoho_text()},
                  old_values={INVOICED_ITEMS: edit.qb_text()})


def _unlinked(s: Session, ctx: _Context, item: Work) -> None:
    record = item.record or {}
    born = item.module == "Accounts" and item.record is not None and not record.get(QBD_KEY)
    if born and ctx.home is not None:
        name = str(record.get("Account_Name") or "") or None
        choice = policy_of(s, ctx.home).zoho_born
        add = latest_add(s, ctx.home, item.zoho_id)
        if add is not None and not withdraw_add(s, add, ctx.now):
            return  # QuickBooks has (or had) its CustomerAdd: its answer is what counts
        if add is not None or choice == ZohoBornPolicy.CREATE:
            ctx.born.append(record)
            if add is not None and add.review_id is not None:
                ctx.born_reviews[item.zoho_id] = add.review_id
        elif choice == ZohoBornPolicy.IGNORE:
            ctx.event("zoho_born_ignored", item, qb_name=name)
        elif raise_zoho_born_account(s, company_id=ctx.home, zoho_id=item.zoho_id, name=name,
                                     now=ctx.now):
            ctx.event("zoho_born", item, qb_name=name)
        return
    ctx.event("not_linked", item)


def _decide(s: Session, ctx: _Context, item: Work) -> None:
    link = item.link
    if link is not None and item.record is not None and not link.deleted:
        ctx.money.extend(money_edits(item.module, item.zoho_id, item.record, link))
    if link is None:
        ctx.audit.count("unchanged")
        if not item.deleted:
            _unlinked(s, ctx, item)
    elif item.module in ("Accounts", "Contacts"):
        _customer(s, ctx, item, link)
    elif item.module == "Deals":
        _deal(s, ctx, item, link)
    elif item.module == INVOICE.zoho_module:
        _invoice(s, ctx, item, link)
    else:
        _product(s, ctx, item, link)


def _load_known(s: Session, ctx: _Context, items: list[Work]) -> None:
    by_company: dict[int, set[str]] = defaultdict(set)
    for item in items:
        if item.link is not None and item.module in ("Accounts", "Contacts"):
            by_company[item.link.company_id].add(item.link.qb_id)
    for company_id, list_ids in by_company.items():
        seen: dict[str, datetime] = {}
        ctx.known.update({(company_id, list_id): customer for list_id, customer
                          in latest_customers(s, company_id, list_ids, seen).items()})
        ctx.observed.update({(company_id, list_id): at for list_id, at in seen.items()})


def _queue(s: Session, ctx: _Context) -> None:
    waiting = open_write_backs(s, (e.link.id for e in ctx.edits.values() if e.link.id))
    for edit in ctx.edits.values():
        row = queue_customer_edit(s, edit, ctx.now, waiting.get(edit.link.id or 0, []))
        fields = sorted({f for values in edit.zoho.values() for f in values}
                        | ({QBD_ACTIVE} if edit.want.get("is_active") is False else set()))
        new = {f: v for values in edit.zoho.values() for f, v in values.items()}
        was = edit.link.field_values or {}
        ctx.audit.event("queued", qb_type=row.qb_type, qb_id=row.qb_id,
                        edit_sequence=row.base_edit_sequence, zoho_module=edit.source[0],
                        zoho_id=edit.source[1], changed_fields=fields, values=new,
                        old_values={f: was[f] for f in new if f in was})


def handle_batch(db: Database, client: ZohoClient, audit: AuditRecorder, work: list[Work],
                 companies: dict[int, Company], *, only_company: int | None,
                 now: datetime, lost_stages: frozenset[str] = frozenset()) -> None:
    scopes = {company_scope(c.file_id): cid for cid, c in companies.items()}
    by_module: dict[str, list[Work]] = defaultdict(list)
    for item in work:
        by_module[item.module].append(item)
    decided: list[Work] = []
    for module, items in by_module.items():
        if module not in KINDS:
            for item in items:
                item.done = True
            continue
        mine = _resolve(db, client, module, items, scopes, only_company)
        audit.count("read", sum(1 for i in mine if i.record is not None))
        decided.extend(mine)
    ctx = _Context(audit, companies, now, lost_stages,
                   home=only_company if only_company is not None
                   else next(iter(companies)) if len(companies) == 1 else None)
    # Older Zoho edits first, so the newest value of a field is the one queued.
    decided.sort(key=lambda i: (zoho_time(i.record or {}) or now, i.zoho_id))
    with db.session() as s:
        _load_known(s, ctx, decided)
        for item in decided:
            _decide(s, ctx, item)
        _queue(s, ctx)
    restore_money(db, client, audit, ctx.money, companies, now)
    restore_lines(db, client, audit, ctx.lines, now)
    if ctx.home is not None:
        add_accounts(db, client, audit, ctx.home, ctx.born, now, reviews=ctx.born_reviews)
    for item in decided:
        item.done = True

"""Stage 1: customers -> Accounts (matched to existing ones first), primary Contacts, jobs."""

from __future__ import annotations

from collections.abc import Sequence

from connector.mapping.accounts import map_account, map_contact
from connector.mapping.keys import ACCOUNT, CONTACT, JOB
from connector.mapping.payload import Mapped
from connector.match_index import IndexSource
from connector.matching import AMBIGUOUS, NEW, Match, MatchRequest, match_accounts
from connector.qbxml.models import Customer
from connector.reviews import close_reviews, decisions, open_review
from connector.store import Database, ReviewDecision
from connector.sync.batch import Batch, Entry
from connector.sync.confirmed import ConfirmedPlan
from connector.sync.context import Pending, SyncContext
from connector.sync.deal_contacts import repoint_contacts
from connector.sync.qb_state import latest_customers

__all__ = ["sync_customers", "reviewed"]


def _fresh(ctx: SyncContext, entries: Sequence[Entry[Customer]]) -> list[Entry[Customer]]:
    out = []
    for e in entries:
        c = e.record
        if ctx.links.already_synced(ACCOUNT, c.list_id, c.edit_sequence, force=e.force):
            ctx.journal.unchanged()
        else:
            out.append(e)
    return out


def reviewed(db: Database, company_id: int, customers: Sequence[Customer]
             ) -> dict[str, Match]:
    """What a person decided in `review resolve` (or `review import`), not yet applied."""
    return {qb_id: (Match("review", item.decision_zoho_id)
                    if item.decision == ReviewDecision.LINK else Match(NEW))
            for qb_id, item in decisions(db, company_id, ACCOUNT.qb_type,
                                         [c.list_id for c in customers]).items()}


def _matches(ctx: SyncContext, entries: Sequence[Entry[Customer]]) -> dict[str, Match]:
    unlinked = [e.record for e in entries
                if ctx.links.zoho_id([ACCOUNT], e.record.list_id) is None]
    if not unlinked:
        return {}
    # What a person decided in `review resolve`, then in a confirmed plan, comes before any
    # lookup.
    decided = reviewed(ctx.db, ctx.company_id, unlinked)
    if ctx.plan is not None:
        unlinked = _as_planned(ctx, ctx.plan, unlinked, decided)
    index = ctx.index or IndexSource(ctx.client)
    for match in decided.values():
        if match.account_id:
            index.get().claim(match.account_id)
    return decided | match_accounts(ctx.client, [
        MatchRequest.of(c, ctx.scope) for c in unlinked if c.list_id not in decided],
        index=index)


def _as_planned(ctx: SyncContext, plan: ConfirmedPlan, unlinked: list[Customer],
                decided: dict[str, Match]) -> list[Customer]:
    """Decide from the confirmed plan the customers whose newest version is the planned one;
    the others are matched again, by their newest version (an older one still waiting in
    the stored responses must not be written on the plan's word)."""
    with ctx.db.session() as s:
        newest = latest_customers(s, ctx.company_id, [c.list_id for c in unlinked])
    again = []
    for c in unlinked:
        latest = newest.get(c.list_id, c)
        planned = plan.match(c.list_id, latest.edit_sequence)
        if c.list_id in decided:
            continue
        if planned is not None:
            decided[c.list_id] = planned
        else:
            again.append(latest)
    return again


def _hold(ctx: SyncContext, entry: Entry[Customer], match: Match) -> None:
    c = entry.record
    if match.evidence.startswith("plan #"):
        # The plan's own words: what matched then, not a guess at it now.
        reason = (f"the confirmed {match.evidence} leaves customer {c.full_name!r} to a "
                  "person; nothing was created. Link one of its Accounts or create a new one "
                  "with `ml-connector review resolve`")
    elif match.evidence.startswith("possibly"):
        reason = (f"customer {c.full_name!r} matches no Zoho Account by e-mail or phone, but "
                  f"is {match.evidence}; nothing was created. Link one or create a new Account "
                  "with `ml-connector review resolve`")
    else:
        reason = (f"{len(match.candidates)} Zoho Accounts match customer {c.full_name!r} by "
                  "e-mail or phone (or one Account matches several customers); nothing was "
                  "created. Merge the duplicates in Zoho or give one of them this customer's "
                  "QBD key, then run a backfill")
    with ctx.db.session() as s:
        open_review(s, company_id=ctx.company_id, qb_type=ACCOUNT.qb_type, qb_id=c.list_id,
                    qb_name=c.full_name, reason=reason, zoho_module=ACCOUNT.zoho_module,
                    candidates=match.candidates, now=ctx.clock())
    ctx.journal.review(ACCOUNT, c.list_id, c.edit_sequence, match.candidates, reason)


def _accounts(ctx: SyncContext, entries: Sequence[Entry[Customer]]) -> dict[str, str]:
    """Write the Accounts; returns the Contacts the matching found to adopt, by ListID."""
    matches = _matches(ctx, entries)
    pending: list[Pending] = []
    contacts: dict[str, str] = {}
    for e in entries:
        match = matches.get(e.record.list_id)
        if match is not None and match.how == AMBIGUOUS:
            _hold(ctx, e, match)
            continue
        adopt = (match.account_id if match is not None and match.adopts
                 else ctx.links.claimed(ACCOUNT, e.record.list_id))
        if match is not None and match.contact_id:
            contacts[e.record.list_id] = match.contact_id
        ctx.sort_out(e, map_account(e.record, ctx.scope), pending, adopt)
    saved = ctx.write_and_commit(ACCOUNT.zoho_module, pending)
    with ctx.db.session() as s:
        close_reviews(s, ctx.company_id, ACCOUNT.qb_type,
                      [x.pending.mapped.qb_id for x in saved], ctx.clock())
    return contacts


def _contacts(ctx: SyncContext, entries: Sequence[Entry[Customer]],
              adopt: dict[str, str], had_account: set[str]) -> None:
    """Write the primary Contacts (``had_account``: customers whose Account was in Zoho
    before this chunk, so their Deals may need to follow a new Contact)."""
    pending: list[Pending] = []
    for e in entries:
        c = e.record
        account_id = ctx.links.zoho_id([ACCOUNT], c.list_id)
        if account_id is None or ctx.links.already_synced(CONTACT, c.list_id, c.edit_sequence,
                                                          force=e.force):
            continue  # no Account (failed or held: already journaled), or nothing new
        mapped = map_contact(c, ctx.scope, account_id)
        if mapped is None:
            ctx.links.record_not_written(CONTACT, c.list_id, c.edit_sequence)
            continue
        link = ctx.links.get(CONTACT, c.list_id)
        known = link is not None and link.zoho_id is not None
        ctx.sort_out(e, mapped, pending, ctx.links.claimed(CONTACT, c.list_id)
                     or (None if known else adopt.get(c.list_id)))
    before = {p.mapped.qb_id: ctx.links.zoho_id([CONTACT], p.mapped.qb_id) for p in pending}
    saved = ctx.write_and_commit(CONTACT.zoho_module, pending)
    # A customer whose primary Contact is another Zoho record now: the Deals its Account
    # already had follow. (A customer new to Zoho has no Deals yet: nothing to ask.)
    moved: dict[str, str] = {}
    for x in saved:
        qb_id = x.pending.mapped.qb_id
        account = ctx.links.zoho_id([ACCOUNT], qb_id)
        if account and qb_id in had_account and x.zoho_id != before.get(qb_id):
            moved[account] = x.zoho_id
    repoint_contacts(ctx, moved)


def _jobs(ctx: SyncContext, entries: Sequence[Entry[Customer]]) -> None:
    """A job links to its top-level customer's Account (through its parents, top first)."""
    for e in sorted(entries, key=lambda x: x.record.sublevel):
        job = e.record
        if ctx.links.already_synced(JOB, job.list_id, job.edit_sequence, force=e.force):
            ctx.journal.unchanged()
            continue
        parent = job.parent.list_id if job.parent else None
        account_id = ctx.links.zoho_id([ACCOUNT, JOB], parent) if parent else None
        if account_id is None:
            ctx.defer(e, JOB, job.list_id, f"its customer {job.full_name.split(':')[0]!r} "
                      "is not in Zoho yet")
            continue
        mapped = Mapped(JOB, job.list_id, job.edit_sequence,
                        {"Account_Name": {"id": account_id}}, label=job.full_name)
        if ctx.links.unchanged(mapped, force=e.force):
            ctx.links.touch(mapped)
            ctx.journal.unchanged()
            continue
        before = ctx.links.get(JOB, job.list_id)
        ctx.links.record(mapped, account_id)
        ctx.journal.written(JOB, job.list_id, job.edit_sequence, account_id,
                            "linked" if before is None else "relinked", ["Account_Name"])


def sync_customers(ctx: SyncContext, batch: Batch) -> None:
    entries = list(batch.customers.values())
    tops = _fresh(ctx, [e for e in entries if not e.record.is_job])
    had_account = {e.record.list_id for e in entries
                   if ctx.links.zoho_id([ACCOUNT], e.record.list_id)}
    if tops:
        adopt = _accounts(ctx, tops)
        _contacts(ctx, tops, adopt, had_account)
    # Contacts of customers whose Account is current still need their own check.
    fresh = {id(e) for e in tops}
    current = [e for e in entries if not e.record.is_job and id(e) not in fresh]
    _contacts(ctx, current, {}, had_account)
    _jobs(ctx, [e for e in entries if e.record.is_job])

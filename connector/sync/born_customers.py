"""Zoho-born Accounts that become QuickBooks customers: a ``CustomerAdd`` each, followed
until QuickBooks answers.

An Account is added when its company chose ``--zoho-born create``, or when a person settled
its review item with ``review resolve ID --create``. The customer takes the Account's fields
(name, phones, addresses, notes) and its primary Contact's person: first and last name,
e-mail, and the phone or address where the Account has none. The bridge links the new
customer to the Account when QuickBooks answers (``connector.qbwc.customer_add``); the next
``zoho_to_qb`` run audits the outcome. A refusal (3100: the name is taken) becomes a review
item that says so, and the Account is not tried again until a person decides again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from connector.audit import AuditRecorder
from connector.qbwc.queue import Band, enqueue
from connector.qbxml.builders import customer_add
from connector.qbxml.status import STATUS_CODES
from connector.reviews import close_reviews, open_review
from connector.store import (
    CustomerAddState,
    Database,
    QueuedRequest,
    RawResponse,
    RequestKind,
    RequestState,
    ReviewDecision,
    ReviewItem,
    ReviewStatus,
    ZohoBornCustomer,
)
from connector.sync.write_backs import withdraw
from connector.sync.zoho_born import ZOHO_ACCOUNT
from connector.sync.zoho_fields import REVERSE, customer_changes, fetch_fields, to_input
from connector.zoho.base import chunks
from connector.zoho.client import ZohoClient
from connector.zoho.coql import COQL_MAX_IN, quote
from connector.zoho.fields import QBD_KEY

__all__ = ["ACCOUNT_FIELDS", "customer_input", "add_accounts", "apply_create_decisions",
           "settle_customer_adds", "latest_add", "withdraw_add"]

log = logging.getLogger(__name__)

# What to read of an Account that may become a customer.
ACCOUNT_FIELDS = fetch_fields("Accounts")
_CONTACT_FIELDS = ["id", *REVERSE["Contacts"], QBD_KEY, "Account_Name"]
_WAITING = (RequestState.PENDING, RequestState.SENT)
_NAME_TAKEN = 3100


def latest_add(s: Session, company_id: int, account_id: str) -> ZohoBornCustomer | None:
    return s.exec(select(ZohoBornCustomer).where(ZohoBornCustomer.company_id == company_id)
                  .where(ZohoBornCustomer.account_id == account_id)
                  .order_by(col(ZohoBornCustomer.id).desc()).limit(1)).first()


def withdraw_add(s: Session, add: ZohoBornCustomer, now: datetime) -> bool:
    """Take back a CustomerAdd QuickBooks has not been handed yet, so one built from the
    Account as it is now replaces it (a salesperson fills in a new Account over several
    edits); False when QuickBooks has it, or had it."""
    if add.state != CustomerAddState.QUEUED or not withdraw(s, add.request_id):
        return False
    add.state, add.settled_at, add.updated_at = CustomerAddState.SUPERSEDED, now, now
    s.add(add)
    return True


def _primary_contacts(client: ZohoClient, account_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Each Account's first Contact (the oldest) that no QuickBooks customer claims yet."""
    found: dict[str, dict[str, Any]] = {}
    for batch in chunks(list(account_ids), COQL_MAX_IN):
        where = f"Account_Name in ({', '.join(quote(i) for i in batch)})"
        for row in client.coql_all("Contacts", _CONTACT_FIELDS, where):
            account = row.get("Account_Name")
            account_id = str(account.get("id")) if isinstance(account, dict) else None
            if account_id and not row.get(QBD_KEY):
                found.setdefault(account_id, row)
    return found


def _filled(changes: Mapping[str, Any]) -> dict[str, Any]:
    # A new customer has nothing to clear: an empty Zoho field is simply not sent.
    return {key: value for key, value in changes.items() if value not in ("", None)}


def customer_input(account: Mapping[str, Any],
                   contact: Mapping[str, Any] | None) -> dict[str, Any]:
    """Flat CustomerAdd fields for ``account`` and its primary ``contact``."""
    own = _filled(customer_changes("Accounts", {f: account.get(f) for f in REVERSE["Accounts"]
                                                if f in account}, None))
    person = _filled(customer_changes("Contacts", {f: contact.get(f) for f in REVERSE["Contacts"]
                                                   if f in contact}, None)) if contact else {}
    if any(key.startswith("bill_address.") for key in own):
        # An address is one thing: the Account's, whole, rather than a mix of both.
        person = {k: v for k, v in person.items() if not k.startswith("bill_address.")}
    name = str(account.get("Account_Name") or "").strip()
    full = " ".join(filter(None, (person.get("first_name"), person.get("last_name"))))
    return {**person, **own, "name": name, "company_name": name,
            **({"contact": full} if full else {})}


def _queue(s: Session, company_id: int, account: Mapping[str, Any],
           contact: Mapping[str, Any] | None, review_id: int | None,
           now: datetime) -> tuple[ZohoBornCustomer, dict[str, Any]]:
    want = customer_input(account, contact)
    changes = to_input(want)
    request = enqueue(s, company_id, kind=RequestKind.WRITE, entity="Customer", seq=Band.WRITE,
                      build=lambda rid: customer_add(rid, changes))
    row = ZohoBornCustomer(company_id=company_id, account_id=str(account["id"]),
                           contact_id=str(contact["id"]) if contact else None, name=want["name"],
                           request_id=request.id, review_id=review_id, created_at=now,
                           updated_at=now)
    s.add(row)
    return row, want


def add_accounts(db: Database, client: ZohoClient, audit: AuditRecorder, company_id: int,
                 accounts: Sequence[Mapping[str, Any]], now: datetime,
                 reviews: Mapping[str, int] | None = None) -> None:
    """Queue a CustomerAdd for each Account (``reviews``: the review item that decided it,
    by Account id)."""
    if not accounts:
        return
    contacts = _primary_contacts(client, [str(a["id"]) for a in accounts])
    with db.session() as s:
        for account in accounts:
            account_id = str(account["id"])
            if not str(account.get("Account_Name") or "").strip():
                audit.count("failed")
                audit.event("failed", zoho_module="Accounts", zoho_id=account_id,
                            error_message="the Account has no name to give the customer")
                continue
            row, want = _queue(s, company_id, account, contacts.get(account_id),
                               (reviews or {}).get(account_id), now)
            audit.event("customer_add_queued", qb_type="Customer", qb_name=row.name,
                        zoho_module="Accounts", zoho_id=account_id,
                        changed_fields=sorted(want), values=want)


def _decided(s: Session, company_ids: Iterable[int]) -> list[ReviewItem]:
    return list(s.exec(select(ReviewItem).where(ReviewItem.qb_type == ZOHO_ACCOUNT)
                       .where(col(ReviewItem.company_id).in_(list(company_ids)))
                       .where(ReviewItem.status == ReviewStatus.DECIDED)
                       .where(ReviewItem.decision == ReviewDecision.CREATE)
                       .order_by(col(ReviewItem.id))).all())


def apply_create_decisions(db: Database, client: ZohoClient, audit: AuditRecorder,
                           company_ids: Iterable[int], now: datetime) -> None:
    """The Accounts a person decided to create (``review resolve ID --create``): each
    becomes a CustomerAdd, once."""
    with db.session() as s:
        waiting: dict[int, list[ReviewItem]] = {}
        for item in _decided(s, company_ids):
            add = latest_add(s, item.company_id, item.qb_id)
            # One already on its way (or made) for this decision: its answer settles the item.
            if add is None or add.state == CustomerAddState.FAILED:
                waiting.setdefault(item.company_id, []).append(item)
    for company_id, items in waiting.items():
        found = {str(r["id"]): r for r in client.get_records(
            "Accounts", [i.qb_id for i in items], ACCOUNT_FIELDS)}
        with db.session() as s:
            for item in items:
                if found.get(item.qb_id) is None or found[item.qb_id].get(QBD_KEY):
                    _settle_item(s, item.id, now, "the Account is no longer in Zoho, or a "
                                 "QuickBooks customer claimed it meanwhile; nothing was created")
        add_accounts(db, client, audit, company_id,
                     [found[i.qb_id] for i in items
                      if found.get(i.qb_id) is not None and not found[i.qb_id].get(QBD_KEY)],
                     now, reviews={i.qb_id: i.id for i in items if i.id is not None})


def _settle_item(s: Session, item_id: int | None, now: datetime,
                 note: str | None = None) -> None:
    row = s.get(ReviewItem, item_id) if item_id is not None else None
    if row is not None:
        row.status, row.resolved_at = ReviewStatus.RESOLVED, now
        if note:
            row.reason = f"{row.reason} | {note}"


def _refused(s: Session, add: ZohoBornCustomer, request: QueuedRequest) -> tuple[str, str]:
    answer = s.exec(select(RawResponse).where(RawResponse.request_id == add.request_id)
                    .order_by(col(RawResponse.id).desc()).limit(1)).first()
    code = answer.status_code if answer is not None else None
    if code == _NAME_TAKEN:
        return str(code), (f"QuickBooks already uses the name {add.name[:41]!r} (a customer, "
                           "vendor, employee or other name): nothing was created. Rename the "
                           "Account in Zoho and decide again with `ml-connector review resolve "
                           "ID --create`, or close this with --ignore")
    meaning = STATUS_CODES.get(code, (None, ""))[1] if code is not None else ""
    message = (answer.status_message if answer is not None and answer.status_message
               else request.error) or meaning or "QuickBooks refused the new customer"
    return (str(code) if code is not None else (answer.hresult if answer else None)
            or "refused", f"QuickBooks refused the new customer: {message}")


def _fail(s: Session, audit: AuditRecorder, add: ZohoBornCustomer, code: str, message: str,
          now: datetime) -> None:
    add.state, add.error_code, add.error_message = CustomerAddState.FAILED, code, message
    audit.count("failed")
    audit.event("failed", qb_type="Customer", qb_name=add.name, zoho_module="Accounts",
                zoho_id=add.account_id, error_code=code, error_message=message)
    item = open_review(s, company_id=add.company_id, qb_type=ZOHO_ACCOUNT, qb_id=add.account_id,
                       qb_name=add.name, zoho_module="Accounts", candidates=[add.account_id],
                       now=now, reason=message)
    # The decision was tried and refused: the item waits for a person again.
    item.status, item.decision, item.decision_zoho_id = ReviewStatus.OPEN, None, None


def settle_customer_adds(s: Session, audit: AuditRecorder, *, company_id: int | None,
                         now: datetime) -> None:
    """Audit what QuickBooks answered to the CustomerAdds since the last run."""
    query = select(ZohoBornCustomer).where(col(ZohoBornCustomer.settled_at).is_(None))
    if company_id is not None:
        query = query.where(ZohoBornCustomer.company_id == company_id)
    for add in s.exec(query.order_by(col(ZohoBornCustomer.id))).all():
        request = s.get(QueuedRequest, add.request_id) if add.request_id else None
        if add.state == CustomerAddState.QUEUED and request is not None \
                and request.state in _WAITING:
            continue
        if add.state == CustomerAddState.ADDED:
            audit.count("created")
            audit.event("customer_added", qb_type="Customer", qb_id=add.list_id,
                        qb_name=add.name, zoho_module="Accounts", zoho_id=add.account_id)
            # Its item, whether a person decided it or the company chose create after it
            # was raised, has nothing left to wait for.
            close_reviews(s, add.company_id, ZOHO_ACCOUNT, [add.account_id], now)
        elif request is None or request.state == RequestState.CANCELLED:
            _fail(s, audit, add, "cancelled", "the CustomerAdd was cancelled before QuickBooks "
                  "answered; nothing was created", now)
        elif request.state == RequestState.ANSWERED:
            _fail(s, audit, add, "unlinked", "QuickBooks accepted the new customer but its "
                  "answer named none; look for it in QuickBooks before deciding again", now)
        else:
            _fail(s, audit, add, *_refused(s, add, request), now=now)
        add.settled_at, add.updated_at = now, now
        s.add(add)

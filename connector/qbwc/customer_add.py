"""What the bridge does with QuickBooks' answer to the CustomerAdd of a Zoho-born Account.

The new customer is linked to the Account (and its Contact) the moment QuickBooks answers,
in the transaction that stores the answer: the delta read of the same session returns that
customer, and the sync that follows must find it linked, or it would match it afresh (and,
without an e-mail or phone to match on, create a second Account). The links carry the Zoho
ids only, nothing written yet, so that sync adopts the Account and Contact by id and gives
them the customer's ``QBD_Key``.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session, select

from connector.mapping.keys import ACCOUNT, CONTACT
from connector.qbxml.models import Customer
from connector.qbxml.parse import QbxmlParseError, ResponseStream
from connector.store import CustomerAddState, QueuedRequest, RecordLink, ZohoBornCustomer

__all__ = ["link_added_customer"]

log = logging.getLogger(__name__)


def _added(response: str) -> Customer | None:
    try:
        return next((r for r in ResponseStream(response, strict=False)
                     if isinstance(r, Customer)), None)
    except QbxmlParseError:
        return None


def link_added_customer(s: Session, row: QueuedRequest, response: str,
                        now: datetime) -> ZohoBornCustomer | None:
    """Link the customer QuickBooks made for request ``row`` (None: not a CustomerAdd of a
    Zoho-born Account, or QuickBooks' answer names no customer)."""
    add = s.exec(select(ZohoBornCustomer).where(ZohoBornCustomer.request_id == row.id)).first()
    if add is None or add.state != CustomerAddState.QUEUED:
        return None
    customer = _added(response)
    if customer is None:
        log.warning("company %s: QuickBooks accepted the CustomerAdd of Zoho Account %s but "
                    "its answer names no customer", row.company_id, add.account_id)
        return None
    for kind, zoho_id in ((ACCOUNT, add.account_id), (CONTACT, add.contact_id)):
        if zoho_id:
            s.add(RecordLink(company_id=row.company_id, qb_type=kind.qb_type,
                             qb_id=customer.list_id, zoho_module=kind.zoho_module,
                             zoho_id=zoho_id))
    add.list_id, add.state, add.updated_at = customer.list_id, CustomerAddState.ADDED, now
    s.add(add)
    return add

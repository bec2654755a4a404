"""Accounts created in Zoho, not from QuickBooks: raised for the office, never guessed at.

A salesperson's new Account is not a QuickBooks customer, and creating customers in the books
is the bookkeeper's decision. So by default (``company policy NAME --zoho-born review``) such
an Account appears in ``ml-connector review list``: the office adds the customer in
QuickBooks (the next sync then matches it to this Account by e-mail or phone and links them),
has ml-connector add it (``review resolve ID --create``), or closes the item with
``--ignore``, after which the Account is not raised again. Contacts and Deals made in Zoho
are sales' own daily work and are not raised. Which company file a Zoho-born Account belongs
to is only known when the run is for one company or only one is registered; otherwise it
stays an audited ``not_linked``.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from connector.reviews import ZOHO_ACCOUNT, open_review
from connector.store import ReviewDecision, ReviewItem

__all__ = ["ZOHO_ACCOUNT", "raise_zoho_born_account"]


def raise_zoho_born_account(s: Session, *, company_id: int, zoho_id: str, name: str | None,
                            now: datetime) -> bool:
    """Open (or refresh) the Account's review item; False when a person closed it with
    ``--ignore`` already."""
    ignored = s.exec(select(ReviewItem.id).where(ReviewItem.company_id == company_id)
                     .where(ReviewItem.qb_type == ZOHO_ACCOUNT)
                     .where(ReviewItem.qb_id == zoho_id)
                     .where(ReviewItem.decision == ReviewDecision.IGNORE)).first()
    if ignored is not None:
        return False
    open_review(s, company_id=company_id, qb_type=ZOHO_ACCOUNT, qb_id=zoho_id, qb_name=name,
                zoho_module="Accounts", candidates=[zoho_id], now=now,
                reason=("created in Zoho, not from QuickBooks; nothing was created in "
                        "QuickBooks. Add the customer in QuickBooks (the next sync matches it "
                        "to this Account by e-mail or phone), let ml-connector add it with "
                        "--create, or close this with --ignore"))
    return True

"""Each company's sync-back choices: what Zoho-born Accounts, lost Deals and Zoho Invoice line
edits do in QuickBooks.

No row means every default: both wait for a person in ``review list``.
"""

from __future__ import annotations

from sqlmodel import Session

from connector.qbwc.companies import get_company
from connector.store import (
    ClosedDealPolicy,
    Database,
    InvoiceLinesPolicy,
    SyncBackPolicy,
    ZohoBornPolicy,
)
from connector.store.rows import require_id
from connector.store.types import utcnow

__all__ = ["policy_of", "show_policy", "set_policy", "describe", "money_policy"]

_BORN = {
    ZohoBornPolicy.REVIEW: "an Account created in Zoho waits in review list",
    ZohoBornPolicy.CREATE: "an Account created in Zoho becomes a QuickBooks customer "
                           "(with its first Contact as the customer's contact)",
    ZohoBornPolicy.IGNORE: "an Account created in Zoho is only audited",
}
_CLOSED = {
    ClosedDealPolicy.REVIEW: "a Deal closed lost or deleted in Zoho leaves its invoice as it "
                             "is and waits in review list",
    ClosedDealPolicy.VOID: "a Deal closed lost or deleted in Zoho voids its invoice",
    ClosedDealPolicy.IGNORE: "a Deal closed lost or deleted in Zoho leaves its invoice as it "
                             "is (only audited)",
}

_LINES = {
    InvoiceLinesPolicy.QUICKBOOKS: (
        "QuickBooks owns money: a Zoho edit of a Deal amount, a Product price or a Zoho "
        "Invoice's lines is restored to QuickBooks' value, recorded as a conflict and raised "
        "for review"),
    InvoiceLinesPolicy.BOTH_WAYS: (
        "invoice lines both ways: a Zoho Invoice's line edits (quantity, price, description, "
        "lines added or removed) become an InvoiceMod in QuickBooks and its new totals come "
        "back to the Deal; a Zoho edit of a Deal amount or a Product price is restored to "
        "QuickBooks' value, recorded as a conflict and raised for review"),
}


def policy_of(s: Session, company_id: int) -> SyncBackPolicy:
    """The company's choices (the defaults when it never chose)."""
    return s.get(SyncBackPolicy, company_id) or SyncBackPolicy(company_id=company_id)


def show_policy(db: Database, company: str) -> SyncBackPolicy:
    company_id = require_id(get_company(db, company))
    with db.session() as s:
        return policy_of(s, company_id)


def set_policy(db: Database, company: str, *, zoho_born: ZohoBornPolicy | None = None,
               closed_deals: ClosedDealPolicy | None = None,
               invoice_lines: InvoiceLinesPolicy | None = None) -> SyncBackPolicy:
    """Change the choices given (None keeps one as it is); returns them all."""
    company_id = require_id(get_company(db, company))
    with db.session() as s:
        policy = policy_of(s, company_id)
        if zoho_born is not None:
            policy.zoho_born = zoho_born
        if closed_deals is not None:
            policy.closed_deals = closed_deals
        if invoice_lines is not None:
            policy.invoice_lines = invoice_lines
        policy.updated_at = utcnow()
        s.add(policy)
        return policy


def describe(policy: SyncBackPolicy) -> tuple[str, str]:
    """The Zoho-born and the lost-Deal choice in words, for ``ping`` and the CLI."""
    return (_BORN[ZohoBornPolicy(policy.zoho_born)],
            _CLOSED[ClosedDealPolicy(policy.closed_deals)])


def money_policy(policy: SyncBackPolicy) -> str:
    """The company's money policy in words, for ``ping`` and the CLI."""
    return _LINES[InvoiceLinesPolicy(policy.invoice_lines)]

"""Each company's sync-back choices: what Zoho-born Accounts and lost Deals do in QuickBooks.

No row means every default: both wait for a person in ``review list``.
"""

from __future__ import annotations

from sqlmodel import Session

from connector.qbwc.companies import get_company
from connector.store import ClosedDealPolicy, Database, SyncBackPolicy, ZohoBornPolicy
from connector.store.rows import require_id
from connector.store.types import utcnow

__all__ = ["policy_of", "show_policy", "set_policy", "describe"]

_BORN = {
    ZohoBornPolicy.REVIEW: "an Account created in Zoho waits in review list",
    ZohoBornPolicy.IGNORE: "an Account created in Zoho is only audited",
}
_CLOSED = {
    ClosedDealPolicy.REVIEW: "a Deal closed lost or deleted in Zoho leaves its invoice as it "
                             "is and waits in review list",
    ClosedDealPolicy.VOID: "a Deal closed lost or deleted in Zoho voids its invoice",
    ClosedDealPolicy.IGNORE: "a Deal closed lost or deleted in Zoho leaves its invoice as it "
                             "is (only audited)",
}


def policy_of(s: Session, company_id: int) -> SyncBackPolicy:
    """The company's choices (the defaults when it never chose)."""
    return s.get(SyncBackPolicy, company_id) or SyncBackPolicy(company_id=company_id)


def show_policy(db: Database, company: str) -> SyncBackPolicy:
    company_id = require_id(get_company(db, company))
    with db.session() as s:
        return policy_of(s, company_id)


def set_policy(db: Database, company: str, *, zoho_born: ZohoBornPolicy | None = None,
               closed_deals: ClosedDealPolicy | None = None) -> SyncBackPolicy:
    """Change the choices given (None keeps one as it is); returns them all."""
    company_id = require_id(get_company(db, company))
    with db.session() as s:
        policy = policy_of(s, company_id)
        if zoho_born is not None:
            policy.zoho_born = zoho_born
        if closed_deals is not None:
            policy.closed_deals = closed_deals
        policy.updated_at = utcnow()
        s.add(policy)
        return policy


def describe(policy: SyncBackPolicy) -> tuple[str, str]:
    """The Zoho-born and the lost-Deal choice in words, for ``ping`` and the CLI."""
    return (_BORN[ZohoBornPolicy(policy.zoho_born)],
            _CLOSED[ClosedDealPolicy(policy.closed_deals)])

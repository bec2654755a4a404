"""A confirmed plan, as the sync follows it: what a person agreed each customer becomes.

A customer whose version is the one planned gets what the plan said (link to that Account,
a new Account, or review), whatever the org looks like now; a customer changed since the plan
(or new) is matched again, as any sync does, never written on the plan's word.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from connector.matching import AMBIGUOUS, NEW, Match

__all__ = ["PlannedAccount", "ConfirmedPlan"]


@dataclass(frozen=True)
class PlannedAccount:
    edit_sequence: str | None
    action: str
    zoho_id: str | None
    candidates: tuple[str, ...]
    # Why the plan decided so (a review: what matched, and how), as the person read it.
    reason: str = ""


@dataclass(frozen=True)
class ConfirmedPlan:
    """What a person confirmed for the company's customers, by ListID."""

    plan_id: int
    accounts: dict[str, PlannedAccount] = field(default_factory=dict)
    # The existing Contact (an e-mail match) each linked customer's person adopts, by ListID.
    contacts: dict[str, str] = field(default_factory=dict)

    def match(self, list_id: str, edit_sequence: str | None) -> Match | None:
        """The plan's decision for this version of the customer; None: match it afresh."""
        planned = self.accounts.get(list_id)
        if planned is None or planned.edit_sequence != edit_sequence:
            return None
        if planned.action == "link" and planned.zoho_id:
            return Match("plan", planned.zoho_id, contact_id=self.contacts.get(list_id),
                         candidates=(planned.zoho_id,), evidence=f"plan #{self.plan_id}")
        if planned.action == "review":
            return Match(AMBIGUOUS, candidates=planned.candidates,
                         evidence=f"plan #{self.plan_id} ({planned.reason})")
        if planned.action == "create":
            return Match(NEW)
        return None  # updates and skips: the links and our key decide, as always

"""The org's adoptable Accounts, by phone (E.164) and by their Contacts' e-mail, read once.

Matching compares numbers, not the way they were typed, so it cannot ask Zoho for a phone
(``Phone in (...)`` finds only the spellings one thinks of). Instead one run reads, page by
page, the id and phone of every Account no QuickBooks record has claimed (no ``QBD_Key``) and
the e-mail of every Contact of those Accounts, and looks customers up here. An org whose
Accounts are all ours costs one call; nothing is read when no customer needs matching.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from connector.phones import DEFAULT_REGION, e164
from connector.suggest import Profile, Suggestion, suggest
from connector.zoho.client import ZohoClient
from connector.zoho.fields import QBD_KEY
from connector.zoho.metadata import OrgMeta

__all__ = ["OrgIndex", "IndexSource", "normalise_email", "ACCOUNT_COLUMNS"]

# What suggestions beyond e-mail and phone compare, read in the same pages.
ACCOUNT_COLUMNS = ("Phone", "Account_Name", "Website", "Billing_Street", "Billing_Code",
                   "Billing_Country")


def normalise_email(text: str | None) -> str | None:
    value = (text or "").strip().lower()
    return value if "@" in value else None


@dataclass
class OrgIndex:
    region: str = DEFAULT_REGION
    phones: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    # normalised e-mail -> [(account id, the Contact's id when it is unkeyed too)]
    emails: dict[str, list[tuple[str, str | None]]] = field(
        default_factory=lambda: defaultdict(list))
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    profiles: dict[str, Profile] = field(default_factory=dict)
    # normalised name / domain / address -> account ids, for suggestions
    weak: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    contacts_read: int = 0
    # Accounts adopted during this run: no longer anyone else's to take.
    claimed: set[str] = field(default_factory=set)

    @classmethod
    def read(cls, client: ZohoClient, region: str = DEFAULT_REGION,
             meta: OrgMeta | None = None) -> OrgIndex:
        """Read from Zoho; ``meta`` (the org's fields) leaves out columns a layout removed."""
        index = cls(region)
        columns = [c for c in ACCOUNT_COLUMNS
                   if meta is None or meta.field("Accounts", c) is not None]
        for row in client.coql_scan("Accounts", [*columns, QBD_KEY], f"{QBD_KEY} is null"):
            index.add_account(row)
        if not index.accounts:
            return index
        where = f"(Email is not null and Account_Name.{QBD_KEY} is null)"
        for row in client.coql_scan("Contacts", ["Email", QBD_KEY, "Account_Name"], where):
            index.contacts_read += 1
            index.add_contact(row)
        return index

    def add_account(self, row: dict[str, Any]) -> None:
        if row.get(QBD_KEY):
            return
        account_id = str(row["id"])
        self.accounts[account_id] = row
        phone = e164(row.get("Phone"), self.region)
        if phone:
            self.phones[phone].append(account_id)
        profile = self.profiles[account_id] = Profile.of_account(row)
        for kind, value in (("name", profile.name), ("domain", profile.domain),
                            ("address", profile.address)):
            if value:
                self.weak[(kind, value)].append(account_id)

    def add_contact(self, row: dict[str, Any]) -> None:
        account = row.get("Account_Name")
        account_id = str(account.get("id")) if isinstance(account, dict) else None
        email = normalise_email(row.get("Email"))
        if account_id in self.accounts and email:
            contact = None if row.get(QBD_KEY) else str(row["id"])
            self.emails[email].append((account_id, contact))

    def phone_key(self, text: str | None) -> str:
        return e164(text, self.region) or ""

    def by_phone(self, text: str | None) -> list[str]:
        phone = e164(text, self.region)
        return [a for a in self.phones.get(phone, []) if a not in self.claimed] if phone else []

    def by_email(self, text: str | None) -> list[tuple[str, str | None]]:
        email = normalise_email(text)
        return [h for h in self.emails.get(email, []) if h[0] not in self.claimed] \
            if email else []

    def suggestions(self, customer: Profile) -> list[Suggestion]:
        """Unclaimed Accounts sharing a name, domain or address with ``customer``."""
        ids = {a for kind, value in (("name", customer.name), ("domain", customer.domain),
                                     ("address", customer.address)) if value
               for a in self.weak.get((kind, value), []) if a not in self.claimed}
        return suggest(customer, ((a, self.profiles[a]) for a in sorted(ids)))

    def claim(self, account_id: str) -> None:
        self.claimed.add(account_id)


@dataclass
class IndexSource:
    """The run's index, read the first time a customer needs matching, then kept."""

    client: ZohoClient
    region: str = DEFAULT_REGION
    meta: OrgMeta | None = None
    # A suggestion (name, domain, address) this strong is adopted without a person.
    auto_link: float | None = None
    _index: OrgIndex | None = None

    def get(self) -> OrgIndex:
        if self._index is None:
            self._index = OrgIndex.read(self.client, self.region, self.meta)
        return self._index

"""Match new QuickBooks customers to Accounts that already exist in Zoho.

In order: a link we recorded, our QBD key, the normalised e-mail (a Contact's Email, then
that Contact's Account), the phone compared in E.164 (the Account's Phone, national forms read
in the company's country). Keys are looked up with COQL (exact and immediate; Zoho's search
API treats ``equals`` loosely and lags behind writes); e-mails and phones in the run's
``OrgIndex`` of the org's adoptable Accounts. Only Accounts no other QuickBooks record has
claimed (no QBD key) may be adopted. Exactly one candidate is adopted; several (or one that
two customers would share) create nothing and go to review.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connector.mapping.accounts import primary_email
from connector.mapping.keys import ACCOUNT, qbd_key
from connector.match_index import IndexSource, OrgIndex, normalise_email
from connector.qbxml.models import Customer
from connector.suggest import Profile
from connector.zoho.client import ZohoClient
from connector.zoho.coql import COQL_MAX_IN, quote
from connector.zoho.fields import QBD_KEY

__all__ = ["MatchRequest", "Match", "normalise_email", "match_accounts", "NEW", "AMBIGUOUS"]

NEW, AMBIGUOUS = "new", "ambiguous"


@dataclass(frozen=True)
class MatchRequest:
    list_id: str
    key: str  # the QBD key the Account will carry
    email: str | None = None
    phone: str | None = None
    profile: Profile | None = None  # name, domain, address: for suggestions

    @classmethod
    def of(cls, customer: Customer, scope: str) -> MatchRequest:
        address = customer.bill_address
        email = primary_email(customer)
        return cls(customer.list_id, qbd_key(scope, customer.list_id, ACCOUNT), email,
                   customer.phone, Profile.of(
                       customer.company_name or customer.name, email,
                       address.addr1 if address else None,
                       address.postal_code if address else None))


@dataclass(frozen=True)
class Match:
    # "link", "key", "email", "phone", "review" (a person chose), "plan" (a person confirmed
    # a plan that links it), "suggested" (weak evidence above MLC_MATCH_AUTO_LINK_SCORE), NEW
    # or AMBIGUOUS
    how: str
    account_id: str | None = None
    contact_id: str | None = None  # the Contact an e-mail match found, to adopt as primary
    candidates: tuple[str, ...] = ()
    evidence: str = ""  # what matched: the e-mail or the number (E.164)

    @property
    def adopts(self) -> bool:
        """True when an existing, unkeyed Account takes our key (an update, not an upsert)."""
        return self.how in ("email", "phone", "review", "plan", "suggested")

def _lookup(client: ZohoClient, module: str, field: str, values: Iterable[str],
            columns: Sequence[str]) -> list[dict[str, Any]]:
    wanted = sorted(set(values))
    rows: list[dict[str, Any]] = []
    for start in range(0, len(wanted), COQL_MAX_IN):
        batch = wanted[start:start + COQL_MAX_IN]
        where = f"{field} in ({', '.join(quote(v) for v in batch)})"
        rows.extend(client.coql_all(module, columns, where))
    return rows


def _by_key(client: ZohoClient, requests: Sequence[MatchRequest]) -> dict[str, list[str]]:
    rows = _lookup(client, "Accounts", QBD_KEY, (r.key for r in requests), ["id", QBD_KEY])
    found: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        found[str(row.get(QBD_KEY, "")).lower()].append(str(row["id"]))
    return found


def _decide(how: str, hits: Sequence[tuple[str, str | None]], evidence: str) -> Match | None:
    accounts = tuple(sorted({account for account, _ in hits}))
    if not accounts:
        return None
    if len(accounts) > 1:
        return Match(AMBIGUOUS, candidates=accounts, evidence=f"{how} {evidence}")
    contacts = sorted({c for _, c in hits if c})
    return Match(how, accounts[0], contacts[0] if len(contacts) == 1 else None, accounts,
                 evidence)


def _unclaim_shared(matches: dict[str, Match]) -> None:
    """An Account two customers would adopt belongs to neither until someone decides."""
    claims: dict[str, list[str]] = defaultdict(list)
    for list_id, match in matches.items():
        if match.adopts and match.account_id:
            claims[match.account_id].append(list_id)
    for account, owners in claims.items():
        if len(owners) > 1:
            for list_id in owners:
                matches[list_id] = Match(AMBIGUOUS, candidates=(account,),
                                         evidence=f"shared with {len(owners) - 1} other(s)")


def _suggested(index: OrgIndex, r: MatchRequest, auto_link: float | None) -> Match | None:
    """Weak evidence: one clear candidate at or above ``auto_link`` is adopted, any other
    goes to review with the candidates and their scores."""
    found = index.suggestions(r.profile) if r.profile is not None else []
    if not found:
        return None
    best = found[0]
    clear = len(found) == 1 or found[1].score < best.score
    if auto_link is not None and best.score >= auto_link and clear:
        return Match("suggested", best.account_id, candidates=(best.account_id,),
                     evidence=best.describe())
    return Match(AMBIGUOUS, candidates=tuple(s.account_id for s in found),
                 evidence="possibly " + "; ".join(s.describe() for s in found))


def _by_evidence(index: OrgIndex, r: MatchRequest, auto_link: float | None) -> Match:
    email = normalise_email(r.email)
    decided = _decide("email", index.by_email(email), email or "") if email else None
    if decided is None and r.phone:
        hits = [(h, None) for h in index.by_phone(r.phone)]
        decided = _decide("phone", hits, index.phone_key(r.phone))
    return decided or _suggested(index, r, auto_link) or Match(NEW)


def match_accounts(client: ZohoClient, requests: Sequence[MatchRequest],
                   linked: Mapping[str, str] | None = None, *,
                   index: IndexSource | None = None) -> dict[str, Match]:
    """A ``Match`` for every request, by ListID: the keys in a few COQL calls for the whole
    batch, e-mails and phones in the org's index (read at its first use in the run)."""
    linked = linked or {}
    source = index or IndexSource(client)
    out: dict[str, Match] = {r.list_id: Match("link", linked[r.list_id])
                             for r in requests if linked.get(r.list_id)}
    todo = [r for r in requests if r.list_id not in out]
    if todo and not source.get().accounts:
        # Every Account already belongs to a QuickBooks record (a first load into an empty
        # org, say): nothing can be adopted, and the upsert dedupes on our key by itself.
        out.update({r.list_id: Match(NEW) for r in todo})
        todo = []
    keyed = _by_key(client, todo) if todo else {}
    for r in todo:
        ids = keyed.get(r.key.lower(), [])
        if ids:
            out[r.list_id] = Match("key", ids[0], evidence=r.key) if len(ids) == 1 else Match(
                AMBIGUOUS, candidates=tuple(sorted(ids)), evidence=f"key {r.key}")
    for r in todo:
        if r.list_id not in out:
            out[r.list_id] = _by_evidence(source.get(), r, source.auto_link)
    _unclaim_shared(out)
    for match in out.values():
        if match.adopts and match.account_id:
            source.get().claim(match.account_id)
    return out

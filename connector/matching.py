"""Match new QuickBooks customers to Accounts that already exist in Zoho.

In order: a link we recorded, our QBD key, the normalised e-mail (a Contact's Email, then
that Contact's Account), the normalised phone (the Account's Phone). Lookups are COQL only:
Zoho's search API treats ``equals`` loosely and lags behind writes. Only Accounts no other
QuickBooks record has claimed (no QBD key) may be adopted. Exactly one candidate is adopted;
several (or one that two customers would share) create nothing and go to review.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connector.zoho.client import ZohoClient
from connector.zoho.coql import COQL_MAX_IN, quote
from connector.zoho.fields import QBD_KEY

__all__ = ["MatchRequest", "Match", "normalise_email", "normalise_phone", "phone_variants",
           "match_accounts", "NEW", "AMBIGUOUS"]

NEW, AMBIGUOUS = "new", "ambiguous"
_DIGITS = re.compile(r"\D+")


@dataclass(frozen=True)
class MatchRequest:
    list_id: str
    key: str  # the QBD key the Account will carry
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Match:
    how: str  # "link", "key", "email", "phone", "review" (a person chose), NEW or AMBIGUOUS
    account_id: str | None = None
    contact_id: str | None = None  # the Contact an e-mail match found, to adopt as primary
    candidates: tuple[str, ...] = ()

    @property
    def adopts(self) -> bool:
        """True when an existing, unkeyed Account takes our key (an update, not an upsert)."""
        return self.how in ("email", "phone", "review")


def normalise_email(text: str | None) -> str | None:
    value = (text or "").strip().lower()
    return value if "@" in value else None


def normalise_phone(text: str | None) -> str | None:
    """Digits only, without the international prefix or the North American trunk 1."""
    digits = _DIGITS.sub("", text or "")
    if text and text.strip().startswith("00"):
        digits = digits[2:]
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits if len(digits) >= 7 else None


def phone_variants(text: str) -> list[str]:
    """The ways a number is commonly typed, for an exact COQL lookup; candidates are then
    compared by their normalised digits."""
    digits = normalise_phone(text)
    if digits is None:
        return []
    forms = {text.strip(), digits, f"+{digits}"}
    if len(digits) == 10:
        a, b, c = digits[:3], digits[3:6], digits[6:]
        forms |= {f"{a}-{b}-{c}", f"({a}) {b}-{c}", f"{a}.{b}.{c}", f"{a} {b} {c}",
                  f"+1 {a}-{b}-{c}", f"+1 ({a}) {b}-{c}", f"+1 {a} {b} {c}", f"1-{a}-{b}-{c}",
                  f"+1{digits}"}
    return sorted(forms)


def _lookup(client: ZohoClient, module: str, field: str, values: Iterable[str],
            columns: Sequence[str]) -> list[dict[str, Any]]:
    wanted = sorted(set(values))
    rows: list[dict[str, Any]] = []
    for start in range(0, len(wanted), COQL_MAX_IN):
        batch = wanted[start:start + COQL_MAX_IN]
        where = f"{field} in ({', '.join(quote(v) for v in batch)})"
        rows.extend(client.coql_all(module, columns, where))
    return rows


def _adoptable_exist(client: ZohoClient) -> bool:
    # COQL, not SQL, and QBD_KEY is our own field name.
    rows, _ = client.coql(f"select id from Accounts where {QBD_KEY} is null limit 1")  # noqa: S608
    return bool(rows)


def _by_key(client: ZohoClient, requests: Sequence[MatchRequest]) -> dict[str, list[str]]:
    rows = _lookup(client, "Accounts", QBD_KEY, (r.key for r in requests), ["id", QBD_KEY])
    found: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        found[str(row.get(QBD_KEY, "")).lower()].append(str(row["id"]))
    return found


def _by_email(client: ZohoClient, requests: Sequence[MatchRequest]
              ) -> dict[str, list[tuple[str, str | None]]]:
    """normalised e-mail -> [(unkeyed account id, unkeyed contact id or None)]."""
    emails = [e for r in requests if (e := normalise_email(r.email))]
    rows = _lookup(client, "Contacts", "Email", emails,
                   ["id", "Email", QBD_KEY, "Account_Name", f"Account_Name.{QBD_KEY}"])
    found: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
    for row in rows:
        account = row.get("Account_Name")
        account_id = account.get("id") if isinstance(account, dict) else None
        if account_id and not row.get(f"Account_Name.{QBD_KEY}"):
            contact = None if row.get(QBD_KEY) else str(row["id"])
            found[normalise_email(row.get("Email")) or ""].append((str(account_id), contact))
    return found


def _by_phone(client: ZohoClient, requests: Sequence[MatchRequest]) -> dict[str, list[str]]:
    variants = [v for r in requests if r.phone for v in phone_variants(r.phone)]
    rows = _lookup(client, "Accounts", "Phone", variants, ["id", "Phone", QBD_KEY])
    found: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        if not row.get(QBD_KEY):
            found[normalise_phone(row.get("Phone")) or ""].append(str(row["id"]))
    return found


def _decide(how: str, hits: Sequence[tuple[str, str | None]]) -> Match | None:
    accounts = tuple(sorted({account for account, _ in hits}))
    if not accounts:
        return None
    if len(accounts) > 1:
        return Match(AMBIGUOUS, candidates=accounts)
    contacts = sorted({c for _, c in hits if c})
    return Match(how, accounts[0], contacts[0] if len(contacts) == 1 else None, accounts)


def _unclaim_shared(matches: dict[str, Match]) -> None:
    """An Account two customers would adopt belongs to neither until someone decides."""
    claims: dict[str, list[str]] = defaultdict(list)
    for list_id, match in matches.items():
        if match.adopts and match.account_id:
            claims[match.account_id].append(list_id)
    for account, owners in claims.items():
        if len(owners) > 1:
            for list_id in owners:
                matches[list_id] = Match(AMBIGUOUS, candidates=(account,))


def match_accounts(client: ZohoClient, requests: Sequence[MatchRequest],
                   linked: Mapping[str, str] | None = None) -> dict[str, Match]:
    """A ``Match`` for every request, by ListID, in a few COQL calls for the whole batch."""
    linked = linked or {}
    out: dict[str, Match] = {r.list_id: Match("link", linked[r.list_id])
                             for r in requests if linked.get(r.list_id)}
    todo = [r for r in requests if r.list_id not in out]
    if todo and not _adoptable_exist(client):
        # Every Account already belongs to a QuickBooks record (a first load into an empty
        # org, say): nothing can be adopted, and the upsert dedupes on our key by itself.
        out.update({r.list_id: Match(NEW) for r in todo})
        todo = []
    keyed = _by_key(client, todo) if todo else {}
    for r in todo:
        ids = keyed.get(r.key.lower(), [])
        if ids:
            out[r.list_id] = Match("key", ids[0]) if len(ids) == 1 else Match(
                AMBIGUOUS, candidates=tuple(sorted(ids)))
    todo = [r for r in todo if r.list_id not in out]
    mails = _by_email(client, todo) if any(normalise_email(r.email) for r in todo) else {}
    for r in todo:
        email = normalise_email(r.email)
        decided = _decide("email", mails.get(email, [])) if email else None
        if decided:
            out[r.list_id] = decided
    todo = [r for r in todo if r.list_id not in out]
    phones = _by_phone(client, todo) if any(r.phone for r in todo) else {}
    for r in todo:
        phone = normalise_phone(r.phone)
        hits = phones.get(phone, []) if phone else []
        out[r.list_id] = _decide("phone", [(h, None) for h in hits]) or Match(NEW)
    _unclaim_shared(out)
    return out

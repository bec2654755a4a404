"""Weak evidence that a customer may already be an Account: the same company name, website
domain or postal address. Each candidate gets a score and the evidence behind it; only a
score at or above ``MLC_MATCH_AUTO_LINK_SCORE`` links by itself (by default none does), the
rest go to review with their candidates listed, so nothing is merged on a hunch.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Profile", "Suggestion", "suggest", "normalise_name", "domain_of",
           "WEIGHTS"]

# How much each kind of evidence is worth; several add up (at most 1.0).
WEIGHTS = {"name": 0.6, "domain": 0.5, "address": 0.4}
# Legal forms and fillers that say nothing about which company it is.
_FILLER = frozenset((
    "inc", "incorporated", "llc", "l", "c", "ltd", "limited", "co", "company", "corp",
    "corporation", "plc", "gmbh", "ag", "kg", "ohg", "ug", "sa", "sas", "sarl", "srl", "spa",
    "bv", "nv", "oy", "ab", "as", "aps", "the", "and", "und", "et", "y"
))
# Mail providers whose domain says nothing about the company.
_FREE_MAIL = frozenset((
    "gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com",
    "msn.com", "aol.com", "icloud.com", "me.com", "gmx.de", "gmx.net", "web.de", "t-online.de",
    "proton.me", "protonmail.com", "mail.com", "yandex.ru", "orange.fr", "free.fr",
    "libero.it", "wp.pl"
))
_WORD = re.compile(r"[a-z0-9]+")


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise_name(text: str | None) -> str | None:
    """``Baker & Sons, Inc.`` and ``BAKER AND SONS`` are one name: ``baker sons``."""
    words = [w for w in _WORD.findall(_plain(text or "")) if w not in _FILLER]
    return " ".join(words) if words else None


def domain_of(text: str | None) -> str | None:
    """The company's domain in a website or an e-mail address; None for free mail."""
    value = _plain((text or "").strip())
    value = value.rpartition("@")[2] if "@" in value else value
    value = re.sub(r"^[a-z]+://", "", value).split("/", 1)[0].split(":", 1)[0]
    value = value.removeprefix("www.")
    if "." not in value or value in _FREE_MAIL:
        return None
    return value


def _address(street: str | None, code: str | None) -> str | None:
    words = _WORD.findall(_plain(street or ""))
    postal = "".join(_WORD.findall(_plain(code or "")))
    return f"{' '.join(words)}|{postal}" if words and postal else None


@dataclass(frozen=True)
class Profile:
    """What a customer or an Account says about who it is, normalised."""

    name: str | None = None
    domain: str | None = None
    address: str | None = None

    @classmethod
    def of(cls, name: str | None, website_or_email: str | None, street: str | None,
           code: str | None) -> Profile:
        return cls(normalise_name(name), domain_of(website_or_email), _address(street, code))

    @classmethod
    def of_account(cls, row: Mapping[str, Any]) -> Profile:
        return cls.of(row.get("Account_Name"), row.get("Website"), row.get("Billing_Street"),
                      row.get("Billing_Code"))


@dataclass(frozen=True)
class Suggestion:
    account_id: str
    score: float
    evidence: tuple[str, ...]  # e.g. ("name baker sons", "domain baker.example")

    def describe(self) -> str:
        return f"{self.account_id} ({self.score:.1f}: {', '.join(self.evidence)})"


def suggest(customer: Profile, accounts: Iterable[tuple[str, Profile]],
            limit: int = 5) -> list[Suggestion]:
    """The Accounts that share something with ``customer``, best first."""
    found = []
    for account_id, account in accounts:
        evidence = [f"{kind} {mine}" for kind, mine, theirs in (
            ("name", customer.name, account.name), ("domain", customer.domain, account.domain),
            ("address", customer.address, account.address)) if mine and mine == theirs]
        if evidence:
            score = min(1.0, sum(WEIGHTS[e.split(" ", 1)[0]] for e in evidence))
            found.append(Suggestion(account_id, round(score, 2), tuple(evidence)))
    found.sort(key=lambda s: (-s.score, s.account_id))
    return found[:limit]

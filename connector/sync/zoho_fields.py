"""The Zoho -> QuickBooks field map, read backwards out of ``connector.mapping``'s tables.

Each ``FieldRule`` says which qbXML elements feed a Zoho field and who owns it. A ``NEWER``
rule flows back to its first element (``Phone`` -> ``Phone``, ``Last_Name`` -> ``LastName``);
a street that joined ``Addr1``..``Addr5`` is split back into lines; a ``QBD`` rule never flows
back (money, item data). Nothing here is a second copy of the map.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from connector.mapping.fields import FIELD_MAPS, FieldRule, Kind, Owner
from connector.mapping.payload import field_hashes
from connector.qbxml.inputs import CustomerInput
from connector.qbxml.models import Customer
from connector.zoho.fields import QBD_KEY

__all__ = ["MODIFIED_TIME", "Reverse", "REVERSE", "fetch_fields", "owned_by_qbd", "hashes",
           "customer_changes", "current_values", "same", "to_input"]

MODIFIED_TIME = "Modified_Time"
_ADDR_LINES = tuple(f"Addr{n}" for n in range(1, 6))
# qbXML element -> CustomerInput attribute (both follow the Customer model's aliases).
_ATTRIBUTE = {info.alias: name for name, info in Customer.model_fields.items()
              if info.alias and name in CustomerInput.model_fields}


@dataclass(frozen=True)
class Reverse:
    """Where a Zoho field lands in a CustomerMod: an attribute, or one part of an address."""

    rule: FieldRule
    attribute: str
    part: str | None = None  # address element (City, ...) or "lines" for Addr1..Addr5


def _reverse(rule: FieldRule) -> Reverse | None:
    if rule.owner is not Owner.NEWER:
        return None
    head, _, tail = rule.qb[0].partition("/")
    attribute = _ATTRIBUTE.get(head)
    if attribute is None:
        return None
    if not tail:
        return Reverse(rule, attribute)
    return Reverse(rule, attribute, "lines" if tail in _ADDR_LINES else tail)


# Zoho module -> Zoho field -> how it flows back into the customer.
REVERSE: dict[str, dict[str, Reverse]] = {
    module: {rule.zoho: rev for rule in rules if (rev := _reverse(rule)) is not None}
    for module, rules in FIELD_MAPS.items() if module in ("Accounts", "Contacts")
}


def owned_by_qbd(module: str) -> list[str]:
    """QuickBooks' fields a salesperson may still edit in Zoho (edits are reported, not
    applied); computed fields (lookups, stages, totals) are the mapper's, not compared."""
    return [r.zoho for r in FIELD_MAPS.get(module, ()) if r.owner is Owner.QBD and not r.computed]


def fetch_fields(module: str) -> list[str]:
    """What to read of a notified record: the fields we compare, its key and its time."""
    return [*REVERSE.get(module, {}), *owned_by_qbd(module), QBD_KEY, MODIFIED_TIME]


def hashes(record: Mapping[str, Any], fields: list[str]) -> dict[str, str]:
    """The same per-field hashes the QuickBooks -> Zoho sync keeps of what it wrote."""
    return field_hashes({name: record.get(name) for name in fields})


def _text(value: Any) -> str:
    # An emptied Zoho field clears the QuickBooks one ("" clears, None would leave it).
    return "" if value is None else str(value).strip()


def _lines(street: str) -> dict[str, str]:
    """Split a street the mapping joined back into Addr1..Addr5; every line is sent, so a
    line the salesperson removed is cleared too."""
    parts = [p.strip() for p in street.split(", ") if p.strip()]
    if len(parts) > len(_ADDR_LINES):
        parts = [*parts[:4], ", ".join(parts[4:])]
    return {line: parts[i] if i < len(parts) else "" for i, line in enumerate(_ADDR_LINES)}


def _email(value: str, current: Customer | None) -> str:
    """A QuickBooks Email may list several addresses; Zoho holds the first: replace only it."""
    if not current or not current.email or not value:
        return value
    rest = [p.strip() for p in current.email.replace(",", ";").split(";")[1:] if p.strip()]
    return "; ".join([value, *rest])


def customer_changes(module: str, values: Mapping[str, Any],
                     current: Customer | None) -> dict[str, Any]:
    """Flat CustomerMod changes (``phone``, ``bill_address.City``) for Zoho field values."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        rev = REVERSE[module][name]
        if rev.rule.kind is Kind.BOOL:
            if value is not None:
                out[rev.attribute] = bool(value)
        elif rev.part is None:
            text = _text(value)
            out[rev.attribute] = _email(text, current) if rev.attribute == "email" else text
        elif rev.part == "lines":
            out.update({f"{rev.attribute}.{line}": text
                        for line, text in _lines(_text(value)).items()})
        else:
            out[f"{rev.attribute}.{rev.part}"] = _text(value)
    return out


def current_values(customer: Customer | None, keys: Iterable[str]) -> dict[str, Any]:
    """What QuickBooks holds for each flat key ("" for nothing; None when unknown)."""
    out: dict[str, Any] = {}
    for key in keys:
        attribute, _, part = key.partition(".")
        value = getattr(customer, attribute, None) if customer is not None else None
        if part:
            value = value.model_dump(by_alias=True).get(part) if value is not None else None
        out[key] = None if customer is None else ("" if value is None else value)
    return out


def same(a: Any, b: Any) -> bool:
    """Equal as QuickBooks stores them: surrounding blanks and None-vs-empty do not count."""
    def norm(v: Any) -> Any:
        return (v.strip() or None) if isinstance(v, str) else v
    return bool(norm(a) == norm(b))


def to_input(changes: Mapping[str, Any]) -> CustomerInput:
    """The CustomerInput that carries flat ``changes``."""
    nested: dict[str, Any] = {}
    for key, value in changes.items():
        attribute, _, part = key.partition(".")
        if part:
            nested.setdefault(attribute, {})[part] = value
        else:
            nested[attribute] = value
    return CustomerInput.model_validate(nested)

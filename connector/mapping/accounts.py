"""QuickBooks customers -> Zoho Accounts and their primary Contacts.

A top-level customer becomes one Account; its person (first/last name, contact name or
e-mail) becomes the Account's primary Contact. Jobs are customers too, but they belong to their
top-level customer's Account and have no Zoho record of their own. Inactive customers still
sync, with ``QBD_Active`` false.
"""

from __future__ import annotations

import re
from typing import Any

from connector.mapping.fields import ACCOUNT_FIELDS, CONTACT_FIELDS, clip, map_fields
from connector.mapping.keys import ACCOUNT, CONTACT, qbd_key
from connector.mapping.payload import Mapped
from connector.qbxml.models import Customer
from connector.zoho.fields import QBD_ACTIVE, QBD_KEY

__all__ = ["map_account", "map_contact", "primary_email", "deactivated_account",
           "top_level_name"]

_LAST_NAME = next(r for r in CONTACT_FIELDS if r.zoho == "Last_Name")
_FIRST_NAME = next(r for r in CONTACT_FIELDS if r.zoho == "First_Name")
_EMAIL = next(r for r in CONTACT_FIELDS if r.zoho == "Email")
# QuickBooks lets one Email field hold several addresses: "a@x.com; b@y.com".
_EMAIL_SPLIT = re.compile(r"[;,\s]+")


def primary_email(customer: Customer) -> str | None:
    """The first address of the customer's Email field, trimmed."""
    if not customer.email:
        return None
    first = next((part for part in _EMAIL_SPLIT.split(customer.email) if part), None)
    return clip(first, _EMAIL.max_length)


def top_level_name(customer: Customer) -> str:
    """The top-level customer's name ("Acme:Kitchen remodel" -> "Acme")."""
    return customer.full_name.split(":", 1)[0]


def map_account(customer: Customer, scope: str) -> Mapped:
    """The Account of a top-level customer."""
    if customer.is_job:
        raise ValueError(f"customer {customer.list_id} is a job: it maps to its top-level "
                         "customer's Account, not to an Account of its own")
    payload = map_fields(customer, ACCOUNT_FIELDS)
    payload[QBD_ACTIVE] = customer.is_active
    payload[QBD_KEY] = qbd_key(scope, customer.list_id, ACCOUNT)
    return Mapped(ACCOUNT, customer.list_id, customer.edit_sequence, payload,
                  label=customer.full_name)


def _names(customer: Customer) -> tuple[str | None, str | None]:
    if customer.last_name:
        return customer.first_name, customer.last_name
    if customer.contact:
        first, _, last = customer.contact.strip().rpartition(" ")
        return (first or customer.first_name or None), last
    return customer.first_name, customer.company_name or customer.name


def map_contact(customer: Customer, scope: str, account_id: str) -> Mapped | None:
    """The primary Contact of a top-level customer, or None when it names no person."""
    email = primary_email(customer)
    if not (customer.last_name or customer.first_name or customer.contact or email):
        return None
    payload: dict[str, Any] = map_fields(customer, CONTACT_FIELDS)
    first, last = _names(customer)
    payload["First_Name"] = clip(first, _FIRST_NAME.max_length)
    payload["Last_Name"] = clip(last, _LAST_NAME.max_length) or clip(customer.name,
                                                                     _LAST_NAME.max_length)
    payload["Email"] = email
    payload["Account_Name"] = {"id": account_id}
    payload[QBD_KEY] = qbd_key(scope, customer.list_id, CONTACT)
    return Mapped(CONTACT, customer.list_id, customer.edit_sequence, payload,
                  label=customer.full_name)


def deactivated_account(zoho_id: str) -> dict[str, Any]:
    """The update that marks a deleted customer's Account inactive."""
    return {"id": zoho_id, QBD_ACTIVE: False}

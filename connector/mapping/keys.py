"""The company-scoped QuickBooks key every Zoho record carries in ``QBD_Key``.

ListIDs and TxnIDs are unique only inside one company file (two files made from the same
template share them), so the key starts with the company's stable ``file_id`` GUID, the one
its .qwc registration carries: ``<guid>:<ListID|TxnID>[:<role>]``. A role suffix tells apart
two Zoho records made from one QuickBooks record (the customer's Account and its primary
Contact). Every upsert dedupes on exactly this key, never on names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["LinkKind", "ACCOUNT", "JOB", "CONTACT", "PRODUCT", "DEAL", "INVOICE", "LINK_KINDS",
           "QbdKey", "company_scope", "qbd_key", "parse_key"]


@dataclass(frozen=True)
class LinkKind:
    """One way a QuickBooks record lands in Zoho: the ``RecordLink.qb_type`` it is stored
    under, the Zoho module, and the key's role suffix (None: the bare id)."""

    qb_type: str
    zoho_module: str
    role: str | None = None


ACCOUNT = LinkKind("Customer", "Accounts")
# A job has no Zoho record of its own: its link points at its top-level customer's Account.
JOB = LinkKind("Job", "Accounts")
CONTACT = LinkKind("CustomerContact", "Contacts", "contact")
PRODUCT = LinkKind("Item", "Products")
DEAL = LinkKind("Invoice", "Deals")
INVOICE = LinkKind("InvoiceDoc", "Invoices")
LINK_KINDS: tuple[LinkKind, ...] = (ACCOUNT, JOB, CONTACT, PRODUCT, DEAL, INVOICE)

_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# QuickBooks ids are hex-ish with a dash ("80000001-1234567890"); never a colon.
_QB_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]*$")
_ROLE = re.compile(r"^[a-z]+$")


def company_scope(file_id: str) -> str:
    """``{A1B2...}`` (as stored for the .qwc file) -> ``a1b2...``: lower-case, no braces."""
    scope = file_id.strip().strip("{}").lower()
    if not _GUID.match(scope):
        raise ValueError(f"company file_id {file_id!r} is not a GUID")
    return scope


@dataclass(frozen=True)
class QbdKey:
    scope: str
    qb_id: str
    role: str | None = None

    def __str__(self) -> str:
        return f"{self.scope}:{self.qb_id}" + (f":{self.role}" if self.role else "")


def qbd_key(scope: str, qb_id: str, kind: LinkKind = ACCOUNT) -> str:
    """The ``QBD_Key`` value for QuickBooks record ``qb_id`` mapped as ``kind``."""
    if not _QB_ID.match(qb_id):
        raise ValueError(f"{qb_id!r} is not a QuickBooks ListID or TxnID")
    return str(QbdKey(scope, qb_id, kind.role))


def parse_key(text: str) -> QbdKey:
    """Read a ``QBD_Key`` back; a value we did not write raises ``ValueError``."""
    parts = text.strip().split(":")
    if len(parts) not in (2, 3) or not _GUID.match(parts[0]) or not _QB_ID.match(parts[1]):
        raise ValueError(f"{text!r} is not an ml-connector QBD key (<file guid>:<id>[:<role>])")
    role = parts[2] if len(parts) == 3 else None
    if role is not None and not _ROLE.match(role):
        raise ValueError(f"{text!r} has an unknown role suffix {role!r}")
    return QbdKey(parts[0], parts[1], role)

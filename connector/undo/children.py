"""Records outside an undo that point at an Account or Contact it would delete.

A person may have added a Deal or a Contact in Zoho to an Account a sync created, or the undo
skips a Deal of the run that changed since; deleting the Account would take that with it (Zoho
deletes or orphans what hangs on a deleted record), so such an Account is kept. Found with
COQL, 50 ids a query, per lookup that can point at it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from connector.undo.values import comparable
from connector.zoho.base import chunks
from connector.zoho.client import ZohoClient
from connector.zoho.coql import COQL_MAX_IN, quote

__all__ = ["CHILDREN", "pointed_at"]

# Per parent module, the modules and lookup fields whose records hang on it. Contacts come
# first: a Contact kept for its Deal keeps its Account too.
CHILDREN: dict[str, tuple[tuple[str, str], ...]] = {
    "Contacts": (("Deals", "Contact_Name"), ("Invoices", "Contact_Name")),
    "Accounts": (("Contacts", "Account_Name"), ("Deals", "Account_Name"),
                 ("Invoices", "Account_Name")),
}


def _rows(client: ZohoClient, module: str, lookup: str,
          ids: Sequence[str]) -> list[dict[str, Any]]:
    def query(batch: Sequence[str]) -> list[dict[str, Any]]:
        where = f"{lookup} in ({', '.join(quote(i) for i in batch)})"
        return list(client.coql_all(module, ["id", lookup], where))

    return [row for rows in client.parallel(query, chunks(list(ids), COQL_MAX_IN))
            for row in rows]


def pointed_at(client: ZohoClient, deleting: Mapping[str, Collection[str]],
               modules: Collection[str]) -> dict[str, str]:
    """Of the records to delete (ids by module), those a record that is not being deleted
    points at, each with the reason to keep it."""
    gone = {i for ids in deleting.values() for i in ids}
    kept: dict[str, str] = {}
    for parent, children in CHILDREN.items():
        ids = sorted(i for i in deleting.get(parent, ()) if i not in kept)
        for module, lookup in children:
            if not ids or module not in modules:
                continue
            for row in _rows(client, module, lookup, ids):
                target, child = comparable(row.get(lookup)), str(row.get("id"))
                if child not in gone and target in ids and target not in kept:
                    kept[target] = f"{module} {child}, which this undo leaves, points at it"
        gone -= set(kept)
    return kept

"""State and shared rules of one company file: lookups, EditSequence, references, field checks.

``Company`` (lists) and ``InvoiceBook`` (transactions) build on this; it holds every record so a
reference from an invoice line to an item resolves the same way as one from a customer to terms.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import Any

from connector.sandbox.qbd.records import (
    FAMILY_LABEL,
    REF_KINDS,
    Deleted,
    Invoice,
    ListRecord,
    Payment,
    family_of_ref,
)
from connector.sandbox.qbd.status import QbStatus
from connector.sandbox.qbd.values import QbClock
from connector.sandbox.qbd.xsd import children, is_list_ref

__all__ = ["Ledger", "DERIVED", "DELETED_RETENTION"]

DELETED_RETENTION = timedelta(days=90)

_DECIMAL_TYPES = frozenset({"AMTTYPE", "PRICETYPE", "QUANTYPE", "PERCENTTYPE", "FLOATTYPE"})

# Elements QuickBooks computes; a client can never set them through fields.
DERIVED = frozenset({
    "ListID", "TxnID", "TxnLineID", "TimeCreated", "TimeModified", "EditSequence", "TxnNumber",
    "Name", "FullName", "IsActive", "ParentRef", "Sublevel", "Balance", "TotalBalance",
    "BillAddressBlock", "ShipAddressBlock", "CustomerRef", "Subtotal", "SalesTaxPercentage",
    "SalesTaxTotal", "AppliedAmount", "BalanceRemaining", "IsPaid", "InvoiceLineRet",
})


class Ledger:
    """Records of one .qbw file and the rules every change shares."""

    def __init__(self, clock: QbClock):
        self.clock = clock
        self.records: dict[str, ListRecord] = {}
        self.invoices: dict[str, Invoice] = {}
        self.invoices_of: dict[str, list[str]] = defaultdict(list)
        self.payments: dict[str, Payment] = {}
        # CHOICE: Intuit does not document whether applying (or deleting) a payment moves the
        # invoice's TimeModified and EditSequence; off by default, so the connector is tested
        # not to depend on it (``QuickBooksSimulator(payments_touch_invoices=True)`` turns it on).
        self.payments_touch_invoices = False
        # CHOICE: QuickBooks keeps ListDeleted/TxnDeleted entries for a limited time (about
        # 90 days, as integrators report; Intuit states no figure in the qbXML reference);
        # older deletions are no longer listed. None keeps them forever.
        self.deleted_retention: timedelta | None = DELETED_RETENTION
        self.deleted_lists: list[Deleted] = []
        self.deleted_txns: list[Deleted] = []
        self.next_list_number = 0x80000001
        self.next_txn_number = 0x100
        self.next_txn_seq = 1
        self.next_ref_number = 1
        self.dirty = False
        self._full: dict[str, str] = {}
        self._names: dict[tuple[str, str], str] = {}
        self._kids: dict[str, list[str]] = defaultdict(list)
        self._order: dict[str, list[ListRecord]] = {}  # list order, dropped on any name change

    # ---- lookups -------------------------------------------------------------------------
    def full_name(self, record: ListRecord) -> str:
        return self._full[record.list_id]

    def sublevel(self, record: ListRecord) -> int:
        return self._full[record.list_id].count(":")

    def find(self, family: str, key: str) -> ListRecord | None:
        """A record of ``family`` by ListID, else by full name (case-insensitive)."""
        record = self.records.get(key)
        if record is not None and record.family == family:
            return record
        found = self._names.get((family, key.casefold()))
        return self.records[found] if found else None

    def listed(self, family: str) -> list[ListRecord]:
        """Records of ``family`` in QuickBooks' list order (alphabetical, jobs under parents)."""
        order = self._order.get(family)
        if order is None:
            rows = [r for r in self.records.values() if r.family == family]
            order = sorted(rows, key=lambda r: tuple(self._full[r.list_id].casefold().split(":")))
            self._order[family] = order
        return order

    def children_of(self, record: ListRecord) -> list[ListRecord]:
        return [self.records[k] for k in self._kids.get(record.list_id, ())]

    def descendants(self, record: ListRecord) -> list[ListRecord]:
        found: list[ListRecord] = []
        for kid in self.children_of(record):
            found += [kid, *self.descendants(kid)]
        return found

    # ---- index of names --------------------------------------------------------------------
    def compose(self, parent_id: str | None, name: str) -> str:
        return f"{self._full[parent_id]}:{name}" if parent_id else name

    def index(self, record: ListRecord) -> None:
        full = self.compose(record.parent_id, record.name)
        self._full[record.list_id] = full
        self._names[(record.family, full.casefold())] = record.list_id
        self._order.pop(record.family, None)

    def unindex(self, record: ListRecord) -> None:
        del self._names[(record.family, self._full.pop(record.list_id).casefold())]
        self._order.pop(record.family, None)

    def name_owner(self, family: str, full_name: str) -> str | None:
        return self._names.get((family, full_name.casefold()))

    # ---- changes -----------------------------------------------------------------------------
    def touch(self, record: ListRecord | Invoice | Payment) -> None:
        """Record a change: TimeModified from QuickBooks' (possibly skewed) clock, a new
        EditSequence."""
        record.time_modified = self.clock.stamp()
        record.edit_sequence = self.sequence(record.edit_sequence)
        self.dirty = True

    def sequence(self, previous: int) -> int:
        # QuickBooks uses the modification time in seconds; two edits in one second still differ.
        return max(previous + 1, int(self.clock.now().timestamp()))

    @staticmethod
    def check_edit_sequence(current: int, given: str | None) -> None:
        if given is not None and given != str(current):
            raise QbStatus(3200, value=given)

    def resolve_ref(self, ref: str, key: str, own_family: str, owner: str) -> ListRecord:
        """The record a ``*Ref`` points at (by ListID or full name), else QuickBooks' 3140."""
        family = family_of_ref(ref, own_family)
        found = self.find(family, key) if family in FAMILY_LABEL else None
        if found is None or found.kind not in REF_KINDS.get(ref, (found.kind,)):
            raise QbStatus(3140, value=key, list=FAMILY_LABEL.get(family, family), object=owner)
        return found

    @staticmethod
    def check_length(ret: str, field: str, value: str) -> None:
        cap = children(ret)[field].max_length
        if cap is not None and len(value) > cap:
            raise QbStatus(3070, value=value, field=field)

    def normalise(self, ret: str, owner: tuple[str, str], fields: dict[str, Any],
                  current: dict[str, Any]) -> dict[str, Any]:
        """Merge ``fields`` into a copy of ``current`` as element ``ret`` holds them: None or ""
        clears, references become ListIDs; ``owner`` is (family, label) for reference errors."""
        allowed = children(ret)
        merged = dict(current)
        for key, value in fields.items():
            child = allowed.get(key)
            if child is None or key in DERIVED:
                raise QbStatus(1030, value=f"{key} in {ret}")
            if value is None or value == "":
                merged.pop(key, None)
            elif is_list_ref(key):
                merged[key] = self.resolve_ref(key, value, owner[0], owner[1]).list_id
            elif isinstance(value, dict):
                merged[key] = self._merge_aggregate(key, value, merged.get(key) or {}, owner)
            elif isinstance(value, list):
                merged[key] = [self._merge_aggregate(key, each, {}, owner) for each in value]
            else:
                if isinstance(value, str):
                    self.check_length(ret, key, value)
                merged[key] = _typed(child.type, value)
        return merged

    def _merge_aggregate(self, key: str, value: dict[str, Any], current: dict[str, Any],
                         owner: tuple[str, str]) -> dict[str, Any]:
        merged = dict(current)
        for sub, text in value.items():
            if sub not in children(key):
                raise QbStatus(1030, value=f"{sub} in {key}")
            if text is None or text == "":
                merged.pop(sub, None)
            elif is_list_ref(sub):
                merged[sub] = self.resolve_ref(sub, text, owner[0], owner[1]).list_id
            else:
                if isinstance(text, str):
                    self.check_length(key, sub, text)
                merged[sub] = _typed(children(key)[sub].type, text)
        return merged


def _typed(qb_type: str | None, value: Any) -> Any:
    """Bookkeeper helpers may pass ``10`` or ``"10.5"`` for an amount; store it as Decimal."""
    if isinstance(value, float):
        raise TypeError("amounts are Decimal (or int/str), never float")
    if qb_type in _DECIMAL_TYPES and isinstance(value, int | str) and not isinstance(value, bool):
        return Decimal(value)
    return value

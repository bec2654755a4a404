"""One simulated company file: customers, items and the static lists, with QuickBooks' rules.

Every change goes through here, whether it arrives as qbXML or from a test acting as the
bookkeeper inside QuickBooks: names unique per family (case-insensitive, on the full name),
EditSequence checked when given and bumped with TimeModified on every change, jobs following
their parent, deletions recorded for ListDeletedQuery. Invoices live in ``invoices.InvoiceBook``,
payments in ``payments.PaymentBook``.

Bookkeeper helpers take fields under their qbXML element names (``Email="…"``,
``BillAddress={"City": "…"}``, references as ListID or full name: ``TermsRef="Net 30"``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connector.sandbox.qbd.payments import PaymentBook
from connector.sandbox.qbd.records import (
    FAMILY_LABEL,
    FAMILY_OF_KIND,
    ITEM_KINDS,
    STATIC_LISTS,
    Deleted,
    ListRecord,
)
from connector.sandbox.qbd.status import QbStatus
from connector.sandbox.qbd.values import QbClock

__all__ = ["Company", "UNCHANGED"]

UNCHANGED: Any = object()
# The sample company's creation time: static list entries carry it in their ListIDs.
_STATIC_CREATED = datetime(1999, 7, 29, 19, 24, 18, tzinfo=UTC)
_EDITABLE = ("Customer", "Item")


class Company(PaymentBook):
    """The state of one .qbw file; methods raise ``QbStatus`` exactly where QuickBooks refuses."""

    def __init__(self, clock: QbClock, *, company_name: str,
                 address: dict[str, str] | None = None):
        super().__init__(clock)
        self.company_name = company_name
        # Where the company is (CompanyQuery's Address): None for the default US one.
        self.address = address
        epoch = int(_STATIC_CREATED.timestamp())
        for n, (kind, name, fields) in enumerate(STATIC_LISTS, start=1):
            self.insert(ListRecord(kind, f"{n:X}0000-{epoch}", name, _STATIC_CREATED,
                                   _STATIC_CREATED, epoch, fields=dict(fields)))

    # ---- bookkeeper helpers: what a user does inside QuickBooks --------------------------
    def add_customer(self, name: str, *, parent: str | None = None, is_active: bool = True,
                     **fields: Any) -> ListRecord:
        """Add a customer, or a job when ``parent`` names its customer."""
        return self.add_list("Customer", name, parent=parent, is_active=is_active, fields=fields)

    def modify_customer(self, key: str, **changes: Any) -> ListRecord:
        """Change a customer; ``name=``, ``parent=``, ``is_active=`` or qbXML-named fields."""
        return self._modify_family("Customer", key, changes)

    def delete_customer(self, key: str) -> None:
        self.delete_list(self._require("Customer", key).list_id)

    def add_item(self, kind: str, name: str, *, parent: str | None = None, is_active: bool = True,
                 **fields: Any) -> ListRecord:
        if kind not in ITEM_KINDS:
            raise ValueError(f"item kind must be one of {ITEM_KINDS}, not {kind!r}")
        return self.add_list(kind, name, parent=parent, is_active=is_active, fields=fields)

    def modify_item(self, key: str, **changes: Any) -> ListRecord:
        return self._modify_family("Item", key, changes)

    def delete_item(self, key: str) -> None:
        self.delete_list(self._require("Item", key).list_id)

    def customer(self, key: str) -> ListRecord:
        return self._require("Customer", key)

    def item(self, key: str) -> ListRecord:
        return self._require("Item", key)

    def _modify_family(self, family: str, key: str, changes: dict[str, Any]) -> ListRecord:
        record = self._require(family, key)
        return self.modify_list(record.list_id, name=changes.pop("name", None),
                                parent=changes.pop("parent", UNCHANGED),
                                is_active=changes.pop("is_active", None), fields=changes)

    def _require(self, family: str, key: str) -> ListRecord:
        record = self.find(family, key)
        if record is None:
            raise QbStatus(3120, value=key)
        return record

    # ---- the rules every list change follows -----------------------------------------------
    def add_list(self, kind: str, name: str, *, parent: str | None, is_active: bool,
                 fields: dict[str, Any]) -> ListRecord:
        family = FAMILY_OF_KIND[kind]
        ret = f"{kind}Ret"
        self.check_length(ret, "Name", name)
        parent_id = self._parent(kind, parent).list_id if parent else None
        if self.name_owner(family, self.compose(parent_id, name)) is not None:
            raise QbStatus(3100, value=name)
        clean = self.normalise(ret, (family, FAMILY_LABEL[family]), fields, {})
        stamp = self.clock.stamp()
        list_id = f"{self.next_list_number:X}-{int(stamp.timestamp())}"
        self.next_list_number += 1
        record = ListRecord(kind, list_id, name, stamp, stamp, self.sequence(0), is_active,
                            parent_id, clean)
        self.insert(record)
        self.dirty = True
        return record

    def modify_list(self, list_id: str, *, edit_sequence: str | None = None,
                    name: str | None = None, parent: Any = UNCHANGED,
                    is_active: bool | None = None, fields: dict[str, Any]) -> ListRecord:
        record = self.records.get(list_id)
        if record is None or record.family not in _EDITABLE:
            raise QbStatus(3120, value=list_id)
        self.check_edit_sequence(record.edit_sequence, edit_sequence)
        ret = f"{record.kind}Ret"
        if name is not None:
            self.check_length(ret, "Name", name)
        new_parent = record.parent_id if parent is UNCHANGED else (
            self._parent(record.kind, parent, moving=record).list_id if parent else None)
        new_name = record.name if name is None else name
        clean = self.normalise(ret, (record.family, FAMILY_LABEL[record.family]), fields,
                               record.fields)
        touched = [record]
        if (new_name, new_parent) != (record.name, record.parent_id):
            touched += self._rename(record, new_name, new_parent)
        record.fields = clean
        if is_active is not None and is_active != record.is_active:
            record.is_active = is_active
            if not is_active:
                # QuickBooks makes a customer's jobs (and an item's subitems) inactive with it.
                below = self.descendants(record)
                for each in below:
                    each.is_active = False
                touched += below
        for changed in {id(r): r for r in touched}.values():
            self.touch(changed)
        return record

    def delete_list(self, list_id: str) -> None:
        record = self.records.get(list_id)
        if record is None or record.family not in _EDITABLE:
            raise QbStatus(3120, value=list_id)
        full = self.full_name(record)
        label = FAMILY_LABEL[record.family]
        if self.children_of(record):
            raise QbStatus(3171, value=full, object=label,
                           reason="It has jobs or subitems; delete those first.")
        if self.is_used(record):
            raise QbStatus(3171, value=full, object=label,
                           reason="This name has been used in a transaction and cannot be deleted.")
        self.deleted_lists.append(Deleted(record.kind, list_id, record.time_created,
                                          self.clock.stamp(), full))
        self.unindex(record)
        del self.records[list_id]
        if record.parent_id:
            self._kids[record.parent_id].remove(list_id)
        self.dirty = True

    def insert(self, record: ListRecord) -> None:
        """Place a fully formed record (also used when loading a saved company)."""
        self.records[record.list_id] = record
        self.index(record)
        if record.parent_id:
            self._kids[record.parent_id].append(record.list_id)

    # ---- internals -----------------------------------------------------------------------
    def _parent(self, kind: str, key: str, *, moving: ListRecord | None = None) -> ListRecord:
        family = FAMILY_OF_KIND[kind]
        parent = self.find(family, key)
        loops = moving is not None and parent is not None and (
            parent is moving or parent in self.descendants(moving))
        if parent is None or parent.kind != kind or loops:
            raise QbStatus(3130, value=key, list=f"{FAMILY_LABEL[family]}s")
        return parent

    def _rename(self, record: ListRecord, name: str, parent_id: str | None) -> list[ListRecord]:
        """Move/rename ``record``; its jobs' full names change too, so they count as modified."""
        owner = self.name_owner(record.family, self.compose(parent_id, name))
        if owner is not None and owner != record.list_id:
            raise QbStatus(3100, value=name)
        moved = [record, *self.descendants(record)]
        for each in moved:
            self.unindex(each)
        if record.parent_id:
            self._kids[record.parent_id].remove(record.list_id)
        record.name, record.parent_id = name, parent_id
        if parent_id:
            self._kids[parent_id].append(record.list_id)
        for each in moved:
            self.index(each)
        return moved[1:]

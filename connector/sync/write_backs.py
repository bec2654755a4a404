"""Zoho edits on their way into QuickBooks: queued as Mods, followed until QuickBooks answers.

Each ``WriteBack`` row holds what we want QuickBooks to hold (flat CustomerMod changes), what
QuickBooks held when we decided (``was``) and the Zoho values behind it. A newer edit of the
same customer replaces a Mod still waiting in the queue. When QuickBooks answers 3200 (the
customer changed there meanwhile) the bridge re-reads the customer; the next run re-applies
the wanted values on the fresh EditSequence, settling fields changed on both sides by the
newer change, up to ``sync_back_max_attempts`` Mods.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from connector.qbwc.queue import Band, enqueue
from connector.qbxml.builders import customer_mod, txn_void
from connector.store import (
    QueuedRequest,
    RecordLink,
    RequestKind,
    RequestState,
    WriteBack,
    WriteBackState,
)
from connector.store.rows import require_id
from connector.sync.zoho_fields import to_input

__all__ = ["CUSTOMER_MOD", "TXN_VOID", "CustomerEdit", "open_write_backs", "queue_customer_edit",
           "queue_txn_void", "send_mod", "withdraw"]

CUSTOMER_MOD, TXN_VOID = "CustomerMod", "TxnVoid"
_SUPERSEDED = "superseded by a newer Zoho change"
_OPEN = (WriteBackState.QUEUED, WriteBackState.STALE)
_IN_BATCH = 500


@dataclass
class CustomerEdit:
    """The Zoho edits of one customer in one run, as flat CustomerMod changes."""

    link: RecordLink  # the customer's Account link (qb_id is its ListID)
    edit_sequence: str
    want: dict[str, Any] = field(default_factory=dict)
    was: dict[str, Any] = field(default_factory=dict)
    zoho: dict[str, dict[str, Any]] = field(default_factory=dict)  # module -> field -> value
    zoho_modified_at: datetime | None = None
    source: tuple[str, str] = ("", "")  # (Zoho module, id) of the last edit, for the audit

    def add(self, module: str, zoho_id: str, values: dict[str, Any], want: dict[str, Any],
            was: dict[str, Any], modified: datetime | None) -> None:
        self.want.update(want)
        self.was.update({k: v for k, v in was.items() if k not in self.was})
        self.zoho.setdefault(module, {}).update(values)
        if modified is not None:
            self.zoho_modified_at = max(filter(None, (self.zoho_modified_at, modified)))
        self.source = (module, zoho_id)


def send_mod(s: Session, company_id: int, list_id: str, edit_sequence: str,
             want: dict[str, Any]) -> QueuedRequest:
    changes = to_input(want)
    return enqueue(s, company_id, kind=RequestKind.WRITE, entity="Customer", seq=Band.WRITE,
                   record_ref=list_id,
                   build=lambda rid: customer_mod(rid, list_id, edit_sequence, changes))


def open_write_backs(s: Session, link_ids: Iterable[int]) -> dict[int, list[WriteBack]]:
    """The CustomerMod write-backs still waiting for QuickBooks, by link, oldest first."""
    found: dict[int, list[WriteBack]] = defaultdict(list)
    wanted = sorted(set(link_ids))
    for start in range(0, len(wanted), _IN_BATCH):
        for row in s.exec(select(WriteBack)
                          .where(col(WriteBack.link_id).in_(wanted[start:start + _IN_BATCH]))
                          .where(WriteBack.action == CUSTOMER_MOD)
                          .where(col(WriteBack.state).in_(_OPEN))
                          .order_by(col(WriteBack.id))).all():
            found[row.link_id].append(row)
    return found


def withdraw(s: Session, request_id: int | None) -> bool:
    """Cancel a Mod that has not been handed to QuickBooks yet (compare-and-set)."""
    result = s.exec(
        update(QueuedRequest).where(col(QueuedRequest.id) == request_id)
        .where(col(QueuedRequest.state) == RequestState.PENDING)
        .values(state=RequestState.CANCELLED, error=_SUPERSEDED))
    return bool(result.rowcount == 1)


def _merge(row: WriteBack, edit: CustomerEdit, now: datetime) -> None:
    old = dict(row.changes)
    zoho = {m: dict(v) for m, v in old.get("zoho", {}).items()}
    for module, values in edit.zoho.items():
        zoho.setdefault(module, {}).update(values)
    row.changes = {"want": {**old.get("want", {}), **edit.want},
                   "was": {**edit.was, **old.get("was", {})}, "zoho": zoho}
    row.zoho_modified_at = max(filter(None, (row.zoho_modified_at, edit.zoho_modified_at)),
                               default=None)
    row.zoho_module, row.zoho_id = edit.source
    row.updated_at = now


def queue_customer_edit(s: Session, edit: CustomerEdit, now: datetime,
                        waiting: list[WriteBack]) -> WriteBack:
    """Queue ``edit`` as a CustomerMod, folding it into a write-back not yet sent
    (``waiting``: the link's open write-backs, from ``open_write_backs``)."""
    link = edit.link
    link_id = require_id(link)
    for row in waiting:
        if row.state == WriteBackState.STALE:
            _merge(row, edit, now)  # its re-apply after the re-query carries the new values
            return row
        if withdraw(s, row.request_id):
            row.state, row.updated_at = WriteBackState.SUPERSEDED, now
            merged = WriteBack(company_id=row.company_id, link_id=link_id, action=CUSTOMER_MOD,
                               qb_type=link.qb_type, qb_id=link.qb_id, zoho_module="",
                               changes=dict(row.changes), zoho_modified_at=row.zoho_modified_at)
            _merge(merged, edit, now)
            return _send(s, merged, edit.edit_sequence, now)
    row = WriteBack(company_id=link.company_id, link_id=link_id, action=CUSTOMER_MOD,
                    qb_type=link.qb_type, qb_id=link.qb_id, zoho_module="", changes={})
    _merge(row, edit, now)
    return _send(s, row, edit.edit_sequence, now)


def _send(s: Session, row: WriteBack, edit_sequence: str, now: datetime) -> WriteBack:
    request = send_mod(s, row.company_id, row.qb_id, edit_sequence, row.changes["want"])
    row.request_id, row.base_edit_sequence = request.id, edit_sequence
    row.state, row.created_at, row.updated_at = WriteBackState.QUEUED, now, now
    s.add(row)
    return row


def queue_txn_void(s: Session, link: RecordLink, zoho_id: str, now: datetime) -> WriteBack | None:
    """Queue the void of a Deal's invoice, once (None when one is queued or done already)."""
    link_id = require_id(link)
    done = s.exec(select(WriteBack.id).where(WriteBack.link_id == link_id)
                  .where(WriteBack.action == TXN_VOID)
                  .where(col(WriteBack.state).in_([WriteBackState.QUEUED, WriteBackState.APPLIED]))
                  ).first()
    if done is not None:
        return None
    txn_id = link.qb_id
    request = enqueue(s, link.company_id, kind=RequestKind.WRITE, entity="Invoice", seq=Band.WRITE,
                      record_ref=txn_id, build=lambda rid: txn_void(rid, txn_id))
    row = WriteBack(company_id=link.company_id, link_id=link_id, action=TXN_VOID,
                    qb_type=link.qb_type, qb_id=txn_id, zoho_module="Deals", zoho_id=zoho_id,
                    request_id=request.id, created_at=now, updated_at=now)
    s.add(row)
    s.flush()
    return row

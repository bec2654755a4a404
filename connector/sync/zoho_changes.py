"""Which Zoho edits go to QuickBooks: echo detection, ownership and conflicts, per record.

The link's ``field_hashes`` say what the QuickBooks -> Zoho sync last wrote to each field. A
Zoho field whose value still hashes the same was not edited in Zoho (our own echo included).
An edited field that QuickBooks owns is reported and left. An edited contact field goes to
QuickBooks — unless QuickBooks changed it too since that write: then both sides changed it,
which is a conflict, settled by the newer change and always reported. "Newer" compares Zoho's
Modified_Time with QuickBooks' change time on our clock, never QuickBooks' raw clock.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connector.mapping.accounts import map_account, map_contact
from connector.qbxml.models import Customer
from connector.sync.zoho_fields import MODIFIED_TIME, REVERSE, hashes, owned_by_qbd

__all__ = ["ZOHO", "QBD", "Conflict", "Decision", "decide", "zoho_time"]

ZOHO, QBD = "zoho", "qbd"


@dataclass(frozen=True)
class Conflict:
    field: str
    winner: str  # ZOHO or QBD


@dataclass
class Decision:
    apply: dict[str, Any] = field(default_factory=dict)  # Zoho field -> value for QuickBooks
    conflicts: list[Conflict] = field(default_factory=list)
    kept_by_qbd: list[str] = field(default_factory=list)  # QuickBooks-owned fields edited in Zoho
    edited: list[str] = field(default_factory=list)  # every field edited in Zoho


def zoho_time(record: Mapping[str, Any]) -> datetime | None:
    raw = record.get(MODIFIED_TIME)
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None


def _qbd_side(module: str, current: Customer | None, scope: str,
              fields: list[str]) -> dict[str, str] | None:
    """Per-field hashes of what the current QuickBooks record would write to Zoho."""
    if current is None or current.is_job:
        return None
    mapped = (map_account(current, scope) if module == "Accounts"
              else map_contact(current, scope, ""))
    return hashes(mapped.payload if mapped else {}, fields)


def _newer_side(record: Mapping[str, Any], qb_changed_at: datetime) -> str:
    changed = zoho_time(record)
    # A tie goes to QuickBooks: it is the books, and its own change is not lost.
    return ZOHO if changed is not None and changed > qb_changed_at else QBD


def decide(module: str, record: Mapping[str, Any], baseline: Mapping[str, str],
           current: Customer | None, scope: str, *,
           affected: Collection[str] | None = None,
           qb_changed_at: datetime | None = None) -> Decision:
    """What of ``record`` (as Zoho holds it) should reach QuickBooks.

    ``baseline`` is the link's field hashes; without one (a link written before they were
    kept), Zoho's own ``affected`` fields from the notification stand in for the comparison.
    ``qb_changed_at`` is when QuickBooks' version changed by our clock (its TimeModified
    corrected by the company's measured clock offset, ``connector.qbwc.clock_offset``);
    without it the raw TimeModified is compared.
    """
    reversible = list(REVERSE.get(module, {}))
    compared = reversible + owned_by_qbd(module)
    now_zoho = hashes(record, compared)
    if baseline:
        edited = [f for f in compared if f in baseline and baseline[f] != now_zoho[f]]
    else:
        edited = [f for f in compared if affected is not None and f in affected]
    decision = Decision(edited=edited)
    now_qbd = _qbd_side(module, current, scope, compared)
    for name in edited:
        if name not in reversible:
            decision.kept_by_qbd.append(name)
            continue
        if now_qbd is not None and now_qbd[name] == now_zoho[name]:
            continue  # QuickBooks already holds it (the echo of a merged state)
        if now_qbd is not None and current is not None and name in baseline \
                and now_qbd[name] != baseline[name]:
            winner = _newer_side(record, qb_changed_at or current.time_modified)
            decision.conflicts.append(Conflict(name, winner))
            if winner == QBD:
                continue
        decision.apply[name] = record.get(name)
    return decision

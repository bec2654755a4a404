"""QuickBooks forgets deletions: when its deleted lists may have lapsed, scan the live ids.

ListDeletedQuery and TxnDeletedQuery list only what was deleted in a recent window (about 90
days, ``MLC_DELETED_RETENTION_DAYS``). When a company's last complete read of them is older
than that, deletions may have been lost; the session then also reads the ids of every live
customer, item and invoice (``key_scan_query``), and the sync marks what the links hold but
QuickBooks no longer has as deleted (``connector.sync.reconcile``).

The need is kept as the ``KeyScanDue`` watermark (when it was found) and each scan's own
watermark ``KeyScan:<entity>`` (when it last completed): a scan that fails is planned again
by the next session, even after the deletion reads themselves have caught up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from connector.config import Settings
from connector.qbwc.queue import Band, Request, enqueue_all
from connector.qbxml.builders import KEY_SCANS, key_scan_query
from connector.qbxml.document import QbxmlRequest
from connector.store import RequestKind, Watermark

__all__ = ["DELETE_READS", "SCAN_DUE", "SCAN_PREFIX", "SCAN_ENTITIES", "Retention", "retention",
           "scans_outstanding", "plan_key_scans"]

log = logging.getLogger(__name__)

DELETE_READS = ("ListDeleted", "TxnDeleted")
SCAN_DUE = "KeyScanDue"
SCAN_PREFIX = "KeyScan:"
# The entities of key-scan reads: not records to sync, but ids to compare with the links.
SCAN_ENTITIES = tuple(SCAN_PREFIX + entity for entity in KEY_SCANS)
# After the planned reads, before payment re-reads (connector.qbwc.payments) and backfills.
_SCAN_SEQ = Band.QUERY + 30


@dataclass(frozen=True)
class Retention:
    """When the deleted lists were last read completely, against QuickBooks' window."""

    last_read: datetime | None
    window: timedelta

    def lapsed(self, now: datetime) -> bool:
        return self.last_read is not None and now - self.last_read > self.window

    def closes_at(self) -> datetime | None:
        return self.last_read + self.window if self.last_read is not None else None


def retention(marks: Mapping[str, datetime], window: timedelta) -> Retention:
    """The oldest of the deletion reads' watermarks (None: never read, a first load)."""
    seen = [marks[entity] for entity in DELETE_READS if entity in marks]
    return Retention(min(seen) if seen else None, window)


def scans_outstanding(marks: Mapping[str, datetime]) -> list[str]:
    """The entities whose key scan is due and not completed since."""
    due = marks.get(SCAN_DUE)
    if due is None:
        return []
    return [entity for entity in KEY_SCANS
            if (done := marks.get(SCAN_PREFIX + entity)) is None or done < due]


def _scan(entity: str, page: int) -> Callable[[str], QbxmlRequest]:
    return lambda request_id: key_scan_query(request_id, entity, max_returned=page)


def plan_key_scans(s: Session, company_id: int, session_id: int, marks: dict[str, datetime],
                   settings: Settings, now: datetime) -> int:
    """Queue this session's key scans (when the deleted lists lapsed, or an earlier scan did
    not complete); returns how many were queued."""
    state = retention(marks, settings.deleted_retention)
    if state.lapsed(now):
        log.warning("company %s: QuickBooks' deletions were last read %s, longer ago than its "
                    "deleted lists keep them (%s): scanning every live id to find the rest",
                    company_id, state.last_read, settings.deleted_retention)
        mark = s.get(Watermark, (company_id, SCAN_DUE))
        if mark is None:
            s.add(Watermark(company_id=company_id, entity=SCAN_DUE, value=now, updated_at=now))
        else:
            mark.value, mark.updated_at = now, now
        marks[SCAN_DUE] = now
    wanted = scans_outstanding(marks)
    enqueue_all(s, company_id, [
        Request(kind=RequestKind.QUERY, entity=SCAN_PREFIX + entity, seq=_SCAN_SEQ + position,
                session_id=session_id, watermark_key=SCAN_PREFIX + entity, watermark_to=now,
                build=_scan(entity, settings.key_scan_page))
        for position, entity in enumerate(wanted)])
    return len(wanted)

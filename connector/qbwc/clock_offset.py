"""QuickBooks' clock, measured: how far its TimeModified stamps sit from our own clock.

QuickBooks stamps local time with unreliable DST handling and the PC clock drifts, so its
TimeModified cannot be compared with Zoho's Modified_Time as it is. Each write we send comes
back stamped by QuickBooks while we wait for it: that stamp against our clock at that moment
(the middle of the request's round trip) measures the offset, per company, again with every
write (the clock drifts). A QuickBooks time is then read as ``stamp - offset``, and never
later than when we first saw the change: a change cannot have happened after we read it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import Session

from connector.store import Company

__all__ = ["measure", "true_time", "offset_of"]

log = logging.getLogger(__name__)

# A round trip longer than this says too little about when QuickBooks stamped the record.
_MAX_ROUND_TRIP = timedelta(minutes=5)
# Wrong DST is an hour and a PC clock drifts minutes; a stamp further off than this is not
# QuickBooks' "now" (a Mod that kept an old stamp) and would skew every comparison.
_MAX_PLAUSIBLE_OFFSET = timedelta(days=1)


def measure(s: Session, company_id: int, stamp: datetime, sent_at: datetime | None,
            answered_at: datetime) -> float | None:
    """Record the offset one write's answer shows; returns it (None: nothing learnt)."""
    if sent_at is None or answered_at - sent_at > _MAX_ROUND_TRIP or answered_at < sent_at:
        return None
    ours = sent_at + (answered_at - sent_at) / 2
    if abs(stamp - ours) > _MAX_PLAUSIBLE_OFFSET:
        return None
    offset = (stamp - ours).total_seconds()
    company = s.get(Company, company_id)
    if company is None:
        return None
    if company.qb_clock_offset_seconds is None or \
            abs(company.qb_clock_offset_seconds - offset) > 60:
        log.info("company %s: QuickBooks' clock runs %+.0f s from ours", company.name, offset)
    company.qb_clock_offset_seconds, company.qb_clock_measured_at = offset, answered_at
    return offset


def offset_of(company: Company | None) -> timedelta:
    seconds = company.qb_clock_offset_seconds if company is not None else None
    return timedelta(seconds=seconds or 0)


def true_time(company: Company | None, stamp: datetime,
              observed: datetime | None = None) -> datetime:
    """When a change QuickBooks stamped ``stamp`` happened by our clock (``observed``: when
    the response carrying it reached us, a bound it cannot be later than)."""
    moment = stamp - offset_of(company)
    return min(moment, observed) if observed is not None else moment

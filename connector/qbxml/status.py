"""qbXML status codes as data, sorted once into what they mean for the connector.

QuickBooks reports failures inside otherwise successful responses (statusCode/statusSeverity
on each *Rs). ``classify`` names what a code means for us: usable (ok, no match, warning), a
stale EditSequence, a lost iterator, or one of the three kinds of error (retriable, about one
record, fatal); the bridge acts on that kind alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = [
    "StatusKind",
    "ResponseStatus",
    "STATUS_CODES",
    "classify",
]


class StatusKind(Enum):
    OK = "ok"
    NO_MATCH = "no_match"  # status 1: the query matched nothing; an empty result, not an error
    WARNING = "warning"  # 500-999: data came back but may be incomplete; record and go on
    STALE = "stale"  # 3200: our EditSequence is out of date; re-query, re-apply, retry
    ITERATOR_LOST = "iterator_lost"  # 3391: the iterator is gone (new session); start over
    RETRIABLE = "retriable"
    RECORD = "record"
    FATAL = "fatal"


@dataclass(frozen=True)
class ResponseStatus:
    """The status attributes of one *Rs element, plus how many *Ret records it holds."""

    rs_name: str
    request_id: str | None
    status_code: int
    status_severity: str
    status_message: str
    iterator_remaining: int | None
    iterator_id: str | None
    ret_count: int

    @property
    def kind(self) -> StatusKind:
        return classify(self.status_code)


# Codes from Intuit's "Status codes in response messages" (qbXML SDK OSR) that we act on.
STATUS_CODES: dict[int, tuple[StatusKind, str]] = {
    0: (StatusKind.OK, "status OK"),
    1: (StatusKind.NO_MATCH, "no matching object"),
    500: (StatusKind.WARNING, "query not fully completed: a required object was not found"),
    501: (StatusKind.WARNING, "object cannot be represented in this qbXML version"),
    510: (StatusKind.WARNING, "object cannot be returned"),
    530: (StatusKind.WARNING, "field not supported by this QuickBooks"),
    531: (StatusKind.WARNING, "enum value not supported by this QuickBooks"),
    550: (StatusKind.WARNING, "object saved but its notes could not be saved"),
    560: (StatusKind.WARNING, "deprecated field used"),
    570: (StatusKind.WARNING, "cannot link to a closed transaction"),
    1000: (StatusKind.RETRIABLE, "QuickBooks internal error"),
    1010: (StatusKind.RETRIABLE, "QuickBooks system not available"),
    1030: (StatusKind.FATAL, "request type not supported by this QuickBooks"),
    1060: (StatusKind.FATAL, "invalid requestID (max 50 characters)"),
    3000: (StatusKind.RECORD, "invalid object ID"),
    3010: (StatusKind.RECORD, "invalid boolean value"),
    3020: (StatusKind.RECORD, "invalid date value"),
    3030: (StatusKind.RECORD, "invalid date range"),
    3031: (StatusKind.RECORD, "invalid string range"),
    3040: (StatusKind.RECORD, "invalid amount"),
    3070: (StatusKind.RECORD, "string too long"),
    3100: (StatusKind.RECORD, "name already in use"),
    3120: (StatusKind.RECORD, "object not found"),
    3130: (StatusKind.RECORD, "invalid reference (no such object)"),
    3140: (StatusKind.RECORD, "invalid reference to another object"),
    3150: (StatusKind.RECORD, "required element missing"),
    # The in-use/locked family: a person has the record or list open in QuickBooks.
    3170: (StatusKind.RETRIABLE, "object in use, modification failed"),
    3171: (StatusKind.RECORD, "transaction date on or before the closing date"),
    3175: (StatusKind.RETRIABLE, "object in use, cannot be locked"),
    3176: (StatusKind.RETRIABLE, "object in use by another user"),
    # 3180 is QuickBooks' generic "error when saving"; it is mostly a lock held by a user, so
    # we retry, and the retry policy's attempt limit turns a permanent one into a failure.
    3180: (StatusKind.RETRIABLE, "error when saving (often a lock held by a user)"),
    3200: (StatusKind.STALE, "EditSequence out of date"),
    3210: (StatusKind.RECORD, "field value refused by QuickBooks"),
    3250: (StatusKind.FATAL, "feature not enabled in this company file"),
    3260: (StatusKind.FATAL, "insufficient permission for this action"),
    3261: (StatusKind.FATAL, "application not allowed to access personal data"),
    3391: (StatusKind.ITERATOR_LOST, "iterator not found or expired"),
}


def classify(code: int) -> StatusKind:
    """Kind of a status code; unknown codes fall back on Intuit's documented ranges."""
    known = STATUS_CODES.get(code)
    if known is not None:
        return known[0]
    if code < 500:
        return StatusKind.OK
    if code < 1000:
        return StatusKind.WARNING
    # An unknown error concerns the request at hand: record it and let the batch go on.
    return StatusKind.RECORD

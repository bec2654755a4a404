"""What happened to each record: audit counts and events, and which responses are done.

A stored response is done when each of its records was written, found unchanged, or failed
in a way retrying cannot fix. A record that failed otherwise keeps its response open, so the
next run tries it again, up to ``max_attempts`` runs; then it is left for a person (the
audit says so) and the response is closed.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from connector.audit import AuditRecorder
from connector.errors import ConnectorError
from connector.mapping.keys import LinkKind
from connector.qbxml.parse import QbxmlParseError, Repaired

__all__ = ["Journal", "Settled", "ACTIONS"]

log = logging.getLogger(__name__)

# Zoho's "insert"/"update" (upsert tells which) -> our audit action and count.
ACTIONS: dict[str, str] = {"insert": "created", "update": "updated"}
# Actions that wrote a Zoho record, by the count they add to; a job only links (no write).
_COUNTED: dict[str, str] = {"created": "created", "updated": "updated", "adopted": "updated"}
# Records written not exactly as QuickBooks has them, logged one by one per kind and run; the
# rest are counted into one line per chunk. A first load can adjust every fourth invoice, and
# each line shipped to the Prefect UI costs the flow and its server more than a millisecond;
# the audit keeps every one.
NOTICES_LOGGED = 5


@dataclass
class Settled:
    done: list[int] = field(default_factory=list)
    retry: dict[int, str] = field(default_factory=dict)
    given_up: dict[int, str] = field(default_factory=dict)


class Journal:
    def __init__(self, recorder: AuditRecorder, *, company: str, max_attempts: int):
        self.recorder = recorder
        self.company = company
        self.max_attempts = max_attempts
        self._retry: dict[int, str] = {}
        self._notices: Counter[str] = Counter()  # by code, this run
        self._unlogged: Counter[str] = Counter()  # by code, since the last chunk settled

    def read(self, n: int) -> None:
        self.recorder.count("read", n)

    def unchanged(self, n: int = 1) -> None:
        self.recorder.count("unchanged", n)

    def written(self, kind: LinkKind, qb_id: str, edit_sequence: str | None, zoho_id: str,
                action: str, changed: Sequence[str], *, name: str | None = None,
                values: Mapping[str, Any] | None = None,
                old_values: Mapping[str, Any] | None = None) -> None:
        counted = _COUNTED.get(action)
        if counted:
            self.recorder.count(counted)
        self.recorder.event(action, qb_type=kind.qb_type, qb_id=qb_id, qb_name=name or None,
                            edit_sequence=edit_sequence, zoho_module=kind.zoho_module,
                            zoho_id=zoho_id, changed_fields=changed, values=values,
                            old_values=old_values)

    def deleted(self, kind: LinkKind, qb_id: str, zoho_id: str | None,
                changed: Sequence[str] = ()) -> None:
        self.recorder.count("deleted")
        self.recorder.event("deleted", qb_type=kind.qb_type, qb_id=qb_id,
                            zoho_module=kind.zoho_module, zoho_id=zoho_id, changed_fields=changed)

    def warning(self, kind: LinkKind, qb_id: str, edit_sequence: str | None,
                zoho_id: str | None, code: str, message: str) -> None:
        """Written, but not exactly as QuickBooks has it (text cut to fit, an adjustment)."""
        self._notices[code] += 1
        logged = self._notices[code] <= NOTICES_LOGGED
        if not logged:
            self._unlogged[code] += 1
        log.log(logging.INFO if logged else logging.DEBUG, "company %s: %s %s: [%s] %s",
                self.company, kind.qb_type, qb_id, code, message)
        self.recorder.count("warnings")
        self.recorder.event("warning", qb_type=kind.qb_type, qb_id=qb_id,
                            edit_sequence=edit_sequence, zoho_module=kind.zoho_module,
                            zoho_id=zoho_id, error_code=code, error_message=message)

    def failed(self, response_id: int, kind: LinkKind, qb_id: str, edit_sequence: str | None,
               error: ConnectorError | ValueError, *, retry: bool = True,
               action: str = "failed", name: str | None = None) -> None:
        """One record could not be written; ``retry`` keeps its response for the next run."""
        code: Any = getattr(error, "code", None) or type(error).__name__
        message = getattr(error, "message", None) or str(error)
        details = getattr(error, "details", None)
        if isinstance(details, dict) and details.get("api_name"):
            field = f"(field {details['api_name']})"
            message = message if field in message else f"{message} {field}"
        log.warning("company %s: %s %s %s: [%s] %s", self.company, action, kind.qb_type, qb_id,
                    code, message)
        self.recorder.count("failed")
        self.recorder.event(action, qb_type=kind.qb_type, qb_id=qb_id, qb_name=name,
                            edit_sequence=edit_sequence, zoho_module=kind.zoho_module,
                            error_code=code, error_message=message)
        if retry:
            self._retry.setdefault(response_id, f"{kind.qb_type} {qb_id}: [{code}] {message}")

    def unreadable(self, response_id: int, error: ConnectorError) -> None:
        """A response or record nobody can read: recorded once (with the record's ListID or
        TxnID when it could be read), never retried; the rest of the response goes on."""
        qb_type = error.qb_type if isinstance(error, QbxmlParseError) else None
        qb_id = error.record_id if isinstance(error, QbxmlParseError) else None
        log.warning("company %s: stored response #%s: %s %s quarantined: %s", self.company,
                    response_id, qb_type or "response", qb_id or "", error.message[:300])
        self.recorder.count("failed")
        self.recorder.event("unreadable", qb_type=qb_type, qb_id=qb_id, error_code=error.code,
                            error_message=f"stored response #{response_id}: {error.message}")

    def repaired(self, response_id: int, fixed: Repaired) -> None:
        """A record read after removing characters XML cannot carry: a warning, not a
        failure (the record itself is synced)."""
        log.warning("company %s: stored response #%s: %s", self.company, response_id, fixed)
        self.recorder.event("repaired", qb_type=fixed.qb_type, qb_id=fixed.record_id,
                            changed_fields=fixed.fields, error_code="ILLEGAL_XML_CHARACTERS",
                            error_message=(f"stored response #{response_id}: removed "
                                           f"{fixed.removed} character(s) XML cannot carry "
                                           "(control characters pasted in QuickBooks)"))

    def review(self, kind: LinkKind, qb_id: str, edit_sequence: str | None,
               candidates: Sequence[str], reason: str) -> None:
        self.recorder.count("review")
        self.recorder.event("review", qb_type=kind.qb_type, qb_id=qb_id,
                            edit_sequence=edit_sequence, zoho_module=kind.zoho_module,
                            changed_fields=list(candidates), error_code="AMBIGUOUS_MATCH",
                            error_message=reason)

    def settle(self, responses: Sequence[int], attempts: dict[int, int]) -> Settled:
        """Sort a chunk's responses into done, to retry, and given up; forget the chunk."""
        out = Settled()
        for response_id in responses:
            error = self._retry.pop(response_id, None)
            if error is None:
                out.done.append(response_id)
            elif attempts.get(response_id, 0) + 1 >= self.max_attempts:
                out.given_up[response_id] = error
                self.recorder.event("gave_up", error_code="MAX_ATTEMPTS", error_message=(
                    f"stored response #{response_id}: still failing after {self.max_attempts} "
                    f"runs ({error}); edit the record in QuickBooks or run a backfill to retry"))
            else:
                out.retry[response_id] = error
        self._retry.clear()
        if self._unlogged:
            log.info("company %s: %d more record(s) written not exactly as QuickBooks has "
                     "them (%s): `ml-connector audit show %s` lists each", self.company,
                     self._unlogged.total(), ", ".join(
                         f"{code} x{n}" for code, n in self._unlogged.most_common()),
                     self.recorder.run_id)
            self._unlogged.clear()
        return out

"""What every stage of one company's sync shares, and the one way records are written.

Writes go in batches (the client splits them into Zoho's 100 and runs them in parallel):
upserts dedupe on our ``QBD_Key`` only, adopted records (matched, not yet keyed) are updated
by id. Each record's answer is journaled on its own; a failure never stops the others.
Every record is first made to fit the org (``conform``); a new record that would lack a
mandatory field fails here, clearly and per record, without costing a Zoho call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from connector.errors import RecordError
from connector.mapping.conform import conform, missing_mandatory
from connector.mapping.currency import OrgCurrency
from connector.mapping.keys import LinkKind
from connector.mapping.payload import Mapped, changed_fields
from connector.mapping.values import QbState, fixed_key
from connector.match_index import IndexSource
from connector.store import Database
from connector.sync.batch import Entry
from connector.sync.confirmed import ConfirmedPlan
from connector.sync.journal import ACTIONS, Journal
from connector.sync.links import LinkBook
from connector.sync.org import Org
from connector.zoho.client import ZohoClient
from connector.zoho.fields import QBD_KEY
from connector.zoho.metadata import FieldInfo
from connector.zoho.records import RecordFailed, RecordResult, RecordSaved

__all__ = ["SyncContext", "Pending", "Saved", "Signals", "record_name"]

_KEY = frozenset({QBD_KEY})  # upserts dedupe on it: it goes with every update


def record_name(record: object) -> str | None:
    """What a person calls a QuickBooks record: a customer's or item's full name, an
    invoice's number."""
    name = getattr(record, "full_name", None)
    if name:
        return str(name)
    number = getattr(record, "ref_number", None)
    return f"#{number}" if number else None


@dataclass
class Pending:
    """A mapped record waiting to be written; ``adopt`` is the id of a matched Zoho record,
    ``payload`` what goes to Zoho (``Mapped.payload_for``)."""

    entry: Entry[Any]
    mapped: Mapped
    adopt: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    # What the adopted Zoho record held in the fields we write, read just before: the audit
    # keeps it as the old values, so an undo can give the record back as it was.
    was: dict[str, Any] | None = None

    @property
    def partial(self) -> bool:
        """Only some of the record goes (an update of what changed)."""
        return self.payload != self.mapped.payload


@dataclass
class Saved:
    pending: Pending
    zoho_id: str
    action: str


@dataclass
class Signals:
    """What a run learns while writing: Zoho refused a value of a picklist field, so the
    org's metadata is out of date (the reason, for the log and the store)."""

    stale: str | None = None
    refreshed: bool = False  # read again in this run already


@dataclass
class SyncContext:
    db: Database
    client: ZohoClient
    company_id: int
    company: str
    scope: str
    links: LinkBook
    journal: Journal
    clock: Callable[[], datetime]
    org: OrgCurrency
    zoho: Org
    signals: Signals = field(default_factory=Signals)
    # The org's adoptable Accounts by phone and e-mail, read once per run when first needed.
    index: IndexSource | None = None
    # The plan a person confirmed for this (first) load, if any: its decisions come first.
    plan: ConfirmedPlan | None = None

    @property
    def has_invoices(self) -> bool:
        return self.zoho.meta.has_invoices

    def fail(self, entry: Entry[Any], kind: LinkKind, qb_id: str, error: Exception, *,
             retry: bool = True, action: str = "failed") -> None:
        record = entry.record
        edit_sequence = getattr(record, "edit_sequence", None)
        err = error if isinstance(error, (RecordError, ValueError)) else RecordError(str(error))
        self.journal.failed(entry.response_id, kind, qb_id, edit_sequence, err, retry=retry,
                            action=action, name=record_name(record))

    def defer(self, entry: Entry[Any], kind: LinkKind, qb_id: str, reason: str) -> None:
        """A record whose dependency is not in Zoho yet: tried again next run."""
        self.fail(entry, kind, qb_id, RecordError(reason, code="DEPENDENCY_MISSING"),
                  action="deferred")

    def write(self, module: str, pending: Sequence[Pending]) -> list[Saved]:
        """Upsert (or adopt by id) every pending record; failures are journaled here."""
        upserts = [p for p in pending if p.adopt is None]
        adopts = [p for p in pending if p.adopt is not None]
        saved: list[Saved] = []
        if upserts:
            saved += self._upsert(module, upserts, resend=True)
        if adopts:
            self._read_before(module, adopts)
            adopts = [p for p in adopts if self._unclaimed(p)]
        if adopts:
            results = self.client.update(module, [{**p.payload, "id": p.adopt}
                                                  for p in adopts])
            saved += self._collect(adopts, results, adopted=True)
        return saved

    def _read_before(self, module: str, adopts: Sequence[Pending]) -> None:
        names = sorted({name for p in adopts for name in p.payload})
        held = {str(r.get("id")): r for r in self.client.get_records(
            module, [p.adopt for p in adopts if p.adopt], names)}
        for p in adopts:
            record = held.get(p.adopt or "", {})
            p.was = {name: record.get(name) for name in p.payload}

    def _unclaimed(self, pending: Pending) -> bool:
        """A record to adopt that another QuickBooks record claimed since it was matched (a
        plan confirmed after another company's load took it) is not taken over: the customer
        fails for now, and the next run matches it again against the org as it is."""
        held = (pending.was or {}).get(QBD_KEY)
        if not held or held == pending.payload.get(QBD_KEY):
            return True
        mapped = pending.mapped
        self.fail(pending.entry, mapped.kind, mapped.qb_id, RecordError(
            f"{mapped.kind.zoho_module} {pending.adopt} was matched to this record, but "
            f"another QuickBooks record has claimed it since ({QBD_KEY} {held}); it is left "
            "as it is and this record is matched again at the next run", code="ALREADY_CLAIMED"))
        return False

    def _upsert(self, module: str, pending: Sequence[Pending], *,
                resend: bool) -> list[Saved]:
        results = self.client.upsert(module, [p.payload for p in pending],
                                     duplicate_check_fields=[QBD_KEY])
        # An update sends only the changed fields; when the record is gone from Zoho
        # (deleted there, or emptied from the recycle bin) the upsert creates it and Zoho
        # asks for the mandatory fields: send the whole record once.
        gone = {r.index for r in results if isinstance(r, RecordFailed) and resend
                and r.error.code == "MANDATORY_NOT_FOUND" and pending[r.index].partial}
        # ... and when the changed fields hold every mandatory one, Zoho creates a record of
        # just those: fill in the rest by id before the link says Zoho holds all of it.
        bare = [r for r in results if isinstance(r, RecordSaved) and r.action == "insert"
                and pending[r.index].partial]
        unfilled = self._fill(module, pending, bare)
        saved = self._collect(pending, [r for r in results
                                        if r.index not in gone and r.index not in unfilled],
                              adopted=False)
        if gone:
            whole = [replace(pending[i], payload=dict(pending[i].mapped.payload))
                     for i in sorted(gone)]
            saved += self._upsert(module, whole, resend=False)
        return saved

    def _fill(self, module: str, pending: Sequence[Pending],
              bare: Sequence[RecordSaved]) -> set[int]:
        """Write the whole record over each ``bare`` one; the indexes that failed (journaled,
        and their links forget their fields so the next try sends everything)."""
        if not bare:
            return set()
        results = self.client.update(module, [{**pending[r.index].mapped.payload, "id": r.id}
                                              for r in bare])
        failed: set[int] = set()
        for result in results:
            if isinstance(result, RecordFailed):
                item = pending[bare[result.index].index]
                self.links.forget_fields(item.mapped.kind, item.mapped.qb_id)
                self.fail(item.entry, item.mapped.kind, item.mapped.qb_id, result.error)
                failed.add(bare[result.index].index)
        return failed

    def _collect(self, pending: Sequence[Pending], results: Sequence[RecordResult], *,
                 adopted: bool) -> list[Saved]:
        saved: list[Saved] = []
        for result in results:
            item = pending[result.index]
            if isinstance(result, RecordFailed):
                self._watch_picklists(item.mapped.kind.zoho_module, result)
                self.fail(item.entry, item.mapped.kind, item.mapped.qb_id, result.error)
            elif isinstance(result, RecordSaved):
                action = "adopted" if adopted else ACTIONS.get(result.action, "updated")
                saved.append(Saved(item, result.id, action))
        return saved

    def commit(self, saved: Sequence[Saved]) -> None:
        """Links move and events are written only for what Zoho accepted."""
        for s in saved:
            mapped = s.pending.mapped
            link = self.links.get(mapped.kind, mapped.qb_id)
            known = link is not None and link.zoho_id
            before = link.field_hashes if known and link is not None else None
            was = (s.pending.was if s.pending.was is not None
                   else (link.field_values or {}) if known and link is not None else {})
            changed = changed_fields(before, mapped.fields)
            # The link keeps the values shortened as the audit keeps them: the event takes
            # those rather than shortening (and encoding) each value a second time.
            kept = self.links.record(mapped, s.zoho_id)
            self.journal.written(mapped.kind, mapped.qb_id, mapped.edit_sequence, s.zoho_id,
                                 s.action, changed, name=mapped.label,
                                 values={f: kept[f] if f in kept else mapped.payload[f]
                                         for f in changed if f in mapped.payload},
                                 old_values={f: was[f] for f in changed if f in was})
            for note in mapped.notes:
                self.journal.warning(mapped.kind, mapped.qb_id, mapped.edit_sequence,
                                     s.zoho_id, note.code, note.message)

    def write_and_commit(self, module: str, pending: Sequence[Pending]) -> list[Saved]:
        saved = self.write(module, pending)
        self.commit(saved)
        return saved

    def sort_out(self, entry: Entry[Any], mapped: Mapped, into: list[Pending],
                 adopt: str | None = None) -> None:
        """Queue ``mapped`` (fitted to the org) unless Zoho already holds exactly this
        content; a new record lacking a mandatory field fails here instead."""
        module = mapped.kind.zoho_module
        mapped = conform(mapped, self.zoho.meta.module(module),
                         self.zoho.values.fixed.get(module))
        if self.links.unchanged(mapped, force=entry.force):
            self.links.touch(mapped)
            self.journal.unchanged()
            return
        link = self.links.get(mapped.kind, mapped.qb_id)
        known = link.field_hashes if link is not None and link.zoho_id else None
        creating = known is None and adopt is None
        if creating:
            missing = missing_mandatory(mapped.payload, self.zoho.meta.module(module))
            if missing:
                self.fail(entry, mapped.kind, mapped.qb_id, self._unmapped(mapped, missing[0]))
                return
        previous = None if adopt or entry.force else known
        into.append(Pending(entry, mapped, adopt,
                            mapped.payload_for(previous, creating=creating, always=_KEY)))

    def _unmapped(self, mapped: Mapped, info: FieldInfo) -> RecordError:
        """Why a new record cannot be created, and how to fix it."""
        module, name = mapped.kind.zoho_module, info.api_name
        state = mapped.states.get(name)
        target = self.zoho.values.target_for(module, name, QbState(state) if state else None)
        if target is not None:
            how = (f"no {name} value of the org is mapped for a {target.meaning}; choose one: "
                   f"ml-connector zoho mapping --set {target.key}=<value>")
        else:
            how = (f"nothing in QuickBooks feeds it; give it a fixed value "
                   f"(ml-connector zoho mapping --set {fixed_key(module, name)}=<value>) or "
                   "make it optional in Zoho")
        return RecordError(f"{module}.{name} is mandatory in this Zoho org and {how}",
                           code="MANDATORY_NOT_MAPPED")

    def _watch_picklists(self, module: str, failed: RecordFailed) -> None:
        error = failed.error
        details = error.details if isinstance(error.details, dict) else {}
        info = self.zoho.meta.field(module, str(details.get("api_name") or ""))
        if error.code == "INVALID_DATA" and info is not None and info.options \
                and self.signals.stale is None:
            self.signals.stale = (f"Zoho refused a {module}.{info.api_name} value "
                                  f"({error.message})")

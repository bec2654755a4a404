"""What undoing a QuickBooks -> Zoho run would do, from its audit and what Zoho holds now.

Per Zoho record the run wrote: one it created is deleted (Zoho keeps it in its recycle bin),
one it adopted gets back the values it held before (its ``QBD_Key`` emptied) and loses its
link, one it updated gets back the values last synced before the run. A job's link is
forgotten. A record changed since the run — written by a later run, or edited in Zoho so it no
longer holds what the run wrote, or pointed at by a record a later run wrote — is skipped and
listed: undoing it would throw away work done after the run. A later run's write that its undo
took back does not count, one its undo left in place still does; nor is a record any undo left
as it was (skipped, refused by Zoho, only unlinked) changed by that undo. Everything else the
run recorded (review items, warnings, failures, QuickBooks deletions closed in Zoho) is left as
it is and counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from connector.errors import FatalError
from connector.store import AuditEvent, AuditRun, Company, Database
from connector.undo.children import pointed_at
from connector.undo.values import UNKNOWN, comparable, restorable, same
from connector.zoho.client import ZohoClient
from connector.zoho.fields import QBD_KEY
from connector.zoho.records import MAX_FIELDS

__all__ = ["UndoRefused", "UndoStep", "UndoPlan", "UNDOABLE_FLOWS", "plan_undo", "undo_of",
           "undoable"]

# The runs that write QuickBooks records into Zoho (the run layer's use cases of that name).
UNDOABLE_FLOWS = ("qb_to_zoho", "backfill")
CREATED, ADOPTED, UPDATED = "created", "adopted", "updated"
_WRITES = (CREATED, ADOPTED, UPDATED)
_JOB_LINKS = ("linked", "relinked")
_JOB = "Job"
# Children first, so nothing points at a record already gone while the undo runs.
DELETE_ORDER = ("Invoices", "Deals", "Contacts", "Products", "Accounts")
_IN_BATCH = 500
_DONE = ("completed", "completed_with_errors")


class UndoRefused(FatalError):
    """This run cannot be undone (unknown, not a sync, still running, undone already)."""

    def __init__(self, message: str):
        super().__init__(message, code="UNDO_REFUSED")


@dataclass(frozen=True)
class UndoStep:
    """One thing the undo does: ``delete``, ``restore``, ``unlink``, or ``skip`` (changed
    since, and why)."""

    action: str
    zoho_module: str
    zoho_id: str | None
    qb_type: str | None
    qb_id: str | None
    name: str | None
    reason: str
    restore: dict[str, Any] = field(default_factory=dict)
    # The links to forget: (QuickBooks type, id) whose link the run pointed at this record.
    unlink: tuple[tuple[str, str], ...] = ()


@dataclass
class UndoPlan:
    run_id: int
    company_id: int
    company: str
    steps: list[UndoStep] = field(default_factory=list)
    # The run's other events, by action: left as they are.
    left: Counter[str] = field(default_factory=Counter)
    zoho_reads: int = 0

    def totals(self) -> Counter[str]:
        return Counter(step.action for step in self.steps)

    def of(self, action: str) -> list[UndoStep]:
        return [step for step in self.steps if step.action == action]


@dataclass
class _Touched:
    """One Zoho record as the run left it."""

    module: str
    zoho_id: str
    first: str  # the run's first write of it: created, adopted or updated
    name: str | None = None
    qb: list[tuple[str, str]] = field(default_factory=list)
    # Per field, what it held before the run's first write of it (where known), and whether
    # that value is whole (an adopted record's, read from Zoho) or as the audit shortened it.
    old: dict[str, Any] = field(default_factory=dict)
    unknown: set[str] = field(default_factory=set)
    wrote: dict[str, Any] = field(default_factory=dict)

    def take(self, event: AuditEvent) -> None:
        if event.qb_type and event.qb_id and (event.qb_type, event.qb_id) not in self.qb:
            self.qb.append((event.qb_type, event.qb_id))
        self.name = self.name or event.qb_name
        old = event.old_values or {}
        for name in event.changed_fields:
            if name in self.old or name in self.unknown or name in self.wrote:
                pass  # an earlier write in the run already says what it held before
            elif name in old:
                self.old[name] = old[name]
            elif event.action != CREATED:
                self.unknown.add(name)
        self.wrote.update(event.values or {})


def undoable(db: Database, run_id: int) -> tuple[AuditRun, Company]:
    """The run and its company, or ``UndoRefused`` saying why it cannot be undone."""
    with db.session() as s:
        run = s.get(AuditRun, run_id)
        if run is None:
            raise UndoRefused(f"there is no audit run {run_id}; see `ml-connector audit list`")
        if run.flow not in UNDOABLE_FLOWS:
            raise UndoRefused(f"run {run_id} is a {run.flow} run: only a QuickBooks -> Zoho "
                              f"sync or backfill ({', '.join(UNDOABLE_FLOWS)}) writes what an "
                              "undo takes back")
        if run.status == "running":
            raise UndoRefused(f"run {run_id} is still running; undo it once it has ended")
        company = s.get(Company, run.company_id) if run.company_id is not None else None
        if company is None:
            raise UndoRefused(f"run {run_id} belongs to no company")
        done = undo_of(s, run_id)
        if done is not None:
            raise UndoRefused(f"run {run_id} was undone already, by run {done.id} "
                              f"({done.ended_at:%Y-%m-%d %H:%M} UTC)")
        return run, company


def undo_of(s: Session, run_id: int) -> AuditRun | None:
    """The undo run that took back ``run_id``, if one ended (one that failed may be retried)."""
    return s.exec(select(AuditRun).where(AuditRun.undoes_run_id == run_id)
                  .where(col(AuditRun.status).in_(_DONE))).first()


def _events(s: Session, run_id: int) -> list[AuditEvent]:
    return list(s.exec(select(AuditEvent).where(AuditEvent.run_id == run_id)
                       .order_by(col(AuditEvent.id))).all())


def _batches(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _IN_BATCH):
        yield items[start:start + _IN_BATCH]


# What an undo did to a record that takes back the undone run's write of it (it was deleted,
# restored, or found gone); "undo_skipped" and "failed" leave the write in place.
_TAKEN_BACK = ("undo_deleted", "undo_restored", "undo_unlinked")


@dataclass(frozen=True)
class _Undone:
    """Later runs' work since taken back: the undos of runs after ours (their events only put
    back what those runs wrote), and per undone run the Zoho records its undo took back."""

    undos: frozenset[int]
    records: frozenset[tuple[int, str]]  # (undone run id, Zoho id)

    def hides(self, event: AuditEvent, later: int) -> bool:
        return later in self.undos or (later, event.zoho_id or "") in self.records


def _undone_since(s: Session, run: AuditRun) -> _Undone:
    by_undo = {undo: undone for undo, undone in s.exec(
        select(AuditRun.id, AuditRun.undoes_run_id)
        .where(col(AuditRun.undoes_run_id) > run.id)).all()
        if undo is not None and undone is not None}
    taken = {(by_undo[undo], zoho_id) for undo, zoho_id in s.exec(
        select(AuditEvent.run_id, AuditEvent.zoho_id)
        .where(col(AuditEvent.run_id).in_(list(by_undo)))
        .where(col(AuditEvent.action).in_(_TAKEN_BACK))).all() if zoho_id} if by_undo else set()
    return _Undone(frozenset(by_undo), frozenset(taken))


# What an undo records of a record it left in Zoho as it was: skipped, only its link
# forgotten, or refused by Zoho. Not a change made after a run, whichever run that undo undid.
_WROTE_NOTHING = ("undo_skipped", "undo_unlinked", "failed")


def _since(run: AuditRun) -> Select[AuditEvent, AuditRun]:
    """Events of the runs after ``run`` that may have changed its records: plans, undos of
    ``run`` and what an undo left as it was aside."""
    return (select(AuditEvent, AuditRun).join(AuditRun, col(AuditRun.id) == AuditEvent.run_id)
            .where(col(AuditRun.id) > run.id)
            .where(AuditRun.flow != "plan")
            .where(col(AuditRun.undoes_run_id).is_(None)
                   | ((col(AuditRun.undoes_run_id) != run.id)
                      & col(AuditEvent.action).not_in(_WROTE_NOTHING))))


def _later(s: Session, run: AuditRun, zoho_ids: Sequence[str], qb_ids: Sequence[str],
           undone: _Undone) -> list[tuple[AuditEvent, AuditRun]]:
    """Events of later runs about these records: by Zoho id, of any company (another company
    syncing to the same org may have adopted one), by QuickBooks id, of this company (ids
    repeat across company files); what undos took back aside."""
    later = _since(run)
    mine = later.where(AuditRun.company_id == run.company_id)
    found: dict[int, tuple[AuditEvent, AuditRun]] = {}
    for query, column, values in ((later, AuditEvent.zoho_id, zoho_ids),
                                  (mine, AuditEvent.qb_id, qb_ids)):
        for batch in _batches(values):
            for event, later_run in s.exec(query.where(col(column).in_(batch))).all():
                if not undone.hides(event, later_run.id or 0):
                    found[event.id or 0] = (event, later_run)
    return [found[k] for k in sorted(found)]


def _pointing_at(s: Session, run: AuditRun, zoho_ids: set[str],
                 undone: _Undone) -> dict[str, str]:
    """Records later runs wrote, and no undo took back, that point (a lookup) at one of
    ``zoho_ids``: why to keep it."""
    later = (_since(run).where(AuditRun.company_id == run.company_id)
             .where(col(AuditEvent.values).is_not(None)))
    out: dict[str, str] = {}
    for event, later_run in s.exec(later).all():
        if undone.hides(event, later_run.id or 0):
            continue
        for value in (event.values or {}).values():
            target = comparable(value)
            if target in zoho_ids and target not in out:
                out[target] = (f"run {later_run.id} wrote {event.zoho_module} {event.zoho_id} "
                               "pointing at it")
    return out


def _touched(events: Sequence[AuditEvent], left: Counter[str]
             ) -> tuple[dict[tuple[str, str], _Touched], list[AuditEvent]]:
    records: dict[tuple[str, str], _Touched] = {}
    jobs: list[AuditEvent] = []
    for event in events:
        if event.qb_type == _JOB and event.action in _JOB_LINKS:
            jobs.append(event)
        elif event.action in _WRITES and event.zoho_module and event.zoho_id:
            key = (event.zoho_module, event.zoho_id)
            if key not in records:
                records[key] = _Touched(event.zoho_module, event.zoho_id, event.action)
            records[key].take(event)
        else:
            left[event.action] += 1
    return records, jobs


def _read_now(client: ZohoClient, records: Sequence[_Touched]) -> dict[str, dict[str, Any]]:
    """What Zoho holds now of the fields the run wrote, by record id (a record gone from Zoho
    is absent)."""
    by_module: dict[str, list[_Touched]] = {}
    for record in records:
        by_module.setdefault(record.module, []).append(record)
    held: dict[str, dict[str, Any]] = {}
    for module, group in by_module.items():
        names = sorted({n for r in group for n in (*r.wrote, *r.old)})[:MAX_FIELDS] or [QBD_KEY]
        for row in client.get_records(module, [r.zoho_id for r in group], names):
            held[str(row.get("id"))] = row
    return held


def _edited(record: _Touched, now: dict[str, Any]) -> list[str]:
    """The fields Zoho no longer holds as the run wrote them."""
    return sorted(name for name, value in record.wrote.items()
                  if name in now and same(value, now[name]) is False)


def _as_before(record: _Touched, now: dict[str, Any]) -> bool:
    return bool(record.old) and all(same(value, now[name]) is not False
                                    for name, value in record.old.items() if name in now)


def _step(record: _Touched, now: dict[str, Any] | None, changed: str | None,
          run_id: int) -> UndoStep:
    qb_type, qb_id = record.qb[0] if record.qb else (None, None)

    def make(action: str, reason: str, restore: dict[str, Any] | None = None,
             unlink: tuple[tuple[str, str], ...] = ()) -> UndoStep:
        return UndoStep(action, record.module, record.zoho_id, qb_type, qb_id, record.name,
                        reason, restore or {}, unlink)

    if now is None:
        return make("unlink", "deleted in Zoho since; its link is forgotten",
                    unlink=tuple(record.qb))
    edited = _edited(record, now)
    if edited and record.first != CREATED and _as_before(record, now):
        return make("unlink", "holds its values from before the run already (an earlier undo "
                    "of it stopped); its link is forgotten",
                    unlink=tuple(record.qb) if record.first == ADOPTED else ())
    if changed or edited:
        why = changed or f"edited in Zoho since the run: {', '.join(edited)}"
        return make("skip", f"changed since: {why}; left as it is")
    if record.first == CREATED:
        return make("delete", f"created by run {run_id}", unlink=tuple(record.qb))
    whole = record.first == ADOPTED
    restore = {name: restorable(value, whole=whole) for name, value in record.old.items()}
    lost = sorted([n for n, v in restore.items() if v is UNKNOWN] + list(record.unknown))
    if whole:
        restore.setdefault(QBD_KEY, None)
    restore = {n: v for n, v in restore.items() if v is not UNKNOWN}
    if whole:
        reason = f"adopted by run {run_id}: its {len(restore)} field(s) as before, no QBD_Key"
    else:
        reason = f"updated by run {run_id}: {', '.join(sorted(restore)) or 'nothing'} as before"
    if lost:
        reason += f"; left as the run wrote them (value before not kept): {', '.join(lost)}"
    return make("restore", reason, restore, tuple(record.qb) if whole else ())


def _keep_pointed_at(client: ZohoClient, steps: list[UndoStep],
                     modules: Collection[str]) -> list[UndoStep]:
    deleting: dict[str, list[str]] = {}
    for step in steps:
        if step.action == "delete" and step.zoho_id:
            deleting.setdefault(step.zoho_module, []).append(step.zoho_id)
    kept = pointed_at(client, deleting, modules)
    return [replace(step, action="skip", unlink=(),
                    reason=f"changed since: {kept[step.zoho_id]}; left as it is")
            if step.action == "delete" and step.zoho_id in kept else step for step in steps]


def plan_undo(db: Database, client: ZohoClient, run_id: int, *,
              modules: Collection[str]) -> UndoPlan:
    """What undoing run ``run_id`` would do now; reads Zoho, writes nothing. ``modules``: the
    org's (a record of any of them may point at one the undo would delete)."""
    run, company = undoable(db, run_id)
    plan = UndoPlan(run_id, company.id or 0, company.name)
    with db.session() as s:
        records, jobs = _touched(_events(s, run_id), plan.left)
        ids = [r.zoho_id for r in records.values()]
        qb_ids = sorted({q for r in records.values() for _, q in r.qb}
                        | {e.qb_id for e in jobs if e.qb_id})
        changed: dict[tuple[str | None, str | None], str] = {}
        undone = _undone_since(s, run)
        for event, later in _later(s, run, ids, qb_ids, undone):
            whose = "" if later.company_id == run.company_id else " (another company)"
            said = f"run {later.id}{whose} {event.action} it later"
            changed.setdefault((event.zoho_module, event.zoho_id), said)
            if later.company_id == run.company_id:
                changed.setdefault((event.qb_type, event.qb_id), said)
        pointed = _pointing_at(s, run, {r.zoho_id for r in records.values()
                                        if r.first == CREATED}, undone)
    reads = client.tally.reads
    held = _read_now(client, list(records.values()))
    for record in records.values():
        why = changed.get((record.module, record.zoho_id)) or next(
            (changed[q] for q in record.qb if q in changed), None) or pointed.get(record.zoho_id)
        plan.steps.append(_step(record, held.get(record.zoho_id), why, run_id))
    plan.steps = _keep_pointed_at(client, plan.steps, modules)
    plan.zoho_reads = client.tally.reads - reads
    for event in jobs:
        why = changed.get((event.qb_type, event.qb_id))
        plan.steps.append(UndoStep(
            "skip" if why else "unlink", "Accounts", event.zoho_id, event.qb_type, event.qb_id,
            event.qb_name, f"changed since: {why}; left as it is" if why
            else f"job linked to its customer's Account by run {run_id}",
            unlink=() if why else ((event.qb_type or _JOB, event.qb_id or ""),)))
    order = {m: n for n, m in enumerate(DELETE_ORDER)}
    plan.steps.sort(key=lambda st: (st.action, order.get(st.zoho_module, len(order))))
    return plan

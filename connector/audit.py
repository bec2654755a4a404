"""Every run of every flow is one audit unit: a row with counts, one event per record touched.

The same summary is what the flows publish as a Prefect artifact and what
``ml-connector audit`` prints, so the data team and the CLI read the same facts. A run is
opened with ``audited`` and always ends: completed, completed with errors, or failed with
the error's type and message; a run whose process died is closed as abandoned.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, func, insert, tuple_, update
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from connector.errors import WaitsForPerson
from connector.store import AuditEvent, AuditRun, Company, Database
from connector.store.types import utcnow

__all__ = ["COUNT_KEYS", "WARNING", "RunStatus", "AuditRecorder", "AuditSummary", "FoundEvent",
           "audited", "changes_text", "describe_error", "find_events", "record_skipped",
           "close_abandoned", "get_run", "list_runs", "run_events", "short_value"]

COUNT_KEYS: tuple[str, ...] = ("read", "created", "updated", "unchanged", "deleted", "conflicts",
                               "failed", "warnings", "retried")
# Events that say a record was written, but not quite as its source has it: not failures.
WARNING = "warning"
# Events are written in batches: a backfill touches tens of thousands of records.
_FLUSH_EVERY = 500
# Characters of one written value an audit event keeps.
_VALUE_CHARS = 120
# Rows of touched records an artifact shows; the rest is one `ml-connector audit show` away.
ARTIFACT_RECORDS = 50


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    COMPLETED_WITH_ERRORS = "completed_with_errors"
    FAILED = "failed"
    # Nothing was done: a person must decide first (``WaitsForPerson``).
    WAITING = "waiting"
    SKIPPED = "skipped"
    ABANDONED = "abandoned"


# How a run's error reads in its summary, by the run's status.
_ERROR_LABELS: dict[str, str] = {RunStatus.SKIPPED: "Skipped",
                                 RunStatus.WAITING: "Waiting for a person"}


def describe_error(exc: BaseException) -> str:
    """What a failed run says: the error's type and message, never a traceback. A database
    error says the driver's message only: SQLAlchemy's own names the statement and its
    parameters, the records' data (names, addresses) that no summary or log should hold."""
    if isinstance(exc, StatementError) and exc.orig is not None:
        # The first line: PostgreSQL's next ones quote the statement.
        said = (str(exc.orig).strip().splitlines() or [repr(exc.orig)])[0]
        return f"{type(exc).__name__}: {said}"
    text = str(exc) or repr(exc)
    return f"{type(exc).__name__}: {text}"


def short_value(value: Any) -> Any:
    """A value as the audit keeps it: scalars as they are, long text and structures cut."""
    # Text first: it is most of what an audit keeps, and this runs for every field written.
    if type(value) is str and len(value) <= _VALUE_CHARS:
        return value
    if isinstance(value, bool | int | float) or value is None:
        return value
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= _VALUE_CHARS else text[:_VALUE_CHARS - 1] + "…"


def changes_text(event: AuditEvent) -> str:
    """``Phone: 555-0100 → 555-0142, City=Tucson``: old → new where both were kept, the new
    value where only it was, else the field name."""
    values, old = event.values or {}, event.old_values or {}

    def one(name: str) -> str:
        if name in values and name in old:
            return f"{name}: {short_value(old[name])} → {values[name]}"
        return f"{name}={values[name]}" if name in values else name

    return ", ".join(one(name) for name in event.changed_fields)


def _cell(value: object) -> str:
    return str(value or "").replace("|", "/").replace("\n", " ")


@dataclass
class AuditSummary:
    run_id: int
    flow: str
    direction: str
    company: str | None
    status: str
    started_at: datetime
    ended_at: datetime | None
    counts: dict[str, int]
    error: str | None = None
    failures: list[AuditEvent] = field(default_factory=list)
    warnings: list[AuditEvent] = field(default_factory=list)
    records: list[AuditEvent] = field(default_factory=list)
    records_total: int = 0
    attempt: int = 1
    # Earlier tries of the same orchestrator task (same flow run): (audit run id, status).
    earlier: list[tuple[int, str]] = field(default_factory=list)

    def _records_table(self) -> list[str]:
        lines = ["", "| QuickBooks record | Zoho record | action | changed fields | error |",
                 "|---|---|---|---|---|"]
        for e in self.records[:ARTIFACT_RECORDS]:
            qb = " ".join(filter(None, (e.qb_type, e.qb_name or e.qb_id)))
            zoho = " ".join(filter(None, (e.zoho_module, e.zoho_id)))
            error = f"[{e.error_code}] {e.error_message or ''}" if e.error_code else e.error_message
            lines.append(f"| {_cell(qb)} | {_cell(zoho)} | {e.action} | "
                         f"{_cell(changes_text(e))} | {_cell(error)} |")
        if self.records_total > ARTIFACT_RECORDS:
            lines += ["", (f"{self.records_total - ARTIFACT_RECORDS} more: "
                           f"`ml-connector audit show {self.run_id}`")]
        return lines

    def markdown(self) -> str:
        """The Prefect artifact body: counts, the records touched, and why a run failed."""
        took = (f", took {(self.ended_at - self.started_at).total_seconds():.1f} s"
                if self.ended_at else "")
        lines = [
            f"### {self.flow} · {self.company or 'all companies'} · {self.status}",
            "",
            (f"Audit run **{self.run_id}**, {self.direction}, started "
             f"{self.started_at:%Y-%m-%d %H:%M:%S} UTC{took}"),
            "",
            "| " + " | ".join(COUNT_KEYS) + " |",
            "|" + "---|" * len(COUNT_KEYS),
            "| " + " | ".join(str(self.counts.get(k, 0)) for k in COUNT_KEYS) + " |",
        ]
        if self.attempt > 1 or self.earlier:
            tries = ", ".join(f"run {run_id} {status}" for run_id, status in self.earlier)
            lines += ["", f"Attempt {self.attempt}" + (f" (earlier: {tries})" if tries else "")]
        if self.error:
            label = _ERROR_LABELS.get(self.status, "Run failed")
            lines += ["", f"**{label}:** {self.error}"]
        if self.records:
            lines += self._records_table()
        return "\n".join(lines)


class AuditRecorder:
    """Collects one run's counts and events; ``finish`` closes the unit."""

    def __init__(self, db: Database, *, flow: str, direction: str, company_id: int | None = None,
                 external_run_id: str | None = None, holder: str | None = None,
                 attempt: int = 1, clock: Callable[[], datetime] = utcnow):
        self.db = db
        self.clock = clock
        self.counts: Counter[str] = Counter(dict.fromkeys(COUNT_KEYS, 0))
        self._pending: list[dict[str, Any]] = []
        self.summary: AuditSummary | None = None
        with db.session() as s:
            run = AuditRun(company_id=company_id, flow=flow, direction=direction,
                           started_at=clock(), counts=dict(self.counts),
                           external_run_id=external_run_id, holder=holder, attempt=attempt)
            s.add(run)
            s.flush()
            if run.id is None:
                raise RuntimeError("the database gave the audit run no id")
            self.run_id: int = run.id

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] += n

    def event(self, action: str, *, qb_type: str | None = None, qb_id: str | None = None,
              qb_name: str | None = None, edit_sequence: str | None = None,
              zoho_module: str | None = None, zoho_id: str | None = None,
              changed_fields: Sequence[str] = (), values: Mapping[str, Any] | None = None,
              old_values: Mapping[str, Any] | None = None,
              error_code: str | int | None = None, error_message: str | None = None) -> None:
        # Plain rows, inserted in bulk: building a validated model per event would cost more
        # than the sync's own work on a large backfill.
        self._pending.append({
            "run_id": self.run_id, "at": self.clock(), "action": action, "qb_type": qb_type,
            "qb_id": qb_id, "qb_name": qb_name, "edit_sequence": edit_sequence,
            "zoho_module": zoho_module, "zoho_id": zoho_id,
            "changed_fields": list(changed_fields),
            "values": {k: short_value(v) for k, v in values.items()} if values else None,
            # Whole, not cut: they are what an undo writes back.
            "old_values": dict(old_values) if old_values else None,
            "error_code": str(error_code) if error_code is not None else None,
            "error_message": error_message,
        })
        if len(self._pending) >= _FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        with self.db.session() as s:
            s.connection().execute(insert(AuditEvent.__table__), self._pending)  # type: ignore[attr-defined]
            s.execute(update(AuditRun).where(col(AuditRun.id) == self.run_id)
                      .values(counts=dict(self.counts)))
        self._pending = []

    def finish(self, *, error: str | None = None, waiting: bool = False) -> AuditSummary:
        """Close the unit: ``waiting`` with ``error`` when a person must act first, else
        ``failed`` with it, else by the counts."""
        self.flush()
        status = (RunStatus.WAITING if waiting and error else RunStatus.FAILED if error
                  else RunStatus.COMPLETED_WITH_ERRORS if self.counts["failed"]
                  else RunStatus.COMPLETED)
        with self.db.session() as s:
            s.execute(update(AuditRun).where(col(AuditRun.id) == self.run_id).values(
                counts=dict(self.counts), ended_at=self.clock(), status=status, error=error))
        self.summary = get_run(self.db, self.run_id)
        return self.summary


@contextmanager
def audited(db: Database, *, flow: str, direction: str, company_id: int | None = None,
            external_run_id: str | None = None, holder: str | None = None, attempt: int = 1,
            clock: Callable[[], datetime] = utcnow) -> Iterator[AuditRecorder]:
    """One audit unit that always ends: whatever escapes the block ends it ``failed`` with the
    error's type and message (``waiting`` when the error says a person must act first) and is
    raised again; otherwise it ends by its counts."""
    recorder = AuditRecorder(db, flow=flow, direction=direction, company_id=company_id,
                             external_run_id=external_run_id, holder=holder, attempt=attempt,
                             clock=clock)
    try:
        yield recorder
    except BaseException as exc:
        recorder.finish(error=describe_error(exc), waiting=isinstance(exc, WaitsForPerson))
        raise
    recorder.finish()


def record_skipped(db: Database, *, flow: str, direction: str, company_id: int | None,
                   reason: str, external_run_id: str | None = None, attempt: int = 1,
                   clock: Callable[[], datetime] = utcnow) -> AuditSummary:
    """A run that did not start because another holds its lease: audited, with the holder."""
    now = clock()
    with db.session() as s:
        run = AuditRun(company_id=company_id, flow=flow, direction=direction,
                       status=RunStatus.SKIPPED, started_at=now, ended_at=now,
                       counts=dict.fromkeys(COUNT_KEYS, 0), error=reason,
                       external_run_id=external_run_id, attempt=attempt)
        s.add(run)
        s.flush()
        run_id = run.id
    if run_id is None:
        raise RuntimeError("the database gave the audit run no id")
    return get_run(db, run_id)


def close_abandoned(db: Database, live: set[str], now: datetime) -> list[int]:
    """Close as abandoned every running run whose holder no longer holds a live lease (its
    process died or lost the lease); returns their ids."""
    with db.session() as s:
        rows = s.exec(select(AuditRun).where(AuditRun.status == RunStatus.RUNNING)
                      .where(col(AuditRun.holder).is_not(None))).all()
        dead = [r for r in rows if r.holder not in live]
        for run in dead:
            run.status, run.ended_at = RunStatus.ABANDONED, now
            run.error = ("abandoned: the process running it stopped (its lease expired "
                         "before the run ended); what it wrote stays recorded")
            s.add(run)
        return [r.id for r in dead if r.id is not None]


def get_run(db: Database, run_id: int) -> AuditSummary:
    with db.session() as s:
        run = s.get(AuditRun, run_id)
        if run is None:
            raise LookupError(f"no audit run {run_id}")
        company = s.get(Company, run.company_id) if run.company_id else None
        events = select(AuditEvent).where(AuditEvent.run_id == run_id)
        failures = s.exec(events.where(col(AuditEvent.error_code).is_not(None)
                                       | col(AuditEvent.error_message).is_not(None))
                          .where(AuditEvent.action != WARNING)
                          .order_by(col(AuditEvent.id)).limit(200)).all()
        warnings = s.exec(events.where(AuditEvent.action == WARNING)
                          .order_by(col(AuditEvent.id)).limit(200)).all()
        records = s.exec(events.order_by(col(AuditEvent.id)).limit(ARTIFACT_RECORDS)).all()
        total = len(records)
        if total == ARTIFACT_RECORDS:
            total = s.exec(select(func.count()).select_from(AuditEvent)
                           .where(AuditEvent.run_id == run_id)).one()
        earlier: list[tuple[int, str]] = []
        if run.external_run_id:
            earlier = [(r.id or 0, r.status) for r in s.exec(
                select(AuditRun).where(AuditRun.external_run_id == run.external_run_id)
                .where(AuditRun.flow == run.flow)
                .where(col(AuditRun.company_id).is_(None) if run.company_id is None
                       else AuditRun.company_id == run.company_id)
                .where(col(AuditRun.id) < run_id).order_by(col(AuditRun.id))).all()]
        return AuditSummary(run_id=run_id, flow=run.flow, direction=run.direction,
                            company=company.name if company else None, status=run.status,
                            started_at=run.started_at, ended_at=run.ended_at,
                            counts=dict(run.counts), error=run.error, failures=list(failures),
                            warnings=list(warnings),
                            records=list(records), records_total=int(total),
                            attempt=run.attempt, earlier=earlier)


def list_runs(db: Database, *, company_id: int | None = None,
              limit: int = 20) -> list[AuditSummary]:
    with db.session() as s:
        query = select(AuditRun.id).order_by(col(AuditRun.id).desc()).limit(limit)
        if company_id is not None:
            query = query.where(AuditRun.company_id == company_id)
        ids = list(s.exec(query).all())
    return [get_run(db, run_id) for run_id in ids if run_id is not None]


def run_events(db: Database, run_id: int, *, limit: int = 1000) -> list[AuditEvent]:
    with db.session() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.run_id == run_id)
                           .order_by(col(AuditEvent.id)).limit(limit)).all())


@dataclass(frozen=True)
class FoundEvent:
    """One event of a record's history, with the run it belongs to."""

    event: AuditEvent
    flow: str
    company: str | None


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matches(event: type[AuditEvent], term: str) -> ColumnElement[bool]:
    """The name contains the term (any case), or the QuickBooks or Zoho id is the term."""
    lowered = term.lower()
    return (func.lower(col(event.qb_name)).like(_like_pattern(lowered), escape="\\")
            | (func.lower(col(event.qb_id)) == lowered)
            | (func.lower(col(event.zoho_id)) == lowered))


def find_events(db: Database, term: str, *, company_id: int | None = None,
                limit: int = 50) -> list[FoundEvent]:
    """A record's history across runs, newest first: every event whose QuickBooks name
    contains ``term`` (any case) or whose QuickBooks or Zoho id is ``term``, and every other
    event of the records those name (a deletion or a queued Mod carries ids but no name).
    QuickBooks ids repeat across company files, so they are matched within one company."""
    term = term.strip()
    if not term:
        raise ValueError("say what to look for: a name, a QuickBooks id or a Zoho id")
    hit, hit_run = aliased(AuditEvent), aliased(AuditRun)
    same_qb_record = (select(hit_run.company_id, hit.qb_id)
                      .join(hit_run, col(hit_run.id) == col(hit.run_id))
                      .where(_matches(hit, term), col(hit.qb_id).is_not(None)))
    same_zoho_record = select(hit.zoho_id).where(_matches(hit, term),
                                                 col(hit.zoho_id).is_not(None))
    query = (select(AuditEvent, AuditRun.flow, Company.name)
             .join(AuditRun, col(AuditRun.id) == col(AuditEvent.run_id))
             .outerjoin(Company, col(Company.id) == col(AuditRun.company_id))
             .where(_matches(AuditEvent, term)
                    | tuple_(col(AuditRun.company_id), col(AuditEvent.qb_id)).in_(same_qb_record)
                    | col(AuditEvent.zoho_id).in_(same_zoho_record))
             .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
             .limit(limit))
    if company_id is not None:
        query = query.where(AuditRun.company_id == company_id)
    with db.session() as s:
        return [FoundEvent(event, flow, company) for event, flow, company in s.exec(query).all()]

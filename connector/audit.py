"""Every run of every flow is one audit unit: a row with counts, one event per record touched.

The same summary is what the flows publish as a Prefect artifact and what
``ml-connector audit`` prints, so the data team and the CLI read the same facts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import col, select

from connector.store import AuditEvent, AuditRun, Company, Database
from connector.store.types import utcnow

__all__ = ["COUNT_KEYS", "AuditRecorder", "AuditSummary", "get_run", "list_runs", "run_events"]

COUNT_KEYS: tuple[str, ...] = ("read", "created", "updated", "unchanged", "deleted", "conflicts", "failed")
# Events are written in batches: a backfill touches tens of thousands of records.
_FLUSH_EVERY = 500


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

    def markdown(self) -> str:
        """The Prefect artifact body: one table of counts, then the failures."""
        lines = [
            f"### {self.flow} · {self.company or 'all companies'} · {self.status}",
            "",
            f"Audit run **{self.run_id}**, {self.direction}, started {self.started_at:%Y-%m-%d %H:%M:%S} UTC"
            + (f", took {(self.ended_at - self.started_at).total_seconds():.1f} s" if self.ended_at else ""),
            "",
            "| " + " | ".join(COUNT_KEYS) + " |",
            "|" + "---|" * len(COUNT_KEYS),
            "| " + " | ".join(str(self.counts.get(k, 0)) for k in COUNT_KEYS) + " |",
        ]
        if self.error:
            lines += ["", f"**Run failed:** {self.error}"]
        if self.failures:
            lines += ["", "| record | action | code | message |", "|---|---|---|---|"]
            lines += [f"| {e.qb_type or e.zoho_module} {e.qb_id or e.zoho_id} | {e.action} | "
                      f"{e.error_code or ''} | {(e.error_message or '').replace('|', '/')} |"
                      for e in self.failures[:50]]
        return "\n".join(lines)


class AuditRecorder:
    """Collects one run's counts and events; ``finish`` closes the unit."""

    def __init__(self, db: Database, *, flow: str, direction: str, company_id: int | None = None,
                 external_run_id: str | None = None, clock: Callable[[], datetime] = utcnow):
        self.db = db
        self.clock = clock
        self.counts: Counter[str] = Counter({key: 0 for key in COUNT_KEYS})
        self._pending: list[dict[str, Any]] = []
        with db.session() as s:
            run = AuditRun(company_id=company_id, flow=flow, direction=direction,
                           started_at=clock(), counts=dict(self.counts),
                           external_run_id=external_run_id)
            s.add(run)
            s.flush()
            assert run.id is not None
            self.run_id: int = run.id

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] += n

    def event(self, action: str, *, qb_type: str | None = None, qb_id: str | None = None,
              edit_sequence: str | None = None, zoho_module: str | None = None,
              zoho_id: str | None = None, changed_fields: Sequence[str] = (),
              error_code: str | int | None = None, error_message: str | None = None) -> None:
        # Plain rows, inserted in bulk: building a validated model per event would cost more
        # than the sync's own work on a large backfill.
        self._pending.append(dict(
            run_id=self.run_id, at=self.clock(), action=action, qb_type=qb_type, qb_id=qb_id,
            edit_sequence=edit_sequence, zoho_module=zoho_module, zoho_id=zoho_id,
            changed_fields=list(changed_fields),
            error_code=str(error_code) if error_code is not None else None,
            error_message=error_message,
        ))
        if len(self._pending) >= _FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        with self.db.session() as s:
            s.connection().execute(insert(AuditEvent.__table__), self._pending)  # type: ignore[attr-defined]
            run = s.get(AuditRun, self.run_id)
            assert run is not None
            run.counts = dict(self.counts)
        self._pending = []

    def finish(self, *, error: str | None = None) -> AuditSummary:
        self.flush()
        with self.db.session() as s:
            run = s.get(AuditRun, self.run_id)
            assert run is not None
            run.counts = dict(self.counts)
            run.ended_at = self.clock()
            run.status = "failed" if error else ("completed_with_errors" if self.counts["failed"] else "completed")
            run.error = error
        return get_run(self.db, self.run_id)


def get_run(db: Database, run_id: int) -> AuditSummary:
    with db.session() as s:
        run = s.get(AuditRun, run_id)
        if run is None:
            raise LookupError(f"no audit run {run_id}")
        company = s.get(Company, run.company_id) if run.company_id else None
        failures = s.exec(select(AuditEvent).where(AuditEvent.run_id == run_id)
                          .where(col(AuditEvent.error_code).is_not(None) | col(AuditEvent.error_message).is_not(None))
                          .order_by(col(AuditEvent.id)).limit(200)).all()
        return AuditSummary(run_id=run_id, flow=run.flow, direction=run.direction,
                            company=company.name if company else None, status=run.status,
                            started_at=run.started_at, ended_at=run.ended_at, counts=dict(run.counts),
                            error=run.error, failures=list(failures))


def list_runs(db: Database, *, company_id: int | None = None, limit: int = 20) -> list[AuditSummary]:
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

"""One plain function per use case: what the CLI commands and the Prefect flows both call.

Each takes a ``RunEnv`` and returns a ``RunResult`` (or, for a backfill, a ``BackfillResult``):
the lease, the audit unit, the order of steps and the Zoho client all live here, once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from connector.audit import AuditRecorder
from connector.notify.renew import renew_all
from connector.plans import mark_applied
from connector.plans.gate import first_load_gate
from connector.qbwc.companies import get_company
from connector.runs.env import RunEnv, UseCase
from connector.runs.exclusive import lease_key, run_exclusive
from connector.runs.leases import live_keys
from connector.runs.requests import requested_company_ids, take_requests
from connector.runs.result import RunResult
from connector.store import Company, ZohoConnection
from connector.store.rows import require_id
from connector.sync.backfill import backfill_status, queue_reads
from connector.sync.progress import Progress, ProgressReport
from connector.sync.qb_to_zoho import SyncOptions, sync_company
from connector.sync.responses import (
    check_range,
    mark_for_resync,
    pending_companies,
    pending_count,
)
from connector.sync.zoho_to_qb import apply_notifications
from connector.zoho.client import ZohoClient
from connector.zoho.connection import load_connection

__all__ = ["BackfillResult", "company_connection", "sync_quickbooks", "sync_back",
           "renew_channels", "backfill", "companies_waiting", "serve_requests"]

log = logging.getLogger(__name__)


def company_connection(env: RunEnv, company: Company) -> ZohoConnection:
    """The Zoho connection a company syncs to (its own, else the default one)."""
    if company.zoho_connection_id is not None:
        with env.db.session() as s:
            row = s.get(ZohoConnection, company.zoho_connection_id)
        if row is not None:
            return row
    return load_connection(env.db, "default")


def _company_id(company: Company) -> int:
    if company.id is None:
        raise ValueError(f"company {company.name!r} is not stored")
    return company.id


@contextmanager
def _zoho(env: RunEnv, connection: str, audit: AuditRecorder) -> Iterator[ZohoClient]:
    """The run's Zoho client; the failures it tried again go into the run's audit unit
    (counted, and one event naming them), however the run ends."""
    with env.connect(connection) as client:
        try:
            yield client
        finally:
            retried = client.retried
            if retried:
                audit.count("retried", retried.total())
                audit.event("retried", error_code="ZOHO_RETRIES", error_message=(
                    "Zoho calls tried again after: "
                    + ", ".join(f"{code} x{n}" for code, n in retried.most_common())))


def _sync_stored(env: RunEnv, company: Company, audit: AuditRecorder,
                 check: Callable[[], None], progress: Progress | None) -> None:
    take_requests(env.db, _company_id(company), audit.run_id, env.clock())

    def step(report: ProgressReport) -> None:
        check()
        if progress is not None:
            progress(report)

    connection = company_connection(env, company)
    with _zoho(env, connection.name, audit) as client:
        # A finished key scan alone is work too: what it found gone is closed now.
        if not pending_count(env.db, _company_id(company), scans=True):
            return
        plan = sync_company(
            env.db, client, company, audit, connection_id=require_id(connection),
            clock=env.clock, progress=step, checkpoint=check,
            options=SyncOptions.from_settings(env.settings),
            gate=lambda: first_load_gate(env.db, client, company,
                                         required=env.settings.first_load_needs_plan))
    if plan is not None:
        mark_applied(env.db, plan.plan_id, audit.run_id)


def sync_quickbooks(env: RunEnv, company: str, *, progress: Progress | None = None) -> RunResult:
    """QuickBooks -> Zoho for one company: every stored response not synced yet."""
    found = get_company(env.db, company)
    return run_exclusive(env, UseCase.QB_TO_ZOHO, scope=_company_scope(found.id),
                         target=found.name, company_id=found.id,
                         body=lambda audit, check: _sync_stored(env, found, audit, check,
                                                                progress))


def sync_back(env: RunEnv, connection: str = "default", company: str | None = None) -> RunResult:
    """Zoho -> QuickBooks: the notified Zoho edits of a connection (one company's, if named)
    become Mods queued for the next Web Connector session."""
    row = load_connection(env.db, connection)
    company_id = get_company(env.db, company).id if company else None

    def body(audit: AuditRecorder, check: Callable[[], None]) -> None:
        with _zoho(env, connection, audit) as client:
            apply_notifications(env.db, client, env.settings, audit, company_id=company_id,
                                connection_id=row.id, clock=env.clock)
        check()

    return run_exclusive(env, UseCase.ZOHO_TO_QB, scope=f"connection:{row.id}",
                         target=company or connection, company_id=company_id, body=body)


def renew_channels(env: RunEnv, connection: str = "default") -> RunResult:
    """Renew the connection's channels before they expire, re-open lapsed ones, catch up."""
    row = load_connection(env.db, connection)

    def body(audit: AuditRecorder, check: Callable[[], None]) -> None:
        with _zoho(env, connection, audit) as client:
            renew_all(env.db, client, env.settings, audit, connection_id=row.id,
                      clock=env.clock)
        check()

    return run_exclusive(env, UseCase.RENEW_CHANNELS, scope=f"connection:{row.id}",
                         target=connection, company_id=None, body=body)


@dataclass(frozen=True)
class BackfillResult:
    run: RunResult
    reads_queued: int
    responses_reopened: int
    reads_waiting: int  # standing reads no Web Connector session has taken yet
    responses_waiting: int  # stored responses the sync has not processed yet

    def lines(self) -> list[str]:
        return [(f"queued {self.reads_queued} QuickBooks read(s) for the next Web Connector "
                 "session"),
                f"reopened {self.responses_reopened} stored response(s) for a forced re-sync",
                (f"waiting: {self.reads_waiting} QuickBooks read(s) for the next session, "
                 f"{self.responses_waiting} stored response(s) for the next sync")]


def backfill(env: RunEnv, company: str, *, since: datetime | None = None,
             until: datetime | None = None, read_quickbooks: bool = True,
             resync_stored: bool = True, progress: Progress | None = None) -> BackfillResult:
    """A first load or re-sync of a date range, under the company's QuickBooks -> Zoho lease:
    queue QuickBooks reads (modified since ``since``) for the next session, reopen the stored
    responses received in [since, until] and sync them now. Resumable: run it again."""
    check_range(since, until)
    found = get_company(env.db, company)
    company_id = _company_id(found)
    queued = reopened = 0

    def body(audit: AuditRecorder, check: Callable[[], None]) -> None:
        nonlocal queued, reopened
        if read_quickbooks:
            queued = queue_reads(env.db, found, env.settings, since=since)
        if resync_stored:
            reopened = mark_for_resync(env.db, company_id, since=since, until=until)
            _sync_stored(env, found, audit, check, progress)

    run = run_exclusive(env, UseCase.BACKFILL, scope=_company_scope(company_id), target=found.name,
                        company_id=company_id, body=body)
    status = backfill_status(env.db, company_id)
    return BackfillResult(run, queued, reopened, status.reads_waiting, status.responses_waiting)


def _company_scope(company_id: int | None) -> str:
    return f"company:{company_id}"


def _requested(env: RunEnv) -> list[int]:
    """Requested companies no run is working on (a run holds their lease): a company is
    started again once the run that holds it has ended, never beside it."""
    busy = live_keys(env.db, env.clock())
    return [i for i in requested_company_ids(env.db)
            if lease_key(UseCase.QB_TO_ZOHO, _company_scope(i)) not in busy]


def _names(env: RunEnv, ids: list[int]) -> list[str]:
    with env.db.session() as s:
        names = {c.id: c.name for c in s.exec(select(Company).where(col(Company.id).in_(ids)))}
    return [names[i] for i in ids if i in names]


def companies_waiting(env: RunEnv) -> list[str]:
    """Companies to sync now: those whose session asked for it first, then any other with
    stored responses not synced yet."""
    return list(dict.fromkeys([*_names(env, _requested(env)),
                               *(c.name for c in pending_companies(env.db))]))


def serve_requests(env: RunEnv, run_one: Callable[[str], object], *, seconds: float,
                   sleep: Callable[[float], None] = time.sleep,
                   monotonic: Callable[[], float] = time.monotonic) -> list[str]:
    """Sync every waiting company, then for ``seconds`` more each company whose Web Connector
    session asks for it, polling the store every ``sync_poll_seconds``. A company that keeps
    failing is not retried in a loop: after the first pass only new requests start runs."""
    deadline = monotonic() + seconds
    handled: list[str] = []
    names = companies_waiting(env)
    while True:
        for name in names:
            run_one(name)
            handled.append(name)
        if monotonic() >= deadline:
            return handled
        sleep(env.settings.sync_poll_seconds)
        names = _names(env, _requested(env))

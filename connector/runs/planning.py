"""``plan_sync``: what a QuickBooks -> Zoho sync (or a backfill) would do, as one audited
run that writes nothing to Zoho or QuickBooks; the plan is kept in the store by its id."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from connector.audit import AuditRecorder
from connector.plans import BACKFILL, SYNC, plan_company, plan_rows, save_plan
from connector.qbwc.companies import get_company
from connector.runs.env import RunEnv, UseCase
from connector.runs.exclusive import run_exclusive
from connector.runs.result import RunResult
from connector.runs.usecases import company_connection
from connector.store import PlanRow, SyncPlan
from connector.store.rows import require_id
from connector.sync.batch import Resync, read_chunks
from connector.sync.qb_to_zoho import SyncOptions
from connector.sync.responses import SYNCED_ENTITIES, check_range

__all__ = ["PlanResult", "plan_sync"]


@dataclass(frozen=True)
class PlanResult:
    run: RunResult
    plan: SyncPlan | None = None
    rows: list[PlanRow] = field(default_factory=list)


def plan_sync(env: RunEnv, company: str, *, backfill: bool = False,
              since: datetime | None = None, until: datetime | None = None) -> PlanResult:
    """Plan the next sync of ``company`` (with ``backfill``, of a backfill re-sending what
    was stored in [since, until])."""
    check_range(since, until)
    found = get_company(env.db, company)
    company_id = require_id(found)
    made: list[SyncPlan] = []
    options = SyncOptions.from_settings(env.settings)
    resync = Resync(SYNCED_ENTITIES, since, until) if backfill else None

    def body(audit: AuditRecorder, check: Callable[[], None]) -> None:
        connection = company_connection(env, found)
        with env.connect(connection.name) as client:
            chunks = read_chunks(env.db, company_id, size=options.chunk_responses,
                                 resync=resync, max_records=options.chunk_records)
            report = plan_company(env.db, client, found, chunks,
                                  connection_id=require_id(connection), options=options,
                                  clock=env.clock)
        check()
        audit.count("read", len(report.entries))
        made.append(save_plan(env.db, report, kind=BACKFILL if backfill else SYNC,
                              now=env.clock()))

    run = run_exclusive(env, UseCase.PLAN, scope=f"company:{company_id}", target=found.name,
                        company_id=company_id, body=body)
    if not made:
        return PlanResult(run)
    return PlanResult(run, made[0], plan_rows(env.db, require_id(made[0])))

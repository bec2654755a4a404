"""The ``plan`` parameter of the qb-to-zoho and backfill flows: what the sync would write,
published as a table artifact (``sync-plan-<company>``); nothing is written to Zoho or QuickBooks.
The plan itself is worked out in ``connector.runs.plan_sync``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact

from connector import runs
from connector.plans import summary_lines, table_rows
from connector.runs.result import artifact_slug
from flows.common import RETRY_DELAYS, connector_logs, finish, retry_only_retriable, run_env

__all__ = ["plan_task"]


@task(retries=len(RETRY_DELAYS), retry_delay_seconds=RETRY_DELAYS,
      retry_condition_fn=retry_only_retriable, task_run_name="plan-{company}")
def plan_task(company: str, backfill: bool = False, since: datetime | None = None,
              until: datetime | None = None) -> dict[str, Any]:
    logger = get_run_logger()
    with connector_logs():
        result = runs.plan_sync(run_env(), company, backfill=backfill, since=since,
                                until=until)
        outcome = finish(result.run)
    if result.plan is None:
        return outcome
    lines = summary_lines(result.plan, result.rows)
    for line in lines[:3]:
        logger.info("%s", line)
    create_table_artifact(table_rows(result.rows), key=f"sync-plan-{artifact_slug(company)}",
                          description="\n\n".join(lines[:3]))
    return {**outcome, "plan_id": result.plan.id, **result.plan.totals}

"""Prefect flow ``backfill``: a first load or a re-sync of a date range for one company,
with a progress bar artifact. The steps and their order live in ``connector.runs.backfill``."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.client.schemas.objects import State

from connector import runs
from connector.audit import RunStatus
from connector.runs.result import artifact_slug
from flows.common import (
    RETRY_DELAYS,
    connector_logs,
    finish,
    progress_bar,
    retry_only_retriable,
    run_env,
    waiting_state,
)
from flows.plan import plan_task

__all__ = ["backfill"]


def _moment(day: date | None, end: bool) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)


@task(retries=len(RETRY_DELAYS), retry_delay_seconds=RETRY_DELAYS,
      retry_condition_fn=retry_only_retriable)
def backfill_task(company: str, since: date | None, until: date | None, read_quickbooks: bool,
                  resync_stored: bool) -> dict[str, Any]:
    logger = get_run_logger()
    progress = progress_bar(f"backfill-progress-{artifact_slug(company)}",
                            f"backfill of {company}: stored responses synced", eager=True)
    with connector_logs():
        result = runs.backfill(run_env(), company, since=_moment(since, False),
                               until=_moment(until, True), read_quickbooks=read_quickbooks,
                               resync_stored=resync_stored, progress=progress)
        for line in result.lines():
            logger.info("%s", line)
        return {**finish(result.run), "reads_queued": result.reads_queued,
                "responses_reopened": result.responses_reopened,
                "reads_waiting": result.reads_waiting,
                "responses_waiting": result.responses_waiting}


@flow(name="backfill")
async def backfill(company: str, since: date | None = None, until: date | None = None,
                   read_quickbooks: bool = True, resync_stored: bool = True,
                   plan: bool = False) -> dict[str, Any] | State[Any]:
    """Queue QuickBooks reads since ``since`` and re-sync what is stored in [since, until];
    with ``plan``, only publish what re-syncing the stored range would write. A backfill
    that is a first load into a populated org waits for a person's plan: its run is
    Completed, named "Waiting"."""
    if plan:
        return plan_task(company, resync_stored, _moment(since, False), _moment(until, True))
    out = backfill_task(company, since, until, read_quickbooks, resync_stored)
    return waiting_state(str(out["message"]), out) if out["status"] == RunStatus.WAITING else out

"""Prefect flow ``backfill`` (manual): a first load or a re-sync of a date range.

It queues QuickBooks reads (modified since ``since``, else everything) for the next Web
Connector session, reopens the stored responses received in the range for a forced re-sync,
and syncs them now, chunk by chunk inside Zoho's limits, with a progress artifact. Running it
again goes on where it stopped: waiting reads and reopened responses stay until done.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from uuid import UUID

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_progress_artifact, update_progress_artifact

from connector.qbwc import get_company
from connector.sync.backfill import backfill_status, mark_for_resync, queue_reads
from flows.common import RETRY_DELAYS, artifact_key, open_app, retry_only_retriable
from flows.qb_to_zoho import run_logged

__all__ = ["backfill"]


def _moment(day: date | None, end: bool) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)


@task
def queue_quickbooks_reads(company: str, since: date | None) -> int:
    app = open_app()
    return queue_reads(app.db, get_company(app.db, company), app.settings,
                       since=_moment(since, False))


@task
def reopen_stored(company: str, since: date | None, until: date | None) -> int:
    app = open_app()
    found = get_company(app.db, company)
    return mark_for_resync(app.db, found.id or 0, since=_moment(since, False),
                           until=_moment(until, True))


@task(retries=len(RETRY_DELAYS), retry_delay_seconds=RETRY_DELAYS,
      retry_condition_fn=retry_only_retriable)
def resync(company: str) -> dict[str, Any]:
    app = open_app()
    found = get_company(app.db, company)
    bar = create_progress_artifact(0.0, key=artifact_key("backfill-progress", company),
                                   description=f"backfill of {company}: stored responses synced")
    assert isinstance(bar, UUID)  # called from a sync task, Prefect answers at once

    def progress(done: int, total: int) -> None:
        update_progress_artifact(bar, 100.0 * done / max(total, 1))
        get_run_logger().info("synced %d of %d stored responses", done, total)

    return run_logged(found.id or 0, progress, prefix="backfill")


@flow(name="backfill")
def backfill(company: str, since: date | None = None, until: date | None = None,
             read_quickbooks: bool = True, resync_stored: bool = True) -> dict[str, Any]:
    logger = get_run_logger()
    result: dict[str, Any] = {"company": company}
    if read_quickbooks:
        result["reads_queued"] = queue_quickbooks_reads(company, since)
    if resync_stored:
        result["responses_reopened"] = reopen_stored(company, since, until)
        result["sync"] = resync(company)
    app = open_app()
    status = backfill_status(app.db, get_company(app.db, company).id or 0)
    result.update(reads_waiting=status.reads_waiting, responses_waiting=status.responses_waiting)
    logger.info("backfill of %s: %s", company, result)
    return result

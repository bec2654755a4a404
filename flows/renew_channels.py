"""Prefect flow ``renew-channels``: keep Zoho's notification channels alive (scheduled).

Renews channels expiring soon with PATCH, re-opens lapsed ones and stores what they missed as
notifications for ``zoho-to-qb``. One audit unit per run, published as ``renew-channels-<name>``.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, task

from connector.audit import AuditSummary
from connector.notify import renew_channels as renew
from connector.zoho.client import ZohoClient
from flows.common import App, retry_only_retriable
from flows.zoho_to_qb import RETRY_SECONDS, run_published

__all__ = ["renew_channels", "renew_task"]


@task(retries=len(RETRY_SECONDS), retry_delay_seconds=RETRY_SECONDS,
      retry_condition_fn=retry_only_retriable)
def renew_task(connection: str) -> dict[str, Any]:
    def call(app: App, client: ZohoClient, connection_id: int | None,
             run_id: str | None) -> AuditSummary:
        return renew(app.db, client, app.settings, connection_id=connection_id,
                     external_run_id=run_id)

    summary, result = run_published(connection, "renew-channels", connection, call)
    if summary.counts["failed"]:
        # Visible as a failed run in the Prefect UI; the next scheduled run tries again.
        raise RuntimeError(f"{summary.counts['failed']} channel(s) could not be renewed: "
                           f"see audit run {summary.run_id}")
    return result


@flow(name="renew-channels", log_prints=False)
def renew_channels(connection: str = "default") -> dict[str, Any]:
    """Renew, re-open and catch up the notification channels of a Zoho connection."""
    return renew_task(connection)

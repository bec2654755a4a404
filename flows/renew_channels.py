"""Prefect flow ``renew-channels``: keep Zoho's notification channels alive (scheduled).

Renews channels expiring soon with PATCH, re-opens lapsed ones and stores what they missed as
notifications for ``zoho-to-qb``. One audit unit per run, published as ``renew-channels-<name>``.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, task
from prefect.runtime import flow_run

from connector.errors import ConnectorError
from connector.notify import renew_channels as renew
from connector.zoho.connection import load_connection, open_client
from flows.common import RETRY_DELAYS, open_app, retry_only_retriable
from flows.zoho_to_qb import publish_failed, publish_summary

__all__ = ["renew_channels", "renew_task"]


@task(retries=len(RETRY_DELAYS), retry_delay_seconds=RETRY_DELAYS,
      retry_condition_fn=retry_only_retriable)
def renew_task(connection: str) -> dict[str, Any]:
    app = open_app()
    connection_id = load_connection(app.db, connection).id
    run_id = str(flow_run.id) if flow_run.id else None
    try:
        with open_client(app.settings, app.db, app.secrets, name=connection) as client:
            summary = renew(app.db, client, app.settings, connection_id=connection_id,
                            external_run_id=run_id)
    except ConnectorError:
        publish_failed(app.db, run_id, "renew-channels", connection)
        raise
    result = publish_summary(summary, "renew-channels", connection)
    if summary.counts["failed"]:
        raise RuntimeError(f"{summary.counts['failed']} channel(s) could not be renewed: "
                           f"audit run {summary.run_id}")
    return result


@flow(name="renew-channels", log_prints=False)
def renew_channels(connection: str = "default") -> dict[str, Any]:
    """Renew, re-open and catch up the notification channels of a Zoho connection."""
    return renew_task(connection)

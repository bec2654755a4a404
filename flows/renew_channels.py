"""Prefect flow ``renew-channels``: keep Zoho's notification channels alive (scheduled).

Renews channels expiring soon with PATCH, re-opens lapsed ones and stores what they missed as
notifications for ``zoho-to-qb``. One audit unit per run, published as ``renew-channels-<name>``.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, task
from prefect.client.schemas.objects import State
from prefect.states import Completed

from connector import runs
from flows.common import (
    RETRY_DELAYS,
    RunFailed,
    connector_logs,
    finish,
    retry_only_retriable,
    run_env,
)

__all__ = ["renew_channels", "renew_task"]


@task(retries=len(RETRY_DELAYS), retry_delay_seconds=RETRY_DELAYS,
      retry_condition_fn=retry_only_retriable)
def renew_task(connection: str) -> dict[str, Any]:
    with connector_logs():
        result = finish(runs.renew_channels(run_env(), connection))
    if result["failed"]:
        # Visible as a failed run in the Prefect UI; the next scheduled run tries again.
        raise RunFailed(f"{result['failed']} channel(s) could not be renewed: see audit run "
                        f"{result['audit_run']}")
    return result


@flow(name="renew-channels", log_prints=False)
async def renew_channels(connection: str = "default") -> State[Any]:
    """Renew, re-open and catch up the notification channels of a Zoho connection."""
    outcome = renew_task(connection)
    return Completed(message=outcome["message"], data=outcome)

"""Prefect flow ``zoho-to-qb``: Zoho notifications -> QuickBooks Mods, queued for the next
Web Connector session. One task, one run-layer call, one audit unit, published as the
artifact ``zoho-to-qb-<company or connection>``."""

from __future__ import annotations

from typing import Any

from prefect import flow, task
from prefect.client.schemas.objects import State
from prefect.states import Completed

from connector import runs
from flows.common import RETRY_DELAYS, connector_logs, finish, retry_only_retriable, run_env

__all__ = ["zoho_to_qb", "sync_back_task"]


@task(retries=len(RETRY_DELAYS), retry_delay_seconds=RETRY_DELAYS,
      retry_condition_fn=retry_only_retriable)
def sync_back_task(connection: str, company: str | None) -> dict[str, Any]:
    with connector_logs():
        return finish(runs.sync_back(run_env(), connection, company))


@flow(name="zoho-to-qb", log_prints=False)
async def zoho_to_qb(connection: str = "default", company: str | None = None) -> State[Any]:
    """Apply the Zoho edits notified on ``connection``'s channels (one company's, if named)."""
    outcome = sync_back_task(connection, company)
    return Completed(message=outcome["message"], data=outcome)

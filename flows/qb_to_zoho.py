"""Prefect flow ``qb-to-zoho``: stored QuickBooks responses -> Zoho CRM, one task per company.

Scheduled, it watches the store for a while: a Web Connector session that closes leaves a
sync request, and the company is synced within ``MLC_SYNC_POLL_SECONDS``. Each company's run
is one audit unit, published as the artifact ``qb-to-zoho-<company>``; a task retries only
retriable failures, and a company that fails does not stop the others. A company whose first
load waits for a person's plan ends ``waiting``: the flow run is Completed, named "Waiting",
its message saying who waits for what.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.client.schemas.objects import State
from prefect.states import Completed, Failed

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

__all__ = ["qb_to_zoho", "sync_company_task"]


@task(retries=len(RETRY_DELAYS), retry_delay_seconds=RETRY_DELAYS,
      retry_condition_fn=retry_only_retriable, task_run_name="sync-{company}")
def sync_company_task(company: str) -> dict[str, Any]:
    progress = progress_bar(f"qb-to-zoho-progress-{artifact_slug(company)}",
                            f"sync of {company}: stored responses synced")
    with connector_logs():
        return finish(runs.sync_quickbooks(run_env(), company, progress=progress))


@flow(name="qb-to-zoho", log_prints=False)
async def qb_to_zoho(company: str | None = None, watch_seconds: float = 0,
                     plan: bool = False) -> State[Any]:
    """Sync one company, or every company waiting; with ``watch_seconds``, go on syncing the
    companies whose sessions close during that time. With ``plan``, only work out (and
    publish as the ``sync-plan-<company>`` table) what the sync would write."""
    results: dict[str, dict[str, Any]] = {}
    failed: list[str] = []

    def one(name: str) -> None:
        try:
            results[name] = plan_task(name) if plan else sync_company_task(name)
        except Exception as exc:  # noqa: BLE001 - one company's failure must not stop the rest
            get_run_logger().error("company %s: %s", name, exc)
            failed.append(name)

    if company:
        one(company)
    elif plan:
        for name in runs.companies_waiting(run_env()):
            one(name)
    else:
        runs.serve_requests(run_env(), one, seconds=watch_seconds)
    waiting = [str(r["message"]) for r in results.values() if r.get("status") == RunStatus.WAITING]
    done = [name for name, r in results.items() if r.get("status") != RunStatus.WAITING]
    if failed:
        return Failed(message="; ".join([f"failed for {', '.join(failed)}", *waiting]),
                      data=results)
    if waiting:
        return waiting_state("; ".join([*waiting, *([f"synced {', '.join(done)}"] if done
                                                    else [])]), results)
    return Completed(message=(f"{'planned' if plan else 'synced'} {', '.join(results)}"
                              if results
                              else "nothing to sync: no QuickBooks responses waiting"),
                     data=results)

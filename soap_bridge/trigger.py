"""closeConnection -> a qb_to_zoho flow run, started through Prefect from the edge.

The library only calls a hook; this module is where Prefect lives. The run is started in a
background thread with ``timeout=0`` (do not wait for it), so the Web Connector gets its
answer at once whatever Prefect does; a failure is logged and the schedule catches up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from connector.config import Settings
from connector.store import Company, Database

__all__ = ["deployment_trigger"]

log = logging.getLogger(__name__)


def _start(deployment: str, company: str) -> None:
    try:
        from prefect.deployments import run_deployment

        run = run_deployment(deployment, parameters={"company": company}, timeout=0,
                             as_subflow=False)
        log.info("company %s: started %s flow run %s", company, deployment,
                 getattr(run, "id", "?"))
    except Exception:  # noqa: BLE001 - whatever Prefect raises, the schedule is the safety net
        log.exception("company %s: could not start %s; the schedule will pick it up",
                      company, deployment)


def deployment_trigger(settings: Settings, db: Database) -> Callable[[int], None]:
    """The ``on_session_closed`` hook that starts ``settings.sync_deployment`` for a company."""

    def fire(company_id: int) -> None:
        with db.session() as s:
            company = s.get(Company, company_id)
        if company is None:
            return
        threading.Thread(target=_start, args=(settings.sync_deployment, company.name),
                         name=f"mlc-sync-{company.name}", daemon=True).start()

    return fire

"""Prefect flow ``qb-to-zoho``: stored QuickBooks responses -> Zoho CRM, one task per company.

Each company's run is one audit unit; its summary is published as a markdown artifact
(``qb-to-zoho-<company>``) so the data team reads it in the Prefect UI. A task retries only
retriable failures; a company that fails does not stop the others.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run

from connector.audit import AuditSummary, list_runs
from connector.errors import ConnectorError
from connector.qbwc import get_company
from connector.store import Company
from connector.sync import Progress, SyncOptions, client_factory, pending_companies, run_company
from flows.common import RETRY_DELAYS, artifact_key, open_app, retry_only_retriable

__all__ = ["qb_to_zoho", "sync_company_task", "companies_to_sync", "publish"]


def publish(summary: AuditSummary, prefix: str = "qb-to-zoho") -> None:
    create_markdown_artifact(summary.markdown(), key=artifact_key(prefix, summary.company or ""),
                             description=f"{summary.flow} audit run {summary.run_id}")


def outcome(summary: AuditSummary) -> dict[str, Any]:
    return {"status": summary.status, "audit_run": summary.run_id, **summary.counts}


@task
def companies_to_sync(company: str | None) -> list[tuple[int, str]]:
    app = open_app()
    found = [get_company(app.db, company)] if company else pending_companies(app.db)
    return [(c.id, c.name) for c in found if c.id is not None]


def run_logged(company_id: int, progress: Progress | None = None,
               prefix: str = "qb-to-zoho") -> dict[str, Any]:
    """One audited company run under the current flow run; the summary is published either way."""
    app = open_app()
    with app.db.session() as s:
        company = s.get(Company, company_id)
    if company is None:
        raise ValueError(f"no company #{company_id}")
    run_id = str(flow_run.id) if flow_run.id else None
    try:
        summary = run_company(app.db, company, client_factory(app.settings, app.db, app.secrets),
                              options=SyncOptions.from_settings(app.settings),
                              external_run_id=run_id, progress=progress)
    except ConnectorError:
        publish(list_runs(app.db, company_id=company_id, limit=1)[0], prefix)
        raise
    publish(summary, prefix)
    return outcome(summary)


@task(retries=len(RETRY_DELAYS), retry_delay_seconds=RETRY_DELAYS,
      retry_condition_fn=retry_only_retriable, task_run_name="sync-company-{company_id}")
def sync_company_task(company_id: int) -> dict[str, Any]:
    logger = get_run_logger()
    return run_logged(company_id, lambda done, total: logger.info(
        "synced %d of %d stored responses", done, total))


@flow(name="qb-to-zoho", log_prints=False)
def qb_to_zoho(company: str | None = None) -> dict[str, dict[str, Any]]:
    """Sync one company, or (None) every company with stored responses waiting."""
    logger = get_run_logger()
    results: dict[str, dict[str, Any]] = {}
    failed: list[str] = []
    for company_id, name in companies_to_sync(company):
        try:
            results[name] = sync_company_task(company_id)
        except Exception as exc:  # noqa: BLE001 - one company's failure must not stop the rest
            logger.error("company %s: %s", name, exc)
            failed.append(name)
            results[name] = {"status": "failed", "error": str(exc)}
    if failed:
        raise RuntimeError(f"qb-to-zoho failed for {', '.join(failed)}: {results}")
    return results
